"""`UpstreamLog`: an httpx transport wrapper for `HaloClient` logging every upstream request.

Each request is logged at DEBUG to the Python logger `halo_sandbox.upstream` (the CLI sends it to
stderr with `--log-level debug`): method, path, status (or the transport error) and time in ms;
never headers or bodies, which carry credentials. The server does not send these as MCP log
notifications: MCP 2026-07-28 deprecates the logging capability (SEP-2577) in favour of stderr and
OpenTelemetry (the SDK's `OpenTelemetryMiddleware` emits a span per MCP request).
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterator

import httpx

__all__ = ["LOGGER_NAME", "UpstreamLog", "logged"]

LOGGER_NAME = "halo_sandbox.upstream"
logger = logging.getLogger(LOGGER_NAME)


class _Exchange:
    status: int | None = None


@contextlib.contextmanager
def logged(method: str, target: str) -> Iterator[_Exchange]:
    """Log one upstream request (`target`: its path and query) as `UpstreamLog` does; the block sets
    the answer's `status` on what it is given. Costs one level check when debug logging is off."""
    exchange = _Exchange()
    if not logger.isEnabledFor(logging.DEBUG):
        yield exchange
        return
    started = time.perf_counter()
    try:
        yield exchange
    except Exception as exc:
        logger.debug("%s %s failed: %s", method, target, str(exc) or type(exc).__name__)
        raise
    elapsed = (time.perf_counter() - started) * 1000
    logger.debug("%s %s -> %s (%.1f ms)", method, target, exchange.status, elapsed)


class UpstreamLog(httpx.AsyncBaseTransport):
    """Wraps the transport of a `HaloClient` (default: a plain `httpx.AsyncHTTPTransport`)."""

    def __init__(self, inner: httpx.AsyncBaseTransport | None = None) -> None:
        self._inner = inner or httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if not logger.isEnabledFor(logging.DEBUG):
            return await self._inner.handle_async_request(request)
        with logged(request.method, request.url.raw_path.decode("ascii", "replace")) as exchange:
            response = await self._inner.handle_async_request(request)
            exchange.status = response.status_code
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()
