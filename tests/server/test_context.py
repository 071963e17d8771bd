"""Resources, prompts, completions and logging, through the SDK client against a respx upstream."""

import httpx
import mcp_types
import pytest
from halo_sandbox.server.context import LOOKUPS, UpstreamLog, instrument
from halo_sandbox.server.mcp_app import build_mcp_server
from halo_sandbox.server.upstream import HaloClient
from mcp import Client
from mcp.shared.exceptions import MCPError

from tests.server.conftest import BASE

pytestmark = pytest.mark.anyio


@pytest.fixture
async def halo():
    client = HaloClient(base_url=BASE, client_id="cid", client_secret="secret", transport=UpstreamLog())
    yield client
    await client.aclose()


async def test_lookup_resources_are_listed_and_read_live(mock, halo):
    statuses = [{"id": 1, "name": "New"}, {"id": 9, "name": "Closed"}]
    route = mock.get("/api/Status").respond(json=statuses)
    async with Client(build_mcp_server(halo=halo)) as client:
        listed = (await client.list_resources()).resources
        read = await client.read_resource("halo://lookups/statuses")
    assert [str(r.uri) for r in listed] == [f"halo://lookups/{n}" for n in
                                            ("statuses", "priorities", "teams", "agents", "ticket_types", "slas")]
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
    teams = mock.get("/api/Team").respond(429, text="Rate Limit Reached - 300 Requests per rolling 5 minute window")
    ticket = mock.get("/api/Tickets/5").respond(503, json={"message": "maintenance"})
    async with Client(build_mcp_server(halo=halo)) as client:
        with pytest.raises(MCPError, match="Halo answered 429") as limited:
            await client.read_resource("halo://lookups/teams")
        with pytest.raises(MCPError, match="Halo answered 503: maintenance"):
            await client.read_resource("halo://tickets/5")
    assert limited.value.error.data["ratelimit"] == {"limit": 300, "remaining": 0, "reset": 300}
    assert (teams.call_count, ticket.call_count) == (1, 1)


async def test_prompts_describe_their_arguments_and_render_the_workflow(mock, halo):
    async with Client(build_mcp_server(halo=halo)) as client:
        prompts = {p.name: p for p in (await client.list_prompts()).prompts}
        triage = await client.get_prompt("triage_request", {"client": "Wayne Enterprises",
                                                            "problem": "cannot sign in to the VPN"})
        health = await client.get_prompt("project_health", {"project": "Stark Industries Cloud Migration"})
        with pytest.raises(MCPError, match="missing: problem"):
            await client.get_prompt("triage_request", {"client": "Wayne Enterprises"})
        with pytest.raises(MCPError, match="unknown: colour"):
            await client.get_prompt("project_health", {"project": "x", "colour": "red"})
        with pytest.raises(MCPError, match="unknown prompt"):
            await client.get_prompt("nope", {})
    assert set(prompts) == {"triage_request", "project_health"}
    assert [a.name for a in prompts["triage_request"].arguments] == ["client", "problem"]
    assert all(a.description and a.required for p in prompts.values() for a in p.arguments)
    text = triage.messages[0].content.text
    assert "Wayne Enterprises" in text and "cannot sign in to the VPN" in text
    for tool in ("list_all_halo_itsm_clients", "list_all_halo_itsm_tickets", "list_all_halo_itsm_teams",
                 "create_a_halo_itsm_ticket", "create_a_halo_itsm_action"):
        assert tool in text
    text = health.messages[0].content.text
    assert "Stark Industries Cloud Migration" in text
    for tool in ("list_all_halo_itsm_projects", "list_all_halo_itsm_actions", "list_all_halo_itsm_quotes"):
        assert tool in text


async def test_completions_come_from_live_data(mock, halo):
    clients = mock.get("/api/Client").respond(json={"record_count": 2, "clients": [
        {"id": 104, "name": "Wayne Enterprises"}, {"id": 105, "name": "Wayne Foundation"}]})
    mock.get("/api/Projects").respond(json={"record_count": 1, "tickets": [
        {"id": 500, "summary": "Stark Industries Cloud Migration"}]})
    mock.get("/api/Tickets").respond(json={"record_count": 3, "tickets": [
        {"id": 45920}, {"id": 45100}, {"id": 3}]})
    async with Client(build_mcp_server(halo=halo)) as client:
        names = await client.complete(mcp_types.PromptReference(name="triage_request"),
                                      {"name": "client", "value": "wayne"})
        projects = await client.complete(mcp_types.PromptReference(name="project_health"),
                                         {"name": "project", "value": "cloud"})
        ids = await client.complete(mcp_types.ResourceTemplateReference(uri="halo://tickets/{id}"),
                                    {"name": "id", "value": "459"})
        other = await client.complete(mcp_types.PromptReference(name="test_prompt_with_arguments"),
                                      {"name": "arg1", "value": "x"})
    assert names.completion.values == ["Wayne Enterprises", "Wayne Foundation"]
    assert clients.calls.last.request.url.params["search"] == "wayne"
    assert projects.completion.values == ["Stark Industries Cloud Migration"]
    assert ids.completion.values == ["45920"]
    assert other.completion.values == []


async def test_set_level_debug_sends_each_upstream_request_as_a_log_notification(mock, halo):
    mock.get("/api/Tickets/7").respond(json={"id": 7})
    received: list[mcp_types.LoggingMessageNotificationParams] = []

    async def on_log(params: mcp_types.LoggingMessageNotificationParams) -> None:
        received.append(params)

    server = instrument(build_mcp_server(halo=halo))
    async with Client(server, mode="legacy", logging_callback=on_log) as client:
        assert client.server_capabilities.logging is not None
        await client.call_tool("get_single_halo_itsm_ticket_by_id", {"id": 7})
        assert received == []  # default level is info: debug entries are not sent
        assert await client.set_logging_level("debug") is not None
        await client.call_tool("get_single_halo_itsm_ticket_by_id", {"id": 7})
        await client.set_logging_level("warning")
        await client.call_tool("get_single_halo_itsm_ticket_by_id", {"id": 7})
    assert [(r.level, r.logger, r.data["method"], r.data["path"], r.data["status"]) for r in received] == [
        ("debug", "halo.upstream", "GET", "/api/Tickets/7", 200)]
    assert "Authorization" not in str(received[0].data)


async def test_modern_clients_opt_in_to_upstream_logs_per_request(mock, halo):
    mock.get("/api/Tickets/7").respond(json={"id": 7})
    received: list[mcp_types.LoggingMessageNotificationParams] = []

    async def on_log(params: mcp_types.LoggingMessageNotificationParams) -> None:
        received.append(params)

    server = instrument(build_mcp_server(halo=halo))
    async with Client(server, logging_callback=on_log) as client:  # no opt-in: nothing is sent
        await client.call_tool("get_single_halo_itsm_ticket_by_id", {"id": 7})
    assert received == []
    async with Client(server, logging_callback=on_log, log_level="debug") as client:
        assert client.protocol_version not in ("2025-11-25", "2025-06-18")
        await client.call_tool("get_single_halo_itsm_ticket_by_id", {"id": 7})
    assert [(r.level, r.data["path"], r.data["status"]) for r in received] == [("debug", "/api/Tickets/7", 200)]


async def test_unreachable_halo_is_a_clear_error_and_the_server_keeps_serving(mock, halo):
    mock.get("/api/Status").mock(side_effect=httpx.ConnectError("connection refused"))
    mock.get("/api/Client").mock(side_effect=httpx.ConnectError("connection refused"))
    mock.get("/api/Team").respond(json=[{"id": 1, "name": "Network Operations"}])
    async with Client(build_mcp_server(halo=halo)) as client:
        with pytest.raises(MCPError, match="unreachable"):
            await client.read_resource("halo://lookups/statuses")
        with pytest.raises(MCPError, match="unreachable"):
            await client.complete(mcp_types.PromptReference(name="triage_request"), {"name": "client", "value": "a"})
        teams = await client.read_resource("halo://lookups/teams")
    assert "Network Operations" in teams.contents[0].text
