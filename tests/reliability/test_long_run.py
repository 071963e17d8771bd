"""Ten minutes of mixed MCP traffic against a real `halo-sandbox up` (behind `--long`): the process's
RSS stays flat (at most 10% growth after warm-up) and the journal stays bounded."""

from __future__ import annotations

import contextlib
import itertools
import os
import time
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client

from tests._sandbox import Sandbox

pytestmark = [pytest.mark.e2e, pytest.mark.anyio, pytest.mark.slow]

DURATION_S = float(os.environ.get("RELIABILITY_LONG_RUN_S", "600"))
WARMUP_S = DURATION_S / 10
SESSIONS = 8


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise LookupError(f"no VmRSS for pid {pid}")


async def _traffic(client: Client, *, worker: int, until: float, counts: dict[str, int]) -> None:
    for n in itertools.count():
        if time.monotonic() >= until:
            return
        created = await client.call_tool(
            "create_a_halo_itsm_ticket", {"summary": f"long run w{worker} n{n}", "client_id": 104}
        )
        assert created.is_error is False, created.structured_content
        ticket_id = created.structured_content["result"]["id"]
        calls: list[tuple[str, dict[str, Any], bool]] = [
            ("get_single_halo_itsm_ticket_by_id", {"id": ticket_id}, False),
            ("create_a_halo_itsm_action", {"ticket_id": ticket_id, "note": "progress"}, False),
            (
                "update_a_halo_itsm_ticket_by_id",
                {"id": ticket_id, "summary": f"long run w{worker} n{n} (edited)"},
                False,
            ),
            ("list_all_halo_itsm_tickets", {"client_id": 104, "open_only": True, "limit": 20}, False),
            ("get_single_halo_itsm_ticket_by_id", {"id": "not-a-number"}, True),
            ("list_all_halo_itsm_tickets", {"next_cursor": "tampered"}, True),
        ]
        if n % 5 == 0:
            calls.append(("delete_a_halo_itsm_ticket_by_id", {"id": ticket_id}, False))
        for tool, arguments, fails in calls:
            result = await client.call_tool(tool, arguments)
            assert result.is_error is fails, (tool, result.structured_content)
            counts["calls"] += 1


async def test_ten_minutes_of_mixed_traffic_keep_rss_flat_and_the_journal_bounded(sandbox: Sandbox) -> None:
    pid = sandbox.proc.pid
    counts = {"calls": 0}
    start = time.monotonic()
    samples: list[tuple[float, int]] = []
    async with contextlib.AsyncExitStack() as stack:
        clients = [await stack.enter_async_context(Client(sandbox.mcp_url)) for _ in range(SESSIONS)]

        async def sample() -> None:
            while time.monotonic() < start + DURATION_S:
                samples.append((time.monotonic() - start, rss_kib(pid)))
                await anyio.sleep(5)

        async with anyio.create_task_group() as tg:
            tg.start_soon(sample)
            for worker, client in enumerate(clients):
                tg.start_soon(
                    lambda c=client, w=worker: _traffic(c, worker=w, until=start + DURATION_S, counts=counts)
                )
    baseline = max(rss for t, rss in samples if t <= WARMUP_S)
    final = max(rss for t, rss in samples if t >= DURATION_S - 30)
    assert counts["calls"] > 1000
    assert final <= baseline * 1.10, (
        f"RSS grew from {baseline} KiB to {final} KiB after {counts['calls']} calls"
    )
    assert sandbox.proc.poll() is None
    journal = sandbox.admin("GET", "/requests", params={"limit": 100_000}).json()
    assert journal["count"] <= 1000, "the journal is a bounded ring buffer"
