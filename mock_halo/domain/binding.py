"""Model binding against Halo's official contract: every documented parameter and body field is read
with its official type (`mock_halo.facts`), and whatever real Halo would ignore, or the mock cannot
honour, becomes a *note*.

Notes are the sandbox's own addition (strict mode): the routes attach them to the request, the
middleware records them in the journal and the ``X-Sandbox-Ignored`` response header, and a strict
tenant refuses the request with 400 instead (`StrictRefusal`) before anything is written.

What makes a note:
- a query parameter the operation does not document (Halo's binder ignores it);
- a documented query parameter the mock does not act on (Halo would; the mock answers as if absent);
- a body field the request schema does not have (Halo ignores it; the mock drops it);
- a value Halo's binder converts (``"5"`` for an integer, ``1`` for a boolean, ``5`` for a string).

A value that cannot be converted to the official type is a 400 in every mode (ASP.NET model binding,
``FIDELITY.md``), collected as ``{name: [message]}``.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from halo_sandbox.mock.domain.facts import Operation, facts
from halo_sandbox.mock.exceptions import PayloadTooLarge, StrictRefusal, ValidationError

NOTES_HEADER = "X-Sandbox-Ignored"
GENERIC_HEADER = "X-Sandbox-Generic"
_INT32 = (-(2**31), 2**31 - 1)
_INT64 = (-(2**63), 2**63 - 1)
_ASCII_INT = re.compile(r"\s*[+-]?[0-9]+\s*")
_ASCII_NUMBER = re.compile(r"\s*[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?\s*")
_MAX_HEADER = 2000


class _Bad(Exception):
    pass


MAX_NOTES = 50
"""Notes kept per request (header, journal entry, strict refusal); the rest are counted, not kept."""
_MAX_NOTE = 300
"""Characters kept of one note (a 70,000-character field name is named, not copied)."""
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def _escaped(match: re.Match[str]) -> str:
    code = ord(match[0])
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` with every control character (C0, DEL, C1: CR, LF, NUL...) written as ``\\xNN`` and
    every lone surrogate as ``\\uXXXX``, so it can be echoed in a header, a journal entry, a console
    line or a JSON answer."""
    return _UNPRINTABLE.sub(_escaped, text)


def has_control(name: str) -> bool:
    """True when ``name`` holds a control character (a name that cannot be echoed as it is)."""
    return _CONTROL.search(name) is not None


_NAME_REFUSED = (
    "A {what} name may not contain control characters (CR, LF, NUL...): {name} (shown escaped); "
    "nothing was saved."
)


def control_names(
    names: Iterable[str], *, prefix: str, errors: dict[str, list[str]], what: str = "field"
) -> None:
    """Collect in ``errors`` every name of ``names`` holding a control character (refused in every
    mode: such a name cannot be noted, journalled or sent back in a header)."""
    for name in names:
        if has_control(name):
            shown = printable(name)[:_MAX_NOTE]
            key = f"{prefix}.{shown}" if prefix else shown
            errors.setdefault(key, []).append(_NAME_REFUSED.format(what=what, name=shown))


@dataclass
class Notes:
    """What one request carried that Halo would ignore or the mock cannot honour: a set in the order
    the notes came, at most ``limit`` kept (the others counted), each printable and at most
    `_MAX_NOTE` characters."""

    limit: int = MAX_NOTES
    _kept: dict[str, None] = field(default_factory=dict)
    _dropped: set[int] = field(default_factory=set)
    """Hashes of the notes not kept (distinct ones are counted without keeping their text)."""

    def add(self, message: str) -> None:
        message = printable(message[: _MAX_NOTE * 4])
        if len(message) > _MAX_NOTE:
            message = message[: _MAX_NOTE - 3] + "..."
        if message in self._kept:
            return
        if len(self._kept) < self.limit:
            self._kept[message] = None
        else:
            self._dropped.add(hash(message))

    @property
    def dropped(self) -> int:
        """Distinct notes beyond ``limit`` (counted, not kept)."""
        return len(self._dropped)

    @property
    def items(self) -> tuple[str, ...]:
        """The kept notes, then how many more were dropped (when any were)."""
        kept = tuple(self._kept)
        if self._dropped:
            return (*kept, f"... and {self.dropped} more notes (not kept: at most {self.limit} a request)")
        return kept

    def __bool__(self) -> bool:
        return bool(self._kept)

    def header(self) -> str:
        """The notes as one latin-1-safe header value (truncated)."""
        text = "; ".join(self.items)
        text = text.encode("ascii", "backslashreplace").decode("ascii")
        return text if len(text) <= _MAX_HEADER else text[: _MAX_HEADER - 3] + "..."


def _query_value(kind: str, raw: str) -> tuple[Any, bool]:
    """``(value, converted)``: the parameter read with its official type; raises `_Bad`."""
    text = raw.strip()
    if kind == "boolean":
        low = text.lower()
        if low in ("true", "false"):
            return low == "true", text != low
        if low in ("1", "0"):
            return low == "1", True
        raise _Bad(f"The value '{raw}' is not valid for a boolean (true or false).")
    if kind in ("int32", "int64"):
        least, most = _INT32 if kind == "int32" else _INT64
        if _ASCII_INT.fullmatch(raw) and least <= int(text) <= most:
            return int(text), text != raw
        raise _Bad(f"The value '{raw}' is not valid for an integer ({kind}).")
    if kind in ("double", "float"):
        if _ASCII_NUMBER.fullmatch(raw) and math.isfinite(float(text)):
            return float(text), False
        raise _Bad(f"The value '{raw}' is not valid for a number.")
    if kind == "date-time":
        try:
            datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise _Bad(f"The value '{raw}' is not valid for a date-time.") from None
        return text, False
    if kind == "uuid":
        try:
            return str(uuid.UUID(text)), False
        except ValueError:
            raise _Bad(f"The value '{raw}' is not valid for a uuid.") from None
    if kind == "array<int32>":
        parts = [p for p in text.split(",") if p.strip()]
        if all(_ASCII_INT.fullmatch(p) and _INT32[0] <= int(p) <= _INT32[1] for p in parts):
            return [int(p) for p in parts], False
        raise _Bad(f"The value '{raw}' is not valid: expected comma-separated integers.")
    return raw, False


def bind_query(
    operation: Operation | None,
    params: Iterable[tuple[str, str]],
    *,
    implemented: Iterable[str],
    notes: Notes,
    always: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Every documented parameter of ``operation`` read with its official type (lower-cased names).
    Undocumented parameters and documented ones the mock ignores are noted; unconvertible values
    raise `ValidationError` (all of them at once). ``always`` maps parameters the mock reads on
    this path although the document does not list them to the type the mock reads them with
    (bound like documented ones, and noted as undocumented all the same)."""
    documented = {name.lower(): (name, kind) for name, kind in (operation.query if operation else {}).items()}
    used = {p.lower() for p in implemented}
    extra = {p.lower(): kind for p, kind in (always or {}).items()}
    where = f"{operation.method} {operation.template}" if operation else "this path"
    errors: dict[str, list[str]] = {}
    params = list(params)
    control_names((name for name, _raw in params), prefix="", errors=errors, what="query parameter")
    if errors:
        raise ValidationError(errors)
    out: dict[str, Any] = {}
    for name, raw in params:
        low = name.lower()
        if low not in documented:
            notes.add(f"query {name}: not a documented parameter of {where}; Halo ignores it")
            if low in extra and raw != "":
                try:
                    out[low] = _query_value(extra[low], raw)[0]
                except _Bad as bad:
                    errors.setdefault(name, []).append(str(bad))
            continue
        if raw == "":
            continue
        _official, kind = documented[low]
        try:
            value, converted = _query_value(kind, raw)
        except _Bad as bad:
            errors.setdefault(name, []).append(str(bad))
            continue
        if converted:
            notes.add(f"query {name}={raw}: converted to {kind} {value!r}")
        if low not in used:
            notes.add(f"query {name}: documented, but the mock does not act on it (answered as if absent)")
        out[low] = value
    if errors:
        raise ValidationError(errors)
    return out


def body_value(kind: str, value: Any) -> tuple[Any, bool]:
    """``(value, converted)``: a JSON body value read as Halo's JSON binder reads ``kind``; raises
    `_Bad` (exported as `BadValue`) when it cannot."""
    if value is None:
        return None, False
    if kind in ("int32", "int64"):
        low, high = _INT32 if kind == "int32" else _INT64
        if isinstance(value, bool):
            raise _Bad(f"Could not convert boolean to integer: {str(value).lower()}.")
        if isinstance(value, float) and value.is_integer():
            value, converted = int(value), True
        elif isinstance(value, str) and _ASCII_INT.fullmatch(value):
            value, converted = int(value.strip()), True
        else:
            converted = False
        if isinstance(value, int) and low <= value <= high:
            return value, converted
        if isinstance(value, int):
            raise _Bad(f"Could not convert value to integer: {value} is outside the {kind} range.")
        raise _Bad(f"Could not convert {type(value).__name__} to integer: {value!r}.")
    if kind in ("double", "float"):
        if isinstance(value, bool):
            raise _Bad("Could not convert boolean to number.")
        if isinstance(value, str) and _ASCII_NUMBER.fullmatch(value):
            number = float(value)
            if math.isfinite(number):
                return number, True
        try:
            if isinstance(value, int | float) and math.isfinite(value):
                return value, False
        except OverflowError:  # an integer too large for a double
            pass
        raise _Bad(f"Could not convert {str(value)[:64]} to a finite number.")
    if kind == "boolean":
        if isinstance(value, bool):
            return value, False
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true", True
        if isinstance(value, int) and value in (0, 1):
            return bool(value), True
        raise _Bad(f"Could not convert {value!r} to boolean.")
    if kind in ("string", "byte"):
        if isinstance(value, str):
            return value, False
        if isinstance(value, int | float) and not isinstance(value, bool):
            return str(value), True
        raise _Bad(f"Expected a string, got {type(value).__name__}.")
    if kind == "date-time":
        if isinstance(value, str):
            text = value.strip()
            if not text or text.startswith(("1899", "1900-01-01")):
                return None, False
            try:
                parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
                if parsed.tzinfo is not None:  # an offset may move it past .NET's range
                    parsed = parsed.astimezone(UTC).replace(tzinfo=None)
            except (ValueError, OverflowError):
                raise _Bad(f"Could not convert string to DateTime: {value}.") from None
            return parsed.replace(microsecond=0).isoformat(), False
        raise _Bad(f"Could not convert {value!r} to a date.")
    if kind == "uuid":
        if isinstance(value, str):
            try:
                return str(uuid.UUID(value)), False
            except ValueError:
                pass
        raise _Bad(f"Could not convert {value!r} to a uuid.")
    if kind.startswith("array<"):
        if isinstance(value, list):
            return value, False
        raise _Bad(f"Expected an array, got {type(value).__name__}.")
    if kind.startswith("ref:") and kind[4:] in facts()["enums"]:
        if isinstance(value, int | str) and not isinstance(value, bool):
            return value, False  # an enum: Halo's binder takes its number or its name
        raise _Bad(f"Could not convert {value!r} to {kind[4:]}.")
    if kind.startswith("ref:") or kind == "object":
        if isinstance(value, dict):
            return value, False
        raise _Bad(f"Expected an object, got {type(value).__name__}.")
    return value, False


BadValue = _Bad


def bind_values(kind: str, body: Any, *, notes: Notes) -> Any:
    """A body documented as values, not objects (`facts.Operation.values_body`: ``int32[]``,
    ``uuid[]``, ``string``), read as Halo's JSON binder reads it: each item converted to its type
    (conversions noted); a body or item that does not convert raises `ValidationError` naming it."""
    item_kind = kind.removesuffix("[]")
    if not kind.endswith("[]"):
        try:
            if body is None:
                raise _Bad(f"Could not convert null to {item_kind}.")
            value, converted = body_value(item_kind, body)
        except _Bad as bad:
            raise ValidationError({"": [f"{bad} The body must be a JSON {item_kind}."]}) from None
        if converted:
            notes.add(f"body: {body!r} converted to {item_kind}")
        return value
    if not isinstance(body, list):
        raise ValidationError({"": [f"The body must be a JSON array of {item_kind} values."]})
    errors: dict[str, list[str]] = {}
    out = []
    for i, item in enumerate(body):
        try:
            if item is None:
                raise _Bad(f"Could not convert null to {item_kind}.")
            value, converted = body_value(item_kind, item)
        except _Bad as bad:
            errors.setdefault(f"[{i}]", []).append(f"{bad} Path '[{i}]'.")
            continue
        if converted:
            notes.add(f"body [{i}]: {item!r} converted to {item_kind}")
        out.append(value)
    if errors:
        raise ValidationError(errors)
    return out


def bind_item(
    schema: Mapping[str, str],
    item: Mapping[str, Any],
    *,
    schema_name: str,
    prefix: str,
    notes: Notes,
    errors: dict[str, list[str]],
    keep: Iterable[str] = (),
) -> dict[str, Any]:
    """A body item read against its official schema: documented fields converted (conversions
    noted, failures collected in ``errors`` as ``{"[0].field": [...]}``), undocumented fields
    dropped and noted, except the names in ``keep`` (fields the mock itself understands)."""
    kept = set(keep)
    lowered = {name.lower(): name for name in schema}
    out: dict[str, Any] = {}
    before = len(errors)
    control_names(item, prefix=prefix, errors=errors)
    if len(errors) > before:
        return out
    for name, value in item.items():
        official = name if name in schema else lowered.get(name.lower())
        if official is None:
            if name in kept:
                out[name] = value
                continue
            notes.add(f"body {prefix}.{name}: not a field of {schema_name}; Halo ignores it")
            continue
        try:
            converted_value, converted = body_value(schema[official], value)
        except _Bad as bad:
            errors.setdefault(f"{prefix}.{name}", []).append(f"{bad} Path '{prefix}.{name}'.")
            continue
        if converted:
            notes.add(f"body {prefix}.{name}: {value!r} converted to {schema[official]}")
        if schema[official].startswith(("ref:", "array<")):
            check_nested(
                schema[official], converted_value, path=f"{prefix}.{name}", notes=notes, errors=errors
            )
        out[official] = converted_value
    return out


_MAX_NESTING = 8
"""How deep nested values are checked (deeper ones are only checked as JSON, `wire.MAX_DEPTH`)."""


def check_nested(
    kind: str,
    value: Any,
    *,
    path: str,
    notes: Notes,
    errors: dict[str, list[str]],
    keep: Iterable[str] = (),
    depth: int = 0,
) -> None:
    """Check a nested value against its official type as the binder reads it: an object of a
    documented schema (``ref:Schema``) or an array of them or of values (``array<...>``). Fields the
    schema does not have are noted (Halo ignores them; the value is kept as sent); a value that does
    not convert is collected in ``errors`` under its path (``[0].customfields[0].id``). ``keep``:
    names the mock itself understands at the first level (a quote line's ``price``). Values are
    checked, not converted."""
    if value is None or depth > _MAX_NESTING:
        return
    if kind.startswith("array<") and isinstance(value, list):
        inner = kind[len("array<") : -1]
        for i, item in enumerate(value):
            _check_one(inner, item, path=f"{path}[{i}]", notes=notes, errors=errors, keep=keep, depth=depth)
        return
    if kind.startswith("ref:") and isinstance(value, dict):
        name = kind[4:]
        schema = facts()["schemas"].get(name)
        if not schema:
            return
        kept = set(keep)
        lowered = {field.lower(): field for field in schema}
        for key, item in value.items():
            official = key if key in schema else lowered.get(str(key).lower())
            if official is None:
                if key not in kept:
                    notes.add(f"body {path}.{key}: not a field of {name}; Halo ignores it")
                continue
            _check_one(
                schema[official], item, path=f"{path}.{key}", notes=notes, errors=errors, depth=depth + 1
            )


def _check_one(
    kind: str,
    value: Any,
    *,
    path: str,
    notes: Notes,
    errors: dict[str, list[str]],
    keep: Iterable[str] = (),
    depth: int,
) -> None:
    if kind == "object":  # .NET's `object`: any JSON value binds
        return
    try:
        body_value(kind, value)
    except _Bad as bad:
        errors.setdefault(path, []).append(f"{bad} Path '{path}'.")
        return
    if kind.startswith(("ref:", "array<")):
        check_nested(kind, value, path=path, notes=notes, errors=errors, keep=keep, depth=depth + 1)


def nested_fields(
    schema: Mapping[str, str],
    item: Mapping[str, Any],
    *,
    prefix: str,
    notes: Notes,
    errors: dict[str, list[str]],
    keep: Mapping[str, Iterable[str]] | None = None,
) -> None:
    """`check_nested` for every field of ``item`` that holds objects or arrays by the official
    schema; ``keep``: per field, the nested names the mock itself understands."""
    lowered: dict[str, str] | None = None
    for name, value in item.items():
        official = name if name in schema else None
        if official is None:
            lowered = lowered or {field.lower(): field for field in schema}
            official = lowered.get(name.lower())
        kind = schema.get(official) if official else None
        if kind and kind.startswith(("ref:", "array<")) and isinstance(value, list | dict):
            check_nested(
                kind,
                value,
                path=f"{prefix}.{name}",
                notes=notes,
                errors=errors,
                keep=(keep or {}).get(name, ()),
            )


def unknown_fields(
    schema: Mapping[str, str],
    item: Mapping[str, Any],
    *,
    schema_name: str,
    prefix: str,
    notes: Notes,
    keep: Iterable[str] = (),
) -> None:
    """Note the fields of ``item`` the official schema does not have (without changing the item).
    Raises `ValidationError` for a name holding a control character (in every mode)."""
    errors: dict[str, list[str]] = {}
    control_names(item, prefix=prefix, errors=errors)
    if errors:
        raise ValidationError(errors)
    kept = set(keep)
    lowered: set[str] | None = None  # built only when a name is not the schema's own spelling
    for name in item:
        if name in schema:
            continue
        if lowered is None:
            lowered = {official.lower() for official in schema}
        if name.lower() not in lowered and name not in kept:
            notes.add(f"body {prefix}.{name}: not a field of {schema_name}; Halo ignores it")


def check_batch(body: Any, *, limit: int) -> None:
    """Raise `PayloadTooLarge` (413, naming the cap) when ``body`` is an array of more than ``limit``
    records: the answer holds every saved record in full (about 21 KB a ticket), so the number of
    records a request may carry bounds the memory its answer takes. Checked before anything is saved."""
    if isinstance(body, list) and len(body) > limit:
        raise PayloadTooLarge(
            f"The batch holds {len(body)} records; the sandbox saves at most {limit} records per request "
            f"(max_batch_records). Send them in batches of {limit} or fewer; nothing was saved."
        )


def refuse_if_strict(notes: Notes, *, strict: bool) -> None:
    """Raise `StrictRefusal` (400) listing the notes when ``strict``."""
    if strict and notes:
        raise StrictRefusal(
            {
                "strict": [
                    *notes.items,
                    "Strict mode refuses what real Halo would ignore "
                    '(turn it off with PUT /_sandbox/strict {"enabled": false}).',
                ]
            }
        )
