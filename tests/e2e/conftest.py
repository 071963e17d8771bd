"""A real `halo-sandbox up` (uvicorn subprocess on a free 127.0.0.1 port) shared by the e2e tests of
one pytest process; `sandbox` resets its default tenant (data, faults, journal) before each test."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

CLI = str(Path(sys.executable).parent / "halo-sandbox")
ADMIN_KEY = "e2e-admin-key"
CLIENT_ID, CLIENT_SECRET = "halo-sandbox", "halo-sandbox-secret"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HALO_SANDBOX_", "HALO_"))}
    return {**env, "COLUMNS": "200", **extra}


class Sandbox:
    """A running `halo-sandbox up`: URLs, the admin API and the mock's `/api` read independently."""

    def __init__(self, proc: subprocess.Popen[str], port: int) -> None:
        self.proc = proc
        self.port = port
        self.base = f"http://127.0.0.1:{port}"
        self.mcp_url = f"{self.base}/mcp"
        self.sse_url = f"{self.base}/sse"
        self.http = httpx.Client(base_url=self.base, timeout=30)
        self._token: str | None = None
        self.banner = ""
        self._rest: list[str] = []
        self._drainer: threading.Thread | None = None

    def drain(self) -> None:
        """Keep reading the process's output in the background (so it never blocks on a full pipe)."""
        assert self.proc.stdout is not None
        stdout = self.proc.stdout
        self._drainer = threading.Thread(target=lambda: self._rest.append(stdout.read()), daemon=True)
        self._drainer.start()

    # -- admin API
    def admin(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = self.http.request(method, f"/_sandbox{path}", headers={"X-Admin-Key": ADMIN_KEY}, **kwargs)
        assert response.status_code < 400, response.text
        return response

    def reset(self) -> None:
        self.admin("POST", "/reset")
        self.admin("DELETE", "/faults")
        self.admin("DELETE", "/requests")
        self._token = None

    def journal(self, **params: Any) -> list[dict[str, Any]]:
        return self.admin("GET", "/requests", params={"limit": 1000, **params}).json()["requests"]

    # -- the mock's own data, read with a token of our own
    def api(self, path: str, **params: Any) -> Any:
        if self._token is None:
            token = self.http.post("/auth/token", data={"grant_type": "client_credentials", "client_id": CLIENT_ID,
                                                        "client_secret": CLIENT_SECRET, "scope": "all"})
            assert token.status_code == 200, token.text
            self._token = token.json()["access_token"]
        response = self.http.get(f"/api{path}", params=params, headers={"Authorization": f"Bearer {self._token}"})
        assert response.status_code == 200, response.text
        return response.json()

    def api_all(self, path: str, key: str, **params: Any) -> list[dict[str, Any]]:
        """Every record of a pageable list, following Halo's own paging."""
        rows: list[dict[str, Any]] = []
        page = 1
        while True:
            body = self.api(path, pageinate="true", page_size=100, page_no=page, **params)
            rows += body[key]
            if len(rows) >= body["record_count"] or not body[key]:
                return rows
            page += 1


def _start(state_dir: Path, *options: str) -> Sandbox:
    """Start `halo-sandbox up` (plus `options`) on a free port; returns once it answers."""
    port = free_port()
    proc = subprocess.Popen([CLI, "up", "--port", str(port), "--state-dir", str(state_dir), *options],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=clean_env(HALO_SANDBOX_ADMIN_KEY=ADMIN_KEY))
    sandbox = Sandbox(proc, port)
    assert proc.stdout is not None
    for line in proc.stdout:  # the banner is printed before uvicorn starts
        sandbox.banner += line
        if line.startswith("Ready on"):
            break
    sandbox.drain()
    deadline = time.monotonic() + 60
    while True:
        assert proc.poll() is None, sandbox.banner
        try:
            if httpx.get(f"{sandbox.base}/api/authinfo", timeout=2).status_code == 200:
                return sandbox
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, "halo-sandbox up did not become ready"
        time.sleep(0.1)


def terminate(proc: subprocess.Popen[Any]) -> None:
    """SIGTERM, then SIGKILL if the process has not exited within 15 s."""
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _stop(sandbox: Sandbox) -> str:
    """Stop the process; returns everything it printed."""
    sandbox.http.close()
    terminate(sandbox.proc)
    assert sandbox._drainer is not None
    sandbox._drainer.join(timeout=15)
    return sandbox.banner + "".join(sandbox._rest)


@pytest.fixture(scope="session")
def sandbox_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    sandbox = _start(tmp_path_factory.mktemp("halo-sandbox-state"))
    try:
        yield sandbox
    finally:
        _stop(sandbox)


@pytest.fixture
def sandbox(sandbox_process: Sandbox) -> Sandbox:
    sandbox_process.reset()
    return sandbox_process


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
