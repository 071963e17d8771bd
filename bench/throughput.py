"""Throughput: requests/s of a `halo-sandbox mock` process for `GET /api/Tickets/{id}` and a filtered
list under 32 concurrent connections (an async httpx load generator, bounded by time, 127.0.0.1
only), and tool calls/s of `halo-sandbox up`'s MCP server under 16 concurrent sessions.

The lean-path figures: on one `up` process, the same plain HTTP client (`bench._plain`, 8
connections) sends get-by-id tool calls (2026-07-28 POSTs) and the GETs they cause; the server's
CPU per tool call against its CPU per direct request (target <= 2x), and tool calls/s against
"today's" (the same load on `up` as it was at `bench._plain.BASELINE_REF`, run now, target >= 2x).
`--profile` also runs the mock's get-by-id load in this process under cProfile and prints the top
functions (the load generator shares the 2 cores, so absolute numbers are a floor)."""

from __future__ import annotations

import contextlib
import cProfile
import io
import os
import pstats
import shutil
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import anyio
import httpx
from mcp import Client

from bench._plain import BASELINE_REF, baseline_cli, check_tool_result, connection, modern_call
from bench._support import CLIENT_ID, CLIENT_SECRET, report, running
from bench._support import token as support_token
from bench.overhead import OPS
from halo_sandbox.harness import token_form

PLAIN_CONNECTIONS = 8
CPU_TARGET, RATE_TARGET = 2.0, 2.0

CONNECTIONS, SESSIONS = 32, 16
TICKET = 45920


async def _load(
    worker: Callable[[], Awaitable[None]], *, concurrency: int, seconds: float
) -> tuple[int, float]:
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


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (/proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _mock_rps(seconds: float) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    """Rates, and CPU milliseconds per request spent by the mock process and by this load generator:
    whichever is near a whole core per second of wall time is the limiting factor."""
    rates: dict[str, float] = {}
    cpu: dict[str, dict[str, float]] = {}
    with running("mock", "--rate-limit", "off") as mock:
        token = support_token(mock)
        # one single-connection client per connection: httpx's pool costs CPU per request that grows with
        # its size, and on 2 shared cores the load generator must stay cheaper than the server it measures
        async with contextlib.AsyncExitStack() as stack:
            https = [
                await stack.enter_async_context(
                    httpx.AsyncClient(
                        base_url=f"{mock.base}/api",
                        limits=httpx.Limits(max_connections=1),
                        timeout=30,
                        headers={"Authorization": f"Bearer {token}"},
                    )
                )
                for _ in range(CONNECTIONS)
            ]
            turn = iter(range(10**12))

            async def get() -> None:
                http = https[next(turn) % CONNECTIONS]
                assert (await http.get(f"/Tickets/{TICKET}")).status_code == 200

            async def filtered() -> None:
                http = https[next(turn) % CONNECTIONS]
                response = await http.get(
                    "/Tickets",
                    params={
                        "client_id": 104,
                        "open_only": "true",
                        "pageinate": "true",
                        "page_size": 50,
                        "page_no": 1,
                    },
                )
                assert response.status_code == 200

            for name, worker in (("mock GET /api/Tickets/{id}", get), ("mock filtered list", filtered)):
                await _load(worker, concurrency=CONNECTIONS, seconds=1)  # warm-up
                server_before, client_before = _cpu_seconds(mock.proc.pid), time.process_time()
                done, elapsed = await _load(worker, concurrency=CONNECTIONS, seconds=seconds)
                rates[name] = done / elapsed
                cpu[name] = {
                    "server_ms_per_request": (_cpu_seconds(mock.proc.pid) - server_before) / done * 1000,
                    "client_ms_per_request": (time.process_time() - client_before) / done * 1000,
                    "server_cores": (_cpu_seconds(mock.proc.pid) - server_before) / elapsed,
                    "client_cores": (time.process_time() - client_before) / elapsed,
                }
    return rates, cpu


async def _mcp_rps(seconds: float) -> tuple[dict[str, float], dict[str, dict[str, float]]]:
    name = "MCP tool calls (get by id, 16 sessions)"
    with running("up") as sandbox:
        async with contextlib.AsyncExitStack() as stack:
            clients = [await stack.enter_async_context(Client(sandbox.mcp_url)) for _ in range(SESSIONS)]
            turn = iter(range(10**12))

            async def call() -> None:
                client = clients[next(turn) % SESSIONS]
                result = await client.call_tool("get_single_halo_itsm_ticket_by_id", {"id": TICKET})
                assert not result.is_error

            await _load(call, concurrency=SESSIONS, seconds=1)
            server_before, client_before = _cpu_seconds(sandbox.proc.pid), time.process_time()
            done, elapsed = await _load(call, concurrency=SESSIONS, seconds=seconds)
            server, client = (
                _cpu_seconds(sandbox.proc.pid) - server_before,
                time.process_time() - client_before,
            )
    return {name: done / elapsed}, {
        name: {
            "server_ms_per_request": server / done * 1000,
            "server_cores": server / elapsed,
            "client_ms_per_request": client / done * 1000,
            "client_cores": client / elapsed,
        }
    }


async def _plain_rates(cli: str | None, seconds: float) -> dict[str, float]:
    """Direct GETs and the 2026-07-28 tool calls causing them, get by id and list of 50, on one `up`
    (started with `cli`): rates and server CPU milliseconds per request / call. Keys:
    `{direct,tool_call}_{per_s,server_ms}` for the get, the same with `list_` in front for the list."""
    with running("up", cli=cli) as sandbox:
        token = support_token(sandbox)
        async with contextlib.AsyncExitStack() as stack:
            https = [
                await stack.enter_async_context(connection(sandbox.base)) for _ in range(PLAIN_CONNECTIONS)
            ]
            turn = iter(range(10**12))
            auth = {"Authorization": f"Bearer {token}"}
            out: dict[str, float] = {}
            for op, prefix in (("get by id", ""), ("list (limit 50)", "list_")):
                tool, arguments, path, query = OPS[op]
                body, headers = modern_call(tool, arguments)

                async def direct(path: str = path, query: dict[str, Any] = query) -> None:
                    response = await https[next(turn) % PLAIN_CONNECTIONS].get(
                        path, params=query, headers=auth
                    )
                    assert response.status_code == 200

                async def tool_call(body: bytes = body, headers: dict[str, str] = headers) -> None:
                    check_tool_result(
                        await https[next(turn) % PLAIN_CONNECTIONS].post(
                            "/mcp", content=body, headers=headers
                        )
                    )

                for name, worker in (("direct", direct), ("tool_call", tool_call)):
                    await _load(worker, concurrency=PLAIN_CONNECTIONS, seconds=1)
                    before = _cpu_seconds(sandbox.proc.pid)
                    done, elapsed = await _load(worker, concurrency=PLAIN_CONNECTIONS, seconds=seconds)
                    out[f"{prefix}{name}_per_s"] = done / elapsed
                    out[f"{prefix}{name}_server_ms"] = (_cpu_seconds(sandbox.proc.pid) - before) / done * 1000
    return out


def _lean(seconds: float) -> dict[str, Any]:
    """The current `up` and, when git has the commit, the baseline's, twice each, alternating."""
    baseline = baseline_cli()
    runs: dict[str, list[dict[str, float]]] = {"current": [], "baseline": []}
    try:
        for _ in range(2):
            runs["current"].append(anyio.run(_plain_rates, None, seconds))
            if baseline is not None:
                runs["baseline"].append(anyio.run(_plain_rates, baseline[0], seconds))
    finally:
        if baseline is not None:
            shutil.rmtree(baseline[1], ignore_errors=True)

    def best(side: str, key: str) -> float:
        values = [r[key] for r in runs[side]]
        return max(values) if key.endswith("_per_s") else min(values)

    current = {key: best("current", key) for key in runs["current"][0]}
    result: dict[str, Any] = {"current": current, "baseline_ref": BASELINE_REF}
    for prefix in ("", "list_"):
        result[f"{prefix}cpu_ratio"] = (
            current[f"{prefix}tool_call_server_ms"] / current[f"{prefix}direct_server_ms"]
        )
    if runs["baseline"]:
        old = {key: best("baseline", key) for key in runs["baseline"][0]}
        result["baseline"] = old
        for prefix in ("", "list_"):
            result[f"{prefix}rate_ratio"] = (
                current[f"{prefix}tool_call_per_s"] / old[f"{prefix}tool_call_per_s"]
            )
            result[f"{prefix}baseline_cpu_ratio"] = (
                old[f"{prefix}tool_call_server_ms"] / old[f"{prefix}direct_server_ms"]
            )
    return result


async def _profile_mock(seconds: float) -> str:
    """The mock app in this process (ASGI transport, no sockets) under cProfile, get-by-id load."""
    from halo_sandbox.mock.config import MockSettings
    from halo_sandbox.mock.http.app import create_app

    app = create_app(MockSettings(rate_limit=None))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://mock") as http:
        token = (
            await http.post(
                "/auth/token",
                data=token_form(CLIENT_ID, CLIENT_SECRET),
            )
        ).json()
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
    mock_rates, cpu = anyio.run(_mock_rps, seconds)
    mcp_rates, mcp_cpu = anyio.run(_mcp_rps, seconds)
    rates, cpu = {**mock_rates, **mcp_rates}, {**cpu, **mcp_cpu}
    lean = _lean(seconds)
    if profile:
        print(anyio.run(_profile_mock, seconds))
    rows = []
    for name, rate in rates.items():
        use = cpu.get(name)
        rows.append(
            (
                name,
                f"{rate:,.0f}/s",
                *(
                    (
                        f"{use['server_ms_per_request']:.2f} ms ({use['server_cores']:.2f} cores)",
                        f"{use['client_ms_per_request']:.2f} ms ({use['client_cores']:.2f} cores)",
                    )
                    if use
                    else ("", "")
                ),
            )
        )
    current = lean["current"]
    for prefix, what in (("", "get by id"), ("list_", "list of 50")):
        rows.append(
            (
                f"up, plain direct GET, {what} ({PLAIN_CONNECTIONS} connections)",
                f"{current[f'{prefix}direct_per_s']:,.0f}/s",
                f"{current[f'{prefix}direct_server_ms']:.2f} ms",
                "",
            )
        )
        rows.append(
            (
                f"up, plain 2026-07-28 tool call, {what}",
                f"{current[f'{prefix}tool_call_per_s']:,.0f}/s",
                f"{current[f'{prefix}tool_call_server_ms']:.2f} ms = {lean[f'{prefix}cpu_ratio']:.2f}x "
                "direct "
                f"(target <= {CPU_TARGET:g}x)",
                "",
            )
        )
        if "baseline" in lean:
            old = lean["baseline"]
            rows.append(
                (
                    f"  the same on {BASELINE_REF} (today's)",
                    f"{old[f'{prefix}tool_call_per_s']:,.0f}/s "
                    f"(now {lean[f'{prefix}rate_ratio']:.2f}x, target >= {RATE_TARGET:g}x)",
                    f"{old[f'{prefix}tool_call_server_ms']:.2f} ms = "
                    f"{lean[f'{prefix}baseline_cpu_ratio']:.2f}x "
                    f"its direct {old[f'{prefix}direct_server_ms']:.2f} ms",
                    "",
                )
            )
    return report(
        "throughput",
        f"Throughput ({seconds:g} s each, {CONNECTIONS} connections to the mock, {SESSIONS} MCP sessions)",
        ["load", "rate", "server CPU / request", "load generator CPU / request"],
        rows,
        {"rates_per_s": rates, "cpu": cpu, "lean": lean},
    )
