"""The rolling-window rate limiter, driven by the frozen/advanced sandbox clock (no sleeps)."""

from __future__ import annotations

from datetime import datetime

import httpx
import pytest

from halo_sandbox.mock.config import MockSettings, RateLimit
from halo_sandbox.mock.domain.auth import OAuthClient
from halo_sandbox.mock.engine.faults import rate_limit_message
from halo_sandbox.mock.tenants import TenantRegistry
from tests.mock_halo._helpers import fetch_token

pytestmark = pytest.mark.anyio

T0 = datetime(2026, 3, 2, 9, 0, 0)


@pytest.fixture
def settings() -> MockSettings:
    return MockSettings(rate_limit=RateLimit(limit=3, window_seconds=60))


async def _frozen_token(client: httpx.AsyncClient, registry: TenantRegistry, tenant: str = "sandbox") -> dict:
    registry.get(tenant).clock.freeze(T0)
    token = await fetch_token(client, tenant=tenant)
    return {"Authorization": f"Bearer {token}"}


def test_message_is_halos_text() -> None:
    assert rate_limit_message(RateLimit()) == "Rate Limit Reached - 300 Requests per rolling 5 minute window"
    assert (
        rate_limit_message(RateLimit(limit=10, window_seconds=90))
        == "Rate Limit Reached - 10 Requests per rolling 90 second window"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("300/300s", RateLimit(limit=300, window_seconds=300)),
        ("50/5m", RateLimit(limit=50, window_seconds=300)),
        ("10/60", RateLimit(limit=10, window_seconds=60)),
        ("off", None),
        ("OFF", None),
    ],
)
def test_parse(text: str, expected: RateLimit | None) -> None:
    assert RateLimit.parse(text) == expected


@pytest.mark.parametrize("text", ["", "300", "x/5m", "0/60s", "5/0s", "-1/60s", "300/5h"])
def test_parse_rejects_bad_text(text: str) -> None:
    with pytest.raises(ValueError):
        RateLimit.parse(text)


async def test_limit_then_429_with_headers_then_window_rolls(
    control_client: httpx.AsyncClient, control_registry: TenantRegistry
) -> None:
    headers = await _frozen_token(control_client, control_registry)
    remaining = []
    for _ in range(3):
        ok = await control_client.get("/api/probe", headers=headers)
        assert ok.status_code == 200
        assert ok.headers["x-ratelimit-limit"] == "3"
        remaining.append(ok.headers["x-ratelimit-remaining"])
    assert remaining == ["2", "1", "0"]
    refused = await control_client.get("/api/probe", headers=headers)
    assert refused.status_code == 429
    assert refused.json() == {"message": "Rate Limit Reached - 3 Requests per rolling 1 minute window"}
    assert refused.headers["retry-after"] == "60"
    assert refused.headers["x-ratelimit-remaining"] == "0"
    assert refused.headers["x-ratelimit-reset"] == "60"
    clock = control_registry.get().clock
    clock.advance(45)
    again = await control_client.get("/api/probe", headers=headers)
    assert again.status_code == 429
    assert again.headers["retry-after"] == "15"
    clock.advance(15)
    assert (await control_client.get("/api/probe", headers=headers)).status_code == 200


async def test_window_is_rolling_not_fixed(
    control_client: httpx.AsyncClient, control_registry: TenantRegistry
) -> None:
    headers = await _frozen_token(control_client, control_registry)
    clock = control_registry.get().clock
    assert (await control_client.get("/api/probe", headers=headers)).status_code == 200  # t=0
    clock.advance(30)
    for _ in range(2):  # t=30
        assert (await control_client.get("/api/probe", headers=headers)).status_code == 200
    clock.advance(31)  # t=61: only the t=0 request has left the window
    assert (await control_client.get("/api/probe", headers=headers)).status_code == 200
    assert (await control_client.get("/api/probe", headers=headers)).status_code == 429


async def test_refused_requests_do_not_count(
    control_client: httpx.AsyncClient, control_registry: TenantRegistry
) -> None:
    headers = await _frozen_token(control_client, control_registry)
    for _ in range(3):
        await control_client.get("/api/probe", headers=headers)
    for _ in range(5):
        assert (await control_client.get("/api/probe", headers=headers)).status_code == 429
    control_registry.get().clock.advance(60)
    for _ in range(3):
        assert (await control_client.get("/api/probe", headers=headers)).status_code == 200


async def test_limit_is_per_oauth_client(
    control_client: httpx.AsyncClient, control_registry: TenantRegistry
) -> None:
    headers = await _frozen_token(control_client, control_registry)
    control_registry.get().auth.register_client(OAuthClient(client_id="other", client_secret="s"))
    other = await fetch_token(control_client, client_id="other", client_secret="s")
    for _ in range(3):
        await control_client.get("/api/probe", headers=headers)
    assert (await control_client.get("/api/probe", headers=headers)).status_code == 429
    assert (
        await control_client.get("/api/probe", headers={"Authorization": f"Bearer {other}"})
    ).status_code == 200


async def test_limit_is_per_tenant(
    control_client: httpx.AsyncClient, control_registry: TenantRegistry
) -> None:
    a = await _frozen_token(control_client, control_registry, "a")
    b = await _frozen_token(control_client, control_registry, "b")
    for _ in range(3):
        await control_client.get("/api/probe", headers=a)
    assert (await control_client.get("/api/probe", headers=a)).status_code == 429
    assert (await control_client.get("/api/probe", headers=b)).status_code == 200


async def test_put_ratelimit_changes_and_switches_off(
    control_client: httpx.AsyncClient, control_registry: TenantRegistry
) -> None:
    headers = await _frozen_token(control_client, control_registry)
    changed = await control_client.put("/_sandbox/ratelimit", json={"limit": 1, "window_seconds": 10})
    assert changed.status_code == 200
    assert changed.json()["limit"] == 1 and changed.json()["window_seconds"] == 10
    assert changed.json()["message"] == "Rate Limit Reached - 1 Requests per rolling 10 second window"
    assert (await control_client.get("/api/probe", headers=headers)).status_code == 200
    refused = await control_client.get("/api/probe", headers=headers)
    assert refused.json()["message"] == "Rate Limit Reached - 1 Requests per rolling 10 second window"
    state = (await control_client.get("/_sandbox/ratelimit")).json()
    assert state["clients"]["halo-sandbox"] == {"used": 1, "remaining": 0}
    off = await control_client.put("/_sandbox/ratelimit", json={"enabled": False})
    assert off.json()["enabled"] is False
    for _ in range(10):
        response = await control_client.get("/api/probe", headers=headers)
        assert response.status_code == 200
        assert "x-ratelimit-limit" not in response.headers


@pytest.mark.parametrize(
    "body", [{"limit": 0}, {"limit": "many"}, {"window_seconds": -5}, {"burst": 3}, [1, 2], "off"]
)
async def test_bad_ratelimit_update_changes_nothing(control_client: httpx.AsyncClient, body: object) -> None:
    before = (await control_client.get("/_sandbox/ratelimit")).json()
    response = await control_client.put("/_sandbox/ratelimit", json=body)
    assert response.status_code == 400
    assert response.json()
    assert (await control_client.get("/_sandbox/ratelimit")).json() == before


@pytest.mark.parametrize("settings", [MockSettings(rate_limit=None)])
async def test_off_in_settings(control_client: httpx.AsyncClient, control_registry: TenantRegistry) -> None:
    headers = await _frozen_token(control_client, control_registry)
    for _ in range(20):
        assert (await control_client.get("/api/probe", headers=headers)).status_code == 200
    assert (await control_client.get("/_sandbox/ratelimit")).json()["enabled"] is False


def test_default_is_hosted_halos_limit() -> None:
    assert MockSettings().rate_limit == RateLimit(limit=300, window_seconds=300)
