"""Rendering stored rows to Halo's wire shape.

A stored row holds stored fields only. `render` adds what Halo computes: unset dates as
``0001-01-01T00:00:00``, display names of references (``ResourceSpec.names``) and the
resource's ``compute`` hook's fields (``detail`` says whether this is a ``GET /{id}`` answer
or a list row, which some resources render with fewer fields). `envelope` wraps list rows the
way the resource lists: ``{"record_count": N, <list_key>: [...]}`` or a bare array.
"""

from __future__ import annotations

import copy
from typing import Any

from halo_sandbox.mock.domain import facts
from halo_sandbox.mock.domain.query import Listing, ListQuery
from halo_sandbox.mock.domain.records import Records
from halo_sandbox.mock.domain.resources import ResourceSpec
from halo_sandbox.mock.domain.rules import COMPUTE
from halo_sandbox.mock.engine.clock import UNSET_DATE
from halo_sandbox.mock.engine.rows import Row

_TABLE_DEFAULTS: dict[str, Any] = {"int": 0, "float": 0.0, "str": "", "bool": False, "date": UNSET_DATE}


def render(db: Records, spec: ResourceSpec, row: Row, *, detail: bool, defaults: bool = True) -> Row:
    """A copy of ``row`` with its computed fields (never shares lists or dicts with the row). A
    detailed record (``GET /{id}``, a saved record) carries every field of the official schema,
    unset ones with Halo's defaults (`facts.full_record`); list rows stay lean. ``defaults=False``
    leaves out the schema's defaults (constants) and keeps everything else of the detailed record:
    what a write checks can be read back, at a fiftieth of the cost of the full record."""
    out = detailed_base(spec).copy() if detail and defaults else {}  # write-only fields left out
    out.update({k: copy.deepcopy(v) if isinstance(v, list | dict) else v for k, v in row.items()})
    for name, kind in spec.fields.items():
        if kind == "date" and name not in out:
            out[name] = UNSET_DATE
    defined = db.definitions(spec)
    if defined and not detail:  # list rows stay lean: values come with the record
        out.pop("customfields", None)
    elif defined:
        stored = {e.get("id"): e.get("value") for e in row.get("customfields") or [] if isinstance(e, dict)}
        out["customfields"] = [
            {
                "id": f.id,
                "name": f.name,
                "label": f.label,
                "type": f.type,
                "value": copy.deepcopy(stored.get(f.id, "")),
                "display": "" if stored.get(f.id) is None else str(stored.get(f.id)),
            }
            for f in defined
        ]
    for name, (ref_field, attr) in spec.names.items():
        out[name] = ref_name(db, spec, ref_field, attr, row)
    for name, attr in spec.answered_by_name.items():
        if name in out:
            out[name] = ref_name(db, spec, name, attr, row)
    hook = COMPUTE.get(spec.compute)
    if hook:
        hook(db, row, out, detail)
    return out


_BASES: dict[str, Row] = {}


def detailed_base(spec: ResourceSpec) -> Row:
    """The unset fields of a detailed ``spec`` record, built once per resource: every field of its
    official schema with Halo's default (`facts.full_record`; none when the document has no schema),
    where the table types a field differently the table's default, write-only fields left out."""
    base = _BASES.get(spec.path)
    if base is None:
        schema = facts.record_schema(spec.path)
        base = facts.full_record(schema) if schema else {}
        for name, kind in spec.fields.items():
            if name in base and kind in _TABLE_DEFAULTS:
                base[name] = _TABLE_DEFAULTS[kind]
        for name in spec.write_only:
            base.pop(name, None)
        _BASES[spec.path] = base
    return base


def ref_name(db: Records, spec: ResourceSpec, ref_field: str, attr: str, row: Row) -> str:
    """``attr`` of the row ``row[ref_field]`` refers to, ``""`` when it refers to nothing."""
    referenced = db.tables[spec.refs[ref_field].table].rows.get(row.get(ref_field))
    return referenced.get(attr, "") if referenced else ""


def envelope(spec: ResourceSpec, query: ListQuery, listing: Listing) -> Any:
    """Halo's list answer to ``query`` from what the store found: a bare array for lookups (unless
    paged with ``paged_list_key``), else ``record_count`` (all matches), ``page_no``/``page_size``
    when paged, the rows under the list key, and the resource's ``envelope_extras``."""
    rows = listing.rows
    paged = query.paged and not query.missing_required
    if spec.list_key is None and not (paged and spec.paged_list_key):
        return rows
    out: dict[str, Any] = {"record_count": listing.total}
    if paged:
        out["page_no"] = query.page_no
        out["page_size"] = query.page_size
    out[spec.list_key or spec.paged_list_key or "results"] = rows
    out.update(spec.envelope_extras)
    return out
