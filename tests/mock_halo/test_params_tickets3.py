"""More of GET /Tickets' documented list parameters acting as Halo's document describes them
(`mock_halo.domain.params`, the ticket hooks of `mock_halo.domain.rules.tickets`), over HTTP against
the fixture world.

Each test checks that Halo's official document lists the parameter and quotes its description (or
says it has none: the meaning is then inferred from the name); the expected rows come from that
description applied to the records as the API answers them. The fixture world gives the records that
make each effect visible: agent Hannah Novak logged the three projects (their first action), and
works two of them, Owen Gallagher the third; a ticket's ``timetaken`` is the total of its actions'
(closed tickets and the scripted histories have some, most open ones none); tickets 45920 and 45931
are under contract 301, 45940 under 302; user 1002 belongs to the Finance department; the Stark
migration's four tasks are each in one of its milestones.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.mock_halo.test_params import H, documented, ids, rows, settings

__all__ = ["settings"]  # the fixture: a mock without rate limit

pytestmark = pytest.mark.anyio
PROJECTS = {45940, 45950, 45951}


async def tickets(client: httpx.AsyncClient, headers: H, **params: Any) -> list[dict[str, Any]]:
    return await rows(client, headers, "/Tickets", "tickets", **params)


async def agent_id(client: httpx.AsyncClient, headers: H, email: str) -> int:
    agents = await rows(client, headers, "/Agent", None)
    return next(a["id"] for a in agents if a["email"] == email)


async def first_action(client: httpx.AsyncClient, headers: H, ticket: int) -> dict[str, Any]:
    actions = await rows(client, headers, "/Actions", "actions", ticket_id=str(ticket))
    return min(actions, key=lambda a: a["id"])


async def test_my_user_only(client: httpx.AsyncClient, auth_headers: H) -> None:
    # "includemyuseronly: (array of int) Returns tickets based on my user ID in the array."
    documented("/Tickets", "includemyuseronly")
    every = await tickets(client, auth_headers)
    found = await tickets(client, auth_headers, includemyuseronly="1035,1002")
    assert ids(found) == {t["id"] for t in every if t["user_id"] in (1035, 1002)}
    assert {45920, 45935, 45902} <= ids(found) and len(found) < len(every)


async def test_tickets_agents_submitted(client: httpx.AsyncClient, auth_headers: H) -> None:
    # "includesubmittedonly: (array of int) Returns tickets based on agent submitted ID's in the
    # array."; "submittedandagents: (array of int) Returns tickets based on agent and agent submitted
    # ID's in the array." The agent who submitted a ticket is the one who logged it: its first action's
    documented("/Tickets", "includesubmittedonly", "submittedandagents")
    hannah = await agent_id(client, auth_headers, "hannah.novak@sandbox.local")
    every = await tickets(client, auth_headers)
    submitted = await tickets(client, auth_headers, includesubmittedonly=str(hannah))
    assert ids(submitted) == PROJECTS
    for ticket in PROJECTS:  # logged by her
        assert (await first_action(client, auth_headers, ticket))["who_agentid"] == hannah
    assigned = {t["id"] for t in every if t["agent_id"] == hannah}
    assert 45951 not in assigned and {45928, 45944} <= assigned  # she works tickets end users logged
    for ticket in (45928, 45944):
        logged = await first_action(client, auth_headers, ticket)
        assert logged.get("who_agentid") != hannah and logged.get("actionby_user_id")
    both = await tickets(client, auth_headers, submittedandagents=str(hannah))
    assert ids(both) == assigned | PROJECTS and len(both) < len(every)
    owen = await agent_id(client, auth_headers, "owen.gallagher@sandbox.local")
    assert 45951 in {t["id"] for t in every if t["agent_id"] == owen}
    assert 45951 not in ids(await tickets(client, auth_headers, includesubmittedonly=str(owen)))


async def test_time_taken_only_when_asked(client: httpx.AsyncClient, auth_headers: H) -> None:
    # "includetimetaken: (bool) Include time taken in the response."; a ticket's time taken is the
    # total of its actions' (hours)
    documented("/Tickets", "includetimetaken")
    plain = await tickets(client, auth_headers, client_id="104")
    asked = await tickets(client, auth_headers, client_id="104", includetimetaken="true")
    assert not any("timetaken" in t for t in plain)
    assert ids(asked) == ids(plain) and all("timetaken" in t for t in asked)
    by_id = {t["id"]: t for t in asked}
    actions = await rows(client, auth_headers, "/Actions", "actions", ticket_id="45920")
    assert by_id[45920]["timetaken"] == sum(a.get("timetaken") or 0 for a in actions) == 3.25
    record = (await client.get("/api/Tickets/45920", headers=auth_headers)).json()
    assert record["timetaken"] == 3.25  # a record read by id carries it
    assert any(not t["timetaken"] for t in asked)


async def test_tickets_with_and_without_time(client: httpx.AsyncClient, auth_headers: H) -> None:
    # onlytime, notime: undescribed in Halo's document; read as tickets with (without) time taken
    documented("/Tickets", "onlytime", "notime")
    every = await tickets(client, auth_headers, includetimetaken="true")
    timed = {t["id"] for t in every if t["timetaken"]}
    assert timed and len(timed) < len(every)
    assert ids(await tickets(client, auth_headers, onlytime="true")) == timed
    assert ids(await tickets(client, auth_headers, notime="true")) == ids(every) - timed
    assert ids(await tickets(client, auth_headers, onlytime="false")) == ids(every)
    untimed = min(ids(every) - timed)
    added = await client.post(
        "/api/Actions",
        headers=auth_headers,
        json=[
            {"ticket_id": untimed, "note": "Checked the logs.", "outcome": "Private Note", "timetaken": 0.75}
        ],
    )
    assert added.status_code in (200, 201), added.text
    assert untimed in ids(await tickets(client, auth_headers, onlytime="true"))
    record = (await client.get(f"/api/Tickets/{untimed}", headers=auth_headers)).json()
    assert record["timetaken"] == 0.75


async def test_a_ticket_time_stays_a_number_past_the_largest_double(
    client: httpx.AsyncClient, auth_headers: H
) -> None:
    # Each action's 1e308 hours is a valid double; their total is not: the ticket keeps a finite time
    # (JSON has no infinity) and both actions are stored.
    huge = {"ticket_id": 45920, "note": "Long job.", "outcome": "Private Note", "timetaken": 1e308}
    for _ in range(2):
        added = await client.post("/api/Actions", headers=auth_headers, json=[huge])
        assert added.status_code in (200, 201), added.text
    record = (await client.get("/api/Tickets/45920", headers=auth_headers)).json()
    assert isinstance(record["timetaken"], float) and record["timetaken"] >= 1e308
    listed = await tickets(client, auth_headers, ticketids="45920", includetimetaken="true")
    assert listed[0]["timetaken"] == record["timetaken"]


async def test_contract_billing(client: httpx.AsyncClient, auth_headers: H) -> None:
    # prepayorcontractonly, billingcontractid: undescribed; read as tickets billed against a contract
    # (prepay is not modelled), against that contract
    documented("/Tickets", "prepayorcontractonly", "billingcontractid")
    every = await tickets(client, auth_headers)
    contracted = {t["id"] for t in every if t.get("contract_id")}
    assert ids(await tickets(client, auth_headers, prepayorcontractonly="true")) == contracted
    assert contracted == {45920, 45931, 45940}
    assert ids(await tickets(client, auth_headers, billingcontractid="301")) == {45920, 45931}
    assert ids(await tickets(client, auth_headers, billingcontractid="302")) == {45940}


async def test_portal_filter_of_my_tickets(client: httpx.AsyncClient, auth_headers: H) -> None:
    # "extraportalfilter: (string) Filter on the extraportalfilter field - 'MyTicketsOnly' for my
    # tickets - 'MyClientTickets' for my client tickets."; "my" is the end user linked to your agent
    # (`GET /Users/me`)
    documented("/Tickets", "extraportalfilter")
    assert await tickets(client, auth_headers, extraportalfilter="MyTicketsOnly") == []  # no linked user
    me = (await client.get("/api/Agent/me", headers=auth_headers)).json()["id"]
    linked = await client.post("/api/Users", headers=auth_headers, json=[{"id": 1035, "linked_agent_id": me}])
    assert linked.status_code in (200, 201), linked.text
    user = (await client.get("/api/Users/me", headers=auth_headers)).json()
    assert user["id"] == 1035 and user["client_id"] == 104
    every = await tickets(client, auth_headers)
    mine = await tickets(client, auth_headers, extraportalfilter="MyTicketsOnly")
    theirs = await tickets(client, auth_headers, extraportalfilter="myclienttickets")
    assert ids(mine) == {t["id"] for t in every if t["user_id"] == 1035} and {45920, 45935} <= ids(mine)
    assert ids(theirs) == {t["id"] for t in every if t["client_id"] == 104}
    assert ids(mine) < ids(theirs) < ids(every)


async def test_user_departments_when_asked(client: httpx.AsyncClient, auth_headers: H) -> None:
    # includuserdepartments (the document's spelling): undescribed; read as the ticket's user's
    # departments (Faults' userdepartments)
    documented("/Tickets", "includuserdepartments")
    user = (await client.get("/api/Users/1002", headers=auth_headers)).json()
    names = ", ".join(d["department_name"] for d in user["departments"])
    assert names == "Finance"
    plain = await tickets(client, auth_headers, client_id="101")
    asked = await tickets(client, auth_headers, client_id="101", includuserdepartments="true")
    assert not any("userdepartments" in t for t in plain) and ids(asked) == ids(plain)
    departed = {t["id"] for t in asked if t["userdepartments"]}
    assert departed == {t["id"] for t in asked if t["user_id"] == 1002} and 45902 in departed
    assert all(t["userdepartments"] == names for t in asked if t["id"] in departed)
    assert len(departed) < len(asked)


async def test_tickets_in_milestones(client: httpx.AsyncClient, auth_headers: H) -> None:
    # ismilestone: undescribed; read as the tickets in a project milestone (Faults' milestone_id); the
    # Stark migration (45940) has three milestones, each of its tasks is in one
    documented("/Tickets", "ismilestone", "milestone_id")
    project = (await client.get("/api/Tickets/45940", headers=auth_headers)).json()
    milestones = {m["id"] for m in project["milestones"]}
    every = await tickets(client, auth_headers)
    placed = {t["id"] for t in every if t.get("milestone_id") in milestones}
    assert placed == {45941, 45942, 45943, 45944}
    assert ids(await tickets(client, auth_headers, ismilestone="true")) == placed
    assert ids(await tickets(client, auth_headers, ismilestone="false")) == ids(every)
    assert ids(await tickets(client, auth_headers, milestone_id="2")) == {45942, 45943}
