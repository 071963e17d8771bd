"""Tool exposure through the SDK's in-memory client: `all` pages long listings with cache hints;
`discovery` lists three meta-tools that search, describe and call the server's own tools only."""

import json

import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError

from halo_sandbox.server.mcp_app import build_mcp_server
from halo_sandbox.server.surface.tools import CALL_TOOL, PAGE_SIZE, SCHEMA_TOOL, SEARCH_TOOL
from halo_sandbox.server.tool_specs import generate_tools, select_tools

pytestmark = pytest.mark.anyio
META = [SEARCH_TOOL, SCHEMA_TOOL, CALL_TOOL]


async def _all_pages(client):
    pages, cursor = [], None
    while True:
        page = await client.list_tools(cursor=cursor)
        pages.append(page)
        cursor = page.next_cursor
        if cursor is None:
            return pages


async def test_default_listing_is_one_page_of_the_curated_tools_with_cache_hints(halo):
    async with Client(build_mcp_server(halo=halo)) as client:
        pages = await _all_pages(client)
    assert len(pages) == 1 and len(pages[0].tools) == 74
    assert pages[0].ttl_ms > 0 and pages[0].cache_scope == "public"


async def test_breadth_listing_is_paged_and_every_tool_comes_exactly_once(halo):
    async with Client(build_mcp_server(halo=halo, breadth=True)) as client:
        pages = await _all_pages(client)
        with pytest.raises(MCPError, match="cursor"):
            await client.list_tools(cursor="bm90LWEtY3Vyc29y")
    names = [t.name for page in pages for t in page.tools]
    assert names == [t.name for t in generate_tools(breadth=True)]
    assert len(pages) > 10 and all(len(p.tools) <= PAGE_SIZE for p in pages)


async def _call(client, name, args):
    result = await client.call_tool(name, args)
    return result, result.structured_content


async def test_discovery_lists_three_meta_tools_and_finds_generated_ones(halo):
    async with Client(build_mcp_server(halo=halo, breadth=True, exposure="discovery")) as client:
        instructions = client.instructions
        listed = (await client.list_tools()).tools
        _, found = await _call(client, SEARCH_TOOL, {"query": "supplier", "methods": ["list"]})
        _, writes = await _call(
            client, SEARCH_TOOL, {"query": "tickets", "methods": ["write"], "tags": ["support"]}
        )
        _, everything = await _call(client, SEARCH_TOOL, {"limit": 100})
        bad, refused = await _call(client, SEARCH_TOOL, {"tags": ["no-such-tag"]})
    assert [t.name for t in listed] == META
    assert SEARCH_TOOL in instructions and CALL_TOOL in instructions
    assert "list_all_halo_itsm_suppliers" in [r["name"] for r in found["result"]]
    assert all(r["method"] == "list" for r in found["result"])
    assert writes["result"][0]["name"] in {
        "create_a_halo_itsm_ticket",
        "update_a_halo_itsm_ticket_by_id",
        "delete_a_halo_itsm_ticket_by_id",
    }
    assert {r["method"] for r in writes["result"]} <= {"create", "update", "delete"}
    assert everything["total"] == len(generate_tools(breadth=True)) and everything["next_offset"] == 100
    assert bad.is_error and "no-such-tag" in refused["error"]["message"]


async def test_discovery_describes_and_calls_a_tool_with_its_own_result(mock, halo):
    route = mock.get("/api/Supplier").respond(
        json={"record_count": 1, "suppliers": [{"id": 7, "name": "Acme"}]}
    )
    async with Client(build_mcp_server(halo=halo, breadth=True, exposure="discovery")) as client:
        _, described = await _call(client, SCHEMA_TOOL, {"name": "list_all_halo_itsm_suppliers"})
        called, result = await _call(
            client,
            CALL_TOOL,
            {"name": "list_all_halo_itsm_suppliers", "arguments": {"limit": 5, "includeinactive": True}},
        )
        wrong, refused = await _call(
            client, CALL_TOOL, {"name": "list_all_halo_itsm_suppliers", "arguments": {"nope": 1}}
        )
    schema = described["result"]
    assert (
        schema["name"] == "list_all_halo_itsm_suppliers"
        and "includeinactive" in schema["inputSchema"]["properties"]
    )
    assert (
        schema["outputSchema"]["anyOf"][0]["required"] == ["result", "next_cursor"]
        and "generated" in schema["tags"]
    )
    assert not called.is_error and result == {"result": [{"id": 7, "name": "Acme"}], "next_cursor": None}
    assert json.loads(called.content[0].text) == result
    assert route.call_count == 1
    params = route.calls[0].request.url.params
    assert (params["includeinactive"], params["pageinate"], params["page_size"]) == ("true", "true", "5")
    assert (
        wrong.is_error
        and refused["error"]["code"] == "invalid_arguments"
        and "nope" in refused["error"]["message"]
    )


async def test_discovery_keeps_hidden_tools_unknown(mock, halo):
    route = mock.post("/api/Tickets").respond(json={"id": 1})
    reads = select_tools(generate_tools(), methods=["read"], tags=["support"])
    async with Client(build_mcp_server(halo=halo, tools=reads, exposure="discovery")) as client:
        _, found = await _call(client, SEARCH_TOOL, {"query": "create ticket"})
        _, writes = await _call(client, SEARCH_TOOL, {"methods": ["write"]})
        hidden_schema, schema_error = await _call(client, SCHEMA_TOOL, {"name": "create_a_halo_itsm_ticket"})
        hidden_call, call_error = await _call(
            client, CALL_TOOL, {"name": "create_a_halo_itsm_ticket", "arguments": {"summary": "x"}}
        )
        direct, direct_error = await _call(client, "create_a_halo_itsm_ticket", {"summary": "x"})
        loop, loop_error = await _call(client, CALL_TOOL, {"name": CALL_TOOL, "arguments": {}})
        listed = (await client.list_tools()).tools
    assert "create_a_halo_itsm_ticket" not in [r["name"] for r in found["result"]]
    assert writes["result"] == [] and writes["total"] == 0
    for result, error in ((hidden_schema, schema_error), (hidden_call, call_error), (direct, direct_error)):
        assert result.is_error and error["error"]["code"] == "unknown_tool"
        assert error["error"]["message"].startswith("Unknown tool: create_a_halo_itsm_ticket.")
    assert loop.is_error and loop_error["error"]["code"] == "invalid_arguments"
    assert route.call_count == 0
    call_tool = next(t for t in listed if t.name == CALL_TOOL)
    assert call_tool.annotations.read_only_hint is True  # only read tools behind it


async def test_meta_tool_arguments_are_validated(halo):
    async with Client(build_mcp_server(halo=halo, exposure="discovery")) as client:
        for name, args in (
            (SEARCH_TOOL, {"limit": 0}),
            (SEARCH_TOOL, {"methods": ["frobnicate"]}),
            (SCHEMA_TOOL, {}),
            (CALL_TOOL, {"name": "x", "arguments": [1]}),
            (SEARCH_TOOL, {"query": "\ud800" * 3, "extra": True}),
        ):
            result = await client.call_tool(name, args)
            assert result.is_error and result.structured_content["error"]["code"] == "invalid_arguments", (
                name,
                args,
            )


async def test_a_failing_meta_tool_is_a_tool_error_not_a_protocol_error(halo, monkeypatch):
    from halo_sandbox.server.surface import tools as surface

    def broken(*args, **kwargs):
        raise RuntimeError("index gone")

    monkeypatch.setattr(surface, "select_tools", broken)
    async with Client(build_mcp_server(halo=halo, exposure="discovery")) as client:
        result, structured = await _call(client, SEARCH_TOOL, {"query": "tickets"})
    assert result.is_error and structured["error"]["code"] == "internal_error"
