"""`tools/list` and `tools/call`: the generated tools (`..tools`) served by one `Executor`.

A tool outside the executor's set answers exactly like an unknown tool (the executor's `unknown_tool`
error result).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import mcp_types as types
from mcp.server.context import ServerRequestContext

from ..executor import Executor

__all__ = ["tool_handlers"]


def tool_handlers(executor: Executor) -> dict[str, Callable[..., Any]]:
    """`on_list_tools` and `on_call_tool` for `Server(...)`."""
    listing = types.ListToolsResult(tools=[t.tool for t in executor.tools])

    async def on_list_tools(ctx: ServerRequestContext[Any],
                            params: types.PaginatedRequestParams | None) -> types.ListToolsResult:
        return listing

    async def on_call_tool(ctx: ServerRequestContext[Any],
                           params: types.CallToolRequestParams) -> types.CallToolResult:
        return await executor.call(params.name, params.arguments)

    return {"on_list_tools": on_list_tools, "on_call_tool": on_call_tool}
