"""A plain HTTP client for both sides of a comparison: a JSON-RPC `tools/call` POST (MCP 2026-07-28
single exchange, or inside a legacy handshake-era session) against the Halo GET the tool call causes,
each one `httpx.AsyncClient` on one connection, so no MCP client library's own cost is counted.

Also: a baseline `halo-sandbox` from another commit (`baseline_cli`), to measure "today's" figures
in the same run as the current code."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import httpx

MODERN = "2026-07-28"
LEGACY = "2025-11-25"
_META = {
    "io.modelcontextprotocol/protocolVersion": MODERN,
    "io.modelcontextprotocol/clientCapabilities": {},
    "io.modelcontextprotocol/clientInfo": {"name": "bench", "version": "0"},
}
_ACCEPT = "application/json, text/event-stream"
BASELINE_REF = "deb1a4e"
"""The commit before the lean path (main on 2026-11-30 before it landed): "today's" server."""


def connection(base: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=base, timeout=60, limits=httpx.Limits(max_connections=1))


def modern_call(tool: str, arguments: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    """Body and headers of a 2026-07-28 single-exchange `tools/call`."""
    body = json.dumps(
        {
            "jsonrpc": "2.0",
            "id": 1,
            "method": "tools/call",
            "params": {"name": tool, "arguments": arguments, "_meta": _META},
        }
    ).encode()
    return body, {
        "Accept": _ACCEPT,
        "Content-Type": "application/json",
        "MCP-Protocol-Version": MODERN,
        "Mcp-Method": "tools/call",
        "Mcp-Name": tool,
    }


async def legacy_session(http: httpx.AsyncClient) -> dict[str, str]:
    """Open a handshake-era session (initialize + initialized); the headers of its later requests."""
    init = {
        "jsonrpc": "2.0",
        "id": 0,
        "method": "initialize",
        "params": {
            "protocolVersion": LEGACY,
            "capabilities": {},
            "clientInfo": {"name": "bench", "version": "0"},
        },
    }
    headers = {"Accept": _ACCEPT, "Content-Type": "application/json"}
    response = await http.post("/mcp", json=init, headers=headers)
    response.raise_for_status()
    session = {
        **headers,
        "Mcp-Session-Id": response.headers["mcp-session-id"],
        "MCP-Protocol-Version": LEGACY,
    }
    done = await http.post(
        "/mcp", json={"jsonrpc": "2.0", "method": "notifications/initialized"}, headers=session
    )
    done.raise_for_status()
    return session


def legacy_call(tool: str, arguments: dict[str, Any]) -> bytes:
    return json.dumps(
        {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": tool, "arguments": arguments}}
    ).encode()


def check_tool_result(response: httpx.Response) -> None:
    if (
        response.status_code != 200
        or b'"result"' not in response.content
        or b'"isError":true' in response.content
    ):
        raise AssertionError(f"tool call failed: {response.status_code} {response.text[:300]}")


def baseline_cli(ref: str = BASELINE_REF) -> tuple[str, Path] | None:
    """An executable running `halo-sandbox` as it was at `ref` (its source extracted from git into a
    temporary directory, imported ahead of the installed package), and that directory (the caller
    removes it); None when git or the commit is not available (e.g. a shallow clone)."""
    root = Path(__file__).resolve().parent.parent
    if (
        shutil.which("git") is None
        or subprocess.run(
            ["git", "-C", str(root), "cat-file", "-e", f"{ref}^{{commit}}"], capture_output=True
        ).returncode
        != 0
    ):
        return None
    work = Path(tempfile.mkdtemp(prefix="halo-bench-baseline-"))
    archive = subprocess.run(
        ["git", "-C", str(root), "archive", ref, "src", "server", "mock_halo", "fixtures"],
        capture_output=True,
        check=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(work)], input=archive, check=True)
    package = work / "pkg" / "halo_sandbox"
    shutil.copytree(work / "src" / "halo_sandbox", package)
    for name, folder in (("server", "server"), ("mock", "mock_halo"), ("fixtures", "fixtures")):
        if not (package / name).exists():  # commits before the folders were linked into src/halo_sandbox
            (package / name).symlink_to(work / folder, target_is_directory=True)
    launcher = work / "halo-sandbox"
    launcher.write_text(
        f"#!{sys.executable}\nimport sys\nsys.path.insert(0, {str(work / 'pkg')!r})\n"
        "import halo_sandbox\nassert halo_sandbox.__file__.startswith(sys.path[0])\n"
        "from halo_sandbox.cli import app\napp()\n"
    )
    launcher.chmod(0o755)
    return str(launcher), work
