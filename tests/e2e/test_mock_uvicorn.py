"""`halo-sandbox mock` as a real uvicorn server on a free 127.0.0.1 port (subprocess), then stopped."""

from __future__ import annotations

import contextlib
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.routing import Mount

from halo_sandbox.harness import Process, clean_env, cli_path, free_port, start
from halo_sandbox.mock.http.app import create_app, remember_connection
from halo_sandbox.mock.tenants import TenantRegistry
from tests.mock_halo._helpers import FakeStore, tiny_world

pytestmark = pytest.mark.e2e

CLI = cli_path()


def _env(state_dir: Path) -> dict[str, str]:
    return clean_env(HALO_SANDBOX_STATE_DIR=str(state_dir))


class Mock:
    def __init__(self, process: Process, state_dir: Path) -> None:
        self.process, self.proc, self.base, self.state_dir = process, process.proc, process.base, state_dir
        self.output = ""


@pytest.fixture
def mock(tmp_path: Path) -> Iterator[Mock]:
    process = start(
        "mock", "--rate-limit", "30/300s", state_dir=tmp_path, admin_key=None
    )  # the key is generated
    running = Mock(process, tmp_path)
    try:
        yield running
    finally:
        running.output = process.stop()


def test_mock_serves_auth_api_admin_faults_and_rate_limit(mock: Mock) -> None:
    admin_key = (mock.state_dir / "admin-key").read_text().strip()
    assert admin_key
    with httpx.Client(base_url=mock.base, timeout=10) as client:
        info = client.get("/api/authinfo").json()
        assert info == {"auth_url": f"{mock.base}/auth", "tenant_id": "sandbox"}
        token = client.post(
            "/auth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": "halo-sandbox",
                "client_secret": "halo-sandbox-secret",
            },
        ).json()["access_token"]
        api = {"Authorization": f"Bearer {token}"}
        assert client.get("/api/Tickets").status_code == 401
        tickets = client.get("/api/Tickets", headers=api)
        assert tickets.status_code == 200
        assert tickets.headers["x-ratelimit-limit"] == "30"

        assert client.get("/_sandbox/faults").status_code == 401
        admin = {"Authorization": f"Bearer {admin_key}"}
        rule = client.post(
            "/_sandbox/faults", json={"path": "/api/tickets", "drop": True, "times": 1}, headers=admin
        )
        assert rule.status_code == 201
        with pytest.raises(httpx.TransportError):
            client.get("/api/Tickets", headers=api)
        assert client.get("/api/Tickets", headers=api).status_code == 200  # the process keeps serving

        statuses = [client.get("/api/Tickets", headers=api).status_code for _ in range(30)]
        assert 429 in statuses
        refused = client.get("/api/Tickets", headers=api)
        assert refused.status_code == 429
        assert refused.json()["message"] == "Rate Limit Reached - 30 Requests per rolling 5 minute window"
        assert int(refused.headers["retry-after"]) > 0

        journal = client.get("/_sandbox/requests", params={"limit": 50}, headers=admin).json()["requests"]
        assert journal[0]["status"] == 429
        assert any(e["status"] is None and e["fault"] == 1 for e in journal)
    mock.output = mock.process.stop()
    assert mock.proc.returncode is not None
    assert f"{mock.base}/api" in mock.output
    assert admin_key in mock.output
    assert "halo-sandbox-secret" in mock.output


def test_bad_rate_limit_option_is_a_clear_error(tmp_path: Path) -> None:
    result = subprocess.run(
        [CLI, "mock", "--port", str(free_port()), "--rate-limit", "lots"],
        capture_output=True,
        text=True,
        env=_env(tmp_path),
        timeout=60,
    )
    assert result.returncode == 2
    assert "rate limit must look like" in result.stderr


@contextlib.contextmanager
def serve_in_thread(app: Any) -> Iterator[str]:
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="critical"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
            time.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.mark.parametrize("layout", ["alone", "mounted", "mounted+remember"])
def test_drop_fault_is_a_connection_error_under_uvicorn(layout: str) -> None:
    registry = TenantRegistry(store_class=FakeStore, build_world=tiny_world)  # type: ignore[arg-type]
    mock = create_app(registry=registry)
    app: Any = mock
    if layout.startswith("mounted"):
        app = Starlette(routes=[Mount("/", app=mock)])
        if layout.endswith("remember"):
            app = remember_connection(app)
    with serve_in_thread(app) as base, httpx.Client(base_url=base, timeout=10) as client:
        assert client.get("/api/authinfo").status_code == 200
        registry.get().faults.add(path="/api/authinfo", drop=True, times=1)
        with pytest.raises(httpx.TransportError):
            client.get("/api/authinfo")
        assert client.get("/api/authinfo").status_code == 200
    assert [e.status for e in registry.get().journal.entries()] == [200, None, 200]


def test_too_few_tickets_is_a_clear_error_before_serving(tmp_path: Path) -> None:
    result = subprocess.run(
        [CLI, "mock", "--port", str(free_port()), "--tickets", "1"],
        capture_output=True,
        text=True,
        env=_env(tmp_path),
        timeout=60,
    )
    assert result.returncode == 2
    assert "tickets must be at least" in result.stderr
