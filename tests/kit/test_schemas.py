"""The schemas property's judgement of a call Halo refused for a missing field: an update tool whose
item reached Halo without an id above 0 is failed for creating (Halo reads such an item as new, and
then asks for what a create needs), never told to make a create's fields required."""

from __future__ import annotations

import json

import mcp_types
import pytest

from halo_sandbox.verify.probe import CallRecord
from halo_sandbox.verify.properties.schemas import _Finding, _judge
from halo_sandbox.verify.served_mock import Exchange

UPDATE_SCHEMA = {
    "type": "object",
    "properties": {"id": {"type": "number"}, "summary": {"type": "string"}},
    "required": ["id"],
}
REFUSAL = b'{"[0].summary":["The summary field is required."]}'


def refused(arguments: dict, sent: object) -> CallRecord:
    exchange = Exchange(
        seq=1,
        method="POST",
        path="/api/Tickets",
        query="",
        status=400,
        request_body=json.dumps(sent).encode(),
        response_body=REFUSAL,
    )
    text = mcp_types.TextContent(text="Error: POST /Tickets (400): " + REFUSAL.decode())
    return CallRecord(
        tool="update_ticket",
        arguments=arguments,
        result=mcp_types.CallToolResult(content=[text], is_error=True),
        exchanges=[exchange],
    )


@pytest.mark.parametrize("sent", [[{"id": 0}], {"id": 0}, [{"summary_old": "x"}], [{"id": "0"}]])
def test_an_update_sent_to_halo_as_a_create_fails_for_creating(sent):
    # Halo: an item without id, or with id 0, is a new record
    with pytest.raises(_Finding) as caught:
        _judge(refused({"id": 0}, sent), object(), UPDATE_SCHEMA, update=True)
    assert "reached Halo as a create" in caught.value.detail
    assert "required list" not in caught.value.expected


def test_an_update_with_a_negative_id_is_not_told_to_require_create_fields():
    # what Halo does with id -3 is not documented: no verdict either way from this refusal
    _judge(refused({"id": -3}, [{"id": -3}]), object(), UPDATE_SCHEMA, update=True)


def test_an_update_of_a_real_id_refused_for_an_optional_field_still_fails_for_the_schema():
    with pytest.raises(_Finding) as caught:
        _judge(refused({"id": 7}, [{"id": 7}]), object(), UPDATE_SCHEMA, update=True)
    assert "'summary' in the schema's required list" in caught.value.expected


def test_a_create_refused_for_an_optional_field_fails_for_the_schema():
    schema = {"type": "object", "properties": {"summary": {"type": "string"}}}
    with pytest.raises(_Finding) as caught:
        _judge(refused({}, [{}]), object(), schema, update=False)
    assert "'summary' in the schema's required list" in caught.value.expected


def test_a_free_form_record_body_names_no_field_optional():
    # halo_<resource>_upsert(data: {...any keys}): the schema says nothing of summary either way
    from halo_sandbox.verify.properties import ToolSchema
    from halo_sandbox.verify.properties.schemas import _named_optional

    free = ToolSchema(
        {"type": "object", "properties": {"data": {"type": "object", "additionalProperties": {}}}},
        body_param="data",
        fixed={},
    )
    assert _named_optional(free, "summary") is None
    named = ToolSchema(
        {
            "type": "object",
            "properties": {"data": {"type": "object", "properties": {"summary": {"type": "string"}}}},
        },
        body_param="data",
        fixed={},
    )
    assert _named_optional(named, "summary") == "data.summary"
