"""More documented list parameters of actions, agents and users acting as Halo's document describes
them (`mock_halo.domain.params`, the actions' ``ticket_family`` filter hook), over HTTP against the
fixture world.

Each test checks that Halo's official document lists the parameter and quotes its description; the
expected rows are that description applied to the records as `GET /{id}` (or the plain list) answers
them, never the mock's rule table. The fixture world gives the records that make each effect visible:
projects have child tasks, tickets 45920 and 45931 relate to each other, 45931 was put on hold (an
outcome that holds the SLA), two agents have synced Exchange calendars, one agent is disabled and
another an API agent, user 1002 is in a department,
users 1002 and 1031 hold software licences, users 1001 and 1011 approve, and the sites of Acme and
Wayne Enterprises have main contacts (Wayne's two sites share one).
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.mock_halo.test_params import H, documented, ids, rows, settings
from tests.mock_halo.test_params_people import full

__all__ = ["settings"]  # the fixture: a mock without rate limit

pytestmark = pytest.mark.anyio


async def actions(client: httpx.AsyncClient, headers: H, ticket: int, **params: Any) -> list[Any]:
    return await rows(client, headers, "/Actions", "actions", ticket_id=str(ticket), **params)


def keys(listed: list[dict[str, Any]]) -> set[tuple[int, int]]:
    """Actions by (ticket, number): their ids are per ticket."""
    return {(a["ticket_id"], a["id"]) for a in listed}


async def test_actions_of_child_and_related_tickets(client: httpx.AsyncClient, auth_headers: H) -> None:
    # "ischildnotes: (bool) Only get actions from child tickets."; "isrelatednotes: (bool) Only get
    # actions from related tickets." (children: `Faults.parent_id`; related: `Faults.related_tickets`)
    documented("/Actions", "ischildnotes", "isrelatednotes")
    tickets = await rows(client, auth_headers, "/Tickets", "tickets", count="5000")
    children: dict[int, list[int]] = {}
    for ticket in tickets:
        if ticket.get("parent_id"):
            children.setdefault(ticket["parent_id"], []).append(ticket["id"])
    parent, kids = next(iter(sorted(children.items())))
    expected: set[tuple[int, int]] = set()
    for kid in kids:
        expected |= keys(await actions(client, auth_headers, kid))
    own = keys(await actions(client, auth_headers, parent))
    assert expected and own and not expected & own
    assert keys(await actions(client, auth_headers, parent, ischildnotes="true")) == expected
    assert keys(await actions(client, auth_headers, parent, ischildnotes="false")) == own
    assert await actions(client, auth_headers, kids[0], ischildnotes="true") == []  # a task has no children

    vpn = (await client.get("/api/Tickets/45920", headers=auth_headers)).json()
    related = {r["id"] for r in vpn["related_tickets"]}
    assert related == {45931}
    theirs = keys(await actions(client, auth_headers, 45931))
    assert theirs and keys(await actions(client, auth_headers, 45920, isrelatednotes="true")) == theirs
    assert await actions(client, auth_headers, parent, isrelatednotes="true") == []
    both = await actions(client, auth_headers, parent, ischildnotes="true", isrelatednotes="true")
    assert keys(both) == expected


async def test_sla_hold_and_release_actions(client: httpx.AsyncClient, auth_headers: H) -> None:
    # "slaonly: (bool) Only get SLA hold and release actions.": actions whose outcome (`GET /Outcome`,
    # `TOutcome.slaholdischecked`, `slareleaseischecked`) holds or releases the SLA
    documented("/Actions", "slaonly")
    outcomes = (await client.get("/api/Outcome", headers=auth_headers)).json()
    outcomes = outcomes if isinstance(outcomes, list) else outcomes["outcomes"]
    sla = {o["id"] for o in outcomes if o.get("slaholdischecked") or o.get("slareleaseischecked")}
    assert sla and len(sla) < len(outcomes)
    every = await actions(client, auth_headers, 45931)
    held = {a["id"] for a in every if a["outcome_id"] in sla}
    assert 0 < len(held) < len(every)
    assert ids(await actions(client, auth_headers, 45931, slaonly="true")) == held
    assert ids(await actions(client, auth_headers, 45931, slaonly="false")) == ids(every)
    assert await actions(client, auth_headers, 45920, slaonly="true") == []


async def test_agent_details_only_when_asked(client: httpx.AsyncClient, auth_headers: H) -> None:
    # "includeagentdetails: (bool) Include agent details in the response.": the `who_*` fields of
    # `Actions` (the agent who wrote the action: initials, colour, picture, online status)
    documented("/Actions", "includeagentdetails")
    agents = {
        a["id"]: a
        for a in await full(
            client,
            auth_headers,
            "/Agent",
            await rows(client, auth_headers, "/Agent", None, includeunassigned="true"),
        )
    }
    names = {"who_initials": "initials", "who_colour": "colour", "who_imgpath": "agentphotopath"}
    plain = await actions(client, auth_headers, 45920)
    asked = await actions(client, auth_headers, 45920, includeagentdetails="true")
    assert all(name not in a for a in plain for name in [*names, "who_onlinestatus"])
    by_agent = 0
    for action in asked:
        agent = agents.get(action.get("who_agentid") or action.get("actionby_agent_id") or 0)
        for field, attr in names.items():
            assert action[field] == (agent[attr] if agent else ""), (action["id"], field)
        assert action["who_onlinestatus"] == (agent["onlinestatus"] if agent else 0)
        by_agent += agent is not None and bool(agent["initials"])
    assert 0 < by_agent < len(asked)  # agents' actions carry their initials, the user's none
    assert [a["id"] for a in asked] == [a["id"] for a in plain]
    for action in asked:  # a read by id carries them always
        record = (
            await client.get(
                f"/api/Actions/{action['id']}", headers=auth_headers, params={"ticket_id": "45920"}
            )
        ).json()
        assert {f: record[f] for f in [*names, "who_onlinestatus"]} == {
            f: action[f] for f in [*names, "who_onlinestatus"]
        }


async def test_agents_with_exchange_calendars(client: httpx.AsyncClient, auth_headers: H) -> None:
    # "exchangecalendars: (bool) Filters on Agents that have exchange calendars synced."
    # (`Uname.exchange_authorized`)
    documented("/Agent", "exchangecalendars")
    listed = await rows(client, auth_headers, "/Agent", None)
    records = await full(client, auth_headers, "/Agent", listed)
    synced = {r["id"] for r in records if r["exchange_authorized"]}
    assert 0 < len(synced) < len(records)
    assert ids(await rows(client, auth_headers, "/Agent", None, exchangecalendars="true")) == synced
    assert ids(await rows(client, auth_headers, "/Agent", None, exchangecalendars="false")) == ids(listed)


async def test_the_number_of_agents_when_asked(client: httpx.AsyncClient, auth_headers: H) -> None:
    # "includenamedcount: (bool) Include the count of the number of Agents in the response." (as
    # `Uname.named_licences_in_use`): the agents a plain `GET /Agent` lists, on every row
    documented("/Agent", "includenamedcount")
    listed = await rows(client, auth_headers, "/Agent", None)
    everyone = await rows(
        client, auth_headers, "/Agent", None, includedisabled="true", includeunassigned="true"
    )
    assert len(listed) < len(everyone)
    assert all("named_licences_in_use" not in a for a in listed)
    counted = await rows(client, auth_headers, "/Agent", None, includenamedcount="true")
    assert [a["id"] for a in counted] == [a["id"] for a in listed]
    assert {a["named_licences_in_use"] for a in counted} == {len(listed)}


async def test_users_of_my_department_and_my_site_contact(client: httpx.AsyncClient, auth_headers: H) -> None:
    # "mydepartment: (bool) Include only Users that belong to your department in the response";
    # "mysitecontact: (bool) Include only Users that belong to your site contact in the response":
    # you are the end user linked to your agent (`GET /Users/me`), as for mysite and myarea
    documented("/Users", "mydepartment", "mysitecontact")
    assert await rows(client, auth_headers, "/Users", "users", mydepartment="true") == []  # no linked user
    assert await rows(client, auth_headers, "/Users", "users", mysitecontact="true") == []
    me = (await client.get("/api/Agent/me", headers=auth_headers)).json()["id"]
    finance = [{"department_id": 4, "department_name": "Finance"}]
    posted = await client.post(
        "/api/Users",
        headers=auth_headers,
        json={"name": "Sandbox Agent (user)", "site_id": 7, "linked_agent_id": me, "departments": finance},
    )
    assert posted.status_code in (200, 201), posted.text
    user = (await client.get("/api/Users/me", headers=auth_headers)).json()
    every = await full(client, auth_headers, "/Users", await rows(client, auth_headers, "/Users", "users"))

    def departments(record: dict[str, Any]) -> set[int]:
        return {d["department_id"] for d in record["departments"]}

    same = {u["id"] for u in every if departments(u) & departments(user)}
    assert user["id"] in same and 1 < len(same) < len(every)
    assert ids(await rows(client, auth_headers, "/Users", "users", mydepartment="true")) == same

    sites = await rows(client, auth_headers, "/Site", "sites", includeinactive="true")
    contact = {
        s["id"]: (await client.get(f"/api/Site/{s['id']}", headers=auth_headers)).json() for s in sites
    }

    async def check(expected_bigger_than: str) -> None:
        mine = (await client.get("/api/Users/me", headers=auth_headers)).json()
        theirs = contact[mine["site_id"]]["maincontact_id"]
        expected = {u["id"] for u in every_now if contact[u["site_id"]]["maincontact_id"] == theirs}
        got = ids(await rows(client, auth_headers, "/Users", "users", mysitecontact="true"))
        assert theirs and got == expected
        other = ids(await rows(client, auth_headers, "/Users", "users", **{expected_bigger_than: "true"}))
        assert got != other

    every_now = await rows(client, auth_headers, "/Users", "users")
    await check("mysite")  # Wayne's two sites share their main contact: more than the user's site
    moved = await client.post(
        "/api/Users", headers=auth_headers, json=[{"id": user["id"], "site_id": 2, "client_id": 101}]
    )
    assert moved.status_code in (200, 201), moved.text
    every_now = await rows(client, auth_headers, "/Users", "users")
    await check("myarea")  # Acme's two sites have different main contacts: less than the user's client


async def test_all_approvers_adds_an_or_condition(client: httpx.AsyncClient, auth_headers: H) -> None:
    # "allapprovers: (bool) Adds an or condition to show all Users that are approvers in the response."
    # (approvers: `Users.ischangeapprover`, `ispoapprover`, as approvers_only)
    documented("/Users", "allapprovers")
    every = await full(client, auth_headers, "/Users", await rows(client, auth_headers, "/Users", "users"))
    approvers = {u["id"] for u in every if u["ischangeapprover"] or u["ispoapprover"]}
    stark = ids(await rows(client, auth_headers, "/Users", "users", client_id="102"))
    assert approvers and approvers - stark and approvers & stark
    either = await rows(client, auth_headers, "/Users", "users", client_id="102", allapprovers="true")
    assert ids(either) == stark | approvers and len(either) < len(every)
    assert [u["id"] for u in either] == sorted(ids(either))
    alone = ids(await rows(client, auth_headers, "/Users", "users", client_id="102", allapprovers="false"))
    assert alone == stark
    found = await rows(client, auth_headers, "/Users", "users", search="pepper", allapprovers="true")
    assert ids(found) == {u["id"] for u in every if "pepper" in u["name"].lower()} | approvers


async def test_users_with_a_licence(client: httpx.AsyncClient, auth_headers: H) -> None:
    # licence_id (no description): the users holding that licence (`Users.software` items'
    # `licence_id`, `DeviceApplications`)
    documented("/Users", "licence_id")
    every = await full(client, auth_headers, "/Users", await rows(client, auth_headers, "/Users", "users"))
    held: dict[int, set[int]] = {}
    for user in every:
        for item in user["software"]:
            held.setdefault(item["licence_id"], set()).add(user["id"])
    assert len(held) > 1 and all(0 < len(users) < len(every) for users in held.values())
    for licence, users in held.items():
        assert ids(await rows(client, auth_headers, "/Users", "users", licence_id=str(licence))) == users
    assert await rows(client, auth_headers, "/Users", "users", licence_id="999") == []
