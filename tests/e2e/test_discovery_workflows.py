"""The seed workflows through the three discovery meta-tools, against `halo-sandbox up --breadth
--tool-exposure discovery` (a real uvicorn process): the agent finds each tool by searching, reads its
schema, and calls it by name; the answers are checked against the mock's own data read through `/api`.
A provisioned URL with `tool_exposure: discovery` keeps its filter for tools named in call-tool."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from mcp import Client

from tests._sandbox import Sandbox, start_sandbox, stop_sandbox

pytestmark = [pytest.mark.e2e, pytest.mark.anyio]

SEARCH, SCHEMA, CALL = "search_halo_itsm_tools", "get_halo_itsm_tool_schema", "call_halo_itsm_tool"
CLOSED = {8, 9}


@pytest.fixture(scope="module")
def discovery(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    sandbox = start_sandbox(
        tmp_path_factory.mktemp("discovery-state"), "--breadth", "--tool-exposure", "discovery"
    )
    try:
        yield sandbox
    finally:
        stop_sandbox(sandbox)


@pytest.fixture
def sandbox(discovery: Sandbox) -> Sandbox:
    discovery.reset()
    return discovery


async def find(client: Client, query: str, method: str) -> str:
    """The best match of a search for `query` among tools of `method`, after reading its schema."""
    result = await client.call_tool(SEARCH, {"query": query, "methods": [method], "limit": 5})
    assert not result.is_error, result.structured_content
    name = result.structured_content["result"][0]["name"]
    schema = await client.call_tool(SCHEMA, {"name": name})
    assert not schema.is_error and schema.structured_content["result"]["inputSchema"]["type"] == "object"
    return name


async def via(client: Client, tool: str, **arguments: Any) -> Any:
    result = await client.call_tool(CALL, {"name": tool, "arguments": arguments})
    assert result.is_error is False, result.structured_content
    return result.structured_content


async def every(client: Client, tool: str, **arguments: Any) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = await via(client, tool, **arguments, limit=100, **({"next_cursor": cursor} if cursor else {}))
        rows += page["result"]
        cursor = page["next_cursor"]
        if cursor is None:
            return rows


async def test_discovery_lists_three_tools_over_a_catalogue_with_breadth(sandbox: Sandbox):
    async with Client(sandbox.mcp_url) as client:
        listed = await client.list_tools()
        everything = await client.call_tool(SEARCH, {"limit": 1})
        generated = await client.call_tool(SEARCH, {"query": "outcomes", "methods": ["list"]})
        outcome_tool = generated.structured_content["result"][0]["name"]
        outcomes = await via(client, outcome_tool, limit=5)
    assert [t.name for t in listed.tools] == [SEARCH, SCHEMA, CALL]
    assert listed.ttl_ms > 0
    assert everything.structured_content["total"] > 1000
    assert outcome_tool == "list_all_halo_itsm_outcomes" and outcomes["result"]
    stored = sandbox.api("/Outcome")
    assert {o["id"] for o in outcomes["result"]} <= {o["id"] for o in stored}


async def test_triage_wayne_enterprises_through_the_meta_tools(sandbox: Sandbox):
    expected_open = {
        t["id"] for t in sandbox.api_all("/Tickets", "tickets", client_id=104) if t["status_id"] not in CLOSED
    }
    async with Client(sandbox.mcp_url) as client:
        list_clients = await find(client, "clients", "list")
        wayne = next(
            c for c in await every(client, list_clients, search="Wayne") if c["name"] == "Wayne Enterprises"
        )
        list_tickets = await find(client, "tickets", "list")
        open_tickets = await every(client, list_tickets, client_id=wayne["id"], open_only=True)
        identity = next(
            t for t in await every(client, await find(client, "teams", "list")) if t["name"] == "Identity"
        )
        create_ticket = await find(client, "ticket", "create")
        ticket = (
            await via(
                client,
                create_ticket,
                client_id=wayne["id"],
                team_id=identity["id"],
                summary="Users cannot sign in to the HR portal",
                details="Several users report a sign-in failure since this morning.",
            )
        )["result"]
        create_action = await find(client, "action note ticket", "create")
        action = (
            await via(
                client,
                create_action,
                ticket_id=ticket["id"],
                note="Could you send us the exact error code shown when sign-in fails?",
            )
        )["result"]
    assert (list_clients, list_tickets, create_ticket, create_action) == (
        "list_all_halo_itsm_clients",
        "list_all_halo_itsm_tickets",
        "create_a_halo_itsm_ticket",
        "create_a_halo_itsm_action",
    )
    assert expected_open and {t["id"] for t in open_tickets} == expected_open
    stored = sandbox.api(f"/Tickets/{ticket['id']}")
    assert (stored["client_id"], stored["team_id"], stored["summary"]) == (
        104,
        identity["id"],
        "Users cannot sign in to the HR portal",
    )
    stored_actions = sandbox.api("/Actions", ticket_id=ticket["id"])["actions"]
    assert any(a["id"] == action["id"] and "error code" in a["note"] for a in stored_actions)


async def test_billing_stark_quotes_awaiting_approval_through_the_meta_tools(sandbox: Sandbox):
    async with Client(sandbox.mcp_url) as client:
        stark = next(
            c
            for c in await every(client, await find(client, "clients", "list"), search="Stark")
            if c["name"] == "Stark Industries"
        )
        projects = await every(client, await find(client, "projects", "list"), client_id=stark["id"])
        project = next(p for p in projects if p["summary"] == "Stark Industries Cloud Migration")
        list_quotes = await find(client, "quotes", "list")
        quotes = await every(client, list_quotes, client_id=stark["id"], awaiting_approval=True)
        invoices = await every(client, await find(client, "invoices", "list"), client_id=stark["id"])
    assert list_quotes == "list_all_halo_itsm_quotes" and project["client_id"] == stark["id"]
    unapproved = {
        q["id"]
        for q in sandbox.api_all("/Quotation", "quotes", client_id=stark["id"])
        if q["approvalstate"] == 0
    }
    assert unapproved and {q["id"] for q in quotes} == unapproved
    assert {i["id"] for i in invoices} == {
        i["id"] for i in sandbox.api_all("/Invoice", "invoices", client_id=stark["id"])
    }


async def test_provisioned_discovery_url_refuses_a_hidden_tool_named_in_call_tool(sandbox: Sandbox):
    created = sandbox.admin(
        "POST",
        "/integrated-account/sandbox/mcp",
        json={
            "name": "billing-ro",
            "config": {"methods": ["read"], "tags": ["billing"], "tool_exposure": "discovery"},
        },
    ).json()
    async with Client(created["url"]) as client:
        names = [t.name for t in (await client.list_tools()).tools]
        found = await client.call_tool(SEARCH, {"query": "ticket"})
        hidden = await client.call_tool(
            CALL, {"name": "create_a_halo_itsm_ticket", "arguments": {"summary": "should never exist"}}
        )
        quotes = await via(client, "list_all_halo_itsm_quotes", limit=5)
    assert names == [SEARCH, SCHEMA, CALL] and created["config"]["tool_exposure"] == "discovery"
    assert all(
        r["method"] in ("list", "get") and "billing" in r["tags"] for r in found.structured_content["result"]
    )
    assert hidden.is_error and hidden.structured_content["error"]["code"] == "unknown_tool"
    assert quotes["result"]
    assert not [r for r in sandbox.journal() if r["method"] == "POST" and "/api/tickets" in r["path"].lower()]
