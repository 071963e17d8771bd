"""The breadth catalogue: the checked-in artefact loads into catalogue entries named by the curated
convention, and with breadth on every resource the mock serves is reachable as a tool that works
against it (the set grows with the mock: the test walks the mock's own OpenAPI document)."""

import re

import pytest

from halo_sandbox.mock.domain import facts
from halo_sandbox.mock.domain.facts import official_document
from halo_sandbox.mock.http.openapi import openapi_document
from halo_sandbox.server.catalogue import CATALOGUE
from halo_sandbox.server.generated import GENERATED_TAG, generated_catalogue
from halo_sandbox.server.tool_specs import generate_tools

pytestmark = pytest.mark.anyio
BREADTH = generate_tools(breadth=True)
CURATED = generate_tools()
_TOOL_NAME = re.compile(r"^[a-z0-9_]{1,64}$")
_OPERATION = {
    ("get", False): "list",
    ("get", True): "get",
    ("post", False): "create",
    ("delete", True): "delete",
}


def test_breadth_adds_generated_tools_after_the_curated_ones_and_default_stays_curated():
    assert [t.name for t in BREADTH[: len(CURATED) - 1]] == [t.name for t in CURATED[:-1]]
    assert len(CURATED) == 74 and len(BREADTH) > 10 * len(CURATED)
    names = [t.name for t in BREADTH]
    assert len(names) == len(set(names)) and all(_TOOL_NAME.match(n) for n in names)
    assert {
        "list_all_halo_itsm_suppliers",
        "get_single_halo_itsm_supplier_by_id",
        "create_a_halo_itsm_supplier",
        "update_a_halo_itsm_supplier_by_id",
        "delete_a_halo_itsm_supplier_by_id",
    } <= set(names)


def test_generated_entries_leave_curated_paths_alone_and_say_they_are_generated():
    generated = generated_catalogue()
    curated_paths = {r.path.lower() for r in CATALOGUE.values()}
    assert not {r.path.lower() for r in generated.values()} & curated_paths
    for tool in BREADTH:
        entry = tool.entry
        if entry is None or not entry.generated:
            assert "Generated from Halo's official OpenAPI" not in (tool.tool.description or "")
            continue
        assert (
            GENERATED_TAG in tool.tags and "Generated from Halo's official OpenAPI" in tool.tool.description
        )
        assert tool.input_schema["additionalProperties"] is False
        assert tool.tool.annotations.read_only_hint is (tool.method in ("list", "get"))


def test_generated_inputs_are_flat_and_typed():
    tools = {t.name: t for t in BREADTH}
    listing = tools["list_all_halo_itsm_suppliers"].input_schema["properties"]
    assert listing["includeinactive"]["type"] == "boolean" and listing["count"]["type"] == "integer"
    assert {"limit", "next_cursor"} <= set(listing) and not {"pageinate", "page_no", "page_size"} & set(
        listing
    )
    create = tools["create_a_halo_itsm_supplier"].input_schema["properties"]
    assert create["id"]["type"] == "integer" and create["name"]["type"] == "string"
    assert all(
        p.get("type") in ("integer", "number", "string", "boolean", "array", "object")
        for t in BREADTH
        for p in t.input_schema.get("properties", {}).values()
        if "type" in p
    )


def _served():
    """(collection path, tool method) of every resource operation the mock serves: its own OpenAPI
    document (the resources its table models) and the documented paths its generic collections answer."""
    paths = {**official_document()["paths"], **openapi_document()["paths"]}
    for template, operations in paths.items():
        match = re.fullmatch(r"/api(/[^/{}]+)(/\{id\})?", template)
        if not match:
            continue
        for method in operations:
            tool_method = _OPERATION.get((method, match.group(2) is not None))
            if tool_method:
                yield match.group(1).lower(), tool_method


def test_every_resource_the_mock_serves_is_reachable_as_a_tool_with_breadth_on():
    offered = {(t.entry.path.lower(), t.method) for t in BREADTH if t.entry is not None}
    declined = {(r.path.lower(), m) for r in CATALOGUE.values() for m in r.not_offered}  # said why, per entry
    served = set(_served())
    assert served
    missing = sorted(served - offered - declined)
    assert not missing, missing


@pytest.fixture
def executor(breadth_executor):
    return breadth_executor


def _takes_records(path: str) -> bool:
    """Whether Halo documents ``POST path`` with records (not ids, a string or a form: the generated
    create sends an object there, a known gap, contracts/README.md)."""
    operation = facts.operation("POST", path)
    return operation is not None and operation.form is None and not operation.values_body


def _has_id(path: str) -> bool:
    """Whether the records Halo documents for ``POST path`` have an ``id`` field."""
    operation = facts.operation("POST", path)
    assert operation is not None and operation.body
    return "id" in facts.schema(operation.body.removesuffix("[]"))


async def test_generated_tools_the_mock_serves_list_and_get_its_records(executor):
    served = set(_served())
    generated = [
        t
        for t in BREADTH
        if t.entry is not None
        and t.entry.generated
        and (t.entry.path.lower(), t.method) in served
        and t.method in ("list", "get")
    ]
    assert generated, "the mock serves no generated resource yet"
    by_path = {t.entry.path.lower(): t for t in generated if t.method == "get"}
    for tool in (t for t in generated if t.method == "list"):
        required = tool.input_schema.get("required", [])
        if required:
            continue
        listed = await executor.call(tool.name, {"limit": 2})
        assert not listed.is_error, (tool.name, listed.structured_content)
        rows = listed.structured_content["result"]
        assert len(rows) <= 2
        getter = by_path.get(tool.entry.path.lower())
        if rows and getter and "id" in rows[0]:
            got = await executor.call(getter.name, {"id": rows[0]["id"]})
            assert not got.is_error and got.structured_content["result"]["id"] == rows[0]["id"]


async def test_generated_tools_the_mock_serves_create_read_and_delete_records(executor):
    served = set(_served())
    tools = {
        (t.entry.name, t.method): t
        for t in BREADTH
        if t.entry is not None and t.entry.generated and (t.entry.path.lower(), t.method) in served
    }
    modelled = {
        t.lower() for t in openapi_document()["paths"]
    }  # the table's rules (required fields) apply there
    resources = sorted(
        {
            name
            for name, _ in tools
            if {(name, m) for m in ("create", "get", "delete")} <= set(tools)
            and f"/api{tools[name, 'create'].entry.path}".lower() not in modelled
            and _takes_records(tools[name, "create"].entry.path)
        }
    )
    assert resources
    for name in resources:
        created = await executor.call(tools[name, "create"].name, {})
        assert not created.is_error, (name, created.structured_content)
        if not _has_id(tools[name, "create"].entry.path):
            # Halo's document gives these records no `id` (`EscMsg` of /Notifications): a create
            # answers none, so no tool can name the record afterwards (FIDELITY.md, "Generic")
            assert "id" not in created.structured_content["result"], name
            continue
        record_id = created.structured_content["result"]["id"]
        id_type = tools[name, "get"].input_schema["properties"]["id"].get("type")
        if id_type == "integer" and not isinstance(record_id, int):
            continue  # known gap (contracts/README.md): the schema's uuid id under an int32 path
        if id_type == "string":
            record_id = str(record_id)  # an integer id under a string path (`/ServiceStatus/{id}`)
        got = await executor.call(tools[name, "get"].name, {"id": record_id})
        assert not got.is_error and str(got.structured_content["result"]["id"]) == str(record_id), name
        deleted = await executor.call(tools[name, "delete"].name, {"id": record_id})
        assert not deleted.is_error, (name, deleted.structured_content)
        gone = await executor.call(tools[name, "get"].name, {"id": record_id})
        assert gone.is_error and gone.structured_content["error"]["status"] == 404, name
