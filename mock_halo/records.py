"""`Records`: one store's tables, attachment bytes and clock: what the business rules read.

The rules (`rules/`) get a `Records` rather than the store: they look rows up, read the
sandbox time and replace rows of other tables for their side effects; the store's operations
(validation, locking, rendering) stay in `store.HaloStore`.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Mapping
from typing import Any

from .clock import SandboxClock, halo_datetime
from .indexes import Key, Row, Table, index_fields
from .resources import TABLES, ResourceSpec, table_spec


class Records:
    """The tables of one store by name, the attachment bytes by key, the clock and limits."""

    def __init__(self, *, clock: SandboxClock, max_attachment_bytes: int,
                 derived: Mapping[str, Callable[[Records, Row], Any]]) -> None:
        """``derived``: the derived-field hooks (``ResourceSpec.derived`` names them)."""
        self.clock = clock
        self._derived = derived
        self.max_attachment_bytes = max_attachment_bytes
        self.blobs: dict[Key, bytes] = {}
        self.acting_login: str | None = None
        """Login of the agent the current write acts for (set by the store around a write)."""
        self.tables: dict[str, Table] = {name: self._table(table_spec(name)) for name in TABLES}

    def _table(self, spec: ResourceSpec) -> Table:
        # the tables reach their `Records` weakly: no reference cycle, so a store that is replaced (reset,
        # restore) is freed at once, not by a pass of the cycle collector over the whole heap
        records = weakref.ref(self)
        derived = {name: (lambda row, fn=self._derived[hook]: fn(records(), row))  # type: ignore[arg-type]
                   for name, hook in spec.derived.items()}
        return Table(spec, index_fields(spec.table), derived)

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
