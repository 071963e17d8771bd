"""Startup: `halo-sandbox up` (default fixtures) to the first successful MCP `initialize`.
Target: <= 2 s (median of several starts)."""

from __future__ import annotations

import statistics
import time
from typing import Any

import httpx

from bench._support import report, running, verdict

TARGET_S = 2.0
INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-11-25",
        "capabilities": {},
        "clientInfo": {"name": "bench", "version": "1"},
    },
}
HEADERS = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


def _once() -> float:
    start = time.perf_counter()
    with running("up", wait=False) as sandbox:
        while True:
            if sandbox.proc.poll() is not None:
                raise RuntimeError("halo-sandbox up exited")
            try:
                response = httpx.post(sandbox.mcp_url, json=INIT, headers=HEADERS, timeout=5)
                if response.status_code == 200 and "serverInfo" in response.text:
                    return time.perf_counter() - start
            except httpx.TransportError:
                pass
            time.sleep(0.01)


def run(*, quick: bool = False) -> dict[str, Any]:
    times = [_once() for _ in range(3 if quick else 5)]
    median = statistics.median(times)
    rows = [
        ("up -> first initialize (median)", f"{median:.2f} s", verdict(median, TARGET_S)),
        ("all starts", ", ".join(f"{t:.2f} s" for t in times), ""),
    ]
    return report(
        "startup",
        f"Startup (target <= {TARGET_S:g} s)",
        ["measure", "time", "target"],
        rows,
        {"median_s": median, "runs_s": times},
    )
