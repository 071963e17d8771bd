"""The sandbox clock through `/_sandbox/clock` and from Python; bad bodies change nothing."""

from __future__ import annotations

from datetime import datetime, timedelta

import httpx
import pytest

from halo_sandbox.mock.engine.clock import SandboxClock
from halo_sandbox.mock.tenants import TenantRegistry

pytestmark = pytest.mark.anyio


async def clock_cmd(client: httpx.AsyncClient, body: object, **kwargs: object) -> httpx.Response:
    return await client.post("/_sandbox/clock", json=body, **kwargs)


async def test_freeze_set_advance_unfreeze_reset(control_client: httpx.AsyncClient) -> None:
    frozen = (await clock_cmd(control_client, {"action": "freeze", "at": "2026-03-02T09:00:00"})).json()
    assert frozen["now"] == "2026-03-02T09:00:00" and frozen["frozen"] is True
    assert (await control_client.get("/_sandbox/clock")).json()["now"] == "2026-03-02T09:00:00"
    advanced = (await clock_cmd(control_client, {"action": "advance", "seconds": 90061})).json()
    assert advanced["now"] == "2026-03-03T10:01:01"
    moved = (await clock_cmd(control_client, {"action": "set", "at": "2027-01-01T00:00:00Z"})).json()
    assert moved["now"] == "2027-01-01T00:00:00"
    running = (await clock_cmd(control_client, {"action": "unfreeze"})).json()
    assert running["frozen"] is False
    assert running["now"].startswith("2027-01-01T00:00")
    back = (await clock_cmd(control_client, {"action": "reset"})).json()
    assert back["frozen"] is False and abs(back["offset_seconds"]) < 1


async def test_set_accepts_offsets(control_client: httpx.AsyncClient) -> None:
    await clock_cmd(control_client, {"action": "freeze"})
    moved = (await clock_cmd(control_client, {"action": "set", "at": "2026-06-01T12:00:00+02:00"})).json()
    assert moved["now"] == "2026-06-01T10:00:00"


@pytest.mark.parametrize(
    "body",
    [
        {"action": "rewind"},
        {"action": "set"},
        {"action": "set", "at": "next tuesday"},
        {"action": "advance"},
        {"action": "advance", "seconds": "lots"},
        {"action": "advance", "seconds": 1e12},
        {"action": "advance", "seconds": 5, "at": "2026-01-01T00:00:00"},
        {"action": "freeze", "seconds": 5},
        {"action": "set", "at": "0001-01-01T00:00:00"},
        {"action": "unfreeze", "extra": True},
        {},
        [],
        "freeze",
    ],
)
async def test_bad_clock_body_is_400_and_changes_nothing(
    control_client: httpx.AsyncClient, body: object
) -> None:
    await clock_cmd(control_client, {"action": "freeze", "at": "2026-03-02T09:00:00"})
    response = await clock_cmd(control_client, body)
    assert response.status_code == 400
    assert response.json()
    assert (await control_client.get("/_sandbox/clock")).json()["now"] == "2026-03-02T09:00:00"


async def test_non_finite_and_malformed_json(control_client: httpx.AsyncClient) -> None:
    await clock_cmd(control_client, {"action": "freeze", "at": "2026-03-02T09:00:00"})
    for raw in (
        b'{"action": "advance", "seconds": NaN}',
        b'{"action": "advance", "seconds": Infinity}',
        b"{",
    ):
        response = await control_client.post(
            "/_sandbox/clock", content=raw, headers={"Content-Type": "application/json"}
        )
        assert response.status_code == 400, raw
    assert (await control_client.get("/_sandbox/clock")).json()["now"] == "2026-03-02T09:00:00"


async def test_clock_is_per_tenant_and_scriptable_in_process(
    control_client: httpx.AsyncClient, control_registry: TenantRegistry
) -> None:
    await clock_cmd(
        control_client, {"action": "freeze", "at": "2026-03-02T09:00:00"}, headers={"X-Sandbox-Tenant": "a"}
    )
    control_registry.get("a").clock.advance(60)
    assert (await control_client.get("/_sandbox/clock", headers={"X-Sandbox-Tenant": "a"})).json()[
        "now"
    ] == "2026-03-02T09:01:00"
    await control_client.post("/_sandbox/tenants", json={"name": "b"})  # admin reads create no tenant
    assert (await control_client.get("/_sandbox/clock", headers={"X-Sandbox-Tenant": "b"})).json()[
        "frozen"
    ] is False


async def test_journal_times_follow_the_sandbox_clock(control_client: httpx.AsyncClient) -> None:
    await clock_cmd(control_client, {"action": "freeze", "at": "2030-05-05T05:05:05"})
    await control_client.get("/api/authinfo")
    entry = (await control_client.get("/_sandbox/requests", params={"limit": 1})).json()["requests"][0]
    assert entry["time"] == "2030-05-05T05:05:05"


def test_clock_unit() -> None:
    clock = SandboxClock(frozen_at=datetime(2026, 1, 1))
    clock.advance(3600)
    assert clock.now() == datetime(2026, 1, 1, 1)
    clock.unfreeze()
    assert clock.now() - datetime(2026, 1, 1, 1) < timedelta(seconds=5)
    clock.advance(-3600)
    assert clock.now() - datetime(2026, 1, 1) < timedelta(seconds=5)


async def test_advancing_the_clock_breaches_slas_on_the_real_store(client: httpx.AsyncClient) -> None:
    from tests.mock_halo._helpers import fetch_token

    async def breached() -> int:
        token = await fetch_token(client)  # a fresh token: the old one expires with the jump
        response = await client.get(
            "/api/Tickets",
            params={"includebreached": "true", "pageinate": "true", "page_size": 1},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 200
        return response.json()["record_count"]

    await clock_cmd(client, {"action": "freeze"})
    now = await breached()
    await clock_cmd(client, {"action": "advance", "seconds": 400 * 86400})
    later = await breached()
    assert later > now
