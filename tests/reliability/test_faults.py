"""Faults under a separately running MCP server (`halo-sandbox mcp --transport http --timeout 2`) in
front of a `halo-sandbox mock` process: upstream latency beyond the timeout, dropped connections,
5xx bursts, token expiry mid-run, and the mock killed and restarted on the same port. Every tool
call ends with a success or a clear error result, the server keeps serving, and calls after the
fault succeed."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import anyio
import pytest
from mcp import Client

from tests.reliability._split import UPSTREAM_TIMEOUT, SplitPair

pytestmark = [pytest.mark.e2e, pytest.mark.anyio]

GET, LIST, CREATE = (
    "get_single_halo_itsm_ticket_by_id",
    "list_all_halo_itsm_tickets",
    "create_a_halo_itsm_ticket",
)
TICKET = 45920


@pytest.fixture
def pair(split_pair: SplitPair) -> SplitPair:
    if split_pair.mock is None:  # a previous test left it stopped
        split_pair.start_mock()
    split_pair.admin("DELETE", "/faults")
    split_pair.admin("DELETE", "/requests")
    return split_pair


@contextlib.asynccontextmanager
async def session(pair: SplitPair) -> AsyncIterator[Client]:
    async with Client(pair.mcp_url, read_timeout_seconds=60) as client:
        yield client


async def outcomes(client: Client, calls: list[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
    """Run the calls concurrently; each gives {"ok": record} or {"error": structured error}."""
    results: list[dict[str, Any]] = [{} for _ in calls]

    async def one(index: int, tool: str, arguments: dict[str, Any]) -> None:
        result = await client.call_tool(tool, arguments)
        content = result.structured_content or {}
        if result.is_error:
            error = content["error"]
            assert isinstance(error["message"], str) and error["message"], error
            results[index] = {"error": error}
        else:
            results[index] = {"ok": content["result"]}

    async with anyio.create_task_group() as tg:
        for index, (tool, arguments) in enumerate(calls):
            tg.start_soon(one, index, tool, arguments)
    return results


async def assert_serving(client: Client) -> None:
    """A fresh read and a write both succeed (on this session and on a new one)."""
    got = await outcomes(
        client, [(GET, {"id": TICKET}), (CREATE, {"summary": "after the fault", "client_id": 104})]
    )
    assert [list(o) for o in got] == [["ok"], ["ok"]], got
    assert got[0]["ok"]["id"] == TICKET


async def test_latency_beyond_the_timeout_is_a_clear_error_then_calls_succeed(pair: SplitPair) -> None:
    pair.admin(
        "POST", "/faults", json={"method": "GET", "path": "/api/Tickets/*", "latency_ms": 4000, "times": 3}
    )
    async with session(pair) as client:
        got = await outcomes(client, [(GET, {"id": TICKET})] * 3)
        for outcome in got:
            error = outcome["error"]
            assert error["code"] == "upstream_unavailable" and error["status"] is None
            assert f"did not answer within {UPSTREAM_TIMEOUT:g}s" in error["message"]
        await assert_serving(client)


async def test_dropped_connections_are_clear_errors_then_calls_succeed(pair: SplitPair) -> None:
    pair.admin("POST", "/faults", json={"path": "/api/Tickets*", "drop": True, "times": 4})
    async with session(pair) as client:
        got = await outcomes(
            client,
            [
                (GET, {"id": TICKET}),
                (LIST, {"limit": 5}),
                (CREATE, {"summary": "dropped", "client_id": 104}),
                (GET, {"id": TICKET}),
            ],
        )
        assert all(o["error"]["code"] == "upstream_unavailable" for o in got), got
        await assert_serving(client)
    dropped = [
        e
        for e in pair.admin("GET", "/requests", params={"limit": 1000}).json()["requests"]
        if e["status"] is None
    ]
    assert len(dropped) == 4  # one upstream attempt per call: nothing retried


async def test_5xx_burst_is_passed_through_once_per_call_then_calls_succeed(pair: SplitPair) -> None:
    pair.admin(
        "POST",
        "/faults",
        json={"path": "/api/Tickets*", "status": 503, "body": {"message": "Halo is down"}, "times": 8},
    )
    async with session(pair) as client:
        got = await outcomes(client, [(GET, {"id": TICKET}), (LIST, {"limit": 5})] * 4)
        assert [(o["error"]["status"], o["error"]["message"]) for o in got] == [(503, "Halo is down")] * 8
        await assert_serving(client)
    journal = pair.admin("GET", "/requests", params={"limit": 1000}).json()["requests"]
    assert sum(1 for e in journal if e["status"] == 503) == 8


async def test_token_expiry_mid_run_is_transparent(pair: SplitPair) -> None:
    async with session(pair) as client:
        assert "ok" in (await outcomes(client, [(GET, {"id": TICKET})]))[0]
        for _ in range(3):
            pair.admin("POST", "/tokens/expire", json={"refresh_tokens": True})
            got = await outcomes(client, [(GET, {"id": TICKET}), (LIST, {"limit": 3}), (GET, {"id": TICKET})])
            assert all("ok" in o for o in got), got
    journal = pair.admin("GET", "/requests", params={"limit": 1000}).json()["requests"]
    assert [e for e in journal if e["status"] is not None and e["status"] >= 500] == []
    assert any(e["status"] == 401 for e in journal), "the expired token was seen and replaced"


async def test_mock_killed_and_restarted_under_the_server(pair: SplitPair) -> None:
    async with session(pair) as client:
        await assert_serving(client)
        pair.kill_mock()
        got = await outcomes(
            client,
            [
                (GET, {"id": TICKET}),
                (LIST, {"limit": 5}),
                (CREATE, {"summary": "while down", "client_id": 104}),
            ],
        )
        for outcome in got:
            assert outcome["error"]["code"] == "upstream_unavailable"
            assert "unreachable" in outcome["error"]["message"]
        assert pair.mcp is not None and pair.mcp.proc.poll() is None, "the MCP server keeps running"
        pair.start_mock()  # same port, a fresh tenant: the server's old token is unknown there
        await assert_serving(client)
    async with session(pair) as fresh:  # and new sessions work too
        await assert_serving(fresh)
        none = await outcomes(fresh, [(LIST, {"search": "while down"})])
        assert none == [{"ok": []}], "a call that failed while the mock was down created nothing"
