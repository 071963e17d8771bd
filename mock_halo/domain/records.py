"""`Records`: one store's tables, attachment bytes and clock: what the business rules read.

The rules (`rules/`) get a `Records` rather than the store: they look rows up, read the
sandbox time and replace rows of other tables for their side effects; the store's operations
(validation, locking, rendering) stay in `store.HaloStore`.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from halo_sandbox.mock.domain.resources import RESOURCES, TABLES, CustomField, ResourceSpec, table_spec
from halo_sandbox.mock.engine.clock import SandboxClock, halo_datetime
from halo_sandbox.mock.engine.indexes import Table
from halo_sandbox.mock.engine.rows import Key, Row

RowPredicate = Callable[[Row], bool]


class RowFilter(Protocol):
    """A list filter the resource table names as a hook (``Filter(kind="hook")``), parsed from the
    query string into a typed value (`rules.FILTERS`); it tests rows against one store's records."""

    def predicate(self, db: Records) -> RowPredicate: ...


class Records:
    """The tables of one store by name, the attachment bytes by key, the clock and limits."""

    def __init__(
        self,
        *,
        clock: SandboxClock,
        max_attachment_bytes: int,
        derived: Mapping[str, Callable[[Records, Row], Any]],
    ) -> None:
        """``derived``: the derived-field hooks (``ResourceSpec.derived`` names them)."""
        self.clock = clock
        self._derived = derived
        self.max_attachment_bytes = max_attachment_bytes
        self.blobs: dict[Key, bytes] = {}
        self.acting_login: str | None = None
        """Login of the agent the current write acts for (set by the store around a write)."""
        self.tables: dict[str, Table] = {name: self._table(table_spec(name)) for name in TABLES}
        self.custom_fields: dict[str, tuple[CustomField, ...]] = {}
        """The tenant's own custom field definitions by table (a recorded tenant's), in place of the
        resource table's seeded ones (`definitions`)."""

    def definitions(self, spec: ResourceSpec) -> tuple[CustomField, ...]:
        """The custom field definitions records of ``spec`` carry in this store."""
        return self.custom_fields.get(spec.table, spec.custom_fields)

    def _table(self, spec: ResourceSpec) -> Table:
        # the tables reach their `Records` weakly: no reference cycle, so a store that is replaced (reset,
        # restore) is freed at once, not by a pass of the cycle collector over the whole heap
        records = weakref.ref(self)
        derived = {
            name: (lambda row, fn=self._derived[hook]: fn(records(), row))
            for name, hook in spec.derived.items()
        }
        return Table(spec, index_fields(spec.table), derived, words=search_fields(spec.table))

    def acting_agent(self) -> int | None:
        """Id of the agent whose ``email`` is the acting login, if any."""
        login = (self.acting_login or "").lower()
        if not login:
            return None
        for key, row in self.tables["agents"].rows.items():
            if str(row.get("email") or "").lower() == login:
                return key
        return None

    def now(self) -> str:
        """The sandbox time as Halo writes it (``YYYY-MM-DDTHH:MM:SS``, UTC)."""
        return halo_datetime(self.clock.now())

    def row(self, table: str, key: Key) -> Row | None:
        return self.tables[table].rows.get(key)

    def name(self, table: str, key: Any, fieldname: str = "name") -> str:
        """An attribute of a referenced row, ``""`` when there is no such row."""
        row = self.tables[table].rows.get(key)
        return row.get(fieldname, "") if row else ""

    def keys_where(self, table: str, fieldname: str, value: Any) -> list[Key]:
        return self.tables[table].keys_where(fieldname, value)

    def replace(self, table: str, key: Key, new: Row) -> None:
        """Store ``new`` as the row at ``key`` (side effects of a write on another table)."""
        self.tables[table].replace(key, new)


def index_fields(table: str) -> list[str]:
    """The fields of ``table`` that are indexed: filtered, compound-indexed, referencing, the
    views' pinned field, and every non-id field other tables refer to."""
    fields: list[str] = []
    for spec in RESOURCES:
        if spec.table == table:
            fields += [f.field for f in spec.filters if f.kind in ("int", "csv", "flag", "str")]
            fields += [f for comp in spec.compound_indexes for f in comp]
            fields += list(spec.refs)
            if spec.view:
                fields.append(spec.view[0])
        fields += [ref.key for ref in spec.refs.values() if ref.table == table and ref.key != "id"]
    return fields


def search_fields(table: str) -> list[str]:
    """The fields any resource stored in ``table`` searches."""
    return list(dict.fromkeys(f for spec in RESOURCES if spec.table == table for f in spec.search_fields))
