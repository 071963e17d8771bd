"""A real `halo-sandbox up` (uvicorn subprocess on a free 127.0.0.1 port) shared by the e2e tests of
one pytest process; `sandbox` resets its default tenant (data, faults, journal) before each test."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from halo_sandbox.harness import Process, clean_env, cli_path, free_port, start, terminate

__all__ = [
    "ADMIN_KEY",
    "CLI",
    "CLIENT_ID",
    "CLIENT_SECRET",
    "Sandbox",
    "_start",
    "_stop",
    "clean_env",
    "free_port",
    "terminate",
]

CLI = cli_path()
ADMIN_KEY = "e2e-admin-key"
CLIENT_ID, CLIENT_SECRET = "halo-sandbox", "halo-sandbox-secret"


class Sandbox:
    """A running `halo-sandbox up` (a `halo_sandbox.harness.Process`): URLs, the admin API and the
    mock's `/api` read independently."""

    def __init__(self, process: Process) -> None:
        self.process = process
        self.proc: subprocess.Popen[str] = process.proc
        self.port = process.port
        self.base = process.base
        self.mcp_url = process.mcp_url
        self.sse_url = process.sse_url
        self.http = httpx.Client(base_url=self.base, timeout=30)
        self._token: str | None = None

    @property
    def banner(self) -> str:
        """What `up` printed at start, up to its "Ready on" line."""
        output = self.process.wait_output("Ready on")
        end = output.find("\n", output.find("Ready on"))
        return output if end < 0 else output[: end + 1]

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
            token = self.http.post(
                "/auth/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": CLIENT_ID,
                    "client_secret": CLIENT_SECRET,
                    "scope": "all",
                },
            )
            assert token.status_code == 200, token.text
            self._token = token.json()["access_token"]
        response = self.http.get(
            f"/api{path}", params=params, headers={"Authorization": f"Bearer {self._token}"}
        )
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
    return Sandbox(start("up", *options, state_dir=state_dir, admin_key=ADMIN_KEY))


def _stop(sandbox: Sandbox) -> str:
    """Stop the process; returns everything it printed."""
    sandbox.http.close()
    return sandbox.process.stop()


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
