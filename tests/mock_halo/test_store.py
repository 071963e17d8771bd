"""`HaloStore` without HTTP: lists, filters, paging, writes, integrity, computed fields, snapshot."""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

import pytest

from halo_sandbox.mock.domain import store as store_module
from halo_sandbox.mock.domain.store import HaloStore
from halo_sandbox.mock.engine.clock import UNSET_DATE, SandboxClock
from halo_sandbox.mock.engine.indexes import Table
from halo_sandbox.mock.exceptions import NotFound, ValidationError
from halo_sandbox.mock.http.routes import halo_list

NOW = datetime(2026, 11, 25, 12, 0, 0)


def small_world() -> dict[str, list[dict[str, Any]]]:
    return {
        "slas": [{"id": 1, "name": "Standard SLA"}],
        "priorities": [
            {
                "id": "p-1",
                "slaid": 1,
                "priorityid": 1,
                "name": "Critical",
                "fixtime": 4,
                "fixunits": "H",
                "responsetime": 1,
                "responseunits": "H",
            },
            {"id": "p-3", "slaid": 1, "priorityid": 3, "name": "Medium", "fixtime": 2, "fixunits": "D"},
        ],
        "statuses": [
            {"id": 1, "name": "New"},
            {"id": 2, "name": "In Progress"},
            {"id": 8, "name": "Cancelled"},
            {"id": 9, "name": "Closed"},
        ],
        "ticket_types": [
            {"id": 1, "name": "Incident", "use": "reqs"},
            {"id": 5, "name": "Project", "use": "prjs"},
        ],
        "teams": [{"id": 1, "name": "Network Operations"}, {"id": 2, "name": "Identity"}],
        "agents": [{"id": 1, "name": "Unassigned"}, {"id": 3, "name": "Maya Chen", "team_id": 1}],
        "outcomes": [{"id": 1, "outcome": "Private Note"}],
        "clients": [
            {"id": 104, "name": "Wayne Enterprises", "main_site_id": 7},
            {"id": 102, "name": "Stark Industries"},
        ],
        "sites": [
            {"id": 7, "name": "Gotham Data Centre", "client_id": 104},
            {"id": 3, "name": "Stark Tower", "client_id": 102},
        ],
        "users": [{"id": 1035, "name": "Ethan Morales", "site_id": 7, "client_id": 104}],
        "tickets": [
            {
                "id": 10,
                "summary": "VPN drops",
                "client_id": 104,
                "site_id": 7,
                "status_id": 2,
                "team_id": 1,
                "agent_id": 3,
                "sla_id": 1,
                "priority_id": 1,
                "tickettype_id": 1,
                "dateoccurred": "2026-11-25T06:00:00",
            },
            {
                "id": 11,
                "summary": "Printer jam",
                "client_id": 104,
                "site_id": 7,
                "status_id": 9,
                "team_id": 2,
                "sla_id": 1,
                "priority_id": 3,
                "tickettype_id": 1,
                "dateoccurred": "2026-11-20T06:00:00",
            },
            {
                "id": 12,
                "summary": "SSO loop",
                "client_id": 104,
                "site_id": 7,
                "status_id": 1,
                "team_id": 2,
                "sla_id": 1,
                "priority_id": 3,
                "tickettype_id": 1,
                "dateoccurred": "2026-11-25T09:00:00",
            },
            {
                "id": 13,
                "summary": "Cloud migration",
                "client_id": 102,
                "site_id": 3,
                "status_id": 1,
                "tickettype_id": 5,
                "dateoccurred": "2026-11-01T09:00:00",
            },
        ],
        "actions": [
            {
                "id": 1,
                "ticket_id": 10,
                "note": "logged",
                "outcome_id": 1,
                "who_agentid": 3,
                "datetime": "2026-11-25T06:00:00",
            }
        ],
        "quotes": [
            {
                "id": 501,
                "client_id": 102,
                "title": "Landing zone",
                "approvalstate": 0,
                "status": 1,
                "expiry_date": "2026-11-28T00:00:00",
                "lines": [
                    {"id": 1, "quantity": 10, "price": 100.0, "costprice": 60.0, "tax": 20},
                    {"id": 2, "quantity": 2, "price": 50.0, "discount_perc": 10},
                ],
            },
            {
                "id": 502,
                "client_id": 102,
                "title": "Licences",
                "approvalstate": 1,
                "status": 2,
                "expiry_date": "2026-11-20T00:00:00",
            },
        ],
        "invoices": [
            {
                "id": 701,
                "client_id": 104,
                "amountpaid": 50.0,
                "lines": [{"id": 1, "qty_order": 3, "unit_price": 100.0, "tax_rate": 20.0}],
            }
        ],
    }


@pytest.fixture
def clock() -> SandboxClock:
    return SandboxClock(frozen_at=NOW)


@pytest.fixture
def store(clock: SandboxClock) -> HaloStore:
    return HaloStore(seed_data=small_world(), clock=clock)


def ids(result: Any, key: str = "tickets") -> list[Any]:
    rows = result[key] if isinstance(result, dict) else result
    return [r["id"] for r in rows]


# -- lists ---------------------------------------------------------------------------------------


def test_list_envelope_counts_before_paging_and_defaults_to_ascending_id(store: HaloStore) -> None:
    result = halo_list(store, "tickets", {"pageinate": "true", "page_size": "2", "page_no": "2"})
    assert result["record_count"] == 4
    assert ids(result) == [12, 13]
    assert result["page_no"] == 2 and result["page_size"] == 2


def test_page_size_is_clamped_to_100_and_count_limits_unpaged_lists(clock: SandboxClock) -> None:
    world = small_world()
    world["tickets"] += [{"id": 100 + i, "summary": f"t{i}", "client_id": 104} for i in range(150)]
    store = HaloStore(seed_data=world, clock=clock)
    paged = halo_list(store, "tickets", {"pageinate": "true", "page_size": "500"})
    assert len(paged["tickets"]) == 100 and paged["record_count"] == 154
    assert len(halo_list(store, "tickets", {})["tickets"]) == 50
    assert len(halo_list(store, "tickets", {"count": "7"})["tickets"]) == 7
    # without pageinate, page_no/page_size are ignored (Halo)
    assert ids(halo_list(store, "tickets", {"page_no": "3", "page_size": "2"}))[:2] == [10, 11]


def test_lookups_are_bare_arrays(store: HaloStore) -> None:
    statuses = halo_list(store, "statuses", {})
    assert isinstance(statuses, list) and [s["name"] for s in statuses][:2] == ["New", "In Progress"]
    agents = halo_list(store, "agents", {"pageinate": "true", "includeunassigned": "true"})
    assert agents["record_count"] == 2 and agents["results"][1]["team"] == "Network Operations"


def test_ticket_filters(store: HaloStore) -> None:
    assert ids(halo_list(store, "tickets", {"client_id": "104", "open_only": "true"})) == [10, 12]
    assert ids(halo_list(store, "tickets", {"closed_only": "true"})) == [11]
    assert ids(halo_list(store, "tickets", {"team": "1,2", "open_only": "true"})) == [10, 12]
    assert ids(halo_list(store, "tickets", {"team": "2"})) == [11, 12]
    assert ids(halo_list(store, "tickets", {"priority": "1"})) == [10]
    assert ids(halo_list(store, "tickets", {"agent_id": "3"})) == [10]
    assert ids(halo_list(store, "tickets", {"requesttype_id": "5"})) == [13]
    assert ids(halo_list(store, "tickets", {"status_id": "1", "client_id": "104"})) == [12]
    assert ids(halo_list(store, "tickets", {"search": "vpn"})) == [10]
    assert ids(halo_list(store, "tickets", {"open_only": "true", "closed_only": "true"})) == []
    assert ids(
        halo_list(
            store,
            "tickets",
            {"datesearch": "dateoccured", "startdate": "2026-11-25", "enddate": "2026-11-25"},
        )
    ) == [10, 12]


def test_unknown_params_are_ignored_and_team_id_is_not_a_list_filter(store: HaloStore) -> None:
    assert ids(halo_list(store, "tickets", {"team_id": "1", "whatever": "x"})) == [10, 11, 12, 13]


def test_values_halo_documents_no_refusal_for_are_read_leniently(store: HaloStore) -> None:
    # Documented int parameters with bad values are refused by the HTTP binding (routes); the store
    # itself filters nothing on a value that is not an int, skips non-integer parts of id lists and
    # reads a negative count as unset.
    every = ids(halo_list(store, "tickets"))
    assert ids(halo_list(store, "tickets", {"client_id": "abc"})) == every
    assert ids(halo_list(store, "tickets", {"team": "x"})) == every
    assert ids(halo_list(store, "tickets", {"count": "-1"})) == every
    assert ids(halo_list(store, "tickets", {"team": "1,x"})) == ids(
        halo_list(store, "tickets", {"team": "1"})
    )


@pytest.mark.parametrize(
    "params, field",
    [
        ({"page_size": "x", "pageinate": "true"}, "page_size"),
        ({"pageinate": "maybe"}, "pageinate"),
        ({"open_only": "yes"}, "open_only"),
        ({"datesearch": "nonsense"}, "datesearch"),
    ],
)
def test_wrong_typed_params_are_400_naming_the_param(store: HaloStore, params: dict, field: str) -> None:
    with pytest.raises(ValidationError) as err:
        halo_list(store, "tickets", params)
    assert field in err.value.errors


def test_order_and_orderdesc(store: HaloStore) -> None:
    assert ids(halo_list(store, "tickets", {"order": "summary"})) == [13, 11, 12, 10]
    assert ids(halo_list(store, "tickets", {"orderdesc": "true"})) == [13, 12, 11, 10]
    assert ids(halo_list(store, "tickets", {"order": "client_name", "orderdesc": "true"}))[0] in (
        10,
        11,
        12,
    )


def test_projects_are_a_view_of_tickets(store: HaloStore) -> None:
    projects = halo_list(store, "projects", {})
    assert projects["record_count"] == 1 and projects["tickets"][0]["is_project"] is True
    with pytest.raises(NotFound):
        store.get(resource="projects", id=10)
    created = store.post(resource="projects", body={"summary": "New rollout", "client_id": 102})
    assert created["tickettype_id"] == 5 and created["is_project"] is True
    with pytest.raises(ValidationError) as err:
        store.post(resource="projects", body={"summary": "x", "tickettype_id": 1})
    assert "[0].tickettype_id" in err.value.errors


def test_actions_need_ticket_id(store: HaloStore) -> None:
    assert halo_list(store, "actions", {}) == {"record_count": 0, "actions": []}
    listed = halo_list(store, "actions", {"ticket_id": "10"})
    assert listed["record_count"] == 1 and listed["actions"][0]["who"] == "Maya Chen"
    with pytest.raises(ValidationError) as err:
        store.get(resource="actions", id=1)
    assert "ticket_id" in err.value.errors
    assert store.get(resource="actions", id=1, scope=10)["note"] == "logged"
    with pytest.raises(NotFound):
        store.get(resource="actions", id=1, scope=12)


# -- computed fields -----------------------------------------------------------------------------


def test_ticket_computed_fields(store: HaloStore) -> None:
    t = store.get(resource="tickets", id=10)
    assert t["client_name"] == "Wayne Enterprises" and t["site_name"] == "Gotham Data Centre"
    assert (
        t["status_name"] == "In Progress"
        and t["team"] == "Network Operations"
        and t["agent_name"] == "Maya Chen"
    )
    assert t["tickettype_name"] == "Incident" and t["sla_name"] == "Standard SLA"
    assert t["priority"]["name"] == "Critical" and t["priority_name"] == "Critical"
    assert t["fixbydate"] == "2026-11-25T10:00:00" and t["respondbydate"] == "2026-11-25T07:00:00"
    assert t["slastate"] == "O"  # fix by 10:00, clock at 12:00, open
    assert t["dateclosed"] == UNSET_DATE and t["lastactiondate"] == "2026-11-25T06:00:00"
    assert t["is_project"] is False
    assert "priority" not in halo_list(store, "tickets", {})["tickets"][0]


def test_breach_state_follows_the_sandbox_clock(store: HaloStore, clock: SandboxClock) -> None:
    assert ids(halo_list(store, "tickets", {"includebreached": "true"})) == [10]
    clock.set(datetime(2026, 11, 25, 8, 0))
    assert ids(halo_list(store, "tickets", {"includebreached": "true"})) == []
    assert store.get(resource="tickets", id=10)["slastate"] == "I"
    clock.set(datetime(2026, 11, 28, 10, 0))  # ticket 12: medium, fix within 2 days of 09:00 on the 25th
    assert ids(halo_list(store, "tickets", {"includebreached": "true"})) == [10, 12]


def test_quote_totals_and_filters(store: HaloStore, clock: SandboxClock) -> None:
    q = store.get(resource="quotes", id=501)
    # line 1: 10 x 100 = 1000 net + 20% tax; line 2: 2 x 50 = 100 less 10% = 90
    assert q["revenue"] == 1090.0 and q["tax_total"] == 200.0 and q["total"] == 1290.0
    assert q["lines"][0]["total_price"] == 1200.0 and q["lines"][1]["net_total"] == 90.0
    assert (
        q["client_name"] == "Stark Industries" and "expired" not in q and "profit" not in q
    )  # not Halo's fields
    assert ids(halo_list(store, "quotes", {"awaiting_approval": "true"}), "quotes") == [501]
    assert ids(halo_list(store, "quotes", {"quote_status": "1,2"}), "quotes") == [501, 502]


def test_invoice_totals(store: HaloStore) -> None:
    inv = store.get(resource="invoices", id=701)
    assert (inv["revenue"], inv["tax_total"], inv["total"], inv["amountdue"]) == (300.0, 60.0, 360.0, 310.0)


# -- writes --------------------------------------------------------------------------------------


def test_create_fills_defaults_and_update_is_a_partial_merge(store: HaloStore) -> None:
    created = store.post(resource="tickets", body=[{"summary": "New laptop", "client_id": 104}])
    assert created["id"] == 14 and created["site_id"] == 7 and created["status_id"] == 1
    assert created["dateoccurred"] == "2026-11-25T12:00:00" and created["tickettype_id"] == 1
    updated = store.post(resource="tickets", body={"id": 14, "status_id": 9})
    assert updated["summary"] == "New laptop" and updated["status_name"] == "Closed"
    assert updated["dateclosed"] == "2026-11-25T12:00:00"
    assert 14 in ids(halo_list(store, "tickets", {"closed_only": "true"}))
    assert 14 not in ids(halo_list(store, "tickets", {"client_id": "104", "open_only": "true"}))


def test_post_returns_an_array_for_several_items(store: HaloStore) -> None:
    saved = store.post(resource="clients", body=[{"name": "Initech"}, {"name": "Globex"}])
    assert isinstance(saved, list) and [c["name"] for c in saved] == ["Initech", "Globex"]
    assert saved[1]["id"] == saved[0]["id"] + 1


def test_refused_batch_changes_nothing(store: HaloStore) -> None:
    before = store.snapshot()
    with pytest.raises(ValidationError) as err:
        store.post(
            resource="tickets",
            body=[
                {"summary": "fine", "client_id": 104},
                {"summary": "bad", "client_id": 999, "team_id": 77, "agent_id": "abc"},
                {"client_id": 104},
                {"id": 10, "status_id": 55},
            ],
        )
    assert err.value.errors.keys() >= {
        "[1].client_id",
        "[1].team_id",
        "[1].agent_id",
        "[2].summary",
        "[3].status_id",
    }
    assert err.value.errors["[1].client_id"][0].startswith("Client 999 does not exist.")
    assert store.snapshot() == before


def test_site_must_belong_to_client(store: HaloStore) -> None:
    with pytest.raises(ValidationError) as err:
        store.post(resource="tickets", body={"summary": "x", "client_id": 104, "site_id": 3})
    assert "[0].site_id" in err.value.errors


@pytest.mark.parametrize(
    "body",
    [
        {"summary": 5, "tags": "x"},
        {"summary": "x", "onhold": "perhaps"},
        {"summary": "x", "dateoccurred": "yesterday"},
        {"summary": "x", "client_id": 2**40},
    ],
)
def test_wrong_types_are_refused(store: HaloStore, body: dict) -> None:
    before = store.counts()
    with pytest.raises(ValidationError):
        store.post(resource="tickets", body=body)
    assert store.counts() == before


def test_update_of_unknown_id_is_404_and_changes_nothing(store: HaloStore) -> None:
    before = store.snapshot()
    with pytest.raises(NotFound):
        store.post(resource="tickets", body=[{"summary": "ok"}, {"id": 999, "summary": "x"}])
    assert store.snapshot() == before


@pytest.mark.parametrize("body", [[], "text", [1, 2], None])
def test_malformed_bodies(store: HaloStore, body: Any) -> None:
    with pytest.raises(ValidationError):
        store.post(resource="tickets", body=body)


def test_action_with_new_status_updates_the_ticket(store: HaloStore, clock: SandboxClock) -> None:
    clock.set(datetime(2026, 11, 25, 13, 30))
    action = store.post(
        resource="actions", body={"ticket_id": 12, "note": "closing", "new_status": 9, "outcome_id": 1}
    )
    assert action["id"] == 1 and action["new_status_name"] == "Closed" and action["outcome"] == "Private Note"
    ticket = store.get(resource="tickets", id=12)
    assert ticket["status_id"] == 9 and ticket["lastactiondate"] == "2026-11-25T13:30:00"
    assert 12 not in ids(halo_list(store, "tickets", {"open_only": "true"}))
    second = store.post(resource="actions", body={"ticket_id": 10, "note": "more"})
    assert second["id"] == 2  # ids are per ticket
    with pytest.raises(ValidationError) as err:
        store.post(resource="actions", body={"ticket_id": 12, "new_status": 77})
    assert "[0].new_status" in err.value.errors
    with pytest.raises(ValidationError) as err:
        store.post(resource="actions", body={"ticket_id": 4242, "note": "x"})
    assert "[0].ticket_id" in err.value.errors


def test_delete(store: HaloStore) -> None:
    with pytest.raises(ValidationError):
        store.delete(resource="clients", id=104)  # tickets still refer to it
    store.delete(resource="tickets", id=10)
    with pytest.raises(NotFound):
        store.get(resource="tickets", id=10)
    assert halo_list(store, "actions", {"ticket_id": "10"})["record_count"] == 0
    assert 10 not in ids(halo_list(store, "tickets", {"client_id": "104"}))
    with pytest.raises(NotFound):
        store.delete(resource="tickets", id=10)
    with pytest.raises(NotFound):
        store.delete(resource="tickets", id="abc")


def test_deleting_another_record_with_the_same_id_keeps_an_attachment_content(store: HaloStore) -> None:
    attachment = store.post(
        resource="attachments", body={"ticket_id": 12, "filename": "a.txt", "data_base64": "aGVsbG8="}
    )
    article = store.post(resource="kb_articles", body={"name": "How to"})
    assert article["id"] == attachment["id"]
    store.delete(resource="kb_articles", id=article["id"])
    assert store.attachment_content(resource="attachments", id=attachment["id"]) == (
        b"hello",
        "a.txt",
        "text/plain",
    )
    assert store.get(resource="attachments", id=attachment["id"])["filesize"] == 5


def test_ticket_type_change_moves_tickets_between_views(store: HaloStore) -> None:
    store.post(resource="ticket_types", body={"id": 1, "use": "prjs"})
    assert ids(halo_list(store, "projects", {})) == [10, 11, 12, 13]


# -- snapshot and concurrency --------------------------------------------------------------------


def test_snapshot_round_trip_keeps_records_counters_and_bytes(store: HaloStore, clock: SandboxClock) -> None:
    import base64
    import json

    store.post(
        resource="attachments",
        body={
            "ticket_id": 10,
            "filename": "a.bin",
            "data_base64": base64.b64encode(b"\x00\x01binary").decode(),
        },
    )
    store.post(resource="actions", body={"ticket_id": 10, "note": "x"})
    store.post(resource="tickets", body={"summary": "later deleted"})
    store.delete(resource="tickets", id=14)
    data = json.loads(json.dumps(store.snapshot()))
    copy = HaloStore.from_snapshot(data, clock=clock)
    assert copy.snapshot() == store.snapshot()
    assert copy.attachment_content(resource="attachments", id=1)[0] == b"\x00\x01binary"
    assert copy.post(resource="tickets", body={"summary": "next"})["id"] == 15  # the counter survived
    assert copy.post(resource="actions", body={"ticket_id": 10})["id"] == 3
    assert ids(halo_list(copy, "tickets", {"client_id": "104", "open_only": "true"})) == [10, 12]
    with pytest.raises(ValueError):
        HaloStore.from_snapshot({"format": "nope"}, clock=clock)


@pytest.mark.parametrize(
    "damage",
    [
        lambda d: d["tables"]["tickets"].append({"id": 10, "summary": "duplicate"}),
        lambda d: d["tables"]["tickets"].append({"id": 78, "summary": "x", "status_id": "open"}),
        lambda d: d["tables"]["quotes"].append({"id": 9, "client_id": 104, "lines": "none"}),
        lambda d: d["tables"]["actions"].append({"id": 5, "note": "no ticket"}),
        lambda d: d["tables"].update(tickets="not a list"),
        lambda d: d["tables"].update(widgets=[]),
        lambda d: d["tables"]["clients"].append("not a row"),
        lambda d: d["blobs"].append([999, "aGk="]),
        lambda d: d["blobs"].append([1, "not base64!"]),
        lambda d: d["next_ids"].update(tickets="many"),
    ],
)
def test_malformed_snapshots_are_refused(store: HaloStore, clock: SandboxClock, damage: Any) -> None:
    import base64

    store.post(resource="attachments", body={"ticket_id": 10, "data_base64": base64.b64encode(b"x").decode()})
    data = store.snapshot()
    damage(data)
    with pytest.raises(ValueError):
        HaloStore.from_snapshot(data, clock=clock)


def test_bad_seed_data_is_reported(clock: SandboxClock) -> None:
    world = small_world()
    world["tickets"].append({"id": 99, "summary": "x", "client_id": 5})
    with pytest.raises(ValueError, match="client_id"):
        HaloStore(seed_data=world, clock=clock)
    with pytest.raises(ValueError, match="unknown seed tables"):
        HaloStore(seed_data={"widgets": []}, clock=clock)


def test_concurrent_creates_get_unique_ids(store: HaloStore) -> None:
    results: list[int] = []
    lock = threading.Lock()

    def worker(n: int) -> None:
        for i in range(20):
            saved = store.post(resource="tickets", body={"summary": f"w{n}-{i}", "client_id": 104})
            with lock:
                results.append(saved["id"])

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(50)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 1000 and len(set(results)) == 1000
    assert halo_list(store, "tickets", {"client_id": "104"})["record_count"] == 1003


# -- indexes -------------------------------------------------------------------------------------


def test_indexed_filter_does_not_visit_every_record(
    clock: SandboxClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = small_world()
    world["tickets"] += [
        {
            "id": 100 + i,
            "summary": f"t{i}",
            "client_id": 104 if i % 5 else 102,
            "status_id": 9 if i % 3 == 0 else 1,
        }
        for i in range(2000)
    ]
    store = HaloStore(seed_data=world, clock=clock)
    calls = {"value": 0, "render": 0}
    value, render = Table.value, store_module.render

    def counting_value(self: Table, *args: Any) -> Any:
        calls["value"] += 1
        return value(self, *args)

    def counting_render(*args: Any, **kwargs: Any) -> Any:
        calls["render"] += 1
        return render(*args, **kwargs)

    monkeypatch.setattr(Table, "value", counting_value)
    monkeypatch.setattr(store_module, "render", counting_render)
    late = halo_list(
        store,
        "tickets",
        {
            "client_id": "104",
            "open_only": "true",
            "pageinate": "true",
            "page_size": "25",
            "page_no": "40",
        },
    )
    assert late["record_count"] == 1069  # 1067 generated + tickets 10 and 12 and len(late["tickets"]) == 25
    assert calls == {"value": 0, "render": 25}


_FILTERS = [
    {"client_id": "104"},
    {"client_id": "102", "open_only": "true"},
    {"team": "1,2"},
    {"closed_only": "true", "team": "2"},
    {"status_id": "2", "client_id": "104"},
    {"agent_id": "3"},
    {"open_only": "true", "priority": "1,3"},
    {"domain": "prjs"},
]


def _brute(store: HaloStore, params: dict[str, str]) -> list[int]:
    every = halo_list(store, "tickets", {"count": "100000"})["tickets"]
    out = []
    for t in every:
        ok = True
        for name, value in params.items():
            if name == "client_id":
                ok &= t.get("client_id") == int(value)
            elif name == "status_id":
                ok &= t.get("status_id") == int(value)
            elif name == "agent_id":
                ok &= t.get("agent_id") == int(value)
            elif name == "team":
                ok &= t.get("team_id") in {int(v) for v in value.split(",")}
            elif name == "priority":
                ok &= t.get("priority_id") in {int(v) for v in value.split(",")}
            elif name == "open_only":
                ok &= t["status_id"] not in (8, 9)
            elif name == "closed_only":
                ok &= t["status_id"] in (8, 9)
            elif name == "domain":
                ok &= t["use"] == value
        if ok:
            out.append(t["id"])
    return out


def test_indexes_agree_with_a_scan_after_random_writes(clock: SandboxClock) -> None:
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    op = st.one_of(
        st.tuples(
            st.just("create"),
            st.sampled_from([104, 102]),
            st.sampled_from([1, 2, 9]),
            st.sampled_from([1, 2]),
        ),
        st.tuples(st.just("status"), st.sampled_from([10, 11, 12, 13]), st.sampled_from([1, 2, 8, 9])),
        st.tuples(
            st.just("move"), st.sampled_from([10, 11, 12]), st.sampled_from([1, 2]), st.sampled_from([1, 3])
        ),
        st.tuples(st.just("type"), st.sampled_from([1, 5]), st.sampled_from(["reqs", "prjs"])),
        st.tuples(st.just("delete"), st.sampled_from([11, 12])),
        st.tuples(st.just("action"), st.sampled_from([10, 12, 13]), st.sampled_from([2, 9])),
    )

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.lists(op, max_size=12))
    def run(ops: list[tuple]) -> None:
        store = HaloStore(seed_data=small_world(), clock=clock)
        for o in ops:
            try:
                if o[0] == "create":
                    store.post(
                        resource="tickets",
                        body={"summary": "c", "client_id": o[1], "status_id": o[2], "team_id": o[3]},
                    )
                elif o[0] == "status":
                    store.post(resource="tickets", body={"id": o[1], "status_id": o[2]})
                elif o[0] == "move":
                    store.post(resource="tickets", body={"id": o[1], "team_id": o[2], "priority_id": o[3]})
                elif o[0] == "type":
                    store.post(resource="ticket_types", body={"id": o[1], "use": o[2]})
                elif o[0] == "delete":
                    store.delete(resource="tickets", id=o[1])
                else:
                    store.post(resource="actions", body={"ticket_id": o[1], "new_status": o[2]})
            except (NotFound, ValidationError):
                pass  # writes to deleted tickets are refused; the point is the indexes
        for params in _FILTERS:
            listed = halo_list(store, "tickets", {**params, "count": "100000"})["tickets"]
            assert [t["id"] for t in listed] == _brute(store, params), params

    run()


def test_returned_records_are_copies(store: HaloStore) -> None:
    tags = [{"text": "vpn"}]
    created = store.post(resource="tickets", body={"summary": "x", "tags": tags})
    tags.append({"text": "changed by the caller"})
    created["tags"].append({"text": "changed through the result"})
    assert store.get(resource="tickets", id=created["id"])["tags"] == [{"text": "vpn"}]
    quote = store.get(resource="quotes", id=501)
    quote["lines"][0]["price"] = 0
    assert store.get(resource="quotes", id=501)["lines"][0]["price"] == 100.0


def test_tickets_list_every_domain_unless_asked(store: HaloStore) -> None:
    assert 13 in ids(halo_list(store, "tickets", {}))
    assert ids(halo_list(store, "tickets", {"domain": "REQS"})) == [10, 11, 12]


def test_random_bodies_never_break_the_store(clock: SandboxClock) -> None:
    """Whatever is posted, the store answers a clear error (and changes nothing) or saves a
    record that every later read can render as JSON."""
    import json

    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    from halo_sandbox.mock.domain.resources import RESOURCES
    from halo_sandbox.mock.exceptions import HaloError

    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-3, 2**33),
        st.floats(allow_nan=False, allow_infinity=False),
        st.text(max_size=8),
        st.sampled_from(["2026-11-25T10:00:00", "abc", "5"]),
    )
    values = st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
        max_leaves=6,
    )

    ids = st.sampled_from([1, 2, 3, 7, 9, 10, 12, 102, 104, 501])
    typed = {
        "int": ids | st.integers(-2, 3),
        "id": ids,
        "float": st.floats(-10, 1000),
        "str": st.text(max_size=8),
        "bool": st.booleans(),
        "date": st.sampled_from(["2026-11-25T10:00:00", "2026-12-01", "1900-01-01T00:00:00"]),
        "list": st.lists(scalars, max_size=2),
        "object": st.dictionaries(st.text(max_size=3), scalars, max_size=2),
        "lines": st.lists(
            st.fixed_dictionaries(
                {},
                optional={
                    "quantity": st.integers(0, 5),
                    "price": st.floats(0, 100),
                    "qty_order": st.integers(0, 5),
                    "unit_price": st.floats(0, 100),
                },
            ),
            max_size=2,
        ),
    }

    def item_for(spec: Any) -> Any:
        names = sorted(set(spec.fields) | set(spec.computed) | {"id"})
        wild = st.dictionaries(st.sampled_from(names), values | ids, max_size=4)
        required = {f: typed[spec.fields.get(f, "str")] for f in spec.required}
        optional = {f: typed[k] for f, k in spec.fields.items() if f not in required}
        if spec.name == "attachments":
            optional["data_base64"] = st.sampled_from(["aGk=", "!!", ""])
        sane = st.fixed_dictionaries(required, optional=optional)
        return st.one_of(sane, sane, wild)

    @settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(st.data())
    def run(data: st.DataObject) -> None:
        store = HaloStore(seed_data=small_world(), clock=clock)
        spec = data.draw(st.sampled_from(RESOURCES))
        body = data.draw(st.lists(item_for(spec), min_size=1, max_size=3))
        before = store.snapshot()
        try:
            store.post(resource=spec.name, body=body)
        except HaloError as exc:
            assert exc.status_code in (400, 404, 413), exc
            assert store.snapshot() == before
        params = {"ticket_id": "10"} if spec.list_requires else {}
        json.dumps(halo_list(store, spec.name, {**params, "count": "1000"}), allow_nan=False)
        json.dumps(store.snapshot(), allow_nan=False)

    run()


def test_line_ids_are_kept_or_numbered(store: HaloStore) -> None:
    quote = store.post(
        resource="quotes",
        body={
            "client_id": 104,
            "lines": [
                {"id": 4, "quantity": 1, "price": 1},
                {"quantity": 1, "price": 2},
                {"id": 4, "quantity": 1, "price": 3},
            ],
        },
    )
    assert [line["id"] for line in quote["lines"]] == [4, 5, 6]
    assert all(line["qhid"] == quote["id"] for line in quote["lines"]) and quote["total"] == 6.0


@pytest.mark.parametrize("ticket_id", [-1, 0])
def test_an_action_on_an_unset_ticket_is_refused_and_changes_nothing(
    store: HaloStore, ticket_id: int
) -> None:
    # Found by test_random_bodies_never_break_the_store: -1 (Halo's "unset" id) passed the required
    # check and the reference check, and the ticket update after the write raised a KeyError (a 500).
    before = store.snapshot()
    with pytest.raises(ValidationError) as err:
        store.post(resource="actions", body=[{"ticket_id": ticket_id, "note": "x"}])
    assert "[0].ticket_id" in err.value.errors
    assert store.snapshot() == before
