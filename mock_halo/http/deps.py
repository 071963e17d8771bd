"""FastAPI dependencies of the mock's routes."""

from __future__ import annotations

from starlette.requests import Request

from halo_sandbox.mock.exceptions import HaloError, NotFound
from halo_sandbox.mock.tenants import TENANT_HEADER, Tenant

__all__ = ["current_tenant"]


async def current_tenant(request: Request) -> Tenant:
    """The tenant the middleware selected for this request (async, so FastAPI calls it on the event
    loop instead of hopping to its thread pool on every request)."""
    tenant = getattr(request.state, "tenant", None)
    missing = getattr(request.state, "missing_tenant", None)
    if tenant is None and missing is not None:
        known = ", ".join(repr(n) for n in request.app.state.sandbox.names())
        raise NotFound(
            f"There is no tenant {missing!r} (tenants: {known}). Reads never create one: "
            f'POST /_sandbox/tenants {{"name": "{missing}"}} does, as does any admin change with '
            f"{TENANT_HEADER}: {missing}."
        )
    if tenant is None:
        raise HaloError(
            "internal: no tenant selected for this request (is the sandbox middleware installed?)"
        )
    return tenant
