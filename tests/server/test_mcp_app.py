"""build_mcp_server through the SDK's in-memory client: what an MCP client actually sees."""

import warnings

import httpx
import mcp_types
import pytest
import respx
from mcp import Client
from mcp.shared.exceptions import MCPDeprecationWarning

from halo_sandbox.server.mcp_app import build_mcp_server
from halo_sandbox.server.tool_specs import generate_tools, select_tools
from tests.server._helpers import BASE

pytestmark = pytest.mark.anyio


async def test_tools_list_shows_every_generated_tool(mock, halo):
    async with Client(build_mcp_server(halo=halo)) as client:
        listed = (await client.list_tools()).tools
    names = {t.name for t in listed}
    assert names == {t.name for t in generate_tools()}
    assert {"list_all_halo_itsm_tickets", "create_a_halo_itsm_attachment", "find_halo_itsm_ids"} <= names
    ticket_list = next(t for t in listed if t.name == "list_all_halo_itsm_tickets")
    assert ticket_list.input_schema["additionalProperties"] is False
    assert ticket_list.output_schema["anyOf"][0]["required"] == ["result", "next_cursor"]
    assert ticket_list.annotations.read_only_hint is True
    assert mock.calls.call_count == 0


async def test_tools_call_returns_structured_content_per_design(mock, halo):
    mock.get("/api/Tickets").respond(json={"record_count": 3, "tickets": [{"id": 1}, {"id": 2}]})
    mock.get("/api/Tickets/1").respond(json={"id": 1, "summary": "VPN"})
    async with Client(build_mcp_server(halo=halo)) as client:
        page = await client.call_tool("list_all_halo_itsm_tickets", {"limit": 2})
        one = await client.call_tool("get_single_halo_itsm_ticket_by_id", {"id": 1})
    assert page.is_error is False
    assert page.structured_content["result"] == [{"id": 1}, {"id": 2}]
    assert isinstance(page.structured_content["next_cursor"], str)
    assert isinstance(page.content[0], mcp_types.TextContent)
    assert one.structured_content == {"result": {"id": 1, "summary": "VPN"}}


async def test_upstream_429_reaches_the_client_as_error_result(mock, halo):
    text = "Rate Limit Reached - 300 Requests per rolling 5 minute window"
    route = mock.get("/api/Tickets").respond(429, text=text, headers={"Retry-After": "42"})
    async with Client(build_mcp_server(halo=halo)) as client:
        result = await client.call_tool("list_all_halo_itsm_tickets", {})
    assert result.is_error and route.call_count == 1
    error = result.structured_content["error"]
    assert (error["status"], error["message"], error["body"]) == (429, text, text)
    assert error["ratelimit"] == {"limit": 300, "remaining": 0, "reset": 42} and error["retry_after"] == 42


async def test_filtered_server_hides_tools_like_unknown_ones(mock, halo):
    reads = select_tools(generate_tools(), methods=["read"], tags=["support"])
    route = mock.post("/api/Tickets").respond(json={"id": 1})
    async with Client(build_mcp_server(halo=halo, tools=reads)) as client:
        names = {t.name for t in (await client.list_tools()).tools}
        hidden = await client.call_tool("create_a_halo_itsm_ticket", {"summary": "x"})
        unknown = await client.call_tool("create_a_halo_itsm_spaceship", {"summary": "x"})
    assert "create_a_halo_itsm_ticket" not in names and "list_all_halo_itsm_tickets" in names
    assert "list_all_halo_itsm_clients" not in names
    assert hidden.is_error and unknown.is_error
    assert hidden.structured_content["error"]["message"].startswith(
        "Unknown tool: create_a_halo_itsm_ticket."
    )
    assert (hidden.structured_content["error"]["code"], unknown.structured_content["error"]["code"]) == (
        "unknown_tool",
        "unknown_tool",
    )
    assert route.call_count == 0


async def test_attachment_bytes_come_back_as_embedded_resource(mock, halo):
    mock.get("/api/Attachment/9").respond(
        200, content=b"%PDF-1.4 fake", headers={"content-disposition": 'attachment; filename="invoice.pdf"'}
    )
    async with Client(build_mcp_server(halo=halo)) as client:
        result = await client.call_tool("get_single_halo_itsm_attachment_by_id", {"id": 9})
    assert result.structured_content["result"]["content_type"] == "application/pdf"
    resource = result.content[1]
    assert isinstance(resource, mcp_types.EmbeddedResource)
    assert resource.resource.mime_type == "application/pdf"


async def test_allowed_file_dir_offers_file_path(mock, halo, tmp_path):
    (tmp_path / "a.txt").write_text("hello")
    post = mock.post("/api/Attachment").respond(json={"id": 3})
    async with Client(build_mcp_server(halo=halo, allowed_file_dir=tmp_path)) as client:
        tool = next(t for t in (await client.list_tools()).tools if t.name == "create_a_halo_itsm_attachment")
        result = await client.call_tool(
            "create_a_halo_itsm_attachment", {"ticket_id": 1, "filename": "a.txt", "file_path": "a.txt"}
        )
    assert "file_path" in tool.input_schema["properties"]
    assert not result.is_error and post.call_count == 1


async def test_legacy_set_level_is_answered_and_sends_no_log_notifications(mock, halo):
    mock.get("/api/Tickets/7").respond(json={"id": 7})
    received: list[mcp_types.LoggingMessageNotificationParams] = []

    async def on_log(params: mcp_types.LoggingMessageNotificationParams) -> None:
        received.append(params)

    with warnings.catch_warnings():
        warnings.simplefilter("error", MCPDeprecationWarning)  # building the server must not warn
        server = build_mcp_server(halo=halo)
    async with Client(server, mode="legacy", logging_callback=on_log) as client:
        assert client.server_capabilities.logging is not None  # older clients still see the capability
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", MCPDeprecationWarning)  # the client's own warning for calling it
            assert await client.set_logging_level("debug") is not None
        result = await client.call_tool("get_single_halo_itsm_ticket_by_id", {"id": 7})
    assert not result.is_error and received == []


async def test_unreachable_halo_is_an_error_result_not_a_crash(halo):
    with respx.mock(base_url=BASE) as m:
        m.post("/auth/token").mock(side_effect=httpx.ConnectError("refused"))
        async with Client(build_mcp_server(halo=halo)) as client:
            result = await client.call_tool("list_all_halo_itsm_statuses", {})
            again = await client.call_tool("list_all_halo_itsm_statuses", {"bogus": 1})
    assert result.is_error and result.structured_content["error"]["status"] is None
    assert "unreachable" in result.structured_content["error"]["message"]
    assert again.is_error and "bogus" in again.structured_content["error"]["message"]


async def test_ratelimit_meta_reaches_the_client(mock, halo):
    from halo_sandbox.protocol import RATELIMIT_META

    mock.get("/api/Status").respond(
        json=[], headers={"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "7", "X-RateLimit-Reset": "12"}
    )
    async with Client(build_mcp_server(halo=halo)) as client:
        result = await client.call_tool("list_all_halo_itsm_statuses", {})
    assert result.meta[RATELIMIT_META] == {
        "ratelimit": {"limit": 300, "remaining": 7, "reset": 12},
        "retry_after": None,
    }
