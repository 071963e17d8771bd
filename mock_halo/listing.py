"""How a list narrows and orders its keys: `searched` (the word index of `search.py`, then the
per-row check `matches` where the index cannot answer exactly) and `ordered_keys` (a sorted index
of `sorting.py` or `indexes.Table`, a direct sort of a small subset, or a cached order of derived
values). Used by `store.HaloStore.list`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from .indexes import Key, Row, Table, ordered
from .records import Records
from .rendering import ref_name, render
from .resources import ResourceSpec
from .sorting import Cached, Picked

__all__ = ["matches", "ordered_keys", "searched"]

_SORT_DIRECTLY = 2000
"""Ordered subsets up to this size are sorted directly; larger ones are picked from a sorted index."""


def searched(spec: ResourceSpec, table: Table, keys: Sequence[Key],
              needle: str) -> tuple[Sequence[Key], str]:
    """``keys`` narrowed by the word index, and the search still to check per row ("" when the
    index answered exactly)."""
    found = table.search(spec.search_fields, needle)
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

def ordered_keys(db: Records, orders: Cached, spec: ResourceSpec, table: Table, keys: Sequence[Key], order: str, desc: bool, *,
             whole: bool) -> Sequence[Key]:
    """``keys`` in ``order``: the whole table read from a sorted index (O(page)); a subset
    sorted directly when small, else picked from the index in one pass."""
    if order == "id":
        return list(reversed(keys)) if desc else keys
    rows = table.rows
    small = not whole and len(keys) <= _SORT_DIRECTLY
    value: Callable[[Key], Any]
    if order in spec.names:
        ref_field, attr = spec.names[order]
        value = lambda k: ref_name(db, spec, ref_field, attr, rows[k])  # noqa: E731
    elif order in spec.computed:
        value = lambda k: render(db, spec, rows[k], detail=False).get(order)  # noqa: E731
    else:
        value = lambda k: rows[k].get(order)  # noqa: E731
        index = None if small else table.sorted_by(order, desc=desc)
        if index is not None:
            return index if whole else Picked(index, set(keys))
    if small:
        return ordered(list(keys), value, desc=desc)
    version = sum(t.version for t in db.tables.values())
    everything = orders.get(f"{spec.name}.{order}", desc, version,
                                  lambda: ordered(list(table.order), value, desc=desc))
    return everything if whole else Picked(everything, set(keys))


def matches(row: Row, fields: tuple[str, ...], needle: str) -> bool:
    """Search: ``needle`` in any of ``fields`` (case-insensitive), or the id when all digits."""
    for f in fields:
        value = row.get(f)
        if isinstance(value, str) and needle in value.lower():
            return True
    return needle.isdigit() and str(row.get("id")) == needle
