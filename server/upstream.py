"""`HaloClient`: the server's only way to Halo.

One shared `httpx.AsyncClient` per client (no per-call client creation). OAuth2 at
`<base>/auth/token` (form-encoded; `client_credentials`, or `password` when a username and password
are given; `?tenant=` when a tenant is given), token cached until shortly before it expires,
single-flight refresh under concurrency. A 401 from the API drops the token, re-authenticates
once and replays the request once: that is authentication, not retry. Nothing else is retried.

Transport failures raise `UpstreamUnavailable`; a refused token request raises `UpstreamError`
built from the token endpoint's answer (see `upstream_error`).

Per request the client does only what changes: the URL is written as one string (httpx parses it
once instead of merging a base URL and query parameters: three parses), the Authorization header
is built once per token, bodies are decoded with orjson, and an API request is an `httpx.Request`
handed straight to the client's transport (the one `httpx.AsyncClient` chose for the base URL,
proxies from the environment included): Halo's API needs none of the client's per-request
machinery (cookie jar, redirects, auth flows, event hooks). Given `app` (an ASGI app of this process:
`up`'s own mock), API requests skip httpx's request and transport objects too (`inprocess.InProcess`)
and are logged as `UpstreamLog` logs them; the token endpoint still goes through the transport.
"""

from __future__ import annotations

import asyncio
import json as jsonlib
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import orjson
from starlette.types import ASGIApp

from halo_sandbox.server.errors import UpstreamError, UpstreamUnavailable
from halo_sandbox.server.inprocess import InProcess
from halo_sandbox.server.ratelimit import normalise
from halo_sandbox.server.upstream_log import logged

DEFAULT_TOKEN_LIFETIME = 3600
_MESSAGE_KEYS = ("message", "Message", "errorMessage", "error_description", "error", "title", "detail")


@dataclass(frozen=True, slots=True)
class _Token:
    value: str
    expires_at: float
    refresh_token: str | None

    def fresh(self) -> bool:
        return time.monotonic() < self.expires_at


def parse_body(response: httpx.Response) -> Any:
    """The response body: parsed JSON where it is JSON, else text ("" when empty)."""
    content = response.content
    if not content:
        return None
    ctype = response.headers.get("content-type", "")
    if "json" in ctype or content[:1] in (b"{", b"["):
        try:
            return orjson.loads(content)
        except orjson.JSONDecodeError:
            pass
        try:  # what orjson refuses but Python reads (integers beyond 64 bits, NaN)
            return jsonlib.loads(content)
        except (ValueError, RecursionError):
            pass
    try:
        return content.decode(response.encoding or "utf-8")
    except (UnicodeDecodeError, LookupError):
        return content.decode("latin-1")


def _message(status: int, reason: str, body: Any) -> str:
    if isinstance(body, dict):
        for key in _MESSAGE_KEYS:
            value = body.get(key)
            if isinstance(value, str) and value:
                return value
        # ASP.NET model-binding errors: {"[0].agent_id": ["Could not convert ..."]}
        parts = [
            f"{k}: {v[0]}" for k, v in body.items() if isinstance(v, list) and v and isinstance(v[0], str)
        ]
        if parts:
            return "; ".join(parts)
    if isinstance(body, str) and body.strip():
        return body.strip()[:500]
    return f"Halo answered {status} {reason}".strip()


def upstream_error(response: httpx.Response, body: Any = ...) -> UpstreamError:
    """An `UpstreamError` describing a non-2xx answer: status, message, body and rate-limit fields."""
    if body is ...:
        body = parse_body(response)
    text = body if isinstance(body, str) else (jsonlib.dumps(body) if body is not None else None)
    info = normalise(response.headers, status=response.status_code, body_text=text)
    return UpstreamError(
        _message(response.status_code, response.reason_phrase, body),
        status=response.status_code,
        body=body,
        ratelimit=info.ratelimit,
        retry_after=info.retry_after,
    )


class HaloClient:
    """Authenticated async access to one Halo instance (`base_url` is the instance root)."""

    def __init__(
        self,
        *,
        base_url: str,
        client_id: str,
        client_secret: str | None = None,
        username: str | None = None,
        password: str | None = None,
        tenant: str | None = None,
        scope: str = "all",
        timeout: float = 30.0,
        transport: httpx.AsyncBaseTransport | None = None,
        headers: Mapping[str, str] | None = None,
        app: ASGIApp | None = None,
    ) -> None:
        if (username is None) != (password is None):
            raise ValueError("give both username and password for the password grant, or neither")
        if client_secret is None and username is None:
            raise ValueError("give client_secret (client credentials) or username and password")
        root = base_url.rstrip("/")
        if root.lower().endswith("/api"):
            root = root[:-4]
        self.base_url = root
        self._api = f"{root}/api"
        self._token_url = f"{root}/auth/token"
        self._client_id = client_id
        self._client_secret = client_secret
        self._username = username
        self._password = password
        self._tenant = tenant
        self._scope = scope
        self._timeout = timeout
        self._http = httpx.AsyncClient(
            base_url=f"{root}/api",
            timeout=timeout,
            transport=transport,
            headers={"Accept": "application/json", **(headers or {})},
        )
        self._transport = self._http._transport_for_url(httpx.URL(self._api))  # httpx is pinned
        self._defaults = dict(self._http.headers)
        self._in_process = InProcess(app, root) if app is not None else None
        self._timeouts = self._http.timeout.as_dict()
        self._token: _Token | None = None
        self._auth: tuple[str, str] = ("", "")  # (token, "Bearer <token>")
        self._lock = asyncio.Lock()

    async def __aenter__(self) -> HaloClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """Send one API request (`path` relative to `<base>/api`); one re-auth and replay on 401."""
        token = await self._access_token()
        response = await self._send(method, path, token, params, json, headers)
        if response.status_code == 401:
            token = await self._access_token(stale=token)
            response = await self._send(method, path, token, params, json, headers)
        return response

    async def _send(
        self,
        method: str,
        path: str,
        token: str,
        params: Mapping[str, Any] | None,
        json: Any,
        headers: Mapping[str, str] | None,
    ) -> httpx.Response:
        if self._auth[0] != token:
            self._auth = (token, f"Bearer {token}")
        merged = {**self._defaults, "Authorization": self._auth[1], **(headers or {})}
        try:
            if self._in_process is not None:
                target = self._url(path, params)[len(self.base_url) :]
                with logged(method, target) as exchange:
                    response = await self._in_process.send(method, target, merged, json)
                    exchange.status = response.status_code
                return response
            request = httpx.Request(
                method,
                self._url(path, params),
                json=json,
                headers=merged,
                extensions={"timeout": self._timeouts},
            )
            response = await self._transport.handle_async_request(request)
            response.request = request
            try:
                await response.aread()
            finally:
                await response.aclose()
            return response
        except httpx.TimeoutException:
            raise UpstreamUnavailable(
                f"Halo did not answer within {self._timeout:g}s ({method} {path})"
            ) from None
        except httpx.TransportError as exc:
            raise UpstreamUnavailable(
                f"Halo is unreachable ({method} {path}): {exc or type(exc).__name__}"
            ) from None
        except httpx.RequestError as exc:
            raise UpstreamUnavailable(
                f"The request to Halo failed ({method} {path}): {exc or type(exc).__name__}"
            ) from None

    def _url(self, path: str, params: Mapping[str, Any] | None) -> str:
        """`<base>/api/<path>` with `params` as its query string, as one absolute URL."""
        url = self._api + (path if path.startswith("/") else "/" + path)
        if params:
            url += ("&" if "?" in path else "?") + str(httpx.QueryParams(params))
        return url

    async def _access_token(self, *, stale: str | None = None) -> str:
        token = self._token
        if token is not None and token.value != stale and token.fresh():
            return token.value
        async with self._lock:  # single flight: concurrent callers wait for one token request
            token = self._token
            if token is not None and token.value != stale and token.fresh():
                return token.value
            self._token = await self._fetch_token(token)
            return self._token.value

    async def _fetch_token(self, previous: _Token | None) -> _Token:
        if previous is not None and previous.refresh_token:
            response = await self._post_token(
                {
                    "grant_type": "refresh_token",
                    "client_id": self._client_id,
                    "refresh_token": previous.refresh_token,
                }
            )
            if response.is_success:
                return self._parse_token(response)
        if self._username is not None:
            form = {
                "grant_type": "password",
                "client_id": self._client_id,
                "username": self._username,
                "password": self._password or "",
                "scope": self._scope,
            }
            if self._client_secret is not None:
                form["client_secret"] = self._client_secret
        else:
            form = {
                "grant_type": "client_credentials",
                "client_id": self._client_id,
                "client_secret": self._client_secret or "",
                "scope": self._scope,
            }
        response = await self._post_token(form)
        if not response.is_success:
            error = upstream_error(response)
            error.message = f"Halo refused the credentials: {error.message}"
            error.args = (error.message,)
            raise error
        return self._parse_token(response)

    async def _post_token(self, form: dict[str, str]) -> httpx.Response:
        params = {"tenant": self._tenant} if self._tenant else None
        try:
            return await self._http.post(self._token_url, data=form, params=params)
        except httpx.TimeoutException:
            raise UpstreamUnavailable(
                f"Halo's token endpoint did not answer within {self._timeout:g}s"
            ) from None
        except httpx.TransportError as exc:
            raise UpstreamUnavailable(
                f"Halo's token endpoint is unreachable: {exc or type(exc).__name__}"
            ) from None

    def _parse_token(self, response: httpx.Response) -> _Token:
        body = parse_body(response)
        if not isinstance(body, dict) or not isinstance(body.get("access_token"), str):
            raise UpstreamError(
                "Halo's token endpoint answered without an access_token",
                status=response.status_code,
                body=body,
            )
        try:
            lifetime = float(body.get("expires_in") or DEFAULT_TOKEN_LIFETIME)
        except (TypeError, ValueError):
            lifetime = DEFAULT_TOKEN_LIFETIME
        margin = min(60.0, lifetime * 0.1)
        return _Token(
            value=body["access_token"],
            expires_at=time.monotonic() + lifetime - margin,
            refresh_token=body.get("refresh_token") if isinstance(body.get("refresh_token"), str) else None,
        )
