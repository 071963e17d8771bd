"""Routing httpx (through respx) and requests (through responses) calls for Halo hosts into the
in-process mock; every other host is passed through untouched.

httpx: one respx router; its async handler marks the context so the route's side effect can answer
an `AsyncClient` on the caller's event loop (latency faults then sleep without blocking it) and a
sync `Client` through a blocking portal (the mock runs on the portal's loop).
requests: one `responses.RequestsMock` with a callback per method, answered through the portal.
"""

from __future__ import annotations

import contextvars
import re
from collections.abc import Awaitable, Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

import httpx
import respx

__all__ = ["HALO_HOSTS", "Interceptor", "host_pattern"]

HALO_HOSTS = ("haloitsm.com", "halopsa.com", "haloservicedesk.com")
_IN_ASYNC = contextvars.ContextVar("halo_sandbox_async_request", default=False)

Forward = Callable[[httpx.Request], Awaitable[httpx.Response]]


def host_pattern(base_urls: Sequence[str] = ()) -> re.Pattern[str]:
    """A regex over full URLs: any host under the Halo domains, or the given base URLs."""
    options = [r"https?://(?:[^/?#@]+\.)?(?:" + "|".join(re.escape(h) for h in HALO_HOSTS) + r")(?::\d+)?"]
    for base in base_urls:
        parts = urlsplit(base)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"base_url must be an http(s) URL with a host, got {base!r}")
        options.append(re.escape(f"{parts.scheme}://{parts.netloc}") + re.escape(parts.path.rstrip("/")))
    return re.compile(r"^(?:" + "|".join(options) + r")(?:[/?#].*)?$", re.IGNORECASE)


class _Router(respx.MockRouter):
    async def async_handler(self, request: httpx.Request) -> httpx.Response:
        token = _IN_ASYNC.set(True)
        try:
            return await super().async_handler(request)
        finally:
            _IN_ASYNC.reset(token)


class Interceptor:
    """Installs both interceptions while entered. ``forward`` answers a request from the mock (a
    coroutine); ``portal`` runs it for synchronous callers."""

    def __init__(self, *, pattern: re.Pattern[str], forward: Forward, portal: Any) -> None:
        self.pattern = pattern
        self.forward = forward
        self.portal = portal
        self._router: respx.MockRouter | None = None
        self._requests: Any = None

    def _httpx_effect(self, request: httpx.Request) -> Any:
        if _IN_ASYNC.get():
            return self.forward(request)
        request.read()
        return self.portal.call(self.forward, request)

    def _requests_callback(self, prepared: Any) -> tuple[int, dict[str, str], bytes]:
        import requests

        body = prepared.body
        content = body.encode("utf-8") if isinstance(body, str) else (body or b"")
        if not isinstance(content, bytes):  # a file-like or generator body
            content = b"".join(part if isinstance(part, bytes) else str(part).encode() for part in content)
        request = httpx.Request(
            prepared.method, prepared.url, headers=dict(prepared.headers), content=content
        )
        try:
            response = self.portal.call(self.forward, request)
        except httpx.TransportError as exc:
            raise requests.exceptions.ConnectionError(str(exc) or "connection dropped by a fault") from exc
        headers = {
            k: v
            for k, v in response.headers.items()
            if k.lower() not in ("content-length", "content-encoding")
        }
        return response.status_code, headers, response.content

    def __enter__(self) -> Interceptor:
        import responses

        router = _Router(assert_all_called=False, assert_all_mocked=False)
        router.route(url__regex=self.pattern.pattern).mock(side_effect=self._httpx_effect)
        router.route().pass_through()
        router.start()
        self._router = router
        mock = responses.RequestsMock(assert_all_requests_are_fired=False)
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"):
            mock.add_callback(method, self.pattern, callback=self._requests_callback)
        mock.add_passthru(re.compile(r".*"))
        mock.start()
        self._requests = mock
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._requests is not None:
            self._requests.stop()
            self._requests.reset()
            self._requests = None
        if self._router is not None:
            self._router.stop()
            self._router = None
