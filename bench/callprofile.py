"""The profile of a tool call, before and after: `halo-sandbox up` as it was at `bench._plain.BASELINE_REF`
and as it is now, each under the same steady load of 2026-07-28 get-by-id tool calls (the plain
client of `bench._plain`, 4 connections), sampled by py-spy from outside the process. Prints the
frames holding the largest shares of the samples (inclusive: the frame or anything it called; self:
the frame's own code, C calls included) side by side, as shares of the busy samples. Needs `py-spy`
(installed by `nox -s bench`);
without it, or without git history for the baseline, it says so and measures nothing."""

from __future__ import annotations

import collections
import contextlib
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import anyio

from bench._plain import BASELINE_REF, baseline_cli, check_tool_result, connection, modern_call
from bench._support import console, report, running
from bench.throughput import TICKET, _load

CONNECTIONS = 4
RATE_HZ = 250
TOP = 24
SCAFFOLD = 0.7
"""Frames in more than this share of the samples, before or after, are scaffolding every request runs in
(event loop, uvicorn's cycle, the outer middleware): left out of the inclusive table. The tool call
itself ran in a task of its own before (the SDK's SSE-capable entry) and in the request's task after,
so shares are of all the busy samples, not of one entry frame's."""


def _frame(text: str) -> str:
    """`function (file.py)` of a py-spy raw frame `function (path/file.py:line)`."""
    name, _, where = text.partition(" (")
    return f"{name} ({where.split(':')[0].rsplit('/', 1)[-1]})" if where else name


def _shares(raw: Path) -> tuple[dict[str, float], dict[str, float]]:
    """Inclusive and self shares (0-1) of each frame in py-spy's raw (collapsed stacks) output."""
    inclusive: collections.Counter[str] = collections.Counter()
    own: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        frames = [_frame(f) for f in stack.split(";")]
        total += int(count)
        for frame in set(frames):
            inclusive[frame] += int(count)
        own[frames[-1]] += int(count)
    total = total or 1
    return ({k: v / total for k, v in inclusive.items()}, {k: v / total for k, v in own.items()})


async def _sampled(cli: str | None, seconds: float, out: Path) -> float:
    """Tool calls/s of one `up` under load while py-spy samples it into `out`."""
    with running("up", cli=cli) as sandbox:
        async with contextlib.AsyncExitStack() as stack:
            https = [await stack.enter_async_context(connection(sandbox.base)) for _ in range(CONNECTIONS)]
            turn = iter(range(10**12))
            body, headers = modern_call("get_single_halo_itsm_ticket_by_id", {"id": TICKET})

            async def call() -> None:
                check_tool_result(
                    await https[next(turn) % CONNECTIONS].post("/mcp", content=body, headers=headers)
                )

            await _load(call, concurrency=CONNECTIONS, seconds=1)
            spy = subprocess.Popen(
                [
                    "py-spy",
                    "record",
                    "--pid",
                    str(sandbox.proc.pid),
                    "--rate",
                    str(RATE_HZ),
                    "--duration",
                    str(int(seconds)),
                    "--format",
                    "raw",
                    "--output",
                    str(out),
                    "--nonblocking",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
            )
            done, elapsed = await _load(call, concurrency=CONNECTIONS, seconds=seconds + 1)
            _, err = spy.communicate(timeout=60)
            if spy.returncode != 0 or not out.exists():
                raise RuntimeError(f"py-spy failed: {err.decode(errors='replace')[-300:]}")
    return done / elapsed


def _rows(before: dict[str, float], after: dict[str, float], *, scaffold: bool) -> list[tuple[str, str, str]]:
    def keep(frame: str) -> bool:
        return not scaffold or max(before.get(frame, 0), after.get(frame, 0)) <= SCAFFOLD

    ranked = sorted(
        (f for f in set(before) | set(after) if keep(f)),
        key=lambda f: -max(before.get(f, 0), after.get(f, 0)),
    )[:TOP]
    return [
        (frame, f"{100 * before.get(frame, 0):.1f}%", f"{100 * after.get(frame, 0):.1f}%") for frame in ranked
    ]


def run(*, quick: bool = False) -> dict[str, Any]:
    seconds = 4.0 if quick else 10.0
    if shutil.which("py-spy") is None:
        console.print(
            "[yellow]profile: py-spy is not installed (nox -s bench installs it); nothing measured[/yellow]"
        )
        return {"bench": "callprofile", "available": False}
    baseline = baseline_cli()
    if baseline is None:
        console.print(
            f"[yellow]profile: git has no {BASELINE_REF} here (a shallow clone?); nothing measured[/yellow]"
        )
        return {"bench": "callprofile", "available": False}
    work = Path(tempfile.mkdtemp(prefix="halo-bench-profile-"))
    try:
        rates = {
            "before": anyio.run(_sampled, baseline[0], seconds, work / "before.txt"),
            "after": anyio.run(_sampled, None, seconds, work / "after.txt"),
        }
        (inc_b, own_b), (inc_a, own_a) = _shares(work / "before.txt"), _shares(work / "after.txt")
    finally:
        shutil.rmtree(baseline[1], ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)
    title = (
        f"Profile of `up` under 2026-07-28 get-by-id tool calls ({CONNECTIONS} connections, py-spy "
        f"{RATE_HZ} Hz, "
        f"{seconds:g} s): before = {BASELINE_REF} ({rates['before']:.0f} calls/s), after = now "
        f"({rates['after']:.0f} calls/s)"
    )
    inclusive = _rows(inc_b, inc_a, scaffold=True)
    own = _rows(own_b, own_a, scaffold=False)
    report(
        "profile-inclusive",
        title + "; inclusive shares of the busy samples",
        ["frame", "before", "after"],
        inclusive,
        {},
    )
    report(
        "profile-self",
        "Self shares of samples (a C call counts in the Python frame that made it)",
        ["frame", "before", "after"],
        own,
        {},
    )
    return {
        "bench": "callprofile",
        "available": True,
        "baseline_ref": BASELINE_REF,
        "calls_per_s": rates,
        "inclusive": {f: (b, a) for f, b, a in inclusive},
        "self": {f: (b, a) for f, b, a in own},
    }
