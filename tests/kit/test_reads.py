"""Reading a record by id through a tool whose id argument takes only numbers, when the resource's
ids are uuids (Halo's priorities are one row per priority and SLA, each with a uuid ``id`` and the
priority's number ``priorityid``; ``GET /Priority/{n}`` reads by that number)."""

from __future__ import annotations

from halo_sandbox.verify.properties.reads import _number_key

UUID_ROW = {"id": "cb194cd3-7bdf-56c4-940f-35e53d4d0115", "priorityid": 2, "name": "High"}


def test_a_number_only_id_argument_reads_a_uuid_priority_by_its_number():
    assert _number_key("priorities", UUID_ROW, {"type": "integer"}) == "priorityid"
    assert _number_key("priorities", UUID_ROW, {"type": ["number", "null"]}) == "priorityid"


def test_an_id_argument_taking_text_gets_the_uuid_itself():
    assert _number_key("priorities", UUID_ROW, {"type": "string"}) is None
    assert _number_key("priorities", UUID_ROW, {}) is None  # untyped: the id as Halo gives it


def test_records_with_number_ids_are_read_by_their_id():
    assert _number_key("tickets", {"id": 45001, "summary": "x"}, {"type": "integer"}) is None
