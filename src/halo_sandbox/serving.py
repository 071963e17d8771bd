"""Serving an ASGI app from the CLI: bind the port first, then say so, then serve.

`bind()` takes the port before anything is printed, so a command never prints "Ready" (or an
admin key) for a port another process holds: a busy port is a `PortInUse` with a clear message.
`serve()` runs uvicorn on the bound socket until interrupted.
"""

from __future__ import annotations

import errno
import socket
from typing import Any

__all__ = ["PortInUse", "bind", "serve"]


class PortInUse(OSError):
    """The port is taken (or the address cannot be bound); the message says which and what to do."""


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on `host:port` (IPv6 when `host` contains a colon)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        shown = f"[{host}]" if ":" in host else host
        if exc.errno == errno.EADDRINUSE:
            raise PortInUse(exc.errno, f"{shown}:{port} is already in use (another halo-sandbox?); "
                                       "stop it or choose another --port") from None
        raise PortInUse(exc.errno, f"cannot listen on {shown}:{port}: {exc.strerror or exc}") from None
    sock.set_inheritable(True)
    return sock


def serve(app: Any, *, sock: socket.socket, log_level: str) -> None:
    """Run uvicorn with `app` on the already bound `sock` until it is stopped."""
    import uvicorn

    host, port = sock.getsockname()[:2]
    config = uvicorn.Config(app, host=host, port=port, log_level=log_level)
    uvicorn.Server(config).run(sockets=[sock])
