"""The sandbox console: a server-rendered web page at ``/_sandbox/`` showing what the agent did.

- `tool_calls.ToolCallJournal`: the bounded record of MCP tool calls (fed by `build_mcp_server`'s
  ``on_tool_call`` observer in ``halo-sandbox up``).
- `control.ControlPlane`: an httpx client of the mock's ``/_sandbox`` JSON API (journal, faults,
  rate limit, reset, snapshot); the console never imports the mock.
- `timeline.build_view`: joins tool calls with the upstream requests they caused (by call id), counts.
- `routes.console_routes`: the page, its JSON (``/_sandbox/console.json``), the SSE stream
  (``/_sandbox/console/events``) and the form actions.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from halo_sandbox.console.control import ControlPlane
    from halo_sandbox.console.routes import console_routes
    from halo_sandbox.console.tool_calls import ToolCallJournal

__all__ = ["ControlPlane", "ToolCallJournal", "console_routes"]

# Imported on first use, so `halo-sandbox journal` (and every other command, which registers it) does not
# load the MCP server and the web stack just to start.
_WHERE = {"ControlPlane": ".control", "ToolCallJournal": ".tool_calls", "console_routes": ".routes"}


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(_WHERE[name], __name__), name)
