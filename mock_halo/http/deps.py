"""FastAPI dependencies of the mock's routes."""

from __future__ import annotations

from starlette.requests import Request

from halo_sandbox.mock.exceptions import HaloError
from halo_sandbox.mock.tenants import Tenant

__all__ = ["current_tenant"]


async def current_tenant(request: Request) -> Tenant:
    """The tenant the middleware selected for this request (async, so FastAPI calls it on the event
    loop instead of hopping to its thread pool on every request)."""
    tenant = getattr(request.state, "tenant", None)
    if tenant is None:
        raise HaloError(
            "internal: no tenant selected for this request (is the sandbox middleware installed?)"
        )
    return tenant
