"""Tool generation from the catalogue: names, schemas, annotations, tags, selection."""

import jsonschema
import pytest

from halo_sandbox.server.catalogue import CATALOGUE
from halo_sandbox.server.tool_specs import LOOKUP_TOOL, generate_tools, select_tools, with_file_access

TOOLS = generate_tools()
BY_NAME = {t.name: t for t in TOOLS}


def test_names_for_every_resource_and_method():
    expected = {LOOKUP_TOOL}
    for e in CATALOGUE.values():
        names = {
            "list": f"list_all_halo_itsm_{e.name}",
            "get": f"get_single_halo_itsm_{e.singular}_by_id",
            "create": f"create_a_halo_itsm_{e.singular}",
            "update": f"update_a_halo_itsm_{e.singular}_by_id",
            "delete": f"delete_a_halo_itsm_{e.singular}_by_id",
        }
        expected |= {names[m] for m in e.methods}
    assert set(BY_NAME) == expected
    assert len(BY_NAME) == len(TOOLS)
    for name in (
        "list_all_halo_itsm_tickets",
        "get_single_halo_itsm_kb_article_by_id",
        "create_a_halo_itsm_attachment",
        "list_all_halo_itsm_priorities",
        "delete_a_halo_itsm_quote_by_id",
        "update_a_halo_itsm_contract_by_id",
    ):
        assert name in BY_NAME
    assert "create_a_halo_itsm_team" not in BY_NAME  # lookups are read-only
    assert "update_a_halo_itsm_attachment_by_id" not in BY_NAME


def test_schemas_are_valid_flat_draft_2020_12():
    for t in TOOLS:
        for schema in (t.tool.input_schema, t.tool.output_schema):
            jsonschema.Draft202012Validator.check_schema(schema)
        s = t.tool.input_schema
        assert s["type"] == "object" and s["additionalProperties"] is False, t.name
        for prop in s["properties"].values():
            assert prop.get("type") in {"integer", "number", "string", "boolean", "array", "object"}
            assert prop["description"]
        assert not {"anyOf", "oneOf", "allOf"} & set(s), t.name  # flat: no top-level combinators


def test_list_tools_take_limit_and_cursor():
    s = BY_NAME["list_all_halo_itsm_tickets"].tool.input_schema
    assert s["properties"]["limit"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": 100,
        "default": 50,
        "description": s["properties"]["limit"]["description"],
    }
    assert "next_cursor" in s["properties"]
    v = jsonschema.Draft202012Validator(s)
    assert v.is_valid({"limit": 100, "team": [1, 2], "open_only": True})
    assert not v.is_valid({"limit": 101})
    assert not v.is_valid({"limit": 0})
    assert not v.is_valid({"bogus": 1})
    assert BY_NAME["list_all_halo_itsm_actions"].tool.input_schema["required"] == ["ticket_id"]


def test_update_requires_id_and_create_does_not():
    assert "id" in BY_NAME["update_a_halo_itsm_ticket_by_id"].tool.input_schema["required"]
    assert "id" not in BY_NAME["create_a_halo_itsm_ticket"].tool.input_schema.get("required", [])
    assert (
        BY_NAME["get_single_halo_itsm_priority_by_id"].tool.input_schema["properties"]["id"]["type"]
        == "string"
    )
    assert BY_NAME["get_single_halo_itsm_action_by_id"].tool.input_schema["required"] == ["id", "ticket_id"]


def test_annotations_per_method():
    for t in TOOLS:
        a = t.tool.annotations
        if t.kind == "read":
            assert a.read_only_hint is True and a.destructive_hint is False and a.idempotent_hint is True
        else:
            assert a.read_only_hint is False
        if t.method in ("update", "delete"):
            assert a.destructive_hint is True
        if t.method == "create":
            assert a.destructive_hint is False and a.idempotent_hint is False
        assert a.open_world_hint is not None


def test_descriptions_tell_the_agent_what_it_needs():
    assert "next_cursor" in BY_NAME["list_all_halo_itsm_tickets"].tool.description
    assert "`id`" in BY_NAME["create_a_halo_itsm_ticket"].tool.description
    client_id = BY_NAME["create_a_halo_itsm_ticket"].tool.input_schema["properties"]["client_id"]
    assert "list_all_halo_itsm_clients" in client_id["description"]
    assert "read-only" in BY_NAME["list_all_halo_itsm_teams"].tool.description


def test_tags_and_kinds():
    assert BY_NAME["list_all_halo_itsm_actions"].tags == {"support", "projects"}
    assert BY_NAME[LOOKUP_TOOL].tags == {"lookups"} and BY_NAME[LOOKUP_TOOL].kind == "read"
    assert {t.kind for t in TOOLS} == {"read", "write"}


def test_select_by_methods_and_tags():
    reads = select_tools(TOOLS, methods=["read"])
    assert reads and all(t.kind == "read" for t in reads)
    assert LOOKUP_TOOL in {t.name for t in reads}
    writes = select_tools(TOOLS, methods=["write"])
    assert {t.method for t in writes} == {"create", "update", "delete"}
    billing_reads = select_tools(TOOLS, methods=["list", "get"], tags=["billing"])
    assert {t.name for t in billing_reads} == {
        f"{p}_halo_itsm_{r}"
        for p, r in [("list_all", "quotes"), ("list_all", "invoices"), ("list_all", "contracts")]
    } | {f"get_single_halo_itsm_{r}_by_id" for r in ("quote", "invoice", "contract")}
    assert select_tools(TOOLS) == TOOLS
    assert {t.name for t in select_tools(TOOLS, methods=["delete"], tags=["lookups"])} == set()


def test_select_rejects_unknown_method_or_tag_naming_it():
    with pytest.raises(ValueError, match="frobnicate"):
        select_tools(TOOLS, methods=["read", "frobnicate"])
    with pytest.raises(ValueError, match="sales"):
        select_tools(TOOLS, tags=["sales"])


def test_file_path_offered_only_with_file_access():
    create = BY_NAME["create_a_halo_itsm_attachment"]
    props = create.tool.input_schema["properties"]
    assert {"content_base64", "content_text", "ticket_id", "filename"} <= set(props)
    assert "file_path" not in props
    assert "file_path" in with_file_access(create).tool.input_schema["properties"]
    assert with_file_access(BY_NAME["create_a_halo_itsm_ticket"]) == BY_NAME["create_a_halo_itsm_ticket"]
