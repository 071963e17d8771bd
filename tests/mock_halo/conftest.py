"""Shared fixtures for the mock's tests: settings, a tenant registry, the app, an in-process httpx
client (ASGI transport, no network) and a Bearer token for the default tenant.

Override ``settings`` in a test module to vary options. ``control_registry`` builds tenants on a
tiny in-memory store so control-plane tests do not depend on the fixture world.
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import Depends, FastAPI, Request

from halo_sandbox.mock.domain.auth import check_scope
from halo_sandbox.mock.http.app import create_app
from halo_sandbox.mock.http.deps import current_tenant
from halo_sandbox.mock.settings import MockSettings
from halo_sandbox.mock.tenants import Tenant, TenantRegistry

BASE_URL = "http://mock.test"
CLIENT_ID = "halo-sandbox"
CLIENT_SECRET = "halo-sandbox-secret"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


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


async def fetch_token(
    client: httpx.AsyncClient,
    *,
    tenant: str | None = None,
    scope: str | None = None,
    client_id: str = CLIENT_ID,
    client_secret: str = CLIENT_SECRET,
) -> str:
    data = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": client_secret}
    if scope is not None:
        data["scope"] = scope
    if tenant is not None:
        data["tenant"] = tenant
    response = await client.post("/auth/token", data=data)
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


@pytest.fixture
async def token(client: httpx.AsyncClient) -> str:
    """A client-credentials token (scope ``all``) for the default tenant."""
    return await fetch_token(client)


@pytest.fixture
def auth_headers(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


class FakeStore:
    """The two construction seams of `HaloStore` over a dict of tables (control-plane tests only)."""

    def __init__(
        self, *, seed_data: dict[str, list[dict[str, Any]]], clock: Any, max_attachment_bytes: int
    ) -> None:
        self.tables = copy.deepcopy(seed_data)
        self.clock = clock
        self.max_attachment_bytes = max_attachment_bytes

    def snapshot(self) -> dict[str, Any]:
        return {"tables": copy.deepcopy(self.tables)}

    @classmethod
    def from_snapshot(cls, data: dict[str, Any], *, clock: Any, max_attachment_bytes: int) -> FakeStore:
        tables = data["tables"]
        if not isinstance(tables, dict) or not all(isinstance(v, list) for v in tables.values()):
            raise ValueError("tables must map names to lists of records")
        return cls(seed_data=tables, clock=clock, max_attachment_bytes=max_attachment_bytes)


def tiny_world(*, seed: int, now: Any, tickets: int | None = None) -> dict[str, list[dict[str, Any]]]:
    return {"tickets": [{"id": 1, "summary": f"seed {seed}"}], "clients": [{"id": 104, "name": "Wayne"}]}


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
