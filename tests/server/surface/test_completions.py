"""Completions through the SDK client against a respx upstream: values from live Halo data."""

import mcp_types
import pytest
from mcp import Client

from halo_sandbox.server.mcp_app import build_mcp_server

pytestmark = pytest.mark.anyio


async def test_completions_come_from_live_data(mock, halo):
    clients = mock.get("/api/Client").respond(
        json={
            "record_count": 2,
            "clients": [{"id": 104, "name": "Wayne Enterprises"}, {"id": 105, "name": "Wayne Foundation"}],
        }
    )
    mock.get("/api/Projects").respond(
        json={"record_count": 1, "tickets": [{"id": 500, "summary": "Stark Industries Cloud Migration"}]}
    )
    mock.get("/api/Tickets").respond(
        json={"record_count": 3, "tickets": [{"id": 45920}, {"id": 45100}, {"id": 3}]}
    )
    async with Client(build_mcp_server(halo=halo)) as client:
        names = await client.complete(
            mcp_types.PromptReference(name="triage_request"), {"name": "client", "value": "wayne"}
        )
        projects = await client.complete(
            mcp_types.PromptReference(name="project_health"), {"name": "project", "value": "cloud"}
        )
        ids = await client.complete(
            mcp_types.ResourceTemplateReference(uri="halo://tickets/{id}"), {"name": "id", "value": "459"}
        )
        other = await client.complete(
            mcp_types.PromptReference(name="test_prompt_with_arguments"), {"name": "arg1", "value": "x"}
        )
    assert names.completion.values == ["Wayne Enterprises", "Wayne Foundation"]
    assert clients.calls.last.request.url.params["search"] == "wayne"
    assert projects.completion.values == ["Stark Industries Cloud Migration"]
    assert ids.completion.values == ["45920"]
    assert other.completion.values == []
