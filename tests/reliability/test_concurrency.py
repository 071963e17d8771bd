"""Many concurrent MCP sessions creating tickets, interleaved with reads and actions, against a real
`halo-sandbox up`: unique ids, every record readable with what was sent, no 5xx, nothing lost or
duplicated, and the mock's journal agrees with what the clients did.

CI size: 50 sessions x 10 creates. `--long`: 50 x 100 (ten rounds of 10; the journal is checked and
cleared after each round, so its default size of 1000 entries is never exceeded)."""

from __future__ import annotations

import contextlib
import functools
from collections import Counter
from typing import Any

import anyio
import pytest
from mcp import Client

from tests._sandbox import Sandbox

pytestmark = [pytest.mark.e2e, pytest.mark.anyio]

SESSIONS = 50
PER_ROUND = 10
CREATE, GET, ACTION = (
    "create_a_halo_itsm_ticket",
    "get_single_halo_itsm_ticket_by_id",
    "create_a_halo_itsm_action",
)


async def _ok(client: Client, tool: str, **arguments: Any) -> dict[str, Any]:
    result = await client.call_tool(tool, arguments)
    assert result.is_error is False, (tool, result.structured_content)
    return result.structured_content["result"]


async def _session_round(
    client: Client,
    *,
    session: int,
    round_no: int,
    client_ids: list[int],
    sent: dict[int, dict[str, Any]],
    counts: Counter[str],
) -> None:
    for i in range(PER_ROUND):
        body = {
            "summary": f"reliability s{session} r{round_no} n{i}",
            "details": f"load test {session}/{i}",
            "client_id": client_ids[(session + i) % len(client_ids)],
        }
        created = await _ok(client, CREATE, **body)
        counts[CREATE] += 1
        assert created["id"] not in sent, f"duplicate id {created['id']}"
        sent[created["id"]] = body
        if i % 2 == 1:  # interleaved read of our own record
            again = await _ok(client, GET, id=created["id"])
            counts[GET] += 1
            assert (again["summary"], again["client_id"]) == (body["summary"], body["client_id"])
        if i == PER_ROUND // 2:  # and an action on it
            action = await _ok(client, ACTION, ticket_id=created["id"], note=f"note s{session} r{round_no}")
            counts[ACTION] += 1
            assert action["ticket_id"] == created["id"]


async def test_concurrent_sessions_create_unique_readable_tickets(sandbox: Sandbox, long_run: bool) -> None:
    rounds = 10 if long_run else 1
    before = {t["id"] for t in sandbox.api_all("/Tickets", "tickets")}
    client_ids = [c["id"] for c in sandbox.api_all("/Client", "clients")][:5]
    sent: dict[int, dict[str, Any]] = {}

    async with contextlib.AsyncExitStack() as stack:
        clients = [await stack.enter_async_context(Client(sandbox.mcp_url)) for _ in range(SESSIONS)]
        for round_no in range(rounds):
            sandbox.admin("DELETE", "/requests")
            counts: Counter[str] = Counter()
            async with anyio.create_task_group() as tg:
                for index, client in enumerate(clients):
                    tg.start_soon(
                        functools.partial(
                            _session_round,
                            client,
                            session=index,
                            round_no=round_no,
                            client_ids=client_ids,
                            sent=sent,
                            counts=counts,
                        )
                    )
            journal = sandbox.journal(limit=100_000)
            assert len(journal) < sandbox_journal_size(sandbox), (
                "the journal overflowed; counts would be wrong"
            )
            assert [e for e in journal if e["status"] is None or e["status"] >= 500] == []
            api = [e for e in journal if e["path"].lower().startswith("/api/")]
            by_tool = Counter(e["tool"] for e in api)
            assert by_tool == counts, "one upstream request per tool call, each recorded"
            assert (
                sum(1 for e in api if e["method"] == "POST" and e["path"].lower() == "/api/tickets")
                == counts[CREATE]
            )
            assert counts[CREATE] == SESSIONS * PER_ROUND

    assert len(sent) == SESSIONS * PER_ROUND * rounds and not set(sent) & before
    after = sandbox.api_all("/Tickets", "tickets")
    ids = Counter(t["id"] for t in after)
    assert [i for i, n in ids.items() if n > 1] == [], "no record listed twice"
    assert set(ids) == before | set(sent), "nothing lost, nothing extra"
    stored = {t["id"]: t for t in after}
    for ticket_id, body in sent.items():
        assert (stored[ticket_id]["summary"], stored[ticket_id]["client_id"]) == (
            body["summary"],
            body["client_id"],
        )


def sandbox_journal_size(sandbox: Sandbox) -> int:
    """The mock's journal holds at most this many entries (its default size)."""
    from halo_sandbox.mock.config import MockSettings

    return MockSettings().journal_size
