"""HTTP face of provisioning: the admin API under ``/_sandbox`` and the per-token MCP
endpoints at ``/mcp/{token}``.

Admin API (``Authorization: Bearer <admin key>`` or ``X-Admin-Key: <admin key>``, as the mock's
control plane takes it; a missing or wrong key is 401 and changes nothing)::

    PUT    /_sandbox/integrated-account/{account}           register a real Halo (secret never returned)
    GET    /_sandbox/integrated-account/{account}           what the account points at
    DELETE /_sandbox/integrated-account/{account}           forget a registered Halo
    GET    /_sandbox/integrated-account                      registered accounts
    POST   /_sandbox/integrated-account/{account}/mcp       provision a server -> 201 with its URL (once)
    GET    /_sandbox/integrated-account/{account}/mcp       the account's servers (no URLs)
    GET    /_sandbox/integrated-account/{account}/mcp/{id}
    PATCH  /_sandbox/integrated-account/{account}/mcp/{id}  rename, change filters, expiry, auth
    DELETE /_sandbox/integrated-account/{account}/mcp/{id}  revoke (the URL stops working at once)
    POST   /_sandbox/api-tokens                              mint an API token -> 201 with the token (once)
    GET    /_sandbox/api-tokens                              API tokens (no secrets)
    DELETE /_sandbox/api-tokens/{id}                         revoke

``/mcp/{token}`` serves the provisioned server over Streamable HTTP: each token gets its own
cached low-level MCP ``Server`` (only the tools its filters allow) and session manager, run in
the task group that ``ProvisioningRoutes.lifespan`` opens. Unknown, revoked and expired tokens
answer 404; servers created with ``require_api_token_auth`` answer 401 to requests without a
valid ``Authorization: Bearer <api token>`` before any MCP handling. A periodic sweep deletes
expired records and stops their session managers.

Errors map to HTTP in one place, ``_error_response``.
"""

from __future__ import annotations

import contextlib
import functools
import hmac
import json
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import anyio
from anyio.abc import TaskGroup, TaskStatus
from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

from halo_sandbox.admin_errors import AdminError, InvalidField, RecordNotFound, Unavailable, json_error
from halo_sandbox.guard import AdminGuard
from halo_sandbox.protocol import SECRET_QUERY_PARAMS
from halo_sandbox.provisioning.registry import (
    AccountCredentials,
    ProvisionedServer,
    Registry,
    hash_token,
)

__all__ = ["ProvisioningRoutes", "build_routes", "RedactTokens"]

logger = logging.getLogger(__name__)


HaloFactory = Callable[[str], Any]
"""``halo_for_account(account) -> HaloClient`` for accounts with no registered Halo (mock tenants)."""


# ---------------------------------------------------------------- errors and request helpers


_error_response = json_error
"""The one mapping from the error family to the JSON API (`halo_sandbox.admin_errors.json_error`)."""


def _bearer(request: Request) -> str | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class ServerBody(_Body):
    """``POST``/``PATCH .../mcp``: a provisioned server (PATCH changes only the fields given)."""

    name: str | None = Field(default=None, max_length=1000)
    config: dict[str, Any] | None = None
    expires_at: str | None = Field(default=None, max_length=100)
    require_api_token_auth: bool | None = None


class AccountBody(_Body):
    """``PUT /_sandbox/integrated-account/{account}``: a real Halo to serve."""

    halo_url: str = Field(max_length=2048)
    client_id: str = Field(max_length=1000)
    client_secret: str = Field(max_length=4096)
    tenant: str | None = Field(default=None, max_length=1000)


class ApiTokenBody(_Body):
    """``POST /_sandbox/api-tokens``."""

    name: str | None = Field(default=None, max_length=1000)
    expires_at: str | None = Field(default=None, max_length=100)


async def _body(request: Request, model: type[_Body]) -> dict[str, Any]:
    """The request body validated by ``model``; only the fields the caller gave."""
    try:
        data = json.loads(await request.body() or b"null")
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
        raise InvalidField("body", "is not valid JSON") from None
    if not isinstance(data, dict):
        raise InvalidField("body", "must be a JSON object")
    try:
        parsed = model.model_validate(data)
    except PydanticValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "body"
        message = (
            "unknown field; allowed: " + ", ".join(model.model_fields)
            if first["type"] == "extra_forbidden"
            else first["msg"]
        )
        raise InvalidField(where, message) from None
    return parsed.model_dump(exclude_unset=True)


_Handler = Callable[[Request], Awaitable[Response]]


def _admin(guard: AdminGuard) -> Callable[[_Handler], _Handler]:
    """Wrap a handler: the sandbox's admin guard first, errors of the family answered as JSON."""

    def wrap(handler: _Handler) -> _Handler:
        async def endpoint(request: Request) -> Response:
            try:
                await guard.check(request)
                return await handler(request)
            except AdminError as exc:
                return _error_response(exc)

        return functools.wraps(handler)(endpoint)

    return wrap


# ---------------------------------------------------------------- per-token MCP dispatch


@dataclass
class _Entry:
    server_id: str
    token_hash: str
    revision: int
    manager: Any
    cancel: anyio.CancelScope = field(default_factory=anyio.CancelScope)
    halo: Any = None
    owns_halo: bool = False


class _McpDispatch:
    """ASGI app behind ``/mcp/{token}``: one cached filtered server + session manager per token."""

    def __init__(
        self,
        registry: Registry,
        *,
        halo_for_account: HaloFactory,
        halo_for_credentials: Callable[[AccountCredentials], Any],
        build_server: Callable[..., Any],
        session_manager: Callable[[Any], Any],
    ) -> None:
        self._registry = registry
        self._halo_for_account = halo_for_account
        self._halo_for_credentials = halo_for_credentials
        self._build_server = build_server
        self._session_manager = session_manager
        self._entries: dict[str, _Entry] = {}
        self._lock = anyio.Lock()
        self._tg: TaskGroup | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        token = scope.get("path_params", {}).get("token", "")
        try:
            if self._tg is None:
                raise Unavailable("provisioned servers are not running (the app lifespan was not entered)")
            try:
                server = self._registry.server_for_token(token)
            except RecordNotFound:
                self._evict_token(hash_token(token))
                raise
            if server.require_api_token_auth:
                self._registry.verify_api_token(_bearer(request))
            entry = await self._entry_for(server, hash_token(token))
        except AdminError as exc:
            await _error_response(exc)(scope, receive, send)
            return
        await entry.manager.handle_request(scope, receive, send)

    async def _entry_for(self, server: ProvisionedServer, token_hash: str) -> _Entry:
        async with self._lock:
            entry = self._entries.get(server.id)
            if entry is not None and entry.revision == server.revision:
                return entry
            if entry is not None:
                self.evict(server.id)
            try:
                credentials = self._registry.account_credentials(server.account)
            except RecordNotFound:
                halo, owns = self._halo_for_account(server.account), False
            else:
                halo, owns = self._halo_for_credentials(credentials), True
            tools = self._registry.tools_for(methods=server.methods, tags=server.tags, breadth=server.breadth)
            mcp_server = self._build_server(halo=halo, tools=tools, exposure=server.tool_exposure)
            entry = _Entry(
                server_id=server.id,
                token_hash=token_hash,
                revision=server.revision,
                manager=self._session_manager(mcp_server),
                halo=halo,
                owns_halo=owns,
            )
            assert self._tg is not None
            await self._tg.start(self._serve, entry)
            self._entries[server.id] = entry
            logger.info("provisioned server %s started (%d tools)", server.id, len(tools))
            return entry

    async def _serve(
        self, entry: _Entry, *, task_status: TaskStatus[None] = anyio.TASK_STATUS_IGNORED
    ) -> None:
        try:
            with entry.cancel:
                async with entry.manager.run():
                    task_status.started()
                    await anyio.sleep_forever()
        finally:
            if entry.owns_halo and hasattr(entry.halo, "aclose"):
                with anyio.CancelScope(shield=True):
                    await entry.halo.aclose()

    def evict(self, server_id: str) -> None:
        """Stop and forget the session manager of ``server_id`` (revoked, changed or expired)."""
        entry = self._entries.pop(server_id, None)
        if entry is not None:
            entry.cancel.cancel()
            logger.info("provisioned server %s stopped", server_id)

    def _evict_token(self, token_hash: str) -> None:
        for entry in list(self._entries.values()):
            if hmac.compare_digest(entry.token_hash, token_hash):
                self.evict(entry.server_id)

    def sweep(self) -> list[str]:
        """Delete expired records and stop servers that are gone (expired, or revoked elsewhere)."""
        swept = self._registry.sweep()
        live = {server.id for server in self._registry.list_servers()}
        for server_id in [*swept, *(set(self._entries) - live)]:
            self.evict(server_id)
        return swept

    @contextlib.asynccontextmanager
    async def running(self, *, sweep_interval: float) -> AsyncIterator[None]:
        async with anyio.create_task_group() as tg:
            self._tg = tg
            tg.start_soon(self._sweep_forever, sweep_interval)
            try:
                yield
            finally:
                self._tg = None
                self._entries.clear()
                tg.cancel_scope.cancel()

    async def _sweep_forever(self, interval: float) -> None:
        while True:
            await anyio.sleep(interval)
            try:
                self.sweep()
            except Exception:  # boundary: a failed sweep must not stop the server; the next one retries
                logger.exception("provisioning sweep failed")


# ---------------------------------------------------------------- log redaction


class RedactTokens(logging.Filter):
    """Blanks secrets in log records (uvicorn's access log prints paths and query strings): the token
    in ``/mcp/<token>``, legacy SSE ``session_id=`` values, and OAuth secrets a careless client put in
    a query string (``client_secret=``, ``password=``, ``refresh_token=``, ...)."""

    _pattern = re.compile(
        r"(/mcp/)[A-Za-z0-9_\-]{16,}"
        r"|((?:^|[?&\s\"'])(?:" + "|".join(("session_id", *SECRET_QUERY_PARAMS)) + r")=)[^&\s\"']*",
        re.IGNORECASE,
    )

    def redact(self, text: str) -> str:
        return self._pattern.sub(lambda m: (m.group(1) or m.group(2)) + "***", text)

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = self.redact(record.msg)
        if record.args:
            args = record.args if isinstance(record.args, tuple) else (record.args,)
            record.args = tuple(self.redact(a) if isinstance(a, str) else a for a in args)
        return True


# ---------------------------------------------------------------- routes


class ProvisioningRoutes(list[BaseRoute]):
    """The Starlette routes of provisioning; also carries the ``lifespan`` that runs the
    per-token session managers and the periodic sweep. Mount the routes *before* any
    ``Mount("/mcp")`` and enter ``lifespan`` from the app's lifespan."""

    def __init__(self, routes: list[BaseRoute], dispatch: _McpDispatch, *, sweep_interval: float) -> None:
        super().__init__(routes)
        self._dispatch = dispatch
        self._sweep_interval = sweep_interval

    @contextlib.asynccontextmanager
    async def lifespan(self, app: Any = None) -> AsyncIterator[None]:
        access_log = logging.getLogger("uvicorn.access")
        redact = RedactTokens()
        access_log.addFilter(redact)
        try:
            async with self._dispatch.running(sweep_interval=self._sweep_interval):
                yield
        finally:
            access_log.removeFilter(redact)

    def sweep(self) -> list[str]:
        """Run one sweep now (the lifespan runs one every ``sweep_interval`` seconds)."""
        return self._dispatch.sweep()


def _default_build_server(*, halo: Any, tools: Any, exposure: Any = "all") -> Any:
    from halo_sandbox.server.mcp_app import build_mcp_server

    return build_mcp_server(halo=halo, tools=tools, exposure=exposure, cache_scope="private")


def _default_halo_for_credentials(credentials: AccountCredentials) -> Any:
    from halo_sandbox.server.upstream import HaloClient

    return HaloClient(
        base_url=credentials.halo_url,
        client_id=credentials.client_id,
        client_secret=credentials.client_secret,
        tenant=credentials.tenant,
    )


def _security_for(base_url: str) -> Any:
    from mcp.server.transport_security import TransportSecuritySettings

    host = urlsplit(base_url).hostname or "127.0.0.1"
    if host in ("127.0.0.1", "localhost", "::1"):
        return TransportSecuritySettings(
            enable_dns_rebinding_protection=True,
            allowed_hosts=["127.0.0.1:*", "localhost:*", "[::1]:*", "127.0.0.1", "localhost"],
            allowed_origins=["http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*"],
        )
    origin = f"{urlsplit(base_url).scheme}://{urlsplit(base_url).netloc}"
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=[urlsplit(base_url).netloc, f"{host}:*", host],
        allowed_origins=[origin],
    )


def build_routes(
    registry: Registry,
    *,
    admin_key: str,
    halo_for_account: HaloFactory,
    base_url: str,
    build_server: Callable[..., Any] | None = None,
    halo_for_credentials: Callable[[AccountCredentials], Any] | None = None,
    session_manager: Callable[[Any], Any] | None = None,
    security: Any = None,
    sweep_interval: float = 60.0,
    guard: AdminGuard | None = None,
) -> ProvisioningRoutes:
    """The admin routes and ``/mcp/{token}``.

    ``halo_for_account(account)`` gives the upstream client for an account with no registered
    Halo (the mock tenant of that name); registered accounts get a ``HaloClient`` built from
    their stored credentials (``halo_for_credentials``). ``base_url`` (``http://host:port``)
    is what provisioned URLs start with. ``build_server(halo=, tools=, exposure=)`` defaults to
    ``server.mcp_app.build_mcp_server``. ``session_manager(server)`` builds the Streamable HTTP
    session manager for one provisioned server (default: the SDK's ``StreamableHTTPSessionManager``
    with ``security``, a ``TransportSecuritySettings`` checking ``Host``/``Origin``, by default
    derived from ``base_url``); pass the same factory as the default ``/mcp`` to keep them alike.
    """
    if not admin_key:
        raise ValueError("admin_key must be a non-empty string")
    from mcp.server.streamable_http_manager import StreamableHTTPSessionManager

    base = base_url.rstrip("/")
    security = security if security is not None else _security_for(base)
    dispatch = _McpDispatch(
        registry,
        halo_for_account=halo_for_account,
        halo_for_credentials=halo_for_credentials or _default_halo_for_credentials,
        build_server=build_server or _default_build_server,
        session_manager=session_manager
        or (lambda app: StreamableHTTPSessionManager(app=app, security_settings=security)),
    )
    admin = _admin(guard or AdminGuard(admin_key))

    def _in_account(request: Request) -> ProvisionedServer:
        server = registry.get_server(request.path_params["server_id"])
        if server.account != request.path_params["account"]:
            raise RecordNotFound(
                f"no provisioned server {server.id!r} for account {request.path_params['account']!r}"
            )
        return server

    @admin
    async def create_server(request: Request) -> Response:
        body = await _body(request, ServerBody)
        server, token = registry.create_server(account=request.path_params["account"], **body)
        return JSONResponse({**server.to_dict(), "url": f"{base}/mcp/{token}"}, status_code=201)

    @admin
    async def list_servers(request: Request) -> Response:
        account = request.path_params["account"]
        return JSONResponse([s.to_dict() for s in registry.list_servers() if s.account == account])

    @admin
    async def get_server(request: Request) -> Response:
        return JSONResponse(_in_account(request).to_dict())

    @admin
    async def update_server(request: Request) -> Response:
        body = await _body(request, ServerBody)
        server = registry.update_server(_in_account(request).id, **body)
        dispatch.evict(server.id)
        return JSONResponse(server.to_dict())

    @admin
    async def delete_server(request: Request) -> Response:
        registry.delete_server(_in_account(request).id)
        dispatch.evict(request.path_params["server_id"])
        return Response(status_code=204)

    @admin
    async def put_account(request: Request) -> Response:
        body = await _body(request, AccountBody)
        account = registry.register_account(request.path_params["account"], **body)
        for server in registry.list_servers():
            if server.account == account.name:
                dispatch.evict(server.id)
        return JSONResponse({**account.to_dict(), "kind": "halo"})

    @admin
    async def get_account(request: Request) -> Response:
        name = request.path_params["account"]
        try:
            return JSONResponse({**registry.get_account(name).to_dict(), "kind": "halo"})
        except RecordNotFound:
            return JSONResponse({"account": name, "kind": "mock"})

    @admin
    async def delete_account(request: Request) -> Response:
        registry.delete_account(request.path_params["account"])
        for server in registry.list_servers():
            if server.account == request.path_params["account"]:
                dispatch.evict(server.id)
        return Response(status_code=204)

    @admin
    async def list_accounts(request: Request) -> Response:
        return JSONResponse([{**a.to_dict(), "kind": "halo"} for a in registry.list_accounts()])

    @admin
    async def create_api_token(request: Request) -> Response:
        body = await _body(request, ApiTokenBody)
        api_token, secret = registry.create_api_token(**body)
        return JSONResponse({**api_token.to_dict(), "token": secret}, status_code=201)

    @admin
    async def list_api_tokens(request: Request) -> Response:
        return JSONResponse([t.to_dict() for t in registry.list_api_tokens()])

    @admin
    async def revoke_api_token(request: Request) -> Response:
        registry.revoke_api_token(request.path_params["token_id"])
        return Response(status_code=204)

    account = "/_sandbox/integrated-account/{account}"
    routes: list[BaseRoute] = [
        Route("/_sandbox/integrated-account", list_accounts, methods=["GET"]),
        Route(account, put_account, methods=["PUT"]),
        Route(account, get_account, methods=["GET"]),
        Route(account, delete_account, methods=["DELETE"]),
        Route(account + "/mcp", create_server, methods=["POST"]),
        Route(account + "/mcp", list_servers, methods=["GET"]),
        Route(account + "/mcp/{server_id}", get_server, methods=["GET"]),
        Route(account + "/mcp/{server_id}", update_server, methods=["PATCH"]),
        Route(account + "/mcp/{server_id}", delete_server, methods=["DELETE"]),
        Route("/_sandbox/api-tokens", create_api_token, methods=["POST"]),
        Route("/_sandbox/api-tokens", list_api_tokens, methods=["GET"]),
        Route("/_sandbox/api-tokens/{token_id}", revoke_api_token, methods=["DELETE"]),
        Route("/mcp/{token}", dispatch, name="provisioned_mcp"),
    ]
    return ProvisioningRoutes(routes, dispatch, sweep_interval=sweep_interval)
