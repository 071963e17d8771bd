"""Stalls: while one client runs a heavy operation on a real `halo-sandbox up` (a batch POST of just
under 20 MiB of tickets, then an export and a restore of the tenant's snapshot, which by then
holds those tickets), other clients keep sending small requests on their own connections and
their latencies are recorded: a ticket read on the same tenant, a ticket read on another tenant,
and an MCP `prompts/list` (2026-07-28 POST). The heavy client is another process (its own sending
and receiving of 20 MiB must not delay the probes' event loop). Target: no other client waits more
than 50 ms."""

from __future__ import annotations

import contextlib
import json
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
import httpx

from bench._plain import MODERN, connection
from bench._support import ADMIN_KEY, CLIENT_ID, CLIENT_SECRET, ms, report, running, verdict

TARGET_MS = 50.0
BATCH_BYTES = 20 * 1024 * 1024 - 64 * 1024
TICKET = 45920
MAX_BATCH_RECORDS = 1000
"""The sandbox's default `max_batch_records` (more in one request is a 413)."""


def _batch() -> bytes:
    """Just under 20 MiB of new tickets: the most records a request may carry (`max_batch_records`,
    1,000), about 20 KB each."""
    filler = "Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 360
    items: list[dict[str, Any]] = []
    size = 2
    while size < BATCH_BYTES - 2048 - len(filler) and len(items) < MAX_BATCH_RECORDS:
        item = {
            "summary": f"Bulk import {len(items)}",
            "details": filler,
            "client_id": 104,
            "tickettype_id": 1,
        }
        items.append(item)
        size += len(json.dumps(item)) + 2
    return json.dumps(items).encode()


async def _watch(probe: Callable[[], Awaitable[None]], stop: anyio.Event, out: list[float]) -> None:
    while not stop.is_set():
        start = time.perf_counter()
        await probe()
        out.append(time.perf_counter() - start)
        await anyio.sleep(0.005)


async def _measure() -> dict[str, Any]:
    with running("up") as sandbox:
        admin = {"X-Admin-Key": ADMIN_KEY}
        sandbox.admin("POST", "/tenants", json={"name": "bystander"})
        httpx.put(
            f"{sandbox.base}/_sandbox/ratelimit",
            json={"enabled": False},
            timeout=30,
            headers={"X-Admin-Key": ADMIN_KEY, "X-Sandbox-Tenant": "bystander"},
        ).raise_for_status()
        async with contextlib.AsyncExitStack() as stack:
            same, other, mcp = [await stack.enter_async_context(connection(sandbox.base)) for _ in range(3)]
            tokens = {}
            for tenant in ("sandbox", "bystander"):
                response = await same.post(
                    "/auth/token",
                    params={"tenant": tenant},
                    data={
                        "grant_type": "client_credentials",
                        "client_id": CLIENT_ID,
                        "client_secret": CLIENT_SECRET,
                        "scope": "all",
                    },
                )
                response.raise_for_status()
                tokens[tenant] = {"Authorization": f"Bearer {response.json()['access_token']}"}
            list_prompts = json.dumps(
                {
                    "jsonrpc": "2.0",
                    "id": 1,
                    "method": "prompts/list",
                    "params": {
                        "_meta": {
                            "io.modelcontextprotocol/protocolVersion": MODERN,
                            "io.modelcontextprotocol/clientCapabilities": {},
                        }
                    },
                }
            ).encode()
            mcp_headers = {
                "Accept": "application/json, text/event-stream",
                "Content-Type": "application/json",
                "MCP-Protocol-Version": MODERN,
                "Mcp-Method": "prompts/list",
            }

            async def same_read() -> None:
                assert (
                    await same.get(f"/api/Tickets/{TICKET}", headers=tokens["sandbox"])
                ).status_code == 200

            async def other_read() -> None:
                response = await other.get(
                    f"/api/Tickets/{TICKET}", headers={**tokens["bystander"], "X-Sandbox-Tenant": "bystander"}
                )
                assert response.status_code == 200, response.text

            async def prompts_list() -> None:
                assert (await mcp.post("/mcp", content=list_prompts, headers=mcp_headers)).status_code == 200

            batch = _batch()
            folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="halo-bench-stall-"))
            (Path(folder) / "batch.json").write_bytes(batch)
            snapshot_file = Path(folder) / "snapshot.json"

            async def in_process(
                method: str,
                path: str,
                headers: dict[str, str],
                upload: Path | None = None,
                download: Path | None = None,
            ) -> None:
                script = (
                    "import httpx, pathlib, sys\n"
                    "m, url, up, down = sys.argv[1:5]; h = dict(a.split(':', 1) for a in sys.argv[5:])\n"
                    "body = pathlib.Path(up).read_bytes() if up else None\n"
                    "r = httpx.request(m, url, content=body, headers=h, timeout=600)\n"
                    "assert r.status_code == 200, r.text[:300]\n"
                    "if down: pathlib.Path(down).write_bytes(r.content)\n"
                )
                await anyio.run_process(
                    [
                        sys.executable,
                        "-c",
                        script,
                        method,
                        f"{sandbox.base}{path}",
                        str(upload or ""),
                        str(download or ""),
                        *(f"{k}:{v}" for k, v in headers.items()),
                    ],
                    check=True,
                )

            async def post_batch() -> None:
                await in_process(
                    "POST",
                    "/api/Tickets",
                    {**tokens["sandbox"], "Content-Type": "application/json"},
                    upload=Path(folder) / "batch.json",
                )

            async def export() -> None:
                await in_process("GET", "/_sandbox/snapshot", admin, download=snapshot_file)

            async def restore() -> None:
                await in_process(
                    "PUT",
                    "/_sandbox/snapshot",
                    {**admin, "Content-Type": "application/json"},
                    upload=snapshot_file,
                )

            probes = {
                "same tenant GET": same_read,
                "other tenant GET": other_read,
                "MCP prompts/list": prompts_list,
            }
            result: dict[str, Any] = {"batch_mib": len(batch) / 2**20}
            for op, run_op in (
                ("20 MiB batch POST", post_batch),
                ("snapshot export", export),
                ("snapshot restore", restore),
            ):
                for probe in probes.values():  # warm
                    await probe()
                waits: dict[str, list[float]] = {name: [] for name in probes}
                stop = anyio.Event()
                start = time.perf_counter()
                async with anyio.create_task_group() as tg:
                    for name, probe in probes.items():
                        tg.start_soon(_watch, probe, stop, waits[name])
                    await run_op()
                    duration = time.perf_counter() - start
                    stop.set()
                result[op] = {
                    "duration_s": duration,
                    **{name: {"max_ms": max(w) * 1000, "samples": len(w)} for name, w in waits.items()},
                }
                if op == "snapshot export":
                    result[op]["mib"] = snapshot_file.stat().st_size / 2**20
    rows = []
    for op in ("20 MiB batch POST", "snapshot export", "snapshot restore"):
        for name in probes:
            worst = result[op][name]["max_ms"]
            rows.append(
                (
                    op,
                    f"{result[op]['duration_s']:.2f} s",
                    name,
                    ms(worst / 1000),
                    result[op][name]["samples"],
                    verdict(worst, TARGET_MS),
                )
            )
    result["worst_ms"] = max(
        result[op][name]["max_ms"]
        for op in ("20 MiB batch POST", "snapshot export", "snapshot restore")
        for name in probes
    )
    return report(
        "stall",
        f"Other clients during heavy operations (target: no wait over {TARGET_MS:g} ms)",
        ["heavy operation", "took", "other client", "longest wait", "requests", "verdict"],
        rows,
        result,
    )


def run(*, quick: bool = False) -> dict[str, Any]:
    return anyio.run(_measure)
