"""Nested values are read against Halo's documented schemas like top-level fields: a nested field the
schema lacks is reported (``X-Sandbox-Ignored``) and refused in strict mode, a nested value that does
not convert is a 400 naming its path; answers carry each field with its documented JSON type; every
generic answer, errors included, says it is generic.

Expected types come from the vendored official document (`halo_sandbox.mock.domain.facts`).
"""

from __future__ import annotations

import uuid

import httpx
import pytest

from halo_sandbox.mock.domain import facts

pytestmark = pytest.mark.anyio
H = dict[str, str]
_JSON = {"string": str, "int32": int, "uuid": str, "boolean": bool}


@pytest.mark.parametrize("path", ["/api/Tickets", "/api/Supplier"])
async def test_a_custom_field_item_is_checked_against_its_schema(
    client: httpx.AsyncClient, auth_headers: H, path: str
) -> None:
    assert facts.schema("CustomField")["id"] == "int32"
    base = {"id": 45920} if path.endswith("Tickets") else {"name": "Acme Parts"}
    bad = await client.post(path, headers=auth_headers, json=[{**base, "customfields": [{"id": "notanint"}]}])
    assert bad.status_code == 400 and "[0].customfields[0].id" in bad.json(), bad.text
    extra = await client.post(
        path, headers=auth_headers, json=[{**base, "customfields": [{"id": 101, "zz_nested_unknown": 5}]}]
    )
    assert extra.status_code == 200, extra.text
    assert (
        "body [0].customfields[0].zz_nested_unknown: not a field of CustomField"
        in (extra.headers["x-sandbox-ignored"])
    )
    await client.put("/_sandbox/strict", json={"enabled": True})
    strict = await client.post(
        path, headers=auth_headers, json=[{**base, "customfields": [{"id": 101, "zz_nested_unknown": 5}]}]
    )
    assert strict.status_code == 400 and "zz_nested_unknown" in strict.json()["strict"][0]


async def test_nested_objects_are_checked_at_any_depth(client: httpx.AsyncClient, auth_headers: H) -> None:
    kind = facts.schema("Faults")["attachments"]
    assert kind == "array<ref:Attachment>" and facts.schema("Attachment")["ticket_id"] == "int32"
    bad = await client.post(
        "/api/Tickets",
        headers=auth_headers,
        json=[
            {"summary": "x", "attachments": [{"filename": "a", "data_base64": "aGk=", "ticket_id": "abc"}]}
        ],
    )
    assert bad.status_code == 400 and "[0].attachments[0].ticket_id" in bad.json(), bad.text


@pytest.mark.parametrize(
    ("schema", "field", "read"),
    [
        ("Area", "stopped", "/api/Client/101"),
        ("TOutcome", "sendemail", "/api/Outcome"),
    ],
)
async def test_table_fields_answer_their_documented_type(
    client: httpx.AsyncClient, auth_headers: H, schema: str, field: str, read: str
) -> None:
    answer = (await client.get(read, headers=auth_headers)).json()
    record = answer[0] if isinstance(answer, list) else answer
    assert type(record[field]) is _JSON[facts.schema(schema)[field]]


async def test_an_actions_new_team_answers_a_team_name(client: httpx.AsyncClient, auth_headers: H) -> None:
    assert facts.schema("Actions")["new_team"] == "string"
    teams = (await client.get("/api/Team", headers=auth_headers)).json()
    saved = await client.post(
        "/api/Actions",
        headers=auth_headers,
        json=[{"ticket_id": 45920, "note": "n", "new_team": teams[0]["id"]}],
    )
    assert saved.json()["new_team"] == teams[0]["name"]
    plain = await client.post("/api/Actions", headers=auth_headers, json=[{"ticket_id": 45920, "note": "n"}])
    assert plain.json()["new_team"] == ""


@pytest.mark.parametrize(
    ("collection", "schema"), [("ServiceStatus", "ServStatus"), ("ContractSchedule", "ContractSchedule")]
)
async def test_generic_ids_have_the_schemas_type(
    client: httpx.AsyncClient, auth_headers: H, collection: str, schema: str
) -> None:
    kind = facts.schema(schema)["id"]
    saved = (await client.post(f"/api/{collection}", headers=auth_headers, json=[{}])).json()
    assert type(saved["id"]) is _JSON[kind]
    if kind == "uuid":
        uuid.UUID(saved["id"])
    again = await client.get(f"/api/{collection}/1", headers=auth_headers)  # the documented path reaches it
    assert again.status_code == 200 and again.json()["id"] == saved["id"]


async def test_every_generic_answer_says_so(client: httpx.AsyncClient, auth_headers: H) -> None:
    missing = await client.get("/api/Supplier/424242", headers=auth_headers)
    assert missing.status_code == 404 and missing.headers["x-sandbox-generic"] == "/Supplier"
    gone = await client.delete("/api/Supplier/424242", headers=auth_headers)
    assert gone.status_code == 404 and gone.headers["x-sandbox-generic"] == "/Supplier"
    wrong = await client.post("/api/Supplier", headers=auth_headers, json=[{"inactive": {"an": "object"}}])
    assert wrong.status_code == 400 and wrong.headers["x-sandbox-generic"] == "/Supplier"
    journal = (await client.get("/_sandbox/requests", params={"limit": "3"})).json()
    entries = (
        journal if isinstance(journal, list) else next(v for v in journal.values() if isinstance(v, list))
    )
    assert all(entry["generic"] == "/Supplier" for entry in entries[:3])


async def test_quote_lines_take_the_names_a_published_clients_template_posts(
    client: httpx.AsyncClient, auth_headers: H
) -> None:
    # Halo's document's `QuotationDetail` has no `quantity`, `price` or `tax`; the quote template a
    # published client posts (halo-api.md §7.14, H1 `Data/Templates/Quote.json`) has all three, beside
    # the documented `baseprice`. They are read and acted on, not reported as unknown; a name neither
    # has is.
    assert {"quantity", "price", "tax"}.isdisjoint(facts.schema("QuotationDetail"))
    line = {"name": "Laptop", "quantity": 2, "price": 50, "tax": 20, "baseprice": 45, "zz_line": 1}
    saved = await client.post(
        "/api/Quotation", headers=auth_headers, json=[{"title": "Laptops", "client_id": 1, "lines": [line]}]
    )
    assert saved.status_code == 200, saved.text
    quote = saved.json()
    assert (quote["revenue"], quote["tax_total"], quote["total"]) == (100.0, 20.0, 120.0)
    ignored = saved.headers["x-sandbox-ignored"]
    assert "lines[0].zz_line: not a field of QuotationDetail" in ignored
    for name in ("quantity", "price", "tax", "baseprice"):
        assert f"lines[0].{name}:" not in ignored
