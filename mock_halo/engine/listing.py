"""How a list narrows and orders its keys: `searched` (the word index of `search.py`, then the
per-row check `matches` where the index cannot answer exactly) and `ordered_keys` (a sorted index
of `sorting.py` or `indexes.Table`, a direct sort of a small subset, or a cached order of values
the caller derives). Used by the domain's `store.HaloStore.list`, which says what a field's value is."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from halo_sandbox.mock.engine.indexes import Table, ordered
from halo_sandbox.mock.engine.rows import Key, Row
from halo_sandbox.mock.engine.sorting import Cached, Picked

__all__ = ["matches", "ordered_keys", "searched"]

_SORT_DIRECTLY = 2000
"""Ordered subsets up to this size are sorted directly; larger ones are picked from a sorted index."""


def searched(
    fields: tuple[str, ...], table: Table, keys: Sequence[Key], needle: str
) -> tuple[Sequence[Key], str]:
    """``keys`` narrowed by the word index over ``fields``, and the search still to check per row
    ("" when the index answered exactly)."""
    found = table.search(fields, needle)
    if found is None:
        return keys, needle
    candidates, exact = found
    if needle.isascii() and needle.isdigit() and str(int(needle)) == needle and int(needle) in table.rows:
        candidates = sorted({*candidates, int(needle)})  # the id rule of `matches` (keys are ids here)
    if keys is not table.order:
        if len(candidates) <= len(keys):
            inside = set(keys)
            candidates = [k for k in candidates if k in inside]
        else:
            chosen = set(candidates)
            candidates = [k for k in keys if k in chosen]
    return candidates, "" if exact else needle


def ordered_keys(
    orders: Cached,
    table: Table,
    keys: Sequence[Key],
    order: str,
    desc: bool,
    *,
    whole: bool,
    derived: Callable[[Row], Any] | None = None,
    cache_key: str = "",
    version: int = 0,
) -> Sequence[Key]:
    """``keys`` in ``order``: the whole table read from a sorted index (O(page)); a subset
    sorted directly when small, else picked from the index in one pass. ``derived``: the value of
    ``order`` when it is not the row's own field (a name looked up, a computed field); its order
    of the whole table is cached under ``cache_key`` until ``version`` changes."""
    if order == "id":
        return list(reversed(keys)) if desc else keys
    rows = table.rows
    small = not whole and len(keys) <= _SORT_DIRECTLY
    value: Callable[[Key], Any]
    if derived is not None:
        value = lambda k: derived(rows[k])  # noqa: E731
    else:
        value = lambda k: rows[k].get(order)  # noqa: E731
        index = None if small else table.sorted_by(order, desc=desc)
        if index is not None:
            return index if whole else Picked(index, set(keys))
    if small:
        return ordered(list(keys), value, desc=desc)
    everything = orders.get(cache_key, desc, version, lambda: ordered(list(table.order), value, desc=desc))
    return everything if whole else Picked(everything, set(keys))


def matches(row: Row, fields: tuple[str, ...], needle: str) -> bool:
    """Search: ``needle`` in any of ``fields`` (case-insensitive), or the id when all digits."""
    for f in fields:
        value = row.get(f)
        if isinstance(value, str) and needle in value.lower():
            return True
    return needle.isdigit() and str(row.get("id")) == needle
