"""Shared fixtures for the mock's tests: settings, a tenant registry, the app, an in-process httpx
client (ASGI transport, no network) and a Bearer token for the default tenant.

Override ``settings`` in a test module to vary options. ``control_registry`` builds tenants on a
tiny in-memory store so control-plane tests do not depend on the fixture world.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import Depends, FastAPI, Request

from halo_sandbox.mock.config import MockSettings
from halo_sandbox.mock.domain.auth import check_scope
from halo_sandbox.mock.http.app import create_app
from halo_sandbox.mock.http.deps import current_tenant
from halo_sandbox.mock.tenants import Tenant, TenantRegistry
from tests.mock_halo._helpers import BASE_URL, FakeStore, fetch_token, tiny_world


@pytest.fixture
def settings() -> MockSettings:
    return MockSettings()


@pytest.fixture
def registry(settings: MockSettings) -> TenantRegistry:
    return TenantRegistry(settings)


@pytest.fixture
def app(registry: TenantRegistry) -> FastAPI:
    return create_app(registry=registry)


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE_URL) as c:
        yield c


@pytest.fixture
async def token(client: httpx.AsyncClient) -> str:
    """A client-credentials token (scope ``all``) for the default tenant."""
    return await fetch_token(client)


@pytest.fixture
def auth_headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def control_registry(settings: MockSettings) -> TenantRegistry:
    return TenantRegistry(settings, store_class=FakeStore, build_world=tiny_world)  # type: ignore[arg-type]


def add_probe_routes(app: FastAPI) -> None:
    """Test-only ``/api/probe`` routes standing in for the data plane: they echo what the control
    plane gave the request (tenant, token) and apply `check_scope` like real routes do."""

    @app.get("/api/probe")
    async def probe(request: Request, tenant: Tenant = Depends(current_tenant)) -> dict[str, Any]:
        token = request.state.token
        return {"tenant": tenant.name, "client_id": token.client_id, "scopes": sorted(token.scopes)}

    @app.get("/api/probe/scoped")
    async def scoped(request: Request, needed: str) -> dict[str, Any]:
        check_scope(request.state.token.scopes, needed=needed)
        return {"allowed": needed}

    @app.post("/api/probe")
    async def echo(request: Request) -> dict[str, Any]:
        return {"received": len(await request.body())}

    # Ahead of the data plane's routes, which may catch every /api path.
    routes = app.router.routes
    routes[:] = routes[-3:] + routes[:-3]


@pytest.fixture
def control_app(control_registry: TenantRegistry) -> FastAPI:
    app = create_app(registry=control_registry)
    add_probe_routes(app)
    return app


@pytest.fixture
async def control_client(control_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=control_app), base_url=BASE_URL) as c:
        yield c
