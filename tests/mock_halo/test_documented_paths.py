"""Every path and method of Halo's official document answers (neither 404 nor 405), generic
collections behave statefully, the named paths act, and undocumented paths say so.

The paths come from the vendored facts (`halo_sandbox.mock.domain.facts`, derived from Halo's official
OpenAPI document), never from ``../shared``.
"""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest

from halo_sandbox.mock.config import MockSettings
from halo_sandbox.mock.domain import facts

pytestmark = pytest.mark.anyio
H = dict[str, str]
_PARAM = re.compile(r"\{([^}]+)\}")


@pytest.fixture
def settings() -> MockSettings:
    return MockSettings(rate_limit=None)  # the walk sends ~1,500 requests


def _operations() -> list[tuple[str, str]]:
    return [(template, method.upper()) for template, ops in facts.facts()["paths"].items() for method in ops]


def test_the_vendored_facts_cover_halos_whole_document() -> None:
    ops = _operations()
    assert len(facts.facts()["paths"]) == 886 and len(ops) == 1331
    assert "Halo API v2" in facts.source()
    assert len(facts.schema("Faults")) == 890  # the ticket schema's documented properties
    types = {
        kind
        for ops_ in facts.facts()["paths"].values()
        for op in ops_.values()
        for kind in op["query"].values()
    }
    assert not types & {"bool", "int", "List<int>", "DateTime", "obj"}  # normalised to OpenAPI types


async def _first_id(client: httpx.AsyncClient, headers: H, collection: str) -> Any:
    """An existing record id of a table resource (``None`` when the list has none)."""
    params = {"ticket_id": "45920"} if collection.lower() == "/actions" else {}
    listing = await client.get(f"/api{collection}", headers=headers, params=params)
    if listing.status_code != 200:
        return None
    body = listing.json()
    rows = body if isinstance(body, list) else next((v for v in body.values() if isinstance(v, list)), [])
    return rows[0]["id"] if rows else None


def _addressable(collection: str, found: Any) -> bool:
    """Whether the collection's documented item path can carry this id (a uuid `id`, as
    `ContractSchedule`'s schema types it, cannot fill a path documented as an int32)."""
    item = facts.operation("GET", collection + "/{id}")
    return not (item and item.path_params.get("id") == "int32" and not isinstance(found, int))


def _fill(template: str, ids: dict[str, Any]) -> str:
    parent = template.rsplit("/", 1)[0]

    def value(found: re.Match[str]) -> str:
        name = found.group(1)
        if name == "id" and parent in ids:
            return str(ids[parent])
        if name in ("runbookId",):
            return "3fa85f64-5717-4562-b3fc-2c963f66afa6"
        if name in ("secret", "publishedid"):
            return "abc"
        return str(ids.get(template.split("/")[1], 1)) if name == "id" else "1"

    return _PARAM.sub(value, template)


async def test_every_documented_path_and_method_answers(client: httpx.AsyncClient, auth_headers: H) -> None:
    ops = _operations()
    ids: dict[str, Any] = {}
    # Existing ids: the table's seeded records, and one record created in each generic collection.
    for template, method in ops:
        if method == "POST" and "{" not in template:
            response = await client.post(f"/api{template}", headers=auth_headers, json=[{}])
            if response.status_code == 200 and response.headers.get("x-sandbox-generic"):
                saved = response.json()
                saved = saved[0] if isinstance(saved, list) else saved
                # a record whose schema has no `id` is numbered in the sandbox's header
                found = saved["id"] if "id" in saved else int(response.headers["x-sandbox-record-id"])
                if _addressable(template, found):
                    ids[template] = found
    for template, _method in ops:
        parent = template.rsplit("/", 1)[0]
        if template.endswith("{id}") and parent not in ids:
            found = await _first_id(client, auth_headers, parent)
            if found is not None and _addressable(parent, found):
                ids[parent] = found
    refused: list[str] = []
    deletes = [op for op in ops if op[1] == "DELETE"]
    for template, method in [op for op in ops if op[1] != "DELETE"] + deletes:
        path = _fill(template, ids)
        params = {"ticket_id": "45920"} if template.lower().startswith("/actions/") else {}
        response = await client.request(
            method,
            f"/api{path}",
            headers=auth_headers,
            params=params,
            json=[{}] if method == "POST" else None,
        )
        assert response.status_code not in (401, 403, 429, 500), f"{method} {path}: {response.text[:200]}"
        if response.status_code == 405 or (response.status_code == 404 and "{" not in template):
            refused.append(f"{method} {path}: {response.status_code} {response.text[:120]}")
        elif response.status_code == 404:
            # An item path whose collection cannot create records: the record is missing, the path is not.
            assert template.rsplit("/", 1)[0] not in ids, f"{method} {path}: {response.text}"
            assert "documented API" not in response.text, f"{method} {path}: {response.text}"
    assert not refused, "\n".join(refused[:20])


async def test_undocumented_paths_and_methods_say_so(client: httpx.AsyncClient, auth_headers: H) -> None:
    invented = await client.get("/api/Widgets/1", headers=auth_headers)
    assert invented.status_code == 404
    assert "not a path of Halo's documented API" in invented.json()["message"]
    missing_record = await client.get("/api/Supplier/424242", headers=auth_headers)
    assert (
        missing_record.status_code == 404 and "Supplier 424242 not found" in missing_record.json()["message"]
    )
    wrong_method = await client.delete("/api/Agent/me", headers=auth_headers)
    assert wrong_method.status_code == 405 and wrong_method.headers["allow"] == "GET"


async def test_a_generic_collection_is_stateful_and_typed(client: httpx.AsyncClient, auth_headers: H) -> None:
    created = await client.post(
        "/api/Supplier",
        headers=auth_headers,
        json=[{"name": "Contoso Parts", "inactive": False, "zz_not_a_halo_field": 1}],
    )
    assert created.status_code == 200 and created.headers["x-sandbox-generic"] == "/Supplier"
    record = created.json()
    assert record["name"] == "Contoso Parts" and "zz_not_a_halo_field" not in record
    assert set(record) == set(facts.schema("Company"))  # the full record: every documented field
    assert "zz_not_a_halo_field" in created.headers["x-sandbox-ignored"]
    listing = (await client.get("/api/Supplier", headers=auth_headers, params={"pageinate": "true"})).json()
    assert listing["record_count"] == 1 and listing["page_no"] == 1
    assert listing["suppliers"] == [{"id": record["id"], "name": "Contoso Parts", "inactive": False}]  # lean
    updated = await client.post(
        "/api/Supplier", headers=auth_headers, json=[{"id": record["id"], "notes": "x"}]
    )
    assert updated.json()["name"] == "Contoso Parts" and updated.json()["notes"] == "x"
    wrong = await client.post("/api/Supplier", headers=auth_headers, json=[{"inactive": {"an": "object"}}])
    assert wrong.status_code == 400 and "[0].inactive" in wrong.json()
    assert (await client.delete(f"/api/Supplier/{record['id']}", headers=auth_headers)).status_code == 200
    assert (await client.get(f"/api/Supplier/{record['id']}", headers=auth_headers)).status_code == 404


async def test_records_of_a_schema_without_id_are_answered_without_one(
    client: httpx.AsyncClient, auth_headers: H
) -> None:
    # Halo's document: `POST /Notifications` takes `EscMsg`, whose fields include `notification_id`,
    # `ticket_id`, `subject` but no `id`; `GET`/`DELETE /Notifications/{id}` exist all the same.
    created = await client.post(
        "/api/Notifications", headers=auth_headers, json=[{"subject": "Disk full", "ticket_id": 7, "id": 5}]
    )
    assert created.status_code == 200, created.text
    record = created.json()
    assert "id" not in record and record["subject"] == "Disk full" and record["ticket_id"] == 7
    assert "notification_id" in record  # the documented fields, unset ones with Halo's defaults
    # `id` is not a field of the schema: reported like any other, and it does not name a record
    assert "body [0].id: not a field of EscMsg" in created.headers["x-sandbox-ignored"]
    number = created.headers["x-sandbox-record-id"]
    assert number.isdigit() and number != "5"
    read = await client.get(f"/api/Notifications/{number}", headers=auth_headers)
    assert read.status_code == 200 and "id" not in read.json() and read.json()["subject"] == "Disk full"
    listed = await client.get("/api/Notifications", headers=auth_headers)
    rows = listed.json()["notifications"]
    assert [r["subject"] for r in rows] == ["Disk full"] and "id" not in rows[0]
    assert listed.headers["x-sandbox-record-id"] == number
    assert (await client.delete(f"/api/Notifications/{number}", headers=auth_headers)).status_code == 200
    assert (await client.get(f"/api/Notifications/{number}", headers=auth_headers)).status_code == 404
    # a schema with `id` (`Company`, the records of `/Supplier`) still answers it, and no such header
    supplier = await client.post("/api/Supplier", headers=auth_headers, json=[{"name": "Contoso"}])
    assert supplier.json()["id"] > 0 and "x-sandbox-record-id" not in supplier.headers


async def test_bare_array_collections_follow_the_documented_paging(
    client: httpx.AsyncClient, auth_headers: H
) -> None:
    # /Workflow's GET documents no pageinate: Halo's lookups without paging answer bare arrays.
    await client.post("/api/Workflow", headers=auth_headers, json=[{"name": "Onboarding"}])
    listing = await client.get("/api/Workflow", headers=auth_headers)
    assert isinstance(listing.json(), list) and listing.json()[0]["name"] == "Onboarding"


async def test_me_paths_answer_the_tokens_agent(client: httpx.AsyncClient, auth_headers: H) -> None:
    me = (await client.get("/api/Agent/me", headers=auth_headers)).json()
    assert me["email"] == "agent@sandbox.local"
    assert me == (await client.get(f"/api/Agent/{me['id']}", headers=auth_headers)).json()
    user = await client.get("/api/Users/me", headers=auth_headers)
    assert user.status_code == 200 and user.json()["id"] == 0  # no user is linked to the agent
    linked = await client.post(
        "/api/Users",
        headers=auth_headers,
        json=[{"name": "Agent Self", "site_id": 1, "linked_agent_id": me["id"]}],
    )
    assert linked.status_code == 200
    user = (await client.get("/api/Users/me", headers=auth_headers)).json()
    assert user["id"] == linked.json()["id"]
    client_me = (await client.get("/api/Client/me", headers=auth_headers)).json()
    assert client_me["id"] == user["client_id"]


async def test_next_tag_and_invoice_void(client: httpx.AsyncClient, auth_headers: H) -> None:
    answer = (await client.get("/api/Asset/NextTag", headers=auth_headers)).json()
    assert set(answer) == {"last_tag", "next_tag"}  # the shape a live tenant answered (FIDELITY.md)
    tag = answer["next_tag"]
    await client.post(
        "/api/Asset", headers=auth_headers, json=[{"client_id": 101, "inventory_number": f"ACME-{tag}"}]
    )
    again = (await client.get("/api/Asset/NextTag", headers=auth_headers)).json()
    assert again == {"last_tag": tag, "next_tag": tag + 1}
    invoices = (await client.get("/api/Invoice", headers=auth_headers)).json()["invoices"]
    voided = await client.post(f"/api/Invoice/{invoices[0]['id']}/void", headers=auth_headers)
    assert voided.status_code == 200 and voided.json()["voided"] is True
    assert (await client.post("/api/Invoice/999999/void", headers=auth_headers)).status_code == 404
