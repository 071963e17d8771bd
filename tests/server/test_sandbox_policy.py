"""`halo-sandbox up`'s composed app: one Host/Origin policy for every route it serves."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from halo_sandbox.sandbox import build_sandbox
from halo_sandbox.settings import Settings

pytestmark = pytest.mark.anyio

ROUTES = [("GET", "/api/tickets"), ("POST", "/auth/token"), ("GET", "/_sandbox/tenants"), ("GET", "/_sandbox/"),
          ("POST", "/_sandbox/console/reset"), ("POST", "/_sandbox/console/login"), ("POST", "/mcp"),
          ("GET", "/sse"), ("POST", "/mcp/some-provisioned-token"), ("GET", "/_sandbox/api-tokens")]


@pytest.fixture
async def sandbox(tmp_path: Path) -> httpx.AsyncClient:
    app = build_sandbox(Settings(state_dir=tmp_path, admin_key="admin-key-for-tests", port=8765))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:8765") as client:
        yield client


@pytest.mark.parametrize(("method", "path"), ROUTES)
async def test_every_route_refuses_foreign_hosts_and_origins(sandbox: httpx.AsyncClient, method: str,
                                                             path: str) -> None:
    assert (await sandbox.request(method, path, headers={"Host": "attacker.example"})).status_code == 421
    assert (await sandbox.request(method, path, headers={"Origin": "http://attacker.example"})).status_code == 403
    assert (await sandbox.request(method, path, headers={"Origin": "null"})).status_code == 403


async def test_local_requests_are_served(sandbox: httpx.AsyncClient) -> None:
    assert (await sandbox.get("/api/authinfo")).status_code == 200
    assert (await sandbox.get("/api/authinfo", headers={"Origin": "http://localhost:6274"})).status_code == 200
