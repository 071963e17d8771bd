"""Refusals no source attributes to Halo are the mock's own checks (FIDELITY.md, "Integrity and
errors"): outside strict mode the request is accepted and each check reported in
``X-Sandbox-Ignored``; a strict tenant refuses it with 400 saying it is the mock's own check.

Halo's official document marks no field required and describes no such refusal, so a request valid
by it must not be refused for these reasons in default mode.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.anyio
H = dict[str, str]

CASES: list[tuple[str, str, Any, str]] = [
    # (method, path, body, the field the check names)
    ("POST", "/api/Tickets", [], "body"),
    ("POST", "/api/Supplier", [], "body"),  # a generic collection
    ("POST", "/api/Client", [{"website": "https://example.test"}], "[0].name"),  # no name
    ("POST", "/api/Site", [{"name": "Annex"}], "[0].client_id"),
    ("POST", "/api/Tickets", [{"summary": "x", "client_id": 4242}], "[0].client_id"),  # no such client
    ("POST", "/api/Tickets", [{"summary": "x", "client_id": 101, "site_id": 6}], "[0].site_id"),
    ("POST", "/api/Tickets", [{"summary": "x", "deadlinedate": "1700-03-04T05:06:07"}], "[0].deadlinedate"),
    ("DELETE", "/api/Client/104", None, "id"),  # still referenced by its sites and tickets
]


async def _send(client: httpx.AsyncClient, headers: H, method: str, path: str, body: Any) -> httpx.Response:
    return await client.request(method, path, headers=headers, json=body)


@pytest.mark.parametrize(("method", "path", "body", "field"), CASES)
async def test_the_mocks_own_checks_accept_and_report(
    client: httpx.AsyncClient, auth_headers: H, method: str, path: str, body: Any, field: str
) -> None:
    response = await _send(client, auth_headers, method, path, body)
    assert response.status_code == 200, response.text
    ignored = response.headers["x-sandbox-ignored"]
    assert f"{'body' if field == 'body' else 'body ' + field}:" in ignored
    assert "the mock's own check" in ignored


@pytest.mark.parametrize(("method", "path", "body", "field"), CASES)
async def test_a_strict_tenant_refuses_them_saying_why(
    client: httpx.AsyncClient, auth_headers: H, method: str, path: str, body: Any, field: str
) -> None:
    await client.put("/_sandbox/strict", json={"enabled": True})
    before = (await client.get("/_sandbox/snapshot")).json()["store"]
    response = await _send(client, auth_headers, method, path, body)
    assert response.status_code == 400, response.text
    messages = response.json().get("" if field == "body" else field) or response.json().get("strict")
    assert messages and any("mock's own check" in m for m in messages), response.text
    assert (await client.get("/_sandbox/snapshot")).json()["store"] == before


async def test_accepted_records_read_back(client: httpx.AsyncClient, auth_headers: H) -> None:
    old = await client.post(
        "/api/Tickets", headers=auth_headers, json=[{"summary": "x", "deadlinedate": "1700-03-04T05:06:07"}]
    )
    read = (await client.get(f"/api/Tickets/{old.json()['id']}", headers=auth_headers)).json()
    assert read["deadlinedate"] == "1700-03-04T05:06:07"
    dangling = await client.post(
        "/api/Tickets", headers=auth_headers, json=[{"summary": "y", "client_id": 4242}]
    )
    read = (await client.get(f"/api/Tickets/{dangling.json()['id']}", headers=auth_headers)).json()
    assert read["client_id"] == 4242 and read["client_name"] == ""
    assert (await client.delete("/api/Client/104", headers=auth_headers)).status_code == 200
    orphaned = (await client.get("/api/Tickets", headers=auth_headers, params={"client_id": "104"})).json()
    assert orphaned["record_count"] > 0 and all(t["client_name"] == "" for t in orphaned["tickets"])
    snapshot = (await client.get("/_sandbox/snapshot")).json()
    assert (await client.put("/_sandbox/snapshot", json=snapshot)).status_code == 200  # restorable


async def test_an_action_still_needs_its_ticket(client: httpx.AsyncClient, auth_headers: H) -> None:
    # Actions are numbered per ticket (their key is the ticket and a number): not the mock's choice.
    response = await client.post("/api/Actions", headers=auth_headers, json=[{"note": "orphan"}])
    assert response.status_code == 400 and "numbered per ticket" in response.json()["[0].ticket_id"][0]
