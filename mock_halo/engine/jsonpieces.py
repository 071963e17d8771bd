"""JSON of big documents (batches, snapshots) decoded and encoded in small pieces.

Big documents are handled in a worker thread, but one C-level ``json.loads``/``json.dumps`` over
20 MiB holds the GIL for a quarter of a second and the event loop's thread waits all that time.
Here the outer levels of the document (``depth``) are walked in Python and every member below is
decoded or encoded by its own C call, so the threads can switch between members. `loads` and
`dumps` give what ``json.loads(raw, parse_constant=...)`` and compact ``json.dumps(...,
ensure_ascii=False, allow_nan=False)`` give; `pieces` gives the same document as UTF-8 in chunks
of about `CHUNK_BYTES` (members encoded by orjson), for a response sent chunk by chunk: no single
call builds, joins or copies the whole answer.

``depth`` is where the members are small: a batch is a list of records (``depth=1``: each record
one call), a snapshot holds its rows four levels down (document, ``store``, ``tables``, a table).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from typing import Any

import orjson

from halo_sandbox.mock.engine.gil import paced, pause

_SPACE = re.compile(r"[ \t\n\r]*")
DEPTH = 3


def _skip(text: str, i: int) -> int:
    return _SPACE.match(text, i).end()  # type: ignore[union-attr]  # a run of spaces, maybe empty: always matches


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
    opener = text[i : i + 1]
    if depth <= 0 or opener not in ("[", "{"):
        return decoder.raw_decode(text, i)
    closer = "]" if opener == "[" else "}"
    items: list[Any] = []
    members: dict[str, Any] = {}
    i = _skip(text, i + 1)
    if text[i : i + 1] == closer:
        return (items if opener == "[" else members), i + 1
    while True:
        pause()
        if opener == "{":
            if text[i : i + 1] != '"':
                raise json.JSONDecodeError("Expecting property name enclosed in double quotes", text, i)
            key, i = decoder.raw_decode(text, i)
            i = _skip(text, i)
            if text[i : i + 1] != ":":
                raise json.JSONDecodeError("Expecting ':' delimiter", text, i)
            value, i = _value(text, _skip(text, i + 1), depth - 1, decoder)
            members[key] = value
        else:
            value, i = _value(text, i, depth - 1, decoder)
            items.append(value)
        i = _skip(text, i)
        mark = text[i : i + 1]
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


CHUNK_BYTES = 256 * 1024
_ASCII = json.JSONEncoder(ensure_ascii=True, allow_nan=False, separators=(",", ":")).encode


def _member(value: Any) -> bytes:
    try:
        return orjson.dumps(value)
    except TypeError:  # what orjson refuses (integers past 64 bits, lone surrogates): the standard library
        return _ASCII(value).encode()


class _Chunks:
    def __init__(self) -> None:
        self.done: list[bytes] = []
        self._parts: list[bytes] = []
        self._size = 0

    def add(self, part: bytes) -> None:
        self._parts.append(part)
        self._size += len(part)
        if self._size >= CHUNK_BYTES:
            self.flush()

    def flush(self) -> None:
        if self._parts:
            self.done.append(b"".join(self._parts))
            self._parts, self._size = [], 0


def pieces(value: Any, *, depth: int = DEPTH) -> list[bytes]:
    """Compact JSON of ``value`` in UTF-8, as chunks of about `CHUNK_BYTES` (joined, they are the
    document); below the outer ``depth`` levels each member is one orjson call."""
    out = _Chunks()
    _walk(value, depth, out)
    out.flush()
    return out.done


def array_pieces(items: Iterable[Any]) -> list[bytes]:
    """`pieces` of a JSON array of ``items`` (each encoded by one call), taking them one by one from
    an iterable (so a caller can build each item just before it is encoded)."""
    out = _Chunks()
    out.add(b"[")
    for i, item in enumerate(items):
        pause()
        out.add(b"," + _member(item) if i else _member(item))
    out.add(b"]")
    out.flush()
    return out.done


def _walk(value: Any, depth: int, out: _Chunks) -> None:
    if depth > 0 and isinstance(value, list) and value:
        for i, item in enumerate(value):
            pause()
            out.add(b"," if i else b"[")
            _walk(item, depth - 1, out)
        out.add(b"]")
    elif depth > 0 and isinstance(value, dict) and value and all(isinstance(k, str) for k in value):
        for i, (key, item) in enumerate(value.items()):
            out.add((b"," if i else b"{") + _member(key) + b":")
            _walk(item, depth - 1, out)
        out.add(b"}")
    else:
        out.add(_member(value))
