"""`ReadOnlyHalo`: the recorder's and the drift check's client of a live Halo (httpx).

Read-only by construction: it can send the OAuth token request (``POST /auth/token``) and ``GET``s,
nothing else. It keeps under a rolling-window rate (Halo's documented 300 requests per 5 minutes by
default), waits and retries on 429 (``Retry-After`` when Halo sends it, else 5 s doubling up to 60 s,
at most ``max_retries`` times) and on 502/503/504, re-authenticates once on 401, and counts every
request against an optional budget.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from halo_sandbox.recording.record_errors import BudgetExhausted, HaloRefused, RecordingError

__all__ = ["HALO_RATE", "Credentials", "ReadOnlyHalo"]

HALO_RATE = (300, 300.0)
"""Halo's documented rate limit: 300 requests per rolling 5-minute window (hosted Halo's 429 text)."""
_RETRY_STATUSES = frozenset({429, 502, 503, 504})
_FIRST_BACKOFF, _MAX_BACKOFF = 5.0, 60.0

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True, kw_only=True)
class Credentials:
    """A live tenant: its base URL (``https://x.haloitsm.com``), an API application's client id and
    secret, and the hosted tenant name when the URL does not imply it."""

    halo_url: str
    client_id: str
    client_secret: str
    tenant: str | None = None
    scope: str = "all"

    def __post_init__(self) -> None:
        url = httpx.URL(self.halo_url)
        if url.scheme not in ("http", "https") or not url.host:
            raise RecordingError(f"--halo-url must be an http(s) URL, got {self.halo_url!r}")
        if not self.client_id or not self.client_secret:
            raise RecordingError("--client-id and --client-secret are required")

    @property
    def base(self) -> str:
        base = self.halo_url.rstrip("/")
        return base[: -len("/api")] if base.lower().endswith("/api") else base


class ReadOnlyHalo:
    """GETs against one live tenant. ``transport``, ``sleep`` and ``monotonic`` are seams for tests
    (an in-process sandbox, a clock that does not wait)."""

    def __init__(
        self,
        credentials: Credentials,
        *,
        max_requests: int | None = None,
        rate: tuple[int, float] | None = HALO_RATE,
        max_retries: int = 8,
        timeout: float = 60.0,
        transport: httpx.AsyncBaseTransport | None = None,
        sleep: Sleep = asyncio.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        on_wait: Callable[[float, str], None] | None = None,
    ) -> None:
        if max_requests is not None and max_requests < 1:
            raise RecordingError(f"--max-requests must be positive, got {max_requests}")
        self.credentials = credentials
        self.max_requests = max_requests
        self.requests_sent = 0
        self.waited_seconds = 0.0
        self._rate = rate
        self._sent_at: deque[float] = deque()
        self._max_retries = max_retries
        self._sleep, self._monotonic, self._on_wait = sleep, monotonic, on_wait
        self._token: str | None = None
        self._http = httpx.AsyncClient(
            base_url=credentials.base, timeout=timeout, transport=transport, follow_redirects=False
        )

    async def __aenter__(self) -> ReadOnlyHalo:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._http.aclose()

    # -- the two kinds of request it can send ----------------------------------------------------
    async def authenticate(self) -> None:
        """``POST /auth/token`` (client credentials); a refusal is `HaloRefused` naming the status."""
        creds = self.credentials
        form = {
            "grant_type": "client_credentials",
            "client_id": creds.client_id,
            "client_secret": creds.client_secret,
            "scope": creds.scope,
        }
        params = {"tenant": creds.tenant} if creds.tenant else None
        response = await self._send(lambda: self._http.post("/auth/token", data=form, params=params))
        if response.status_code != 200:
            raise HaloRefused(
                f"the token request was refused ({response.status_code}): {_short(response)}; check "
                "--halo-url, --client-id, --client-secret and --tenant",
                status=response.status_code,
            )
        try:
            self._token = str(response.json()["access_token"])
        except (ValueError, KeyError, TypeError):
            raise HaloRefused("the token endpoint answered without an access_token") from None

    async def get(self, path: str, params: Mapping[str, str] | None = None) -> httpx.Response:
        """``GET /api{path}`` with retries; any status is returned (the caller decides what it means)."""
        if self._token is None:
            await self.authenticate()
        response = await self._send(
            lambda: self._http.get(f"/api{path}", params=params, headers=self._auth())
        )
        if response.status_code == 401:  # an expired token: once more with a new one
            await self.authenticate()
            response = await self._send(
                lambda: self._http.get(f"/api{path}", params=params, headers=self._auth())
            )
        return response

    async def get_json(self, path: str, params: Mapping[str, str] | None = None) -> Any:
        """The JSON of a 200 answer; anything else is `HaloRefused`."""
        response = await self.get(path, params)
        if response.status_code != 200:
            raise HaloRefused(
                f"GET /api{path} answered {response.status_code}: {_short(response)}",
                status=response.status_code,
            )
        try:
            return response.json()
        except ValueError:
            raise HaloRefused(f"GET /api{path} answered 200 without JSON") from None

    # -- pacing, retries, budget -----------------------------------------------------------------
    def _auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token}"}

    async def _send(self, request: Callable[[], Awaitable[httpx.Response]]) -> httpx.Response:
        backoff = _FIRST_BACKOFF
        for attempt in range(self._max_retries + 1):
            await self._pace()
            if self.max_requests is not None and self.requests_sent >= self.max_requests:
                raise BudgetExhausted(f"the request budget ({self.max_requests}) is spent")
            self.requests_sent += 1
            self._sent_at.append(self._monotonic())
            try:
                response = await request()
            except httpx.TransportError as exc:
                if attempt == self._max_retries:
                    raise HaloRefused(f"cannot reach {self.credentials.base}: {exc}") from None
                await self._wait(backoff, f"{type(exc).__name__}")
                backoff = min(backoff * 2, _MAX_BACKOFF)
                continue
            if response.status_code not in _RETRY_STATUSES or attempt == self._max_retries:
                return response
            delay = _retry_after(response.headers.get("retry-after"))
            await self._wait(delay if delay is not None else backoff, f"HTTP {response.status_code}")
            backoff = min(backoff * 2, _MAX_BACKOFF)
        raise AssertionError("unreachable")  # pragma: no cover

    async def _pace(self) -> None:
        """Wait until one more request fits the rolling window."""
        if self._rate is None:
            return
        limit, window = self._rate
        now = self._monotonic()
        while self._sent_at and self._sent_at[0] <= now - window:
            self._sent_at.popleft()
        if len(self._sent_at) >= limit:
            await self._wait(self._sent_at[0] + window - now, "rate limit")

    async def _wait(self, seconds: float, why: str) -> None:
        seconds = max(0.0, min(seconds, 300.0))
        self.waited_seconds += seconds
        if self._on_wait is not None:
            self._on_wait(seconds, why)
        await self._sleep(seconds)


def _retry_after(value: str | None) -> float | None:
    """``Retry-After`` as seconds: delta seconds or an HTTP date; ``None`` when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def _short(response: httpx.Response) -> str:
    text = response.text.strip().replace("\n", " ")
    return text[:200] or "(no body)"
