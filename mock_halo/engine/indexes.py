"""The index engine: one `Table` per storage table, with per-field and compound indexes.

Every indexed field maps value -> ascending list of keys, maintained on write, so filtered
lists intersect the smallest candidate list instead of scanning the table; compound indexes
(e.g. ``client_id`` + ``open``) make the common combinations a single lookup. Index values are in normal form
(`norm`: strings lower-cased,
lists and objects not indexable); derived fields are computed by functions the owner passes in.
Which fields are indexed and searched, the owner says (the domain reads it from its resource
table). No locking here: the store holds its lock around every operation.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, Generic, Protocol, TypeVar

from halo_sandbox.mock.engine.gil import drain, pause
from halo_sandbox.mock.engine.rows import Key, Row
from halo_sandbox.mock.engine.search import WordIndex
from halo_sandbox.mock.engine.sorting import KeyView, SortIndex, ordered

__all__ = ["Key", "KeyView", "Row", "Table", "TableShape", "norm", "ordered"]

"""A record key: an int id, a uuid string, or ``(scope_id, id)`` for per-parent ids."""
Derive = Callable[[Row], Any]
"""Computes a derived index value from a row."""


class TableShape(Protocol):
    """What a table needs of the resource that describes it (the domain's `ResourceSpec` has it)."""

    @property
    def table(self) -> str: ...
    @property
    def id_kind(self) -> str: ...
    @property
    def id_scope(self) -> str | None: ...
    @property
    def compound_indexes(self) -> tuple[tuple[str, ...], ...]: ...


S = TypeVar("S", bound=TableShape)


def norm(value: Any) -> Any:
    """Index normal form: strings compare case-insensitively, lists are not indexable."""
    if isinstance(value, str):
        return value.lower()
    if isinstance(value, list | dict):
        return None
    return value


_SEARCHES_KEPT = 32
_BLOCK = 1024


def _numbered_blocks(keys: list[Key]) -> Iterator[tuple[int, list[Key]]]:
    """``(start, keys[start:start + _BLOCK])`` with a `gil.pause` before each (rebuilds of a 100k table
    are long loops in a worker thread)."""
    for start in range(0, len(keys), _BLOCK):
        pause()
        yield start, keys[start : start + _BLOCK]


def _blocks(keys: list[Key]) -> Iterator[list[Key]]:
    return (part for _start, part in _numbered_blocks(keys))


def _insert(lst: list[Key], key: Key, sortable: bool) -> None:
    if not sortable or not lst or lst[-1] < key:
        lst.append(key)
    else:
        bisect.insort(lst, key)


def _remove(lst: list[Key], key: Key, sortable: bool) -> None:
    if sortable:
        i = bisect.bisect_left(lst, key)
        if i < len(lst) and lst[i] == key:
            del lst[i]
    else:
        lst.remove(key)


def _drop(index: dict[Any, list[Key]], value: Any, key: Key, sortable: bool) -> None:
    lst = index.get(value)
    if lst is not None:
        _remove(lst, key, sortable)
        if not lst:
            del index[value]


class Table(Generic[S]):
    """Rows of one storage table in key order, with their indexes and id counters.

    Int-keyed tables keep keys ascending (insertion by bisection); uuid-keyed ones keep
    insertion order."""

    def __init__(
        self, spec: S, fields: Iterable[str], derived: Mapping[str, Derive], *, words: Iterable[str] = ()
    ) -> None:
        """``fields``: the indexed fields; ``words``: the fields the word index covers."""
        self.spec = spec
        self.rows: dict[Key, Row] = {}
        self.order: list[Key] = []
        self.sortable = spec.id_kind == "int"
        self.index_fields = tuple(dict.fromkeys(fields))
        self.derived = dict(derived)
        self.indexes: dict[str, dict[Any, list[Key]]] = {f: {} for f in self.index_fields}
        self.compound: dict[tuple[str, ...], dict[tuple, list[Key]]] = {c: {} for c in spec.compound_indexes}
        self.next_id = 1
        self.scoped_next: dict[Any, int] = {}
        self.words = WordIndex(list(words)) if self.sortable and not spec.id_scope else None
        self._words_built = False
        self._searches: dict[tuple[tuple[str, ...], str], tuple[int, tuple[list[Key], bool] | None]] = {}
        self.sorts: dict[str, SortIndex] = {}
        self.version = 0

    def key_of(self, row: Row) -> Key:
        if self.spec.id_scope:
            return (row[self.spec.id_scope], row["id"])
        return row["id"]

    def value(self, fieldname: str, row: Row) -> Any:
        """The index value of a field of ``row`` (derived fields computed)."""
        derive = self.derived.get(fieldname)
        if derive:
            return derive(row)
        return norm(row.get(fieldname))

    def keys_where(self, fieldname: str, value: Any) -> list[Key]:
        """Keys whose indexed ``fieldname`` equals ``value`` (ascending; do not mutate)."""
        return self.indexes[fieldname].get(norm(value), [])

    # -- writes ---------------------------------------------------------------------------------
    def new_id(self, row: Row, *, make_uuid: Callable[[], str]) -> Any:
        """The next id for ``row`` (per scope for scoped tables); advances the counter."""
        if self.spec.id_kind == "uuid":
            return make_uuid()
        if self.spec.id_scope:
            scope = row[self.spec.id_scope]
            n = self.scoped_next.get(scope, 1)
            self.scoped_next[scope] = n + 1
            return n
        n = self.next_id
        self.next_id = n + 1
        return n

    def put(self, key: Key, row: Row, *, index: bool = True) -> None:
        """Add a new row (``index=False`` while bulk loading: call `reindex` afterwards)."""
        self.rows[key] = row
        _insert(self.order, key, self.sortable)
        if index:
            self._index_add(key, row)
        if self.spec.id_scope:
            scope = key[0]
            self.scoped_next[scope] = max(self.scoped_next.get(scope, 1), key[1] + 1)
        elif self.sortable:
            self.next_id = max(self.next_id, key + 1)

    def replace(self, key: Key, new: Row) -> None:
        old = self.rows[key]
        self._index_remove(key, old)
        self.rows[key] = new
        self._index_add(key, new)

    def pop(self, key: Key) -> Row:
        row = self.rows.pop(key)
        _remove(self.order, key, self.sortable)
        self._index_remove(key, row)
        return row

    def _index_add(self, key: Key, row: Row) -> None:
        self.version += 1
        if self.words is not None:
            self.words.add(key, row)
        for sort in self.sorts.values():
            sort.add(key, row)
        for f in self.index_fields:
            _insert(self.indexes[f].setdefault(self.value(f, row), []), key, self.sortable)
        for comp, idx in self.compound.items():
            value = tuple(self.value(f, row) for f in comp)
            _insert(idx.setdefault(value, []), key, self.sortable)

    def _index_remove(self, key: Key, row: Row) -> None:
        self.version += 1
        if self.words is not None:
            self.words.remove(key, row)
        for sort in self.sorts.values():
            sort.remove(key, row)
        for f in self.index_fields:
            _drop(self.indexes[f], self.value(f, row), key, self.sortable)
        for comp, idx in self.compound.items():
            _drop(idx, tuple(self.value(f, row) for f in comp), key, self.sortable)

    def reindex(self) -> None:
        """Rebuild every index in one pass per field (keys are visited in order, so each list
        is built by appending); the word index is built on the first call (after loading) and
        kept current by writes after that, sort indexes are kept (they hold stored fields)."""
        rows = self.rows
        order = self.order
        self.version += 1
        if self.words is not None and not self._words_built:  # words do not depend on other tables
            self.words.rebuild(order, rows)
            self._words_built = True
        values: dict[str, list[Any]] = {}
        for f in set(self.index_fields) | {f for comp in self.compound for f in comp}:
            derive = self.derived.get(f)
            if derive:
                values[f] = [derive(rows[k]) for part in _blocks(order) for k in part]
            else:
                values[f] = [
                    v if type(v) is int else norm(v)
                    for part in _blocks(order)
                    for v in (rows[k].get(f) for k in part)
                ]
        self.indexes = {}
        for f in self.index_fields:
            idx: dict[Any, list[Key]] = {}
            for start, part in _numbered_blocks(order):
                for key, value in zip(part, values[f][start : start + len(part)], strict=True):
                    lst = idx.get(value)
                    if lst is None:
                        idx[value] = [key]
                    else:
                        lst.append(key)
            self.indexes[f] = idx
        self.compound = {}
        for comp in self.spec.compound_indexes:
            cidx: dict[tuple, list[Key]] = {}
            for start, part in _numbered_blocks(order):
                stop = start + len(part)
                for key, value in zip(
                    part, zip(*(values[f][start:stop] for f in comp), strict=True), strict=True
                ):
                    cidx.setdefault(value, []).append(key)
            self.compound[comp] = cidx

    def dismantle(self) -> None:
        """Empty the table a few hundred entries at a time (`retire`: a table nobody reads any more)."""
        for idx in [*self.indexes.values(), *self.compound.values()]:
            drain(idx)
        if self.words is not None:
            for vocab in self.words.vocab.values():
                drain(vocab)
        for sort in self.sorts.values():
            drain(sort.asc)
            drain(sort.desc or [])
        drain(self.order)
        drain(self.rows)

    # -- lookup ---------------------------------------------------------------------------------
    def select(self, eq: Mapping[str, Any], anyof: Mapping[str, frozenset[Any]]) -> list[Key]:
        """Keys matching every equality and any-of constraint, in key order, using the smallest
        index list as the base and checking the rest per candidate (do not mutate the result)."""
        options: list[tuple[list[Key], set[str]]] = []
        for comp, idx in self.compound.items():
            if all(f in eq for f in comp):
                options.append((idx.get(tuple(eq[f] for f in comp), []), set(comp)))
        for f, v in eq.items():
            options.append((self.indexes[f].get(v, []), {f}))
        for f, values in anyof.items():
            lists = [self.indexes[f].get(v, []) for v in values]
            merged = (
                lists[0]
                if len(lists) == 1
                else sorted(
                    {k for lst in lists for k in lst}, key=None if self.sortable else self.order.index
                )
            )
            options.append((merged, {f}))
        if not options:
            return self.order
        base, covered = min(options, key=lambda o: len(o[0]))
        rest_eq = [(f, v) for f, v in eq.items() if f not in covered]
        rest_any = [(f, vs) for f, vs in anyof.items() if f not in covered]
        if not rest_eq and not rest_any:
            return base
        rows = self.rows
        return [
            k
            for k in base
            if all(self.value(f, rows[k]) == v for f, v in rest_eq)
            and all(self.value(f, rows[k]) in vs for f, vs in rest_any)
        ]

    def search(self, fields: tuple[str, ...], needle: str) -> tuple[list[Key], bool] | None:
        """Candidate keys for a search (see `search.WordIndex.candidates`); ``None``: scan. The last
        answers are kept until the table's next write (an agent pages through the same search)."""
        if self.words is None:
            return None
        hit = self._searches.get((fields, needle))
        if hit is not None and hit[0] == self.version:
            return hit[1]
        found = self.words.candidates(fields, needle)
        if len(self._searches) >= _SEARCHES_KEPT:
            self._searches.pop(next(iter(self._searches)))
        self._searches[(fields, needle)] = (self.version, found)
        return found

    def sorted_by(self, fieldname: str, *, desc: bool) -> KeyView | None:
        """Every key in the order of the stored field ``fieldname`` (int-keyed tables; ``None``
        otherwise), from an index built now if this is the first order by that field."""
        if not self.sortable or self.spec.id_scope:
            return None
        sort = self.sorts.get(fieldname)
        if sort is None:
            sort = self.sorts[fieldname] = SortIndex(fieldname, self.order, self.rows)
        return sort.view(desc=desc)
