"""Other MCP servers of the same tools, side by side with ours on one `halo-sandbox mock`.

No dedicated Halo ITSM/PSA MCP server could be installed from npm or PyPI when this was written (those
we found are either not published there or not served by the registry mirror), so the others are two
widely used generic OpenAPI-to-MCP servers, each given Halo's own OpenAPI document for the two
operations measured (rebuilt from the vendored facts, `halo_sandbox.mock.domain.facts.official_document`, with
readable operation ids): `@ivotoby/openapi-mcp-server` (TypeScript, the official TypeScript SDK; npm)
and `awslabs.openapi-mcp-server` (Python, FastMCP 3; PyPI). Neither speaks Halo's client-credentials
flow: the bench fetches a token from the mock's `POST /auth/token` and hands it to them as a static
bearer header (ours fetches its own). Both are measured over stdio: awslabs serves nothing else, and the
TypeScript one's HTTP transport answers a `tools/call` POST with 202 and sends the result on a separate
GET stream, which the plain client does not read.

They are installed on request, never at import: `python -m bench others --install` (or `nox -s bench`)
puts them under `.nox/_others/` (`npm install --prefix`, a venv + pip for the PyPI one); a server not
installed there is reported as not available and skipped.

Measured: get-by-id and a list of 50 tickets as MCP `tools/call` against the direct Halo GET of the same
request to the same mock, samples interleaved (the order rotates every round). Every stdio server,
ours (`halo-sandbox mcp`) included, is driven by the same minimal client: one JSON-RPC line written to its
stdin, lines read from its stdout until the answer with that id (a handshake-era session, since stdio
has one connection). Ours over HTTP as well: `halo-sandbox mcp --transport http` on the same mock and
`halo-sandbox up` (against its own direct GET), with `bench._plain`'s client (2026-07-28 POST). The
direct GETs use `bench._plain.connection` (one httpx connection). Ratio = tool call / direct, p50 and
p99; no target (context for ours). Beside them: the bytes of each answer, and the CPU time of each server
process per call over the run (`/proc`, get and list together; `up`'s includes its in-process mock)."""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import httpx
from anyio.abc import Process as AnyioProcess
from anyio.streams.buffered import BufferedByteReceiveStream

from bench._plain import LEGACY, check_tool_result, connection, modern_call
from bench._support import CLIENT_ID, CLIENT_SECRET, console, ms, percentile, report, running, token
from halo_sandbox.harness import clean_env, cli_path, start
from halo_sandbox.mock.domain import facts

CACHE = Path(__file__).resolve().parent.parent / ".nox" / "_others"
TICKET = 45920
LIST_QUERY = {"pageinate": "true", "page_size": 50, "page_no": 1}
DIRECT = {"get": (f"/api/Tickets/{TICKET}", {}), "list": ("/api/Tickets", LIST_QUERY)}
OPS = {"get": "get by id", "list": "list (50)"}
_MAX_LINE = 256 * 1024 * 1024
Tools = dict[str, tuple[str, dict[str, Any]]]  # operation -> (tool name, arguments)


@dataclass(frozen=True)
class Other:
    """Another MCP server: where it comes from, how it is started against a Halo, its two tools."""

    name: str
    registry: str  # "npm" or "PyPI"
    package: str
    version: str
    tools: Tools
    argv: Callable[[Path, Path, str, str], list[str]]  # (home, spec, halo base, bearer token) -> command

    @property
    def home(self) -> Path:
        return CACHE / self.package.replace("@", "").replace("/", "-").replace(".", "-")

    @property
    def marker(self) -> Path:
        return self.home / ".installed"

    def available(self) -> str | None:
        """None when installed at this version (and its runtime is on PATH), else why not."""
        if self.registry == "npm" and shutil.which("node") is None:
            return "node is not on PATH"
        if not self.marker.exists() or self.marker.read_text() != self.spec:
            return f"not installed (python -m bench others --install puts {self.spec} under {CACHE})"
        return None

    @property
    def spec(self) -> str:
        return (
            f"{self.package}@{self.version}" if self.registry == "npm" else f"{self.package}=={self.version}"
        )

    def install(self) -> None:
        if self.available() is None:
            return
        shutil.rmtree(self.home, ignore_errors=True)
        self.home.mkdir(parents=True)
        if self.registry == "npm":
            if shutil.which("npm") is None:
                raise RuntimeError("npm is not on PATH")
            subprocess.run(
                [
                    "npm",
                    "install",
                    "--prefix",
                    str(self.home),
                    "--no-audit",
                    "--no-fund",
                    "--loglevel=error",
                    self.spec,
                ],
                check=True,
            )
        else:
            subprocess.run([sys.executable, "-m", "venv", str(self.home / "venv")], check=True)
            subprocess.run(
                [
                    str(self.home / "venv" / "bin" / "python"),
                    "-m",
                    "pip",
                    "install",
                    "-q",
                    "--disable-pip-version-check",
                    self.spec,
                ],
                check=True,
            )
        self.marker.write_text(self.spec)


def _ivotoby(home: Path, spec: Path, base: str, bearer: str) -> list[str]:
    entry = home / "node_modules" / "@ivotoby" / "openapi-mcp-server" / "bin" / "mcp-server.js"
    return [
        "node",
        str(entry),
        "--transport",
        "stdio",
        "--openapi-spec",
        str(spec),
        "--api-base-url",
        base,
        "--headers",
        f"Authorization:Bearer {bearer}",
    ]


def _awslabs(home: Path, spec: Path, base: str, bearer: str) -> list[str]:
    return [
        str(home / "venv" / "bin" / "awslabs.openapi-mcp-server"),
        "--api-url",
        base,
        "--spec-path",
        str(spec),
        "--auth-type",
        "bearer",
        "--auth-token",
        bearer,
    ]


_OPENAPI_ARGS = {"get": {"id": TICKET}, "list": {"pageinate": True, "page_size": 50, "page_no": 1}}
OTHERS = (
    Other(
        name="@ivotoby/openapi-mcp-server (TS)",
        registry="npm",
        package="@ivotoby/openapi-mcp-server",
        version="1.16.1",
        tools={
            "get": ("get-ticket-by-id", _OPENAPI_ARGS["get"]),
            "list": ("lst-tickets", _OPENAPI_ARGS["list"]),
        },
        argv=_ivotoby,
    ),
    Other(
        name="awslabs.openapi-mcp-server (Python)",
        registry="PyPI",
        package="awslabs.openapi-mcp-server",
        version="1.1.6",
        tools={
            "get": ("getTicketById", _OPENAPI_ARGS["get"]),
            "list": ("listTickets", _OPENAPI_ARGS["list"]),
        },
        argv=_awslabs,
    ),
)
OURS_TOOLS = {
    "get": ("get_single_halo_itsm_ticket_by_id", {"id": TICKET}),
    "list": ("list_all_halo_itsm_tickets", {"limit": 50}),
}


def install() -> None:
    """Install every other server into `CACHE` (skipped when already there at its version)."""
    for other in OTHERS:
        if other.available() is None:
            continue
        console.print(f"installing {other.spec} into {other.home}")
        try:
            other.install()
        except (OSError, RuntimeError, subprocess.CalledProcessError) as exc:
            console.print(f"[yellow]{other.spec} could not be installed: {exc}[/yellow]")


def openapi_spec(path: Path) -> Path:
    """Halo's official document (vendored facts) for the two GETs, with readable operation ids."""
    document = facts.official_document(templates=["/Tickets/{id}", "/Tickets"], depth=0)
    paths = document["paths"]
    document["paths"] = {
        "/api/Tickets/{id}": {"get": {**paths["/api/Tickets/{id}"]["get"], "operationId": "getTicketById"}},
        "/api/Tickets": {"get": {**paths["/api/Tickets"]["get"], "operationId": "listTickets"}},
    }
    path.write_text(json.dumps(document))
    return path


class StdioClient:
    """A minimal MCP client over a server's stdin/stdout: JSON-RPC lines, nothing else."""

    def __init__(self, process: AnyioProcess) -> None:
        assert process.stdin is not None and process.stdout is not None
        self.process = process
        self._out = BufferedByteReceiveStream(process.stdout)
        self._id = 0

    async def request(self, method: str, params: dict[str, Any] | None = None) -> bytes:
        """Send one request and return the raw line of its answer (lines in between are skipped)."""
        self._id += 1
        message: dict[str, Any] = {"jsonrpc": "2.0", "id": self._id, "method": method}
        if params is not None:
            message["params"] = params
        assert self.process.stdin is not None
        await self.process.stdin.send(json.dumps(message).encode() + b"\n")
        mine = re.compile(rb'"id":\s*%d\s*[,}]' % self._id)
        while True:  # the answer carries the id at its start or end (key order differs by SDK)
            line = await self._out.receive_until(b"\n", _MAX_LINE)
            if mine.search(line, 0, 80) or mine.search(line, max(0, len(line) - 80)):
                return line

    async def notify(self, method: str) -> None:
        assert self.process.stdin is not None
        await self.process.stdin.send(json.dumps({"jsonrpc": "2.0", "method": method}).encode() + b"\n")

    async def handshake(self) -> list[str]:
        """initialize + initialized; returns the names of the tools listed."""
        answer = json.loads(
            await self.request(
                "initialize",
                {
                    "protocolVersion": LEGACY,
                    "capabilities": {},
                    "clientInfo": {"name": "bench", "version": "0"},
                },
            )
        )
        if "result" not in answer:
            raise RuntimeError(f"initialize failed: {answer}")
        await self.notify("notifications/initialized")
        return [tool["name"] for tool in json.loads(await self.request("tools/list"))["result"]["tools"]]


@contextlib.asynccontextmanager
async def stdio_server(argv: Sequence[str], log: Path, tools: Tools) -> AsyncIterator[StdioClient]:
    """The server started with `argv` (stderr to `log`), after the handshake and a check that it lists
    `tools`."""
    with log.open("wb") as stderr:
        process = await anyio.open_process(list(argv), stderr=stderr, env=clean_env())
        try:
            client = StdioClient(process)
            with anyio.fail_after(120):
                listed = await client.handshake()
            missing = [tool for tool, _ in tools.values() if tool not in listed]
            if missing:
                raise RuntimeError(f"it lists no tool {', '.join(missing)} (it lists {', '.join(listed)})")
            yield client
        finally:
            if process.returncode is None:
                process.terminate()
                with anyio.move_on_after(10):
                    await process.wait()
                if process.returncode is None:
                    process.kill()
                    await process.wait()


Call = Callable[[], Awaitable[int]]  # one request; returns the bytes of its answer
MOCK_DIRECT, UP_DIRECT = "direct (mock)", "direct (up)"
OURS_STDIO = "ours: mcp, stdio"
OURS_HTTP = "ours: mcp, HTTP 2026-07-28 POST"
OURS_UP = "ours: up, HTTP 2026-07-28 POST"


def _direct_calls(http: httpx.AsyncClient, bearer: str) -> dict[str, Call]:
    headers = {"Authorization": f"Bearer {bearer}"}
    calls: dict[str, Call] = {}
    for op, (path, params) in DIRECT.items():

        async def call(path: str = path, params: dict[str, Any] = params) -> int:
            response = await http.get(path, params=params, headers=headers)
            assert response.status_code == 200, response.text
            return len(response.content)

        calls[op] = call
    return calls


def _stdio_calls(client: StdioClient, tools: Tools) -> dict[str, Call]:
    calls: dict[str, Call] = {}
    for op, (tool, arguments) in tools.items():
        params = {"name": tool, "arguments": arguments}

        async def call(op: str = op, params: dict[str, Any] = params) -> int:
            line = await client.request("tools/call", params)
            compact = line.replace(b" ", b"")
            if (
                b'"result"' not in compact
                or b'"isError":true' in compact
                or (op == "get" and str(TICKET).encode() not in line)
            ):
                raise AssertionError(f"tool call failed: {line[:300]!r}")
            return len(line)

        calls[op] = call
    return calls


def _http_calls(http: httpx.AsyncClient, tools: Tools) -> dict[str, Call]:
    calls: dict[str, Call] = {}
    for op, (tool, arguments) in tools.items():
        body, headers = modern_call(tool, arguments)

        async def call(body: bytes = body, headers: dict[str, str] = headers) -> int:
            response = await http.post("/mcp", content=body, headers=headers)
            check_tool_result(response)
            return len(response.content)

        calls[op] = call
    return calls


async def _interleave(
    sides: dict[str, dict[str, Call]], *, samples: int
) -> tuple[dict[str, dict[str, list[float]]], dict[str, dict[str, int]]]:
    """Every side's call of each operation once per round, the order of the sides rotating; 20 rounds
    of warm-up first. Returns the times and the size of each side's (last) answer."""
    labels = list(sides)
    times: dict[str, dict[str, list[float]]] = {label: {op: [] for op in OPS} for label in labels}
    sizes: dict[str, dict[str, int]] = {label: {} for label in labels}
    for i in range(samples + 20):
        order = labels[i % len(labels) :] + labels[: i % len(labels)]
        for op in OPS:
            for label in order:
                begin = time.perf_counter()
                sizes[label][op] = await sides[label][op]()
                if i >= 20:
                    times[label][op].append(time.perf_counter() - begin)
    return times, sizes


async def _measure(*, samples: int, work: Path) -> dict[str, Any]:
    unavailable = {other.name: why for other in OTHERS if (why := other.available()) is not None}
    for name, why in unavailable.items():
        console.print(f"[yellow]{name}: not available ({why}); skipped[/yellow]")
    spec = openapi_spec(work / "halo-openapi.json")
    sides: dict[str, dict[str, Call]] = {}
    pids: dict[str, int] = {}  # side -> the server process, for its CPU time
    baseline: dict[str, str] = {}  # side -> the direct side it is compared with
    with running("mock") as mock, running("up") as sandbox, contextlib.ExitStack() as processes:
        bearer = token(mock)
        async with contextlib.AsyncExitStack() as stack:
            for label, process in ((MOCK_DIRECT, mock), (UP_DIRECT, sandbox)):
                sides[label] = _direct_calls(
                    await stack.enter_async_context(connection(process.base)), token(process)
                )
            stdio = [
                (other.name, other.argv(other.home, spec, mock.base, bearer), other.tools)
                for other in OTHERS
                if other.name not in unavailable
            ]
            ours = ["--halo-url", mock.base, "--client-id", CLIENT_ID, "--client-secret", CLIENT_SECRET]
            stdio.append((OURS_STDIO, [cli_path(), "mcp", *ours], OURS_TOOLS))
            for n, (label, argv, tools) in enumerate(stdio):
                log = work / f"server-{n}.stderr.log"
                try:
                    client = await stack.enter_async_context(stdio_server(argv, log, tools))
                except (
                    OSError,
                    RuntimeError,
                    TimeoutError,
                    ValueError,
                    KeyError,
                    anyio.EndOfStream,
                    anyio.IncompleteRead,
                ) as exc:
                    if label == OURS_STDIO:
                        raise
                    unavailable[label] = f"failed to start: {exc!r}; its stderr: {log.read_text()[-500:]}"
                    console.print(f"[yellow]{label}: {unavailable[label]}; skipped[/yellow]")
                    continue
                sides[label], baseline[label] = _stdio_calls(client, tools), MOCK_DIRECT
                pids[label] = client.process.pid
            ours_http = processes.enter_context(start("mcp", "--transport", "http", *ours, timeout=120))
            for label, process, direct in (
                (OURS_HTTP, ours_http, MOCK_DIRECT),
                (OURS_UP, sandbox, UP_DIRECT),
            ):
                http = await stack.enter_async_context(connection(process.base))
                sides[label], baseline[label] = _http_calls(http, OURS_TOOLS), direct
                pids[label] = process.proc.pid
            load, cpu = [os.getloadavg()[0]], {label: -_cpu_seconds(pid) for label, pid in pids.items()}
            times, sizes = await _interleave(sides, samples=samples)
            load.append(os.getloadavg()[0])
            calls = (samples + 20) * len(OPS)
            cpu = {label: (cpu[label] + _cpu_seconds(pid)) / calls for label, pid in pids.items()}
    return _report(times, sizes, cpu, baseline, unavailable=unavailable, samples=samples, load=load)


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (all its threads) so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _report(
    times: dict[str, dict[str, list[float]]],
    sizes: dict[str, dict[str, int]],
    cpu: dict[str, float],
    baseline: dict[str, str],
    *,
    unavailable: dict[str, str],
    samples: int,
    load: list[float],
) -> dict[str, Any]:
    stats = {
        label: {op: (percentile(v, 50), percentile(v, 99)) for op, v in ops.items()}
        for label, ops in times.items()
    }
    result: dict[str, Any] = {
        "samples": samples,
        "load_average_1m": load,
        "not_available": unavailable,
        "servers": {},
    }
    rows = []
    for op, op_name in OPS.items():
        for label, direct in baseline.items():
            (p50, p99), (d50, d99) = stats[label][op], stats[direct][op]
            result["servers"].setdefault(label, {})[op] = {
                "p50_ms": p50 * 1000,
                "p99_ms": p99 * 1000,
                "direct_p50_ms": d50 * 1000,
                "direct_p99_ms": d99 * 1000,
                "ratio_p50": p50 / d50,
                "ratio_p99": p99 / d99,
                "baseline": direct,
                "answer_bytes": sizes[label][op],
                "direct_answer_bytes": sizes[direct][op],
                "server_cpu_ms_per_call": cpu[label] * 1000,
            }
            rows.append(
                (
                    op_name,
                    label,
                    ms(p50),
                    ms(d50),
                    f"{p50 / d50:.2f}x",
                    ms(p99),
                    f"{p99 / d99:.2f}x",
                    f"{sizes[label][op]:,} / {sizes[direct][op]:,}",
                    ms(cpu[label]),
                )
            )
        rows += [(op_name, name, "not available", "", "", "", "", "", "") for name in unavailable]
    return report(
        "others",
        f"Other MCP servers of the same tools on one mock ({samples} interleaved samples; "
        f"load average {load[0]:.1f} -> {load[1]:.1f}); ratio = tool call / direct GET",
        [
            "operation",
            "server",
            "call p50",
            "direct p50",
            "p50 ratio",
            "call p99",
            "p99 ratio",
            "bytes call/direct",
            "server CPU/call",
        ],
        rows,
        result,
    )


def run(*, quick: bool = False) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="halo-bench-others-") as work:
        return anyio.run(lambda: _measure(samples=100 if quick else 300, work=Path(work)))


if __name__ == "__main__":
    if "--install" in sys.argv[1:]:
        install()
    run(quick="--quick" in sys.argv[1:])
