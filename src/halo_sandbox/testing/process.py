"""The `halo_sandbox` fixture's sandbox: a real `halo-sandbox up` on a free 127.0.0.1 port, started
by the package's process harness (`halo_sandbox.harness`)."""

from __future__ import annotations

from typing import Any

import httpx

__all__ = ["SandboxProcess"]


class SandboxProcess:
    """A running `up` (``url``, ``mcp_url``, ``api_url``, ``client_id``, ``client_secret``,
    ``admin(method, path)``); `reset()` brings its default tenant back to the seed."""

    def __init__(self, *args: str, timeout: float = 60) -> None:
        from halo_sandbox.harness import start
        from halo_sandbox.mock.config import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET

        self.client_id = DEFAULT_CLIENT_ID
        self.client_secret = DEFAULT_CLIENT_SECRET
        self.process = start("up", *args, timeout=timeout)

    @property
    def url(self) -> str:
        return self.process.base

    @property
    def mcp_url(self) -> str:
        return self.process.mcp_url

    @property
    def api_url(self) -> str:
        return f"{self.process.base}/api"

    def admin(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """A control-plane call (``admin("POST", "/faults", json={...})``), admin key attached."""
        return self.process.admin(method, path, **kwargs)

    def reset(self) -> None:
        self.admin("POST", "/reset")

    def stop(self) -> None:
        self.process.stop()
