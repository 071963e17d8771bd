"""Strict mode: what real Halo would ignore is reported (journal, ``X-Sandbox-Ignored``) and, for a
strict tenant or a ``--strict`` instance, refused with 400 before anything is written."""

from __future__ import annotations

import json

import httpx
import pytest

from halo_sandbox.mock.config import MockSettings
from halo_sandbox.mock.tenants import TenantRegistry

pytestmark = pytest.mark.anyio
H = dict[str, str]


async def _journal(client: httpx.AsyncClient) -> list[dict]:
    return (await client.get("/_sandbox/requests")).json()["requests"]


async def test_ignored_query_parameters_are_reported(client: httpx.AsyncClient, auth_headers: H) -> None:
    response = await client.get(
        "/api/Tickets",
        headers=auth_headers,
        params={"team_id": "1", "kanbanviewontheportal": "true", "client_id": "101"},
    )
    assert response.status_code == 200
    ignored = response.headers["x-sandbox-ignored"]
    assert "query team_id: not a documented parameter of GET /Tickets" in ignored
    assert "query kanbanviewontheportal: documented, but the mock does not act on it" in ignored
    assert "client_id" not in ignored  # documented and implemented
    entry = (await _journal(client))[0]
    assert entry["path"] == "/api/Tickets" and any("team_id" in note for note in entry["ignored"])


async def test_unknown_body_fields_and_converted_values_are_reported(
    client: httpx.AsyncClient, auth_headers: H
) -> None:
    response = await client.post(
        "/api/Supplier",
        headers=auth_headers,
        json=[{"name": "Acme Parts", "zz_not_a_halo_field": 1, "inactive": "false"}],
    )
    assert response.status_code == 200
    ignored = response.headers["x-sandbox-ignored"]
    assert "body [0].zz_not_a_halo_field: not a field of Company; Halo ignores it" in ignored
    assert "body [0].inactive: 'false' converted to boolean" in ignored
    ticket = await client.post("/api/Tickets", headers=auth_headers, json=[{"summary": "x", "zz_typo": 1}])
    assert "body [0].zz_typo: not a field of Faults" in ticket.headers["x-sandbox-ignored"]


async def test_a_clean_request_carries_no_notes(client: httpx.AsyncClient, auth_headers: H) -> None:
    response = await client.get(
        "/api/Tickets", headers=auth_headers, params={"client_id": "101", "count": "5"}
    )
    assert response.status_code == 200 and "x-sandbox-ignored" not in response.headers
    assert (await _journal(client))[0]["ignored"] == []


async def test_wrong_types_for_documented_parameters_are_refused(
    client: httpx.AsyncClient, auth_headers: H
) -> None:
    # kanbanviewontheportal is documented as a boolean: the mock does not act on it but still binds it.
    response = await client.get(
        "/api/Tickets", headers=auth_headers, params={"kanbanviewontheportal": "maybe"}
    )
    assert response.status_code == 400 and "kanbanviewontheportal" in response.json()
    arabic = await client.get("/api/Tickets", headers=auth_headers, params={"agent_id": "\u0663"})
    assert arabic.status_code == 400


async def test_a_strict_tenant_refuses_before_writing(client: httpx.AsyncClient, auth_headers: H) -> None:
    switched = await client.put("/_sandbox/strict", json={"enabled": True})
    assert switched.json() == {"tenant": "sandbox", "enabled": True, "source": "tenant"}
    before = (await client.get("/api/Supplier", headers=auth_headers)).json()["record_count"]
    refused = await client.post(
        "/api/Supplier", headers=auth_headers, json=[{"name": "Typo Ltd", "zz_not_a_halo_field": 1}]
    )
    assert refused.status_code == 400
    assert any("zz_not_a_halo_field" in message for message in refused.json()["strict"])
    assert (await client.get("/api/Supplier", headers=auth_headers)).json()["record_count"] == before
    tickets_before = (await client.get("/api/Tickets", headers=auth_headers)).json()["record_count"]
    refused = await client.post("/api/Tickets", headers=auth_headers, json=[{"summary": "x", "zz_typo": 1}])
    assert refused.status_code == 400
    assert (await client.get("/api/Tickets", headers=auth_headers)).json()["record_count"] == tickets_before
    query = await client.get("/api/Tickets", headers=auth_headers, params={"team_id": "1"})
    assert query.status_code == 400 and "team_id" in query.json()["strict"][0]
    assert (await _journal(client))[0]["status"] == 400
    clean = await client.post("/api/Supplier", headers=auth_headers, json=[{"name": "Clean Ltd"}])
    assert clean.status_code == 200
    await client.put("/_sandbox/strict", json={"enabled": None})
    assert (await client.get("/_sandbox/strict")).json()["enabled"] is False


async def test_the_strict_setting_applies_to_every_tenant() -> None:
    from halo_sandbox.mock.http.app import create_app
    from tests.mock_halo._helpers import fetch_token

    app = create_app(registry=TenantRegistry(MockSettings(strict=True)))
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://mock.test"
    ) as client:
        headers = {"Authorization": f"Bearer {await fetch_token(client)}"}
        assert (await client.get("/_sandbox/strict")).json() == {
            "tenant": "sandbox",
            "enabled": True,
            "source": "instance",
        }
        response = await client.get("/api/Client", headers=headers, params={"not_a_param": "1"})
        assert response.status_code == 400
        assert (await client.get("/api/Client", headers=headers)).status_code == 200


async def test_generic_records_and_strictness_survive_snapshot_and_reset(
    client: httpx.AsyncClient, auth_headers: H
) -> None:
    await client.post("/api/Item", headers=auth_headers, json=[{"name": "Laptop"}])
    await client.put("/_sandbox/strict", json={"enabled": True})
    snapshot = (await client.get("/_sandbox/snapshot")).json()
    assert snapshot["generic"]["/Item"]["rows"][0]["name"] == "Laptop" and snapshot["strict"] is True
    await client.post("/_sandbox/reset")
    assert (await client.get("/api/Item", headers=auth_headers)).json()["record_count"] == 0
    assert (await client.get("/_sandbox/strict")).json()["enabled"] is False
    restored = await client.put("/_sandbox/snapshot", json=snapshot)
    assert restored.status_code == 200, restored.text
    assert (await client.get("/api/Item", headers=auth_headers)).json()["items"][0]["name"] == "Laptop"
    assert (await client.get("/_sandbox/strict")).json()["enabled"] is True


@pytest.mark.parametrize("value", ["yes", "true", 1, 0, "1", [], {}])
async def test_the_strict_switch_takes_only_json_booleans(client: httpx.AsyncClient, value: object) -> None:
    refused = await client.put("/_sandbox/strict", json={"enabled": value})
    assert refused.status_code == 400 and "enabled" in refused.json(), refused.text
    assert (await client.get("/_sandbox/strict")).json()["enabled"] is False  # unchanged
    limit = await client.put("/_sandbox/ratelimit", json={"enabled": value})
    assert limit.status_code == 400 and "enabled" in limit.json(), limit.text


async def test_many_unknown_fields_make_a_bounded_set_of_notes(
    client: httpx.AsyncClient, auth_headers: H
) -> None:
    fields = {f"zz_field_{i}": 1 for i in range(20_000)}
    response = await client.post(
        "/api/Tickets", headers=auth_headers, json=[{"summary": "many", "client_id": 104, **fields}]
    )
    assert response.status_code == 200, response.text
    assert len(response.headers["X-Sandbox-Ignored"]) <= 2000
    ignored = (await _journal(client))[0]["ignored"]
    assert 1 < len(ignored) <= 51  # a cap per entry, then how many more were not kept
    dropped = int(ignored[-1].split(" more notes")[0].rsplit(" ", 1)[-1])
    assert len(ignored) - 1 + dropped == 20_000
    repeated = await client.get("/api/Tickets", headers=auth_headers, params=[("zz", "1")] * 500)
    assert (await _journal(client))[0]["ignored"] == [
        "query zz: not a documented parameter of GET /Tickets; Halo ignores it"
    ]  # one note for the same thing, however often it comes
    assert repeated.status_code == 200
    await client.put("/_sandbox/strict", json={"enabled": True})
    refused = await client.post(
        "/api/Tickets", headers=auth_headers, json=[{"summary": "many", "client_id": 104, **fields}]
    )
    assert refused.status_code == 400 and len(refused.json()["strict"]) <= 52


BAD_NAMES = ["bad\r\nX-Evil: 1", "nul\x00name", "tab\tname", "esc\x1b[31m", "del\x7f", "c1\x85"]


@pytest.mark.parametrize("strict", [False, True])
@pytest.mark.parametrize("name", BAD_NAMES)
async def test_a_name_with_a_control_character_is_refused_before_writing(
    client: httpx.AsyncClient, auth_headers: H, registry: TenantRegistry, name: str, strict: bool
) -> None:
    await client.put("/_sandbox/strict", json={"enabled": strict})
    before = json.dumps(registry.snapshot()["store"], sort_keys=True)
    writes = [
        ("/api/Tickets", [{"summary": "x", "client_id": 104, name: 1}]),
        ("/api/Supplier", [{"name": "x", name: 1}]),
        ("/api/Tickets", [{"summary": "x", "client_id": 104}, {"summary": "y", "client_id": 104, name: 1}]),
    ]
    for path, body in writes:
        response = await client.post(path, headers=auth_headers, json=body)
        assert response.status_code == 400, (path, response.text)
        assert "control character" in json.dumps(response.json())
        assert all(ord(c) >= 0x20 for c in response.headers.get("X-Sandbox-Ignored", ""))
    query = await client.get("/api/Tickets", headers=auth_headers, params={name: "1"})
    assert query.status_code == 400 and "control character" in json.dumps(query.json())
    generic = await client.get("/api/Supplier", headers=auth_headers, params={name: "1"})
    assert generic.status_code == 400
    assert json.dumps(registry.snapshot()["store"], sort_keys=True) == before
    for entry in await _journal(client):
        for note in entry["ignored"]:
            assert all(ord(c) >= 0x20 and not 0x7F <= ord(c) <= 0x9F for c in note), note


async def test_control_characters_in_values_are_escaped_in_every_note(
    client: httpx.AsyncClient, auth_headers: H
) -> None:
    response = await client.get("/api/Tickets", headers=auth_headers, params={"count": " 5\r\n"})
    assert response.status_code in (200, 400)
    for entry in await _journal(client):
        for note in entry["ignored"]:
            assert "\r" not in note and "\n" not in note, note
