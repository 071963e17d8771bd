"""`build_mcp_server(...)`: the low-level MCP `Server` for one Halo, assembled from `.surface`.

Tools (every generated tool, or the subset given), resources, prompts and completions come from the
`.surface` modules, one per MCP feature. `logging/setLevel` is still answered for clients of
protocol revisions before 2026-07-28, which deprecates logging (SEP-2577); it is accepted and changes
nothing: the server sends no log notifications (upstream requests are logged to stderr, see
`.upstream_log`).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import mcp_types
from mcp.server.context import ServerRequestContext
from mcp.server.lowlevel import Server

from halo_sandbox.server.executor import Executor, ToolCallObserver
from halo_sandbox.server.lane import ToolCallLane
from halo_sandbox.server.surface.completions import completion_handlers
from halo_sandbox.server.surface.mcp_resources import TEMPLATE_COMPLETIONS, resource_handlers
from halo_sandbox.server.surface.prompts import PROMPTS, prompt_handlers
from halo_sandbox.server.surface.tools import Exposure, ToolSurface, tool_handlers
from halo_sandbox.server.tool_specs import ToolSpec, generate_tools, with_file_access
from halo_sandbox.server.upstream import HaloClient

__all__ = ["DISCOVERY_INSTRUCTIONS", "INSTRUCTIONS", "SERVER_VERSION", "build_mcp_server"]

SERVER_VERSION = "0.1.0"
INSTRUCTIONS = (
    "Tools for a HaloITSM tenant. Resolve names to ids with find_halo_itsm_ids (or the list tools), "
    "page lists by passing next_cursor back unchanged, and pass `id` to create_a_* to update a record. "
    "Upstream errors (including 429 rate limits) are returned as-is with their rate-limit fields and are "
    "never retried: decide yourself when to retry."
)
DISCOVERY_INSTRUCTIONS = (
    " This server lists three tools instead of its Halo tools: find a tool with search_halo_itsm_tools "
    "(words, methods, tags), read its arguments with get_halo_itsm_tool_schema, and call it with "
    "call_halo_itsm_tool (name and arguments)."
)


async def _on_set_logging_level(
    ctx: ServerRequestContext[Any], params: mcp_types.SetLevelRequestParams
) -> mcp_types.EmptyResult:
    return mcp_types.EmptyResult()


def build_mcp_server(
    *,
    halo: HaloClient,
    tools: Sequence[ToolSpec] | None = None,
    name: str = "halo-itsm",
    allowed_file_dir: Path | None = None,
    cursor_secret: bytes | None = None,
    on_tool_call: ToolCallObserver | None = None,
    breadth: bool = False,
    exposure: Exposure = "all",
    cache_scope: Literal["public", "private"] = "public",
) -> Server[Any]:
    """A low-level MCP server offering `tools` (default: every curated tool, plus the generated breadth
    catalogue when `breadth`) against `halo`, listed whole or through discovery meta-tools (`exposure`,
    see `surface.tools`). `on_tool_call` (optional) observes every tool call (`executor.ToolCallRecord`),
    e.g. for the console. `cache_scope` is the `cacheScope` hint of `tools/list`."""
    if tools is None:
        tools = generate_tools(file_access=allowed_file_dir is not None, breadth=breadth)
    elif allowed_file_dir is not None:
        tools = [with_file_access(t) for t in tools]
    executor = Executor(
        halo=halo,
        tools=tools,
        cursor_secret=cursor_secret,
        allowed_file_dir=allowed_file_dir,
        on_tool_call=on_tool_call,
    )
    surface = ToolSurface(executor, exposure=exposure, cache_scope=cache_scope)
    server: Server[Any] = Server(
        name,
        version=SERVER_VERSION,
        instructions=INSTRUCTIONS + (DISCOVERY_INSTRUCTIONS if exposure == "discovery" else ""),
        get_tool_input_schema=surface.input_schema,
        **tool_handlers(surface),
        **resource_handlers(halo=halo),
        **prompt_handlers(),
        **completion_handlers(
            halo=halo,
            prompts={n: spec.completions for n, spec in PROMPTS.items()},
            templates=TEMPLATE_COMPLETIONS,
        ),
    )
    # Registered after construction: passing `on_set_logging_level=` makes the SDK warn on every build.
    server.add_request_handler("logging/setLevel", mcp_types.SetLevelRequestParams, _on_set_logging_level)
    # Inside the SDK's OpenTelemetry span: plain tool calls skip the SDK's generic result serialization.
    server.middleware.append(ToolCallLane(surface.call, server_info=lambda: server.server_info_stamp))
    return server
