"""`halo-sandbox up` over the legacy HTTP+SSE transport (`/sse` + `/messages/`) with the SDK's SSE client."""

from __future__ import annotations

import json

import pytest
from mcp import Client
from mcp.client.sse import sse_client

from tests._sandbox import Sandbox

pytestmark = [pytest.mark.e2e, pytest.mark.anyio]


async def test_sse_serves_tools_resources_and_writes(sandbox: Sandbox):
    async with Client(sse_client(sandbox.sse_url), mode="legacy") as client:
        tools = {t.name for t in (await client.list_tools()).tools}
        wayne = await client.call_tool("get_single_halo_itsm_client_by_id", {"id": 104})
        statuses = await client.read_resource("halo://lookups/statuses")
        created = await client.call_tool(
            "create_a_halo_itsm_ticket",
            {"client_id": 104, "summary": "Created over SSE", "details": "legacy transport"},
        )
        missing = await client.call_tool("get_single_halo_itsm_ticket_by_id", {"id": 999999})
    assert {"list_all_halo_itsm_tickets", "create_a_halo_itsm_ticket"} <= tools
    assert wayne.structured_content["result"]["name"] == sandbox.api("/Client/104")["name"]
    assert json.loads(statuses.contents[0].text) == sandbox.api("/Status")
    ticket_id = created.structured_content["result"]["id"]
    assert sandbox.api(f"/Tickets/{ticket_id}")["summary"] == "Created over SSE"
    assert missing.is_error and missing.structured_content["error"]["status"] == 404


async def test_sse_and_streamable_http_share_one_tenant(sandbox: Sandbox):
    async with Client(sse_client(sandbox.sse_url), mode="legacy") as sse:
        made = await sse.call_tool("create_a_halo_itsm_client", {"name": "Wonka Industries"})
        async with Client(sandbox.mcp_url) as http:
            seen = await http.call_tool(
                "get_single_halo_itsm_client_by_id", {"id": made.structured_content["result"]["id"]}
            )
    assert seen.structured_content["result"]["name"] == "Wonka Industries"


def test_mcp_command_serves_sse_against_the_sandbox(sandbox: Sandbox):
    import anyio

    from halo_sandbox.harness import start
    from tests._sandbox import CLIENT_ID, CLIENT_SECRET

    with start(
        "mcp",
        "--transport",
        "sse",
        "--halo-url",
        sandbox.base,
        ready_path="/messages/",
        timeout=30,
        env={"HALO_CLIENT_ID": CLIENT_ID, "HALO_CLIENT_SECRET": CLIENT_SECRET},
    ) as mcp:

        async def use() -> dict:
            async with Client(sse_client(mcp.sse_url), mode="legacy") as client:
                return (
                    await client.call_tool("get_single_halo_itsm_ticket_by_id", {"id": 45920})
                ).structured_content

        ticket = anyio.run(use)
    assert ticket["result"]["summary"] == sandbox.api("/Tickets/45920")["summary"]
