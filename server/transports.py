"""How the MCP server is reached: Streamable HTTP, legacy HTTP+SSE, and stdio.

- `mcp_asgi_app(server_factory, ...)`: a Starlette app serving one MCP server over Streamable HTTP
  (`/mcp`, the SDK's `StreamableHTTPSessionManager`) and, unless `sse_path=None`, over the legacy
  HTTP+SSE transport (`/sse` + `/messages/`, the SDK's `SseServerTransport`). Its lifespan runs the
  session manager; a parent app enters it with `app.router.lifespan_context(app)`.
- `security_settings(...)`: the `Host`/`Origin` checks every HTTP endpoint applies (the SDK's
  `TransportSecuritySettings`): requests without `Origin`, or from `localhost` / `127.0.0.1` /
  `[::1]` (any port) and the origins given with `--allow-origin`, are served; any other `Origin`
  is refused with 403, a foreign `Host` with 421 (DNS-rebinding protection).
- `RateLimitHeaders`: ASGI middleware that copies the normalised rate-limit fields of a tool result
  (`ratelimit-limit`, `ratelimit-remaining`, `ratelimit-reset`, and `retry-after`) onto the HTTP
  response that carries it. To be able to set headers after the result is known, the response to a
  `tools/call` POST is held until it is complete (notifications sent during the call arrive
  together with the result, in order; the server makes no server-to-client requests during a tool
  call, which would wait on a reply the client cannot see yet). Over the legacy SSE transport results travel
  on the
  long-lived event stream whose headers went out at connect time, so there the fields are only in
  the result (`structuredContent.error.ratelimit` / `retry_after`). The request body is parsed once
  (to see whether it is a tool call); a held response is not parsed again: only the small
  `_meta` rate-limit object is decoded where it sits, and an error result (small) in full.
- One JSON document per request: the server sends nothing while it answers a request (no log
  messages, no progress, no requests to the client), so every `POST` is answered in the SDK's JSON
  mode (`json_response=True`), 2026-07-28 single exchanges and handshake-era sessions alike: the
  handler runs in the request's own task, with no event stream, task group or disconnect watcher.
  `subscriptions/listen` and the standalone `GET` stream stay SSE (the SDK's carve-out).
- `run_stdio(server)`: serve one MCP server over this process's stdin/stdout.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import socket
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from json import JSONDecodeError
from typing import Any

import anyio
import orjson
from mcp.server.lowlevel import Server
from mcp.server.sse import SseServerTransport
from mcp.server.streamable_http import MCP_SESSION_ID_HEADER
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import DEFAULT_MAX_REQUEST_BODY_SIZE, TransportSecuritySettings
from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from halo_sandbox.protocol import RATELIMIT_META
from halo_sandbox.server.lane import SPLICES, Splices

__all__ = [
    "LOOPBACK_BINDS",
    "RateLimitHeaders",
    "mcp_asgi_app",
    "ratelimit_headers",
    "run_stdio",
    "security_settings",
    "session_manager_factory",
]

LOOPBACK_BINDS = ("127.0.0.1", "localhost", "::1")
WILDCARD_HOSTS = ("0.0.0.0", "::", "")
_LOCAL_ORIGINS = ("http://127.0.0.1", "http://localhost", "http://[::1]")

ServerFactory = Callable[[], Server[Any]]


def _machine_names() -> set[str]:
    """Names and addresses clients may use as `Host` for a server bound to every interface."""
    names = {socket.gethostname(), socket.getfqdn()}
    for name in list(names):
        try:
            names |= set(socket.gethostbyname_ex(name)[2])
        except OSError:
            continue
    return {n for n in names if n}


def security_settings(
    *, host: str = "127.0.0.1", allowed_origins: Iterable[str] = ()
) -> TransportSecuritySettings:
    """`Host`/`Origin` validation for a server bound to `host`.

    Loopback names are always accepted as `Host` (any port); a non-loopback bind address is accepted
    too, and for a wildcard bind (`0.0.0.0`, `::`) this machine's host names and addresses. Origins: none
    (non-browser clients), the loopback origins on any port, and `allowed_origins`
    (exact, e.g. ``https://inspector.example``, or with ``:*`` for any port).
    """
    hosts = ["127.0.0.1", "localhost", "[::1]", "127.0.0.1:*", "localhost:*", "[::1]:*"]
    names = _machine_names() if host in WILDCARD_HOSTS else ({host} if host not in LOOPBACK_BINDS else set())
    for name in sorted(names):
        bracketed = f"[{name}]" if ":" in name else name
        hosts += [bracketed, f"{bracketed}:*"]
    origins = [*_LOCAL_ORIGINS, *(f"{o}:*" for o in _LOCAL_ORIGINS)]
    for origin in allowed_origins:
        origin = origin.strip().rstrip("/")
        if not origin.startswith(("http://", "https://")):
            raise ValueError(f"allowed origin must start with http:// or https://, got {origin!r}")
        origins.append(origin)
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True, allowed_hosts=hosts, allowed_origins=origins
    )


def session_manager_factory(
    *,
    security: TransportSecuritySettings,
    json_response: bool = True,
    max_sessions: int | None = None,
    max_sessions_per_client: int | None = None,
    handshake_seconds: float | None = None,
) -> Callable[[Server[Any]], StreamableHTTPSessionManager]:
    """A factory of Streamable HTTP session managers that apply `security` and set the rate-limit
    headers (shared by `/mcp` and the provisioned `/mcp/{token}` servers so both behave alike); the
    caps default to `MAX_SESSIONS`, `MAX_SESSIONS_PER_CLIENT` and `HANDSHAKE_SECONDS`."""

    def build(server: Server[Any]) -> StreamableHTTPSessionManager:
        return _SessionManager(
            app=server,
            security_settings=security,
            json_response=json_response,
            max_sessions=MAX_SESSIONS if max_sessions is None else max_sessions,
            max_per_client=MAX_SESSIONS_PER_CLIENT
            if max_sessions_per_client is None
            else max_sessions_per_client,
            handshake_seconds=HANDSHAKE_SECONDS if handshake_seconds is None else handshake_seconds,
        )

    return build


def _client_host(scope: Scope) -> str:
    """The client's address (host only: the port changes with every connection)."""
    client = scope.get("client")
    return str(client[0]) if client else ""


@dataclass(eq=False)
class _Seat:
    """One stateful session or SSE stream as the caps see it."""

    address: str
    last: float
    """When a request of it last ended (or it opened)."""
    confirmed: bool = False
    """The client sent something after opening it (a second request, a message on the stream)."""
    busy: int = 0
    """Requests of it in flight (an SSE stream counts as idle between messages)."""


def _evictable(seats: Mapping[Any, _Seat]) -> Any:
    """The key of the seat to close to make room: never one with a request in flight; the unconfirmed
    first, then the one idle longest. None if every seat is busy."""
    idle = [(not seat.confirmed, -seat.last, key) for key, seat in seats.items() if not seat.busy]
    return max(idle, key=lambda t: (t[0], t[1]))[2] if idle else None


_OPENER: contextvars.ContextVar[tuple[str, list[str]] | None] = contextvars.ContextVar(
    "halo_sandbox_session_opener", default=None
)
"""The address of the client whose request may open a session, and where the new session's id goes."""


class _SessionManager(StreamableHTTPSessionManager):
    """The SDK's session manager with `RateLimitHeaders` in front of `handle_request`, and per-client
    limits on stateful (handshake-era) sessions:

    - a session whose client sends nothing after its opening `initialize` is closed after
      ``handshake_seconds`` (the SDK would keep it for its 30-minute idle timeout);
    - one client address holds at most ``max_per_client`` sessions, all clients ``max_sessions``; at
      either cap the session to close is chosen by `_evictable` (one never confirmed, else the one idle
      longest; never one with a request in flight), so a flood of sessions cannot lock new clients
      out: 503 only when every session has a request in flight.

    Stateless 2026-07-28 requests never reach the stateful path (the SDK routes them by header) and
    hold no session."""

    def __init__(
        self,
        *,
        max_per_client: int = 0,
        handshake_seconds: float = 0.0,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        self.max_per_client = max_per_client or MAX_SESSIONS_PER_CLIENT
        self.handshake_seconds = handshake_seconds or HANDSHAKE_SECONDS
        self._seats: dict[str, _Seat] = {}
        self._with_headers = RateLimitHeaders(
            super().handle_request, max_body_size=self.max_request_body_size
        )

    async def handle_request(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._with_headers(scope, receive, send)

    @contextlib.asynccontextmanager
    async def run(self) -> AsyncIterator[None]:
        async with super().run():
            assert self._task_group is not None
            self._task_group.start_soon(self._close_unconfirmed)
            yield

    async def _close_unconfirmed(self) -> None:
        """Close the sessions whose client sent nothing after `initialize` for ``handshake_seconds``."""
        while True:
            await anyio.sleep(min(1.0, self.handshake_seconds / 4))
            now = anyio.current_time()
            for session_id, seat in list(self._seats.items()):
                if not seat.confirmed and not seat.busy and now - seat.last >= self.handshake_seconds:
                    self._close(session_id)

    def _close(self, session_id: str) -> None:
        """Forget ``session_id`` now (its id answers 404 from here on) and end it in the background."""
        self._seats.pop(session_id, None)
        transport = self._server_instances.pop(session_id, None)
        self._session_owners.pop(session_id, None)
        if transport is not None and self._task_group is not None:
            self._task_group.start_soon(self._discard_session, session_id, transport)

    async def _discard_session(self, session_id: str, transport: Any) -> None:
        self._seats.pop(session_id, None)
        await super()._discard_session(session_id, transport)

    async def _handle_stateful_request(self, scope: Scope, receive: Receive, send: Send) -> None:
        session_id = Headers(scope=scope).get(MCP_SESSION_ID_HEADER)
        seat = self._seats.get(session_id) if session_id is not None else None
        if seat is not None:
            seat.confirmed, seat.busy = True, seat.busy + 1
            try:
                await super()._handle_stateful_request(scope, receive, send)
            finally:
                seat.busy -= 1
                seat.last = anyio.current_time()
            return
        opened: list[str] = []
        token = _OPENER.set((_client_host(scope), opened) if session_id is None else None)
        try:
            await super()._handle_stateful_request(scope, receive, send)
        finally:
            _OPENER.reset(token)
            for new in opened:
                if new in self._seats:
                    self._seats[new].busy = 0
                    self._seats[new].last = anyio.current_time()

    def _admit_session(self, requestor: Any) -> Any:
        """Make room (`_evictable`) at the client's or the overall cap, then let the SDK admit it."""
        opener = _OPENER.get()
        address, opened = opener if opener is not None else ("", [])
        mine = {k: seat for k, seat in self._seats.items() if seat.address == address}
        if len(mine) >= self.max_per_client:
            victim = _evictable(mine)
            if victim is not None:
                self._close(victim)
        if self.max_sessions is not None and len(self._server_instances) >= self.max_sessions:
            victim = _evictable(self._seats)
            if victim is not None:
                self._close(victim)
        transport = super()._admit_session(requestor)
        if transport is not None and transport.mcp_session_id is not None:
            self._seats[transport.mcp_session_id] = _Seat(address=address, last=anyio.current_time(), busy=1)
            opened.append(transport.mcp_session_id)
        return transport


# ---------------------------------------------------------------- rate-limit headers


def ratelimit_headers(result: Mapping[str, Any]) -> dict[str, str]:
    """The HTTP headers for one JSON-RPC `tools/call` result (wire form): taken from the result's
    `_meta` rate-limit fields, else from `structuredContent.error`. Empty when there are none."""
    fields: Any = (result.get("_meta") or {}).get(RATELIMIT_META)
    if not isinstance(fields, Mapping):
        structured = result.get("structuredContent")
        error = structured.get("error") if isinstance(structured, Mapping) else None
        fields = error if isinstance(error, Mapping) else {}
    headers: dict[str, str] = {}
    ratelimit = fields.get("ratelimit")
    if isinstance(ratelimit, Mapping):
        for key in ("limit", "remaining", "reset"):
            value = ratelimit.get(key)
            if isinstance(value, int) and not isinstance(value, bool):
                headers[f"ratelimit-{key}"] = str(value)
    retry_after = fields.get("retry_after")
    if isinstance(retry_after, int) and not isinstance(retry_after, bool):
        headers["retry-after"] = str(retry_after)
    return headers


def _messages(body: bytes, content_type: str) -> list[Any]:
    """JSON-RPC messages in a response body (a JSON document, or the `data:` of SSE events)."""
    texts: list[str] = []
    if "text/event-stream" in content_type:
        for event in body.decode("utf-8", "replace").replace("\r\n", "\n").split("\n\n"):
            data = [line[5:].removeprefix(" ") for line in event.split("\n") if line.startswith("data:")]
            if data:
                texts.append("\n".join(data))
    else:
        texts.append(body.decode("utf-8", "replace"))
    messages: list[Any] = []
    for text in texts:
        try:
            parsed = json.loads(text)
        except ValueError:
            continue
        messages.extend(parsed if isinstance(parsed, list) else [parsed])
    return messages


_META_KEY = json.dumps(RATELIMIT_META).encode()
_ERROR_FIELD = b'"retry_after"'
_DECODER = json.JSONDecoder()


def _loads(body: bytes | bytearray) -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        pass
    try:  # what orjson refuses but the SDK may accept (e.g. integers beyond 64 bits)
        return json.loads(body)
    except (ValueError, RecursionError):  # deeply nested JSON: the SDK answers it with a parse error
        return None


def _is_tool_call(parsed: Any) -> bool:
    items = parsed if isinstance(parsed, list) else [parsed]
    return any(isinstance(m, dict) and m.get("method") == "tools/call" for m in items)


def _meta_fields(payload: bytes) -> list[Any]:
    """The `_meta` rate-limit objects in a response body, decoded where they sit (the rest of the
    body is not parsed). A key occurrence counts only where JSON puts an object key (after `{` or
    `,`); inside a JSON string its quotes would be escaped."""
    found: list[Any] = []
    start = payload.find(_META_KEY)
    while start != -1:
        before = start - 1
        while before >= 0 and payload[before] in b" \t\r\n":
            before -= 1
        end = start + len(_META_KEY)
        if before >= 0 and payload[before] in b"{,":
            rest = payload[end : end + 2048].lstrip()
            if rest[:1] == b":":
                text = rest[1:].decode("utf-8", "replace").lstrip()
                try:
                    found.append(_DECODER.raw_decode(text)[0])
                except JSONDecodeError:
                    pass
        start = payload.find(_META_KEY, end)
    return found


def _headers_for(payload: bytes, content_type: str) -> dict[str, str]:
    """The rate-limit headers for a held `tools/call` response body."""
    extra: dict[str, str] = {}
    for fields in _meta_fields(payload):
        extra.update(ratelimit_headers({"_meta": {RATELIMIT_META: fields}}))
    if extra or _ERROR_FIELD not in payload:
        return extra
    for item in _messages(payload, content_type):  # an error result without `_meta`: small, parse it
        if isinstance(item, dict) and isinstance(item.get("result"), dict):
            extra.update(ratelimit_headers(item["result"]))
    return extra


class RateLimitHeaders:
    """Sets `ratelimit-*` / `retry-after` on the HTTP response carrying a `tools/call` result.

    Only POSTs whose body is a `tools/call` request are touched; everything else (other methods,
    GET event streams, bodies over `max_body_size`) passes through unbuffered. A held tool call's
    scope carries its `lane.Splices` under `lane.SPLICES`.
    """

    def __init__(self, app: ASGIApp, *, max_body_size: int = DEFAULT_MAX_REQUEST_BODY_SIZE) -> None:
        self.app = app
        self.max_body_size = max_body_size

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        body = bytearray()
        more = True
        trailing: list[Message] = []
        while (
            more and len(body) <= self.max_body_size
        ):  # read the body so it can be inspected, then replay it
            message = await receive()
            if message["type"] != "http.request":
                trailing.append(message)
                break
            body += message.get("body", b"")
            more = message.get("more_body", False)
        replay: list[Message] = [
            {"type": "http.request", "body": bytes(body), "more_body": more and not trailing},
            *trailing,
        ]

        async def replayed() -> Message:
            return replay.pop(0) if replay else await receive()

        if more or len(body) > self.max_body_size:
            await self.app(scope, replayed, send)
            return
        if not _is_tool_call(_loads(body)):
            await self.app(scope, replayed, send)
            return
        splices = Splices()
        scope = {**scope, SPLICES: splices}

        start: Message | None = None
        held: list[bytes] = []

        async def hold(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                return
            if message["type"] != "http.response.body" or start is None:
                await send(message)
                return
            held.append(message.get("body", b""))
            if message.get("more_body", False):
                return
            payload = b"".join(held)
            headers = list(start.get("headers", []))
            extra = _headers_for(payload, Headers(raw=headers).get("content-type", ""))
            headers += [(k.encode("latin-1"), v.encode("latin-1")) for k, v in extra.items()]
            if splices:  # the encoded results in place of their placeholders (`lane.Splices`)
                payload = splices.apply(payload)
                headers = [
                    (k, str(len(payload)).encode() if k.lower() == b"content-length" else v)
                    for k, v in headers
                ]
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": payload, "more_body": False})

        await self.app(scope, replayed, hold)


# ---------------------------------------------------------------- apps


MAX_SSE_STREAMS = 100
"""Open legacy SSE streams at once (each runs a server of its own); beyond it `/sse` answers 503."""
SSE_IDLE_SECONDS = 1800.0
"""A legacy SSE stream on which the client posted nothing for this long is closed."""
MAX_SSE_STREAMS_PER_CLIENT = 50
"""Open legacy SSE streams of one client address; at the cap its own idle-longest stream is closed."""
MAX_SESSIONS = 1000
"""Streamable HTTP sessions at once (the SDK's cap; idle ones end after its 30 minutes)."""
MAX_SESSIONS_PER_CLIENT = 500
"""Streamable HTTP sessions of one client address; at the cap its own idle-longest session is closed."""
HANDSHAKE_SECONDS = 10.0
"""A handshake-era session (or legacy SSE stream) whose client sends nothing after opening it is
closed after this long."""


class _Activity:
    """A read stream (`mcp.shared._stream_protocols.ReadStream`) that marks its `_Seat` when it gives a
    message."""

    def __init__(self, stream: Any, seat: _Seat) -> None:
        self._stream = stream
        self.seat = seat

    async def receive(self) -> Any:
        item = await self._stream.receive()
        self.seat.last, self.seat.confirmed = anyio.current_time(), True
        return item

    async def aclose(self) -> None:
        await self._stream.aclose()

    def __aiter__(self) -> _Activity:
        return self

    async def __anext__(self) -> Any:
        try:
            return await self.receive()
        except (anyio.EndOfStream, anyio.ClosedResourceError):
            raise StopAsyncIteration from None

    async def __aenter__(self) -> _Activity:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


class _SseEndpoint:
    """`GET /sse`: one legacy SSE connection = one run of a fresh server from the factory. At most
    ``max_streams`` at once and ``max_per_client`` per client address: at either cap the stream to close
    is chosen by `_evictable` (one whose client never posted, else the one idle longest), so streams held
    open by one client cannot lock others out. A stream is closed ``handshake_seconds`` after opening if
    its client posted nothing, and after ``idle_seconds`` without a client message."""

    def __init__(
        self,
        transport: SseServerTransport,
        server_factory: ServerFactory,
        *,
        max_streams: int = MAX_SSE_STREAMS,
        idle_seconds: float = SSE_IDLE_SECONDS,
        max_per_client: int = MAX_SSE_STREAMS_PER_CLIENT,
        handshake_seconds: float = HANDSHAKE_SECONDS,
    ) -> None:
        self._transport = transport
        self._factory = server_factory
        self._max = max_streams
        self._per_client = max_per_client
        self._idle = idle_seconds
        self._handshake = handshake_seconds
        self._streams: dict[anyio.CancelScope, _Seat] = {}

    @property
    def open(self) -> int:
        return len(self._streams)

    def _make_room(self, address: str) -> bool:
        mine = {k: seat for k, seat in self._streams.items() if seat.address == address}
        for seats, cap in ((mine, self._per_client), (self._streams, self._max)):
            if len(seats) >= cap:
                victim = _evictable(seats)
                if victim is None:
                    return False
                self._streams.pop(victim, None)
                victim.cancel()
        return True

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        address = _client_host(scope)
        if not self._make_room(address):
            await _plain(
                send, 503, f"Too many open SSE streams ({self._max}); close one or use Streamable HTTP."
            )
            return
        seat = _Seat(address=address, last=anyio.current_time())
        cancel = anyio.CancelScope()
        self._streams[cancel] = seat
        try:
            with cancel:
                async with self._transport.connect_sse(scope, receive, send) as (read_stream, write_stream):
                    server = self._factory()
                    reads = _Activity(read_stream, seat)
                    async with anyio.create_task_group() as tg:

                        async def watch() -> None:
                            while True:
                                limit = self._idle if seat.confirmed else min(self._idle, self._handshake)
                                quiet = anyio.current_time() - seat.last
                                if quiet >= limit:
                                    break
                                await anyio.sleep(min(limit - quiet, 30.0))
                            tg.cancel_scope.cancel()

                        tg.start_soon(watch)
                        await server.run(reads, write_stream, server.create_initialization_options())
                        tg.cancel_scope.cancel()
        except ValueError:  # refused by the Host/Origin checks: the 4xx response is already sent
            return
        finally:
            self._streams.pop(cancel, None)


async def _plain(send: Send, status: int, text: str) -> None:
    body = text.encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class _ManagerEndpoint:
    """`/mcp`: hands every request to the session manager (an ASGI app, not a Starlette handler)."""

    def __init__(self, manager: StreamableHTTPSessionManager) -> None:
        self._manager = manager

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self._manager.handle_request(scope, receive, send)


def mcp_asgi_app(
    server_factory: ServerFactory,
    *,
    host: str = "127.0.0.1",
    allowed_origins: Sequence[str] = (),
    security: TransportSecuritySettings | None = None,
    mcp_path: str = "/mcp",
    sse_path: str | None = "/sse",
    messages_path: str = "/messages/",
    json_response: bool = True,
    max_sse_streams: int = MAX_SSE_STREAMS,
    sse_idle_seconds: float = SSE_IDLE_SECONDS,
) -> Starlette:
    """A Starlette app serving the MCP server built by `server_factory`.

    Streamable HTTP at `mcp_path` (one server instance, its session manager run by the app's
    lifespan); the legacy transport at `sse_path` + `messages_path` (a fresh server per SSE
    connection). Every endpoint checks `Host`/`Origin` (`security`, default
    `security_settings(host=host, allowed_origins=allowed_origins)`) and tool-call responses get
    the rate-limit headers.
    """
    security = security or security_settings(host=host, allowed_origins=allowed_origins)
    manager = session_manager_factory(security=security, json_response=json_response)(server_factory())
    routes: list[Route | Mount] = [
        Route(mcp_path, endpoint=_ManagerEndpoint(manager), methods=["GET", "POST", "DELETE"])
    ]
    if sse_path is not None:
        sse = SseServerTransport(messages_path, security_settings=security)
        routes += [
            Route(
                sse_path,
                endpoint=_SseEndpoint(
                    sse, server_factory, max_streams=max_sse_streams, idle_seconds=sse_idle_seconds
                ),
                methods=["GET"],
            ),
            Mount(messages_path, app=sse.handle_post_message),
        ]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with manager.run():
            yield

    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.session_manager = manager
    return app


async def run_stdio(server: Server[Any]) -> None:
    """Serve `server` over this process's stdin/stdout until stdin closes."""
    from mcp.server.stdio import stdio_server

    async with stdio_server() as (read_stream, write_stream):
        await server.run(read_stream, write_stream, server.create_initialization_options())
