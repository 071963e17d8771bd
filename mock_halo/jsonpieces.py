"""JSON of big documents (batches, snapshots) decoded and encoded in small pieces.

Big documents are handled in a worker thread, but one C-level ``json.loads``/``json.dumps`` over
20 MiB holds the GIL for a quarter of a second and the event loop's thread waits all that time.
Here the outer levels of the document (``depth``) are walked in Python and every member below is
decoded or encoded by its own C call, so the threads can switch between members. The results
are what ``json.loads(raw, parse_constant=...)`` and compact ``json.dumps(..., ensure_ascii=False,
allow_nan=False)`` give.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from .gil import paced, pause

_SPACE = re.compile(r"[ \t\n\r]*")
DEPTH = 3


def _skip(text: str, i: int) -> int:
    return _SPACE.match(text, i).end()  # type: ignore[union-attr]


def loads(raw: bytes | str, *, parse_constant: Callable[[str], Any] | None = None, depth: int = DEPTH) -> Any:
    """``json.loads``, one member at a time below the outer ``depth`` levels. Raises ``ValueError``
    (``json.JSONDecodeError`` for a malformed member) or ``UnicodeDecodeError``."""
    text = raw if isinstance(raw, str) else raw.decode(json.detect_encoding(raw), "surrogatepass")
    decoder = json.JSONDecoder(parse_constant=parse_constant) if parse_constant else json.JSONDecoder()
    start = _skip(text, 0)
    if start < len(text) and text[start] == "\ufeff":
        raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
    value, end = _value(text, start, depth, decoder)
    end = _skip(text, end)
    if end != len(text):
        raise json.JSONDecodeError("Extra data", text, end)
    return value


def _value(text: str, i: int, depth: int, decoder: json.JSONDecoder) -> tuple[Any, int]:
    opener = text[i:i + 1]
    if depth <= 0 or opener not in ("[", "{"):
        return decoder.raw_decode(text, i)
    closer = "]" if opener == "[" else "}"
    items: list[Any] = []
    members: dict[str, Any] = {}
    i = _skip(text, i + 1)
    if text[i:i + 1] == closer:
        return (items if opener == "[" else members), i + 1
    while True:
        pause()
        if opener == "{":
            if text[i:i + 1] != '"':
                raise json.JSONDecodeError("Expecting property name enclosed in double quotes", text, i)
            key, i = decoder.raw_decode(text, i)
            i = _skip(text, i)
            if text[i:i + 1] != ":":
                raise json.JSONDecodeError("Expecting ':' delimiter", text, i)
            value, i = _value(text, _skip(text, i + 1), depth - 1, decoder)
            members[key] = value
        else:
            value, i = _value(text, i, depth - 1, decoder)
            items.append(value)
        i = _skip(text, i)
        mark = text[i:i + 1]
        if mark == closer:
            return (items if opener == "[" else members), i + 1
        if mark != ",":
            raise json.JSONDecodeError("Expecting ',' delimiter", text, i)
        i = _skip(text, i + 1)


_ENCODE = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode


def dumps(value: Any, *, depth: int = DEPTH) -> str:
    """Compact JSON of ``value``, one member at a time below the outer ``depth`` levels."""
    if depth > 0 and isinstance(value, list) and value:
        return "[" + ",".join(dumps(item, depth=depth - 1) for item in paced(value)) + "]"
    if depth > 0 and isinstance(value, dict) and value and all(isinstance(k, str) for k in value):
        return "{" + ",".join(f"{_ENCODE(k)}:{dumps(v, depth=depth - 1)}" for k, v in value.items()) + "}"
    return _ENCODE(value)
