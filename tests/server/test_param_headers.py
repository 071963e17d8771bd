"""`Mcp-Param-*` headers of 2026-07-28 tool calls: the server gives the SDK a tool's input schema only
when it declares headers (`x-mcp-header`), and every answer is the one the SDK gives when it always
has the schema (the oracle: the same server with the SDK's lookup of the whole schema)."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from halo_sandbox.server.mcp_app import build_mcp_server
from halo_sandbox.server.tool_specs import ToolSpec, generate_tools
from halo_sandbox.server.transports import mcp_asgi_app
from halo_sandbox.server.upstream import HaloClient

pytestmark = pytest.mark.anyio

MODERN = "2026-07-28"
META = {
    "io.modelcontextprotocol/protocolVersion": MODERN,
    "io.modelcontextprotocol/clientCapabilities": {},
    "io.modelcontextprotocol/clientInfo": {"name": "t", "version": "1"},
}
GET = "get_single_halo_itsm_ticket_by_id"
DECLARING = "get_single_halo_itsm_ticket_by_id_with_header"


def _halo(request: httpx.Request) -> httpx.Response:
    if request.url.path == "/auth/token":
        return httpx.Response(200, json={"access_token": "tok", "expires_in": 3600})
    return httpx.Response(200, json={"id": int(request.url.path.rsplit("/", 1)[-1]), "summary": "s"})


def _tools() -> list[ToolSpec]:
    """The curated get, and the same tool under another name whose `id` is declared a header."""
    get = next(t for t in generate_tools() if t.name == GET)
    schema = {**get.input_schema, "properties": dict(get.input_schema["properties"])}
    schema["properties"]["id"] = {**schema["properties"]["id"], "x-mcp-header": "Ticket-Id"}
    tool = get.tool.model_copy(update={"name": DECLARING, "input_schema": schema})
    return [get, dataclasses.replace(get, name=DECLARING, tool=tool)]


@contextlib.asynccontextmanager
async def _servers() -> AsyncIterator[tuple[httpx.AsyncClient, httpx.AsyncClient]]:
    """Ours, and the oracle: the same server whose `get_tool_input_schema` gives every schema whole."""
    halo = HaloClient(
        base_url="http://halo.test", client_id="c", client_secret="s", transport=httpx.MockTransport(_halo)
    )
    schemas = {t.name: t.input_schema for t in _tools()}

    def whole(name: str) -> dict[str, Any] | None:
        return schemas.get(name)

    def oracle() -> Any:
        server = build_mcp_server(halo=halo, tools=_tools())
        server.get_tool_input_schema = whole
        return server

    ours, theirs = mcp_asgi_app(lambda: build_mcp_server(halo=halo, tools=_tools())), mcp_asgi_app(oracle)
    async with contextlib.AsyncExitStack() as stack:
        clients = []
        for app in (ours, theirs):
            await stack.enter_async_context(app.router.lifespan_context(app))
            clients.append(
                await stack.enter_async_context(
                    httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1")
                )
            )
        yield clients[0], clients[1]
    await halo.aclose()


CASES = [
    (GET, {"id": 7}, {}),
    (GET, {"id": 7}, {"Mcp-Param-Id": "8"}),  # declared nowhere: nothing to check
    (DECLARING, {"id": 7}, {"Mcp-Param-Ticket-Id": "7"}),
    (DECLARING, {"id": 7}, {"Mcp-Param-Ticket-Id": "8"}),  # disagrees with the body
    (DECLARING, {"id": 7}, {}),  # missing
    ("no_such_tool", {"id": 7}, {"Mcp-Param-Ticket-Id": "8"}),
]


@pytest.mark.parametrize(("tool", "arguments", "extra"), CASES)
async def test_param_headers_are_checked_as_the_sdk_checks_them(tool, arguments, extra):
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": tool, "arguments": arguments, "_meta": META},
    }
    headers = {
        "Accept": "application/json, text/event-stream",
        "MCP-Protocol-Version": MODERN,
        "Mcp-Method": "tools/call",
        "Mcp-Name": tool,
        **extra,
    }
    async with _servers() as (ours, theirs):
        a, b = [await http.post("/mcp", json=body, headers=headers) for http in (ours, theirs)]
    assert (a.status_code, a.json()) == (b.status_code, b.json())
    if tool == DECLARING and extra.get("Mcp-Param-Ticket-Id") != "7":
        assert a.status_code == 400 and "Mcp-Param-Ticket-Id" in a.json()["error"]["message"]


def test_only_schemas_that_declare_headers_are_given_to_the_sdk():
    from halo_sandbox.server.executor import Executor
    from halo_sandbox.server.surface.tools import ToolSurface

    halo = HaloClient(base_url="http://halo.test", client_id="c", client_secret="s")
    surface = ToolSurface(Executor(halo=halo, tools=_tools()))
    assert surface.input_schema(GET) is None
    assert surface.input_schema("no_such_tool") is None
    declared = surface.input_schema(DECLARING)
    assert declared is not None and declared["properties"]["id"]["x-mcp-header"] == "Ticket-Id"
