"""What every benchmark shares: real processes on free 127.0.0.1 ports, percentiles, RSS, output."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

from halo_sandbox.harness import Process, start

ADMIN_KEY = "bench-admin-key"
CLIENT_ID, CLIENT_SECRET = "halo-sandbox", "halo-sandbox-secret"
console = Console(width=150)


def percentile(samples: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100), nearest rank."""
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise LookupError(f"no VmRSS for pid {pid}")


def token(process: Process) -> str:
    """An OAuth access token of the sandbox's default client."""
    response = httpx.post(
        f"{process.base}/auth/token",
        timeout=30,
        data={
            "grant_type": "client_credentials",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "scope": "all",
        },
    )
    response.raise_for_status()
    return str(response.json()["access_token"])


@contextmanager
def running(
    command: str, *args: str, rate_limit_off: bool = True, wait: bool = True, cli: str | None = None
) -> Iterator[Process]:
    """`halo-sandbox <command> --port <free> ...` (`halo_sandbox.harness`) until the block ends.
    `cli`: another `halo-sandbox` executable (e.g. a baseline commit's, `_plain.baseline_cli`)."""
    with start(command, *args, admin_key=ADMIN_KEY, wait=wait, timeout=120, cli=cli) as process:
        if wait and rate_limit_off:
            process.admin("PUT", "/ratelimit", json={"enabled": False})
        yield process


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def report(
    name: str, title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], result: dict[str, Any]
) -> dict[str, Any]:
    """Print a rich table and one machine-readable JSON line; returns `result` tagged with `name`."""
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*(str(cell) for cell in row))
    console.print(table)
    tagged = {"bench": name, **result}
    print(json.dumps(tagged, sort_keys=True), flush=True)
    return tagged


def verdict(value: float, target: float) -> str:
    return "[green]met[/green]" if value <= target else "[red]missed[/red]"
