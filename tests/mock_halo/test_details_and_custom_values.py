"""``includedetails=true`` expansions on reads by id, and the seeded custom-field values
(``fixtures.customfields``), over the API."""

from __future__ import annotations

from datetime import datetime

import httpx
import pytest

from halo_sandbox.fixtures import build_world
from halo_sandbox.mock.config import MockSettings
from halo_sandbox.mock.http.app import create_app
from halo_sandbox.mock.tenants import TenantRegistry
from tests.mock_halo._helpers import fetch_token

pytestmark = pytest.mark.anyio
H = dict[str, str]
DETAILS = {"includedetails": "true"}


async def test_team_agents_only_with_includedetails(client: httpx.AsyncClient, auth_headers: H) -> None:
    teams = (await client.get("/api/Team", headers=auth_headers)).json()
    assert teams and all("agents" not in t for t in teams)
    team = teams[0]
    plain = (await client.get(f"/api/Team/{team['id']}", headers=auth_headers)).json()
    assert not plain.get("agents") and not plain.get("managers")  # the full record's empty defaults
    detailed = await client.get(f"/api/Team/{team['id']}", headers=auth_headers, params=DETAILS)
    assert detailed.status_code == 200 and "includedetails" not in detailed.headers.get(
        "X-Sandbox-Ignored", ""
    )
    members = detailed.json()["agents"]
    agents = (await client.get("/api/Agent", headers=auth_headers)).json()
    expected = {a["id"] for a in agents if any(m.get("team_id") == team["id"] for m in a.get("teams") or [])}
    assert expected and {m["agent_id"] for m in members} == expected
    assert all(m["team_name"] == team["name"] and m["agent_name"] for m in members)
    assert {m["agent_id"] for m in detailed.json()["managers"]} <= expected
    off = (
        await client.get(f"/api/Team/{team['id']}", headers=auth_headers, params={"includedetails": "false"})
    ).json()
    assert not off.get("agents")


async def test_ticket_and_client_expansions(client: httpx.AsyncClient, auth_headers: H) -> None:
    plain = (await client.get("/api/Tickets/45920", headers=auth_headers)).json()
    detailed = (await client.get("/api/Tickets/45920", headers=auth_headers, params=DETAILS)).json()
    assert plain.get("attachments") in (None, []) and plain["attachment_count"] == 2
    assert {a["filename"] for a in detailed["attachments"]} == {"traceroute.txt", "tunnel-stats.png"}
    assert all(a["filesize"] > 0 and "data_base64" not in a for a in detailed["attachments"])
    assert detailed["user"]["id"] == plain["user_id"] and detailed["user"]["name"] == plain["user_name"]
    assert not plain.get("user")
    listed = (
        await client.get("/api/Tickets", headers=auth_headers, params={"client_id": plain["client_id"]})
    ).json()
    assert all("user" not in t and "customfields" not in t for t in listed["tickets"])
    client_plain = (await client.get("/api/Client/104", headers=auth_headers)).json()
    client_detailed = (await client.get("/api/Client/104", headers=auth_headers, params=DETAILS)).json()
    assert "toplevel_name" in client_detailed and isinstance(client_detailed["toplevel_id"], int)
    assert client_detailed["main_site_name"] and not client_plain.get("main_site_name")
    # every documented by-id read takes it: a record read by id is already the detailed record
    site = await client.get("/api/Site/1", headers=auth_headers, params=DETAILS)
    assert "includedetails" not in site.headers.get("X-Sandbox-Ignored", "")
    assert site.json() == (await client.get("/api/Site/1", headers=auth_headers)).json()


async def test_seeded_custom_values_are_answered(client: httpx.AsyncClient, auth_headers: H) -> None:
    ticket = (await client.get("/api/Tickets/45920", headers=auth_headers)).json()
    values = {f["name"]: f for f in ticket["customfields"]}
    assert values["CFCostCentre"]["value"].startswith("CC-")
    assert isinstance(values["CFAffectedUsers"]["value"], int)
    assert values["CFAffectedUsers"]["display"] == str(values["CFAffectedUsers"]["value"])
    wayne = (await client.get("/api/Client/104", headers=auth_headers)).json()
    tier = {f["name"]: f for f in wayne["customfields"]}["CFAccountTier"]
    assert (
        tier["value"] in ("Gold", "Silver", "Bronze")
        and tier["type"] == 2
        and tier["label"] == "Account tier"
    )
    for path, listing, key in (
        ("Site", "/api/Site", "sites"),
        ("Users", "/api/Users", "users"),
        ("Asset", "/api/Asset", "assets"),
    ):
        rows = (await client.get(listing, headers=auth_headers, params={"count": "500"})).json()
        rows = rows[key] if isinstance(rows, dict) else rows
        assert all("customfields" not in r for r in rows)
        records = [
            (await client.get(f"/api/{path}/{r['id']}", headers=auth_headers)).json() for r in rows[:12]
        ]
        assert any(f["value"] not in ("", None) for rec in records for f in rec["customfields"]), path


def test_seeded_values_are_deterministic_per_seed() -> None:
    now = datetime(2026, 3, 1, 12, 0)

    def values(seed: int) -> list[object]:
        world = build_world(seed=seed, now=now, tickets=400)
        return [
            (name, r["id"], r.get("customfields"))
            for name in ("tickets", "clients", "sites", "users", "assets")
            for r in world[name]
        ]

    first = values(3)
    assert first == values(3)
    assert any(cf for _n, _id, cf in first)
    assert first != values(4)


async def test_values_set_by_name_survive_snapshot_and_restore(
    client: httpx.AsyncClient, auth_headers: H
) -> None:
    before = (await client.get("/api/Client/104", headers=auth_headers)).json()["customfields"]
    snapshot = (await client.get("/_sandbox/snapshot")).json()
    saved = await client.post(
        "/api/Client",
        headers=auth_headers,
        json=[{"id": 104, "customfields": [{"name": "CFAccountTier", "value": "Platinum"}]}],
    )
    assert saved.status_code == 200, saved.text
    assert {f["name"]: f["value"] for f in saved.json()["customfields"]}["CFAccountTier"] == "Platinum"
    changed = (await client.get("/_sandbox/snapshot")).json()
    assert (await client.put("/_sandbox/snapshot", json=snapshot)).status_code == 200
    assert (await client.get("/api/Client/104", headers=auth_headers)).json()["customfields"] == before
    assert (await client.put("/_sandbox/snapshot", json=changed)).status_code == 200
    restored = (await client.get("/api/Client/104", headers=auth_headers)).json()["customfields"]
    assert {f["name"]: f["display"] for f in restored}["CFAccountTier"] == "Platinum"


async def test_same_seed_same_values_over_the_api() -> None:
    answers = []
    for _ in range(2):
        app = create_app(registry=TenantRegistry(MockSettings(seed=7)))
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://mock.test"
        ) as c:
            headers = {"Authorization": f"Bearer {await fetch_token(c)}"}
            answers.append((await c.get("/api/Tickets/45920", headers=headers)).json()["customfields"])
    assert answers[0] == answers[1] and any(f["value"] != "" for f in answers[0])
