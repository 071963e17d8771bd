"""The sandbox a verify run points the server under test at: the mock Halo served by uvicorn on
127.0.0.1 (a free port unless one is asked for), in the run's own event loop, with a tap that keeps
the bodies of the `/api` exchanges (the mock's journal keeps methods, paths and statuses only)."""

from __future__ import annotations

import contextlib
import json
import re
import socket
import sys
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from halo_sandbox.harness import free_port, serving
from halo_sandbox.serving import bind

__all__ = [
    "PLACEHOLDERS",
    "Exchange",
    "VerifySandbox",
    "check_placeholders",
    "fill_placeholders",
    "running_sandbox",
]

_BODY_LIMIT = 8 * 1024 * 1024
_IGNORED = b"x-sandbox-ignored"
"""Bytes of each body the tap keeps (reads are compared with the very answer the mock gave)."""
PLACEHOLDERS: dict[str, str] = {
    "halo_url": "the sandbox's base URL, http://127.0.0.1:PORT (Halo's https://TENANT.halopsa.com)",
    "api_url": "{halo_url}/api, the resource server",
    "auth_url": "{halo_url}/auth/token, the token endpoint (POST client credentials here)",
    "auth_server": "{halo_url}/auth, the authorisation server (for servers that append /token)",
    "client_id": "the sandbox's API client id (halo-sandbox)",
    "client_secret": "its client secret (halo-sandbox-secret)",
    "tenant": "the sandbox's tenant name (sandbox)",
    "port": "a free 127.0.0.1 port for an HTTP server the run starts",
    "python": "the Python interpreter running verify",
}
"""Every placeholder a command, URL or ``--env`` value may hold, and what it expands to."""
_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True, kw_only=True)
class Exchange:
    """One request that reached the mock, with (the start of) both bodies."""

    seq: int
    method: str
    path: str
    query: str
    status: int | None
    request_body: bytes
    response_body: bytes
    at: float = 0.0
    """`time.monotonic()` when the request arrived (how long a server waited before a retry)."""
    ignored: str = ""
    """The mock's ``X-Sandbox-Ignored`` header: what it noted (its own checks that accepted, too)."""
    raw_path: str = ""
    """The path as it was sent, percent-escapes kept (``/api/Priority/%2E%2E``; `path` is decoded)."""

    @property
    def complete(self) -> bool:
        return len(self.response_body) < _BODY_LIMIT

    def answer(self) -> Any:
        """The mock's answer as JSON (``None`` when it was cut at the tap's limit or is not JSON)."""
        if not self.complete or not self.response_body:
            return None
        try:
            return json.loads(self.response_body)
        except ValueError:
            return None

    def line(self) -> str:
        query = f"?{self.query}" if self.query else ""
        return f"{self.method} {self.path}{query} -> {self.status if self.status is not None else 'dropped'}"


Rewrite = Callable[[str, str, bytes], bytes | None]
"""``(path, query, JSON body of a 200) -> new body or None (unchanged)``."""


class _Tap:
    """ASGI middleware recording every `/api` and `/auth` exchange (bodies cut at `_BODY_LIMIT`). While
    `rewrite` is set, the JSON bodies of successful `/api` GETs pass through it (a property's way to
    answer as other Halo versions do, e.g. a list without ``record_count``)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.exchanges: list[Exchange] = []
        self.elsewhere: list[Exchange] = []
        """Requests to any other path (``/``, ``/_sandbox/...``: where a path with dot segments
        resolved), without bodies; not in `exchanges`, which the other properties read."""
        self.rewrite: Rewrite | None = None
        self.lose_answer: Callable[[str, str], int | None] | None = None
        """``(method, path) -> status or None``: while set, a matching request is served by the
        mock (a POST saves its record) but its answer is replaced by that status: the answer a
        gateway loses after Halo did the work (what makes a retried create a duplicate)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if not path.lower().startswith(("/api", "/auth")):
            await self._elsewhere(path, scope, receive, send)
            return
        request = bytearray()
        response = bytearray()
        status: list[int] = []
        ignored: list[str] = []
        arrived = time.monotonic()
        rewrite = self.rewrite if scope["method"] == "GET" and path.lower().startswith("/api/") else None
        held: list[Message] = []
        lost = self.lose_answer(scope["method"], path) if self.lose_answer is not None else None

        async def tapped_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request" and len(request) < _BODY_LIMIT:
                request.extend(message.get("body", b"")[: _BODY_LIMIT - len(request)])
            return message

        async def tapped_send(message: Message) -> None:
            if lost is not None:
                if message["type"] == "http.response.start":
                    status.append(lost)
                elif message["type"] == "http.response.body" and not message.get("more_body"):
                    body = b'{"message":"Bad Gateway: the upstream answer was lost."}'
                    response.extend(body)
                    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
                    await send({"type": "http.response.start", "status": lost, "headers": headers})
                    await send({"type": "http.response.body", "body": body})
                return
            if message["type"] == "http.response.start":
                status.append(message["status"])
                ignored.extend(v.decode("latin-1") for k, v in message.get("headers", []) if k == _IGNORED)
                if rewrite is not None and message["status"] == 200:
                    held.append(message)
                    return
            elif held:
                held.append(message)
                if message.get("more_body"):
                    return
                message = await _rewritten(held, rewrite, path, scope, send)  # type: ignore[arg-type]
            if message["type"] == "http.response.body" and len(response) < _BODY_LIMIT:
                response.extend(message.get("body", b"")[: _BODY_LIMIT - len(response)])
            await send(message)

        try:
            await self.app(scope, tapped_receive, tapped_send)
        finally:
            self.exchanges.append(
                Exchange(
                    seq=len(self.exchanges) + 1,
                    method=scope["method"],
                    path=path,
                    query=scope.get("query_string", b"").decode("latin-1"),
                    status=status[0] if status else None,
                    request_body=bytes(request),
                    response_body=bytes(response),
                    at=arrived,
                    ignored="; ".join(ignored),
                    raw_path=_raw_path(scope),
                )
            )

    async def _elsewhere(self, path: str, scope: Scope, receive: Receive, send: Send) -> None:
        status: list[int] = []

        async def watched(message: Message) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
            await send(message)

        arrived = time.monotonic()
        try:
            await self.app(scope, receive, watched)
        finally:
            self.elsewhere.append(
                Exchange(
                    seq=len(self.elsewhere) + 1,
                    method=scope["method"],
                    path=path,
                    query=scope.get("query_string", b"").decode("latin-1"),
                    status=status[0] if status else None,
                    request_body=b"",
                    response_body=b"",
                    at=arrived,
                    raw_path=_raw_path(scope),
                )
            )


def _raw_path(scope: Scope) -> str:
    """The request's path as sent (escapes kept), else its decoded path."""
    raw = scope.get("raw_path")
    if isinstance(raw, bytes) and raw:
        return raw.split(b"?", 1)[0].decode("latin-1")
    return str(scope.get("path", ""))


async def _rewritten(held: list[Message], rewrite: Rewrite, path: str, scope: Scope, send: Send) -> Message:
    """Send the held response start with the rewritten body's length; return the body message."""
    start, body = held[0], b"".join(m.get("body", b"") for m in held[1:])
    query = scope.get("query_string", b"").decode("latin-1")
    new = rewrite(path, query, body)
    if new is not None:
        body = new
    headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
    await send({**start, "headers": [*headers, (b"content-length", str(len(body)).encode())]})
    return {"type": "http.response.body", "body": body}


@dataclass(kw_only=True)
class VerifySandbox:
    """A running mock: where it is, its credentials, and in-process handles on its one tenant."""

    base_url: str
    port: int
    server_port: int
    """A second free port, offered to the server under test as ``{port}`` (for an HTTP server the
    verify run starts itself)."""
    registry: Any
    settings: Any
    tap: _Tap
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def tenant(self) -> Any:
        return self.registry.get(self.settings.default_tenant)

    @property
    def store(self) -> Any:
        return self.tenant.store

    def placeholders(self) -> dict[str, str]:
        return {
            "halo_url": self.base_url,
            "api_url": f"{self.base_url}/api",
            "auth_url": f"{self.base_url}/auth/token",
            "auth_server": f"{self.base_url}/auth",
            "client_id": self.settings.client_id,
            "client_secret": self.settings.client_secret,
            "tenant": self.settings.default_tenant,
            "port": str(self.server_port),
            "python": sys.executable,
        }


def check_placeholders(text: str, *, where: str) -> None:
    """Raise ``ValueError`` naming the known placeholders when ``text`` holds an unknown one
    (``{halourl}``); braces around anything but a name (JSON, ``{0}``) are left alone."""
    unknown = [m.group(1) for m in _PLACEHOLDER.finditer(text) if m.group(1) not in PLACEHOLDERS]
    if unknown:
        known = " ".join("{" + name + "}" for name in PLACEHOLDERS)
        raise ValueError(f"{where}: unknown placeholder {{{unknown[0]}}}; known placeholders: {known}")


def fill_placeholders(text: str, values: dict[str, str]) -> str:
    """Replace ``{halo_url}``, ``{client_id}``, ... in ``text``; other braces are left as they are."""
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def _free_socket(port: int = 0) -> socket.socket:
    return bind("127.0.0.1", port)


@contextlib.asynccontextmanager
async def running_sandbox(
    *, port: int = 0, seed: int = 0, tenant: str = "sandbox"
) -> AsyncIterator[VerifySandbox]:
    """Serve a fresh mock (rate limiting off, no admin key) until the block ends."""
    from halo_sandbox.mock.config import MockSettings
    from halo_sandbox.mock.http.app import create_app
    from halo_sandbox.mock.tenants import TenantRegistry

    sock = _free_socket(port)
    bound = sock.getsockname()[1]
    base = f"http://127.0.0.1:{bound}"
    settings = MockSettings(seed=seed, rate_limit=None, base_url=base, default_tenant=tenant)
    registry = TenantRegistry(settings)
    registry.get()  # build the tenant's world before the server under test starts
    tap = _Tap(create_app(registry=registry))
    async with serving(tap, sock=sock, log_level="critical", lifespan="off"):
        yield VerifySandbox(
            base_url=base, port=bound, server_port=free_port(), registry=registry, settings=settings, tap=tap
        )
