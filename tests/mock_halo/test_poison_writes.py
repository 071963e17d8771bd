"""Values that could not be read back are refused before anything is committed: every later read,
the list and the snapshot keep working, and the failed request changes nothing."""

from __future__ import annotations

import json

import httpx
import pytest

from halo_sandbox.mock.tenants import TenantRegistry

pytestmark = pytest.mark.anyio
H = dict[str, str]


async def _state(registry: TenantRegistry) -> str:
    return json.dumps(registry.snapshot()["store"], sort_keys=True)


async def _post(client: httpx.AsyncClient, headers: H, path: str, body: object) -> httpx.Response:
    raw = json.dumps(
        body
    ).encode()  # json.dumps escapes a lone surrogate as \ud800, as an attacker would send it
    return await client.post(path, content=raw, headers={**headers, "Content-Type": "application/json"})


POISON = [
    ("/api/Tickets", [{"summary": "bad \ud800 text", "client_id": 104}]),
    (
        "/api/Tickets",
        [{"summary": "ok", "client_id": 104, "userdef1": "\udfff"}],
    ),  # a field the table does not model
    ("/api/Tickets", [{"summary": "ok", "client_id": 104, "tags": [{"\ud800key": 1}]}]),
    ("/api/Tickets", [{"summary": "ok", "client_id": 104, "deadlinedate": "9999-12-31T23:00:00-05:00"}]),
    ("/api/Tickets", [{"summary": "ok", "client_id": 104, "deadlinedate": "0001-01-01T00:30:00+01:00"}]),
    ("/api/Tickets", [{"summary": "ok", "client_id": 104, "assets": json.loads("[" * 60 + "]" * 60)}]),
    ("/api/Quotation", [{"client_id": 104, "lines": [{"name": "x", "price": 1e308, "quantity": 10}]}]),
    (
        "/api/Quotation",
        [
            {
                "client_id": 104,
                "lines": [
                    {"name": "x", "price": 1e308, "quantity": 1},
                    {"name": "y", "price": 1e308, "quantity": 1},
                ],
            }
        ],
    ),
    ("/api/Invoice", [{"client_id": 104, "lines": [{"name": "x", "unit_price": 1e308, "qty_order": 1e10}]}]),
    (
        "/api/Quotation",
        [{"client_id": 104, "lines": [{"name": "x", "price": int("9" * 400), "quantity": 1}]}],
    ),
    ("/api/Actions", [{"ticket_id": 45001, "note": "x", "timetaken": int("9" * 400)}]),
    # A valid first item does not survive a poisoned second one (batches are all-or-nothing).
    ("/api/Tickets", [{"summary": "fine", "client_id": 104}, {"summary": "\ud800", "client_id": 104}]),
]


@pytest.mark.parametrize(("path", "body"), POISON)
async def test_poison_is_refused_and_commits_nothing(
    client: httpx.AsyncClient, auth_headers: H, registry: TenantRegistry, path: str, body: object
) -> None:
    before = await _state(registry)
    response = await _post(client, auth_headers, path, body)
    assert response.status_code == 400, response.text
    assert response.json()  # a field map naming what is wrong
    assert await _state(registry) == before
    for read in ("/api/Tickets", "/api/Quotation", "/api/Invoice", "/api/Tickets/45001", "/api/Invoice/701"):
        assert (await client.get(read, headers=auth_headers)).status_code == 200, read
    assert (await client.get("/_sandbox/snapshot")).status_code == 200


GENERIC_POISON = [  # collections the resource table does not model: the same wire checks
    ("/api/Supplier", b'[{"name": "bad \\ud800 text"}]'),
    ("/api/Supplier", b'[{"name": "x", "jira_servicedesk": ' + b'{"a":' * 600 + b"1" + b"}" * 600 + b"}]"),
    ("/api/Supplier", b'[{"name": "x", "jira_servicedesk": {"a": 1e999}}]'),
    ("/api/Supplier", b'[{"name": "x", "jira_servicedesk": {"a": ' + b"9" * 400 + b"}}]"),
    ("/api/Supplier", b'[{"name": "x", "datecreated": "9999-12-31T23:00:00-05:00"}]'),
    ("/api/Supplier", b'[{"name": "x", "datecreated": "0001-01-01T00:30:00+01:00"}]'),
    ("/api/Item", b'[{"name": "x", "baseprice": 1e999}]'),
    ("/api/Item", b'[{"name": "x", "baseprice": ' + b"9" * 400 + b"}]"),
    ("/api/Item", b'[{"name": "fine"}, {"name": "\\udfff"}]'),
]


@pytest.mark.parametrize(("path", "raw"), GENERIC_POISON)
async def test_generic_poison_is_refused_and_commits_nothing(
    client: httpx.AsyncClient, auth_headers: H, registry: TenantRegistry, path: str, raw: bytes
) -> None:
    before = json.dumps(registry.snapshot()["generic"], sort_keys=True)
    headers = {**auth_headers, "Content-Type": "application/json"}
    response = await client.post(path, content=raw, headers=headers)
    assert response.status_code == 400, response.text
    assert response.json()
    assert json.dumps(registry.snapshot()["generic"], sort_keys=True) == before
    assert (await client.get(path, headers=auth_headers)).status_code == 200
    assert (await client.get("/_sandbox/snapshot")).status_code == 200


@pytest.mark.parametrize("record_id", ["45_920", "٤٥", "+1", " 1", "1.0", "0x1", "99999999999", "1e3"])
async def test_ids_that_are_not_plain_ascii_digits_are_404(
    client: httpx.AsyncClient, auth_headers: H, record_id: str
) -> None:
    response = await client.get(f"/api/Tickets/{record_id}", headers=auth_headers)
    assert response.status_code == 404, (record_id, response.text)
    assert (await client.delete(f"/api/Tickets/{record_id}", headers=auth_headers)).status_code == 404


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data", "application/xml", None],
)
async def test_non_json_content_types_are_415(
    client: httpx.AsyncClient, auth_headers: H, registry: TenantRegistry, content_type: str | None
) -> None:
    before = await _state(registry)
    headers = {**auth_headers, **({"Content-Type": content_type} if content_type else {})}
    response = await client.post(
        "/api/Tickets", content=b'[{"summary": "x", "client_id": 104}]', headers=headers
    )
    assert response.status_code == 415
    assert "JSON" in response.json()["message"]
    assert await _state(registry) == before


@pytest.mark.parametrize(
    "content_type",
    ["application/json", "application/json; charset=utf-8", "text/json", "application/problem+json"],
)
async def test_json_content_types_are_accepted(
    client: httpx.AsyncClient, auth_headers: H, content_type: str
) -> None:
    response = await client.post(
        "/api/Tickets",
        content=b'[{"summary": "x", "client_id": 104}]',
        headers={**auth_headers, "Content-Type": content_type},
    )
    assert response.status_code == 200
