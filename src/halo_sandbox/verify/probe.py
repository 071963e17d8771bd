"""One tool call of a verify run and what it caused upstream.

`Probe.call` sends a `tools/call` through the MCP client and collects the result (or the protocol
error, or the timeout) together with the requests that reached the mock meanwhile: counted from the
mock's request journal, bodies from the sandbox's tap. The helpers read records, cursors and error
text out of whatever shape a server answers with (structured content or JSON text)."""

from __future__ import annotations

import base64
import functools
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import anyio

from halo_sandbox.verify.discovery import norm
from halo_sandbox.verify.served_mock import Exchange, VerifySandbox

__all__ = [
    "CallRecord",
    "Probe",
    "decoded",
    "find_cursor",
    "find_record",
    "find_records",
    "record_id",
]


@dataclass(kw_only=True)
class CallRecord:
    tool: str
    arguments: dict[str, Any]
    result: Any = None
    protocol_error: str | None = None
    timed_out: bool = False
    journal: list[Any] = field(default_factory=list)
    """The mock's journal entries of the call, oldest first."""
    exchanges: list[Exchange] = field(default_factory=list)
    elsewhere: list[Exchange] = field(default_factory=list)
    """Requests of the call that reached the sandbox outside ``/api`` and ``/auth`` (``/``: a path
    whose dot segments resolved above Halo's API), without bodies."""

    @property
    def ok(self) -> bool:
        return self.result is not None and not self.result.is_error

    @property
    def tool_error(self) -> bool:
        return self.result is not None and bool(self.result.is_error)

    @property
    def api(self) -> list[Any]:
        return [e for e in self.journal if e.path.lower().startswith("/api/")]

    @property
    def tokens(self) -> list[Any]:
        return [e for e in self.journal if e.path.lower().rstrip("/") == "/auth/token"]

    @property
    def writes(self) -> list[Any]:
        return [e for e in self.api if e.method not in ("GET", "HEAD", "OPTIONS")]

    def upstream_lines(self) -> list[str]:
        return [
            f"{e.method} {e.path}{'?' + e.query if e.query else ''} -> "
            f"{e.status if e.status is not None else 'dropped'}{f' (fault {e.fault})' if e.fault else ''}"
            for e in self.journal
        ]

    def payload(self) -> Any:
        """What the result says, as data: the structured content, else the first text content that
        parses as JSON, else the text. JSON text inside an envelope is parsed too (a Python-SDK tool
        declared ``-> str`` answers ``{"result": "<json text>"}``), see `decoded`."""
        if self.result is None:
            return None
        if self.result.structured_content is not None:
            return decoded(self.result.structured_content)
        texts = [c.text for c in self.result.content if getattr(c, "type", None) == "text"]
        for text in texts:
            try:
                return decoded(json.loads(text))
            except ValueError:
                continue
        return "\n".join(texts) if texts else None

    @property
    def reached_halo(self) -> bool:
        """Whether any API request reached Halo during the call."""
        return bool(self.api)

    def answers(self) -> list[Any]:
        """The mock's JSON answers to the successful API GETs the server sent during the call, in order."""
        return [
            answer
            for e in self.exchanges
            if e.method == "GET" and e.status == 200 and e.path.lower().startswith("/api/")
            for answer in [e.answer()]
            if answer is not None
        ]

    def answered_records(self, *, id_keys: Iterable[str] = ("id",)) -> list[dict[str, Any]]:
        """Every record the mock answered during the call (a get's record, a list's records)."""
        out: list[dict[str, Any]] = []
        for answer in self.answers():
            if isinstance(answer, Mapping) and "id" in answer:
                out.append(dict(answer))  # one record (its own lists, e.g. a client's sites, are fields)
                continue
            records = find_records(answer)
            if records is None:
                one = find_record(answer, id_keys=id_keys)
                records = [one] if one is not None else []
            out += records
        return out

    def text(self) -> str:
        """Everything the caller can read: text content, structured content and protocol error."""
        parts: list[str] = []
        if self.result is not None:
            parts += [getattr(c, "text", "") or "" for c in self.result.content]
            if self.result.structured_content is not None:
                parts.append(json.dumps(self.result.structured_content, ensure_ascii=False))
        if self.protocol_error:
            parts.append(self.protocol_error)
        return "\n".join(parts)

    def blobs(self) -> list[bytes]:
        """Bytes the result carries: embedded resource blobs (decoded) and texts (UTF-8), and base64
        fields of its payload."""
        found: list[bytes] = []
        if self.result is not None:
            for content in self.result.content:
                resource = getattr(content, "resource", None)
                blob = getattr(resource, "blob", None) or getattr(content, "data", None)
                if isinstance(blob, str):
                    found.append(_b64(blob))
                text = getattr(resource, "text", None)
                if isinstance(text, str):
                    found.append(text.encode("utf-8"))
        for value in _walk(self.payload()):
            if (
                isinstance(value, tuple)
                and norm(value[0]) in {"database64", "contentbase64", "base64", "data", "content", "blob"}
                and isinstance(value[1], str)
            ):
                try:
                    found.append(base64.b64decode(value[1], validate=True))
                except ValueError:
                    continue
        return found

    def summary(self) -> dict[str, Any]:
        if self.timed_out:
            outcome = "timed out"
        elif self.protocol_error is not None:
            outcome = f"protocol error: {self.protocol_error}"
        else:
            outcome = ("tool error: " if self.tool_error else "ok: ") + _short(self.text())
            if not self.journal and self.result is not None:
                outcome += (
                    " [no request reached Halo: the server answered on its own (its validation, "
                    "a cache or its own circuit breaker)]"
                )
        return {
            "tool": self.tool,
            "arguments": self.arguments,
            "outcome": outcome,
            "upstream": self.upstream_lines(),
        }


def _b64(text: str) -> bytes:
    try:
        return base64.b64decode(text)
    except ValueError:
        return b""


def _short(text: str, limit: int = 400) -> str:
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} chars)"


def _walk(value: Any) -> Iterable[Any]:
    if isinstance(value, Mapping):
        for key, item in value.items():
            yield (key, item)
            yield from _walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item)


class Probe:
    """Calls tools on the server under test and pairs each call with its upstream requests."""

    def __init__(self, client: Any, sandbox: VerifySandbox, *, timeout: float) -> None:
        self.client = client
        self.sandbox = sandbox
        self.timeout = timeout
        self.calls = 0
        self.methods: dict[str, set[str]] = {}
        """Per tool, the HTTP methods its calls of the whole run sent to Halo's API."""
        self.reached: dict[str, int] = {}
        """Per tool, how many of its calls sent Halo's API at least one request."""

    def _mark(self) -> tuple[int, int, int]:
        entries = self.sandbox.tenant.journal.entries(limit=1)
        tap = self.sandbox.tap
        return (entries[0].id if entries else 0), len(tap.exchanges), len(tap.elsewhere)

    async def settle(self) -> None:
        """Give requests still in flight (a retrying server's) a moment to land in the journal."""
        await anyio.sleep(0.05)

    async def call(
        self, tool: str, arguments: Mapping[str, Any], *, timeout: float | None = None
    ) -> CallRecord:
        from mcp.shared.exceptions import MCPError

        record = CallRecord(tool=tool, arguments=dict(arguments))
        journal_mark, tap_mark, elsewhere_mark = self._mark()
        self.calls += 1
        try:
            with anyio.fail_after(timeout or self.timeout):
                record.result = await self.client.call_tool(tool, dict(arguments))
        except TimeoutError:
            record.timed_out = True
        except MCPError as exc:
            record.protocol_error = f"{type(exc).__name__}: {exc}"
        except Exception as exc:  # noqa: BLE001 - a broken reply (bad result shape, closed stream) is a finding
            record.protocol_error = f"{type(exc).__name__}: {exc}"
        await anyio.sleep(0)
        entries = self.sandbox.tenant.journal.entries()
        record.journal = [e for e in reversed(entries) if e.id > journal_mark]
        record.exchanges = self.sandbox.tap.exchanges[tap_mark:]
        record.elsewhere = self.sandbox.tap.elsewhere[elsewhere_mark:]
        if record.api:
            self.methods.setdefault(tool, set()).update(e.method.upper() for e in record.api)
            self.reached[tool] = self.reached.get(tool, 0) + 1
        return record


_ENVELOPE_KEYS = {
    "result",
    "results",
    "records",
    "items",
    "data",
    "rows",
    "value",
    "values",
    "content",
    "body",
    "response",
    "payload",
    "json",
    "text",
    "output",
    "record",
    "item",
    "entity",
    "object",
}
_DEPTH = 8


_META_TEXT = {"message", "status", "msg", "info", "detail", "warning", "type", "kind", "object"}


def _envelope_like(node: Mapping[str, Any]) -> bool:
    """No text fields but an envelope's own (``message``): not a record that refers to another
    (``{"name": ..., "client": {"id": ...}}`` is a record without an id, not a client)."""
    return all(norm(str(k)) in _META_TEXT for k, v in node.items() if isinstance(v, str))


@functools.cache
def _resource_words() -> frozenset[str]:
    """Every name of a Halo resource, singular and plural (``ticket``, ``kbarticle``)."""
    from halo_sandbox.verify.discovery import VOCABULARY

    return frozenset(norm(alias) for r in VOCABULARY for alias in r.aliases)


def decoded(value: Any, _depth: int = 0) -> Any:
    """``value`` with JSON text parsed where a result carries it as a string: the value itself, or
    under an envelope key (``{"result": "<json>"}``, ``{"data": {"content": "<json>"}}``), nested.
    Strings inside records stay strings."""
    if _depth > _DEPTH:
        return value
    if isinstance(value, str):
        text = value.strip()
        if text[:1] in ("{", "["):
            try:
                return decoded(json.loads(text), _depth + 1)
            except ValueError:
                return value
        return value
    if isinstance(value, Mapping):
        return {
            k: decoded(v, _depth + 1) if norm(str(k)) in _ENVELOPE_KEYS or len(value) == 1 else v
            for k, v in value.items()
        }
    if isinstance(value, list) and len(value) == 1:
        return [decoded(value[0], _depth + 1)]
    return value


def _record_list(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(r, Mapping) for r in value)


def find_records(payload: Any, *, list_keys: Iterable[str] = ()) -> list[dict[str, Any]] | None:
    """The records of a list result: the payload itself when it is a list of objects, else the
    first list of objects under a usual key (``result``, ``items``, ``data``, ``tickets``, ...) at
    any depth (envelopes in envelopes), else the first non-empty list of objects anywhere, else an
    empty list anywhere (``{"record_count": 0, "appointments": []}``: no records, not no list)."""
    payload = decoded(payload)
    if isinstance(payload, list):
        return [dict(r) for r in payload] if _record_list(payload) else None
    if not isinstance(payload, Mapping):
        return None
    wanted = _ENVELOPE_KEYS | {norm(k) for k in list_keys}
    fallback: list[dict[str, Any]] | None = None
    empty: list[dict[str, Any]] | None = None  # {"record_count": 0, "appointments": []}
    level: list[Mapping[str, Any]] = [payload]
    for _ in range(_DEPTH):
        deeper: list[Mapping[str, Any]] = []
        for node in level:
            for key, value in node.items():
                if _record_list(value):
                    if norm(str(key)) in wanted:
                        return [dict(r) for r in value]
                    if fallback is None and value:
                        fallback = [dict(r) for r in value]
                    if empty is None and not value:
                        empty = []
                elif isinstance(value, Mapping):
                    deeper.append(value)
        if not deeper:
            break
        level = deeper
    return fallback if fallback is not None else empty


def record_id(record: Mapping[str, Any], id_keys: Iterable[str] = ("id",)) -> Any:
    """The record's id: the first of ``id_keys`` it carries as a scalar; raises `LookupError`
    (a record with no id field, e.g. a priority projected by ``priorityid`` only)."""
    for key in id_keys:
        for actual, value in record.items():
            if norm(str(actual)) == norm(key) and value is not None and not isinstance(value, (dict, list)):
                return value
    raise LookupError(f"no id field ({', '.join(id_keys)}) in the record")


def find_record(payload: Any, *, id_keys: Iterable[str] = ("id",)) -> dict[str, Any] | None:
    """The one record of a get/create/update result: an object with an id field (``id``, or one
    of ``id_keys``), at the top or under ``result``/``data``/``record``/... at any depth (JSON text
    included), or the only object of a one-element list."""
    keys = [*id_keys] if "id" in id_keys else ["id", *id_keys]
    level: list[Any] = [decoded(payload)]
    for _ in range(_DEPTH):
        deeper: list[Any] = []
        for node in level:
            if isinstance(node, list):
                if len(node) == 1:
                    deeper.append(node[0])
                continue
            if not isinstance(node, Mapping):
                continue
            try:
                record_id(node, keys)
                return dict(node)
            except LookupError:
                pass
            for key, value in node.items():
                named = norm(str(key))
                if isinstance(value, (Mapping, list)) and (named in _ENVELOPE_KEYS or len(node) == 1):
                    deeper.append(value)
                elif isinstance(value, Mapping) and named in _resource_words() and _envelope_like(node):
                    deeper.append(value)  # {"ticket": {...}, "actions": [...]}
        if not deeper:
            break
        level = deeper
    return None


_CURSOR_KEYS = {
    "nextcursor",
    "cursor",
    "nextpagetoken",
    "pagetoken",
    "nexttoken",
    "continuationtoken",
    "nextpage",
    "next",
}


def find_cursor(payload: Any) -> str | None:
    if not isinstance(payload, Mapping):
        return None
    for key, value in payload.items():
        if norm(key) in _CURSOR_KEYS and isinstance(value, str) and value:
            return value
    for value in payload.values():
        if isinstance(value, Mapping):
            inner = find_cursor(value)
            if inner:
                return inner
    return None
