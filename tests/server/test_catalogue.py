"""The catalogue is the consumer's description of Halo: it must use Halo's own names."""

import json
from pathlib import Path

import pytest

from halo_sandbox.server.catalogue import CATALOGUE, METHODS, resource

# Halo's own names for each catalogue path (derived from Halo's official OpenAPI document; see its "source").
HALO_NAMES = Path(__file__).resolve().parents[1] / "data" / "halo-names.json"

DESIGN_TABLE = {
    "tickets": ("/Tickets", {"support"}),
    "actions": ("/Actions", {"support", "projects"}),
    "attachments": ("/Attachment", {"support"}),
    "kb_articles": ("/KBArticle", {"support"}),
    "teams": ("/Team", {"support", "lookups"}),
    "agents": ("/Agent", {"support", "lookups"}),
    "statuses": ("/Status", {"support", "lookups"}),
    "priorities": ("/Priority", {"support", "lookups"}),
    "slas": ("/SLA", {"support", "lookups"}),
    "ticket_types": ("/TicketType", {"support", "lookups"}),
    "categories": ("/Category", {"support", "lookups"}),
    "clients": ("/Client", {"crm"}),
    "sites": ("/Site", {"crm"}),
    "users": ("/Users", {"crm"}),
    "projects": ("/Projects", {"projects"}),
    "quotes": ("/Quotation", {"billing"}),
    "invoices": ("/Invoice", {"billing"}),
    "contracts": ("/ClientContract", {"billing"}),
    "assets": ("/Asset", {"assets"}),
}


def test_catalogue_covers_the_design_table_with_its_paths_and_tags():
    assert set(CATALOGUE) == set(DESIGN_TABLE)
    for name, (path, tags) in DESIGN_TABLE.items():
        assert CATALOGUE[name].path == path, name
        assert CATALOGUE[name].tags == frozenset(tags), name


def test_every_missing_method_says_why():
    for entry in CATALOGUE.values():
        for method in METHODS:
            assert (method in entry.methods) != (method in entry.not_offered), (entry.name, method)
            if method in entry.not_offered:
                assert len(entry.not_offered[method]) > 10


def test_lookups_are_read_only_and_bare_arrays():
    for entry in CATALOGUE.values():
        if "lookups" in entry.tags:
            assert entry.methods == {"list", "get"}
            assert entry.list_key is None and not entry.pageable


def test_halo_envelope_keys():
    assert CATALOGUE["projects"].list_key == "tickets"
    assert CATALOGUE["quotes"].list_key == "quotes"
    assert CATALOGUE["kb_articles"].list_key == "articles"
    assert CATALOGUE["priorities"].id_type == "string"


def test_unknown_resource_lookup_raises_naming_it():
    with pytest.raises(KeyError, match="nonsense"):
        resource("nonsense")


def test_query_params_and_body_fields_use_halo_names():
    halo = json.loads(HALO_NAMES.read_text(encoding="utf-8"))["paths"]
    assert set(halo) == {entry.path for entry in CATALOGUE.values()}
    problems = []
    for entry in CATALOGUE.values():
        names = halo[entry.path]
        listing = set(names["list_params"])
        for f in entry.filters:
            if f.name not in listing:
                problems.append(f"{entry.name}: list filter {f.name}")
        for method, params in (("get", entry.get_params), ("delete", entry.delete_params)):
            declared = set(names.get(f"{method}_params", []))
            # Halo's DELETE /Actions/{id} needs ticket_id although the OpenAPI document omits it
            declared |= {"ticket_id"} if entry.name == "actions" else set()
            problems += [f"{entry.name}: {method} param {p.name}" for p in params if p.name not in declared]
        if entry.fields:
            props = set(names["body_fields"])
            # team_id: in the newer Halo schema (ARCHITECTURE.md, shared conventions)
            problems += [
                f"{entry.name}: field {f.name}"
                for f in entry.fields
                if f.name not in props and f.name != "team_id"
            ]
    assert problems == []
