"""The seed workflows walked with real tool calls over Streamable HTTP against `halo-sandbox up`,
each answer checked against the mock's own data read independently through `/api`."""

from __future__ import annotations

from typing import Any

import pytest
from mcp import Client

from tests._sandbox import Sandbox

pytestmark = [pytest.mark.e2e, pytest.mark.anyio]

OPEN = {8, 9}.__contains__  # status ids Cancelled and Closed


async def call(client: Client, tool: str, **arguments: Any) -> Any:
    result = await client.call_tool(tool, arguments)
    assert result.is_error is False, result.structured_content
    return result.structured_content["result"]


async def every(client: Client, tool: str, **arguments: Any) -> list[dict[str, Any]]:
    """All records of a list tool, following `next_cursor` to the end."""
    rows: list[dict[str, Any]] = []
    cursor = None
    while True:
        args = {**arguments, "limit": 100, **({"next_cursor": cursor} if cursor else {})}
        result = await client.call_tool(tool, args)
        assert result.is_error is False, result.structured_content
        rows += result.structured_content["result"]
        cursor = result.structured_content["next_cursor"]
        if cursor is None:
            return rows


async def test_triage_wayne_enterprises(sandbox: Sandbox):
    expected_open = {
        t["id"] for t in sandbox.api_all("/Tickets", "tickets", client_id=104) if not OPEN(t["status_id"])
    }  # read before the workflow adds a ticket
    async with Client(sandbox.mcp_url) as client:
        # 1. find the client
        clients = await every(client, "list_all_halo_itsm_clients", search="Wayne")
        wayne = next(c for c in clients if c["name"] == "Wayne Enterprises")
        assert wayne["id"] == 104
        # 2. its open tickets
        open_tickets = await every(
            client, "list_all_halo_itsm_tickets", client_id=wayne["id"], open_only=True
        )
        # 3. the Identity team
        identity = next(t for t in await every(client, "list_all_halo_itsm_teams") if t["name"] == "Identity")
        # 4. create the ticket
        ticket = await call(
            client,
            "create_a_halo_itsm_ticket",
            client_id=wayne["id"],
            team_id=identity["id"],
            summary="Users cannot sign in to the HR portal",
            details="Several users report a sign-in failure on the HR portal since this morning.",
        )
        # 5. ask for the error code
        action = await call(
            client,
            "create_a_halo_itsm_action",
            ticket_id=ticket["id"],
            note="Could you send us the exact error code shown when sign-in fails?",
        )
        # read both back through the tools
        again = await call(client, "get_single_halo_itsm_ticket_by_id", id=ticket["id"])
        actions = await every(client, "list_all_halo_itsm_actions", ticket_id=ticket["id"])

    assert expected_open and {t["id"] for t in open_tickets} == expected_open
    assert identity["id"] == next(t["id"] for t in sandbox.api("/Team") if t["name"] == "Identity")
    assert (again["client_id"], again["team_id"], again["summary"]) == (
        104,
        identity["id"],
        "Users cannot sign in to the HR portal",
    )
    assert again["team"] == "Identity"
    assert any(a["id"] == action["id"] and "error code" in a["note"] for a in actions)
    # ... and the mock holds them, read independently
    stored = sandbox.api(f"/Tickets/{ticket['id']}")
    assert (stored["client_id"], stored["team_id"]) == (104, identity["id"])
    stored_actions = sandbox.api("/Actions", ticket_id=ticket["id"])["actions"]
    assert any("error code" in a["note"] for a in stored_actions)


async def test_project_health_stark_industries(sandbox: Sandbox):
    async with Client(sandbox.mcp_url) as client:
        stark = next(
            c
            for c in await every(client, "list_all_halo_itsm_clients", search="Stark")
            if c["name"] == "Stark Industries"
        )
        projects = await every(client, "list_all_halo_itsm_projects", client_id=stark["id"])
        project = next(p for p in projects if p["summary"] == "Stark Industries Cloud Migration")
        actions = await every(client, "list_all_halo_itsm_actions", ticket_id=project["id"])
        quotes = await every(
            client, "list_all_halo_itsm_quotes", client_id=stark["id"], awaiting_approval=True
        )

    expected_projects = {p["id"] for p in sandbox.api_all("/Projects", "tickets", client_id=stark["id"])}
    assert {p["id"] for p in projects} == expected_projects
    stored_actions = sandbox.api("/Actions", ticket_id=project["id"])["actions"]
    assert actions and {a["id"] for a in actions} == {a["id"] for a in stored_actions}
    latest = max(actions, key=lambda a: a["datetime"])
    assert latest["id"] == max(stored_actions, key=lambda a: a["datetime"])["id"]
    unapproved = {
        q["id"]
        for q in sandbox.api_all("/Quotation", "quotes", client_id=stark["id"])
        if q["approvalstate"] == 0
    }
    assert unapproved and {q["id"] for q in quotes} == unapproved


async def test_open_network_operations_tickets_that_breached_their_sla(sandbox: Sandbox):
    netops = next(t["id"] for t in sandbox.api("/Team") if t["name"] == "Network Operations")
    async with Client(sandbox.mcp_url) as client:
        answer = await every(
            client, "list_all_halo_itsm_tickets", team=[netops], open_only=True, includebreached=True
        )

    now = sandbox.admin("GET", "/clock").json()["now"]
    expected = {
        t["id"]
        for t in sandbox.api_all("/Tickets", "tickets")
        if t.get("team_id") == netops
        and not OPEN(t["status_id"])
        and t["fixbydate"] != "1900-01-01T00:00:00"
        and t["fixbydate"] < now
    }
    assert expected and {t["id"] for t in answer} == expected
    assert all(t["slastate"] == "O" for t in answer)
