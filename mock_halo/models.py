"""`HaloStore`: one tenant's records, indexes and rules (no web imports).

Generic code is driven by `mock_halo.resources.RESOURCES`; resource-specific behaviour lives in
the named hooks at the bottom of this module (``_COMPUTE``, ``_ON_WRITE``, ``_AFTER_WRITE``,
``_DERIVED``, ``_PREDICATES``), which the table refers to by name.

Rows hold stored fields only; derived fields (names, SLA dates and breach state, totals) are
computed on read. Every indexed field maps value -> ascending list of keys, maintained on
write, so filtered lists intersect the smallest candidate list instead of scanning the table;
``compound_indexes`` make the common combinations (e.g. ``client_id`` + ``open_only``) a single
lookup. All public operations hold one lock, so concurrent writers get unique ids.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import copy
import math
import mimetypes
import re
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from .clock import UNSET_DATE, SandboxClock, halo_datetime
from .exceptions import NotFound, PayloadTooLarge, ValidationError
from .resources import RESOURCES, TABLES, FieldType, Filter, ResourceSpec, spec_named, table_spec

Key = Any
"""A record key: an int id, a uuid string, or ``(scope_id, id)`` for per-ticket ids."""
Row = dict[str, Any]

SNAPSHOT_FORMAT = "halo-store/1"
CLOSED_STATUS_IDS = frozenset({8, 9})
"""Halo's default Cancelled (8) and Closed (9); open = any other status (halo-api.md §3.4)."""
_UNSET_IDS = (None, 0, -1)
"""Reference values meaning "none" (Halo uses -1 for unset integration ids, §3.4)."""
_MAX_PAGE_SIZE = 100
_DEFAULT_PAGE_SIZE = 50
_SINGULAR = {"tickets": "Ticket", "actions": "Action", "clients": "Client", "sites": "Site", "users": "User",
             "agents": "Agent", "teams": "Team", "statuses": "Status", "priorities": "Priority", "slas": "SLA",
             "ticket_types": "Ticket type", "categories": "Category", "outcomes": "Outcome",
             "quotes": "Quote", "invoices": "Invoice", "contracts": "Contract", "kb_articles": "KB article",
             "assets": "Asset", "attachments": "Attachment"}


class _Errors:
    """Collects ASP.NET-style field errors for one request."""

    def __init__(self) -> None:
        self.map: dict[str, list[str]] = {}

    def add(self, key: str, message: str) -> None:
        self.map.setdefault(key, []).append(message)

    def raise_if_any(self) -> None:
        if self.map:
            raise ValidationError(self.map)


class _Table:
    """Rows of one storage table with their indexes and id counters."""

    def __init__(self, spec: ResourceSpec, index_fields: Iterable[str]) -> None:
        self.spec = spec
        self.rows: dict[Key, Row] = {}
        self.order: list[Key] = []
        self.sortable = spec.id_kind == "int"
        self.index_fields = tuple(dict.fromkeys(index_fields))
        self.indexes: dict[str, dict[Any, list[Key]]] = {f: {} for f in self.index_fields}
        self.compound: dict[tuple[str, ...], dict[tuple, list[Key]]] = {c: {} for c in spec.compound_indexes}
        self.next_id = 1
        self.scoped_next: dict[Any, int] = {}

    def key_of(self, row: Row) -> Key:
        if self.spec.id_scope:
            return (row[self.spec.id_scope], row["id"])
        return row["id"]


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


def _norm(value: Any) -> Any:
    """Index normal form: strings compare case-insensitively, lists are not indexable."""
    if isinstance(value, str):
        return value.lower()
    if isinstance(value, list | dict):
        return None
    return value


class HaloStore:
    """One tenant's data. Operations take keyword arguments and raise `mock_halo.exceptions`."""

    def __init__(self, *, seed_data: Mapping[str, list[Mapping[str, Any]]], clock: SandboxClock,
                 max_attachment_bytes: int = 10 * 1024 * 1024) -> None:
        """Load ``seed_data`` (table name -> rows of stored fields), validated like creates; a bad
        seed raises `ValueError`. The store takes over the seed row dicts (no copy, to stay lean
        at 100k tickets): pass rows nobody else keeps."""
        self.clock = clock
        self.max_attachment_bytes = max_attachment_bytes
        self._lock = threading.RLock()
        self._blobs: dict[Key, bytes] = {}
        self._tables: dict[str, _Table] = {name: _Table(table_spec(name), self._index_fields(name))
                                           for name in TABLES}
        unknown = set(seed_data) - set(TABLES)
        if unknown:
            raise ValueError(f"unknown seed tables: {sorted(unknown)}")
        self._load(seed_data, seeds=True)

    # -- construction ---------------------------------------------------------------------------
    @staticmethod
    def _index_fields(table: str) -> list[str]:
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

    def _load(self, data: Mapping[str, Any], *, seeds: bool) -> None:
        """Load rows validated like creates (types, references). ``seeds``: fixture rows, taken
        over without copying, with the create hooks filling defaults and decoding attachment
        bytes; otherwise snapshot rows, copied and stored as they are. Raises `ValueError`."""
        errors = _Errors()
        for name in TABLES:
            table = self._tables[name]
            spec = table.spec
            raw_rows = data.get(name) or []
            if not isinstance(raw_rows, list):
                errors.add(name, "must be a list of rows")
                continue
            loaded = []
            for i, raw in enumerate(raw_rows):
                prefix = f"{name}[{i}]"
                if not isinstance(raw, Mapping):
                    errors.add(prefix, "must be an object")
                    continue
                row = self._coerce_item(spec, raw, prefix, errors, in_place=seeds and isinstance(raw, dict))
                if row.get("id") in (None, 0, ""):
                    if spec.id_kind != "uuid":
                        errors.add(f"{prefix}.id", "Rows need an id.")
                        continue
                    row["id"] = self._new_id(table, row)
                if spec.id_scope and row.get(spec.id_scope) in _UNSET_IDS:
                    errors.add(f"{prefix}.{spec.id_scope}", f"Rows need a {spec.id_scope}.")
                    continue
                blob = _ON_WRITE.get(spec.on_write, _no_hook)(self, spec, row, None, prefix, errors) if seeds else None
                loaded.append((table.key_of(row), row, blob, prefix))
            if table.sortable:
                loaded.sort(key=lambda entry: entry[0])
            for key, row, blob, prefix in loaded:
                if key in table.rows:
                    errors.add(f"{prefix}.id", f"Duplicate id {row['id']!r}.")
                    continue
                self._store_row(table, key, row, blob, index=False)
            self._reindex(table)
        for name in TABLES:  # references are checked once every table is loaded
            table = self._tables[name]
            for key, row in table.rows.items():
                self._check_refs(table.spec, row, row, f"{name}[id={key!r}]", errors)
        if errors.map:
            raise ValueError(f"invalid {'seed data' if seeds else 'snapshot'}: {dict(list(errors.map.items())[:10])}")

    def _store_row(self, table: _Table, key: Key, row: Row, blob: bytes | None, *, index: bool = True) -> None:
        table.rows[key] = row
        _insert(table.order, key, table.sortable)
        if index:
            self._index_add(table, key, row)
        if blob is not None:
            self._blobs[key] = blob
        if table.spec.id_scope:
            scope = key[0]
            table.scoped_next[scope] = max(table.scoped_next.get(scope, 1), key[1] + 1)
        elif table.sortable:
            table.next_id = max(table.next_id, key + 1)

    # -- indexes --------------------------------------------------------------------------------
    def _value(self, table: _Table, fieldname: str, row: Row) -> Any:
        hook = table.spec.derived.get(fieldname)
        if hook:
            return _DERIVED[hook](self, row)
        return _norm(row.get(fieldname))

    def _index_add(self, table: _Table, key: Key, row: Row) -> None:
        for f in table.index_fields:
            _insert(table.indexes[f].setdefault(self._value(table, f, row), []), key, table.sortable)
        for comp, idx in table.compound.items():
            value = tuple(self._value(table, f, row) for f in comp)
            _insert(idx.setdefault(value, []), key, table.sortable)

    def _index_remove(self, table: _Table, key: Key, row: Row) -> None:
        for f in table.index_fields:
            self._drop(table.indexes[f], self._value(table, f, row), key, table.sortable)
        for comp, idx in table.compound.items():
            self._drop(idx, tuple(self._value(table, f, row) for f in comp), key, table.sortable)

    @staticmethod
    def _drop(index: dict[Any, list[Key]], value: Any, key: Key, sortable: bool) -> None:
        lst = index.get(value)
        if lst is not None:
            _remove(lst, key, sortable)
            if not lst:
                del index[value]

    def _reindex(self, table: _Table) -> None:
        """Rebuild every index of a table in one pass per field (keys are visited in order, so
        each list is built by appending)."""
        rows = table.rows
        order = table.order
        values: dict[str, list[Any]] = {}
        for f in {f for f in table.index_fields} | {f for comp in table.compound for f in comp}:
            hook = table.spec.derived.get(f)
            if hook:
                fn = _DERIVED[hook]
                values[f] = [fn(self, rows[k]) for k in order]
            else:
                values[f] = [v if type(v) is int else _norm(v) for v in (rows[k].get(f) for k in order)]
        table.indexes = {}
        for f in table.index_fields:
            idx: dict[Any, list[Key]] = {}
            for key, value in zip(order, values[f], strict=True):
                lst = idx.get(value)
                if lst is None:
                    idx[value] = [key]
                else:
                    lst.append(key)
            table.indexes[f] = idx
        table.compound = {}
        for comp in table.spec.compound_indexes:
            cidx: dict[tuple, list[Key]] = {}
            for key, value in zip(order, zip(*(values[f] for f in comp), strict=True), strict=True):
                cidx.setdefault(value, []).append(key)
            table.compound[comp] = cidx

    def _replace_row(self, table: _Table, key: Key, new: Row) -> None:
        old = table.rows[key]
        self._index_remove(table, key, old)
        table.rows[key] = new
        self._index_add(table, key, new)

    def _keys_where(self, table: str, fieldname: str, value: Any) -> list[Key]:
        return self._tables[table].indexes[fieldname].get(_norm(value), [])

    # -- lookups used by hooks ------------------------------------------------------------------
    def _row(self, table: str, key: Key) -> Row | None:
        return self._tables[table].rows.get(key)

    def _name(self, table: str, key: Any, fieldname: str = "name") -> str:
        row = self._tables[table].rows.get(key)
        return row.get(fieldname, "") if row else ""

    def _priority_row(self, sla_id: Any, priority_id: Any) -> Row | None:
        table = self._tables["priorities"]
        found = None
        for key in table.indexes["priorityid"].get(priority_id, ()):
            row = table.rows[key]
            if row.get("slaid") == sla_id:
                return row
            found = found or row
        return found

    def _now(self) -> str:
        return halo_datetime(self.clock.now())

    # -- public reads ---------------------------------------------------------------------------
    def list(self, *, resource: str, params: Mapping[str, str] | None = None) -> Any:
        """Halo's list response: ``{"record_count": N, <list_key>: [...]}`` or a bare array."""
        spec = spec_named(resource)
        params = {k.lower(): v for k, v in (params or {}).items()}
        errors = _Errors()
        pageinate = _param(params, "pageinate", "bool", errors) or False
        page_size = _param(params, "page_size", "int", errors)
        page_no = _param(params, "page_no", "int", errors)
        count = _param(params, "count", "int", errors)
        orderdesc = _param(params, "orderdesc", "bool", errors) or False
        order = params.get("order") or None
        search = (params.get("search") or "").strip().lower()
        eq: dict[str, Any] = {}
        anyof: dict[str, set[Any]] = {}
        predicates: list[Callable[[Row], bool]] = []
        if spec.view:
            eq[spec.view[0]] = spec.view[1]
        for flt in spec.filters:
            self._apply_filter(spec, flt, params, eq, anyof, predicates, errors)
        if count is not None and count < 0:
            errors.add("count", f"The value '{params['count']}' is not valid.")
        errors.raise_if_any()
        if spec.list_requires and spec.list_requires not in params:
            return self._envelope(spec, [], 0, pageinate=False, page_no=1, page_size=0)
        with self._lock:
            table = self._tables[spec.table]
            keys = self._select(table, eq, anyof)
            if predicates or search:
                rows = table.rows
                keys = [k for k in keys if all(p(rows[k]) for p in predicates)
                        and (not search or _matches(rows[k], spec.search_fields, search))]
            if order:
                keys = self._ordered(spec, table, keys, order.lower(), orderdesc)
            elif orderdesc:
                keys = keys[::-1]
            total = len(keys)
            if pageinate and spec.pageable or pageinate and spec.paged_list_key:
                size = min(max(page_size or _DEFAULT_PAGE_SIZE, 1), _MAX_PAGE_SIZE)
                number = max(page_no or 1, 1)
                window = keys[(number - 1) * size:number * size]
                rows_out = [self._render(spec, table.rows[k], detail=False) for k in window]
                return self._envelope(spec, rows_out, total, pageinate=True, page_no=number, page_size=size)
            limit = count if count is not None else spec.count_default
            window = keys if limit is None else keys[:limit]
            rows_out = [self._render(spec, table.rows[k], detail=False) for k in window]
            return self._envelope(spec, rows_out, total, pageinate=False, page_no=1, page_size=len(rows_out))

    def get(self, *, resource: str, id: Any, params: Mapping[str, str] | None = None) -> Row:
        """One record with its computed fields; raises `NotFound` for an unknown id."""
        spec = spec_named(resource)
        with self._lock:
            table = self._tables[spec.table]
            key = self._key_for(spec, id, params or {})
            return self._render(spec, self._existing(spec, table, key, id), detail=True)

    def attachment_content(self, *, resource: str, id: Any) -> tuple[bytes, str, str]:
        """``(bytes, filename, content type)`` of a stored file; raises `NotFound`."""
        spec = spec_named(resource)
        with self._lock:
            table = self._tables[spec.table]
            key = self._key_for(spec, id, {})
            row = self._existing(spec, table, key, id)
            filename = row.get("filename") or f"attachment-{row['id']}"
            return self._blobs.get(key, b""), filename, _content_type(filename)

    # -- public writes --------------------------------------------------------------------------
    def post(self, *, resource: str, body: Any) -> Any:
        """Create or partially update (Halo's POST): ``body`` is one object or an array of them.
        Items with ``id`` > 0 update, others create; the batch is all-or-nothing. Returns the
        saved record for one item, a list for several."""
        spec = spec_named(resource)
        single = isinstance(body, dict)
        items = [body] if single else body
        if not isinstance(items, list):
            raise ValidationError({"": ["The request body must be a JSON object or an array of objects."]})
        if not items:
            raise ValidationError({"": ["The request body is an empty array; nothing to save."]})
        with self._lock:
            errors = _Errors()
            plans = []
            for i, item in enumerate(items):
                plan = self._plan(spec, item, f"[{i}]", errors)
                if plan is not None:
                    plans.append(plan)
            errors.raise_if_any()
            saved = [self._apply(spec, *plan) for plan in plans]
            rendered = [self._render(spec, row, detail=True) for row in saved]
        return rendered[0] if len(rendered) == 1 else rendered

    def delete(self, *, resource: str, id: Any, params: Mapping[str, str] | None = None) -> None:
        """Delete a record (and the records it owns, e.g. a ticket's actions and attachments).
        Refuses with 400 while other records still refer to it; `NotFound` for an unknown id."""
        spec = spec_named(resource)
        with self._lock:
            table = self._tables[spec.table]
            key = self._key_for(spec, id, params or {})
            self._existing(spec, table, key, id)
            cascaded = {t for t, _ in spec.cascade}
            users = []
            for other in RESOURCES:
                if other.view or other.table in cascaded:
                    continue
                for fieldname, ref in other.refs.items():
                    if ref.table == spec.table and ref.key == "id" and not ref.scoped_by:
                        n = len([k for k in self._keys_where(other.table, fieldname, key) if k != key])
                        if n:
                            users.append(f"{n} {other.table} ({fieldname})")
            if users:
                raise ValidationError({"id": [f"{_SINGULAR[spec.table]} {id} is still referenced by "
                                              f"{', '.join(users)}; delete or reassign those first."]})
            for child_table, fieldname in spec.cascade:
                for child in list(self._keys_where(child_table, fieldname, key)):
                    self._delete_key(self._tables[child_table], child)
            self._delete_key(table, key)

    def _delete_key(self, table: _Table, key: Key) -> None:
        row = table.rows.pop(key)
        _remove(table.order, key, table.sortable)
        self._index_remove(table, key, row)
        self._blobs.pop(key, None)

    # -- snapshot -------------------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        """The whole state as JSON-able data (rows, id counters, attachment bytes as base64)."""
        with self._lock:
            return {
                "format": SNAPSHOT_FORMAT,
                "tables": {name: [copy.deepcopy(t.rows[k]) for k in t.order] for name, t in self._tables.items()},
                "next_ids": {name: t.next_id for name, t in self._tables.items()},
                "scoped_next_ids": {name: [[s, n] for s, n in t.scoped_next.items()]
                                    for name, t in self._tables.items() if t.scoped_next},
                "blobs": [[list(k) if isinstance(k, tuple) else k, base64.b64encode(v).decode("ascii")]
                          for k, v in self._blobs.items()],
            }

    @classmethod
    def from_snapshot(cls, data: Mapping[str, Any], *, clock: SandboxClock,
                      max_attachment_bytes: int = 10 * 1024 * 1024) -> HaloStore:
        """Rebuild a store from `snapshot` output; raises `ValueError` on a malformed document."""
        if not isinstance(data, Mapping) or data.get("format") != SNAPSHOT_FORMAT:
            raise ValueError(f"not a store snapshot (expected format {SNAPSHOT_FORMAT!r})")
        tables = data.get("tables")
        if not isinstance(tables, Mapping) or set(tables) - set(TABLES):
            raise ValueError("snapshot 'tables' must map known table names to lists of rows")
        store = cls(seed_data={}, clock=clock, max_attachment_bytes=max_attachment_bytes)
        store._load(tables, seeds=False)
        try:
            for name, n in dict(data.get("next_ids") or {}).items():
                store._tables[name].next_id = max(store._tables[name].next_id, int(n))
            for name, pairs in dict(data.get("scoped_next_ids") or {}).items():
                table = store._tables[name]
                for scope, n in pairs:
                    table.scoped_next[scope] = max(table.scoped_next.get(scope, 1), int(n))
            owners = store._tables["attachments"].rows
            for key, b64 in data.get("blobs") or []:
                key = tuple(key) if isinstance(key, list) else key
                if key not in owners:
                    raise ValueError(f"bytes for unknown attachment {key!r}")
                store._blobs[key] = base64.b64decode(b64, validate=True)
        except (KeyError, TypeError, ValueError, binascii.Error) as exc:
            raise ValueError(f"malformed snapshot counters or attachment bytes: {exc}") from None
        return store

    restore = from_snapshot

    def counts(self) -> dict[str, int]:
        """Rows per table (for admin views and tests)."""
        with self._lock:
            return {name: len(t.rows) for name, t in self._tables.items()}

    # -- list internals -------------------------------------------------------------------------
    def _apply_filter(self, spec: ResourceSpec, flt: Filter, params: Mapping[str, str], eq: dict[str, Any],
                      anyof: dict[str, set[Any]], predicates: list[Callable[[Row], bool]], errors: _Errors) -> None:
        raw = params.get(flt.param)
        if raw is None or (raw == "" and flt.kind != "hook"):
            return
        if flt.kind == "int":
            value = _param(params, flt.param, "int", errors)
            if value is not None:
                eq[flt.field] = value
        elif flt.kind == "csv":
            values = set()
            for part in raw.split(","):
                part = part.strip()
                if not part:
                    continue
                try:
                    values.add(int(part))
                except ValueError:
                    errors.add(flt.param, f"The value '{raw}' is not valid: expected comma-separated integers.")
                    return
            if values:
                anyof[flt.field] = values & anyof[flt.field] if flt.field in anyof else values
        elif flt.kind == "flag":
            if _param(params, flt.param, "bool", errors):
                if flt.field in eq and eq[flt.field] != flt.value:
                    eq[flt.field] = _NOTHING
                else:
                    eq[flt.field] = flt.value
        elif flt.kind == "str":
            eq[flt.field] = raw.strip().lower()
        else:
            predicate = _PREDICATES[flt.hook](self, params, errors)
            if predicate is not None:
                predicates.append(predicate)

    def _select(self, table: _Table, eq: Mapping[str, Any], anyof: Mapping[str, set[Any]]) -> list[Key]:
        """Keys matching every equality and any-of constraint, ascending, using the smallest
        index list as the base and checking the rest per candidate."""
        if _NOTHING in eq.values():
            return []
        options: list[tuple[list[Key], set[str]]] = []
        for comp, idx in table.compound.items():
            if all(f in eq for f in comp):
                options.append((idx.get(tuple(eq[f] for f in comp), []), set(comp)))
        for f, v in eq.items():
            options.append((table.indexes[f].get(v, []), {f}))
        for f, values in anyof.items():
            lists = [table.indexes[f].get(v, []) for v in values]
            merged = lists[0] if len(lists) == 1 else sorted({k for lst in lists for k in lst},
                                                              key=None if table.sortable else table.order.index)
            options.append((merged, {f}))
        if not options:
            return table.order
        base, covered = min(options, key=lambda o: len(o[0]))
        rest_eq = [(f, v) for f, v in eq.items() if f not in covered]
        rest_any = [(f, vs) for f, vs in anyof.items() if f not in covered]
        if not rest_eq and not rest_any:
            return base
        rows = table.rows
        return [k for k in base
                if all(self._value(table, f, rows[k]) == v for f, v in rest_eq)
                and all(self._value(table, f, rows[k]) in vs for f, vs in rest_any)]

    def _ordered(self, spec: ResourceSpec, table: _Table, keys: list[Key], order: str, desc: bool) -> list[Key]:
        if order == "id":
            return list(reversed(keys)) if desc else keys
        if order in spec.names:
            ref_field, attr = spec.names[order]

            def value(k: Key) -> Any:
                return self._ref_name(spec, ref_field, attr, table.rows[k])
        elif order in spec.computed:
            def value(k: Key) -> Any:
                return self._render(spec, table.rows[k], detail=False).get(order)
        else:
            def value(k: Key) -> Any:
                return table.rows[k].get(order)

        def sort_key(k: Key) -> tuple[int, Any]:
            v = value(k)
            if v is None or isinstance(v, list | dict):
                return (0, 0)
            if isinstance(v, str):
                return (2, v.lower())
            return (1, v)

        return sorted(keys, key=sort_key, reverse=desc)

    def _envelope(self, spec: ResourceSpec, rows: list[Row], total: int, *, pageinate: bool, page_no: int,
                  page_size: int) -> Any:
        if spec.list_key is None and not (pageinate and spec.paged_list_key):
            return rows
        out: dict[str, Any] = {"record_count": total}
        if pageinate:
            out["page_no"] = page_no
            out["page_size"] = page_size
        out[spec.list_key or spec.paged_list_key or "results"] = rows
        out.update(spec.envelope_extras)
        return out

    # -- get/delete internals -------------------------------------------------------------------
    def _key_for(self, spec: ResourceSpec, id: Any, params: Mapping[str, str]) -> Key:
        if spec.id_kind == "uuid":
            return str(id)
        try:
            number = int(str(id))
        except ValueError:  # ASP.NET's {id:int} route does not match: no such path
            extra = f"/{spec.path}/{id}".lower()
            if any(item.lower().startswith(extra) for item in spec.not_implemented):
                raise NotFound(f"/{spec.path}/{id} is a Halo path the mock does not implement.") from None
            raise NotFound(f"The specified URL is invalid: no {spec.path} record {id!r}.") from None
        if spec.id_scope:
            lowered = {k.lower(): v for k, v in params.items()}
            errors = _Errors()
            scope = _param(lowered, spec.id_scope, "int", errors)
            errors.raise_if_any()
            if scope is None:
                raise ValidationError({spec.id_scope: [
                    f"{spec.id_scope} is required: {spec.path} ids are numbered per ticket."]})
            return (scope, number)
        return number

    def _existing(self, spec: ResourceSpec, table: _Table, key: Key, id: Any) -> Row:
        row = table.rows.get(key)
        if row is None or (spec.view and self._value(table, spec.view[0], row) != spec.view[1]):
            where = f" on ticket {key[0]}" if isinstance(key, tuple) else ""
            raise NotFound(f"{_SINGULAR[spec.table]} {id}{where} not found.")
        return row

    # -- write internals ------------------------------------------------------------------------
    def _plan(self, spec: ResourceSpec, item: Any, prefix: str, errors: _Errors) -> tuple | None:
        if not isinstance(item, dict):
            errors.add(prefix, "Each item must be a JSON object.")
            return None
        table = self._tables[spec.table]
        before = len(errors.map)
        row = self._coerce_item(spec, item, prefix, errors)
        raw_id = row.get("id")
        old: Row | None = None
        key: Key = None
        if raw_id not in (None, "") and not (isinstance(raw_id, int) and raw_id <= 0):
            if spec.id_scope and row.get(spec.id_scope) in _UNSET_IDS:
                errors.add(f"{prefix}.{spec.id_scope}", f"{spec.id_scope} is required to update an action.")
                return None
            key = (row[spec.id_scope], raw_id) if spec.id_scope else raw_id
            old = self._existing(spec, table, key, raw_id)
            merged = {**old, **row}
        else:
            row.pop("id", None)
            merged = {**spec.defaults, **row}
        for f in [f for f, v in merged.items() if v is None]:
            del merged[f]
        if old is None:
            for f in spec.required:
                if merged.get(f) in (None, "", 0):
                    errors.add(f"{prefix}.{f}", f"The {f} field is required.")
        elif spec.id_scope and merged.get(spec.id_scope) != old.get(spec.id_scope):
            errors.add(f"{prefix}.{spec.id_scope}", "An action cannot move to another ticket.")
        blob = _ON_WRITE.get(spec.on_write, _no_hook)(self, spec, merged, old, prefix, errors)
        self._check_refs(spec, merged, row if old is not None else merged, prefix, errors)
        if len(errors.map) > before:
            return None
        return (key, merged, old, blob)

    def _apply(self, spec: ResourceSpec, key: Key, row: Row, old: Row | None, blob: bytes | None) -> Row:
        table = self._tables[spec.table]
        if old is None:
            row["id"] = self._new_id(table, row)
            key = table.key_of(row)
            self._store_row(table, key, row, blob)
        else:
            self._replace_row(table, key, row)
            if blob is not None:
                self._blobs[key] = blob
        for dependent in spec.reindex:
            self._reindex(self._tables[dependent])
        after = _AFTER_WRITE.get(spec.after_write)
        if after:
            after(self, row, old)
        return row

    def _new_id(self, table: _Table, row: Row) -> Any:
        if table.spec.id_kind == "uuid":
            return str(uuid.uuid4())
        if table.spec.id_scope:
            scope = row[table.spec.id_scope]
            n = table.scoped_next.get(scope, 1)
            table.scoped_next[scope] = n + 1
            return n
        n = table.next_id
        table.next_id = n + 1
        return n

    def _patch(self, table_name: str, key: Key, changes: Row) -> None:
        """Internal update of another record (side effects such as an action's ``new_status``)."""
        table = self._tables[table_name]
        new = {**table.rows[key], **changes}
        _ticket_status_dates(self, new, table.rows[key])
        self._replace_row(table, key, new)

    def _coerce_item(self, spec: ResourceSpec, item: Mapping[str, Any], prefix: str, errors: _Errors, *,
                     in_place: bool = False) -> Row:
        """The item with known fields coerced and computed fields dropped. ``in_place`` edits and
        returns ``item`` itself (seed rows, which the store takes over) instead of a copy."""
        row: Row = item if in_place else {}  # type: ignore[assignment]
        computed = spec.read_only
        fields = spec.fields
        exact = _EXACT
        for name, value in list(item.items()) if in_place else item.items():
            kind = fields.get(name)
            if kind is None:
                if name in computed:
                    row.pop(name, None)
                elif not in_place:
                    row[name] = copy.deepcopy(value) if isinstance(value, list | dict) else value
                continue
            if (type(value) is exact.get(kind) and (kind != "int" or _INT_MIN <= value <= _INT_MAX)
                    and (kind != "float" or math.isfinite(value))) or (
                    kind == "date" and type(value) is str and _CANONICAL_DATE.fullmatch(value)
                    and value[:4] not in ("1899", "1900")):
                if not in_place:
                    row[name] = copy.deepcopy(value) if isinstance(value, list | dict) else value
                continue
            try:
                row[name] = _coerce(kind, value, spec) if kind != "lines" else _coerce_lines(spec, value)
            except _Bad as bad:
                row.pop(name, None)
                errors.add(f"{prefix}.{name}", f"{bad} Path '{prefix}.{name}'.")
        return row

    def _check_refs(self, spec: ResourceSpec, row: Row, changed: Row, prefix: str, errors: _Errors) -> None:
        for fieldname, ref in spec.refs.items():
            if fieldname not in changed:
                continue
            value = row.get(fieldname)
            if value in _UNSET_IDS:
                continue
            target = self._tables[ref.table]
            if ref.key != "id":
                found = bool(target.indexes[ref.key].get(value))
            elif ref.scoped_by:
                found = (row.get(ref.scoped_by), value) in target.rows
            else:
                found = value in target.rows
            if not found:
                where = f" on ticket {row.get(ref.scoped_by)}" if ref.scoped_by else ""
                errors.add(f"{prefix}.{fieldname}",
                           f"{_SINGULAR[ref.table]} {value}{where} does not exist.")

    # -- rendering ------------------------------------------------------------------------------
    def _render(self, spec: ResourceSpec, row: Row, *, detail: bool) -> Row:
        out = {k: copy.deepcopy(v) if isinstance(v, list | dict) else v for k, v in row.items()}
        for name, kind in spec.fields.items():
            if kind == "date" and name not in out:
                out[name] = UNSET_DATE
        for name, (ref_field, attr) in spec.names.items():
            out[name] = self._ref_name(spec, ref_field, attr, row)
        hook = _COMPUTE.get(spec.compute)
        if hook:
            hook(self, row, out, detail)
        return out

    def _ref_name(self, spec: ResourceSpec, ref_field: str, attr: str, row: Row) -> str:
        referenced = self._tables[spec.refs[ref_field].table].rows.get(row.get(ref_field))
        return referenced.get(attr, "") if referenced else ""


# -- coercion ---------------------------------------------------------------------------------------
class _Bad(Exception):
    pass


_NOTHING = object()


_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1
_EXACT: dict[str, type] = {"int": int, "float": float, "str": str, "bool": bool, "list": list, "object": dict}
_CANONICAL_DATE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")


def _coerce(kind: FieldType, value: Any, spec: ResourceSpec | None = None) -> Any:
    if value is None:
        return None
    exact = _EXACT.get(kind)
    if (exact is not None and type(value) is exact and (exact is not int or -(2**31) <= value < 2**31)
            and (exact is not float or math.isfinite(value))):
        return value
    if kind == "date" and type(value) is str and _CANONICAL_DATE.fullmatch(value) and value[:4] not in ("1899", "1900"):
        return value
    if kind == "id":
        if type(value) is int and 0 < value < 2**31:
            return value
        if spec is not None and spec.id_kind == "uuid":
            if not isinstance(value, str):
                raise _Bad(f"Could not convert {value!r} to a uuid string.")
            return value
        return _coerce("int", value)
    if kind == "int":
        if isinstance(value, bool):
            raise _Bad(f"Could not convert boolean to integer: {str(value).lower()}.")
        if isinstance(value, int):
            if not -(2**31) <= value < 2**31:
                raise _Bad(f"Could not convert value to integer: {value} is outside the int32 range.")
            return value
        if isinstance(value, float) and value.is_integer():
            return _coerce("int", int(value))
        if isinstance(value, str):
            try:
                return _coerce("int", int(value.strip()))
            except ValueError:
                raise _Bad(f"Could not convert string to integer: {value}.") from None
        raise _Bad(f"Could not convert {type(value).__name__} to integer: {value!r}.")
    if kind == "float":
        if isinstance(value, bool):
            raise _Bad("Could not convert boolean to number.")
        if isinstance(value, str):
            try:
                value = float(value)
            except ValueError:
                raise _Bad(f"Could not convert string to number: {value}.") from None
        if isinstance(value, int | float):
            if not math.isfinite(value):
                raise _Bad(f"Could not convert {value} to a finite number.")
            return value
        raise _Bad(f"Could not convert {type(value).__name__} to number.")
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        raise _Bad(f"Could not convert {value!r} to boolean.")
    if kind == "str":
        if isinstance(value, str):
            return value
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        raise _Bad(f"Expected a string, got {type(value).__name__}.")
    if kind == "date":
        if not isinstance(value, str):
            raise _Bad(f"Could not convert {value!r} to a date.")
        text = value.strip()
        if not text or text.startswith(("1899", "1900-01-01")):
            return None
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise _Bad(f"Could not convert string to DateTime: {value}.") from None
        return halo_datetime(parsed)
    if kind == "list":
        if not isinstance(value, list):
            raise _Bad(f"Expected an array, got {type(value).__name__}.")
        return value
    if kind == "object":
        if not isinstance(value, dict):
            raise _Bad(f"Expected an object, got {type(value).__name__}.")
        return value
    raise AssertionError(kind)  # pragma: no cover


def _coerce_lines(spec: ResourceSpec, value: Any) -> list[Row]:
    if not isinstance(value, list):
        raise _Bad(f"Expected an array of lines, got {type(value).__name__}.")
    lines = []
    for n, line in enumerate(value):
        if not isinstance(line, dict):
            raise _Bad(f"Line [{n}] must be an object.")
        out: Row = {}
        for name, v in line.items():
            kind = spec.line_fields.get(name)
            try:
                out[name] = _coerce(kind, v) if kind else v
            except _Bad as bad:
                raise _Bad(f"Line [{n}].{name}: {bad}") from None
        lines.append(out)
    return lines


def _param(params: Mapping[str, str], name: str, kind: str, errors: _Errors) -> Any:
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    if kind == "bool":
        lowered = raw.strip().lower()
        if lowered in ("true", "1"):
            return True
        if lowered in ("false", "0"):
            return False
    else:
        try:
            value = int(raw.strip())
            if -(2**31) <= value < 2**31:
                return value
        except ValueError:
            pass
    errors.add(name, f"The value '{raw}' is not valid.")
    return None


def _matches(row: Row, fields: tuple[str, ...], needle: str) -> bool:
    for f in fields:
        value = row.get(f)
        if isinstance(value, str) and needle in value.lower():
            return True
    return needle.isdigit() and str(row.get("id")) == needle


def _content_type(filename: str) -> str:
    return mimetypes.guess_type(filename)[0] or "application/octet-stream"


def _parse(date: str) -> datetime:
    return datetime.strptime(date[:19], "%Y-%m-%dT%H:%M:%S")


def _to_delta(amount: Any, units: Any) -> timedelta:
    n = float(amount or 0)
    unit = str(units or "h").lower()[:1]
    return {"m": timedelta(minutes=n), "d": timedelta(days=n)}.get(unit, timedelta(hours=n))


def _money(value: float) -> float:
    return round(value + 0.0, 2)


# -- hooks ------------------------------------------------------------------------------------------
def _no_hook(store: HaloStore, spec: ResourceSpec, row: Row, old: Row | None, prefix: str,
             errors: _Errors) -> None:
    return None


def _ticket_open(store: HaloStore, row: Row) -> bool:
    return row.get("status_id") not in CLOSED_STATUS_IDS


def _ticket_domain(store: HaloStore, row: Row) -> str:
    tt = store._tables["ticket_types"].rows.get(row.get("tickettype_id"))
    return (tt.get("use") or "reqs").lower() if tt else "reqs"


def _sla_dates(store: HaloStore, row: Row) -> tuple[str, str]:
    """(respondbydate, fixbydate): stored values, else dateoccurred + the SLA priority's times."""
    respond, fix = row.get("respondbydate"), row.get("fixbydate")
    if (respond and fix) or not row.get("dateoccurred"):
        return respond or UNSET_DATE, fix or UNSET_DATE
    policy = store._priority_row(row.get("sla_id"), row.get("priority_id"))
    if policy is None or row.get("excludefromsla"):
        return respond or UNSET_DATE, fix or UNSET_DATE
    logged = _parse(row["dateoccurred"])
    if not respond and policy.get("responsetime"):
        respond = halo_datetime(logged + _to_delta(policy.get("responsetime"), policy.get("responseunits")))
    if not fix and policy.get("fixtime"):
        fix = halo_datetime(logged + _to_delta(policy.get("fixtime"), policy.get("fixunits")))
    return respond or UNSET_DATE, fix or UNSET_DATE


def _breached(store: HaloStore, row: Row, now: str) -> bool:
    if not _ticket_open(store, row) or row.get("excludefromsla"):
        return False
    fix = _sla_dates(store, row)[1]
    return fix != UNSET_DATE and fix < now


def _compute_ticket(store: HaloStore, row: Row, out: Row, detail: bool) -> None:
    policy = store._priority_row(row.get("sla_id"), row.get("priority_id"))
    out["priority_name"] = policy.get("name", "") if policy else ""
    if detail and policy is not None:
        out["priority"] = dict(policy)
    respond, fix = _sla_dates(store, row)
    out["respondbydate"], out["fixbydate"] = respond, fix
    out["slastate"] = "O" if _breached(store, row, store._now()) else "I"
    domain = _ticket_domain(store, row)
    out["use"] = domain
    out["is_project"] = domain == "prjs"
    out["is_opportunity"] = domain == "opps"
    if "lastactiondate" not in row:
        out["lastactiondate"] = row.get("dateoccurred", UNSET_DATE)
    out["attachment_count"] = len(store._keys_where("attachments", "ticket_id", row["id"]))


def _ticket_status_dates(store: HaloStore, row: Row, old: Row | None) -> None:
    was_open = old is None or old.get("status_id") not in CLOSED_STATUS_IDS
    is_open = row.get("status_id") not in CLOSED_STATUS_IDS
    if was_open and not is_open and "dateclosed" not in row:
        row["dateclosed"] = store._now()
    elif is_open and not was_open and old is not None and row.get("dateclosed") == old.get("dateclosed"):
        row.pop("dateclosed", None)


def _write_ticket(store: HaloStore, spec: ResourceSpec, row: Row, old: Row | None, prefix: str,
                  errors: _Errors) -> None:
    tables = store._tables
    if old is None:
        if "dateoccurred" not in row:
            row["dateoccurred"] = store._now()
        row.setdefault("lastactiondate", row["dateoccurred"])
        if "status_id" not in row and tables["statuses"].order:
            row["status_id"] = 1 if 1 in tables["statuses"].rows else tables["statuses"].order[0]
        if "tickettype_id" not in row:
            wanted = spec.view[1] if spec.view else "reqs"
            types = tables["ticket_types"]
            match = [k for k in types.order if (types.rows[k].get("use") or "reqs").lower() == wanted]
            if match:
                row["tickettype_id"] = match[0]
        site = tables["sites"].rows.get(row.get("site_id"))
        user = tables["users"].rows.get(row.get("user_id"))
        if "site_id" not in row and user is not None and user.get("site_id"):
            row["site_id"] = user["site_id"]
            site = tables["sites"].rows.get(row["site_id"])
        if "client_id" not in row and site is not None:
            row["client_id"] = site.get("client_id")
        client = tables["clients"].rows.get(row.get("client_id"))
        if "site_id" not in row and client is not None and client.get("main_site_id") in tables["sites"].rows:
            row["site_id"] = client["main_site_id"]
            site = tables["sites"].rows[row["site_id"]]
        if "sla_id" not in row:
            tt = tables["ticket_types"].rows.get(row.get("tickettype_id")) or {}
            sla = (site or {}).get("sla_id") or tt.get("sla_id") or (tables["slas"].order or [None])[0]
            if sla is not None:
                row["sla_id"] = sla
    site = tables["sites"].rows.get(row.get("site_id"))
    if site is not None and row.get("client_id") not in _UNSET_IDS and site.get("client_id") != row.get("client_id"):
        errors.add(f"{prefix}.site_id", f"Site {row['site_id']} does not belong to client {row['client_id']}.")
    if spec.view and _ticket_domain(store, row) != spec.view[1]:
        errors.add(f"{prefix}.tickettype_id",
                   f"Ticket type {row.get('tickettype_id')} is not a {spec.path} ticket type "
                   f"(its use is not '{spec.view[1]}').")
    _ticket_status_dates(store, row, old)


def _write_user(store: HaloStore, spec: ResourceSpec, row: Row, old: Row | None, prefix: str,
                errors: _Errors) -> None:
    site = store._tables["sites"].rows.get(row.get("site_id"))
    if site is not None and row.get("client_id") in _UNSET_IDS:
        row["client_id"] = site.get("client_id")
    elif site is not None and site.get("client_id") != row.get("client_id"):
        errors.add(f"{prefix}.site_id", f"Site {row['site_id']} does not belong to client {row['client_id']}.")


def _write_action(store: HaloStore, spec: ResourceSpec, row: Row, old: Row | None, prefix: str,
                  errors: _Errors) -> None:
    if old is None and "datetime" not in row:
        row["datetime"] = store._now()
    if "outcome_id" in row and not row.get("outcome"):
        outcome = store._row("outcomes", row["outcome_id"])
        if outcome:
            row["outcome"] = outcome.get("outcome", "")


def _after_action(store: HaloStore, row: Row, old: Row | None) -> None:
    if old is not None:
        return
    changes: Row = {"lastactiondate": store._now()}
    for source, target in (("new_status", "status_id"), ("new_agent", "agent_id"), ("new_team", "team_id")):
        if row.get(source) not in _UNSET_IDS:
            changes[target] = row[source]
    store._patch("tickets", row["ticket_id"], changes)


def _write_attachment(store: HaloStore, spec: ResourceSpec, row: Row, old: Row | None, prefix: str,
                      errors: _Errors) -> bytes | None:
    field = "data_base64" if row.get("data_base64") not in (None, "") else "data"
    encoded = row.pop("data_base64", None) or row.pop("data", None)
    row.pop("data", None)
    row.pop("data_base64", None)
    if old is None:
        row.setdefault("datecreated", store._now())
        row.setdefault("filename", "attachment")
    if encoded is None:
        if old is None:
            errors.add(f"{prefix}.data_base64", "The file content is required: send it base64-encoded in "
                                                "data_base64 (or data).")
        return None
    try:
        blob = base64.b64decode("".join(str(encoded).split()), validate=True)
    except (binascii.Error, ValueError):
        errors.add(f"{prefix}.{field}", "The file content is not valid base64.")
        return None
    if len(blob) > store.max_attachment_bytes:
        raise PayloadTooLarge(f"Attachment {prefix} is {len(blob)} bytes; the limit is "
                              f"{store.max_attachment_bytes} bytes.")
    return blob


def _write_lines(store: HaloStore, spec: ResourceSpec, row: Row, old: Row | None, prefix: str,
                 errors: _Errors) -> None:
    """Quote/invoice lines: keep the ids sent, number new (or repeated) lines after them."""
    lines = row.get("lines")
    if lines is None:
        return
    seen: set[int] = set()
    fresh = max((line["id"] for line in lines if isinstance(line.get("id"), int)), default=0) + 1
    for line in lines:
        if not isinstance(line.get("id"), int) or line["id"] <= 0 or line["id"] in seen:
            line["id"] = fresh
            fresh += 1
        seen.add(line["id"])


def _compute_quote(store: HaloStore, row: Row, out: Row, detail: bool) -> None:
    revenue = tax_total = cost = 0.0
    lines = []
    for line in row.get("lines") or []:
        qty = float(line.get("quantity") or 0)
        gross = qty * float(line.get("price") or 0)
        discount = gross * float(line.get("discount_perc") or 0) / 100
        net = gross - discount
        tax = net * float(line.get("tax") or 0) / 100
        line_cost = qty * float(line.get("costprice") or 0)
        lines.append({**line, "qhid": row["id"], "net_total": _money(net), "total_discount": _money(discount),
                      "total_tax": _money(tax), "total_price": _money(net + tax),
                      "total_net_total": _money(net), "profit": _money(net - line_cost)})
        if not line.get("optional"):
            revenue, tax_total, cost = revenue + net, tax_total + tax, cost + line_cost
    out["lines"] = lines
    out["revenue"], out["tax_total"], out["total"] = _money(revenue), _money(tax_total), _money(revenue + tax_total)
    out["cost"], out["profit"] = _money(cost), _money(revenue - cost)
    out["margin"] = round((revenue - cost) / revenue * 100, 2) if revenue else 0.0
    expiry = row.get("expiry_date")
    out["expired"] = bool(expiry) and expiry < store._now() and row.get("approvalstate", 0) == 0


def _compute_invoice(store: HaloStore, row: Row, out: Row, detail: bool) -> None:
    net_total = tax_total = 0.0
    lines = []
    for line in row.get("lines") or []:
        net = float(line.get("qty_order") or 0) * float(line.get("unit_price") or 0)
        tax = net * float(line.get("tax_rate") or 0) / 100
        lines.append({**line, "ihid": row["id"], "net_amount": _money(net), "tax_amount": _money(tax),
                      "total_price": _money(net + tax)})
        net_total, tax_total = net_total + net, tax_total + tax
    out["lines"] = lines
    out["revenue"], out["tax_total"] = _money(net_total), _money(tax_total)
    out["total"] = _money(net_total + tax_total)
    out["amountdue"] = _money(net_total + tax_total - float(row.get("amountpaid") or 0))


def _compute_client(store: HaloStore, row: Row, out: Row, detail: bool) -> None:
    out["open_ticket_count"] = len(store._tables["tickets"].compound[("client_id", "open")].get((row["id"], True), ()))


def _compute_contract(store: HaloStore, row: Row, out: Row, detail: bool) -> None:
    end = row.get("end_date")
    out["expired"] = bool(end) and end < store._now()


def _compute_action(store: HaloStore, row: Row, out: Row, detail: bool) -> None:
    agent = row.get("who_agentid") or row.get("actionby_agent_id")
    user = row.get("actionby_user_id")
    out["who"] = store._name("agents", agent) or store._name("users", user)
    if row.get("outcome_id") and not row.get("outcome"):
        out["outcome"] = store._name("outcomes", row["outcome_id"], "outcome")
    out["attachment_count"] = len([k for k in store._keys_where("attachments", "ticket_id", row["ticket_id"])
                                   if store._tables["attachments"].rows[k].get("action_id") == row["id"]])


def _compute_attachment(store: HaloStore, row: Row, out: Row, detail: bool) -> None:
    filename = row.get("filename") or ""
    out["filesize"] = len(store._blobs.get(row["id"], b""))
    out["content_type"] = _content_type(filename)
    out["isimage"] = out["content_type"].startswith("image/")


def _predicate_breached(store: HaloStore, params: Mapping[str, str], errors: _Errors) -> Callable[[Row], bool] | None:
    if not _param(params, "includebreached", "bool", errors):
        return None
    now = store._now()
    return lambda row: _breached(store, row, now)


_DATE_FIELDS = {"dateoccured": "dateoccurred", "dateoccurred": "dateoccurred", "datecleared": "dateclosed",
                "dateclosed": "dateclosed", "lastactiondate": "lastactiondate", "fixbydate": "fixbydate",
                "respondbydate": "respondbydate", "deadlinedate": "deadlinedate",
                "startdate": "startdate", "targetdate": "targetdate"}


def _predicate_daterange(store: HaloStore, params: Mapping[str, str],
                         errors: _Errors) -> Callable[[Row], bool] | None:
    name = params.get("datesearch", "").strip().lower()
    if not name:
        return None
    target = _DATE_FIELDS.get(name)
    if target is None:
        errors.add("datesearch", f"The value '{params['datesearch']}' is not a date field; use one of "
                                 f"{', '.join(sorted(_DATE_FIELDS))}.")
        return None
    bounds = []
    for param in ("startdate", "enddate"):
        raw = params.get(param)
        try:
            bounds.append(_coerce("date", raw) if raw else None)
        except _Bad:
            errors.add(param, f"The value '{raw}' is not valid.")
            return None
    start, end = bounds
    if end is not None and len(params.get("enddate", "").strip()) == 10:  # a bare date includes that day
        end = end[:10] + "T23:59:59"

    def predicate(row: Row) -> bool:
        value = row.get(target)
        if target in ("fixbydate", "respondbydate"):
            value = _sla_dates(store, row)[0 if target == "respondbydate" else 1]
        if not value or value == UNSET_DATE:
            return False
        return (start is None or value >= start) and (end is None or value <= end)

    return predicate


_DERIVED: dict[str, Callable[[HaloStore, Row], Any]] = {
    "ticket_open": _ticket_open,
    "ticket_domain": _ticket_domain,
}
_COMPUTE: dict[str, Callable[[HaloStore, Row, Row, bool], None]] = {
    "ticket": _compute_ticket,
    "action": _compute_action,
    "quote": _compute_quote,
    "invoice": _compute_invoice,
    "client": _compute_client,
    "contract": _compute_contract,
    "attachment": _compute_attachment,
}
_ON_WRITE: dict[str, Callable[..., Any]] = {
    "ticket": _write_ticket,
    "user": _write_user,
    "action": _write_action,
    "attachment": _write_attachment,
    "quote": _write_lines,
    "invoice": _write_lines,
}
_AFTER_WRITE: dict[str, Callable[[HaloStore, Row, Row | None], None]] = {
    "action": _after_action,
}
_PREDICATES: dict[str, Callable[[HaloStore, Mapping[str, str], _Errors], Callable[[Row], bool] | None]] = {
    "breached": _predicate_breached,
    "daterange": _predicate_daterange,
}


def _check_hooks() -> None:
    """Every hook named in the resource table exists (fails at import, not at request time)."""
    for spec in RESOURCES:
        for registry, name in ((_COMPUTE, spec.compute), (_ON_WRITE, spec.on_write),
                               (_AFTER_WRITE, spec.after_write)):
            if name and name not in registry:
                raise AssertionError(f"{spec.name}: unknown hook {name!r}")
        for hook in spec.derived.values():
            if hook not in _DERIVED:
                raise AssertionError(f"{spec.name}: unknown derived hook {hook!r}")
        for name, (ref_field, _attr) in spec.names.items():
            if ref_field not in spec.refs:
                raise AssertionError(f"{spec.name}: name {name!r} uses {ref_field!r}, which is not a reference")
        for flt in spec.filters:
            if flt.kind == "hook" and flt.hook not in _PREDICATES:
                raise AssertionError(f"{spec.name}: unknown predicate {flt.hook!r}")


_check_hooks()
