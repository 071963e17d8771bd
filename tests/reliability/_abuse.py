"""What the budget and client-cap tests measure on a real process: its resident memory, and the worst
wait of another client while an abuse runs."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx

from tests._sandbox import CLIENT_ID, CLIENT_SECRET

MIB = 1024 * 1024


def rss_mib(pid: int) -> float:
    """The resident set size of process ``pid`` (``VmRSS`` of ``/proc/<pid>/status``), in MiB."""
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmRSS for process {pid}")


def token(base: str, *, tenant: str | None = None) -> str:
    """An access token of the documented default client (README), for ``tenant``."""
    data = {"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    if tenant is not None:
        data["tenant"] = tenant
    answer = httpx.post(f"{base}/auth/token", data=data, timeout=30)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


@dataclass
class Waits:
    """What another client saw while an abuse ran: its worst wait, its answers."""

    worst: float = 0.0
    statuses: list[int] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@contextmanager
def other_client(request: Callable[[httpx.Client], httpx.Response], *, every: float = 0.1) -> Iterator[Waits]:
    """Another client sending ``request`` (a new connection each time) every ``every`` seconds while
    the block runs; yields its `Waits`."""
    waits = Waits()
    stop = threading.Event()

    def run() -> None:
        fresh = httpx.Limits(max_keepalive_connections=0)  # a new connection for every request
        with httpx.Client(timeout=60, limits=fresh) as client:
            while not stop.is_set():
                started = time.monotonic()
                try:
                    waits.statuses.append(request(client).status_code)
                except httpx.HTTPError as exc:
                    waits.errors.append(repr(exc))
                waits.worst = max(waits.worst, time.monotonic() - started)
                stop.wait(every)

    thread = threading.Thread(target=run, name="other client", daemon=True)
    thread.start()
    try:
        yield waits
    finally:
        stop.set()
        thread.join(timeout=120)
