"""The bounded request journal of one tenant: what an agent did, newest first.

Each `/api` and `/auth` request is recorded with the MCP correlation headers the server sends:
``X-Sandbox-Tool`` (the tool name) and ``X-Sandbox-Call-Id`` (groups the upstream requests of one
tool call). Control-plane (`/_sandbox`) calls are not recorded.
"""

from __future__ import annotations

import itertools
import logging
import re
import threading
from collections import deque
from dataclasses import asdict, dataclass
from typing import Any

from halo_sandbox.protocol import SECRET_QUERY_PARAMS

_SECRET_QUERY = re.compile(r"(?i)((?:^|[?&\s\"'])(?:" + "|".join(SECRET_QUERY_PARAMS) + r")=)[^&\s\"']*")


def redact_query(text: str) -> str:
    """``text`` (a query string, a URL or a log line) with the values of secret parameters
    (``client_secret=`` and friends, sent in a query string by careless clients) replaced by ``***``."""
    return _SECRET_QUERY.sub(r"\1***", text) if "=" in text else text


class RedactSecrets(logging.Filter):
    """A log filter (for uvicorn's access log) that applies `redact`: secrets in query strings."""

    def redact(self, text: str) -> str:
        return redact_query(text)

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = self.redact(record.msg)
        if record.args:
            args = record.args if isinstance(record.args, tuple) else (record.args,)
            record.args = tuple(self.redact(a) if isinstance(a, str) else a for a in args)
        return True


@dataclass(frozen=True, kw_only=True)
class JournalEntry:
    id: int
    time: str
    """Sandbox-clock time the request arrived (``YYYY-MM-DDTHH:MM:SS``)."""
    method: str
    path: str
    query: str
    status: int | None
    """``None`` when the connection was dropped by a fault."""
    latency_ms: float
    client: str | None
    """OAuth client id of the Bearer token (or of the token request)."""
    remote: str | None
    tool: str | None
    call_id: str | None
    fault: int | None
    """Id of the fault rule that answered, if any."""
    ignored: tuple[str, ...] = ()
    """What real Halo would have ignored or the mock could not honour (strict mode's notes)."""
    generic: str | None = None
    """The generic collection that served the request (a documented path the table does not model)."""

    def public(self) -> dict[str, Any]:
        return asdict(self)


_MAX_QUERY, _MAX_PATH, _MAX_NAME = 2048, 2048, 256
"""Per-entry caps: a journal of ``size`` entries holds at most a few KB each."""


class Journal:
    """Thread-safe ring buffer of `JournalEntry` (oldest dropped beyond ``size``)."""

    def __init__(self, *, size: int = 1000) -> None:
        if size < 1:
            raise ValueError("journal size must be positive")
        self._lock = threading.Lock()
        self._entries: deque[JournalEntry] = deque(maxlen=size)
        self._ids = itertools.count(1)

    @property
    def size(self) -> int:
        return self._entries.maxlen or 0

    def record(self, **fields: Any) -> JournalEntry:
        if fields.get("query"):
            fields["query"] = redact_query(fields["query"])[:_MAX_QUERY]
        if fields.get("path") and len(fields["path"]) > _MAX_PATH:
            fields["path"] = fields["path"][:_MAX_PATH] + "…"
        for name in ("tool", "call_id", "client"):
            if isinstance(fields.get(name), str):
                fields[name] = fields[name][:_MAX_NAME]
        with self._lock:
            entry = JournalEntry(id=next(self._ids), **fields)
            self._entries.append(entry)
            return entry

    def entries(
        self,
        *,
        limit: int | None = None,
        tool: str | None = None,
        call_id: str | None = None,
        client: str | None = None,
    ) -> list[JournalEntry]:
        """Newest first, optionally filtered, at most ``limit``."""
        with self._lock:
            items = list(reversed(self._entries))
        if tool is not None:
            items = [e for e in items if e.tool == tool]
        if call_id is not None:
            items = [e for e in items if e.call_id == call_id]
        if client is not None:
            items = [e for e in items if e.client == client]
        return items if limit is None else items[:limit]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)
