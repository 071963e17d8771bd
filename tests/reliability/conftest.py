"""Real processes for the reliability suite: a `halo-sandbox up` of its own (rate limit off, so
load is not refused), and a separate `halo-sandbox mock` + `halo-sandbox mcp` pair whose mock can be
killed and restarted on the same port under the MCP server."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.conftest import (
    ADMIN_KEY,
    CLI,
    CLIENT_ID,
    CLIENT_SECRET,
    Sandbox,
    _start,
    _stop,
    clean_env,
    free_port,
    terminate,
)

#: The MCP server's upstream timeout in the split pair (latency faults go beyond it).
UPSTREAM_TIMEOUT = 2.0


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def long_run(request: pytest.FixtureRequest) -> bool:
    """True with `--long`: tests use their full sizes."""
    return bool(request.config.getoption("--long"))


@pytest.fixture(scope="session")
def reliability_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    sandbox = _start(tmp_path_factory.mktemp("reliability-state"))
    try:
        yield sandbox
    finally:
        _stop(sandbox)


@pytest.fixture
def sandbox(reliability_process: Sandbox) -> Sandbox:
    """The `up` process, default tenant reset, faults and journal cleared, rate limit off."""
    reliability_process.reset()
    reliability_process.admin("PUT", "/ratelimit", json={"enabled": False})
    return reliability_process


def _wait_http(url: str, proc: subprocess.Popen[bytes], *, expect: int | None = None, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        assert proc.poll() is None, f"{proc.args} exited with {proc.returncode}"
        try:
            response = httpx.get(url, timeout=2)
            if expect is None or response.status_code == expect:
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, f"{url} did not come up"
        time.sleep(0.05)


class SplitPair:
    """`halo-sandbox mock` on `mock_port` and `halo-sandbox mcp --transport http` in front of it."""

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self.mock_port = free_port()
        self.mcp_port = free_port()
        self.mock_base = f"http://127.0.0.1:{self.mock_port}"
        self.mcp_url = f"http://127.0.0.1:{self.mcp_port}/mcp"
        self.mock: subprocess.Popen[bytes] | None = None
        self.mcp: subprocess.Popen[bytes] | None = None

    def start_mock(self) -> None:
        self.mock = subprocess.Popen(
            [CLI, "mock", "--port", str(self.mock_port), "--rate-limit", "off", "--state-dir", str(self.state_dir)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=clean_env(HALO_SANDBOX_ADMIN_KEY=ADMIN_KEY))
        _wait_http(f"{self.mock_base}/api/authinfo", self.mock, expect=200)

    def stop_mock(self) -> None:
        assert self.mock is not None
        terminate(self.mock)
        self.mock = None

    def kill_mock(self) -> None:
        assert self.mock is not None
        self.mock.kill()
        self.mock.wait()
        self.mock = None

    def start_mcp(self) -> None:
        self.mcp = subprocess.Popen(
            [CLI, "mcp", "--transport", "http", "--port", str(self.mcp_port), "--halo-url", self.mock_base,
             "--client-id", CLIENT_ID, "--client-secret", CLIENT_SECRET, "--timeout", str(UPSTREAM_TIMEOUT)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=clean_env())
        _wait_http(self.mcp_url, self.mcp)

    def admin(self, method: str, path: str, **kwargs: object) -> httpx.Response:
        response = httpx.request(method, f"{self.mock_base}/_sandbox{path}", headers={"X-Admin-Key": ADMIN_KEY},
                                 timeout=30, **kwargs)  # type: ignore[arg-type]
        assert response.status_code < 400, response.text
        return response

    def close(self) -> None:
        for proc in (self.mcp, self.mock):
            if proc is not None:
                terminate(proc)


@pytest.fixture(scope="module")
def split_pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SplitPair]:
    pair = SplitPair(tmp_path_factory.mktemp("split-state"))
    try:
        pair.start_mock()
        pair.start_mcp()
        yield pair
    finally:
        pair.close()
