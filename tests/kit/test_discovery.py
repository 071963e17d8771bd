"""Tool discovery: naming styles, schemas, the mapping file, and tools left unmapped."""

import json
from types import SimpleNamespace

import pytest

from halo_sandbox.verify.discovery import discover, load_mapping

ID = {"type": "object", "properties": {"id": {"type": "integer"}}, "required": ["id"]}
NONE = {"type": "object", "properties": {}}


def tool(name, schema=NONE, description=""):
    return SimpleNamespace(name=name, description=description, input_schema=schema)


@pytest.mark.parametrize(
    ("name", "schema", "expected"),
    [
        ("list_all_halo_itsm_tickets", NONE, ("tickets", "list")),
        ("get_single_halo_itsm_ticket_by_id", ID, ("tickets", "get")),
        ("create_a_halo_itsm_kb_article", NONE, ("kb_articles", "create")),
        ("update_a_halo_itsm_ticket_type_by_id", ID, ("ticket_types", "update")),
        ("halo_tickets_list", NONE, ("tickets", "list")),
        ("list_tickets", NONE, ("tickets", "list")),
        ("listTickets", NONE, ("tickets", "list")),
        (
            "getTicket",
            {"type": "object", "properties": {"ticketId": {"type": "integer"}}, "required": ["ticketId"]},
            ("tickets", "get"),
        ),
        ("get_tickets", NONE, ("tickets", "list")),
        ("halo-delete-client", ID, ("clients", "delete")),
        ("search_customers", NONE, ("clients", "list")),
        (
            "add_ticket_note",
            {"type": "object", "properties": {"ticket_id": {"type": "integer"}}},
            ("actions", "create"),
        ),
    ],
)
def test_naming_styles_map_to_resource_and_role(name, schema, expected):
    found = discover([tool(name, schema)])
    assert list(found.mapped) == [expected], found.unmapped


def test_unrecognised_tools_are_listed_not_guessed():
    found = discover([tool("find_halo_itsm_ids"), tool("ping"), tool("get_ticket", NONE)])
    assert found.mapped == {}
    assert set(found.unmapped) == {"find_halo_itsm_ids", "ping", "get_ticket"}
    assert "no id argument" in found.unmapped["get_ticket"]


def test_description_names_the_resource_when_the_name_does_not():
    found = discover([tool("list_records", NONE, "List Halo tickets. Filters by client.")])
    assert found.tool("tickets", "list").source == "description"


def test_mapping_file_overrides_and_ignores(tmp_path):
    path = tmp_path / "map.json"
    path.write_text(
        json.dumps(
            {
                "tools": {"fetch_case": {"resource": "tickets", "role": "get", "id_param": "no"}},
                "ignore": ["listTickets"],
            }
        )
    )
    found = discover([tool("fetch_case"), tool("listTickets")], load_mapping(path))
    assert found.tool("tickets", "get").id_param == "no"
    assert found.unmapped == {"listTickets": "ignored by the mapping file"}


@pytest.mark.parametrize(
    "content",
    [
        '{"tools": {"x": {"resource": "widgets", "role": "list"}}}',
        '{"tools": {"x": {"resource": "tickets", "role": "munge"}}}',
        '{"other": 1}',
        "not json",
    ],
)
def test_bad_mapping_files_are_refused_clearly(tmp_path, content):
    path = tmp_path / "map.json"
    path.write_text(content)
    with pytest.raises(ValueError):
        load_mapping(path)


def test_a_mapping_file_entry_needing_an_id_argument_it_cannot_find_is_left_unmapped(tmp_path):
    # A get tool with no id-like argument and no id_param in the file: verify could not name the
    # record to read, so the tool is reported as unmapped with the fix rather than called.
    path = tmp_path / "map.json"
    path.write_text(json.dumps({"tools": {"fetch_case": {"resource": "tickets", "role": "get"}}}))
    found = discover([tool("fetch_case")], load_mapping(path))
    assert found.tool("tickets", "get") is None
    assert "give its id_param" in found.unmapped["fetch_case"]
