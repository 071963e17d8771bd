"""The narrow rules behind verify's newer checks, on schemas and results of the shapes strangers'
servers use: which argument of a create is "named but optional" (top level or inside ``data``),
when a create's result names the id Halo assigned, and which filter values are tried (0 only where
the schema allows it, several ids only for an array argument, true and false for a flag)."""

from __future__ import annotations

from types import SimpleNamespace

from halo_sandbox.verify.properties import ToolSchema
from halo_sandbox.verify.properties.filters import _filters
from halo_sandbox.verify.properties.schemas import _named_optional
from halo_sandbox.verify.properties.writes import _mentions

SITE_DATA = {
    "type": "object",
    "required": ["data"],
    "properties": {
        "data": {
            "type": "object",
            "required": ["name"],
            "properties": {"name": {"type": "string"}, "client_id": {"type": "integer"}},
        }
    },
}


def test_a_field_named_but_not_required_is_optional_at_the_top_or_inside_data():
    flat = {"type": "object", "required": ["name"], "properties": {"name": {}, "client_id": {}}}
    assert _named_optional(flat, "client_id") == "client_id"
    assert _named_optional(flat, "name") is None  # required: nothing to judge
    assert _named_optional({"type": "object", "properties": {"name": {}}}, "client_id") is None
    assert _named_optional(SITE_DATA, "client_id") == "data.client_id"
    assert _named_optional(SITE_DATA, "name") is None


def test_a_create_result_names_the_new_id_only_as_a_whole_token():
    assert _mentions('{"id": 45921, "summary": "x"}', 45921)
    assert _mentions("Ticket #45921 created.", 45921)
    assert not _mentions('{"summary": "verify 1a45921b", "client_id": 459210}', 45921)
    assert not _mentions('{"amount": 45921.5}', 45921)


def _ctx(properties: dict) -> SimpleNamespace:
    schema = ToolSchema({"type": "object", "properties": properties})
    return SimpleNamespace(schema=lambda name: schema)


TICKETS = SimpleNamespace(name="list_tickets", resource="tickets")
ROWS = [{"id": i, "agent_id": 1 + i % 3, "status_id": 2 + i % 2} for i in range(12)]


def test_zero_is_never_tried_as_an_id_filter():
    # no source gives client_id=0 a meaning in Halo (ASP.NET binds an absent int as 0): a server
    # leaving 0 out is not failed on a guess
    found = _filters(_ctx({"agent_id": {"type": "integer", "minimum": 0}}), TICKETS, ROWS)  # type: ignore[arg-type]
    assert found and 0 not in [c.value for c in found]


def test_several_ids_go_to_an_array_argument_and_flags_get_true_and_false():
    found = _filters(
        _ctx({"status": {"type": "array", "items": {"type": "integer"}}, "open_only": {"type": "boolean"}}),
        TICKETS,  # type: ignore[arg-type]
        ROWS,
    )
    lists = [c for c in found if c.param == "status"]
    assert lists and all(isinstance(c.value, tuple) and len(c.value) >= 2 for c in lists)
    assert lists[0].argument() == [2, 3] and lists[0].query() == "2,3"
    assert sorted(c.query() for c in found if c.param == "open_only") == ["false", "true"]
    string_list = _filters(_ctx({"status": {"type": "string"}}), TICKETS, ROWS)  # type: ignore[arg-type]
    assert string_list == []  # a comma-separated string is the server's format to choose: not tried
