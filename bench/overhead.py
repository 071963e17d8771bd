"""MCP overhead: a tool call through `/mcp` of a real `halo-sandbox up` (one SDK session reused) vs
the same Halo request sent directly to the mock with httpx, same process, same data, samples
interleaved (A, B, B, A, ...) so machine noise hits both sides alike.
Targets: MCP p50 <= 1.5x direct, p99 <= 2x."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import httpx
from mcp import Client

from bench._support import ms, percentile, report, running, verdict
from bench._support import token as support_token

TICKET = 45920
P50_TARGET, P99_TARGET = 1.5, 2.0


async def _timed(fn: Callable[[], Awaitable[Any]]) -> float:
    start = time.perf_counter()
    await fn()
    return time.perf_counter() - start


async def _measure(*, samples: int) -> dict[str, Any]:
    with running("up") as sandbox:
        token = support_token(sandbox)
        async with Client(sandbox.mcp_url) as client, httpx.AsyncClient(
                base_url=f"{sandbox.base}/api", headers={"Authorization": f"Bearer {token}"}, timeout=30) as http:

            async def mcp_list() -> None:
                result = await client.call_tool("list_all_halo_itsm_tickets", {"limit": 50})
                assert not result.is_error and len(result.structured_content["result"]) == 50

            async def direct_list() -> None:
                response = await http.get("/Tickets", params={"pageinate": "true", "page_size": 50, "page_no": 1})
                assert response.status_code == 200 and len(response.json()["tickets"]) == 50

            async def mcp_get() -> None:
                result = await client.call_tool("get_single_halo_itsm_ticket_by_id", {"id": TICKET})
                assert not result.is_error

            async def direct_get() -> None:
                response = await http.get(f"/Tickets/{TICKET}")
                assert response.status_code == 200

            pairs = {"list (limit 50)": (mcp_list, direct_list), "get by id": (mcp_get, direct_get)}
            times: dict[str, dict[str, list[float]]] = {op: {"mcp": [], "direct": []} for op in pairs}
            for _ in range(20):  # warm-up
                for mcp_fn, direct_fn in pairs.values():
                    await mcp_fn()
                    await direct_fn()
            for i in range(samples):
                for op, (mcp_fn, direct_fn) in pairs.items():
                    order = [("mcp", mcp_fn), ("direct", direct_fn)]
                    for side, fn in (order if i % 2 == 0 else order[::-1]):
                        times[op][side].append(await _timed(fn))
    result: dict[str, Any] = {}
    rows = []
    for op, sides in times.items():
        stats = {side: {"p50": percentile(v, 50), "p99": percentile(v, 99)} for side, v in sides.items()}
        r50 = stats["mcp"]["p50"] / stats["direct"]["p50"]
        r99 = stats["mcp"]["p99"] / stats["direct"]["p99"]
        key = "list" if op.startswith("list") else "get"
        result[key] = {"mcp_p50_ms": stats["mcp"]["p50"] * 1000, "direct_p50_ms": stats["direct"]["p50"] * 1000,
                       "mcp_p99_ms": stats["mcp"]["p99"] * 1000, "direct_p99_ms": stats["direct"]["p99"] * 1000,
                       "ratio_p50": r50, "ratio_p99": r99}
        rows.append((op, ms(stats["mcp"]["p50"]), ms(stats["direct"]["p50"]), f"{r50:.2f}x {verdict(r50, P50_TARGET)}",
                     ms(stats["mcp"]["p99"]), ms(stats["direct"]["p99"]), f"{r99:.2f}x {verdict(r99, P99_TARGET)}"))
    result["samples"] = samples
    return report("overhead", f"MCP overhead ({samples} interleaved samples each; targets p50 <= "
                  f"{P50_TARGET}x, p99 <= {P99_TARGET}x)",
                  ["operation", "MCP p50", "direct p50", "p50 ratio", "MCP p99", "direct p99", "p99 ratio"],
                  rows, result)


def run(*, quick: bool = False) -> dict[str, Any]:
    return anyio.run(lambda: _measure(samples=100 if quick else 400))
