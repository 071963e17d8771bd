"""The build-time generator over a small OpenAPI document shaped like Halo's (vendored below, written
after the shapes of Halo's official document: informal `bool`/`int`/`double`/`List<int>` types, paged
list parameters, duplicate parameters, `readOnly` record fields, action sub-paths)."""

import json

from halo_sandbox.server import generate

_OP = {"tags": ["Company"], "summary": "List of Company", "responses": {"200": {"description": "OK"}}}


def _q(name, type_, **extra):
    return {"name": name, "in": "query", "schema": {"type": type_, **extra.pop("schema", {})}, **extra}


DOCUMENT = {
    "openapi": "3.0.1",
    "info": {"title": "Halo API", "version": "v2"},
    "paths": {
        "/Supplier": {
            "get": {
                **_OP,
                "parameters": [
                    _q("search", "string"),
                    _q("count", "int"),
                    _q("includeinactive", "bool"),
                    _q("Search", "string"),  # a duplicate in another case: kept once
                    _q("price_over", "double"),
                    _q("ids", "List<int>"),
                    _q("filters", "obj"),
                    _q("limit", "int"),
                    _q("pageinate", "bool"),
                    _q("page_size", "int"),
                    _q("page_no", "int"),
                ],
            },
            "post": {
                **_OP,
                "requestBody": {
                    "content": {
                        "application/json": {
                            "schema": {"type": "array", "items": {"$ref": "#/components/schemas/Company"}}
                        }
                    }
                },
            },
        },
        "/Supplier/{id}": {
            "get": {
                **_OP,
                "parameters": [
                    {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}},
                    _q("includedetails", "bool"),
                ],
            },
            "delete": {
                **_OP,
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
            },
        },
        "/Supplier/sync": {"post": _OP},
        "/Client": {"get": _OP},  # curated: left to the curated catalogue
        "/CannedText": {"get": {**_OP, "parameters": [_q("type", "int", required=True)]}},
        "/Example/Get": {"get": _OP},  # no collection or item path
        "/Token/{id}": {
            "get": {
                **_OP,
                "parameters": [{"name": "id", "in": "path", "schema": {"type": "string", "format": "uuid"}}],
            }
        },
    },
    "components": {
        "schemas": {
            "Company": {
                "type": "object",
                "properties": {
                    "id": {"type": "integer"},
                    "name": {"type": "string", "nullable": True},
                    "is_vip": {"type": "boolean"},
                    "rating": {"type": "number", "format": "double"},
                    "created": {"type": "string", "format": "date-time"},
                    "row_version": {"type": "integer", "readOnly": True},
                    "contacts": {"type": "array", "items": {"$ref": "#/components/schemas/Contact"}},
                    "tag_ids": {"type": "array", "items": {"type": "integer"}},
                    "address": {"$ref": "#/components/schemas/A"},
                    "action": {"$ref": "#/components/schemas/Action"},
                },
            },
            "Action": {"enum": [0, 1, 2, 3], "type": "integer", "format": "int32"},
        }
    },
}


def _by_name(catalogue):
    return {r["name"]: r for r in catalogue["resources"]}


def test_resources_follow_the_naming_convention_and_skip_curated_paths():
    entries = _by_name(generate.generate(DOCUMENT))
    assert set(entries) == {"suppliers", "canned_texts", "tokens"}
    supplier = entries["suppliers"]
    assert (supplier["singular"], supplier["path"]) == ("supplier", "/Supplier")
    assert supplier["methods"] == ["list", "get", "create", "update", "delete"]
    assert supplier["tags"] == ["company"]
    assert entries["canned_texts"]["methods"] == ["list"]
    assert entries["tokens"]["methods"] == ["get"] and entries["tokens"]["id_type"] == "string"
    assert any("/Example/Get" in note for note in generate.generate(DOCUMENT)["not_generated"])


def test_query_parameters_are_normalised_deduplicated_and_paging_left_to_the_cursor():
    supplier = _by_name(generate.generate(DOCUMENT))["suppliers"]
    assert supplier["pageable"] is True
    assert supplier["filters"] == [
        {"name": "search", "type": "string"},
        {"name": "count", "type": "integer"},
        {"name": "includeinactive", "type": "boolean"},
        {"name": "price_over", "type": "number"},
        {"name": "ids", "type": "array", "item_type": "integer"},
    ]
    skipped = " ".join(supplier["skipped"])
    assert "'filters'" in skipped and "'limit'" in skipped and "/Supplier/sync" in skipped
    assert supplier["get_params"] == [{"name": "includedetails", "type": "boolean"}]
    assert _by_name(generate.generate(DOCUMENT))["canned_texts"]["filters"] == [
        {"name": "type", "type": "integer", "required": True}
    ]


def test_body_fields_come_from_the_record_schema_without_read_only_ones():
    fields = {f["name"]: f for f in _by_name(generate.generate(DOCUMENT))["suppliers"]["fields"]}
    assert set(fields) == {"name", "is_vip", "rating", "created", "contacts", "tag_ids", "address", "action"}
    assert fields["action"] == {"name": "action", "type": "integer", "enum": [0, 1, 2, 3]}
    assert fields["is_vip"]["type"] == "boolean" and fields["rating"]["type"] == "number"
    assert fields["contacts"] == {"name": "contacts", "type": "array", "item_type": "object"}
    assert fields["tag_ids"] == {"name": "tag_ids", "type": "array", "item_type": "integer"}
    assert fields["address"]["type"] == "object" and fields["created"]["type"] == "string"


def test_unset_values_follow_each_fields_documented_type():
    unset = generate.unset_values(DOCUMENT, ["/Supplier", "/Client", "/Nowhere"])
    assert set(unset) == {"/Supplier"}  # /Client has no POST body: no schema, nothing is left out
    groups = unset["/Supplier"]["unset"]
    assert unset["/Supplier"]["schema"] == "Company"
    assert {field: json.loads(value) for value, fields in groups.items() for field in fields} == {
        "name": "",
        "is_vip": False,
        "rating": 0,
        "created": "1900-01-01T00:00:00",
        "row_version": 0,  # read-only fields are answered too
        "contacts": [],
        "tag_ids": [],
        "address": None,  # a nested record: only null
        "action": None,  # an enumeration: its 0 names a member
    }


def test_the_command_writes_checks_and_refuses_a_bad_source(tmp_path, capsys):
    source, output, unset = tmp_path / "halo.json", tmp_path / "out.json", tmp_path / "unset.json"
    source.write_text(json.dumps(DOCUMENT))
    files = ["--output", str(output), "--unset-output", str(unset)]
    assert generate.main(["--source", str(source), *files]) == 0
    assert _by_name(json.loads(output.read_text()))["suppliers"]["path"] == "/Supplier"
    assert json.loads(unset.read_text())["resources"]["/Supplier"]["schema"] == "Company"
    assert generate.main(["--source", str(source), *files, "--check"]) == 0
    unset.write_text(unset.read_text().replace("is_vip", "is_vop"))
    assert generate.main(["--source", str(source), *files, "--check"]) == 1
    generate.main(["--source", str(source), *files])
    output.write_text(output.read_text().replace("Supplier", "Vendor"))
    assert generate.main(["--source", str(source), *files, "--check"]) == 1
    source.write_text("[1, 2]")
    assert generate.main(["--source", str(source), *files]) == 2
    assert generate.main(["--source", str(tmp_path / "missing.json")]) == 2
    assert "not an OpenAPI document" in capsys.readouterr().err
