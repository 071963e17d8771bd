"""Value coercion: body values to the field types of the resource table (`resources.FieldType`).

Halo's ASP.NET JSON binder is lenient in known ways (``"21"`` and ``21.0`` bind to an int,
``"true"`` to a bool, ISO-8601 with an offset to a UTC date-time) and refuses the rest with a
message naming the path; `coerce` mirrors it. `coerce_item` applies a resource's ``fields`` to
one posted object, dropping fields the store computes and keeping unknown ones as sent.
"""

from __future__ import annotations

import copy
import functools
import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Literal

from halo_sandbox.mock.domain import facts
from halo_sandbox.mock.domain.binding import BadValue, body_value
from halo_sandbox.mock.domain.resources import FieldType, ResourceSpec
from halo_sandbox.mock.engine.rows import Row
from halo_sandbox.mock.exceptions import FieldErrors

INT_MIN, INT_MAX = -(2**31), 2**31 - 1
"""Halo's ids and integer fields are int32."""
_FLOAT_MAX = int(1.7976931348623157e308)
MIN_YEAR, MAX_YEAR = 1, 9999
"""Dates .NET's ``DateTime`` holds (Halo's binder refuses the others)."""
SQL_MIN_YEAR = 1753
"""SQL Server's ``datetime`` starts here: earlier dates are the mock's own check (`coerce_item`)."""
_EXACT: dict[str, type[Any]] = {
    "int": int,
    "float": float,
    "str": str,
    "bool": bool,
    "list": list,
    "object": dict,
}
_CANONICAL_DATE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")


_KEPT = frozenset({"id"})
"""Body fields kept although no official schema lists them."""


@functools.cache
def _official(resource_path: str) -> Mapping[str, str]:
    """Field -> official type of the resource's records (empty when Halo documents no body)."""
    name = facts.record_schema(resource_path)
    return facts.schema(name) if name else {}


class CoercionError(Exception):
    """A value that does not convert to its field type; the message is Halo-style."""


def coerce(kind: FieldType, value: Any, *, id_kind: Literal["int", "uuid"] = "int") -> Any:
    """``value`` as a ``kind`` value (``None`` stays ``None``; an unset Halo date becomes
    ``None``); raises `CoercionError`. ``id_kind`` says what an ``id`` field holds."""
    if value is None:
        return None
    exact = _EXACT.get(kind)
    if (
        exact is not None
        and type(value) is exact
        and (exact is not int or INT_MIN <= value <= INT_MAX)
        and (exact is not float or math.isfinite(value))
    ):
        return value
    if (
        kind == "date"
        and type(value) is str
        and _CANONICAL_DATE.fullmatch(value)
        and value[:4] not in ("1899", "1900")
        and str(SQL_MIN_YEAR) <= value[:4]
    ):
        return value
    if kind == "id":
        if type(value) is int and 0 < value <= INT_MAX:
            return value
        if id_kind == "uuid":
            if not isinstance(value, str):
                raise CoercionError(f"Could not convert {value!r} to a uuid string.")
            return value
        return coerce("int", value)
    if kind == "int":
        if isinstance(value, bool):
            raise CoercionError(f"Could not convert boolean to integer: {str(value).lower()}.")
        if isinstance(value, int):
            if not INT_MIN <= value <= INT_MAX:
                raise CoercionError(
                    f"Could not convert value to integer: {value} is outside the int32 range."
                )
            return value
        if isinstance(value, float) and value.is_integer():
            return coerce("int", int(value))
        if isinstance(value, str):
            try:
                return coerce("int", int(value.strip()))
            except ValueError:
                raise CoercionError(f"Could not convert string to integer: {value}.") from None
        raise CoercionError(f"Could not convert {type(value).__name__} to integer: {value!r}.")
    if kind == "float":
        if isinstance(value, bool):
            raise CoercionError("Could not convert boolean to number.")
        if isinstance(value, str):
            try:
                value = float(value)
            except ValueError:
                raise CoercionError(f"Could not convert string to number: {value}.") from None
        if isinstance(value, int) and not -_FLOAT_MAX <= value <= _FLOAT_MAX:
            raise CoercionError(f"Could not convert {str(value)[:40]}... to a number: it is out of range.")
        if isinstance(value, int | float):
            if not math.isfinite(value):
                raise CoercionError(f"Could not convert {value} to a finite number.")
            return value
        raise CoercionError(f"Could not convert {type(value).__name__} to number.")
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        raise CoercionError(f"Could not convert {value!r} to boolean.")
    if kind == "str":
        if isinstance(value, str):
            return value
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value)
        raise CoercionError(f"Expected a string, got {type(value).__name__}.")
    if kind == "date":
        if not isinstance(value, str):
            raise CoercionError(f"Could not convert {value!r} to a date.")
        text = value.strip()
        if not text or text.startswith(("1899", "1900-01-01")):
            return None
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
            if not MIN_YEAR <= parsed.year <= MAX_YEAR:
                raise ValueError(f"years {MIN_YEAR}-{MAX_YEAR}")
            if parsed.tzinfo is not None:
                parsed = parsed.astimezone(UTC).replace(tzinfo=None)
            return parsed.replace(microsecond=0).isoformat()
        except (ValueError, OverflowError):  # also a date an offset moves past year 9999
            raise CoercionError(f"Could not convert string to DateTime: {value[:64]}.") from None
    if kind == "list":
        if not isinstance(value, list):
            raise CoercionError(f"Expected an array, got {type(value).__name__}.")
        return value
    if kind == "object":
        if not isinstance(value, dict):
            raise CoercionError(f"Expected an object, got {type(value).__name__}.")
        return value
    raise AssertionError(kind)  # pragma: no cover


def coerce_lines(line_fields: Mapping[str, FieldType], value: Any) -> list[Row]:
    """A ``lines`` field: a list of line objects whose known fields are coerced (others kept)."""
    if not isinstance(value, list):
        raise CoercionError(f"Expected an array of lines, got {type(value).__name__}.")
    lines = []
    for n, line in enumerate(value):
        if not isinstance(line, dict):
            raise CoercionError(f"Line [{n}] must be an object.")
        out: Row = {}
        for name, v in line.items():
            kind = line_fields.get(name)
            if kind and v is None:
                continue  # null unsets a line's field as it does a record's
            try:
                out[name] = coerce(kind, v) if kind else v
            except CoercionError as bad:
                raise CoercionError(f"Line [{n}].{name}: {bad}") from None
        lines.append(out)
    return lines


def _is_canonical(kind: FieldType, value: Any) -> bool:
    """Already stored form (the fast path for seed rows and well-formed bodies)."""
    return (
        type(value) is _EXACT.get(kind)
        and (kind != "int" or INT_MIN <= value <= INT_MAX)
        and (kind != "float" or math.isfinite(value))
    ) or (
        kind == "date"
        and type(value) is str
        and bool(_CANONICAL_DATE.fullmatch(value))
        and value[:4] not in ("1899", "1900")
        and str(SQL_MIN_YEAR) <= value[:4]
    )


def coerce_item(
    spec: ResourceSpec, item: Mapping[str, Any], prefix: str, errors: FieldErrors, *, in_place: bool = False
) -> Row:
    """The item with known fields coerced and computed fields dropped; each bad value is added
    to ``errors`` under ``<prefix>.<field>`` and left out. ``in_place`` edits and returns
    ``item`` itself (seed rows, which the store takes over) instead of a copy."""
    row: Row = item if in_place and isinstance(item, dict) else {}
    computed = spec.read_only
    fields = spec.fields
    official = _official(spec.path)
    for name, value in list(item.items()) if in_place else item.items():
        kind = fields.get(name)
        if kind is None:
            if name in computed:
                row.pop(name, None)
            elif in_place:
                continue  # seed and snapshot rows are the sandbox's own: kept as they are
            elif name in official:  # a documented field the table does not model: its official type
                try:
                    converted, _ = body_value(official[name], value)
                except BadValue as bad:
                    errors.add(f"{prefix}.{name}", f"{bad} Path '{prefix}.{name}'.")
                    continue
                row[name] = copy.deepcopy(converted) if isinstance(converted, list | dict) else converted
            elif name in _KEPT:
                row[name] = copy.deepcopy(value) if isinstance(value, list | dict) else value
            # anything else is not a field of Halo's record: Halo ignores it, so does the store
            continue
        if value is None and kind == "lines":
            row[name] = None  # unset, as for any other field
            continue
        if kind == "bool" and type(value) is int and _official(spec.path).get(name) in ("int32", "int64"):
            row[name] = bool(value)  # Halo types this field as an integer: any number binds
            continue
        if _is_canonical(kind, value):
            if not in_place:
                row[name] = copy.deepcopy(value) if isinstance(value, list | dict) else value
            continue
        try:
            row[name] = (
                coerce(kind, value, id_kind=spec.id_kind)
                if kind != "lines"
                else coerce_lines(spec.line_fields, value)
            )
        except CoercionError as bad:
            row.pop(name, None)
            errors.add(f"{prefix}.{name}", f"{bad} Path '{prefix}.{name}'.")
            continue
        if kind == "date" and isinstance(row.get(name), str) and row[name][:4] < f"{SQL_MIN_YEAR}":
            if not errors.choice(
                f"{prefix}.{name}",
                f"Could not convert string to DateTime: {str(value)[:64]} is before {SQL_MIN_YEAR} "
                "(SQL Server's datetime).",
            ):
                row.pop(name, None)
    return row
