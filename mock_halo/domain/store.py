"""`HaloStore`: one tenant's records behind Halo's operations (no web imports).

The facade over the store's parts. Its operations take typed values (a `query.ListQuery`, ids,
scopes, flags) and return rows, never query strings or Halo's list envelopes: the HTTP wing parses
and shapes the answers. `indexes.Table` selects and orders keys, `coercion` types posted values,
`rules` apply Halo's business rules (named hooks of the resource table), `rendering` produces
Halo's wire shape of a record. Everything
generic is driven by `resources.RESOURCES`. Rows hold stored fields only; derived fields
(names, SLA dates and breach state, totals) are computed on read.

Two locks (`locking.StoreLocks`): writes (and snapshots) take ``writing``, one at a time, so ids
are unique and what a write validated still holds when it commits; everything that reads or
changes rows and indexes takes ``rows``, briefly. A write is validated whole while holding only
``writing`` (readers go on meanwhile: nothing they do changes what a write reads), then committed
in chunks of `COMMIT_CHUNK` records, each under ``rows`` with the indexes brought up to date
and the readers queued meanwhile let in before the next chunk, so a reader
waits for one chunk, never for a whole 20 MiB batch; such a reader may see the first chunks of a
batch before the rest (``FIDELITY.md``). A bad item anywhere still changes nothing.
"""

from __future__ import annotations

import base64
import binascii
import copy
import dataclasses
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from halo_sandbox.mock.domain.coercion import coerce_item
from halo_sandbox.mock.domain.customfields import custom_values
from halo_sandbox.mock.domain.params import ParamPredicate, sort_rows
from halo_sandbox.mock.domain.query import ROUTE_INT, Listing, ListQuery
from halo_sandbox.mock.domain.records import Records
from halo_sandbox.mock.domain.rendering import detailed_base, ref_name, render
from halo_sandbox.mock.domain.resources import (
    RESOURCES,
    TABLES,
    UNSET_IDS,
    CustomField,
    ResourceSpec,
    spec_for_path,
    spec_named,
    table_spec,
)
from halo_sandbox.mock.domain.rules import AFTER_WRITE, CONTENT, DERIVED, DETAILS, INCLUDED, ON_WRITE
from halo_sandbox.mock.engine import jsonpieces
from halo_sandbox.mock.engine.clock import SandboxClock
from halo_sandbox.mock.engine.gil import paced, pause
from halo_sandbox.mock.engine.indexes import Table
from halo_sandbox.mock.engine.listing import matches, ordered_keys, searched
from halo_sandbox.mock.engine.locking import StoreLocks
from halo_sandbox.mock.engine.rows import Key, Row
from halo_sandbox.mock.engine.sorting import Cached
from halo_sandbox.mock.engine.wire import wire_check, wire_problem
from halo_sandbox.mock.exceptions import FieldErrors, NotFound, ValidationError

STORE_SNAPSHOT_FORMAT = "halo-store/1"

# Module-level names for the write path's types: inside `HaloStore`, `list` is the method.
_Plan = tuple[Key, Row, Row | None, bytes | None]
"""A validated write: key (``None`` for a create), merged row, old row, attachment bytes."""
_Plans = list[_Plan]
_Embedded = list[list[Row]]
"""The attachments embedded in each posted item."""
_Items = list[Any]
_Rows = list[Row]
COMMIT_CHUNK = 64
"""Records of a batch committed per hold of the store's lock (a few milliseconds of work)."""


def _definitions(data: Any) -> dict[str, tuple[CustomField, ...]]:
    """A snapshot's ``custom_fields`` (table -> ``[{id, name, label, type}]``, the tenant's own
    definitions); raises `ValueError` naming what is wrong."""
    if data is None:
        return {}
    if not isinstance(data, Mapping) or set(data) - set(TABLES):
        raise ValueError("snapshot 'custom_fields' must map known table names to lists of definitions")
    out: dict[str, tuple[CustomField, ...]] = {}
    for table, entries in data.items():
        if not isinstance(entries, list):
            raise ValueError(f"custom_fields.{table} must be a list")
        fields = []
        for n, entry in enumerate(entries):
            ok = (
                isinstance(entry, Mapping)
                and type(entry.get("id")) is int
                and isinstance(entry.get("name"), str)
                and entry["name"]
                and isinstance(entry.get("label", ""), str)
                and type(entry.get("type", 0)) is int
            )
            if not ok:
                raise ValueError(
                    f"custom_fields.{table}[{n}] needs an integer id, a name, a label and a type"
                )
            fields.append(
                CustomField(
                    id=entry["id"],
                    name=entry["name"],
                    label=entry.get("label", ""),
                    type=entry.get("type", 0),
                )
            )
        if len({f.id for f in fields}) != len(fields) or len({f.name.lower() for f in fields}) != len(fields):
            raise ValueError(f"custom_fields.{table}: ids and names must be unique")
        out[table] = tuple(fields)
    return out


def _with_article(noun: str) -> str:
    return f"{'an' if noun[:1].lower() in 'aeiou' else 'a'} {noun}"


def _scope_noun(spec: ResourceSpec) -> str:
    """What a scoped resource's ids are numbered per (``ticket`` for actions)."""
    return table_spec(spec.refs[spec.id_scope].table).singular.lower() if spec.id_scope else ""


class HaloStore:
    """One tenant's data. Operations take keyword arguments and raise `mock_halo.exceptions`."""

    def __init__(
        self,
        *,
        seed_data: Mapping[str, list[Row]],
        clock: SandboxClock,
        max_attachment_bytes: int = 10 * 1024 * 1024,
    ) -> None:
        """Load ``seed_data`` (table name -> rows of stored fields), validated like creates; a bad
        seed raises `ValueError`. The store takes over the seed row dicts (no copy, to stay lean
        at 100k tickets): pass rows nobody else keeps."""
        self.clock = clock
        self.max_attachment_bytes = max_attachment_bytes
        self._locks = StoreLocks()
        self._db = Records(clock=clock, max_attachment_bytes=max_attachment_bytes, derived=DERIVED)
        self._orders = Cached()
        unknown = set(seed_data) - set(TABLES)
        if unknown:
            raise ValueError(f"unknown seed tables: {sorted(unknown)}")
        self._load(seed_data, seeds=True)

    def hold_if_free(self, *, write: bool = False) -> bool:
        """Take the store's lock (for a ``write``, the writers' lock first) if no other thread holds
        it, then `release` it; False when an operation is running in another thread (a big batch,
        a snapshot), so an event loop can hand its call to a worker thread instead of waiting."""
        return self._locks.hold_if_free(write=write)

    def release(self, *, write: bool = False) -> None:
        self._locks.release(write=write)

    # -- public reads ---------------------------------------------------------------------------
    def list(self, *, resource: str, query: ListQuery | None = None) -> Listing:
        """The rows ``query`` (parsed for this resource; ``None``: the resource's default listing)
        answers, in list shape, and how many records match."""
        spec = spec_named(resource)
        if query is None:
            query = ListQuery.parse(spec)
        if query.missing_required:
            return Listing(rows=[], total=0)
        with self._locks.reading:
            table = self._db.tables[spec.table]
            keys: Sequence[Key] = [] if query.matches_nothing else table.select(query.eq, query.anyof)
            whole = keys is table.order
            search = query.search
            search_fields = spec.search_fields + query.rules.search_also
            related: frozenset[Key] = frozenset()
            if search:
                related = self._searched_related(query.rules.search_related, search)
                narrowed, search = searched(search_fields, table, keys, search)
                if related:
                    chosen = related | set(narrowed)
                    keys = [k for k in keys if k in chosen]
                else:
                    keys = narrowed
                whole = False
            predicates = [f.predicate(self._db) for f in query.filters]
            if query.rules.filters:
                predicates += query.rules.bind(self._lookup)
            if predicates or search:
                rows = table.rows
                keys = [
                    k
                    for k in keys
                    if all(p(rows[k]) for p in predicates)
                    and (not search or k in related or matches(rows[k], search_fields, search))
                ]
                whole = False
            if query.rules.either:
                keys = self._or_else(spec, table, keys, query.rules.either)
                whole = False
            if query.rules.then:
                keys = self._ordered_by_levels(spec, table, keys, query)
            elif query.order:
                keys = ordered_keys(
                    self._orders,
                    table,
                    keys,
                    query.order,
                    query.desc,
                    whole=whole,
                    derived=self._order_value(spec, query.order),
                    cache_key=f"{spec.name}.{query.order}",
                    version=sum(t.version for t in self._db.tables.values()),
                )
            elif query.desc:
                keys = keys[::-1]
            if query.rules.first:
                keys = list(keys)
                rows = table.rows
                query.rules.put_first(keys, lambda key, name: rows[key].get(name))
            if query.paged:
                size, number = query.page_size, query.page_no
                window = keys[(number - 1) * size : number * size]
            else:
                window = keys if query.limit is None else keys[: query.limit]
            rows_out = [render(self._db, spec, table.rows[k], detail=False) for k in window]
            if query.rules.shapes:
                full = detailed_base(spec)
                rows_out = [query.rules.shape(row, full) for row in rows_out]
                asked = () if query.rules.keep else query.rules.include
                computed = [(f, INCLUDED[spec.included[f]]) for f in asked if f in spec.included]
                for key, row in zip(window, rows_out, strict=True) if computed else ():
                    row.update((f, hook(self._db, table.rows[key])) for f, hook in computed)
            return Listing(rows=rows_out, total=len(keys))

    def stored(self, path: str, id: Any) -> Row | None:
        """The stored record (as stored: no computed fields) of the resource at ``path`` with that
        id, ``None`` when there is none (`params.RecordLookup`, for the generic collections' lists)."""
        with self._locks.reading:
            return self._lookup(path, id)

    def _or_else(
        self, spec: ResourceSpec, table: Table, keys: Sequence[Key], either: tuple[ParamPredicate, ...]
    ) -> Sequence[Key]:
        """``keys`` and the records of the resource's view any of ``either`` keeps (an OR condition
        over the other filters: `params.ParamQuery.either`), in key order; the caller holds the lock."""
        kept, rows = set(keys), table.rows
        base = table.select({spec.view[0]: spec.view[1]}, {}) if spec.view else table.order
        return [k for k in base if k in kept or any(p(rows[k]) for p in either)]

    def _searched_related(
        self, related: tuple[tuple[str, str, tuple[str, ...]], ...], needle: str
    ) -> frozenset[Key]:
        """The ids of the records another resource's records refer to (by ``key``) and match
        ``needle`` on ``fields`` (`params.ParamQuery.search_related`); the caller holds the lock."""
        found: set[Key] = set()
        for path, key, fields in related:
            for row in self._db.tables[spec_for_path(path).table].rows.values():
                if any(needle in str(row.get(f) or "").lower() for f in fields):
                    found.add(row.get(key))
        return frozenset(found)

    def _lookup(self, path: str, id: Any) -> Row | None:
        """The stored record of the resource at ``path`` with that id (`params.RecordLookup`); the caller
        holds the store's lock."""
        if id in UNSET_IDS:
            return None
        return self._db.tables[spec_for_path(path).table].rows.get(id)

    def _ordered_by_levels(
        self, spec: ResourceSpec, table: Table, keys: Sequence[Key], query: ListQuery
    ) -> Sequence[Key]:
        """``keys`` ordered by ``order`` then ``order2``..``order5`` (Halo's five order levels);
        keys equal on every level keep id order."""
        levels: tuple[tuple[str, bool], ...] = ((query.order, query.desc),) if query.order else ()
        levels += query.rules.then
        readers = {name: self._order_value(spec, name) for name, _desc in levels}
        rows = table.rows

        def value(key: Key, name: str) -> Any:
            reader = readers[name]
            row = rows[key]
            return reader(row) if reader is not None else row.get(name)

        ordered = list(keys)
        sort_rows(ordered, levels, value)
        return ordered

    def _order_value(self, spec: ResourceSpec, order: str) -> Callable[[Row], Any] | None:
        """How a row's value of ``order`` is found when it is not the row's own field: a referenced
        record's name, or a computed field as rendered; None for a stored field."""
        db = self._db
        if order in spec.names:
            ref_field, attr = spec.names[order]
            return lambda row: ref_name(db, spec, ref_field, attr, row)
        if order in spec.computed:
            return lambda row: render(db, spec, row, detail=False).get(order)
        return None

    def get(self, *, resource: str, id: Any, scope: int | None = None, details: bool = False) -> Row:
        """One record with its computed fields (and, with ``details``, what the resource's ``details``
        hook expands: Halo's ``includedetails=true``); ``scope``: the id of the record a scoped
        resource's ids are numbered per (``ticket_id`` of an action). Raises `NotFound` for an
        unknown id, `ValidationError` without a needed scope."""
        spec = spec_named(resource)
        with self._locks.reading:
            table = self._db.tables[spec.table]
            key = self._key_for(spec, id, scope)
            row = self._existing(spec, table, key, id)
            out = render(self._db, spec, row, detail=True)
            if spec.details and details:
                DETAILS[spec.details](self._db, row, out)
            return out

    def attachment_content(self, *, resource: str, id: Any) -> tuple[bytes, str, str]:
        """``(bytes, filename, content type)`` of a stored file (resources with ``raw_get``);
        raises `NotFound`."""
        spec = spec_named(resource)
        with self._locks.reading:
            table = self._db.tables[spec.table]
            key = self._key_for(spec, id, None)
            row = self._existing(spec, table, key, id)
            return CONTENT[spec.raw_get](self._db, key, row)

    def size(self) -> int:
        """Rows in all tables."""
        return sum(len(t.rows) for t in self._db.tables.values())

    def dismantle(self) -> None:
        """Empty the store a few hundred entries at a time (`retire.retire`: for a store nobody holds)."""
        for table in self._db.tables.values():
            table.dismantle()
        self._db.blobs.clear()

    def counts(self) -> dict[str, int]:
        """Rows per table (for admin views and tests)."""
        with self._locks.reading:
            return {name: len(t.rows) for name, t in self._db.tables.items()}

    # -- public writes --------------------------------------------------------------------------
    def post(
        self,
        *,
        resource: str,
        body: Any,
        acting_login: str | None = None,
        encoded: bool = False,
        lenient: Callable[[str], None] | None = None,
    ) -> Any:
        """Create or partially update (Halo's POST): ``body`` is one object or an array of them.
        Items with ``id`` > 0 update, others create; the batch is all-or-nothing. Returns the
        saved record for one item, a list for several. An item with ``_validate_only: true``
        (quotes: ``_validateonly``) makes the whole batch a dry run: validated and answered,
        nothing saved. Attachments embedded in a record (``attachments``, where the table links
        them) are created with it. ``acting_login``: the login of the agent the token acts as
        (an action without an author is by that agent). ``encoded``: the answer as JSON in
        chunks (`jsonpieces.pieces`), each record rendered just before it is encoded (for big
        batches: the rendered records are never all held at once). ``lenient``: where the checks
        that are the mock's own choice report what they accept (`FieldErrors.choice`); ``None``
        refuses instead (strict mode)."""
        spec = spec_named(resource)
        single = isinstance(body, dict)
        items = [body] if single else body
        if not isinstance(items, list):
            raise ValidationError({"": ["The request body must be a JSON object or an array of objects."]})
        if not items:
            empty = FieldErrors(lenient)
            if empty.choice("", "The request body is an empty array; nothing to save."):
                return jsonpieces.array_pieces(iter(())) if encoded else []
            empty.raise_if_any()
        dry_run = any(
            isinstance(item, dict) and any(_truthy(item.get(f)) for f in _VALIDATE_ONLY) for item in items
        )
        with self._locks.writing:
            self._db.acting_login = acting_login
            try:
                plans, embedded = self._validate(spec, items, single=single, lenient=lenient)
                if dry_run:
                    saved = [{**row, "id": key if key is not None else 0} for key, row, _old, _blob in plans]
                else:
                    saved = self._commit(spec, plans, embedded, acting_login)
                rendered = (render(self._db, spec, row, detail=True) for row in paced(saved))
                if encoded:
                    return (
                        jsonpieces.pieces(next(rendered), depth=0)
                        if len(saved) == 1
                        else jsonpieces.array_pieces(rendered)
                    )
                out = list(rendered)
            finally:
                self._db.acting_login = None
        return out[0] if len(out) == 1 else out

    def _validate(
        self, spec: ResourceSpec, items: _Items, *, single: bool, lenient: Callable[[str], None] | None
    ) -> tuple[_Plans, _Embedded]:
        """The plan of each item (key, merged row, old row, attachment bytes) and its embedded
        attachments; raises `ValidationError` naming every bad item. Holds only ``writing``: rows
        change only under it, so readers may run meanwhile."""
        errors = FieldErrors(lenient)
        items, embedded = self._embedded_attachments(spec, items, errors)
        plans: _Plans = []
        for i, item in enumerate(items):
            pause()
            plan = self._plan(spec, item, f"[{i}]", errors)
            if plan is not None:
                plans.append(plan)
        for i, plan in enumerate(plans):  # nothing is committed that could not be read back
            pause()
            self._check_renderable(spec, plan[1], f"[{i}]" if not single else "", errors)
        errors.raise_if_any()
        return plans, embedded

    def _commit(
        self, spec: ResourceSpec, plans: _Plans, embedded: _Embedded, acting_login: str | None
    ) -> _Rows:
        """Apply validated plans, `COMMIT_CHUNK` at a time under the store's lock (readers get in
        between chunks), then create the embedded attachments."""
        saved: list[Row] = []
        for start in range(0, len(plans), COMMIT_CHUNK):
            with self._locks.reading:
                saved += [self._apply(spec, *plan) for plan in paced(plans[start : start + COMMIT_CHUNK])]
            self._locks.hand_off()
        for row, files in zip(saved, embedded, strict=True):
            if files:
                links = {f: row[source] for f, source in spec.attachment_links.items()}
                self.post(
                    resource="attachments",
                    body=[{**f, **links} for f in files],
                    acting_login=acting_login,
                    lenient=_IGNORE,  # validated with the record that carries them
                )
        return saved

    def _embedded_attachments(
        self, spec: ResourceSpec, items: _Items, errors: FieldErrors
    ) -> tuple[_Items, _Embedded]:
        """Items without their embedded ``attachments`` (validated like attachment creates) and the
        attachments of each item."""
        embedded: list[list[Row]] = [[] for _ in items]
        if not spec.attachment_links:
            return items, embedded
        out = []
        attachments = spec_named("attachments")
        for i, item in enumerate(items):
            files = item.get("attachments") if isinstance(item, dict) else None
            if isinstance(files, list) and files:
                item = {k: v for k, v in item.items() if k != "attachments"}
                for j, file in enumerate(files):
                    prefix = f"[{i}].attachments[{j}]"
                    if not isinstance(file, dict):
                        errors.add(prefix, "Each attachment must be a JSON object.")
                        continue
                    probe = coerce_item(attachments, file, prefix, errors)
                    self._on_write(
                        attachments,
                        {**probe, "ticket_id": -1, "type": 1, "unique_id": 1},
                        None,
                        prefix,
                        errors,
                    )
                    embedded[i].append({k: v for k, v in file.items() if k not in spec.attachment_links})
            out.append(item)
        return out, embedded

    def delete(
        self,
        *,
        resource: str,
        id: Any,
        scope: int | None = None,
        lenient: Callable[[str], None] | None = None,
    ) -> None:
        """Delete a record (and the records it owns, e.g. a ticket's actions and attachments); ``scope``
        as for `get`. While other records still refer to it: with ``lenient`` deleted all the same
        (their references left dangling) and reported, else refused with 400 (the mock's own
        check, `FieldErrors.choice`); `NotFound` for an unknown id."""
        spec = spec_named(resource)
        with self._locks.writing, self._locks.reading:
            tables = self._db.tables
            table = tables[spec.table]
            key = self._key_for(spec, id, scope)
            self._existing(spec, table, key, id)
            cascaded = {t for t, _ in spec.cascade}
            users = []
            for other in RESOURCES:
                if other.view or other.table in cascaded:
                    continue
                for fieldname, ref in other.refs.items():
                    if ref.table == spec.table and ref.key == "id" and not ref.scoped_by:
                        n = len([k for k in tables[other.table].keys_where(fieldname, key) if k != key])
                        if n:
                            users.append(f"{n} {other.table} ({fieldname})")
            if users:
                referenced = FieldErrors(lenient)
                referenced.choice(
                    "id",
                    f"{spec.singular} {id} is still referenced by "
                    f"{', '.join(users)}; delete or reassign those first.",
                )
                referenced.raise_if_any()
            for child_table, fieldname in spec.cascade:
                for child in list(tables[child_table].keys_where(fieldname, key)):
                    self._delete_key(tables[child_table], child)
            self._delete_key(table, key)

    def _delete_key(self, table: Table, key: Key) -> None:
        table.pop(key)
        if table.spec.raw_get:
            self._db.blobs.pop(key, None)

    # -- snapshot -------------------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        """The whole state as JSON-able data (rows, id counters, attachment bytes as base64).
        The lock is held only to take the rows (writes replace row dicts, they never change one in
        place); copying and encoding them happen after, so other clients do not wait for it. A
        batch being committed is in it whole or not at all (the writers' lock)."""
        with self._locks.writing, self._locks.reading:
            tables = self._db.tables
            rows = {name: [t.rows[k] for k in t.order] for name, t in tables.items()}
            next_ids = {name: t.next_id for name, t in tables.items()}
            scoped = {
                name: [[s, n] for s, n in t.scoped_next.items()]
                for name, t in tables.items()
                if t.scoped_next
            }
            blobs = list(self._db.blobs.items())
            defined = {
                table: [dataclasses.asdict(f) for f in fields]
                for table, fields in self._db.custom_fields.items()
            }
        return {
            "format": STORE_SNAPSHOT_FORMAT,
            "tables": {name: [copy.deepcopy(row) for row in paced(table)] for name, table in rows.items()},
            "next_ids": next_ids,
            "scoped_next_ids": scoped,
            "blobs": [
                [list(k) if isinstance(k, tuple) else k, base64.b64encode(v).decode("ascii")]
                for k, v in blobs
            ],
            **({"custom_fields": defined} if defined else {}),
        }

    @classmethod
    def from_snapshot(
        cls, data: Mapping[str, Any], *, clock: SandboxClock, max_attachment_bytes: int = 10 * 1024 * 1024
    ) -> HaloStore:
        """Rebuild a store from `snapshot` output; raises `ValueError` on a malformed document."""
        if not isinstance(data, Mapping) or data.get("format") != STORE_SNAPSHOT_FORMAT:
            raise ValueError(f"not a store snapshot (expected format {STORE_SNAPSHOT_FORMAT!r})")
        tables = data.get("tables")
        if not isinstance(tables, Mapping) or set(tables) - set(TABLES):
            raise ValueError("snapshot 'tables' must map known table names to lists of rows")
        store = cls(seed_data={}, clock=clock, max_attachment_bytes=max_attachment_bytes)
        store._db.custom_fields = _definitions(data.get("custom_fields"))
        store._load(tables, seeds=False)
        db = store._db
        try:
            for name, n in dict(data.get("next_ids") or {}).items():
                db.tables[name].next_id = max(db.tables[name].next_id, int(n))
            for name, pairs in dict(data.get("scoped_next_ids") or {}).items():
                table = db.tables[name]
                for scope, n in pairs:
                    table.scoped_next[scope] = max(table.scoped_next.get(scope, 1), int(n))
            owners = [t.rows for t in db.tables.values() if t.spec.raw_get]
            for key, b64 in data.get("blobs") or []:
                key = tuple(key) if isinstance(key, list) else key
                if not any(key in rows for rows in owners):
                    raise ValueError(f"bytes for unknown attachment {key!r}")
                db.blobs[key] = base64.b64decode(b64, validate=True)
        except (KeyError, TypeError, ValueError, binascii.Error) as exc:
            raise ValueError(f"malformed snapshot counters or attachment bytes: {exc}") from None
        return store

    restore = from_snapshot

    # -- loading --------------------------------------------------------------------------------
    def _load(self, data: Mapping[str, Any], *, seeds: bool) -> None:
        """Load rows validated like creates (types, references). ``seeds``: fixture rows, taken
        over without copying, with the create hooks filling defaults and decoding attachment
        bytes; otherwise snapshot rows, copied and stored as they are (the mock's own checks, which
        a lenient write may have passed, accept them: `FieldErrors.choice`). Raises `ValueError`."""
        errors = FieldErrors(None if seeds else _IGNORE)
        for name in TABLES:
            table = self._db.tables[name]
            spec = table.spec
            raw_rows = data.get(name) or []
            if not isinstance(raw_rows, list):
                errors.add(name, "must be a list of rows")
                continue
            loaded = []
            for i, raw in enumerate(raw_rows):
                pause()
                prefix = f"{name}[{i}]"
                if not isinstance(raw, Mapping):
                    errors.add(prefix, "must be an object")
                    continue
                row = coerce_item(spec, raw, prefix, errors, in_place=seeds and isinstance(raw, dict))
                if row.get("id") in (None, 0, ""):
                    if spec.id_kind != "uuid":
                        errors.add(f"{prefix}.id", "Rows need an id.")
                        continue
                    row["id"] = table.new_id(row, make_uuid=_uuid)
                if spec.id_scope and row.get(spec.id_scope) in UNSET_IDS:
                    errors.add(f"{prefix}.{spec.id_scope}", f"Rows need a {spec.id_scope}.")
                    continue
                blob = self._on_write(spec, row, None, prefix, errors) if seeds else None
                loaded.append((table.key_of(row), row, blob, prefix))
            if table.sortable:
                loaded.sort(key=lambda entry: entry[0])
            for key, row, blob, prefix in loaded:
                if key in table.rows:
                    errors.add(f"{prefix}.id", f"Duplicate id {row['id']!r}.")
                    continue
                table.put(key, row, index=False)
                if blob is not None:
                    self._db.blobs[key] = blob
            table.reindex()
        for name in TABLES:  # references are checked once every table is loaded
            table = self._db.tables[name]
            for key, row in table.rows.items():
                pause()
                self._check_refs(table.spec, row, row, f"{name}[id={key!r}]", errors)
                if not seeds:  # a snapshot row must read back as a write would have been checked
                    self._check_renderable(table.spec, row, f"{name}[id={key!r}]", errors)
        if errors.map:
            raise ValueError(
                f"invalid {'seed data' if seeds else 'snapshot'}: {dict(list(errors.map.items())[:10])}"
            )

    # -- list internals -------------------------------------------------------------------------
    # -- get/delete internals -------------------------------------------------------------------
    def _key_for(self, spec: ResourceSpec, id: Any, scope: int | None) -> Key:
        if spec.id_kind == "uuid":
            text = str(id)
            table = self._db.tables[spec.table]
            if spec.alt_key and text not in table.rows and text.isascii() and text.isdigit():
                keys = table.keys_where(spec.alt_key, int(text))
                if keys:
                    return keys[0]
            return text
        try:
            text = str(id)
            if not ROUTE_INT.fullmatch(text):  # `{id:int}` takes plain ASCII digits: not 45_920, not ٤٥
                raise ValueError(text)
            number = int(text)
        except ValueError:  # ASP.NET's {id:int} route does not match: no such path
            extra = f"/{spec.path}/{id}".lower()
            if any(item.lower().startswith(extra) for item in spec.not_implemented):
                raise NotFound(f"/{spec.path}/{id} is a Halo path the mock does not implement.") from None
            raise NotFound(f"The specified URL is invalid: no {spec.path} record {id!r}.") from None
        if spec.id_scope:
            if scope is None:
                raise ValidationError(
                    {
                        spec.id_scope: [
                            f"{spec.id_scope} is required: {spec.path} ids are numbered per "
                            f"{_scope_noun(spec)}."
                        ]
                    }
                )
            return (scope, number)
        return number

    def _existing(self, spec: ResourceSpec, table: Table, key: Key, id: Any) -> Row:
        row = table.rows.get(key)
        if row is None or (spec.view and table.value(spec.view[0], row) != spec.view[1]):
            where = f" on {_scope_noun(spec)} {key[0]}" if isinstance(key, tuple) else ""
            raise NotFound(f"{spec.singular} {id}{where} not found.")
        return row

    # -- write internals ------------------------------------------------------------------------
    def _by_name(
        self, spec: ResourceSpec, item: dict[str, Any], prefix: str, errors: FieldErrors
    ) -> dict[str, Any]:
        """The item with the fields that name a record (`resources.ByName`) turned into ids."""
        if not any(name in item for name in spec.by_name):
            return item
        item = dict(item)
        for name, ref in spec.by_name.items():
            value = item.get(name)
            if isinstance(value, str) and not value.strip():
                item[name] = None  # an empty name is no name: unset
                continue
            if not isinstance(value, str):
                continue
            text = value.strip()
            if text.isascii() and text.isdigit():  # a number is an id, as for the target field
                found: Any = int(text)
            elif ref.target != name and item.get(ref.target) not in (None, "", *UNSET_IDS):
                continue  # an explicit id wins over a name
            else:
                rows = self._db.tables[ref.table].rows
                found = next(
                    (k for k, row in rows.items() if str(row.get(ref.attr) or "").lower() == text.lower()),
                    None,
                )
                if found is None:
                    errors.choice(
                        f"{prefix}.{name}", f"{table_spec(ref.table).singular} '{text[:80]}' does not exist."
                    )
                    item.pop(name)
                    continue
            item[ref.target] = found
            if ref.target != name and not ref.keep:
                item.pop(name)
        return item

    def _plan(self, spec: ResourceSpec, item: Any, prefix: str, errors: FieldErrors) -> _Plan | None:
        if not isinstance(item, dict):
            errors.add(prefix, "Each item must be a JSON object.")
            return None
        table = self._db.tables[spec.table]
        before = len(errors.map)
        row = coerce_item(spec, self._by_name(spec, item, prefix, errors), prefix, errors)
        defined = self._db.definitions(spec)
        if defined and isinstance(row.get("customfields"), list):
            old_row = self._db.tables[spec.table].rows.get(row.get("id")) if row.get("id") else None
            row["customfields"] = custom_values(
                spec, row["customfields"], old_row, prefix, errors, definitions=defined
            )
        for flag in _VALIDATE_ONLY:  # request flags, not record fields
            row.pop(flag, None)
        raw_id = row.get("id")
        old: Row | None = None
        key: Key = None
        if raw_id not in (None, "") and not (isinstance(raw_id, int) and raw_id <= 0):
            if spec.id_scope and row.get(spec.id_scope) in UNSET_IDS:
                errors.add(
                    f"{prefix}.{spec.id_scope}",
                    f"{spec.id_scope} is required to update {_with_article(spec.singular.lower())}.",
                )
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
                value = merged.get(f)
                if f == spec.id_scope and value in (None, "", 0, -1):  # Halo's unset -1 too
                    errors.add(
                        f"{prefix}.{f}",
                        f"The {f} field is required: {spec.path} are numbered per {_scope_noun(spec)}.",
                    )
                elif value in (None, "", 0):
                    errors.choice(f"{prefix}.{f}", f"The {f} field is required.")
        elif spec.id_scope and merged.get(spec.id_scope) != old.get(spec.id_scope):
            errors.add(
                f"{prefix}.{spec.id_scope}",
                f"{_with_article(spec.singular.lower()).capitalize()} "
                f"cannot move to another {_scope_noun(spec)}.",
            )
        blob = self._on_write(spec, merged, old, prefix, errors)
        self._check_refs(spec, merged, row if old is not None else merged, prefix, errors)
        if len(errors.map) > before:
            return None
        return (key, merged, old, blob)

    def _check_renderable(self, spec: ResourceSpec, row: Row, prefix: str, errors: FieldErrors) -> None:
        """Render ``row`` as a read would and refuse it when the answer could not be sent: a lone
        surrogate (not UTF-8), a computed total that overflows to infinity, nesting too deep."""
        try:
            probe = render(self._db, spec, {**row, "id": row.get("id") or 0}, detail=True, defaults=False)
            wire_check(probe)
        except (ValueError, UnicodeError, OverflowError, RecursionError, TypeError) as exc:
            errors.add(prefix or "body", f"The record cannot be saved: {wire_problem(exc)}.")

    def _on_write(
        self, spec: ResourceSpec, row: Row, old: Row | None, prefix: str, errors: FieldErrors
    ) -> bytes | None:
        hook = ON_WRITE.get(spec.on_write)
        return hook(self._db, spec, row, old, prefix, errors) if hook else None

    def _apply(self, spec: ResourceSpec, key: Key, row: Row, old: Row | None, blob: bytes | None) -> Row:
        tables = self._db.tables
        table = tables[spec.table]
        if old is None:
            row["id"] = table.new_id(row, make_uuid=_uuid)
            key = table.key_of(row)
            table.put(key, row)
        else:
            table.replace(key, row)
        if blob is not None:
            self._db.blobs[key] = blob
        for dependent in spec.reindex:
            tables[dependent].reindex()
        after = AFTER_WRITE.get(spec.after_write)
        if after:
            after(self._db, row, old)
        return row

    def _check_refs(
        self, spec: ResourceSpec, row: Row, changed: Row, prefix: str, errors: FieldErrors
    ) -> None:
        for fieldname, ref in spec.refs.items():
            if fieldname not in changed:
                continue
            value = row.get(fieldname)
            if value in UNSET_IDS:
                continue
            target = self._db.tables[ref.table]
            if ref.key != "id":
                found = bool(target.indexes[ref.key].get(value))
            elif ref.scoped_by:
                found = (row.get(ref.scoped_by), value) in target.rows
            else:
                found = value in target.rows
            if not found:
                where = f" on {_scope_noun(target.spec)} {row.get(ref.scoped_by)}" if ref.scoped_by else ""
                errors.choice(
                    f"{prefix}.{fieldname}", f"{target.spec.singular} {value}{where} does not exist."
                )


def _IGNORE(note: str) -> None:
    """A lenient sink that keeps nothing (what it would report was reported already)."""


def _uuid() -> str:
    return str(uuid.uuid4())


_VALIDATE_ONLY = ("_validate_only", "_validateonly")
"""Halo's dry-run flags (``Faults``/``Actions``: ``_validate_only``; ``QuotationHeader``:
``_validateonly``)."""


def _truthy(value: Any) -> bool:
    return value is True or value == 1 or (isinstance(value, str) and value.strip().lower() in ("true", "1"))
