"""Heavy store work (a big batch POST, snapshot export/restore, reset) runs off the event loop, so
another client is served meanwhile; request bodies are capped per route."""

from __future__ import annotations

import asyncio
import gc
import json

import httpx
import pytest

from halo_sandbox.mock.config import MockSettings
from halo_sandbox.mock.http.app import create_app
from halo_sandbox.mock.tenants import TenantRegistry

pytestmark = pytest.mark.anyio
H = dict[str, str]


async def _served_meanwhile(
    client: httpx.AsyncClient,
    heavy: asyncio.Task[httpx.Response],
    path: str = "/api/authinfo",
    headers: H | None = None,
) -> list[str]:
    """Order in which the heavy request and a small request started just after it complete."""
    order: list[str] = []
    heavy.add_done_callback(lambda _: order.append("heavy"))
    await asyncio.sleep(0.02)  # the heavy request is being worked on
    assert not heavy.done()
    response = await client.get(path, headers=headers)
    assert response.status_code == 200
    order.append("small")
    assert (await heavy).status_code == 200, (await heavy).text
    return order


async def test_a_big_batch_does_not_stall_other_clients(
    client: httpx.AsyncClient, auth_headers: H, registry: TenantRegistry
) -> None:
    batch = json.dumps(  # the largest batch a request may carry (max_batch_records), about 2 MB
        [{"summary": f"bulk {i}", "client_id": 104, "details": "x" * 2000} for i in range(1000)]
    )
    heavy = asyncio.create_task(
        client.post(
            "/api/Tickets",
            content=batch.encode(),
            headers={**auth_headers, "Content-Type": "application/json"},
        )
    )
    # a reader of the same tenant, not only one that leaves the store alone
    assert await _served_meanwhile(client, heavy, "/api/Tickets/45920", auth_headers) == ["small", "heavy"]
    response = await heavy
    saved = response.json()  # sent in chunks: the whole answer, every saved record in full
    assert int(response.headers["content-length"]) == len(response.content)
    assert [row["summary"] for row in saved] == [f"bulk {i}" for i in range(1000)]
    assert saved[-1] == (await client.get(f"/api/Tickets/{saved[-1]['id']}", headers=auth_headers)).json()
    posts = [
        e
        for e in registry.get().journal.entries(limit=100)
        if e.path.startswith("/api/") and e.method == "POST"
    ]
    assert [(e.path, e.status) for e in posts] == [("/api/Tickets", 200)]


@pytest.mark.parametrize("settings", [MockSettings(tickets=3000)])
async def test_snapshot_and_restore_do_not_stall_other_clients(
    client: httpx.AsyncClient, registry: TenantRegistry
) -> None:
    registry.get()
    snapshot = (await client.get("/_sandbox/snapshot")).content
    heavy = asyncio.create_task(client.put("/_sandbox/snapshot", content=snapshot))
    assert await _served_meanwhile(client, heavy) == ["small", "heavy"]
    heavy = asyncio.create_task(client.get("/_sandbox/snapshot"))
    assert await _served_meanwhile(client, heavy) == ["small", "heavy"]


@pytest.mark.parametrize(
    ("path", "limit_name", "headers"),
    [
        ("/api/Tickets", "max_body_bytes", {"Content-Type": "application/json"}),
        ("/auth/token", "max_token_body_bytes", {"Content-Type": "application/x-www-form-urlencoded"}),
        ("/_sandbox/faults", "max_control_body_bytes", {"Content-Type": "application/json"}),
        ("/_sandbox/snapshot", "max_snapshot_bytes", {"Content-Type": "application/json"}),
    ],
)
async def test_request_bodies_are_capped_per_route(path: str, limit_name: str, headers: H) -> None:
    settings = MockSettings(**{limit_name: 1000})
    registry = TenantRegistry(settings)
    app = create_app(registry=registry)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://mock.test"
    ) as client:
        token = (
            await client.post(
                "/auth/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": "halo-sandbox",
                    "client_secret": "halo-sandbox-secret",
                },
            )
        ).json()["access_token"]
        before = json.dumps(registry.snapshot()["store"], sort_keys=True)
        method = "PUT" if path.endswith("snapshot") else "POST"
        headers = {**headers, "Authorization": f"Bearer {token}"}
        for body in (b"x" * 1001, b"x" * 5_000_000):
            declared = await client.request(method, path, content=body, headers=headers)
            assert declared.status_code == 413, declared.text

            async def stream(data: bytes = body):  # no Content-Length: counted while read
                for start in range(0, len(data), 500):
                    yield data[start : start + 500]

            streamed = await client.request(method, path, content=stream(), headers=headers)
            assert streamed.status_code == 413
        assert json.dumps(registry.snapshot()["store"], sort_keys=True) == before


async def test_the_cycle_collector_is_back_after_heavy_work_even_when_it_is_refused(
    client: httpx.AsyncClient, auth_headers: H, registry: TenantRegistry
) -> None:
    registry.get()
    bad_batch = json.dumps(
        [{"summary": f"bulk {i}", "client_id": 104, "details": "x" * 200} for i in range(999)]
        + [{"summary": "bad", "agent_id": "not a number"}]
    )
    response = await client.post(
        "/api/Tickets",
        content=bad_batch.encode(),
        headers={**auth_headers, "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    snapshot = (await client.get("/_sandbox/snapshot")).json()
    snapshot["store"]["tables"]["tickets"].append({"id": "not a number"})
    assert (await client.put("/_sandbox/snapshot", json=snapshot)).status_code == 400
    assert (await client.post("/_sandbox/reset")).status_code == 200
    assert gc.isenabled()
