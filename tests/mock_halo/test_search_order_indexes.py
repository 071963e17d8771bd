"""The word and sort indexes answer `search` and `order` exactly as a scan of every row would,
after any mix of creates, updates and deletes (the indexes are kept current on writes)."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from halo_sandbox.mock.domain.store import HaloStore
from halo_sandbox.mock.engine.clock import SandboxClock
from halo_sandbox.mock.http.routes import halo_list
from tests.mock_halo.test_store import NOW, small_world

WORDS = [
    "vpn",
    "VPN-drops",
    "printer",
    "Ärger",
    "pRint",
    "déjà",
    "ab",
    "a",
    "tunnel",
    "45",
    "10",
    "0",
    "x_y",
    "",
]
TEXT = st.lists(st.sampled_from(WORDS), max_size=4).map(" ".join)
NEEDLES = st.one_of(
    st.sampled_from(
        [
            "vpn",
            "print",
            "rint",
            "VPN drops",
            "drops vpn",
            "-",
            "ärg",
            "10",
            "010",
            "x_y",
            "a",
            "45",
            "²",
            "٤٥",
            "déjà vu",
            "nothing-here",
            " tunnel ",
        ]
    ),
    TEXT,
)
ORDERS = st.sampled_from(
    ["summary", "details", "dateoccurred", "status_id", "client_name", "id", "nosuchfield"]
)
OPERATIONS = st.lists(
    st.one_of(
        st.tuples(st.just("create"), TEXT, TEXT),
        st.tuples(st.just("update"), st.integers(0, 20), TEXT),
        st.tuples(st.just("delete"), st.integers(0, 20), st.just("")),
    ),
    max_size=12,
)


def _scan(store: HaloStore, params: dict[str, Any]) -> list[Any]:
    """The answer without the indexes: every ticket, filtered and sorted in Python."""
    everything = halo_list(store, "tickets", {"count": "100000"})["tickets"]
    needle = str(params.get("search", "")).strip().lower()
    if needle:
        everything = [
            t
            for t in everything
            if any(
                needle in str(t.get(f) or "").lower() if isinstance(t.get(f), str) else False
                for f in ("summary", "details")
            )
            or (needle.isdigit() and str(t["id"]) == needle)
        ]
    order = params.get("order")
    desc = params.get("orderdesc") == "true"
    if order and order != "id":

        def key(t: dict[str, Any]) -> tuple[int, Any]:
            v = t.get(order)
            if v is None or isinstance(v, list | dict):
                return (0, 0)
            return (2, v.lower()) if isinstance(v, str) else (1, v)

        everything = sorted(everything, key=key, reverse=desc)
    elif desc:
        everything = everything[::-1]
    return [t["id"] for t in everything]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(operations=OPERATIONS, needle=NEEDLES, order=ORDERS, desc=st.booleans(), open_only=st.booleans())
def test_search_and_order_match_a_scan_after_writes(
    operations: list[tuple[str, Any, Any]], needle: str, order: str, desc: bool, open_only: bool
) -> None:
    store = HaloStore(seed_data=small_world(), clock=SandboxClock(frozen_at=NOW))
    probe = {"order": order, "orderdesc": "true" if desc else "false"}
    halo_list(store, "tickets", {**probe, "count": "5"})  # the sort index exists before the writes
    halo_list(store, "tickets", {"order": "summary", "orderdesc": "true", "count": "5"})
    for op, a, b in operations:
        ids = [t["id"] for t in halo_list(store, "tickets", {"count": "100000"})["tickets"]]
        if op == "create":
            store.post(resource="tickets", body={"summary": a or "x", "details": b, "client_id": 104})
        elif ids and op == "update":
            store.post(resource="tickets", body={"id": ids[a % len(ids)], "summary": b or "y", "details": b})
        elif ids and op == "delete":
            store.delete(resource="tickets", id=ids[a % len(ids)])
    params = {**probe, "search": needle, "count": "100000"}
    if open_only:
        params["open_only"] = "true"
    answer = [t["id"] for t in halo_list(store, "tickets", params)["tickets"]]
    expected = _scan(store, {**probe, "search": needle})
    if open_only:
        open_ids = {
            t["id"] for t in halo_list(store, "tickets", {"open_only": "true", "count": "100000"})["tickets"]
        }
        expected = [i for i in expected if i in open_ids]
    assert answer == expected
    paged = halo_list(
        store, "tickets", {**probe, "search": needle, "pageinate": "true", "page_size": "2", "page_no": "2"}
    )
    assert paged["record_count"] == len(_scan(store, {**probe, "search": needle}))
    assert [t["id"] for t in paged["tickets"]] == expected_all(store, probe, needle)[2:4]


def expected_all(store: HaloStore, probe: dict[str, str], needle: str) -> list[Any]:
    return _scan(store, {**probe, "search": needle})
