"""`HostOriginGuard`: one ``Host``/``Origin`` policy in front of every route (DNS-rebinding and
cross-site protection).

A request whose ``Host`` is not an allowed name answers ``421``; one carrying an ``Origin`` that is
not allowed (``Origin: null`` included) answers ``403``; requests without ``Origin`` (scripts, SDKs,
agents) pass. Patterns are exact (``127.0.0.1``, ``https://inspector.example``) or end in ``:*`` for
any port (``localhost:*``, ``http://localhost:*``), the format of the MCP SDK's
``TransportSecuritySettings``, so `halo-sandbox up` hands the same lists to both.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "[::1]", "127.0.0.1:*", "localhost:*", "[::1]:*")
LOOPBACK_ORIGINS = (
    "http://127.0.0.1",
    "http://localhost",
    "http://[::1]",
    "http://127.0.0.1:*",
    "http://localhost:*",
    "http://[::1]:*",
)


def _allowed(value: str, patterns: Iterable[str]) -> bool:
    value = value.lower()
    for pattern in patterns:
        pattern = pattern.lower()
        if value == pattern:
            return True
        if pattern.endswith(":*"):
            base, _, port = value.rpartition(":")
            if base == pattern[:-2] and port.isascii() and port.isdigit():
                return True
    return False


class HostOriginGuard:
    """Pure ASGI middleware applying the policy to every HTTP and websocket request."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        allowed_hosts: Iterable[str] = LOOPBACK_HOSTS,
        allowed_origins: Iterable[str] = LOOPBACK_ORIGINS,
    ) -> None:
        self.app = app
        self.allowed_hosts = tuple(allowed_hosts)
        self.allowed_origins = tuple(allowed_origins)

    def refusal(self, headers: Headers) -> tuple[int, str] | None:
        """``(status, message)`` when the request is refused, else ``None``."""
        host = headers.get("host", "")
        if not _allowed(host, self.allowed_hosts):
            return 421, f"Misdirected request: Host {host!r} is not served here (DNS-rebinding protection)."
        origin = headers.get("origin")
        if origin is not None and not _allowed(origin, self.allowed_origins):
            return 403, (
                f"Requests from the web origin {origin!r} are refused (use --allow-origin to "
                "allow a browser page on another origin)."
            )
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        refused = self.refusal(Headers(scope=scope))
        if refused is None:
            await self.app(scope, receive, send)
            return
        status, message = refused
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        body = json.dumps({"message": message}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
