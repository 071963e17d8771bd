"""The JSON-RPC a test sends to `/mcp` by hand (below the SDK's client): the Streamable HTTP
`Accept` header and an `initialize` request."""

from __future__ import annotations

from typing import Any

__all__ = ["ACCEPT", "initialize"]

ACCEPT = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


def initialize(protocol: str, *, client: str = "test", request_id: int = 1) -> dict[str, Any]:
    """An `initialize` request for ``protocol`` from a client named ``client``."""
    return {
        "jsonrpc": "2.0",
        "id": request_id,
        "method": "initialize",
        "params": {
            "protocolVersion": protocol,
            "capabilities": {},
            "clientInfo": {"name": client, "version": "1"},
        },
    }
