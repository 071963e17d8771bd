"""Generic stateful behaviour for every documented Halo resource the resource table does not model.

A *collection* is a documented path without its trailing ``{id}`` (``/Supplier`` for ``/Supplier`` and
``/Supplier/{id}``; ``/Tickets/View`` for a documented action path). Each tenant keeps, per collection:

- ``GET <collection>``: Halo's list: ``{"record_count", "<key>": [...]}`` when the documented operation
  takes ``pageinate`` (paging with ``page_no``/``page_size``, 1..100, default 50; ``count`` otherwise,
  default 50) or the collection has a known list key (`resources.GENERIC`), else a bare array;
  ``order``/``orderdesc`` and a case-insensitive ``search`` over string fields; list rows are lean
  (the fields that were set);
- ``GET <collection>/{id}``: the full record: every field of the official request schema with
  Halo's unset values (`facts.default_for`) overlaid with what was set; unknown id -> 404;
- ``POST <collection>`` (one object or an array; all-or-nothing): fields read with their official
  types (`binding.bind_item`), undocumented fields dropped and noted; ``id`` > 0 updates (404 when
  unknown), otherwise creates; ``POST <collection>/{id}`` creates or updates that id;
- ``DELETE <collection>/{id}``: removes it (404 when unknown).

Nothing here knows Halo's rules for these resources (references, computed fields, side effects):
responses carry ``X-Sandbox-Generic`` so a caller can tell. No web imports.
"""

from __future__ import annotations

import builtins
import copy
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from halo_sandbox.mock.domain import facts
from halo_sandbox.mock.domain.binding import Notes, bind_item, control_names, refuse_if_strict
from halo_sandbox.mock.domain.params import Plan, RecordLookup, plan, sort_rows
from halo_sandbox.mock.domain.resources import GENERIC_DEFAULT_SCOPE, generic_spec
from halo_sandbox.mock.engine.gil import paced
from halo_sandbox.mock.engine.wire import wire_check, wire_problem
from halo_sandbox.mock.exceptions import FieldErrors, NotFound, ValidationError

_MAX_PAGE_SIZE = 100
_DEFAULT_PAGE_SIZE = 50
LIST_PARAMS = ("pageinate", "page_size", "page_no", "count", "order", "orderdesc", "search")
"""The documented list parameters generic collections act on."""
RECEIVED = "POST "
"""Prefix of the keys under which `GenericStore.receive` keeps the bodies it records."""


@dataclass(frozen=True, kw_only=True)
class Collection:
    """One generic collection, derived from the documented paths."""

    path: str
    """The documented collection path (``/Supplier``)."""
    name: str
    list_key: str | None
    schema: str | None
    """The official schema records are typed by (the collection's POST body, else its GET tag)."""
    id_kind: str
    """``int32``, ``uuid`` or ``string``: the record schema's type of ``id``, else the documented type
    of the ``{id}`` path parameter. A ``uuid`` record numbered ``n`` has the id ``UUID(int=n)``, so an
    integer path (``/ContractSchedule/{id}`` is documented ``int32``) reaches it too."""
    read_scope: str
    edit_scope: str
    keyed: bool = True
    """Whether records answer an ``id``: only when the record schema has one (or there is no schema).
    Records of a schema without ``id`` (``EscMsg`` of ``/Notifications``, ``FaultApproval``, ...) are
    numbered by the mock all the same, so that ``{id}`` paths reach them, but the number is never
    written into what is answered: it is sent in ``RECORD_ID_HEADER`` instead."""


RECORD_ID_HEADER = "X-Sandbox-Record-Id"
"""The numbers of the records a ``POST`` saved, comma separated, where the record schema has no ``id``
(`Collection.keyed`): the sandbox's own header, the key ``GET``/``DELETE <collection>/{id}`` take."""


def collection_for(match: facts.Match) -> tuple[Collection, str | None]:
    """The collection a documented path belongs to and the record id it names (``None``: the collection)."""
    segments = match.template.strip("/").split("/")
    record_id: str | None = None
    if "{" in segments[-1] and len(segments) > 1:
        names = [n for n in match.params if "{" + n + "}" in segments[-1]]
        # ``/TicketApproval/{id}&{seq}``: the record is named by its ``id``
        record_id = match.params["id"] if "id" in names else match.params[names[0]]
        segments = segments[:-1]
    path = "/" + "/".join(segments)
    return _collection(path), record_id


_COLLECTIONS: dict[str, Collection] = {}


def _collection(path: str) -> Collection:
    found = _COLLECTIONS.get(path)
    if found is not None:
        return found
    get = facts.operation("GET", path)
    post = facts.operation("POST", path)
    item = facts.operation("GET", path + "/{id}") or facts.operation("DELETE", path + "/{id}")
    name = path.strip("/").split("/")[-1]
    spec = generic_spec(path.strip("/"))
    if spec is not None:
        list_key: str | None = spec.list_key
    elif get is not None and any(p.lower() == "pageinate" for p in get.query):
        list_key = name.lower()
    else:
        list_key = None
    schema = (post.body_schema if post and post.body else None) or (get.tag if get else None)
    if schema is not None and not facts.schema(schema):
        schema = None
    # the record schema's own `id` type wins over the path's (`ServStatus.id` is int32 under a string
    # path parameter, `ContractSchedule.id` a uuid under an int32 one)
    typed = facts.schema(schema).get("id") if schema else None
    if typed == "uuid":
        id_kind = "uuid"
    elif typed in ("int32", "int64"):
        id_kind = "int32"
    else:
        id_kind = "string" if item and item.path_params.get("id") in ("string", "uuid") else "int32"
    found = Collection(
        path=path,
        name=name,
        list_key=list_key,
        schema=schema,
        id_kind=id_kind,
        read_scope=spec.read_scope if spec else GENERIC_DEFAULT_SCOPE,
        edit_scope=spec.edit_scope if spec else GENERIC_DEFAULT_SCOPE,
        keyed=schema is None or "id" in facts.schema(schema),
    )
    _COLLECTIONS[path] = found
    return found


class _Rows:
    def __init__(self) -> None:
        self.rows: dict[Any, dict[str, Any]] = {}
        self.next_id = 1


class GenericStore:
    """One tenant's records of the generic collections (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._data: dict[str, _Rows] = {}

    def _rows(self, collection: Collection) -> _Rows:
        return self._rows_at(collection.path)

    def _rows_at(self, path: str) -> _Rows:
        rows = self._data.get(path)
        if rows is None:
            rows = self._data[path] = _Rows()
        return rows

    # -- reads ------------------------------------------------------------------------------------
    def list(
        self,
        *,
        collection: Collection,
        params: Mapping[str, Any],
        me: Callable[[], int | None] | None = None,
        user: Callable[[], Mapping[str, Any] | None] | None = None,
        lookup: RecordLookup | None = None,
        keys: builtins.list[Any] | None = None,
    ) -> Any:
        """The collection's rows in Halo's envelope (or a bare array); ``params`` are typed,
        lower-cased documented parameters (`binding.bind_query`); ``me``: the id of the agent the
        token acts as and ``user`` the end-user record linked to it (`params.Plan.read`);
        ``lookup``: the store's records, for the parameters about a related record
        (``toplevel_id``: the client's); none: such records are empty; ``keys``: given a list,
        the keys of the rows answered are appended to it, in order (`RECORD_ID_HEADER`)."""
        with self._lock:
            rows = [dict(row) for row in self._rows(collection).rows.values()]
        rules = list_plan(collection).read(params, me=me, user=user)
        every = rows
        if rules.filters:
            predicates = rules.bind(lookup or _nothing)
            rows = [r for r in rows if all(p(r) for p in predicates)]
        search = str(params.get("search") or "").strip().lower()
        if search:
            rows = [
                r
                for r in rows
                if any(isinstance(v, str) and search in v.lower() for v in r.values())
                or (search.isdigit() and str(r.get("id")) == search)
            ]
        if rules.either:  # an OR condition over the other filters (`params.ParamQuery.either`)
            kept = {id(r) for r in rows}
            rows = [r for r in every if id(r) in kept or any(p(r) for p in rules.either)]
        order = str(params.get("order") or "").strip()
        desc = bool(params.get("orderdesc"))
        if order or rules.then:
            levels = (((order.lower(), desc),) if order else ()) + rules.then
            sort_rows(rows, levels, _field_value)
        elif desc:
            rows.reverse()
        rules.put_first(rows, _field_value)
        if rules.shapes:
            full = facts.full_record(collection.schema) if collection.schema else {}
            rows = [rules.shape(r, full) for r in rows]
        total = len(rows)
        envelope: dict[str, Any] = {"record_count": total}
        if collection.list_key is None:
            page = rows
        elif params.get("pageinate"):
            size = min(max(int(params.get("page_size") or _DEFAULT_PAGE_SIZE), 1), _MAX_PAGE_SIZE)
            number = max(int(params.get("page_no") or 1), 1)
            envelope["page_no"], envelope["page_size"] = number, size
            page = rows[(number - 1) * size : number * size]
        else:
            count = params.get("count")
            page = rows[: _DEFAULT_PAGE_SIZE if count is None else max(int(count), 0)]
        if keys is not None:
            keys.extend(r.get("id") for r in page)
        if not collection.keyed:
            page = [{k: v for k, v in r.items() if k != "id"} for r in page]
        if collection.list_key is None:
            return page
        envelope[collection.list_key] = page
        return envelope

    def get(self, *, collection: Collection, id: str) -> dict[str, Any]:
        """The full record (every documented field); raises `NotFound`."""
        key = _key(collection, id)
        with self._lock:
            row = self._rows(collection).rows.get(key)
            if row is None:
                raise NotFound(f"{collection.name} {id} not found.")
            return self._full(collection, row)

    # -- writes -----------------------------------------------------------------------------------
    def post(
        self,
        *,
        collection: Collection,
        body: Any,
        notes: Notes,
        id: str | None = None,
        strict: bool = False,
        keys: builtins.list[Any] | None = None,
    ) -> Any:
        """Create or update (Halo's POST): one object or an array of them, all-or-nothing. Returns
        the saved record for one item, a list for several. ``strict``: refuse (before writing) when
        the body carries anything Halo would ignore (`binding.StrictRefusal`). ``keys``: given a list,
        the saved records' keys are appended to it (`RECORD_ID_HEADER`). A body ``id`` is only read
        where the record schema has one (`Collection.keyed`); elsewhere it is an undocumented field."""
        items = [body] if isinstance(body, dict) else body
        if not isinstance(items, list):
            raise ValidationError({"": ["The request body must be a JSON object or an array of objects."]})
        if not items:  # nothing to save: the mock's own refusal only in strict mode
            empty = FieldErrors(None if strict else notes.add)
            empty.choice("", "The request body is an empty array; nothing to save.")
            empty.raise_if_any()
            return []
        schema = facts.schema(collection.schema) if collection.schema else {}
        errors: dict[str, list[str]] = {}
        bound = []
        for i, item in enumerate(paced(items)):
            prefix = f"[{i}]"
            if not isinstance(item, dict):
                errors.setdefault(prefix, []).append("Each item must be a JSON object.")
                continue
            if schema:
                row = bind_item(
                    schema,
                    item,
                    schema_name=collection.schema or "",
                    prefix=prefix,
                    notes=notes,
                    errors=errors,
                    keep=("id",) if collection.keyed else (),
                )
            else:
                control_names(item, prefix=prefix, errors=errors)
                row = copy.deepcopy(item)
            try:  # nothing is stored that could not be sent back (as the table's resources check)
                wire_check(row)
            except (ValueError, UnicodeError, OverflowError, RecursionError, TypeError) as exc:
                errors.setdefault(prefix, []).append(f"The record cannot be saved: {wire_problem(exc)}.")
            bound.append((prefix, row))
        if errors:
            raise ValidationError(errors)
        refuse_if_strict(notes, strict=strict)
        with self._lock:
            rows = self._rows(collection)
            plans = []
            for _prefix, row in bound:
                raw_id = id if id is not None else row.get("id")
                key = None
                if raw_id not in (None, "", 0) and not (isinstance(raw_id, int) and raw_id < 0):
                    try:
                        key = _key(collection, str(raw_id))
                    except NotFound:  # not an id this collection can have: a create, as for id 0
                        key = None
                    if key is not None and id is None and key not in rows.rows:
                        raise NotFound(f"{collection.name} {raw_id} not found.")
                plans.append((key, {k: v for k, v in row.items() if v is not None and k != "id"}))
            if errors:
                raise ValidationError(errors)
            saved = []
            for key, row in plans:
                if key is None:
                    number = rows.next_id
                    while _new_key(collection, number) in rows.rows:
                        number += 1
                    rows.next_id = number + 1
                    key = _new_key(collection, number)
                elif isinstance(key, int):
                    rows.next_id = max(rows.next_id, key + 1)
                merged = {**rows.rows.get(key, {}), **row, "id": key}
                rows.rows[key] = merged
                saved.append(merged)
                if keys is not None:
                    keys.append(key)
        # answered outside the lock (a stored row is replaced, never changed in place): readers of the
        # collection do not wait while a batch's full records are built
        out = [self._full(collection, row) for row in paced(saved)]
        return out[0] if len(out) == 1 else out

    def receive(self, *, collection: Collection, body: Any) -> dict[str, Any]:
        """Record a ``POST`` whose body is not records (ids, a string, a form: the operation's effect
        is not modelled): kept as ``{"id", "body"}`` under ``POST <collection>`` (in snapshots, never
        listed as records of the collection) and answered."""
        with self._lock:
            rows = self._rows_at(RECEIVED + collection.path)
            entry = {"id": rows.next_id, "body": copy.deepcopy(body)}
            rows.rows[rows.next_id] = entry
            rows.next_id += 1
            return copy.deepcopy(entry)

    def delete(self, *, collection: Collection, id: str) -> None:
        key = _key(collection, id)
        with self._lock:
            if self._rows(collection).rows.pop(key, None) is None:
                raise NotFound(f"{collection.name} {id} not found.")

    # -- snapshot ---------------------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                path: {"next_id": rows.next_id, "rows": copy.deepcopy(list(rows.rows.values()))}
                for path, rows in self._data.items()
                if rows.rows
            }

    @classmethod
    def from_snapshot(cls, data: Mapping[str, Any]) -> GenericStore:
        """Rebuild from `snapshot` output; raises `ValueError` on a malformed document."""
        store = cls()
        if not isinstance(data, Mapping):
            raise ValueError("generic records must be an object of collection path -> rows")
        for path, entry in data.items():
            if not isinstance(entry, Mapping) or not isinstance(entry.get("rows"), list):
                raise ValueError(f"generic collection {path!r} needs a list of rows")
            rows = store._data[str(path)] = _Rows()
            for row in entry["rows"]:
                if not isinstance(row, dict) or "id" not in row:
                    raise ValueError(f"generic collection {path!r}: every row needs an id")
                rows.rows[row["id"]] = copy.deepcopy(row)
            next_id = entry.get("next_id", 1)
            if not isinstance(next_id, int) or isinstance(next_id, bool):
                raise ValueError(f"generic collection {path!r}: next_id must be an integer")
            rows.next_id = next_id
        return store

    def counts(self) -> dict[str, int]:
        with self._lock:
            return {path: len(rows.rows) for path, rows in self._data.items() if rows.rows}

    @staticmethod
    def _full(collection: Collection, row: Mapping[str, Any]) -> dict[str, Any]:
        out = facts.full_record(collection.schema) if collection.schema else {}
        out.update(copy.deepcopy(dict(row)))
        if not collection.keyed:
            out.pop("id", None)
        return out


def _new_key(collection: Collection, number: int) -> Any:
    if collection.id_kind == "int32":
        return number
    return str(uuid.UUID(int=number)) if collection.id_kind == "uuid" else str(number)


def _key(collection: Collection, id: str) -> Any:
    if collection.id_kind == "uuid":
        text = str(id).strip()
        try:
            return (
                str(uuid.UUID(int=int(text))) if text.isascii() and text.isdigit() else str(uuid.UUID(text))
            )
        except ValueError:
            raise NotFound(f"The specified URL is invalid: no {collection.name} record {id!r}.") from None
    if collection.id_kind == "string":
        return id
    text = str(id)
    if text.isascii() and text.isdigit() and 0 < int(text) < 2**31:
        return int(text)
    raise NotFound(f"The specified URL is invalid: no {collection.name} record {id!r}.")


def _field_value(row: Mapping[str, Any], name: str) -> Any:
    """A row's value of ``name`` (an ``order`` parameter: case-insensitive)."""
    if name in row:
        return row[name]
    return next((v for k, v in row.items() if k.lower() == name), None)


def list_plan(collection: Collection) -> Plan:
    """The documented list parameters of a collection the rules act on (`params.plan`), besides
    `LIST_PARAMS`."""
    return plan(facts.operation("GET", collection.path), collection.schema, taken=frozenset(LIST_PARAMS))


def list_params(collection: Collection) -> tuple[str, ...]:
    """Every documented list parameter a collection acts on."""
    return LIST_PARAMS + tuple(list_plan(collection).actions)


def _nothing(_path: str, _id: Any) -> None:
    """A `RecordLookup` finding no record."""
    return None
