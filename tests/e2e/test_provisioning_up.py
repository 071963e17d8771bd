"""Provisioned servers on a real `halo-sandbox up` process: URLs minted by the CLI in the same state
directory, revoked from the shell while it runs, API-token auth, survival across a restart, and
no token in the process's own output (uvicorn access log at info level)."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from halo_sandbox.harness import clean_env
from tests._sandbox import CLI, Sandbox, start_sandbox, stop_sandbox

pytestmark = [pytest.mark.e2e, pytest.mark.anyio]

INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-11-25",
        "capabilities": {},
        "clientInfo": {"name": "e2e", "version": "1"},
    },
}
ACCEPT = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


def _up(state_dir: Path) -> Sandbox:
    # uvicorn's access log at info level, so the test can check that no token reaches it
    return start_sandbox(state_dir, "--log-level", "info")


def _cli(*args: str, state_dir: Path) -> str:
    done = subprocess.run(
        [CLI, *args, "--state-dir", str(state_dir)],
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=60,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    return tmp_path / "state"


@pytest.fixture
def up(state_dir: Path) -> Iterator[Sandbox]:
    sandbox = _up(state_dir)
    try:
        yield sandbox
    finally:
        stop_sandbox(sandbox)


def _status(url: str, **headers: str) -> int:
    return httpx.post(url, json=INIT, headers={**ACCEPT, **headers}, timeout=30).status_code


async def test_cli_minted_url_serves_live_data_then_revoke_stops_it(up: Sandbox, state_dir: Path):
    created = json.loads(
        _cli(
            "servers",
            "create",
            "support-ro",
            "-m",
            "read",
            "-t",
            "support",
            "--base-url",
            up.base,
            "--json",
            state_dir=state_dir,
        )
    )
    async with Client(created["url"], cache=None) as client:
        tools = {t.name for t in (await client.list_tools()).tools}
        ticket = await client.call_tool("get_single_halo_itsm_ticket_by_id", {"id": 45920})
        hidden = await client.call_tool("create_a_halo_itsm_ticket", {"summary": "should never be created"})
    assert "list_all_halo_itsm_tickets" in tools and "create_a_halo_itsm_ticket" not in tools
    assert ticket.structured_content["result"]["id"] == 45920
    assert hidden.is_error
    journal = up.journal()
    assert any(r["method"] == "GET" and r["path"].lower() == "/api/tickets/45920" for r in journal), journal
    assert not [r for r in journal if r["method"] == "POST" and "tickets" in r["path"].lower()]

    _cli("servers", "revoke", created["id"], state_dir=state_dir)
    assert _status(created["url"]) == 404


async def test_api_token_auth_with_a_cli_minted_token(up: Sandbox, state_dir: Path):
    created = up.admin(
        "POST",
        "/integrated-account/sandbox/mcp",
        json={"name": "guarded", "config": {"tags": ["billing"]}, "require_api_token_auth": True},
    ).json()
    secret = next(
        line
        for line in _cli("tokens", "create", "agent", state_dir=state_dir).splitlines()
        if line.startswith("hst_")
    )
    assert _status(created["url"]) == 401
    assert _status(created["url"], Authorization="Bearer hst_guess") == 401
    http = httpx2.AsyncClient(headers={"Authorization": f"Bearer {secret}"}, timeout=30)
    async with http, Client(streamable_http_client(created["url"], http_client=http), cache=None) as client:
        tools = {t.name for t in (await client.list_tools()).tools}
    assert tools and all(("quote" in n or "invoice" in n or "contract" in n) for n in tools), tools


def test_a_url_survives_a_restart_and_no_token_reaches_the_output(state_dir: Path):
    first = _up(state_dir)
    try:
        created = first.admin("POST", "/integrated-account/sandbox/mcp", json={"name": "kept"}).json()
        assert _status(created["url"]) == 200
    finally:
        first_output = stop_sandbox(first)
    token = created["url"].rsplit("/", 1)[1]
    second = _up(state_dir)
    try:
        assert _status(f"{second.base}/mcp/{token}") == 200
        assert _status(f"{second.base}/mcp/{token[:-2]}xx") == 404
    finally:
        second_output = stop_sandbox(second)
    for output in (first_output, second_output):
        assert "/mcp/***" in output
        assert token not in output
