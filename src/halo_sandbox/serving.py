"""Serving an ASGI app from the CLI: bind the port first, then say so, then serve; and hold up
against slow, idle and too many clients.

`bind()` takes the port before anything is printed, so a command never prints "Ready" (or an
admin key) for a port another process holds: a busy port is a `PortInUse` with a clear message.
`serve()` runs uvicorn on the bound socket until interrupted, with `uvicorn_options()` and `BodyDeadline`:

- `DeadlineH11Protocol`: uvicorn's h11 protocol with a header deadline: a connection whose request
  line and headers are not complete `HEADER_TIMEOUT` seconds after its first byte (or after connecting)
  is closed (uvicorn alone waits for them forever: a few thousand half-sent requests hold a slot each).
- `BodyDeadline`: ASGI middleware answering 408 (and closing) a request whose body is not complete
  `BODY_TIMEOUT` seconds after the app starts reading it.
- `uvicorn_options()`: the protocol above, a cap on concurrent connections, the keep-alive timeout.
- Idle connections make room: when a new connection would reach the cap (uvicorn answers 503 to every
  request at ``limit_concurrency`` connections), or its client address already holds
  `MAX_CONNECTIONS_PER_CLIENT`, the connection idle longest (no request in flight: kept alive, or not
  yet sent a whole request line and headers) of all clients, or of that address, is closed. Sockets
  held open by one process cannot starve the others; only requests in flight count against the cap.

The caps on MCP sessions and legacy SSE streams live with the transports
(`halo_sandbox.server.transports`); request-body byte caps with each app.
"""

from __future__ import annotations

import asyncio
import errno
import gc
import socket
from typing import Any

import anyio
import h11
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = [
    "BODY_TIMEOUT",
    "HEADER_TIMEOUT",
    "MAX_CONNECTIONS",
    "MAX_CONNECTIONS_PER_CLIENT",
    "BodyDeadline",
    "DeadlineH11Protocol",
    "PortInUse",
    "bind",
    "serve",
    "uvicorn_options",
]

HEADER_TIMEOUT = 10.0
BODY_TIMEOUT = 60.0
MAX_CONNECTIONS = 1000
"""uvicorn's ``limit_concurrency``: beyond it new connections are answered 503 (idle ones make room first:
`DeadlineH11Protocol`)."""
MAX_CONNECTIONS_PER_CLIENT = 500
"""Connections of one client address before its own idle-longest one is closed for a new one."""
KEEP_ALIVE_TIMEOUT = 5


class _Room:
    """The server's connections by idleness (one per uvicorn server: on its `ServerState`): the idle
    ones oldest first, overall and per client address, and how many each address holds, so making
    room costs O(1) whatever the number of connections."""

    def __init__(self) -> None:
        self.idle: dict[DeadlineH11Protocol, None] = {}
        self.idle_of: dict[str, dict[DeadlineH11Protocol, None]] = {}
        self.held: dict[str, int] = {}

    def join(self, conn: DeadlineH11Protocol) -> None:
        self.held[conn.address] = self.held.get(conn.address, 0) + 1
        self.rest(conn)

    def rest(self, conn: DeadlineH11Protocol) -> None:
        """``conn`` has no request in flight from now: the newest idle connection."""
        self.work(conn)
        self.idle[conn] = None
        self.idle_of.setdefault(conn.address, {})[conn] = None

    def work(self, conn: DeadlineH11Protocol) -> None:
        self.idle.pop(conn, None)
        mine = self.idle_of.get(conn.address)
        if mine is not None:
            mine.pop(conn, None)
            if not mine:
                del self.idle_of[conn.address]

    def leave(self, conn: DeadlineH11Protocol) -> None:
        self.work(conn)
        left = self.held.get(conn.address, 0) - 1
        if left > 0:
            self.held[conn.address] = left
        else:
            self.held.pop(conn.address, None)

    def oldest(self, address: str | None = None) -> DeadlineH11Protocol | None:
        idle = self.idle if address is None else self.idle_of.get(address, {})
        return next(iter(idle), None)


class DeadlineH11Protocol(H11Protocol):
    """`H11Protocol` closing connections whose request headers take longer than ``header_timeout``, and
    making room for a new connection by closing the one idle longest (`_make_room`)."""

    header_timeout = HEADER_TIMEOUT
    per_client = MAX_CONNECTIONS_PER_CLIENT

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]  # as uvicorn's
        super().connection_made(transport)
        self._deadline: asyncio.TimerHandle | None = None
        self.address = str((self.client or ("",))[0])
        room = getattr(self.server_state, "halo_room", None)
        if room is None:
            room = self.server_state.halo_room = _Room()  # type: ignore[attr-defined]  # ours, on uvicorn's
        self._room: _Room = room
        self._make_room()
        room.join(self)
        self._arm()

    def _make_room(self) -> None:
        """Close the idle-longest connection of this client when it holds ``per_client``, and of anyone
        when the server holds ``limit_concurrency`` (counting this one)."""
        room = self._room
        if room.held.get(self.address, 0) + 1 >= self.per_client:
            self._close_idle(room.oldest(self.address))
        if self.limit_concurrency is not None and len(self.connections) >= self.limit_concurrency:
            self._close_idle(room.oldest())

    def _close_idle(self, conn: DeadlineH11Protocol | None) -> None:
        if conn is None or conn is self:
            return
        self._room.leave(conn)
        conn._room = _Room()  # its own connection_lost must not count it out twice
        conn.transport.close()
        self.connections.discard(conn)  # uvicorn's own count, before connection_lost runs

    def _arm(self) -> None:
        self._disarm()
        self._deadline = self.loop.call_later(self.header_timeout, self._too_slow)

    def _disarm(self) -> None:
        deadline: asyncio.TimerHandle | None = getattr(self, "_deadline", None)
        if deadline is not None:
            deadline.cancel()
            self._deadline = None

    def _too_slow(self) -> None:
        self._deadline = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.close()

    def data_received(self, data: bytes) -> None:
        if self.conn.their_state is h11.IDLE and getattr(self, "_deadline", None) is None:
            self._arm()  # the next request on a kept-alive connection starts its own deadline
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:
            self._disarm()
            self._room.work(self)

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self.conn.their_state is not h11.IDLE:
            self._disarm()
        elif not self.transport.is_closing():
            self._room.rest(self)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        room: _Room | None = getattr(self, "_room", None)
        if room is not None:
            room.leave(self)
        super().connection_lost(exc)


_LATE_BODY = (
    b'{"message":"The request body did not arrive in time; nothing was done. Send the whole body promptly."}'
)


class BodyDeadline:
    """ASGI middleware: the request body must arrive within ``timeout`` seconds of the first read;
    a late body reads as a disconnect (the app stops) and is answered 408 (``{"message": ...}``, Halo's
    error shape; ``Connection: close``) unless the app answered itself: never a 500, never a drop."""

    def __init__(self, app: ASGIApp, *, timeout: float = BODY_TIMEOUT) -> None:
        self.app = app
        self.timeout = timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        loop = asyncio.get_running_loop()
        deadline: float | None = None
        complete = late = started = swallowed = False

        async def timed() -> Message:
            nonlocal deadline, complete, late
            if complete:
                return await receive()  # e.g. waiting for the client to disconnect (event streams)
            deadline = deadline or loop.time() + self.timeout
            with anyio.move_on_after(max(0.0, deadline - loop.time())):
                message = await receive()
                complete = message["type"] != "http.request" or not message.get("more_body", False)
                return message
            complete = late = True
            return {"type": "http.disconnect"}

        async def watched(message: Message) -> None:
            nonlocal started, swallowed
            if message["type"] == "http.response.start":
                if late and message["status"] >= 500:  # an app's error page for the missing body
                    swallowed = True
                    return
                started = True
            if not swallowed:
                await send(message)

        try:
            await self.app(scope, timed, watched)
        except Exception:
            if not late or started:
                raise
        if late and not started:
            await send(
                {
                    "type": "http.response.start",
                    "status": 408,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(_LATE_BODY)).encode()),
                        (b"connection", b"close"),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": _LATE_BODY})


def uvicorn_options(**overrides: Any) -> dict[str, Any]:
    """Keyword options for ``uvicorn.run`` / ``uvicorn.Config``."""
    return {
        "http": DeadlineH11Protocol,
        "limit_concurrency": MAX_CONNECTIONS,
        "timeout_keep_alive": KEEP_ALIVE_TIMEOUT,
        **overrides,
    }


class PortInUse(OSError):
    """The port is taken (or the address cannot be bound); the message says which and what to do."""


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on `host:port` (IPv6 when `host` contains a colon)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on connections of sockets that say they are TCP;
    # without it a response written in two parts waits for the client's delayed ACK (~40 ms a request).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        shown = f"[{host}]" if ":" in host else host
        if exc.errno == errno.EADDRINUSE:
            raise PortInUse(
                exc.errno,
                f"{shown}:{port} is already in use (another halo-sandbox?); stop it or choose another --port",
            ) from None
        raise PortInUse(exc.errno, f"cannot listen on {shown}:{port}: {exc.strerror or exc}") from None
    sock.set_inheritable(True)
    return sock


def serve(app: Any, *, sock: socket.socket, log_level: str) -> None:
    """Run uvicorn with `app` on the already bound `sock` until it is stopped."""
    import uvicorn

    host, port = sock.getsockname()[:2]
    config = uvicorn.Config(BodyDeadline(app), host=host, port=port, log_level=log_level, **uvicorn_options())
    # What is built by now (modules, Halo's facts, the tool catalogue, the seeded tenant) lives as long as
    # the process: the cycle collector's full passes, which hold the GIL while they walk every tracked
    # object (100-200 ms in `up` during a big batch, every client waiting), leave it out from here on.
    gc.freeze()
    uvicorn.Server(config).run(sockets=[sock])
