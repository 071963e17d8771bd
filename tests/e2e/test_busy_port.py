"""A busy port: `up`, `mock` and `mcp --transport http` say so and exit 1, without printing "Ready"
or an admin key first; on a free port "Ready" comes once the port is bound."""

from __future__ import annotations

import socket
import subprocess

import httpx
import pytest

from halo_sandbox.harness import clean_env, cli_path, start

pytestmark = pytest.mark.e2e

MCP = [
    "mcp",
    "--transport",
    "http",
    "--halo-url",
    "http://127.0.0.1:9",
    "--client-id",
    "c",
    "--client-secret",
    "s",
]


@pytest.mark.parametrize("command", [["up"], ["mock"], MCP], ids=["up", "mock", "mcp"])
def test_busy_port_is_a_clear_error_before_any_banner(command: list[str], tmp_path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        state = ["--state-dir", str(tmp_path)] if command[0] != "mcp" else []
        done = subprocess.run(
            [cli_path(), *command, "--port", str(port), *state],
            capture_output=True,
            text=True,
            env=clean_env(),
            timeout=120,
        )
    assert done.returncode == 1
    assert f"127.0.0.1:{port} is already in use" in " ".join(done.stderr.split())
    assert "Ready" not in done.stdout and "admin key" not in done.stdout


def test_ready_is_printed_once_the_port_answers(tmp_path) -> None:
    with start("mock", state_dir=tmp_path, wait=False) as mock:
        output = mock.wait_output("Ready on", timeout=60)
        assert f"Ready on {mock.base}" in output
        # the port was bound before the line was printed: connecting cannot be refused now
        assert httpx.get(f"{mock.base}/api/authinfo", timeout=30).status_code == 200
