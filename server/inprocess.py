"""`InProcess`: `HaloClient`'s API requests to an ASGI app of the same process, without httpx's
request and transport objects.

`halo-sandbox up` serves its mock and its MCP server in one process; the server stays an ordinary
OAuth client of the mock (its own client id, a bearer token, the `X-Sandbox-*` headers), and every
request passes the mock's whole app: journal, faults, rate limiter, token check. Through
`httpx.ASGITransport` each request also built an `httpx.Request` (a URL parse, header
normalisation), an event and an async stream, then read the answer back through `httpx.Response`'s
decoders: for a detailed ticket (21 KB) about a tenth of a tool call's CPU. Here the ASGI scope is
built from the pieces `HaloClient` already has, the same scope `httpx.ASGITransport` builds for that
request (header order and values, `path`, `raw_path`, `query_string`, `server`, `client`), and the
answer is an `httpx.Response` holding the body as read (no content decoding: the app answers
uncompressed; an answer that says `content-encoding` goes through httpx's decoders as before).

An exception the app raises reaches the caller as with `httpx.ASGITransport`: the sandbox wraps its
mock so that one before the response starts is a 500 and one after it (a `drop` fault) is an httpx
transport error.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

import anyio
import httpx
from starlette.types import ASGIApp, Message

__all__ = ["InProcess"]

_SAFE_TARGET = re.compile(r"(?:[A-Za-z0-9\-_~/!$&'()*+,;=:@?]|%[0-9A-Fa-f]{2}|(?<!/)\.)*")
"""A request target httpx sends exactly as written: nothing to percent-encode and no dot segment to
remove (our paths, with ids quoted, and the query strings `httpx.QueryParams` writes). Anything else
is parsed by `httpx.URL`, as the transport would."""
_MAX_URL = 65_536
"""Longer URLs go through `httpx.URL`, which refuses them (`InvalidURL`)."""
_CLIENT = ("127.0.0.1", 123)
"""The client address `httpx.ASGITransport` reports (its default)."""
_BODY_METHODS = ("POST", "PUT", "PATCH")


class _Read(httpx.AsyncByteStream):
    """The answer's body, already complete (for `Response.stream`; `content` is set from it)."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    async def __aiter__(self) -> Any:
        yield self._body


class InProcess:
    """Sends requests to `app` at the origin of `base_url` (`http://halo-sandbox.internal`)."""

    def __init__(self, app: ASGIApp, base_url: str) -> None:
        url = httpx.URL(base_url)
        self.app = app
        self._origin = f"{url.scheme}://{url.netloc.decode('ascii')}"
        self._scheme = url.scheme
        self._server = (url.host, url.port)
        self._host = (b"Host", url.netloc)

    async def send(
        self, method: str, target: str, headers: Mapping[str, str], json_body: Any = None
    ) -> httpx.Response:
        """`method target` (an absolute path with its query string) with `headers` and, unless None, a
        JSON body, as one call of the app; its complete answer."""
        body = b""
        fields = [self._host, *((k.encode(), v.encode()) for k, v in headers.items())]
        if json_body is not None:  # as httpx encodes `json=`: its bytes and its two headers
            body = json.dumps(json_body, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()
            fields += [(b"Content-Length", str(len(body)).encode()), (b"Content-Type", b"application/json")]
        elif method in _BODY_METHODS:
            fields.insert(1, (b"Content-Length", b"0"))
        if len(self._origin) + len(target) <= _MAX_URL and _SAFE_TARGET.fullmatch(target):
            raw_path, _, query = target.encode().partition(b"?")
            path = unquote(raw_path.decode())
        else:
            url = httpx.URL(self._origin + target)
            raw_path, query, path = url.raw_path.split(b"?")[0], url.query, url.path
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": method,
            "headers": [(k.lower(), v) for k, v in fields],
            "scheme": self._scheme,
            "path": path,
            "raw_path": raw_path,
            "query_string": query,
            "server": self._server,
            "client": _CLIENT,
            "root_path": "",
        }
        return await self._call(scope, body, head=method == "HEAD")

    async def _call(self, scope: dict[str, Any], body: bytes, *, head: bool) -> httpx.Response:
        sent = False
        status: int | None = None
        answer_headers: list[tuple[bytes, bytes]] = []
        parts: list[bytes] = []

        answered: anyio.Event | None = None
        complete = False

        async def receive() -> Message:
            nonlocal sent, answered
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            # past the request the app only learns of a disconnect: the client leaves once answered
            if not complete:
                answered = answered or anyio.Event()
                await answered.wait()
            return {"type": "http.disconnect"}

        async def send(message: Message) -> None:
            nonlocal status, answer_headers, complete
            if message["type"] == "http.response.start":
                status, answer_headers = message["status"], list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                chunk = message.get("body", b"")
                if chunk and not head:
                    parts.append(chunk)
                if not message.get("more_body", False):
                    complete = True
                    if answered is not None:
                        answered.set()

        await self.app(scope, receive, send)
        assert status is not None, "the app returned without answering"
        content = b"".join(parts)
        response = httpx.Response(status, headers=answer_headers, stream=_Read(content))
        if any(k.lower() == b"content-encoding" for k, _ in answer_headers):
            await response.aread()  # httpx's decoders, as its transport would
        else:
            response._content = content  # what `aread` leaves behind, without the decoders (httpx is pinned)
        return response
