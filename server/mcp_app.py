"""`build_mcp_server(...)`: the low-level MCP `Server` exposing the generated Halo tools.

The tools come from `tools.generate_tools()` (or a filtered subset from `tools.select_tools`);
`tools/call` for a tool outside that set answers exactly like an unknown tool. When the module
`server.context` exists, its `context_handlers(halo=...)` supplies the extra `on_*` handlers
(resources, prompts, completions, logging) merged into the `Server(...)` call.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import mcp_types
from mcp.server.context import ServerRequestContext
from mcp.server.lowlevel import Server

from .executor import Executor, ToolCallObserver
from .tools import ToolSpec, generate_tools, with_file_access
from .upstream import HaloClient

SERVER_VERSION = "0.1.0"
INSTRUCTIONS = (
    "Tools for a HaloITSM tenant. Resolve names to ids with find_halo_itsm_ids (or the list tools), "
    "page lists by passing next_cursor back unchanged, and pass `id` to create_a_* to update a record. "
    "Upstream errors (including 429 rate limits) are returned as-is with their rate-limit fields and are "
    "never retried: decide yourself when to retry."
)


def _context_handlers(halo: HaloClient) -> dict[str, Any]:
    try:
        context = importlib.import_module(f"{__package__}.context")
    except ModuleNotFoundError as exc:
        if exc.name != f"{__package__}.context":
            raise
        return {}
    factory = getattr(context, "context_handlers", None)
    return dict(factory(halo=halo)) if factory is not None else {}


def build_mcp_server(
    *,
    halo: HaloClient,
    tools: Sequence[ToolSpec] | None = None,
    name: str = "halo-itsm",
    allowed_file_dir: Path | None = None,
    cursor_secret: bytes | None = None,
    on_tool_call: ToolCallObserver | None = None,
) -> Server[Any]:
    """A low-level MCP server offering `tools` (default: every generated tool) against `halo`.
    `on_tool_call` (optional) observes every tool call (`executor.ToolCallRecord`), e.g. for the console."""
    if tools is None:
        tools = generate_tools(file_access=allowed_file_dir is not None)
    elif allowed_file_dir is not None:
        tools = [with_file_access(t) for t in tools]
    executor = Executor(halo=halo, tools=tools, cursor_secret=cursor_secret, allowed_file_dir=allowed_file_dir,
                        on_tool_call=on_tool_call)
    listing = mcp_types.ListToolsResult(tools=[t.tool for t in executor.tools])
    schemas = {t.name: t.tool.input_schema for t in executor.tools}

    async def on_list_tools(
        ctx: ServerRequestContext[Any], params: mcp_types.PaginatedRequestParams | None
    ) -> mcp_types.ListToolsResult:
        return listing

    async def on_call_tool(
        ctx: ServerRequestContext[Any], params: mcp_types.CallToolRequestParams
    ) -> mcp_types.CallToolResult:
        return await executor.call(params.name, params.arguments)

    handlers = _context_handlers(halo)
    handlers.update(on_list_tools=on_list_tools, on_call_tool=on_call_tool)
    return Server(
        name,
        version=SERVER_VERSION,
        instructions=INSTRUCTIONS,
        get_tool_input_schema=schemas.get,
        **handlers,
    )
