"""Lean results: by default get, list, create and update results leave out the fields that hold
Halo's unset value and count them; `full_result` returns the record whole; `result_fields` selects.
What "unset" means for a field is taken here from Halo's official document as the mock vendors it
(`facts.full_record`: every field of a record schema with its unset value), not from the server's
own artefact, so a field with information that the server drops fails the test."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from halo_sandbox.mock.domain import facts
from halo_sandbox.server.executor import Executor
from halo_sandbox.server.tool_specs import ToolSpec, generate_tools

pytestmark = pytest.mark.anyio
BREADTH = generate_tools(breadth=True)
TOOLS = {t.name: t for t in BREADTH}


@pytest.fixture
def executor(breadth_executor):
    return breadth_executor


def _is_unset(value: Any, default: Any) -> bool:
    """`value` is the document's unset value `default` (same JSON type), or null."""
    if value is None:
        return True
    if isinstance(default, bool) or isinstance(value, bool):
        return value is default
    if isinstance(default, int | float) and isinstance(value, int | float):
        return value == default
    return type(value) is type(default) and value == default


def _expected_lean(spec: ToolSpec, record: dict[str, Any]) -> dict[str, Any]:
    assert spec.entry is not None
    schema = facts.record_schema(spec.entry.path.lstrip("/"))
    defaults = facts.full_record(schema) if schema else {}
    return {
        k: v for k, v in record.items() if k == "id" or k not in defaults or not _is_unset(v, defaults[k])
    }


async def _check_lean(executor: Executor, spec: ToolSpec, args: dict[str, Any]) -> dict[str, Any]:
    full = await executor.call(spec.name, {**args, "full_result": True})
    lean = await executor.call(spec.name, args)
    assert not full.is_error and not lean.is_error, (spec.name, full.content[0].text[:300])
    whole, kept = full.structured_content["result"], lean.structured_content["result"]
    rows = list(zip(whole, kept, strict=True)) if isinstance(whole, list) else [(whole, kept)]
    omitted = 0
    for record, got in rows:
        assert got == _expected_lean(spec, record), spec.name
        omitted += len(record) - len(got)
    assert lean.structured_content.get("omitted", {}).get("fields", 0) == omitted, spec.name
    assert "omitted" not in full.structured_content
    # text and structured content carry the same lean record
    assert orjson.loads(lean.content[0].text) == lean.structured_content
    return lean.structured_content


async def test_every_curated_get_keeps_each_field_with_information(executor):
    checked = []
    for spec in BREADTH:
        entry = spec.entry
        if spec.method != "get" or entry is None or entry.generated or entry.hooks.get("get"):
            continue
        lister = TOOLS.get(f"list_all_halo_itsm_{entry.plural}")
        if (
            lister is None
            or lister.input_schema.get("required")
            or spec.input_schema.get("required") != ["id"]
        ):
            continue
        listed = await executor.call(lister.name, {"limit": 2, "full_result": True})
        rows = listed.structured_content["result"]
        if not rows or "id" not in rows[0]:
            continue
        await _check_lean(executor, lister, {"limit": 2})
        await _check_lean(executor, spec, {"id": rows[0]["id"]})
        checked.append(entry.name)
    assert {"tickets", "clients", "sites", "users", "assets", "agents"} <= set(checked), checked


async def test_generated_creates_and_gets_are_lean_too(executor):
    for singular in ("appointment", "address", "application"):
        create = TOOLS[f"create_a_halo_itsm_{singular}"]
        created = await executor.call(create.name, {"full_result": True})
        assert not created.is_error, created.content[0].text
        record = created.structured_content["result"]
        saved = await executor.call(create.name, {"id": record["id"]})  # saved again, answered lean
        assert saved.structured_content["result"] == _expected_lean(create, record)
        await _check_lean(executor, TOOLS[f"get_single_halo_itsm_{singular}_by_id"], {"id": record["id"]})


async def test_client_104_and_ticket_45920_fit_an_agents_context(executor):
    client = await executor.call("get_single_halo_itsm_client_by_id", {"id": 104})
    ticket = await executor.call("get_single_halo_itsm_ticket_by_id", {"id": 45920, "includedetails": True})
    for result, budget in ((client, 3000), (ticket, 4000)):
        assert len(result.content[0].text.encode()) < budget
        assert len(orjson.dumps(result.structured_content)) < budget
    assert client.structured_content["result"]["name"] == "Wayne Enterprises"
    assert client.structured_content["omitted"]["fields"] > 400
    full = await executor.call("get_single_halo_itsm_client_by_id", {"id": 104, "full_result": True})
    assert len(full.content[0].text.encode()) > 10_000
    assert set(client.structured_content["result"]) < set(full.structured_content["result"])


async def test_result_fields_select_fields_and_name_the_ones_no_record_has(executor):
    got = await executor.call(
        "get_single_halo_itsm_ticket_by_id", {"id": 45920, "result_fields": ["summary", "onhold", "nosuch"]}
    )
    assert not got.is_error
    result = got.structured_content["result"]
    assert set(result) == {"id", "summary", "onhold"} and result["onhold"] is False  # unset, but asked for
    assert got.structured_content["fields_not_found"] == ["nosuch"]
    first = await executor.call("list_all_halo_itsm_tickets", {"limit": 3, "result_fields": ["summary"]})
    assert all(set(r) == {"id", "summary"} for r in first.structured_content["result"])
    # the cursor is not bound to the result options: the next page may ask for other fields
    cursor = first.structured_content["next_cursor"]
    second = await executor.call(
        "list_all_halo_itsm_tickets", {"limit": 3, "next_cursor": cursor, "full_result": True}
    )
    assert not second.is_error and len(second.structured_content["result"]) == 3
    ids = {r["id"] for r in first.structured_content["result"]}
    assert not ids & {r["id"] for r in second.structured_content["result"]}


async def test_result_options_are_offered_on_get_list_create_and_update_never_delete():
    for spec in BREADTH:
        props = spec.input_schema["properties"]
        offered = {"result_fields", "full_result"} <= set(props)
        assert offered is (spec.method in ("get", "list", "create", "update")), spec.name


TRICKY = [0, 0.0, False, True, "", [], None, 1, -1, "x", {}, [0], "00000000-0000-0000-0000-000000000000"]
TRICKY += ["1900-01-01T00:00:00", "2024-05-01T10:00:00"]


@pytest.mark.parametrize("path", ["/Tickets", "/Client", "/Users", "/Asset", "/Invoice"])
def test_every_kind_of_value_is_kept_or_left_out_as_the_document_says(path):
    """Each documented field given each kind of JSON value (an integer field `false` or `0.0`, a
    boolean `0`, ...): exactly the values the document calls unset for that field are left out."""
    from halo_sandbox.server.lean import shape

    schema = facts.record_schema(path.lstrip("/"))
    assert schema
    defaults = facts.full_record(schema)
    fields = sorted(defaults)
    for shift in range(len(TRICKY)):
        record = {f: TRICKY[(i + shift) % len(TRICKY)] for i, f in enumerate(fields)}
        record["id"] = 0
        got = shape(path, record).result
        expected = {k: v for k, v in record.items() if k == "id" or not _is_unset_by_document(v, defaults[k])}
        assert got == expected, [k for k in set(got) ^ set(expected)][:10]


def _is_unset_by_document(value: Any, default: Any) -> bool:
    """`_is_unset`, where the document's unset date-time is any `1900-01-01T00:00:00`; an
    enumeration's or a nested record's default (not a plain JSON value) is unset only as null."""
    if isinstance(default, dict) or default is None:
        return value is None
    return _is_unset(value, default)
