"""Resources through the SDK client against a respx upstream: lookups and the ticket template, read live."""

import httpx
import mcp_types
import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError

from halo_sandbox.server.mcp_app import build_mcp_server
from halo_sandbox.server.surface.mcp_resources import LOOKUPS

pytestmark = pytest.mark.anyio


async def test_lookup_resources_are_listed_and_read_live(mock, halo):
    statuses = [{"id": 1, "name": "New"}, {"id": 9, "name": "Closed"}]
    route = mock.get("/api/Status").respond(json=statuses)
    async with Client(build_mcp_server(halo=halo)) as client:
        listed = (await client.list_resources()).resources
        read = await client.read_resource("halo://lookups/statuses")
    assert [str(r.uri) for r in listed] == [
        f"halo://lookups/{n}" for n in ("statuses", "priorities", "teams", "agents", "ticket_types", "slas")
    ]
    assert all(r.description and r.mime_type == "application/json" for r in listed)
    assert route.call_count == 1
    assert read.contents[0].mime_type == "application/json"
    assert httpx.Response(200, text=read.contents[0].text).json() == statuses


async def test_every_lookup_reads_its_halo_path(mock, halo):
    for lookup in LOOKUPS:
        mock.get(f"/api{lookup.path}").respond(json=[{"id": 7, "name": lookup.name}])
    async with Client(build_mcp_server(halo=halo)) as client:
        for lookup in LOOKUPS:
            read = await client.read_resource(lookup.uri)
            assert lookup.name in read.contents[0].text


async def test_ticket_template_reads_one_ticket_and_refuses_bad_ids(mock, halo):
    mock.get("/api/Tickets/45920").respond(json={"id": 45920, "summary": "VPN drops"})
    missing = mock.get("/api/Tickets/1").respond(404, json={"message": "not found"})
    async with Client(build_mcp_server(halo=halo)) as client:
        templates = (await client.list_resource_templates()).resource_templates
        read = await client.read_resource("halo://tickets/45920")
        with pytest.raises(MCPError, match="ticket 1 not found"):
            await client.read_resource("halo://tickets/1")
        with pytest.raises(MCPError, match="positive integer"):
            await client.read_resource("halo://tickets/abc")
        with pytest.raises(MCPError, match="unknown resource"):
            await client.read_resource("halo://lookups/nothing")
        assert (await client.read_resource("halo://tickets/45920")).contents  # still serving
    assert [t.uri_template for t in templates] == ["halo://tickets/{id}"]
    assert '"summary": "VPN drops"' in read.contents[0].text
    assert missing.call_count == 1


async def test_upstream_failure_of_a_resource_is_a_clear_error_after_one_request(mock, halo):
    teams = mock.get("/api/Team").respond(
        429, text="Rate Limit Reached - 300 Requests per rolling 5 minute window"
    )
    ticket = mock.get("/api/Tickets/5").respond(503, json={"message": "maintenance"})
    async with Client(build_mcp_server(halo=halo)) as client:
        with pytest.raises(MCPError, match="Halo answered 429") as limited:
            await client.read_resource("halo://lookups/teams")
        with pytest.raises(MCPError, match="Halo answered 503: maintenance"):
            await client.read_resource("halo://tickets/5")
    assert limited.value.error.data["ratelimit"] == {"limit": 300, "remaining": 0, "reset": 300}
    assert (teams.call_count, ticket.call_count) == (1, 1)


async def test_unreachable_halo_is_a_clear_error_and_the_server_keeps_serving(mock, halo):
    mock.get("/api/Status").mock(side_effect=httpx.ConnectError("connection refused"))
    mock.get("/api/Client").mock(side_effect=httpx.ConnectError("connection refused"))
    mock.get("/api/Team").respond(json=[{"id": 1, "name": "Network Operations"}])
    async with Client(build_mcp_server(halo=halo)) as client:
        with pytest.raises(MCPError, match="unreachable"):
            await client.read_resource("halo://lookups/statuses")
        with pytest.raises(MCPError, match="unreachable"):
            await client.complete(
                mcp_types.PromptReference(name="triage_request"), {"name": "client", "value": "a"}
            )
        teams = await client.read_resource("halo://lookups/teams")
    assert "Network Operations" in teams.contents[0].text
