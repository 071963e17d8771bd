"""Sorted indexes behind ``order``/``orderdesc``: a page of an ordered list costs O(page).

The order of a list (`sort_key`): missing values and lists first, then numbers, then strings
case-insensitively; equal values keep key order, also when descending (Python's stable sort with
``reverse=True``). `SortIndex` keeps one field's ``(sort_key, key)`` pairs in that order for an
int-keyed table, maintained on every write once it exists (it is built on the first ``order`` by
that field); the descending form is ``(sort_key, -key)`` read backwards, so ties stay ascending.
`ordered` sorts a subset of keys directly (for filtered lists much smaller than the table).
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterator, Sequence
from typing import Any, overload

from halo_sandbox.mock.engine.rows import Key, Row


def sort_key(value: Any) -> tuple[int, Any]:
    if value is None or isinstance(value, list | dict):
        return (0, 0)
    if isinstance(value, str):
        return (2, value.lower())
    return (1, value)


def ordered(keys: list[Key], value: Callable[[Key], Any], *, desc: bool) -> list[Key]:
    """``keys`` sorted by ``value(key)`` in the list order (see the module docstring)."""
    return sorted(keys, key=lambda k: sort_key(value(k)), reverse=desc)


class SortIndex:
    """One field of an int-keyed table in sort order, ascending and (once asked for) descending."""

    def __init__(self, field: str, order: list[Key], rows: dict[Key, Row]) -> None:
        self.field = field
        self.asc = sorted((sort_key(rows[k].get(field)), k) for k in order)
        self.desc: list[tuple[tuple[int, Any], Key]] | None = None

    def add(self, key: Key, row: Row) -> None:
        value = sort_key(row.get(self.field))
        bisect.insort(self.asc, (value, key))
        if self.desc is not None:
            bisect.insort(self.desc, (value, -key))

    def remove(self, key: Key, row: Row) -> None:
        value = sort_key(row.get(self.field))
        _discard(self.asc, (value, key))
        if self.desc is not None:
            _discard(self.desc, (value, -key))

    def view(self, *, desc: bool) -> KeyView:
        """Every key of the table in this field's order, read lazily (slicing costs the slice)."""
        if not desc:
            return KeyView(self.asc, reverse=False)
        if self.desc is None:
            self.desc = sorted((value, -key) for value, key in self.asc)
        return KeyView(self.desc, reverse=True)


class Picked(Sequence[Key]):
    """The members of ``keys`` (a set of ``count`` keys) in the order of ``ordered_keys``, found
    lazily: a page costs the index entries walked to reach it, not a sort of the subset."""

    def __init__(self, ordered_keys: Sequence[Key], keys: set[Key]) -> None:
        self._source = iter(ordered_keys)
        self._keys = keys
        self._found: list[Key] = []

    def _fill(self, upto: int) -> None:
        found, keys = self._found, self._keys
        for key in self._source:
            if key in keys:
                found.append(key)
                if len(found) >= upto:
                    return

    def __len__(self) -> int:
        return len(self._keys)

    @overload
    def __getitem__(self, index: int) -> Key: ...
    @overload
    def __getitem__(self, index: slice) -> list[Key]: ...

    def __getitem__(self, index: int | slice) -> Key | list[Key]:
        if isinstance(index, slice):
            stop = index.indices(len(self._keys))[1]
            self._fill(stop)
            return self._found[index]
        if index < 0:
            index += len(self._keys)
        self._fill(index + 1)
        return self._found[index]

    def __iter__(self) -> Iterator[Key]:
        self._fill(len(self._keys))
        return iter(self._found)


class Cached:
    """A whole-table order of a field that depends on other tables (display names, computed
    fields), rebuilt when any table was written since (``version``)."""

    def __init__(self) -> None:
        self._orders: dict[tuple[str, bool], tuple[int, list[Key]]] = {}

    def get(self, fieldname: str, desc: bool, version: int, build: Callable[[], list[Key]]) -> list[Key]:
        hit = self._orders.get((fieldname, desc))
        if hit is None or hit[0] != version:
            hit = (version, build())
            self._orders[(fieldname, desc)] = hit
        return hit[1]


def _discard(lst: list[Any], item: Any) -> None:
    i = bisect.bisect_left(lst, item)
    if i < len(lst) and lst[i] == item:
        del lst[i]


class KeyView(Sequence[Key]):
    """The keys of a `SortIndex` list as a read-only sequence (``reverse``: read backwards, keys
    stored negated)."""

    def __init__(self, entries: list[tuple[Any, Key]], *, reverse: bool) -> None:
        self._entries = entries
        self._reverse = reverse

    def __len__(self) -> int:
        return len(self._entries)

    @overload
    def __getitem__(self, index: int) -> Key: ...
    @overload
    def __getitem__(self, index: slice) -> list[Key]: ...

    def __getitem__(self, index: int | slice) -> Key | list[Key]:
        n = len(self._entries)
        if isinstance(index, slice):
            start, stop, step = index.indices(n)
            if step != 1:
                return [self[i] for i in range(start, stop, step)]
            if not self._reverse:
                return [k for _, k in self._entries[start:stop]]
            return [-k for _, k in reversed(self._entries[max(n - stop, 0) : max(n - start, 0)])]
        if index < 0:
            index += n
        if not 0 <= index < n:
            raise IndexError(index)
        return -self._entries[n - 1 - index][1] if self._reverse else self._entries[index][1]

    def __iter__(self) -> Iterator[Key]:
        if self._reverse:
            return (-k for _, k in reversed(self._entries))
        return (k for _, k in self._entries)
