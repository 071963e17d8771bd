"""The `/api` resource routes over HTTP (in-process ASGI), against the fixture world."""

from __future__ import annotations

import asyncio
from datetime import datetime

import httpx
import pytest

from halo_sandbox.fixtures import build_world
from halo_sandbox.mock.config import MockSettings
from halo_sandbox.mock.domain import facts
from halo_sandbox.mock.domain.resources import RESOURCES
from halo_sandbox.mock.domain.store import HaloStore
from halo_sandbox.mock.engine.clock import SandboxClock
from tests.mock_halo._helpers import fetch_token

pytestmark = pytest.mark.anyio
H = dict[str, str]


@pytest.fixture
def settings() -> MockSettings:
    return MockSettings(rate_limit=None)


async def test_every_resource_lists_with_its_envelope(client: httpx.AsyncClient, auth_headers: H) -> None:
    for spec in RESOURCES:
        params = {"ticket_id": "45920"} if spec.list_requires else {}
        response = await client.get(f"/api/{spec.path}", headers=auth_headers, params=params)
        assert response.status_code == 200, (spec.path, response.text)
        body = response.json()
        if spec.list_key is None:
            assert isinstance(body, list) and body, spec.path
        else:
            assert body["record_count"] >= len(body[spec.list_key]) > 0, spec.path


async def test_paths_are_case_insensitive_and_unknown_paths_404(
    client: httpx.AsyncClient, auth_headers: H
) -> None:
    upper = await client.get("/api/TICKETS/45920", headers=auth_headers)
    lower = await client.get("/api/tickets/45920", headers=auth_headers)
    assert upper.status_code == lower.status_code == 200 and upper.json() == lower.json()
    missing = await client.get("/api/Widgets", headers=auth_headers)
    assert missing.status_code == 404 and "not a path of Halo's documented API" in missing.json()["message"]
    view = await client.get("/api/Tickets/View", headers=auth_headers)  # documented for POST only
    assert view.status_code == 405 and view.headers["allow"] == "POST"
    nested = await client.get("/api/Tickets/45920/actions", headers=auth_headers)
    assert nested.status_code == 404
    assert (await client.get("/api/Client/abc", headers=auth_headers)).status_code == 404


async def test_requires_a_bearer_token(client: httpx.AsyncClient) -> None:
    assert (await client.get("/api/Tickets")).status_code == 401


async def test_scopes_are_checked_per_resource(client: httpx.AsyncClient) -> None:
    token = await fetch_token(client, scope="read:tickets")
    headers = {"Authorization": f"Bearer {token}"}
    assert (await client.get("/api/Tickets", headers=headers)).status_code == 200
    assert (await client.get("/api/Client", headers=headers)).status_code == 403
    refused = await client.post("/api/Tickets", headers=headers, json={"summary": "x"})
    assert refused.status_code == 403
    editor = {"Authorization": f"Bearer {await fetch_token(client, scope='edit:customers')}"}
    assert (await client.get("/api/Site", headers=editor)).status_code == 200  # edit covers read
    assert (await client.post("/api/Client", headers=editor, json={"name": "Initech 2"})).status_code == 200


async def test_wayne_open_tickets_filtered_and_paged(client: httpx.AsyncClient, auth_headers: H) -> None:
    params = {
        "client_id": "104",
        "open_only": "true",
        "pageinate": "true",
        "page_size": "100",
        "page_no": "1",
    }
    body = (await client.get("/api/Tickets", headers=auth_headers, params=params)).json()
    ids = [t["id"] for t in body["tickets"]]
    assert {45920, 45931, 45932, 45933, 45935} <= set(ids) and ids == sorted(ids)
    assert body["record_count"] == len(ids)
    assert all(
        t["client_name"] == "Wayne Enterprises" and t["status_id"] not in (8, 9) for t in body["tickets"]
    )


async def test_breached_filter_and_slastate(client: httpx.AsyncClient, auth_headers: H) -> None:
    body = (
        await client.get(
            "/api/Tickets",
            headers=auth_headers,
            params={"includebreached": "true", "team": "1", "count": "500"},
        )
    ).json()
    ids = {t["id"] for t in body["tickets"]}
    assert {45911, 45914, 45917, 45920, 45922} <= ids and not {45935, 45936} & ids
    assert all(t["slastate"] == "O" for t in body["tickets"])


async def test_wrong_typed_param_is_400(client: httpx.AsyncClient, auth_headers: H) -> None:
    response = await client.get("/api/Tickets", headers=auth_headers, params={"client_id": "abc"})
    assert response.status_code == 400 and "client_id" in response.json()
    response = await client.get(
        "/api/Client", headers=auth_headers, params={"pageinate": "true", "page_size": "x"}
    )
    assert response.status_code == 400 and "page_size" in response.json()


async def test_get_unknown_id_is_404(client: httpx.AsyncClient, auth_headers: H) -> None:
    response = await client.get("/api/Tickets/99999999", headers=auth_headers)
    assert response.status_code == 404 and "99999999" in response.json()["message"]


async def test_ticket_get_has_nested_priority(client: httpx.AsyncClient, auth_headers: H) -> None:
    ticket = (await client.get("/api/Tickets/45920", headers=auth_headers)).json()
    assert ticket["priority"]["priorityid"] == ticket["priority_id"]
    assert ticket["team"] == "Network Operations" and ticket["lastactiondate"] != "1900-01-01T00:00:00"


async def test_post_create_update_and_batch(client: httpx.AsyncClient, auth_headers: H) -> None:
    created = await client.post(
        "/api/Tickets",
        headers=auth_headers,
        json=[{"summary": "Laptop for new starter", "client_id": 104, "team_id": 5}],
    )
    assert created.status_code == 200
    ticket = created.json()
    assert (
        isinstance(ticket, dict)
        and ticket["team"] == "Service Desk"
        and ticket["client_name"] == "Wayne Enterprises"
    )
    updated = (
        await client.post("/api/Tickets", headers=auth_headers, json=[{"id": ticket["id"], "agent_id": 2}])
    ).json()
    assert updated["summary"] == "Laptop for new starter" and updated["agent_id"] == 2
    fetched = (await client.get(f"/api/Tickets/{ticket['id']}", headers=auth_headers)).json()
    assert fetched["agent_id"] == 2
    batch = (
        await client.post(
            "/api/Users",
            headers=auth_headers,
            json=[{"name": "A One", "site_id": 7}, {"name": "B Two", "site_id": 7}],
        )
    ).json()
    assert isinstance(batch, list) and [u["client_id"] for u in batch] == [104, 104]


async def test_refused_post_is_400_naming_the_field_and_changes_nothing(
    client: httpx.AsyncClient, auth_headers: H
) -> None:
    before = (await client.get("/api/Tickets", headers=auth_headers, params={"count": "100000"})).json()
    # unknown references and missing fields are the mock's own checks: refused in strict mode only
    assert (await client.put("/_sandbox/strict", json={"enabled": True})).status_code == 200
    response = await client.post(
        "/api/Tickets",
        headers=auth_headers,
        json=[{"summary": "ok", "client_id": 104}, {"summary": "bad", "client_id": 999, "agent_id": 42}],
    )
    assert response.status_code == 400
    body = response.json()
    assert body["[1].client_id"][0].startswith("Client 999 does not exist.") and "[1].agent_id" in body
    missing = await client.post("/api/Tickets", headers=auth_headers, json={"client_id": 104})
    assert missing.status_code == 400 and "[0].summary" in missing.json()
    typed = await client.post("/api/Tickets", headers=auth_headers, json={"summary": "x", "agent_id": "abc"})
    assert (
        typed.status_code == 400 and "Could not convert string to integer" in typed.json()["[0].agent_id"][0]
    )
    update = await client.post("/api/Tickets", headers=auth_headers, json={"id": 45920, "status_id": 404})
    assert update.status_code == 400
    unknown = await client.post("/api/Tickets", headers=auth_headers, json={"id": 99999999, "summary": "x"})
    assert unknown.status_code == 404
    bad_json = await client.post(
        "/api/Tickets", headers={**auth_headers, "Content-Type": "application/json"}, content=b"{not json"
    )
    assert bad_json.status_code == 400
    after = (await client.get("/api/Tickets", headers=auth_headers, params={"count": "100000"})).json()
    assert after == before


async def test_action_with_new_status_closes_the_ticket(client: httpx.AsyncClient, auth_headers: H) -> None:
    action = await client.post(
        "/api/Actions",
        headers=auth_headers,
        json=[{"ticket_id": 45931, "note": "Fixed the SSO loop", "outcome_id": 1, "new_status": 9}],
    )
    assert action.status_code == 200
    ticket = (await client.get("/api/Tickets/45931", headers=auth_headers)).json()
    assert ticket["status_id"] == 9 and ticket["status_name"] == "Closed"
    assert ticket["lastactiondate"] == action.json()["datetime"]
    open_ids = [
        t["id"]
        for t in (
            await client.get(
                "/api/Tickets", headers=auth_headers, params={"client_id": "104", "open_only": "true"}
            )
        ).json()["tickets"]
    ]
    assert 45931 not in open_ids
    listed = (await client.get("/api/Actions", headers=auth_headers, params={"ticket_id": "45931"})).json()
    assert action.json()["id"] == max(a["id"] for a in listed["actions"])


async def test_actions_by_id_need_ticket_id(client: httpx.AsyncClient, auth_headers: H) -> None:
    assert (await client.get("/api/Actions", headers=auth_headers)).json() == {
        "record_count": 0,
        "actions": [],
    }
    response = await client.get("/api/Actions/1", headers=auth_headers)
    assert response.status_code == 400 and "ticket_id" in response.json()
    ok = await client.get("/api/Actions/1", headers=auth_headers, params={"ticket_id": "45920"})
    assert ok.status_code == 200 and ok.json()["ticket_id"] == 45920
    deleted = await client.delete("/api/Actions/1", headers=auth_headers, params={"ticket_id": "45920"})
    assert deleted.status_code == 200
    gone = await client.get("/api/Actions/1", headers=auth_headers, params={"ticket_id": "45920"})
    assert gone.status_code == 404


async def test_delete(client: httpx.AsyncClient, auth_headers: H) -> None:
    await client.put("/_sandbox/strict", json={"enabled": True})  # referenced: refused in strict mode only
    in_use = await client.delete("/api/Client/104", headers=auth_headers)
    assert in_use.status_code == 400 and "referenced" in in_use.json()["id"][0]
    assert (await client.get("/api/Client/104", headers=auth_headers)).status_code == 200
    await client.put("/_sandbox/strict", json={"enabled": False})
    assert (await client.delete("/api/Tickets/45920", headers=auth_headers)).status_code == 200
    assert (await client.get("/api/Tickets/45920", headers=auth_headers)).status_code == 404
    assert (await client.get("/api/Attachment", headers=auth_headers, params={"ticket_id": "45920"})).json()[
        "record_count"
    ] == 0
    assert (await client.delete("/api/Tickets/45920", headers=auth_headers)).status_code == 404


async def test_projects_and_quotes(client: httpx.AsyncClient, auth_headers: H) -> None:
    projects = (await client.get("/api/Projects", headers=auth_headers, params={"client_id": "102"})).json()
    assert "Stark Industries Cloud Migration" in [p["summary"] for p in projects["tickets"]]
    assert all(p["is_project"] for p in projects["tickets"])
    quotes = (
        await client.get(
            "/api/Quotation",
            headers=auth_headers,
            params={"client_id": "102", "awaiting_approval": "true", "includelines": "true"},
        )
    ).json()
    assert {501, 502, 503} <= {q["id"] for q in quotes["quotes"]} and 504 not in {
        q["id"] for q in quotes["quotes"]
    }
    q = quotes["quotes"][0]
    assert q["total"] == pytest.approx(
        sum(line["total_price"] for line in q["lines"] if not line.get("optional"))
    )


async def test_body_over_the_limit_is_413(
    client: httpx.AsyncClient, auth_headers: H, settings: MockSettings
) -> None:
    big = b"[" + b" " * settings.max_body_bytes + b"]"
    response = await client.post(
        "/api/Tickets", headers={**auth_headers, "Content-Type": "application/json"}, content=big
    )
    assert response.status_code == 413


async def test_fifty_concurrent_clients_lose_nothing(client: httpx.AsyncClient, auth_headers: H) -> None:
    async def create(n: int) -> list[int]:
        out = []
        for i in range(4):
            r = await client.post(
                "/api/Tickets", headers=auth_headers, json={"summary": f"zqload {n}-{i}", "client_id": 105}
            )
            assert r.status_code == 200, r.text
            out.append(r.json()["id"])
        return out

    created = [i for ids in await asyncio.gather(*(create(n) for n in range(50))) for i in ids]
    assert len(set(created)) == 200
    listed = (
        await client.get("/api/Tickets", headers=auth_headers, params={"search": "zqload", "count": "1000"})
    ).json()
    assert {t["id"] for t in listed["tickets"]} == set(created)


@pytest.mark.parametrize("seed", [0, 7])
def test_the_fixture_world_loads_cleanly(seed: int) -> None:
    now = datetime(2026, 11, 25, 9, 0)
    store = HaloStore(
        seed_data=build_world(seed=seed, now=now, tickets=2000), clock=SandboxClock(frozen_at=now)
    )
    assert store.counts()["tickets"] == 2000


CREATE_BODIES = {
    "slas": {"name": "Gold SLA"},
    "priorities": {"name": "Urgent", "priorityid": 5, "slaid": 1},
    "statuses": {"name": "On Hold"},
    "ticket_types": {"name": "Change"},
    "teams": {"name": "Apps"},
    "agents": {"name": "New Agent", "team_id": 1},
    "categories": {"value": "Email"},
    "outcomes": {"outcome": "Phone call"},
    "asset_types": {"name": "Printer", "assetgroup_id": 1},
    "clients": {"name": "Umbrella"},
    "sites": {"name": "HQ", "client_id": 104},
    "users": {"name": "Jo Bloggs", "site_id": 7},
    "contracts": {"client_id": 104, "ref": "WAYNE-2"},
    "tickets": {"summary": "Mouse broken"},
    "projects": {"summary": "Office move", "client_id": 101},
    "actions": {"ticket_id": 45920, "note": "called"},
    "quotes": {"client_id": 104, "lines": [{"quantity": 2, "price": 10.5}]},
    "invoices": {"client_id": 104, "lines": [{"qty_order": 2, "unit_price": 5, "tax_rate": 10}]},
    "kb_articles": {"name": "How to reset MFA"},
    "assets": {"client_id": 104, "inventory_number": "WE-999"},
    "attachments": {"ticket_id": 45920, "filename": "x.txt", "data_base64": "aGk="},
}


@pytest.mark.parametrize("spec", RESOURCES, ids=lambda s: s.name)
async def test_every_resource_creates_reads_updates_and_deletes(
    client: httpx.AsyncClient, auth_headers: H, spec
) -> None:
    body = CREATE_BODIES[spec.name]
    created = await client.post(f"/api/{spec.path}", headers=auth_headers, json=[body])
    assert created.status_code == 200, created.text
    record = created.json()
    rid = record["id"]
    scope = {spec.id_scope: str(record[spec.id_scope])} if spec.id_scope else {}
    fetched = await client.get(f"/api/{spec.path}/{rid}", headers=auth_headers, params=scope)
    assert fetched.status_code == 200
    if not spec.raw_get:
        assert fetched.json() == record
    # a documented string field of the record that the create did not set
    schema = facts.schema(facts.record_schema(spec.path) or "")
    text = next(
        f
        for f in ("note", "notes", "description", "colour", "intent", "always_bcc", "address1")
        if schema.get(f) == "string"
    )
    update = {"id": rid, **({spec.id_scope: record[spec.id_scope]} if spec.id_scope else {}), text: "edited"}
    updated = await client.post(f"/api/{spec.path}", headers=auth_headers, json=update)
    assert updated.status_code == 200 and updated.json()[text] == "edited"
    for key, value in body.items():
        if key not in ("lines", "data_base64", text):
            assert updated.json()[key] == value, key
    assert (
        await client.delete(f"/api/{spec.path}/{rid}", headers=auth_headers, params=scope)
    ).status_code == 200
    assert (
        await client.get(f"/api/{spec.path}/{rid}", headers=auth_headers, params=scope)
    ).status_code == 404


async def test_quote_and_invoice_totals_over_http(client: httpx.AsyncClient, auth_headers: H) -> None:
    quote = (await client.post("/api/Quotation", headers=auth_headers, json=CREATE_BODIES["quotes"])).json()
    assert quote["total"] == 21.0 and quote["approvalstate"] == 0 and quote["lines"][0]["id"] == 1
    approved = (
        await client.post(
            "/api/Quotation", headers=auth_headers, json={"id": quote["id"], "approvalstate": 1}
        )
    ).json()
    assert approved["total"] == 21.0 and approved["lines"] == quote["lines"]
    invoice = (await client.post("/api/Invoice", headers=auth_headers, json=CREATE_BODIES["invoices"])).json()
    assert (invoice["total"], invoice["tax_total"], invoice["amountdue"]) == (11.0, 1.0, 11.0)


@pytest.mark.parametrize(
    "content",
    [
        b'{"summary": "x", "estimate": NaN}',
        b'[{"summary": "x", "foo": Infinity}]',
        b"[" * 100000 + b"]" * 100000,
        b"\xff\xfe",
        b"",
    ],
)
async def test_unparseable_bodies_are_400_and_change_nothing(
    client: httpx.AsyncClient, auth_headers: H, content: bytes
) -> None:
    before = (await client.get("/api/Tickets", headers=auth_headers, params={"count": "100000"})).json()
    response = await client.post(
        "/api/Tickets", headers={**auth_headers, "Content-Type": "application/json"}, content=content
    )
    assert response.status_code == 400 and "" in response.json()
    assert (
        await client.get("/api/Tickets", headers=auth_headers, params={"count": "100000"})
    ).json() == before


async def test_id_zero_or_negative_creates(client: httpx.AsyncClient, auth_headers: H) -> None:
    saved = (
        await client.post(
            "/api/Client",
            headers=auth_headers,
            json=[{"id": 0, "name": "Zero Ltd"}, {"id": -1, "name": "Minus Ltd"}],
        )
    ).json()
    assert [c["name"] for c in saved] == ["Zero Ltd", "Minus Ltd"] and all(c["id"] > 0 for c in saved)


async def test_snapshot_restore_and_reset_through_the_control_plane(
    client: httpx.AsyncClient, auth_headers: H
) -> None:
    snapshot = await client.get("/_sandbox/snapshot")
    assert snapshot.status_code == 200
    created = (
        await client.post("/api/Tickets", headers=auth_headers, json={"summary": "after snapshot"})
    ).json()
    await client.post("/api/Actions", headers=auth_headers, json={"ticket_id": 45920, "new_status": 9})
    assert (await client.put("/_sandbox/snapshot", json=snapshot.json())).status_code == 200
    assert (await client.get(f"/api/Tickets/{created['id']}", headers=auth_headers)).status_code == 404
    assert (await client.get("/api/Tickets/45920", headers=auth_headers)).json()["status_id"] != 9
    listed = (await client.get("/api/Attachment", headers=auth_headers, params={"ticket_id": "45920"})).json()
    download = await client.get(f"/api/Attachment/{listed['attachments'][0]['id']}", headers=auth_headers)
    assert download.status_code == 200 and len(download.content) == listed["attachments"][0]["filesize"] > 0
    await client.post("/api/Tickets", headers=auth_headers, json={"summary": "before reset"})
    assert (await client.post("/_sandbox/reset")).status_code == 200
    after = (await client.get("/api/Tickets", headers=auth_headers, params={"search": "before reset"})).json()
    assert after["record_count"] == 0
