"""One Host/Origin policy in front of every mock route (DNS rebinding, cross-site pages)."""

from __future__ import annotations

import httpx
import pytest

from halo_sandbox.mock.config import MockSettings
from halo_sandbox.mock.http.app import create_app
from halo_sandbox.mock.http.hostguard import LOOPBACK_HOSTS, LOOPBACK_ORIGINS

pytestmark = pytest.mark.anyio

GUARDED = MockSettings(allowed_hosts=LOOPBACK_HOSTS, allowed_origins=LOOPBACK_ORIGINS, admin_key="k")
ROUTES = [
    ("GET", "/api/tickets"),
    ("GET", "/api/authinfo"),
    ("POST", "/auth/token"),
    ("GET", "/_sandbox/tenants"),
    ("POST", "/_sandbox/reset"),
    ("GET", "/_sandbox/openapi.json"),
    ("GET", "/nowhere"),
]


@pytest.fixture
async def guarded() -> httpx.AsyncClient:
    app = create_app(GUARDED)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://127.0.0.1:8765"
    ) as client:
        yield client


@pytest.mark.parametrize(("method", "path"), ROUTES)
async def test_foreign_host_is_421_on_every_route(guarded: httpx.AsyncClient, method: str, path: str) -> None:
    response = await guarded.request(method, path, headers={"Host": "rebound.attacker.example:8765"})
    assert response.status_code == 421
    assert "rebound.attacker.example" in response.json()["message"]


@pytest.mark.parametrize(("method", "path"), ROUTES)
@pytest.mark.parametrize(
    "origin", ["http://evil.example", "null", "http://127.0.0.1.evil.example:80", "https://localhost:abc"]
)
async def test_foreign_origin_is_403_on_every_route(
    guarded: httpx.AsyncClient, method: str, path: str, origin: str
) -> None:
    response = await guarded.request(method, path, headers={"Origin": origin})
    assert response.status_code == 403


async def test_loopback_names_and_origins_pass(guarded: httpx.AsyncClient) -> None:
    for host in ("127.0.0.1:8765", "localhost:1", "LOCALHOST", "[::1]:8765"):
        assert (await guarded.get("/api/authinfo", headers={"Host": host})).status_code == 200
    for origin in ("http://localhost:6274", "http://127.0.0.1"):
        assert (await guarded.get("/api/authinfo", headers={"Origin": origin})).status_code == 200


async def test_no_check_without_allowed_hosts() -> None:
    """In-process users (tests, notebooks) reach the app under any name."""
    app = create_app(MockSettings())
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://mock.test"
    ) as client:
        assert (await client.get("/api/authinfo")).status_code == 200
