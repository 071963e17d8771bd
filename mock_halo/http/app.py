"""`create_app(settings)`: the mock Halo as one FastAPI application.

The sandbox middleware runs in front of every ``/api`` and ``/auth`` request: it selects the tenant
(``X-Sandbox-Tenant``, else the tenant that issued the Bearer token, else the default tenant),
authenticates ``/api`` calls (all but ``/api/authinfo``), applies the tenant's rate limiter and
fault rules, enforces the request-size limit and records the request in the tenant's journal.
Every `HaloError` becomes HTTP in one place, `error_response`.

In-process handle for Python users: ``app.state.sandbox`` is the `TenantRegistry`
(``app.state.sandbox.get("sandbox").faults.add(status=503, times=1)``).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from typing import Any

import anyio
import anyio.to_thread
import httpx
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.datastructures import Headers, QueryParams
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from halo_sandbox.mock.config import MockSettings
from halo_sandbox.mock.domain.auth import bearer_token
from halo_sandbox.mock.domain.binding import GENERIC_HEADER, NOTES_HEADER
from halo_sandbox.mock.engine.clock import SandboxClock
from halo_sandbox.mock.engine.faults import FaultRule
from halo_sandbox.mock.engine.journal import RedactSecrets
from halo_sandbox.mock.exceptions import (
    HaloError,
    NotFound,
    OAuthError,
    PayloadTooLarge,
    RequestTimeout,
    Unauthorized,
    ValidationError,
)
from halo_sandbox.mock.http.admin import admin_authorised
from halo_sandbox.mock.http.admin import router as admin_router
from halo_sandbox.mock.http.hostguard import HostOriginGuard
from halo_sandbox.mock.http.openapi import openapi_document
from halo_sandbox.mock.http.responses import JSONResponse
from halo_sandbox.mock.http.routes import GENERIC_STATE, NOTES_STATE
from halo_sandbox.mock.http.routes import router as api_router
from halo_sandbox.mock.tenants import TENANT_HEADER, Tenant, TenantRegistry, field_errors, new_auth
from halo_sandbox.protocol import CALL_ID_HEADER, TOOL_HEADER

_CONNECTION_KEY = "halo_sandbox.connection"
_GROWING = frozenset({"POST", "PUT", "PATCH"})
"""Methods of `/api` requests that may store more (refused over the memory budget; reads and deletes
go on)."""
_GENERIC_KEY = GENERIC_HEADER.lower().encode()


class ConnectionDropped(httpx.RemoteProtocolError):
    """Raised (in-process, or when no server transport can be reached) for a ``drop`` fault, so an
    httpx client sees the same kind of error as when a real server closes the connection."""


def error_response(exc: HaloError) -> JSONResponse:
    """The single HTTP mapping of the error tree."""
    return JSONResponse(exc.body(), status_code=exc.status_code, headers=exc.headers)


async def _create_tenant(registry: TenantRegistry, name: str | None, *, public: bool = False) -> Tenant:
    """The tenant called ``name``, created if new: only for a caller already authenticated (admin key,
    or OAuth credentials checked by `_issue_token`: ``public``), or for the reserved default tenant. A
    new one is built from the fixtures in a worker thread so a large generated world does not stall
    other requests."""
    tenant = registry.find(name)
    if tenant is None:
        tenant = await anyio.to_thread.run_sync(lambda: registry.create(name, public=public))
    return tenant


def _unknown_tenant(name: str, *, foreign: bool) -> Unauthorized:
    issued = "The token was issued for another tenant. " if foreign else ""
    return Unauthorized(
        f"Authorization has been denied for this request. {issued}There is no tenant {name!r}; "
        f"a token request with valid credentials and tenant={name} creates it."
    )


def _is_api(lower_path: str) -> bool:
    return lower_path == "/api" or lower_path.startswith("/api/")


class _SandboxMiddleware:
    """Pure ASGI middleware (so faults can delay, answer, or drop the connection)."""

    def __init__(self, app: ASGIApp, *, registry: TenantRegistry) -> None:
        self.app = app
        self.registry = registry

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        lower = scope["path"].lower()
        if lower.startswith("/_sandbox"):
            await self._control(scope, receive, send)
        elif _is_api(lower) or lower.startswith("/auth/"):
            await self._data(scope, receive, send, lower=lower)
        else:
            await self.app(scope, receive, send)

    async def _control(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = Headers(scope=scope)
        try:
            limit = (
                self.registry.settings.max_snapshot_bytes
                if scope["path"].rstrip("/").lower() == "/_sandbox/snapshot"
                else self.registry.settings.max_control_body_bytes
            )
            receive = _limit_body(headers, receive, limit=limit)
            if limit == self.registry.settings.max_snapshot_bytes and scope["method"] == "PUT":
                self.registry.check_memory("restoring a snapshot")
            name, created = headers.get(TENANT_HEADER), None
            if admin_authorised(self.registry.settings, headers):  # else the routes answer 401 themselves
                existing = self.registry.find(name)
                default = self.registry.settings.default_tenant
                if existing is None and scope["method"] in ("GET", "HEAD") and (name or default) != default:
                    # an admin read never creates a tenant: a mistyped name is named, not built
                    scope.setdefault("state", {})["missing_tenant"] = name
                else:
                    created = None if existing else name or default
                    scope.setdefault("state", {})["tenant"] = existing or await _create_tenant(
                        self.registry, name
                    )
            status: list[int] = []

            async def watched(message: Message) -> None:
                if message["type"] == "http.response.start":
                    status.append(message["status"])
                await send(message)

            try:
                await self.app(scope, receive, watched)
            finally:  # a refused request leaves no tenant behind that it created
                if (
                    created
                    and created != self.registry.settings.default_tenant
                    and (not status or status[0] >= 400)
                ):
                    self.registry.discard(created)
        except HaloError as exc:
            await error_response(exc)(scope, receive, send)
        except ClientDisconnect:
            late = RequestTimeout(_BODY_LATE, headers={"Connection": "close"})
            await error_response(late)(scope, receive, send)

    async def _data(self, scope: Scope, receive: Receive, send: Send, *, lower: str) -> None:
        started = time.perf_counter()
        headers = Headers(scope=scope)
        state = scope.setdefault("state", {})
        tool, call_id = headers.get(TOOL_HEADER), headers.get(CALL_ID_HEADER)
        bearer = bearer_token(headers.get("authorization"))
        tenant: Tenant | None = None
        arrived = None
        outcome: dict[str, Any] = {"status": None, "fault": None, "client": None, "generic": None}
        extra_headers: dict[str, str] = {}

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                outcome["status"] = message["status"]
                notes = state.get(NOTES_STATE)
                if notes:
                    extra_headers[NOTES_HEADER] = notes.header()
                if state.get(GENERIC_STATE):  # every generic answer says so, its errors too
                    extra_headers[GENERIC_HEADER] = state[GENERIC_STATE]
                    outcome["generic"] = state[GENERIC_STATE]
                for key, value in message.get("headers", []):
                    if key == _GENERIC_KEY:
                        outcome["generic"] = value.decode("latin-1")
                if extra_headers:
                    raw = list(message.get("headers", []))
                    present = {k.lower() for k, _ in raw}
                    raw += [
                        (k.lower().encode(), v.encode())
                        for k, v in extra_headers.items()
                        if k.lower().encode() not in present
                    ]
                    message = {**message, "headers": raw}
            await send(message)

        try:
            name = headers.get(TENANT_HEADER)
            if name is None and lower.startswith("/auth/"):
                name = QueryParams(scope.get("query_string", b"")).get("tenant")
            if name is None and bearer:
                name = self.registry.tenant_of_token(bearer)
            receive = _limit_body(
                headers,
                receive,
                limit=self.registry.settings.max_body_bytes
                if _is_api(lower)
                else self.registry.settings.max_token_body_bytes,
            )
            tenant = self.registry.find(name)
            if tenant is None and (name is None or name == self.registry.settings.default_tenant):
                tenant = await _create_tenant(self.registry, None)  # the reserved default tenant
            if tenant is None:
                if _is_api(lower):
                    raise _unknown_tenant(
                        str(name), foreign=bool(bearer and self.registry.tenant_of_token(bearer))
                    )
                await self.app(scope, receive, send_wrapper)  # /auth/token creates it for valid credentials
                return
            arrived = tenant.clock.now()
            tenant.last_used = time.monotonic()
            state["tenant"] = tenant
            if _is_api(lower) and lower.rstrip("/") != "/api/authinfo":
                token = self._authenticate(tenant, bearer)
                state["token"] = token
                outcome["client"] = token.client_id
                if scope["method"] in _GROWING:
                    self.registry.check_memory(f"{scope['method']} {scope['path']}")
                extra_headers.update(tenant.limiter.hit(token.client_id))
            rule = tenant.faults.match(method=scope["method"], path=scope["path"], tool=tool)
            if rule is not None:
                outcome["fault"] = rule.id
                if rule.latency_ms:
                    await asyncio.sleep(rule.latency_ms / 1000)
                if rule.drop:
                    await _drop(scope, send)  # no status: the journal shows null
                    return
                if rule.status is not None:
                    await _fault_response(rule)(scope, receive, send_wrapper)
                    return
            await self.app(scope, receive, send_wrapper)
        except HaloError as exc:
            if outcome["status"] is not None:
                raise
            await error_response(exc)(scope, receive, send_wrapper)
        except ClientDisconnect:  # the body stopped arriving: answered (408), never a 500 or a drop
            if outcome["status"] is not None:
                raise
            late: HaloError = (
                RequestTimeout(_BODY_LATE)
                if _is_api(lower)
                else OAuthError("invalid_request", _BODY_LATE, status_code=408)
            )
            late.headers["Connection"] = "close"  # the rest of the body may still come: no reuse
            await error_response(late)(scope, receive, send_wrapper)
        except Exception as exc:
            if outcome["status"] is None and not isinstance(exc, ConnectionDropped):
                outcome["status"] = 500  # what the server's error middleware answers
            raise
        finally:
            tenant = state.get("tenant", tenant)  # /auth/token may select its tenant from the form
            if isinstance(tenant, Tenant):
                tenant.journal.record(
                    time=(arrived or tenant.clock.now()).strftime("%Y-%m-%dT%H:%M:%S"),
                    method=scope["method"],
                    path=scope["path"],
                    query=scope.get("query_string", b"").decode("latin-1"),
                    status=outcome["status"],
                    latency_ms=round((time.perf_counter() - started) * 1000, 3),
                    client=outcome["client"] or state.get("oauth_client"),
                    remote=(scope.get("client") or (None,))[0],
                    tool=tool,
                    call_id=call_id,
                    fault=outcome["fault"],
                    ignored=tuple(getattr(state.get(NOTES_STATE), "items", ())),
                    generic=outcome["generic"],
                )

    def _authenticate(self, tenant: Tenant, bearer: str | None) -> Any:
        if not bearer:
            raise Unauthorized("Authorization has been denied for this request. No Bearer token was sent.")
        try:
            return tenant.auth.authenticate(bearer)
        except Unauthorized:
            owner = self.registry.tenant_of_token(bearer)
            if owner is not None and owner != tenant.name:
                raise Unauthorized(
                    f"Authorization has been denied for this request. The token was issued "
                    f"for another tenant, not {tenant.name!r}."
                ) from None
            raise


_BODY_LATE = "The request body did not arrive in time; nothing was done. Send the whole body promptly."


def _limit_body(headers: Headers, receive: Receive, *, limit: int) -> Receive:
    """``receive`` refusing (413) a body over ``limit`` bytes: by its Content-Length before reading,
    else as soon as the bytes read pass it."""
    length = headers.get("content-length")
    if length is not None and length.isascii() and length.isdigit() and int(length) > limit:
        raise PayloadTooLarge(f"The request body ({length} bytes) exceeds the limit of {limit} bytes.")
    seen = 0

    async def limited() -> Message:
        nonlocal seen
        message = await receive()
        if message["type"] == "http.request":
            seen += len(message.get("body", b""))
            if seen > limit:
                raise PayloadTooLarge(f"The request body exceeds the limit of {limit} bytes.")
        return message

    return limited


def _fault_response(rule: FaultRule) -> Response:
    if rule.body is None:
        return Response(status_code=rule.status or 500, headers=rule.headers)
    if isinstance(rule.body, str):
        return Response(
            rule.body, status_code=rule.status or 500, headers=rule.headers, media_type="text/plain"
        )
    return JSONResponse(rule.body, status_code=rule.status or 500, headers=rule.headers)


async def _drop(scope: Scope, send: Send) -> None:
    """Close the client's connection without a response. Under uvicorn the transport is aborted
    (the client sees a reset / closed connection, no bytes); elsewhere a response is started and
    abandoned, which makes servers close the connection mid-response."""
    connection = scope.get(_CONNECTION_KEY)
    transport = getattr(connection, "transport", None)
    if transport is not None:
        transport.abort()
        for _ in range(10):  # let the server notice the disconnect before we return
            if getattr(connection, "disconnected", True):
                return
            await asyncio.sleep(0)
        return
    await send({"type": "http.response.start", "status": 200, "headers": []})
    raise ConnectionDropped("The sandbox dropped the connection (scripted fault).")


def _remember(scope: Scope, send: Send) -> None:
    if scope["type"] == "http" and _CONNECTION_KEY not in scope:
        connection = getattr(send, "__self__", None)
        if connection is not None and hasattr(connection, "transport"):
            scope[_CONNECTION_KEY] = connection


def remember_connection(app: ASGIApp) -> ASGIApp:
    """Wrap the outermost ASGI app served by uvicorn when the mock is mounted inside another app,
    so ``drop`` faults can abort the socket instead of abandoning a started response."""

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        _remember(scope, send)
        await app(scope, receive, send)

    return wrapped


class _MockApp(FastAPI):
    """FastAPI that remembers the server's connection object (uvicorn's request cycle) so a
    ``drop`` fault can really close the socket."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        _remember(scope, send)
        await super().__call__(scope, receive, send)


def _auth_base(request: Request, settings: MockSettings) -> str:
    base = settings.base_url or str(request.base_url)
    return base.rstrip("/")


def create_app(settings: MockSettings | None = None, *, registry: TenantRegistry | None = None) -> FastAPI:
    """The mock Halo application. Pass ``registry`` to share or pre-script tenants; otherwise one is
    built from ``settings`` (defaults when ``None``)."""
    if registry is None:
        registry = TenantRegistry(settings or MockSettings())
    elif settings is not None and settings is not registry.settings:
        raise ValueError("pass either settings or a registry built with them, not both")
    settings = registry.settings

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        access_log, redact = logging.getLogger("uvicorn.access"), RedactSecrets()
        access_log.addFilter(redact)  # no client_secret from a careless client's query string in the log
        try:
            yield
        finally:
            access_log.removeFilter(redact)

    app = _MockApp(
        title="Mock HaloITSM API (halo-mcp-sandbox)",
        version="v2",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
        openapi_url="/_sandbox/openapi.json",
    )
    app.state.sandbox = registry
    app.state.settings = settings
    app.openapi = openapi_document  # type: ignore[method-assign]  # the table's document, at openapi_url

    @app.exception_handler(HaloError)
    async def _halo_error(request: Request, exc: HaloError) -> JSONResponse:
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _request_validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        return error_response(field_errors(exc.errors(), skip=1))

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            return error_response(NotFound("The specified URL is invalid."))
        return error_response(_status_error(exc))

    @app.post("/auth/token", include_in_schema=False)
    async def _token(request: Request) -> JSONResponse:
        return JSONResponse(await _issue_token(request, registry), headers={"Cache-Control": "no-store"})

    @app.get("/api/authinfo", include_in_schema=False)
    @app.get("/api/AuthInfo", include_in_schema=False)
    async def _authinfo(request: Request) -> dict[str, str]:
        tenant: Tenant = request.state.tenant
        return {"auth_url": f"{_auth_base(request, settings)}/auth", "tenant_id": tenant.name}

    app.include_router(admin_router)
    app.include_router(api_router)
    app.add_middleware(_SandboxMiddleware, registry=registry)
    if settings.allowed_hosts is not None:
        app.add_middleware(
            HostOriginGuard, allowed_hosts=settings.allowed_hosts, allowed_origins=settings.allowed_origins
        )
    return app


def _status_error(exc: StarletteHTTPException) -> HaloError:
    error = HaloError(str(exc.detail), headers=dict(exc.headers or {}))
    error.status_code = exc.status_code
    return error


_TOKEN_FIELDS = ("grant_type", "client_id", "client_secret", "username", "password", "refresh_token", "scope")


async def _issue_token(request: Request, registry: TenantRegistry) -> dict[str, object]:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type != "application/x-www-form-urlencoded":
        raise OAuthError(
            "invalid_request",
            "The token request must be form-encoded (Content-Type: application/x-www-form-urlencoded).",
        )
    form = await request.form()
    fields = {name: (str(form[name]) if name in form else None) for name in _TOKEN_FIELDS}
    names = {
        n
        for n in (request.query_params.get("tenant"), form.get("tenant"), request.headers.get(TENANT_HEADER))
        if n
    }
    if len(names) > 1:
        raise OAuthError(
            "invalid_request", f"Conflicting tenants in the request: {', '.join(sorted(map(str, names)))}."
        )
    name = str(names.pop()) if names else None
    request.state.oauth_client = fields["client_id"]
    try:
        tenant = registry.find(name)
        if tenant is None:
            # Only a caller whose credentials are good creates a tenant: check them on a throwaway
            # OAuth state configured like every tenant's (raises the same OAuthError a tenant would).
            new_auth(
                tenant=name or registry.settings.default_tenant,
                settings=registry.settings,
                clock=SandboxClock(),
            ).issue(**fields)
            # the sandbox's own clients (the built-in MCP server's, for provisioned accounts) act for
            # the admin; a tenant made with the printed credentials counts against max_public_tenants
            own = {client_id for client_id, _ in registry.settings.extra_clients}
            tenant = await _create_tenant(registry, name, public=fields["client_id"] not in own)
    except ValidationError as exc:
        raise OAuthError("invalid_request", exc.message) from None
    request.state.tenant = tenant
    return tenant.auth.issue(**fields)
