"""Consumer contract, pagination cursors (against the in-process mock).

Guarantee (documented in contracts/README.md): following `next_cursor` from the first page returns
every record that matched when traversal began exactly once, in ascending id order, and ends with
`null`. Records created during traversal get higher ids, so they can only appear after every earlier
record (at the end of the traversal) or not at all. Any altered, truncated, cross-tool or
other-filter cursor is refused with `invalid_cursor` before any request to Halo.
"""

from __future__ import annotations

import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from contracts._shared import TOOLS
from halo_sandbox.mock.http.routes import halo_list

LIST_TICKETS = "list_all_halo_itsm_tickets"
LIST_ACTIONS = "list_all_halo_itsm_actions"


@pytest.fixture(scope="module")
def tenant() -> str:
    return f"contracts-paging-{uuid.uuid4().hex[:8]}"


def _dataset(store, statuses: list[int], actions: int) -> tuple[int, int, list[int], int]:
    """A new client with one ticket per status (and `actions` actions on a new ticket)."""
    client = store.post(resource="clients", body={"name": f"paging {uuid.uuid4().hex[:6]}"})["id"]
    saved = store.post(
        resource="tickets",
        body=[{"summary": f"t{n}", "client_id": client, "status_id": s} for n, s in enumerate(statuses)]
        or [{"summary": "x", "client_id": client}],
    )
    saved = saved if isinstance(saved, list) else [saved]
    holder = saved[0]["id"]
    for n in range(actions):
        store.post(resource="actions", body={"ticket_id": holder, "note": f"a{n}"})
    return client, holder, [t["id"] for t in saved], len(statuses) or 1


def traverse(call, tool: str, args: dict, *, between=None) -> tuple[list, int]:
    rows, pages, cursor = [], 0, None
    while True:
        result = call(tool, {**args, **({"next_cursor": cursor} if cursor else {})})
        assert not result.is_error, result.structured_content
        page = result.structured_content
        assert len(page["result"]) <= args.get("limit", 50)
        assert page["result"] or not cursor, (
            "a next_cursor led to an empty page (records are never deleted here)"
        )
        rows += page["result"]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            return rows, pages
        assert pages < 500, "the cursor never ended"
        if between:
            between()


@settings(max_examples=15)
@given(
    statuses=st.lists(st.sampled_from([1, 2, 9]), max_size=25),
    limit=st.integers(1, 7),
    open_only=st.booleans(),
    actions=st.integers(0, 12),
)
def test_following_cursors_returns_each_match_once_in_order(env, statuses, limit, open_only, actions):
    transport, call, store = env
    client, holder, _, _ = _dataset(store, statuses, actions)
    filters = {"client_id": client, **({"open_only": True} if open_only else {})}
    expected = [
        t["id"]
        for t in halo_list(
            store,
            "tickets",
            {
                "client_id": str(client),
                "count": "1000",
                **({"open_only": "true"} if open_only else {}),
            },
        )["tickets"]
    ]
    before = len(transport.api_requests)
    rows, pages = traverse(call, LIST_TICKETS, {**filters, "limit": limit})
    ids = [r["id"] for r in rows]
    assert ids == sorted(set(ids)) == expected
    assert len(transport.api_requests) - before == pages  # one Halo request per page
    # unpaged resource (sliced by the server): the ticket's actions
    want = [a["id"] for a in halo_list(store, "actions", {"ticket_id": str(holder)})["actions"]]
    rows, _ = traverse(call, LIST_ACTIONS, {"ticket_id": holder, "limit": limit})
    assert [r["id"] for r in rows] == want


def test_the_largest_page_size_still_pages_everything(env):
    """The tool's own maximum page size, over more records than two such pages: a page size Halo
    clamps (at 100, mock_halo/FIDELITY.md) must not make the traversal skip records between pages."""
    _, call, store = env
    tool = next(t for t in TOOLS if t.name == LIST_TICKETS)
    limit = tool.input_schema["properties"]["limit"]["maximum"]
    client = store.post(resource="clients", body={"name": f"big {uuid.uuid4().hex[:6]}"})["id"]
    store.post(
        resource="tickets", body=[{"summary": f"b{n}", "client_id": client} for n in range(2 * limit + 3)]
    )
    expected = [
        t["id"] for t in halo_list(store, "tickets", {"client_id": str(client), "count": "100000"})["tickets"]
    ]
    rows, _ = traverse(call, LIST_TICKETS, {"client_id": client, "limit": limit})
    assert [r["id"] for r in rows] == expected, f"limit {limit}: records skipped or repeated"


@settings(max_examples=8)
@given(existing=st.integers(1, 20), limit=st.integers(1, 5), per_page=st.integers(1, 4))
def test_records_created_during_traversal_never_hide_earlier_ones(env, existing, limit, per_page):
    transport, call, store = env
    client, _, before, _ = _dataset(store, [1] * existing, 0)

    rounds = iter(range(6))  # others keep creating for a while (forever would never end any traversal)

    def concurrent_creates():
        if next(rounds, None) is not None:
            store.post(resource="tickets", body=[{"summary": "new", "client_id": client}] * per_page)

    rows, _ = traverse(call, LIST_TICKETS, {"client_id": client, "limit": limit}, between=concurrent_creates)
    ids = [r["id"] for r in rows]
    assert len(ids) == len(set(ids)), "a record was returned twice"
    assert set(before) <= set(ids), f"records {set(before) - set(ids)} that existed at the start are missing"
    assert ids == sorted(ids)


def _mutations(cursor: str) -> st.SearchStrategy[str]:
    return st.one_of(
        st.integers(1, len(cursor) - 1).map(lambda n: cursor[:n]),  # truncated
        st.tuples(st.integers(0, len(cursor) - 1), st.sampled_from("AQgw_-.x="))
        .map(lambda p: cursor[: p[0]] + p[1] + cursor[p[0] + 1 :])
        .filter(lambda c: c != cursor),  # one char changed
        st.text(
            "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.", min_size=1, max_size=80
        ).filter(lambda c: c != cursor),  # forged
    )


@pytest.fixture(scope="module")
def issued(env):
    _, call, store = env
    client, holder, _, _ = _dataset(store, [1] * 6, 6)
    tickets = call(LIST_TICKETS, {"client_id": client, "limit": 2}).structured_content["next_cursor"]
    actions = call(LIST_ACTIONS, {"ticket_id": holder, "limit": 2}).structured_content["next_cursor"]
    assert tickets and actions
    return {
        "tickets": (tickets, {"client_id": client, "limit": 2}),
        "actions": (actions, {"ticket_id": holder, "limit": 2}),
    }


@settings(max_examples=25)
@given(data=st.data())
def test_altered_or_foreign_cursors_are_refused_before_halo(env, issued, data):
    transport, call, _ = env
    kind = data.draw(st.sampled_from(["tickets", "actions"]))
    cursor, args = issued[kind]
    tool = LIST_TICKETS if kind == "tickets" else LIST_ACTIONS
    other_tool, other_args = (
        (LIST_ACTIONS, issued["actions"][1]) if kind == "tickets" else (LIST_TICKETS, issued["tickets"][1])
    )
    case = data.draw(st.sampled_from(["mutated", "other tool", "other filters"]))
    if case == "mutated":
        tool_args = {**args, "next_cursor": data.draw(_mutations(cursor))}
    elif case == "other tool":
        tool, tool_args = other_tool, {**other_args, "next_cursor": cursor}
    else:
        changed = {k: (v + 1 if k != "limit" else v) for k, v in args.items()}
        tool_args = {**changed, "next_cursor": cursor}
    before = len(transport.api_requests)
    result = call(tool, tool_args)
    assert result.is_error, f"{case} cursor accepted"
    error = result.structured_content["error"]
    assert error["code"] in ("invalid_cursor", "invalid_arguments") and "cursor" in error["message"], error
    assert len(transport.api_requests) == before, "a refused cursor still reached Halo"


@pytest.mark.parametrize(
    ("issuer", "other"),
    [(LIST_TICKETS, "list_all_halo_itsm_clients"), ("list_all_halo_itsm_sites", "list_all_halo_itsm_users")],
)
def test_a_cursor_of_another_tool_with_the_same_filters_is_refused(env, issuer, other):
    """Two list tools called with the same (no) filters: only the tool tells their cursors apart."""
    transport, call, _ = env
    cursor = call(issuer, {"limit": 2}).structured_content["next_cursor"]
    assert cursor, f"{issuer} has more than two records in the seeded world"
    before = len(transport.api_requests)
    result = call(other, {"limit": 2, "next_cursor": cursor})
    assert result.is_error, f"a cursor of {issuer} was accepted by {other}"
    assert result.structured_content["error"]["code"] == "invalid_cursor"
    assert len(transport.api_requests) == before, "a foreign cursor reached Halo"
