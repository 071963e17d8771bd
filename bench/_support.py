"""What every benchmark shares: real processes on free 127.0.0.1 ports, percentiles, RSS, output."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import httpx
from rich.console import Console
from rich.table import Table

CLI = str(Path(sys.executable).parent / "halo-sandbox")
ADMIN_KEY = "bench-admin-key"
CLIENT_ID, CLIENT_SECRET = "halo-sandbox", "halo-sandbox-secret"
console = Console(width=150)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HALO_")}
    return {**env, "HALO_SANDBOX_ADMIN_KEY": ADMIN_KEY, **extra}


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


@dataclass
class Process:
    proc: subprocess.Popen[bytes]
    port: int

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def mcp_url(self) -> str:
        return f"{self.base}/mcp"

    def admin(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = httpx.request(method, f"{self.base}/_sandbox{path}", headers={"X-Admin-Key": ADMIN_KEY},
                                 timeout=60, **kwargs)
        response.raise_for_status()
        return response

    def token(self) -> str:
        response = httpx.post(f"{self.base}/auth/token", timeout=30, data={
            "grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET,
            "scope": "all"})
        response.raise_for_status()
        return response.json()["access_token"]


def wait_ready(url: str, proc: subprocess.Popen[bytes], *, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args} exited with {proc.returncode}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not come up within {timeout} s")
        time.sleep(0.02)


@contextmanager
def running(command: str, *args: str, ready_path: str = "/api/authinfo", rate_limit_off: bool = True,
            wait: bool = True) -> Iterator[Process]:
    """`halo-sandbox <command> --port <free> ...` until the block ends (terminated, then killed)."""
    with TemporaryDirectory(prefix="halo-bench-") as state:
        port = free_port()
        proc = subprocess.Popen([CLI, command, "--port", str(port), "--state-dir", state, *args],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=clean_env())
        process = Process(proc, port)
        try:
            if wait:
                wait_ready(process.base + ready_path, proc)
                if rate_limit_off:
                    process.admin("PUT", "/ratelimit", json={"enabled": False})
            yield process
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def report(name: str, title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]],
           result: dict[str, Any]) -> dict[str, Any]:
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
