"""The console's view: tool calls joined with the upstream requests they caused, and counts
(no web imports). Everything here is already free of secrets: the mock's journal holds no
headers or bodies, provisioned servers are listed without their tokens."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from halo_sandbox.console.tool_calls import ToolCall


def build_view(
    *,
    calls: Sequence[ToolCall],
    requests: Sequence[dict[str, Any]],
    faults: Sequence[dict[str, Any]],
    ratelimit: dict[str, Any],
    servers: Sequence[dict[str, Any]],
    tenant: str,
) -> dict[str, Any]:
    """The JSON document behind the page (``/_sandbox/console.json``). ``calls`` and ``requests`` newest
    first; each tool call carries its ``upstream`` requests (oldest first), requests with no known tool
    call (direct API use, token requests, calls older than the tool-call journal) are in ``requests``."""
    by_call: dict[str, list[dict[str, Any]]] = {}
    for entry in requests:
        if entry.get("call_id"):
            by_call.setdefault(entry["call_id"], []).append(entry)
    known = {call.call_id for call in calls}
    timeline = []
    for call in calls:
        upstream = sorted(by_call.get(call.call_id, []), key=lambda e: e["id"])
        timeline.append({**call.public(), "upstream": [_request(e) for e in upstream]})
    other = [_request(e) for e in requests if not e.get("call_id") or e["call_id"] not in known]
    per_tool: dict[str, dict[str, int]] = {}
    for call in calls:
        counts = per_tool.setdefault(call.tool, {"calls": 0, "errors": 0})
        counts["calls"] += 1
        counts["errors"] += 0 if call.ok else 1
    per_status = Counter("dropped" if e.get("status") is None else str(e["status"]) for e in requests)
    return {
        "tenant": tenant,
        "tool_calls": timeline,
        "requests": other,
        "counts": {
            "tools": dict(sorted(per_tool.items())),
            "statuses": dict(sorted(per_status.items())),
            "tool_calls": len(calls),
            "requests": len(requests),
        },
        "faults": list(faults),
        "ratelimit": ratelimit,
        "servers": list(servers),
    }


def _request(entry: dict[str, Any]) -> dict[str, Any]:
    return {
        key: entry.get(key)
        for key in (
            "id",
            "time",
            "method",
            "path",
            "query",
            "status",
            "latency_ms",
            "client",
            "tool",
            "call_id",
            "fault",
        )
    }
