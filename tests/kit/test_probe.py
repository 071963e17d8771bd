"""Reading records out of whatever shape a server answers with: JSON text, structured content
``{"result": "<json text>"}`` (a Python-SDK tool declared ``-> str``), envelopes in envelopes, and
records with no ``id`` field."""

from __future__ import annotations

import json

import mcp_types
import pytest

from halo_sandbox.verify.probe import CallRecord, find_record, find_records, record_id

TICKETS = [{"id": 45920, "summary": "Printer", "details": '{"not": "an envelope"}'}, {"id": 45921}]


def result(*, text: str | None = None, structured: object = None) -> CallRecord:
    content = [mcp_types.TextContent(text=text)] if text is not None else []
    return CallRecord(
        tool="t",
        arguments={},
        result=mcp_types.CallToolResult(content=content, structured_content=structured),
    )


@pytest.mark.parametrize(
    "call",
    [
        result(text=json.dumps({"record_count": 2, "tickets": TICKETS})),
        result(text=json.dumps(TICKETS)),
        # MCPServer / FastMCP: a tool declared -> str that returns JSON text
        result(
            text=json.dumps({"tickets": TICKETS}),
            structured={"result": json.dumps({"record_count": 2, "tickets": TICKETS})},
        ),
        result(structured={"result": json.dumps(TICKETS)}),
        # envelopes in envelopes, JSON text inside
        result(text=json.dumps({"ok": True, "data": {"content": json.dumps({"page": {"items": TICKETS}})}})),
        result(structured={"response": {"status": 200, "body": {"tickets": TICKETS, "record_count": 2}}}),
    ],
)
def test_list_records_are_found_in_any_shape(call):
    records = find_records(call.payload(), list_keys=["tickets"])
    assert [r["id"] for r in records] == [45920, 45921]
    assert records[0]["details"] == '{"not": "an envelope"}'  # a record's own text stays text


@pytest.mark.parametrize(
    "call",
    [
        result(text=json.dumps(TICKETS[0])),
        result(structured={"result": json.dumps(TICKETS[0])}),
        result(text=json.dumps({"success": True, "result": {"record": TICKETS[0]}})),
        result(text=json.dumps([TICKETS[0]])),
        result(structured={"result": json.dumps({"data": json.dumps(TICKETS[0])})}),
    ],
)
def test_one_record_is_found_in_any_shape(call):
    assert find_record(call.payload())["id"] == 45920


def test_a_record_without_an_id_field_is_found_by_its_own_id_field():
    priority = {"priorityid": 3, "name": "Medium"}
    assert find_record({"result": [priority]}) is None
    assert find_record({"result": [priority]}, id_keys=["priorityid"]) == priority
    with pytest.raises(LookupError, match="no id field"):
        record_id(priority)
    assert record_id(priority, ["id", "priorityid"]) == 3


def test_a_nested_reference_is_not_taken_for_the_record():
    assert find_record({"name": "no id here", "client": {"id": 12, "name": "Acme"}}) is None


def test_a_call_answered_without_halo_says_so():
    call = result(text="circuit open")
    call.result = mcp_types.CallToolResult(
        content=[mcp_types.TextContent(text="circuit open")], is_error=True
    )
    assert "no request reached Halo" in call.summary()["outcome"]


def test_an_empty_list_under_any_key_is_no_records_not_no_list():
    assert find_records({"record_count": 0, "appointments": []}) == []
    assert find_records({"result": json.dumps({"record_count": 0, "suppliers": []})}) == []
    assert find_records({"message": "no list here"}) is None


def test_a_record_under_its_resource_name_beside_other_keys_is_found():
    payload = {"ticket": {"id": 45920, "summary": "Printer"}, "actions": [{"id": 1}], "ok": True}
    assert find_record(payload)["id"] == 45920
