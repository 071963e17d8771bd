"""Lean results: records without the fields that hold Halo's unset value, counted.

Halo answers a record read by id (and a saved record) with every field of its schema, most of them
unset: client 104 has 468 fields, 459 of them `""`, `0`, `false`, `[]` or `1900-01-01T00:00:00`.
By default a get, list, create or update result leaves out each field whose value is the unset value
Halo's official OpenAPI document gives that field, and says how many it left out
(`"omitted": {"fields": N, ...}` beside `"result"`). Which value is unset is decided per field, from the
field's declared type in the document (`python -m halo_sandbox.server.generate` derives it into
`unset_values.json`, the checked-in artefact read here; the server never reads the document at run
time):

- integers and numbers `0`, booleans `false`, strings `""`, arrays `[]`, date-times
  `1900-01-01T00:00:00` (Halo's unset date; `1899-...` too), uuids the nil uuid;
- enumerations and nested records: only `null` (an enumeration's `0` names a member: information);
  `null` is unset for every documented field (Halo leaves nested records `null` until set);
- `id`, and every field the document does not declare for the resource, are always kept.

Nested records are kept whole. `full_result=true` returns Halo's record unchanged;
`result_fields=[...]` returns only those fields (and `id`), unset or not.
"""

from __future__ import annotations

import functools
import importlib.resources
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = [
    "FIELDS_ARGUMENT",
    "FULL_ARGUMENT",
    "RESULT_ARGUMENTS",
    "Shaped",
    "UnsetFields",
    "shape",
    "unset_fields",
]

UNSET_ARTEFACT = "unset_values.json"
FIELDS_ARGUMENT = "result_fields"
FULL_ARGUMENT = "full_result"
RESULT_ARGUMENTS = frozenset({FIELDS_ARGUMENT, FULL_ARGUMENT})
"""The server's own arguments of get, list, create and update tools (never sent to Halo). Not `fields`
or `full`: some of Halo's records have fields of those names (`Outcome.fields`, ...)."""

_ALWAYS = frozenset({"id"})
_NUMBER, _FALSE, _EMPTY, _LIST, _DATE, _UUID, _NULL = range(7)
_KINDS = {'""': _EMPTY, "0": _NUMBER, "false": _FALSE, "[]": _LIST}
_UNSET_DATES = ("1900-01-01T00:00:00", "1899-")
_NIL_UUID = "00000000-0000-0000-0000-000000000000"


@dataclass(frozen=True, slots=True)
class UnsetFields:
    """The documented fields of one resource's records: field -> kind of its unset value (`null` is
    unset for each of them too). `table`: the same as the lean filter reads it (`_lean`): field ->
    (its unset value, the JSON types that value may come as, the prefixes of unset date-times)."""

    schema: str
    kinds: Mapping[str, int]
    table: Mapping[str, tuple[Any, tuple[type, ...], tuple[str, ...] | None]]


@functools.cache
def _artefact() -> Mapping[str, Any]:
    text = (
        importlib.resources.files("halo_sandbox.server").joinpath(UNSET_ARTEFACT).read_text(encoding="utf-8")
    )
    resources: Mapping[str, Any] = json.loads(text)["resources"]
    return {path.lower(): raw for path, raw in resources.items()}


@functools.cache
def unset_fields(path: str) -> UnsetFields | None:
    """The unset values of the records of the resource at `path` (`/Client`), or None when Halo's
    document gives its records no schema (then nothing is left out)."""
    raw = _artefact().get(path.lower())
    if raw is None:
        return None
    kinds: dict[str, int] = {}
    for unset, fields in raw["unset"].items():
        if unset in _KINDS:
            kind = _KINDS[unset]
        elif unset == "null":
            kind = _NULL
        else:
            value = json.loads(unset)
            kind = _UUID if value == _NIL_UUID else _DATE
        for name in fields:
            kinds[name] = kind
    table = {f: _TABLE[k] for f, k in kinds.items() if f not in _ALWAYS}
    return UnsetFields(schema=raw["schema"], kinds=kinds, table=table)


class _Never:
    """Equal to nothing: the unset value of a kind whose only unset value is `null`."""

    def __eq__(self, other: object) -> bool:
        return False

    __hash__ = object.__hash__


_TABLE: Mapping[int, tuple[Any, tuple[type, ...], tuple[str, ...] | None]] = {
    _NUMBER: (0, (int, float), None),
    _FALSE: (False, (bool,), None),
    _EMPTY: ("", (str,), None),
    _LIST: ([], (list,), None),
    _UUID: (_NIL_UUID, (str,), None),
    _DATE: (_UNSET_DATES[0], (str,), _UNSET_DATES),
    _NULL: (_Never(), (), None),
}
"""Per kind: the value that is unset (besides `null`), the JSON types it may come as (`0` or `0.0` in a
number field; never `false`, equal to `0` in Python), and for date-times the prefixes that are unset
too (`1899-...`)."""


_WHY = {
    False: "unset (Halo's default value for the field); full_result=true returns them",
    True: "not in result_fields; full_result=true returns every field",
}


@dataclass(frozen=True, slots=True)
class Shaped:
    result: Any
    omitted: int
    not_found: tuple[str, ...] = ()
    selected: bool = False

    def members(self) -> dict[str, Any]:
        """What the structured content carries beside `result`."""
        out: dict[str, Any] = {}
        if self.omitted:
            out["omitted"] = {"fields": self.omitted, "why": _WHY[self.selected]}
        if self.not_found:
            out["fields_not_found"] = list(self.not_found)
        return out


def _lean(record: dict[str, Any], unset: UnsetFields) -> tuple[dict[str, Any], int]:
    # A detailed ticket has ~890 fields, most of them unset: one pass, one table lookup per field, no
    # call; undeclared fields (and `id`) have no entry and are kept.
    entry_of = unset.table.get
    kept: dict[str, Any] = {}
    for k, v in record.items():
        entry = entry_of(k)
        if entry is not None:
            value, types, prefixes = entry
            if (
                v is None
                or (v == value and type(v) in types)
                or (prefixes is not None and type(v) is str and v.startswith(prefixes))
            ):
                continue
        kept[k] = v
    return kept, len(record) - len(kept)


def _select(record: dict[str, Any], fields: Sequence[str]) -> tuple[dict[str, Any], int]:
    kept = {k: record[k] for k in record if k in _ALWAYS or k in fields}
    return kept, len(record) - len(kept)


def shape(path: str, value: Any, *, fields: Sequence[str] | None = None, full: bool = False) -> Shaped:
    """`value` (one record, or a list of them) as a result: whole when `full`, else only `fields`
    when given, else lean (`UnsetFields`). Anything that is not a record is returned unchanged."""
    if full:
        return Shaped(value, 0)
    unset = unset_fields(path) if fields is None else None
    if fields is None and unset is None:
        return Shaped(value, 0)
    omitted = 0
    seen: set[str] = set()

    def one(record: Any) -> Any:
        nonlocal omitted
        if not isinstance(record, dict):
            return record
        seen.update(record)
        if fields is not None:
            kept, dropped = _select(record, fields)
        else:
            assert unset is not None
            kept, dropped = _lean(record, unset)
        omitted += dropped
        return kept

    result = [one(r) for r in value] if isinstance(value, list) else one(value)
    not_found = tuple(f for f in fields if f not in seen) if fields is not None and seen else ()
    return Shaped(result, omitted, not_found, selected=fields is not None)
