"""A real `halo-sandbox up` process on a free 127.0.0.1 port, for code that needs a URL."""

from __future__ import annotations

import secrets
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

__all__ = ["SandboxProcess"]


class SandboxProcess:
    """Start with `start()`, stop with `stop()`; `reset()` brings the default tenant back to its seed."""

    def __init__(self, *, seed: int = 0, startup_timeout: float = 60.0) -> None:
        self.seed = seed
        self.startup_timeout = startup_timeout
        self.admin_key = secrets.token_urlsafe(16)
        self.client_id = "halo-sandbox"
        self.client_secret = "halo-sandbox-secret"
        self.port = 0
        self._process: subprocess.Popen[bytes] | None = None
        self._state = tempfile.TemporaryDirectory(prefix="halo-sandbox-up-")
        self._log = Path(self._state.name, "up.log")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def mcp_url(self) -> str:
        return f"{self.url}/mcp"

    @property
    def api_url(self) -> str:
        return f"{self.url}/api"

    def start(self) -> SandboxProcess:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        command = [sys.executable, "-c", "from halo_sandbox.cli import app; app()", "up", "--port", str(self.port),
                   "--seed", str(self.seed), "--state-dir", str(Path(self._state.name, "state")),
                   "--admin-key", self.admin_key]
        with open(self._log, "wb") as log:
            self._process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
        deadline = time.monotonic() + self.startup_timeout
        while True:
            if self._process.poll() is not None:
                raise RuntimeError(f"halo-sandbox up exited ({self._process.returncode}):\n{self._log.read_text()}")
            try:
                if httpx.get(f"{self.url}/api/authinfo", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"halo-sandbox up did not answer within {self.startup_timeout:g} s")
            time.sleep(0.1)

    def admin(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """A control-plane call (``admin("POST", "/faults", json={...})``), admin key attached."""
        response = httpx.request(method, f"{self.url}/_sandbox{path}", headers={"X-Admin-Key": self.admin_key},
                                 timeout=30, **kwargs)
        response.raise_for_status()
        return response

    def reset(self) -> None:
        self.admin("POST", "/reset")

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout=5)
        self._process = None
        self._state.cleanup()
