"""Throughput: requests/s of a `halo-sandbox mock` process for `GET /api/Tickets/{id}` and a filtered
list under 32 concurrent connections (an async httpx load generator, bounded by time, 127.0.0.1
only), and tool calls/s of `halo-sandbox up`'s MCP server under 16 concurrent sessions.
`--profile` also runs the mock's get-by-id load in this process under cProfile and prints the top
functions (the load generator shares the 2 cores, so absolute numbers are a floor)."""

from __future__ import annotations

import contextlib
import cProfile
import io
import pstats
import time
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import httpx
from mcp import Client

from bench._support import CLIENT_ID, CLIENT_SECRET, report, running

CONNECTIONS, SESSIONS = 32, 16
TICKET = 45920


async def _load(worker: Callable[[], Awaitable[None]], *, concurrency: int, seconds: float) -> tuple[int, float]:
    """Run `worker` in a loop on `concurrency` tasks for `seconds`; (completed calls, elapsed)."""
    done = 0
    start = time.perf_counter()
    deadline = start + seconds

    async def loop() -> None:
        nonlocal done
        while time.perf_counter() < deadline:
            await worker()
            done += 1

    async with anyio.create_task_group() as tg:
        for _ in range(concurrency):
            tg.start_soon(loop)
    return done, time.perf_counter() - start


async def _mock_rps(seconds: float) -> dict[str, float]:
    rates: dict[str, float] = {}
    with running("mock", "--rate-limit", "off") as mock:
        token = mock.token()
        limits = httpx.Limits(max_connections=CONNECTIONS, max_keepalive_connections=CONNECTIONS)
        async with httpx.AsyncClient(base_url=f"{mock.base}/api", limits=limits, timeout=30,
                                     headers={"Authorization": f"Bearer {token}"}) as http:
            async def get() -> None:
                assert (await http.get(f"/Tickets/{TICKET}")).status_code == 200

            async def filtered() -> None:
                response = await http.get("/Tickets", params={"client_id": 104, "open_only": "true",
                                                              "pageinate": "true", "page_size": 50, "page_no": 1})
                assert response.status_code == 200

            for name, worker in (("mock GET /api/Tickets/{id}", get), ("mock filtered list", filtered)):
                await _load(worker, concurrency=CONNECTIONS, seconds=1)  # warm-up
                done, elapsed = await _load(worker, concurrency=CONNECTIONS, seconds=seconds)
                rates[name] = done / elapsed
    return rates


async def _mcp_rps(seconds: float) -> dict[str, float]:
    with running("up") as sandbox:
        async with contextlib.AsyncExitStack() as stack:
            clients = [await stack.enter_async_context(Client(sandbox.mcp_url)) for _ in range(SESSIONS)]
            turn = iter(range(10**12))

            async def call() -> None:
                client = clients[next(turn) % SESSIONS]
                result = await client.call_tool("get_single_halo_itsm_ticket_by_id", {"id": TICKET})
                assert not result.is_error

            await _load(call, concurrency=SESSIONS, seconds=1)
            done, elapsed = await _load(call, concurrency=SESSIONS, seconds=seconds)
    return {"MCP tool calls (get by id, 16 sessions)": done / elapsed}


async def _profile_mock(seconds: float) -> str:
    """The mock app in this process (ASGI transport, no sockets) under cProfile, get-by-id load."""
    from mock_halo.app import create_app
    from mock_halo.settings import MockSettings

    app = create_app(MockSettings(rate_limit=None))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://mock") as http:
        token = (await http.post("/auth/token", data={"grant_type": "client_credentials", "client_id": CLIENT_ID,
                                                       "client_secret": CLIENT_SECRET, "scope": "all"})).json()
        http.headers["Authorization"] = f"Bearer {token['access_token']}"

        async def get() -> None:
            assert (await http.get(f"/api/Tickets/{TICKET}")).status_code == 200

        profiler = cProfile.Profile()
        profiler.enable()
        await _load(get, concurrency=CONNECTIONS, seconds=seconds)
        profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(30)
    return out.getvalue()


def run(*, quick: bool = False, profile: bool = False) -> dict[str, Any]:
    seconds = 3.0 if quick else 8.0
    rates = {**anyio.run(_mock_rps, seconds), **anyio.run(_mcp_rps, seconds)}
    if profile:
        print(anyio.run(_profile_mock, seconds))
    rows = [(name, f"{rate:,.0f}/s") for name, rate in rates.items()]
    return report("throughput", f"Throughput ({seconds:g} s each, {CONNECTIONS} connections to the mock, "
                  f"{SESSIONS} MCP sessions)", ["load", "rate"], rows, {"rates_per_s": rates})
