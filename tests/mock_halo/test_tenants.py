"""Tenant isolation, creation from fixtures on first use, reset, snapshot/restore, concurrency."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import httpx
import pytest

from halo_sandbox.mock.config import MockSettings
from halo_sandbox.mock.exceptions import ValidationError
from halo_sandbox.mock.http.routes import halo_list
from halo_sandbox.mock.tenants import SNAPSHOT_FORMAT, TenantRegistry, check_tenant_name
from tests.mock_halo._helpers import CLIENT_ID, CLIENT_SECRET, FakeStore, fetch_token, tiny_world

CC = {"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}

pytestmark = pytest.mark.anyio


def tenant_header(name: str) -> dict[str, str]:
    return {"X-Sandbox-Tenant": name}


def test_get_or_create_builds_from_the_fixtures_once() -> None:
    calls: list[dict[str, Any]] = []

    def world(**kwargs: Any) -> dict[str, list[dict[str, Any]]]:
        calls.append(kwargs)
        return tiny_world(**kwargs)

    registry = TenantRegistry(MockSettings(seed=7, tickets=12), store_class=FakeStore, build_world=world)
    tenant = registry.get("acme")
    assert registry.get("acme") is tenant
    assert registry.get() is registry.get("sandbox")
    assert len(calls) == 2
    assert calls[0]["seed"] == 7 and calls[0]["tickets"] == 12
    assert tenant.store.tables["tickets"] == [{"id": 1, "summary": "seed 7"}]
    assert registry.names() == ["acme", "sandbox"]


def test_concurrent_first_use_creates_one_tenant() -> None:
    built = []
    barrier = threading.Barrier(20)

    def world(**kwargs: Any) -> dict[str, list[dict[str, Any]]]:
        built.append(1)
        return tiny_world(**kwargs)

    registry = TenantRegistry(store_class=FakeStore, build_world=world)
    seen = []

    def worker() -> None:
        barrier.wait()
        seen.append(registry.get("shared"))

    threads = [threading.Thread(target=worker) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(built) == 1
    assert all(t is seen[0] for t in seen)


@pytest.mark.parametrize("name", ["", " x", "a/b", "a b", "-lead", "x" * 65, "tenant;drop"])
def test_invalid_tenant_names(name: str) -> None:
    with pytest.raises(ValidationError):
        check_tenant_name(name)


async def test_invalid_tenant_header_is_400_and_creates_nothing(
    control_client: httpx.AsyncClient, control_registry: TenantRegistry
) -> None:
    for path in ("/api/probe", "/_sandbox/faults", "/api/authinfo"):
        response = await control_client.get(path, headers=tenant_header("bad name"))
        assert response.status_code == 400
        assert "Invalid tenant name" in response.json()["X-Sandbox-Tenant"][0]
    assert "bad name" not in control_registry.names()


@pytest.mark.parametrize(
    "settings", [MockSettings(max_tenants=2, max_public_tenants=2, public_tenant_idle_seconds=3600)]
)
async def test_tenant_count_is_bounded_and_the_default_tenant_is_reserved(
    control_client: httpx.AsyncClient, control_registry: TenantRegistry
) -> None:
    await fetch_token(control_client, tenant="one")
    await fetch_token(control_client, tenant="two")
    refused = await control_client.post("/auth/token", data={**CC, "tenant": "three"})
    assert refused.status_code == 400
    assert "max_public_tenants" in refused.json()["error_description"]
    # Tenants created with credentials never block the admin: its own cap counts only its tenants.
    assert (await control_client.post("/_sandbox/tenants", json={"name": "a1"})).status_code == 201
    assert (await control_client.post("/_sandbox/tenants", json={"name": "a2"})).status_code == 201
    refused = await control_client.post("/_sandbox/tenants", json={"name": "a3"})
    assert refused.status_code == 400 and "Too many tenants" in refused.text
    # The default tenant is not counted: it is still served.
    assert (
        await control_client.get(
            "/api/probe", headers={"Authorization": f"Bearer {await fetch_token(control_client)}"}
        )
    ).status_code == 200
    assert control_registry.names() == ["a1", "a2", "one", "sandbox", "two"]
    # Deleting one makes room again.
    deleted = await control_client.delete("/_sandbox/tenants/one")
    assert deleted.json() == {"deleted": "one", "tenants": ["a1", "a2", "sandbox", "two"]}
    await fetch_token(control_client, tenant="three")
    assert control_registry.names() == ["a1", "a2", "sandbox", "three", "two"]


@pytest.mark.parametrize(
    "settings", [MockSettings(max_public_tenants=1, extra_clients=(("sandbox-own", "sandbox-own-secret"),))]
)
async def test_tenants_made_by_the_sandboxs_own_client_are_not_public(
    control_client: httpx.AsyncClient, control_registry: TenantRegistry
) -> None:
    """The built-in MCP server's client (provisioned accounts) acts for the admin: its tenants neither
    count against nor are forgotten for the public cap."""
    for name in ("account-1", "account-2", "account-3"):
        await fetch_token(
            control_client, tenant=name, client_id="sandbox-own", client_secret="sandbox-own-secret"
        )
    await fetch_token(control_client, tenant="public-1")
    assert (await control_client.post("/auth/token", data={**CC, "tenant": "public-2"})).status_code == 400
    assert control_registry.names() == ["account-1", "account-2", "account-3", "public-1", "sandbox"]


@pytest.mark.parametrize("settings", [MockSettings(max_public_tenants=2, public_tenant_idle_seconds=0.2)])
async def test_the_idle_longest_tenant_created_with_credentials_makes_room(
    control_client: httpx.AsyncClient, control_registry: TenantRegistry
) -> None:
    await fetch_token(control_client, tenant="one")
    await fetch_token(control_client, tenant="two")
    assert (await control_client.post("/auth/token", data={**CC, "tenant": "three"})).status_code == 400
    await asyncio.sleep(0.3)
    token = await fetch_token(control_client, tenant="two")  # "two" is used again: "one" idles longest
    assert (await control_client.get("/api/probe", headers={"Authorization": f"Bearer {token}"})).is_success
    await fetch_token(control_client, tenant="three")
    assert control_registry.names() == ["sandbox", "three", "two"]


async def test_unauthenticated_callers_create_no_tenant(
    control_client: httpx.AsyncClient, control_registry: TenantRegistry
) -> None:
    """A cross-site page (no credentials, `no-cors`) or a random client naming tenants creates none."""
    for index in range(60):
        name = f"spam{index}"
        attempts = [
            control_client.get("/api/tickets", headers=tenant_header(name)),
            control_client.get("/api/authinfo", headers=tenant_header(name)),
            control_client.post(f"/auth/token?tenant={name}", data={"grant_type": "client_credentials"}),
            control_client.post("/auth/token", data={**CC, "client_secret": "wrong", "tenant": name}),
            control_client.post(
                "/auth/token",
                data={
                    "grant_type": "password",
                    "client_id": CC["client_id"],
                    "username": "agent@sandbox.local",
                    "password": "no",
                    "tenant": name,
                },
            ),
            control_client.post(
                "/auth/token",
                data={
                    "grant_type": "refresh_token",
                    "client_id": CC["client_id"],
                    "refresh_token": "x",
                    "tenant": name,
                },
            ),
        ]
        statuses = [(await attempt).status_code for attempt in attempts]
        assert all(status in (400, 401) for status in statuses), statuses
    assert set(control_registry.names()) <= {"sandbox"}
    # The sandbox is still usable.
    token = await fetch_token(control_client)
    assert (
        await control_client.get("/api/probe", headers={"Authorization": f"Bearer {token}"})
    ).status_code == 200


@pytest.mark.parametrize("settings", [MockSettings(admin_key="k3y")])
async def test_control_plane_creates_tenants_only_for_the_admin(
    control_client: httpx.AsyncClient, control_registry: TenantRegistry
) -> None:
    refused = await control_client.get("/_sandbox/clock", headers=tenant_header("intruder"))
    assert refused.status_code == 401
    assert (await control_client.post("/_sandbox/tenants", json={"name": "intruder"})).status_code == 401
    assert "intruder" not in control_registry.names()
    admin = {"X-Admin-Key": "k3y"}
    assert (
        await control_client.get("/_sandbox/clock", headers={**admin, **tenant_header("mine")})
    ).status_code == 404  # an admin read never creates a tenant
    assert "mine" not in control_registry.names()
    assert (
        await control_client.post("/_sandbox/reset", headers={**admin, **tenant_header("mine")})
    ).status_code == 200
    assert "mine" in control_registry.names()
    assert (await control_client.delete("/_sandbox/tenants/mine")).status_code == 401
    assert (await control_client.delete("/_sandbox/tenants/mine", headers=admin)).status_code == 200
    assert "mine" not in control_registry.names()


async def test_tenant_deletion_refusals(
    control_client: httpx.AsyncClient, control_registry: TenantRegistry
) -> None:
    await fetch_token(control_client, tenant="gone")
    reserved = await control_client.delete("/_sandbox/tenants/sandbox")
    assert reserved.status_code == 400 and "cannot be deleted" in str(reserved.json())
    assert (await control_client.delete("/_sandbox/tenants/nobody")).status_code == 404
    assert (await control_client.delete("/_sandbox/tenants/bad%20name")).status_code == 400
    token = await fetch_token(control_client, tenant="gone")
    assert (await control_client.delete("/_sandbox/tenants/gone")).status_code == 200
    # Its tokens die with it, and using them does not bring it back.
    assert (
        await control_client.get("/api/probe", headers={"Authorization": f"Bearer {token}"})
    ).status_code == 401
    gone = await control_client.get(
        "/api/probe", headers={"Authorization": f"Bearer {token}", **tenant_header("gone")}
    )
    assert gone.status_code == 401
    assert "gone" not in control_registry.names()


async def test_tenants_do_not_share_faults_journal_clock_or_data(
    control_client: httpx.AsyncClient, control_registry: TenantRegistry
) -> None:
    a = await fetch_token(control_client, tenant="a")
    b = await fetch_token(control_client, tenant="b")
    await control_client.post(
        "/_sandbox/faults", json={"path": "/api/probe", "status": 500}, headers=tenant_header("a")
    )
    await control_client.post(
        "/_sandbox/clock", json={"action": "advance", "seconds": 600}, headers=tenant_header("a")
    )
    control_registry.get("a").store.tables["tickets"].append({"id": 2})
    assert (
        await control_client.get("/api/probe", headers={"Authorization": f"Bearer {a}"})
    ).status_code == 500
    assert (
        await control_client.get("/api/probe", headers={"Authorization": f"Bearer {b}"})
    ).status_code == 200
    journal_b = (await control_client.get("/_sandbox/requests", headers=tenant_header("b"))).json()[
        "requests"
    ]
    assert all(e["status"] != 500 for e in journal_b)
    assert len(journal_b) == 2  # its token request and its probe
    clock_a = (await control_client.get("/_sandbox/clock", headers=tenant_header("a"))).json()
    clock_b = (await control_client.get("/_sandbox/clock", headers=tenant_header("b"))).json()
    assert clock_a["offset_seconds"] >= 600 and abs(clock_b["offset_seconds"]) < 1
    assert len(control_registry.get("b").store.tables["tickets"]) == 1


async def test_reset_recreates_from_seed_and_keeps_tokens(
    control_client: httpx.AsyncClient, control_registry: TenantRegistry, auth_headers: dict[str, str]
) -> None:
    tenant = control_registry.get()
    tenant.store.tables["tickets"].clear()
    tenant.faults.add(path="/nothing", status=500)
    tenant.clock.advance(3000)
    tenant.limiter.configure(None)
    await control_client.get("/api/probe", headers=auth_headers)
    response = await control_client.post("/_sandbox/reset")
    assert response.json() == {"tenant": "sandbox", "reset": True}
    assert tenant.store.tables["tickets"] == [{"id": 1, "summary": "seed 0"}]
    assert tenant.faults.rules() == []
    assert len(tenant.journal) == 0
    assert abs(tenant.clock.state()["offset_seconds"]) < 1
    assert tenant.limiter.config is not None
    assert (await control_client.get("/api/probe", headers=auth_headers)).status_code == 200


@pytest.fixture
async def token(control_client: httpx.AsyncClient) -> str:
    return await fetch_token(control_client)


async def test_snapshot_restore_round_trip(
    control_client: httpx.AsyncClient, control_registry: TenantRegistry
) -> None:
    tenant = control_registry.get()
    tenant.clock.freeze()
    await control_client.post("/_sandbox/faults", json={"path": "/api/x", "status": 500, "times": 3})
    await control_client.put("/_sandbox/ratelimit", json={"limit": 7, "window_seconds": 70})
    snapshot = (await control_client.get("/_sandbox/snapshot")).json()
    assert snapshot["format"] == SNAPSHOT_FORMAT
    assert snapshot["clock"]["frozen"] is True
    # change everything, then restore
    tenant.store.tables["tickets"].append({"id": 99})
    tenant.clock.advance(99999)
    await control_client.delete("/_sandbox/faults")
    await control_client.put("/_sandbox/ratelimit", json={"enabled": False})
    restored = await control_client.put("/_sandbox/snapshot", json=snapshot)
    assert restored.status_code == 200
    assert (await control_client.get("/_sandbox/snapshot")).json() == snapshot
    # the snapshot can also be moved to another tenant
    moved = await control_client.put("/_sandbox/snapshot", json=snapshot, headers=tenant_header("copy"))
    assert moved.status_code == 200
    assert control_registry.get("copy").store.tables == tenant.store.tables


@pytest.mark.parametrize(
    "mutate",
    [
        lambda s: s.update(format="something-else/9"),
        lambda s: s.pop("store"),
        lambda s: s.pop("clock"),
        lambda s: s["clock"].update(now="yesterday"),
        lambda s: s.update(faults=[{"status": 1}]),
        lambda s: s.update(ratelimit={"enabled": True, "limit": 0, "window_seconds": 60}),
        lambda s: s.update(ratelimit={"enabled": True}),
        lambda s: s.update(store={"tables": "not a dict of lists"}),
        lambda s: s.update(store={"no": "tables"}),
        lambda s: s.update(extra=1),
    ],
)
async def test_bad_snapshot_is_refused_and_changes_nothing(
    control_client: httpx.AsyncClient, mutate: Any
) -> None:
    good = (await control_client.get("/_sandbox/snapshot")).json()
    await control_client.post("/_sandbox/clock", json={"action": "freeze"})
    before = (await control_client.get("/_sandbox/snapshot")).json()
    bad = (await control_client.get("/_sandbox/snapshot")).json()
    mutate(bad)
    response = await control_client.put("/_sandbox/snapshot", json=bad)
    assert response.status_code == 400
    assert any(key.startswith("snapshot") for key in response.json())
    assert (await control_client.get("/_sandbox/snapshot")).json() == before
    assert good["store"] == before["store"]


async def test_snapshot_must_be_json(control_client: httpx.AsyncClient) -> None:
    response = await control_client.put("/_sandbox/snapshot", content=b"<xml/>")
    assert response.status_code == 400
    assert "Malformed JSON" in response.json()["body"][0]
    not_object = await control_client.put("/_sandbox/snapshot", json=[1, 2])
    assert not_object.status_code == 400


async def test_fifty_concurrent_clients_on_many_tenants(
    control_client: httpx.AsyncClient, control_registry: TenantRegistry
) -> None:
    names = [f"w{i % 10}" for i in range(50)]

    async def one(name: str) -> list[int]:
        token = await fetch_token(control_client, tenant=name)
        statuses = []
        for _ in range(4):
            response = await control_client.get("/api/probe", headers={"Authorization": f"Bearer {token}"})
            assert response.json()["tenant"] == name
            statuses.append(response.status_code)
        return statuses

    results = await asyncio.gather(*(one(n) for n in names))
    assert all(s == [200] * 4 for s in results)
    for i in range(10):
        tenant = control_registry.get(f"w{i}")
        assert len(tenant.journal) == 5 * 5  # five clients x (token + four probes)
        assert tenant.limiter.state()["clients"]["halo-sandbox"]["used"] == 20
        assert len(tenant.auth.live_tokens()) == 5


async def test_real_store_reset_and_snapshot_round_trip(
    client: httpx.AsyncClient, registry: TenantRegistry
) -> None:
    """The registry over the real `HaloStore` and `fixtures.build_world`."""
    tenant = registry.get()
    counts = tenant.store.counts()
    assert counts["tickets"] > 0 and counts["clients"] > 0
    snapshot = (await client.get("/_sandbox/snapshot")).json()
    tenant.store.delete(resource="tickets", id=halo_list(tenant.store, "tickets")["tickets"][0]["id"])
    assert tenant.store.counts()["tickets"] == counts["tickets"] - 1
    assert (await client.put("/_sandbox/snapshot", json=snapshot)).status_code == 200
    assert registry.get().store.counts() == counts
    bad = {**snapshot, "store": {"tickets": "nope"}}
    response = await client.put("/_sandbox/snapshot", json=bad)
    assert response.status_code == 400
    assert registry.get().store.counts() == counts
    tenant.store.delete(resource="tickets", id=halo_list(tenant.store, "tickets")["tickets"][0]["id"])
    assert (await client.post("/_sandbox/reset")).status_code == 200
    assert registry.get().store.counts() == counts


async def test_fifty_concurrent_writers_on_one_real_tenant(
    client: httpx.AsyncClient, registry: TenantRegistry
) -> None:
    auth_headers = {"Authorization": f"Bearer {await fetch_token(client)}"}
    before = registry.get().store.counts()["tickets"]

    async def create(i: int) -> int:
        response = await client.post(
            "/api/Tickets",
            headers={**auth_headers, "X-Sandbox-Call-Id": f"c{i}"},
            json=[{"summary": f"concurrent {i}", "client_id": 104}],
        )
        assert response.status_code in (200, 201), response.text
        body = response.json()
        return (body[0] if isinstance(body, list) else body)["id"]

    ids = await asyncio.gather(*(create(i) for i in range(50)))
    assert len(set(ids)) == 50
    assert registry.get().store.counts()["tickets"] == before + 50
    journal = registry.get().journal.entries()
    assert sorted(e.call_id for e in journal if e.call_id) == sorted(f"c{i}" for i in range(50))
    assert registry.get().limiter.state()["clients"]["halo-sandbox"]["used"] == 50


async def test_a_refused_control_request_creates_no_tenant(
    control_client: httpx.AsyncClient, control_registry: TenantRegistry
) -> None:
    refused = await control_client.post(
        "/_sandbox/faults", json={"status": 101}, headers=tenant_header("fresh")
    )
    assert refused.status_code == 400
    assert "fresh" not in control_registry.names()
    accepted = await control_client.post(
        "/_sandbox/faults", json={"path": "/x", "status": 500}, headers=tenant_header("fresh")
    )
    assert accepted.status_code == 201 and "fresh" in control_registry.names()
