"""The control plane: ``/_sandbox`` endpoints (reset, snapshot/restore, request journal, clock,
rate limit, strict mode, fault rules, token expiry, the tenant's own credentials). Each takes the
``X-Sandbox-Tenant`` header like ``/api``.
When the settings carry an admin key, every endpoint here needs ``Authorization: Bearer <key>``
or ``X-Admin-Key: <key>`` (`require_admin`, reusable by other ``/_sandbox`` routers).
``GET /_sandbox/`` (exact) is left free for the web console.
"""

from __future__ import annotations

import math
import secrets
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Literal

import anyio.to_thread
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, StrictBool, TypeAdapter, model_validator
from pydantic import ValidationError as PydanticValidationError

from halo_sandbox.mock.config import RateLimit
from halo_sandbox.mock.domain.auth import OAuthClient, bearer_token, parse_scopes
from halo_sandbox.mock.engine import jsonpieces
from halo_sandbox.mock.engine.faults import FaultSpec
from halo_sandbox.mock.engine.gil import heavy
from halo_sandbox.mock.exceptions import Unauthorized, ValidationError
from halo_sandbox.mock.http.deps import current_tenant
from halo_sandbox.mock.http.routes import json_chunks
from halo_sandbox.mock.tenants import Tenant, TenantRegistry, field_errors
from halo_sandbox.protocol import ADMIN_KEY_HEADER

_MAX_ADVANCE = 10 * 366 * 24 * 3600


def admin_authorised(settings: Any, headers: Mapping[str, str]) -> bool:
    """Whether ``headers`` carry the admin key (``X-Admin-Key`` or ``Authorization: Bearer``), or no
    key is configured."""
    key = settings.admin_key
    if not key:
        return True
    given = headers.get(ADMIN_KEY_HEADER) or bearer_token(headers.get("authorization"))
    if not given:
        return False
    return secrets.compare_digest(given.encode(), key.encode())


def require_admin(request: Request) -> None:
    """FastAPI dependency: the admin key, when one is configured. A wrong key and a missing one are
    told apart (nothing is said about the key that was given)."""
    if not admin_authorised(request.app.state.settings, request.headers):
        given = request.headers.get(ADMIN_KEY_HEADER) or bearer_token(request.headers.get("authorization"))
        if given:
            raise Unauthorized(
                "That admin key is wrong: it is not the key this sandbox was started with (its start "
                "banner shows it; `up` keeps it in its state directory's admin-key file)."
            )
        raise Unauthorized(
            "The sandbox control plane needs the admin key (Authorization: Bearer <admin key> "
            f"or {ADMIN_KEY_HEADER})."
        )


def _registry(request: Request) -> TenantRegistry:
    return request.app.state.sandbox


router = APIRouter(
    prefix="/_sandbox", dependencies=[Depends(require_admin)], include_in_schema=True, tags=["sandbox"]
)


SNAPSHOT_DEPTH = 4
"""Where a snapshot's rows are (document, ``store``, ``tables``, a table): each row is one JSON call."""


def _parse(raw: bytes, *, depth: int = 1) -> Any:
    if not raw.strip():
        raise ValidationError({"body": ["A JSON body is required."]})
    try:  # a snapshot: in a worker thread, in pieces (see jsonpieces)
        return jsonpieces.loads(raw, parse_constant=_no_constant, depth=depth)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise ValidationError({"body": [f"Malformed JSON: {str(exc)[:200]}"]}) from None


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


async def _json(request: Request) -> Any:
    return _parse(await request.body())


def _validated(model: Any, data: Any, *, prefix: str = "") -> Any:
    try:
        return TypeAdapter(model).validate_python(data)
    except PydanticValidationError as exc:
        raise field_errors(exc.errors(), prefix=prefix) from None


# -- tenants, reset, snapshot ------------------------------------------------------------------
class NewTenant(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=64)


@router.get("/tenants")
async def list_tenants(request: Request) -> dict[str, Any]:
    registry = _registry(request)
    return {
        "tenants": registry.names(),
        "default": registry.settings.default_tenant,
        "max_tenants": registry.settings.max_tenants,
    }


@router.post("/tenants", status_code=201)
async def create_tenant(request: Request) -> dict[str, Any]:
    """Create a tenant from the fixtures (``{"name"}``); an existing one is left as it is."""
    body: NewTenant = _validated(NewTenant, await _json(request))
    registry = _registry(request)
    tenant = registry.find(body.name)
    if tenant is None:
        tenant = await anyio.to_thread.run_sync(registry.create, body.name)
    return {"tenant": tenant.name, "tenants": registry.names()}


@router.delete("/tenants/{name}")
async def delete_tenant(request: Request, name: str) -> dict[str, Any]:
    """Forget a tenant and everything in it (the default tenant is reserved: reset it instead)."""
    registry = _registry(request)
    registry.delete(name)
    return {"deleted": name, "tenants": registry.names()}


# Reset, snapshot and restore build, copy or check a whole tenant: they run in a worker thread so
# other clients are served meanwhile (the tenant's lock keeps them consistent).
@router.post("/reset")
async def reset(request: Request, tenant: Tenant = Depends(current_tenant)) -> dict[str, Any]:
    await anyio.to_thread.run_sync(_registry(request).reset, tenant.name)
    return {"tenant": tenant.name, "reset": True}


@router.get("/snapshot")
async def get_snapshot(request: Request, tenant: Tenant = Depends(current_tenant)) -> Response:
    registry = _registry(request)

    def export() -> list[bytes]:
        with heavy():
            return jsonpieces.pieces(registry.snapshot(tenant.name), depth=SNAPSHOT_DEPTH)

    return json_chunks(await anyio.to_thread.run_sync(export))


@router.put("/snapshot")
async def put_snapshot(request: Request, tenant: Tenant = Depends(current_tenant)) -> dict[str, Any]:
    raw = await request.body()
    registry = _registry(request)

    def restore() -> None:
        with heavy():
            registry.restore(tenant.name, _parse(raw, depth=SNAPSHOT_DEPTH))

    await anyio.to_thread.run_sync(restore)
    return {"tenant": tenant.name, "restored": True}


# -- journal -----------------------------------------------------------------------------------
@router.get("/requests")
async def requests(
    tenant: Tenant = Depends(current_tenant),
    limit: int = Query(100, ge=1, le=100_000),
    tool: str | None = None,
    call_id: str | None = None,
    client: str | None = None,
) -> dict[str, Any]:
    entries = tenant.journal.entries(limit=limit, tool=tool, call_id=call_id, client=client)
    return {"tenant": tenant.name, "count": len(entries), "requests": [e.public() for e in entries]}


@router.delete("/requests")
async def clear_requests(tenant: Tenant = Depends(current_tenant)) -> dict[str, Any]:
    tenant.journal.clear()
    return {"tenant": tenant.name, "cleared": True}


# -- clock -------------------------------------------------------------------------------------
class ClockCommand(BaseModel):
    """``{"action": "freeze", "at"?}``, ``{"action": "unfreeze"}``, ``{"action": "set", "at"}``,
    ``{"action": "advance", "seconds"}``, ``{"action": "reset"}``."""

    model_config = ConfigDict(extra="forbid")

    action: Literal["freeze", "unfreeze", "set", "advance", "reset"]
    at: datetime | None = None
    seconds: float | None = None

    @model_validator(mode="after")
    def _check(self) -> ClockCommand:
        if self.action == "set" and self.at is None:
            raise ValueError("'set' needs 'at' (an ISO date-time)")
        if self.action == "advance":
            if self.seconds is None or not math.isfinite(self.seconds) or abs(self.seconds) > _MAX_ADVANCE:
                raise ValueError("'advance' needs 'seconds' (a finite number, at most ten years)")
        elif self.seconds is not None:
            raise ValueError(f"'seconds' only goes with 'advance', not {self.action!r}")
        if self.at is not None and self.action not in {"set", "freeze"}:
            raise ValueError(f"'at' only goes with 'set' or 'freeze', not {self.action!r}")
        if self.at is not None and not 1901 <= self.at.year <= 9998:
            raise ValueError("'at' must be between the years 1901 and 9998")
        return self


@router.get("/clock")
async def get_clock(tenant: Tenant = Depends(current_tenant)) -> dict[str, Any]:
    return {"tenant": tenant.name, **tenant.clock.state()}


@router.post("/clock")
async def change_clock(request: Request, tenant: Tenant = Depends(current_tenant)) -> dict[str, Any]:
    command: ClockCommand = _validated(ClockCommand, await _json(request))
    clock = tenant.clock
    match command.action:
        case "freeze":
            clock.freeze(command.at)
        case "unfreeze":
            clock.unfreeze()
        case "set":
            clock.set(command.at)  # type: ignore[arg-type]  # ClockCommand._check: 'set' has 'at'
        case "advance":
            clock.advance(command.seconds)  # type: ignore[arg-type]  # _check: 'advance' has 'seconds'
        case "reset":
            clock.reset()
    return {"tenant": tenant.name, **clock.state()}


# -- rate limit --------------------------------------------------------------------------------
class RateLimitUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: StrictBool = True
    """A JSON boolean: ``"yes"`` or ``1`` is refused (400), not taken for true."""
    limit: int | None = Field(default=None, ge=1, le=10_000_000)
    window_seconds: int | None = Field(default=None, ge=1, le=86_400 * 7)


@router.get("/ratelimit")
async def get_ratelimit(tenant: Tenant = Depends(current_tenant)) -> dict[str, Any]:
    return {"tenant": tenant.name, **tenant.limiter.state()}


@router.put("/ratelimit")
async def put_ratelimit(request: Request, tenant: Tenant = Depends(current_tenant)) -> dict[str, Any]:
    update: RateLimitUpdate = _validated(RateLimitUpdate, await _json(request))
    current = tenant.limiter.config or request.app.state.settings.rate_limit or RateLimit()
    tenant.limiter.configure(
        RateLimit(
            limit=update.limit or current.limit,
            window_seconds=update.window_seconds or current.window_seconds,
        )
        if update.enabled
        else None
    )
    return {"tenant": tenant.name, **tenant.limiter.state()}


# -- strict mode -------------------------------------------------------------------------------
class StrictUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: StrictBool | None
    """``true``/``false`` switch the tenant; ``null`` follows the instance's ``--strict`` setting."""


def _strict_state(tenant: Tenant) -> dict[str, Any]:
    return {
        "tenant": tenant.name,
        "enabled": tenant.strict,
        "source": "instance" if tenant.strict_setting is None else "tenant",
    }


@router.get("/strict")
async def get_strict(tenant: Tenant = Depends(current_tenant)) -> dict[str, Any]:
    return _strict_state(tenant)


@router.put("/strict")
async def put_strict(request: Request, tenant: Tenant = Depends(current_tenant)) -> dict[str, Any]:
    """Strict mode refuses with 400 what real Halo would silently ignore (otherwise it is reported in
    the journal and the ``X-Sandbox-Ignored`` header)."""
    update: StrictUpdate = _validated(StrictUpdate, await _json(request))
    tenant.strict_setting = update.enabled
    return _strict_state(tenant)


# -- faults ------------------------------------------------------------------------------------
@router.get("/faults")
async def list_faults(tenant: Tenant = Depends(current_tenant)) -> dict[str, Any]:
    return {"tenant": tenant.name, "faults": tenant.faults.snapshot()}


@router.post("/faults", status_code=201)
async def add_faults(request: Request, tenant: Tenant = Depends(current_tenant)) -> dict[str, Any]:
    """Body: one rule, or a list of rules (all are validated before any is added)."""
    body = await _json(request)
    specs = _validated(list[FaultSpec], body if isinstance(body, list) else [body], prefix="faults")
    rules = tenant.faults.add_many(specs)
    return {"tenant": tenant.name, "faults": [r.model_dump() for r in rules]}


@router.delete("/faults")
async def clear_faults(tenant: Tenant = Depends(current_tenant)) -> dict[str, Any]:
    return {"tenant": tenant.name, "removed": tenant.faults.clear()}


@router.get("/faults/{rule_id}")
async def get_fault(rule_id: int, tenant: Tenant = Depends(current_tenant)) -> dict[str, Any]:
    return tenant.faults.get(rule_id).model_dump()


@router.delete("/faults/{rule_id}")
async def delete_fault(rule_id: int, tenant: Tenant = Depends(current_tenant)) -> dict[str, Any]:
    return {"tenant": tenant.name, "removed": tenant.faults.remove(rule_id).model_dump()}


# -- the tenant's own credentials ----------------------------------------------------------------
class TenantCredentials(BaseModel):
    model_config = ConfigDict(extra="forbid")

    client_id: str = Field(min_length=1, max_length=200, pattern=r"^[\x21-\x7e]+$")
    client_secret: str = Field(min_length=16, max_length=200, pattern=r"^[\x21-\x7e]+$")


def _credentials_state(tenant: Tenant) -> dict[str, Any]:
    return {"tenant": tenant.name, "client_id": tenant.client_id, "own_credentials": tenant.own_credentials}


@router.get("/credentials")
async def get_credentials(tenant: Tenant = Depends(current_tenant)) -> dict[str, Any]:
    """The tenant's OAuth client id and whether it is its own (never a secret)."""
    return _credentials_state(tenant)


@router.put("/credentials")
async def put_credentials(request: Request, tenant: Tenant = Depends(current_tenant)) -> dict[str, Any]:
    """Give the tenant OAuth credentials of its own in place of the instance's (``client_id``,
    ``client_secret`` of 16-200 printable characters): from now on only they get its tokens, and the
    tokens issued to the client they replace stop working. Other tenants keep theirs."""
    body: TenantCredentials = _validated(TenantCredentials, await _json(request))
    settings = _registry(request).settings
    reserved = {client_id for client_id, _ in settings.extra_clients}
    if body.client_id in reserved:
        raise ValidationError(
            {"client_id": [f"{body.client_id!r} is the sandbox's own client; choose another."]}
        )
    revoked = tenant.auth.replace_client(
        old=tenant.client_id,
        new=OAuthClient(
            client_id=body.client_id,
            client_secret=body.client_secret,
            scopes=parse_scopes(settings.client_scope),
        ),
    )
    tenant.client_id, tenant.own_credentials = body.client_id, True
    return {**_credentials_state(tenant), "revoked": revoked}


# -- tokens ------------------------------------------------------------------------------------
class ExpireTokens(BaseModel):
    model_config = ConfigDict(extra="forbid")

    client_id: str | None = None
    refresh_tokens: bool = False


@router.post("/tokens/expire")
async def expire_tokens(request: Request, tenant: Tenant = Depends(current_tenant)) -> dict[str, Any]:
    """Expire the tenant's live access tokens now (all, or one client's); body optional."""
    body = await _json(request) if (await request.body()).strip() else {}
    options: ExpireTokens = _validated(ExpireTokens, body)
    return {
        "tenant": tenant.name,
        "expired": tenant.auth.expire(client_id=options.client_id, refresh_tokens=options.refresh_tokens),
    }


@router.get("/tokens")
async def list_tokens(tenant: Tenant = Depends(current_tenant)) -> dict[str, Any]:
    return {"tenant": tenant.name, "tokens": [t.public() for t in tenant.auth.live_tokens()]}
