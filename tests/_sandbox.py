"""A real `halo-sandbox up` as the e2e and reliability tests drive it: `Sandbox` wraps a
`halo_sandbox.harness.Process` with the admin API and the mock's `/api` read independently.

The suite's shared process is the pytest plugin's (``halo_sandbox`` fixture, one per session and
xdist worker); `tests/conftest.py`'s ``sandbox`` fixture wraps it. Tests needing a process with
other options start their own with `start_sandbox`."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import httpx

from halo_sandbox.harness import DEFAULT_ADMIN_KEY, Process, cli_path, start, token_form

CLI = cli_path()
ADMIN_KEY = DEFAULT_ADMIN_KEY
"""The admin key of every process the tests start (the harness's default, as the plugin's has)."""
CLIENT_ID, CLIENT_SECRET = "halo-sandbox", "halo-sandbox-secret"
"""The documented default OAuth client of `up` (README)."""


class Sandbox:
    """A running `halo-sandbox up`: URLs, the admin API and the mock's `/api` read independently."""

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
        """The default tenant back to its seed: data, clock, faults, rate limit, journal."""
        self.admin("POST", "/reset")
        self._token = None

    def journal(self, **params: Any) -> list[dict[str, Any]]:
        return self.admin("GET", "/requests", params={"limit": 1000, **params}).json()["requests"]

    # -- the mock's own data, read with a token of our own
    def api(self, path: str, **params: Any) -> Any:
        response = self.api_request("GET", path, params=params)
        assert response.status_code == 200, response.text
        return response.json()

    def new_token(self) -> str:
        """A fresh access token of the default credentials, every scope."""
        token = self.http.post(
            "/auth/token",
            data=token_form(CLIENT_ID, CLIENT_SECRET),
        )
        assert token.status_code == 200, token.text
        return str(token.json()["access_token"])

    def api_request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """The mock's own answer to one `/api` request, whatever its status."""
        if self._token is None:
            self._token = self.new_token()
        return self.http.request(
            method, f"/api{path}", headers={"Authorization": f"Bearer {self._token}"}, **kwargs
        )

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

    def close(self) -> None:
        self.http.close()


def start_sandbox(state_dir: Path, *options: str) -> Sandbox:
    """A `halo-sandbox up` of the test's own (plus `options`) on a free port; returns once it answers."""
    return Sandbox(start("up", *options, state_dir=state_dir, admin_key=ADMIN_KEY))


def stop_sandbox(sandbox: Sandbox) -> str:
    """Stop a process `start_sandbox` started; returns everything it printed."""
    sandbox.close()
    return sandbox.process.stop()
