"""`halo-sandbox up`'s composed app: one Host/Origin policy for every route it serves."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from halo_sandbox.sandbox import build_sandbox
from halo_sandbox.settings import Settings

pytestmark = pytest.mark.anyio

ROUTES = [
    ("GET", "/api/tickets"),
    ("POST", "/auth/token"),
    ("GET", "/_sandbox/tenants"),
    ("GET", "/_sandbox/"),
    ("POST", "/_sandbox/console/reset"),
    ("POST", "/_sandbox/console/login"),
    ("POST", "/mcp"),
    ("GET", "/sse"),
    ("POST", "/mcp/some-provisioned-token"),
    ("GET", "/_sandbox/api-tokens"),
]


@pytest.fixture
async def sandbox(tmp_path: Path) -> httpx.AsyncClient:
    app = build_sandbox(Settings(state_dir=tmp_path, admin_key="admin-key-for-tests", port=8765))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:8765"
    ) as client:
        yield client


@pytest.mark.parametrize(("method", "path"), ROUTES)
async def test_every_route_refuses_foreign_hosts_and_origins(
    sandbox: httpx.AsyncClient, method: str, path: str
) -> None:
    assert (await sandbox.request(method, path, headers={"Host": "attacker.example"})).status_code == 421
    assert (
        await sandbox.request(method, path, headers={"Origin": "http://attacker.example"})
    ).status_code == 403
    assert (await sandbox.request(method, path, headers={"Origin": "null"})).status_code == 403


async def test_local_requests_are_served(sandbox: httpx.AsyncClient) -> None:
    assert (await sandbox.get("/api/authinfo")).status_code == 200
    assert (
        await sandbox.get("/api/authinfo", headers={"Origin": "http://localhost:6274"})
    ).status_code == 200


async def test_one_admin_guard_for_console_and_provisioning(sandbox: httpx.AsyncClient) -> None:
    """The console session works on the provisioning API too, with the same CSRF rule; the key works
    everywhere; nothing else does."""
    import re

    assert (await sandbox.get("/_sandbox/api-tokens")).status_code == 401
    assert (
        await sandbox.get("/_sandbox/api-tokens", headers={"X-Admin-Key": "admin-key-for-tests"})
    ).status_code == 200
    await sandbox.post("/_sandbox/console/login", data={"key": "admin-key-for-tests"})
    page = await sandbox.get("/_sandbox/")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    assert (await sandbox.get("/_sandbox/api-tokens")).status_code == 200
    refused = await sandbox.post("/_sandbox/api-tokens", json={"name": "x"})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "cross_site"
    assert (await sandbox.get("/_sandbox/api-tokens")).json() == []
    minted = await sandbox.post("/_sandbox/api-tokens", json={"name": "x"}, headers={"X-CSRF-Token": csrf})
    assert minted.status_code == 201
    unknown = await sandbox.post(
        "/_sandbox/api-tokens", json={"name": "y", "admin": True}, headers={"X-CSRF-Token": csrf}
    )
    assert unknown.status_code == 400 and unknown.json()["error"]["field"] == "admin"
    typed = await sandbox.post("/_sandbox/api-tokens", json={"name": 5}, headers={"X-CSRF-Token": csrf})
    assert typed.status_code == 400 and typed.json()["error"]["field"] == "name"
