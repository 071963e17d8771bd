"""Tool discovery: naming styles, schemas, the mapping file, and tools left unmapped."""

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from halo_sandbox.verify.discovery import discover, load_mapping, resource

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


# -- Halo's whole documented surface -------------------------------------------------------------

FACTS = Path(__file__).resolve().parents[2] / "mock_halo" / "domain" / "halo_openapi_facts.json"
NOT_RECORDS = {"search", "test1", "test3", "test4", "testerror", "example", "lookup"}


def _documented_tops() -> list[str]:
    """Every top-level path of Halo's official document (read from the vendored facts file)."""
    paths = json.loads(FACTS.read_text(encoding="utf-8"))["paths"]
    tops = dict.fromkeys(p.strip("/").split("/")[0] for p in paths)
    return [t for t in tops if t and "{" not in t and t.lower() not in NOT_RECORDS]


def test_every_documented_resource_is_in_the_vocabulary():
    tops = _documented_tops()
    assert len(tops) > 300
    unplaced = {}
    for top in tops:
        found = discover([tool(f"list_{top}", NONE)])
        mapped = next(iter(found.mapped.values()), None)
        halo_path = resource(mapped.resource).halo_path if mapped else None
        if halo_path is None or halo_path.lower() != top.lower():
            unplaced[top] = halo_path or found.unmapped
    assert not unplaced, unplaced


@pytest.mark.parametrize(
    ("name", "schema", "expected"),
    [
        ("halo_ticketrules_get", ID, ("TicketRules", "get")),
        (
            "halo_tickets_get",
            {**ID, "properties": {"ticket_id": {"type": "integer"}}, "required": ["ticket_id"]},
            ("tickets", "get"),
        ),
        ("list_opportunities", NONE, ("Opportunities", "list")),
        ("get_appointment", ID, ("Appointment", "get")),
        ("list_suppliers", NONE, ("Supplier", "list")),
        ("get_timesheet", ID, ("Timesheet", "get")),
        ("upsert_ticket", NONE, ("tickets", "create")),
        ("save_client", NONE, ("clients", "create")),
        (
            "set_ticket_status",
            {
                "type": "object",
                "properties": {"ticket_id": {"type": "integer"}, "status": {"type": "string"}},
                "required": ["ticket_id"],
            },
            ("tickets", "update"),
        ),
        (
            "add_ticket_note",
            {"type": "object", "properties": {"ticket_id": {"type": "integer"}}},
            ("actions", "create"),
        ),
        ("remove_client", ID, ("clients", "delete")),
        ("search_tickets", NONE, ("tickets", "list")),
        ("find_clients", NONE, ("clients", "list")),
    ],
)
def test_documented_resources_and_verbs(name, schema, expected):
    found = discover([tool(name, schema)])
    assert list(found.mapped) == [expected], found.unmapped


def test_another_resources_id_is_not_the_record_id():
    schema = {
        "type": "object",
        "properties": {"client_id": {"type": "integer"}, "summary": {"type": "string"}},
        "required": ["client_id", "summary"],
    }
    found = discover([tool("create_ticket", schema)])
    assert list(found.mapped) == [("tickets", "create")]
    assert found.tool("tickets", "create").id_param is None
    update = discover([tool("update_ticket", schema)])  # no argument carries the ticket's own id
    assert update.mapped == {}
    assert "no id argument of its own" in update.unmapped["update_ticket"]


def test_two_tools_for_one_role_are_ambiguous_not_guessed():
    found = discover([tool("list_tickets"), tool("search_tickets"), tool("list_clients")])
    assert found.tool("tickets", "list") is None
    assert set(found.ambiguous["tickets.list"]) == {"list_tickets", "search_tickets"}
    assert found.unmapped["list_tickets"].startswith("ambiguous")
    assert found.tool("clients", "list").name == "list_clients"


def test_the_plainly_named_list_is_chosen_over_narrowed_ones():
    # a server offering list_tickets beside "my", "assigned" and "created" lists: the plain one is
    # the resource's list, the others narrow it and are left unmapped with the reason
    names = [
        "halo_list_tickets",
        "halo_list_assigned_tickets",
        "halo_get_my_tickets",
        "halo_list_created_tickets",
    ]
    found = discover([tool(n) for n in names])
    assert found.mapped[("tickets", "list")].name == "halo_list_tickets"
    assert "tickets.list" not in found.ambiguous
    assert "assigned" in found.unmapped["halo_list_assigned_tickets"]
    assert "my" in found.unmapped["halo_get_my_tickets"]


def test_two_narrowed_lists_without_a_plain_one_stay_ambiguous():
    found = discover([tool("list_my_tickets"), tool("list_recent_tickets")])
    assert set(found.ambiguous["tickets.list"]) == {"list_my_tickets", "list_recent_tickets"}


def test_a_tool_naming_two_resources_by_their_ids_is_ambiguous():
    schema = {
        "type": "object",
        "properties": {"ticket_id": {"type": "integer"}, "status_id": {"type": "integer"}},
        "required": ["ticket_id", "status_id"],
    }
    found = discover([tool("set_ticket_status", schema)])
    assert found.mapped == {}
    assert found.unmapped["set_ticket_status"].startswith("ambiguous")


def test_a_name_beats_a_description_without_a_guess():
    found = discover([tool("get_ticket", ID), tool("read_record", ID, "Read one Halo ticket.")])
    assert found.tool("tickets", "get").name == "get_ticket"
    assert "only by its description" in found.unmapped["read_record"]


def test_guards_and_nested_bodies_are_found_in_the_schema():
    schema = {
        "type": "object",
        "properties": {
            "confirm": {"type": "boolean"},
            "dry_run": {"type": "boolean"},
            "data": {"type": "object", "properties": {"summary": {"type": "string"}}},
        },
        "required": ["confirm", "dry_run", "data"],
    }
    mapped = discover([tool("create_ticket", schema)]).tool("tickets", "create")
    assert mapped.body_param == "data"
    assert dict(mapped.fixed) == {"confirm": True, "dry_run": False}


def test_mapping_file_names_role_body_and_fixed_arguments(tmp_path):
    path = tmp_path / "map.toml"
    path.write_text(
        '[tools.do_ticket]\nrole = "create"\nbody_param = "payload"\n'
        'fixed = { mode = "create", confirm = true }\n'
        '[tools.vendor_lookup]\nresource = "Supplier"\nrole = "get"\nid_param = "vendor"\n'
    )
    schema = {
        "type": "object",
        "properties": {
            "payload": {"type": "object"},
            "mode": {"type": "string"},
            "confirm": {"type": "boolean"},
        },
    }
    vendor = {"type": "object", "properties": {"vendor": {"type": "integer"}}}
    found = discover([tool("do_ticket", schema), tool("vendor_lookup", vendor)], load_mapping(path))
    create = found.tool("tickets", "create")
    assert (create.body_param, dict(create.fixed), create.source) == (
        "payload",
        {"mode": "create", "confirm": True},
        "mapping file",
    )
    assert found.tool("Supplier", "get").id_param == "vendor"


def test_mapping_file_arguments_must_exist(tmp_path):
    path = tmp_path / "map.json"
    path.write_text(json.dumps({"tools": {"create_ticket": {"role": "create", "body_param": "nope"}}}))
    schema = {"type": "object", "properties": {"data": {"type": "object"}}}
    found = discover([tool("create_ticket", schema)], load_mapping(path))
    assert "'nope' is not an argument" in found.unmapped["create_ticket"]


def test_a_pydantic_body_behind_a_ref_is_the_body_param():
    schema = {
        "type": "object",
        "properties": {"data": {"$ref": "#/$defs/NewTicket"}, "confirm": {"type": "boolean"}},
        "required": ["data", "confirm"],
        "$defs": {"NewTicket": {"type": "object", "properties": {"summary": {"type": "string"}}}},
    }
    mapped = discover([tool("create_ticket", schema)]).tool("tickets", "create")
    assert mapped.body_param == "data" and dict(mapped.fixed) == {"confirm": True}
