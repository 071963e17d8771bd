"""`halo-sandbox journal` against a real `halo-sandbox up`: tables, JSON, --follow, and a clear error
without the admin key."""

from __future__ import annotations

import json
import queue
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client

from halo_sandbox.harness import clean_env
from tests._sandbox import ADMIN_KEY, CLI, Sandbox

pytestmark = [pytest.mark.e2e]

LIST_TICKETS = "list_all_halo_itsm_tickets"


def _call_tool(sandbox: Sandbox, name: str, arguments: dict[str, Any]) -> Any:
    async def call() -> Any:
        async with Client(sandbox.mcp_url) as client:
            return await client.call_tool(name, arguments)

    return anyio.run(call)


def _fresh(sandbox: Sandbox) -> None:
    """The sandbox is shared by the e2e tests: empty the console's tool-call journal too."""
    response = sandbox.http.post("/_sandbox/console/reset", headers={"X-Admin-Key": ADMIN_KEY})
    assert response.status_code == 303


def _journal(sandbox: Sandbox, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CLI, "journal", "--url", sandbox.base, *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=clean_env(**env),
    )


def test_journal_prints_tool_calls_with_their_upstream_requests(sandbox: Sandbox, tmp_path: Path):
    _fresh(sandbox)
    assert not _call_tool(sandbox, LIST_TICKETS, {"limit": 2}).is_error
    assert _call_tool(sandbox, "get_single_halo_itsm_ticket_by_id", {"id": 99999999}).is_error
    done = _journal(sandbox, "--state-dir", str(tmp_path), HALO_SANDBOX_ADMIN_KEY=ADMIN_KEY)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert LIST_TICKETS in out and "GET /api/Tickets?pageinate=true" in out and "ok (2 records)" in out
    assert (
        "get_single_halo_itsm_ticket_by_id" in out and "error 404" in out and "/api/Tickets/99999999" in out
    )
    calls = out[out.index("Tool calls") :]
    assert calls.index(LIST_TICKETS) < calls.index("get_single_halo_itsm_ticket_by_id")  # oldest first
    assert ADMIN_KEY not in out

    as_json = _journal(sandbox, "--json", "--admin-key", ADMIN_KEY)
    view = json.loads(as_json.stdout)
    assert [c["tool"] for c in view["tool_calls"]] == ["get_single_halo_itsm_ticket_by_id", LIST_TICKETS]
    assert view["tool_calls"][0]["upstream"][0]["status"] == 404


def test_journal_reads_the_admin_key_from_the_state_dir_and_refuses_without_one(
    sandbox: Sandbox, tmp_path: Path
):
    refused = _journal(sandbox, "--state-dir", str(tmp_path))
    assert refused.returncode != 0 and "needs its admin key" in refused.stderr
    wrong = _journal(sandbox, "--admin-key", "not-the-key")
    assert wrong.returncode != 0 and "refused the admin key" in wrong.stderr
    assert "needs its admin key" not in wrong.stderr
    assert not (tmp_path / "admin-key").exists()  # the journal command never invents a key
    (tmp_path / "admin-key").write_text(ADMIN_KEY + "\n")
    assert _journal(sandbox, "--state-dir", str(tmp_path)).returncode == 0
    unreachable = subprocess.run(
        [CLI, "journal", "--url", "http://127.0.0.1:9", "--admin-key", "x"],
        capture_output=True,
        text=True,
        timeout=60,
        env=clean_env(),
    )
    assert unreachable.returncode != 0 and "cannot reach the sandbox" in unreachable.stderr


def test_journal_follow_prints_new_tool_calls_as_they_happen(sandbox: Sandbox):
    _fresh(sandbox)
    proc = subprocess.Popen(
        [CLI, "journal", "--url", sandbox.base, "--admin-key", ADMIN_KEY, "--follow", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=clean_env(),
    )
    lines: queue.Queue[str] = queue.Queue()
    assert proc.stdout is not None
    stdout = proc.stdout
    threading.Thread(target=lambda: [lines.put(line) for line in stdout], daemon=True).start()
    try:
        time.sleep(1.0)  # let it subscribe
        assert proc.poll() is None
        assert not _call_tool(sandbox, "get_single_halo_itsm_ticket_by_id", {"id": 45920}).is_error
        deadline = time.monotonic() + 20
        seen: list[dict[str, Any]] = []
        while not any(
            item.get("tool") == "get_single_halo_itsm_ticket_by_id" and "upstream" in item for item in seen
        ):
            assert time.monotonic() < deadline, seen
            try:
                line = lines.get(timeout=1)
            except queue.Empty:
                continue
            if line.startswith("{"):
                seen.append(json.loads(line))
        call = next(item for item in seen if "upstream" in item)
        assert call["upstream"][0]["path"] == "/api/Tickets/45920" and call["upstream"][0]["status"] == 200
    finally:
        proc.terminate()
        proc.wait(timeout=10)
