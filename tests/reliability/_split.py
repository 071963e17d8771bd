"""A separate `halo-sandbox mock` + `halo-sandbox mcp` pair whose mock can be killed and restarted on
the same port under the MCP server."""

from __future__ import annotations

from pathlib import Path

import httpx

from halo_sandbox.harness import Process, free_port, start
from tests._sandbox import ADMIN_KEY, CLIENT_ID, CLIENT_SECRET

#: The MCP server's upstream timeout in the split pair (latency faults go beyond it).
UPSTREAM_TIMEOUT = 2.0


class SplitPair:
    """`halo-sandbox mock` on `mock_port` and `halo-sandbox mcp --transport http` in front of it."""

    def __init__(self, state_dir: Path) -> None:
        self.state_dir = state_dir
        self.mock_port = free_port()
        self.mcp_port = free_port()
        self.mock_base = f"http://127.0.0.1:{self.mock_port}"
        self.mcp_url = f"http://127.0.0.1:{self.mcp_port}/mcp"
        self.mock: Process | None = None
        self.mcp: Process | None = None

    def start_mock(self) -> None:
        self.mock = start(
            "mock", "--rate-limit", "off", port=self.mock_port, state_dir=self.state_dir, admin_key=ADMIN_KEY
        )

    def stop_mock(self) -> None:
        assert self.mock is not None
        self.mock.stop()
        self.mock = None

    def kill_mock(self) -> None:
        assert self.mock is not None
        self.mock.kill()
        self.mock.stop()
        self.mock = None

    def start_mcp(self) -> None:
        self.mcp = start(
            "mcp",
            "--transport",
            "http",
            "--halo-url",
            self.mock_base,
            "--client-id",
            CLIENT_ID,
            "--client-secret",
            CLIENT_SECRET,
            "--timeout",
            str(UPSTREAM_TIMEOUT),
            port=self.mcp_port,
        )

    def admin(self, method: str, path: str, **kwargs: object) -> httpx.Response:
        response = httpx.request(
            method,
            f"{self.mock_base}/_sandbox{path}",
            headers={"X-Admin-Key": ADMIN_KEY},
            timeout=30,
            **kwargs,
        )  # type: ignore[arg-type]
        assert response.status_code < 400, response.text
        return response

    def close(self) -> None:
        for process in (self.mcp, self.mock):
            if process is not None:
                process.stop()
