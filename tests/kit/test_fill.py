"""Arguments a verify run sends are filled from the tool's own input schema: Halo's fields matched
by name at the top level or inside a nested object (``data: {...}``, a Pydantic model behind a
``$ref``), guards a write needs (``confirm: true``), and what else the schema requires (its default,
enum, bounds), but never a made-up id of another record."""

from __future__ import annotations

from halo_sandbox.verify.properties import ToolSchema, fill_arguments, parameters_for

NESTED = {
    "type": "object",
    "required": ["data", "confirm"],
    "properties": {"confirm": {"type": "boolean"}, "data": {"$ref": "#/$defs/NewTicket"}},
    "$defs": {
        "NewTicket": {
            "type": "object",
            "required": ["summary", "client_id"],
            "properties": {
                "summary": {"type": "string"},
                "client_id": {"type": "integer"},
                "details": {"anyOf": [{"type": "string"}, {"type": "null"}]},
            },
        }
    },
}


def test_fields_go_into_the_nested_object_and_the_guard_is_set():
    args, missing = fill_arguments(NESTED, {"summary": "s", "client_id": "12", "details": "d"})
    assert args == {"data": {"summary": "s", "client_id": 12, "details": "d"}, "confirm": True}
    assert missing == []
    assert parameters_for(NESTED, ["summary", "client_id"]) == {
        "summary": "data.summary",
        "client_id": "data.client_id",
    }


def test_a_free_form_body_named_by_discovery_takes_every_field():
    schema = ToolSchema(
        {"type": "object", "required": ["fields"], "properties": {"fields": {"type": "object"}}},
        body_param="fields",
        fixed={"mode": "create"},
    )
    args, missing = fill_arguments(schema, {"summary": "s", "client_id": 3})
    assert args == {"fields": {"summary": "s", "client_id": 3}, "mode": "create"}
    assert missing == []


def test_other_required_arguments_come_from_the_schema_but_ids_are_never_made_up():
    schema = {
        "type": "object",
        "required": ["summary", "urgency", "impact", "notify", "tickettype_id"],
        "properties": {
            "summary": {"type": "string"},
            "urgency": {"type": "string", "enum": ["low", "high"]},
            "impact": {"type": "integer", "minimum": 2, "maximum": 3},
            "notify": {"type": "boolean"},
            "tickettype_id": {"type": "integer"},
        },
    }
    args, missing = fill_arguments(schema, {"summary": "s"})
    assert args == {"summary": "s", "urgency": "low", "impact": 2, "notify": False}
    assert missing == ["tickettype_id"]
