"""The bounded tool-call journal: what the MCP server did, newest first (no web imports)."""

from __future__ import annotations

import itertools
import json
import math
import threading
from collections import deque
from dataclasses import dataclass
from typing import Any

from halo_sandbox.server.executor import ToolCallRecord

PREVIEW_CHARS = 2000
"""Results and long argument values are kept as previews of at most this many characters."""
_ARGUMENT_CHARS = 200
ARGUMENTS_CHARS = 4000
"""All of one call's arguments together are kept to about this many characters (keys beyond it are
summarised), so a call with a huge argument object costs the journal a few KB, not its size."""


def _safe_text(text: str) -> str:
    """``text`` without lone surrogates (they cannot be sent as UTF-8)."""
    return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def _cut(text: str, *, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _preview(value: Any, *, limit: int) -> str:
    return _cut(_safe_text(json.dumps(value, default=str, ensure_ascii=False)), limit=limit)


def _short_value(value: Any, *, limit: int = _ARGUMENT_CHARS) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # NaN / Infinity are not JSON
    if isinstance(value, int | float | bool) or value is None:
        return value
    if isinstance(value, str):
        value = _safe_text(value)
        return value if len(value) <= limit else value[: limit - 1] + "…"
    return _preview(value, limit=limit)


def _short_arguments(arguments: Any) -> dict[str, Any]:
    """Arguments as called, with long values (e.g. attachment content) cut to a preview, at most
    about `ARGUMENTS_CHARS` in all."""
    out: dict[str, Any] = {}
    used = 0
    items = list(dict(arguments).items()) if isinstance(arguments, dict) else []
    for index, (key, value) in enumerate(items):
        if used > ARGUMENTS_CHARS:
            out["…"] = f"{len(items) - index} more arguments not kept"
            break
        key = _safe_text(str(key))[:_ARGUMENT_CHARS]
        out[key] = _short_value(value)
        used += len(key) + len(str(out[key])) + 4
    return out


@dataclass(frozen=True, kw_only=True)
class ToolCall:
    """One journalled tool call, in the console's shape."""

    seq: int
    call_id: str
    tool: str
    arguments: dict[str, Any]
    started_at: str
    duration_ms: float
    ok: bool
    error: dict[str, Any] | None
    """``{"status", "message", "code"}`` of a failed call."""
    result_count: int | None
    """Records in a list result."""
    result_preview: str | None

    def public(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "call_id": self.call_id,
            "tool": self.tool,
            "arguments": self.arguments,
            "started_at": self.started_at,
            "duration_ms": self.duration_ms,
            "ok": self.ok,
            "error": self.error,
            "result_count": self.result_count,
            "result_preview": self.result_preview,
        }

    @classmethod
    def from_record(cls, record: ToolCallRecord, *, seq: int) -> ToolCall:
        structured = record.structured or {}
        error = structured.get("error") if record.is_error else None
        result = structured.get("result") if not record.is_error else None
        return cls(
            seq=seq,
            call_id=record.call_id,
            tool=record.tool,
            arguments=_short_arguments(record.arguments),
            started_at=record.started_at.isoformat(timespec="milliseconds"),
            duration_ms=record.duration_ms,
            ok=not record.is_error,
            error={
                "status": error.get("status"),
                "message": _short_value(error.get("message"), limit=PREVIEW_CHARS),
                "code": error.get("code"),
            }
            if isinstance(error, dict)
            else None,
            result_count=len(result) if isinstance(result, list) else None,
            result_preview=None
            if record.is_error
            else _cut(record.result_json, limit=PREVIEW_CHARS)
            if record.result_json is not None
            else _preview(result, limit=PREVIEW_CHARS),
        )


class ToolCallJournal:
    """Thread-safe ring buffer of `ToolCall` (oldest dropped beyond ``size``). Pass `record` as the
    ``on_tool_call`` observer of `build_mcp_server`. ``version`` grows on every change."""

    def __init__(self, *, size: int = 500) -> None:
        if size < 1:
            raise ValueError("tool-call journal size must be positive")
        self._lock = threading.Lock()
        self._calls: deque[ToolCall] = deque(maxlen=size)
        self._seq = itertools.count(1)
        self._version = 0

    @property
    def version(self) -> int:
        return self._version

    def record(self, record: ToolCallRecord) -> ToolCall:
        with self._lock:
            call = ToolCall.from_record(record, seq=next(self._seq))
            self._calls.append(call)
            self._version += 1
            return call

    def calls(self, *, limit: int | None = None) -> list[ToolCall]:
        """Newest first, at most ``limit``."""
        with self._lock:
            items = list(reversed(self._calls))
        return items if limit is None else items[:limit]

    def clear(self) -> None:
        with self._lock:
            self._calls.clear()
            self._version += 1

    def __len__(self) -> int:
        with self._lock:
            return len(self._calls)
