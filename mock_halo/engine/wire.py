"""What may be committed, and how it is sent.

A value is stored only if it can be read back, that is sent as strict JSON in UTF-8 (no NaN or
Infinity, no lone surrogate, no nesting deeper than `MAX_DEPTH`). Writes and restored snapshots
are checked with `wire_check`; `wire_problem` says why in words. Answers are encoded by `encode`
(orjson; the standard library for what orjson refuses, such as integers beyond 64 bits), which
the HTTP wing's `responses.JSONResponse` uses."""

from __future__ import annotations

import json
from typing import Any

import orjson

__all__ = ["MAX_DEPTH", "MAX_INTEGER", "encode", "wire_check", "wire_problem"]


def encode(value: Any) -> bytes:
    """Compact JSON of ``value`` in UTF-8, as Starlette's `JSONResponse` writes it, in one orjson pass
    (its option for keys that are not strings costs a third more, so it is tried only when needed)."""
    for option in (None, orjson.OPT_NON_STR_KEYS):
        try:
            return orjson.dumps(value, option=option)
        except (orjson.JSONEncodeError, TypeError):
            continue
    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate in an error message echoing the input: escaped
        return json.dumps(value, allow_nan=False, separators=(",", ":")).encode("ascii")


MAX_DEPTH = 32
"""Deepest nesting of arrays/objects a stored value may have (ASP.NET Core's JSON reader default)."""


MAX_INTEGER = 2**64 - 1
"""Largest integer magnitude a stored value may hold: what a 64-bit client (and orjson) reads back;
Halo's widest integer type is int64 (beyond it a number is out of range)."""


def _check_int(value: Any) -> None:
    if isinstance(value, int) and not isinstance(value, bool) and not -MAX_INTEGER <= value <= MAX_INTEGER:
        raise OverflowError("an integer beyond 64 bits")


def wire_check(value: Any) -> None:
    """Raise unless ``value`` can be sent as strict JSON in UTF-8 (no NaN/Infinity, no lone surrogate,
    no integer beyond 64 bits, at most `MAX_DEPTH` levels)."""
    _check_int(value)
    json.dumps(value, allow_nan=False, ensure_ascii=False).encode("utf-8")
    stack = [(value, 0)]
    while stack:  # only containers are visited: a scalar is one level below its container
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        if children and depth >= MAX_DEPTH:
            raise RecursionError(f"nested deeper than {MAX_DEPTH} levels")
        for child in children:
            if isinstance(child, dict | list):
                stack.append((child, depth + 1))
            else:
                _check_int(child)


def wire_problem(exc: BaseException) -> str:
    if isinstance(exc, UnicodeError):
        return "a text value holds a lone UTF-16 surrogate, which is not valid Unicode"
    if isinstance(exc, ValueError) and "JSON compliant" in str(exc):
        return "a number (or a total computed from it) is not finite"
    if isinstance(exc, OverflowError):
        return f"a number is out of range ({exc})" if str(exc) else "a number is out of range"
    return str(exc) or type(exc).__name__
