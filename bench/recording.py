"""Recording a 10,000-ticket tenant (`python -m bench.recording`): requests, the time Halo's documented
rate limit (300 requests per rolling 5 minutes) makes it take, and how fast the snapshot loads.

The live tenant is the mock in-process (`--tickets 10000`); the recorder's pacing runs on a virtual
clock, so the rate-limit waits are counted, not slept. Prints one JSON line."""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

import httpx

from halo_sandbox.mock.config import MockSettings
from halo_sandbox.mock.http.app import create_app
from halo_sandbox.mock.tenants import TenantRegistry
from halo_sandbox.recording.client import Credentials, ReadOnlyHalo
from halo_sandbox.recording.recorder import RecordOptions, record


async def main(tickets: int) -> dict[str, object]:
    registry = TenantRegistry(MockSettings(tickets=tickets, rate_limit=None))
    registry.get()
    transport = httpx.ASGITransport(app=create_app(registry=registry))
    virtual = [0.0]

    async def sleep(seconds: float) -> None:
        virtual[0] += seconds

    def clock() -> float:
        return time.monotonic() + virtual[0]

    creds = Credentials(
        halo_url="http://live.test", client_id="halo-sandbox", client_secret="halo-sandbox-secret"
    )
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "tenant.snapshot.json"
        started = time.perf_counter()
        async with ReadOnlyHalo(creds, transport=transport, sleep=sleep, monotonic=clock) as halo:
            summary = await record(halo, RecordOptions(out=out))
        recorded_in = time.perf_counter() - started
        size = out.stat().st_size
        started = time.perf_counter()
        TenantRegistry(MockSettings(snapshot=out)).get()
        loaded_in = time.perf_counter() - started
    return {
        "tickets": summary.records.get("tickets"),
        "requests": summary.requests,
        "rate_limit_wait_s": round(summary.waited_seconds),
        "recording_cpu_s": round(recorded_in, 1),
        "snapshot_mb": round(size / 1e6, 1),
        "snapshot_load_s": round(loaded_in, 2),
    }


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000))))
