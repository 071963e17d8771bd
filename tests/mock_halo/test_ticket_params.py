"""Tickets' own documented list parameters act as Halo's document describes them, over HTTP against
the fixture world.

Each test quotes the parameter's description in Halo's official document (and checks the vendored
facts list it); the expectation is that description applied to the fixture records, never the mock's
rule table. The fixture facts used (`fixtures/world.py`): ticket 45920 is flagged, read, has the two
attachments, links assets 14 and 15, is related to 45931, references `WE-VPN-0042` and contract 301;
45931 is on hold, on release "2026.1 Identity" version 4.2.1, contract 301, supplier Northwind; 45932
is read, links asset 16 and has an approval; project 45940 (tasks 45941-45944, 45941 closed) is on the
roadmap with releases "Cloud Migration R1", "Wave 2 workloads", "Cut-over" and contract 302; projects
45950 (task 45952) and 45951 have start and target dates.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from halo_sandbox.mock.config import MockSettings
from tests.mock_halo.test_params import documented, ids, rows

pytestmark = pytest.mark.anyio
H = dict[str, str]
TASKS = {45941, 45942, 45943, 45944}
CLOSED = {"Closed", "Cancelled"}


@pytest.fixture
def settings() -> MockSettings:
    return MockSettings(rate_limit=None)


async def tickets(client: httpx.AsyncClient, headers: H, **params: Any) -> list[dict[str, Any]]:
    return await rows(client, headers, "/Tickets", "tickets", **params)


async def test_state_lists_of_one_and_zero(client: httpx.AsyncClient, auth_headers: H) -> None:
    # "showonroadmap: (array of int) Filter on roadmap visibility in the array - 1 = visible - 0 = Not
    # visible"; "flagged: Returns tickets based on flagged ticket ID's in the array"; "includehold: ...
    # on-hold ticket ID's"; "includeread: ... read ticket ID's"; "includeapproval: Filter on approval
    # tickets in the array. 1 = approval - 0 = not approval"
    documented("/Tickets", "showonroadmap", "flagged", "includehold", "includeread", "includeapproval")
    every = ids(await tickets(client, auth_headers))
    for name, marked in (
        ("showonroadmap", {45940}),
        ("flagged", {45920}),
        ("includehold", {45931}),
        ("includeread", {45920, 45932}),
        ("includeapproval", {45932}),
    ):
        assert ids(await tickets(client, auth_headers, **{name: "1"})) == marked, name
        assert ids(await tickets(client, auth_headers, **{name: "0"})) == every - marked, name
        assert ids(await tickets(client, auth_headers, **{name: "0,1"})) == every, name


async def test_closed_projects_and_children_by_number(client: httpx.AsyncClient, auth_headers: H) -> None:
    # "includeclosed: (array of int) Filter on closed in the array - 1 = Closed - 0 = Not Closed";
    # "includeprojects: ... 1 = Opportunities not Projects - 2 = Projects not Opportunities - 0 =
    # Neither"; "includechildren: ... 0 = No children and not a child - 1 = Has children - 2 = is a child"
    documented("/Tickets", "includeclosed", "includeprojects", "includechildren")
    every = await tickets(client, auth_headers)
    closed = await tickets(client, auth_headers, includeclosed="1")
    assert closed and all(t["status_name"] in CLOSED for t in closed)
    assert ids(closed) == {t["id"] for t in every if t["status_name"] in CLOSED}
    assert ids(await tickets(client, auth_headers, includeclosed="0")) == ids(every) - ids(closed)
    projects = await tickets(client, auth_headers, includeprojects="2")
    assert {45940, 45950, 45951} <= ids(projects) and all(t["is_project"] for t in projects)
    neither = await tickets(client, auth_headers, includeprojects="0")
    assert ids(neither) == {t["id"] for t in every if not t["is_project"] and not t["is_opportunity"]}
    assert ids(await tickets(client, auth_headers, includechildren="1")) == {45940, 45950}
    assert ids(await tickets(client, auth_headers, includechildren="2")) == TASKS | {45952}
    plain = await tickets(client, auth_headers, includechildren="0")
    assert ids(plain) == ids(every) - TASKS - {45940, 45950, 45952}


async def test_tickets_of_inactive_users(client: httpx.AsyncClient, auth_headers: H) -> None:
    # "includeinactiveusers: (array of int) Filter on inactive users in the array - 1 = inactive - 0 =
    # active"; no seeded ticket's user is inactive: one is made so
    documented("/Tickets", "includeinactiveusers")
    assert ids(await tickets(client, auth_headers, includeinactiveusers="1")) == set()
    saved = await client.post("/api/Users", headers=auth_headers, json=[{"id": 1035, "inactive": True}])
    assert saved.status_code in (200, 201), saved.text
    every = await tickets(client, auth_headers)
    theirs = {t["id"] for t in every if t["user_id"] == 1035}
    assert theirs and ids(await tickets(client, auth_headers, includeinactiveusers="1")) == theirs
    assert ids(await tickets(client, auth_headers, includeinactiveusers="0")) == ids(every) - theirs


async def test_attachments_assets_and_related_tickets(client: httpx.AsyncClient, auth_headers: H) -> None:
    # "withattachments: (bool) Returns only tickets with 1 or more attachment"; "asset_id: (int) Filters
    # by the specified asset"; "related_id: (int) Filters by the specified related ticket"
    documented("/Tickets", "withattachments", "asset_id", "related_id")
    attached = await tickets(client, auth_headers, withattachments="true")
    assert ids(attached) == {45920} and all(t["attachment_count"] >= 1 for t in attached)
    assert ids(await tickets(client, auth_headers, asset_id="15")) == {45920}
    assert ids(await tickets(client, auth_headers, asset_id="16")) == {45932}
    assert ids(await tickets(client, auth_headers, asset_id="1")) == set()
    assert ids(await tickets(client, auth_headers, related_id="45931")) == {45920}
    assert ids(await tickets(client, auth_headers, related_id="45920")) == {45931}


async def test_calendar_dates_look_at_actions(client: httpx.AsyncClient, auth_headers: H) -> None:
    # "calendar_startdate: (string) Specifies the calendar search parameter in which actions will have
    # occured after this date"; "calendar_enddate: ... before this date"
    documented("/Tickets", "calendar_startdate", "calendar_enddate")
    history = await rows(client, auth_headers, "/Actions", "actions", ticket_id="45920")
    moment = max(a["datetime"] for a in history)[:19]
    found = await tickets(client, auth_headers, calendar_startdate=moment, calendar_enddate=moment)
    assert 45920 in ids(found)
    for ticket in found:  # each has an action at that moment
        actions = await rows(client, auth_headers, "/Actions", "actions", ticket_id=str(ticket["id"]))
        assert any(a["datetime"][:19] == moment for a in actions), ticket["id"]
    later = await tickets(client, auth_headers, calendar_startdate="2999-01-01")
    assert later == []
    before = await tickets(client, auth_headers, calendar_enddate="1999-12-31")
    assert before == []


async def test_search_on_releases_and_version(client: httpx.AsyncClient, auth_headers: H) -> None:
    # "search_release1: (string) Returns tickets based on release 1 matching the search" (2, 3 alike);
    # "search_version: ... the software version matching the search"
    documented("/Tickets", "search_release1", "search_release2", "search_release3", "search_version")
    assert ids(await tickets(client, auth_headers, search_release1="identity")) == {45931}
    assert ids(await tickets(client, auth_headers, search_release1="R1")) == {45940}
    assert ids(await tickets(client, auth_headers, search_release2="wave")) == {45940}
    assert ids(await tickets(client, auth_headers, search_release3="cut-OVER")) == {45940}
    assert ids(await tickets(client, auth_headers, search_version="4.2")) == {45931}


async def test_references_and_links(client: httpx.AsyncClient, auth_headers: H) -> None:
    # "ticketcontract_id: (int) Filters by the specified ticket contract"; "unlinked_only: (bool)
    # Returns only unlinked tickets in the response"; "startandendset: (bool) Filter on tickets that
    # have a project start and end date set"; "followedandagents: (array of int) Returns tickets based
    # on agent and follower ID's in the array"; project_ids and client_ref are undescribed
    documented("/Tickets", "ticketcontract_id", "unlinked_only", "startandendset", "followedandagents")
    documented("/Tickets", "project_ids", "client_ref")
    assert ids(await tickets(client, auth_headers, ticketcontract_id="301")) == {45920, 45931}
    assert ids(await tickets(client, auth_headers, ticketcontract_id="302")) == {45940}
    every = await tickets(client, auth_headers)
    unlinked = await tickets(client, auth_headers, unlinked_only="true")
    assert ids(unlinked) == {t["id"] for t in every if not t.get("parent_id")} and not TASKS & ids(unlinked)
    assert ids(await tickets(client, auth_headers, startandendset="true")) == {45940, 45950, 45951}
    agents = sorted({t["agent_id"] for t in every})[:2]
    followed = await tickets(client, auth_headers, followedandagents=",".join(map(str, agents)))
    assert ids(followed) == {t["id"] for t in every if t["agent_id"] in agents}
    assert ids(await tickets(client, auth_headers, project_ids="45940")) == TASKS
    assert ids(await tickets(client, auth_headers, project_ids="45940,45950")) == TASKS | {45952}
    assert ids(await tickets(client, auth_headers, client_ref="we-vpn-0042")) == {45920}


async def test_include_switches_add_fields(client: httpx.AsyncClient, auth_headers: H) -> None:
    # "includechildids: (bool) Include child ticket IDs in the response"; "inlcludeopenchildcount: ...
    # Include open child ticket count"; "startdatetime"/"enddatetime": "Include project start (end) date
    # and time details"; "includesupplier", "includerelease1", "includerelatedservices",
    # "includeservicecategory": "Include ... in the response"
    documented("/Tickets", "includechildids", "inlcludeopenchildcount", "startdatetime", "enddatetime")
    documented("/Tickets", "includesupplier", "includerelease1", "includerelatedservices")
    documented("/Tickets", "includeservicecategory")
    chosen = "45940,45950,45931,45920"
    plain = {t["id"]: t for t in await tickets(client, auth_headers, ticketids=chosen)}
    asked = {
        t["id"]: t
        for t in await tickets(
            client,
            auth_headers,
            ticketids=chosen,
            includechildids="true",
            inlcludeopenchildcount="true",
            startdatetime="true",
            enddatetime="true",
            includesupplier="true",
            includerelease1="true",
            includerelatedservices="true",
            includeservicecategory="true",
        )
    }
    for name in ("child_ticket_ids", "child_count_open", "startdatetime", "enddatetime"):
        assert all(name not in t for t in plain.values()), name
    assert "supplier_name" not in plain[45920] and "release_name" not in plain[45920]
    assert sorted(asked[45940]["child_ticket_ids"]) == sorted(TASKS) and asked[45950]["child_ticket_ids"] == [
        45952
    ]
    assert asked[45920]["child_ticket_ids"] == []
    assert asked[45940]["child_count_open"] == 3 and asked[45950]["child_count_open"] == 1  # 45941 closed
    assert asked[45940]["startdatetime"] == plain[45940]["startdate"]
    assert asked[45940]["enddatetime"] == plain[45940]["targetdate"]
    assert (
        asked[45931]["supplier_name"] == "Northwind Identity Services" and asked[45920]["supplier_name"] == ""
    )
    assert asked[45931]["release_name"] == "2026.1 Identity" and "release_id" in asked[45920]
    assert asked[45920]["related_service_category_names"] == "Network"
    assert "related_service_descriptions" in asked[45940]


async def test_excluding_sla_calculations(client: httpx.AsyncClient, auth_headers: H) -> None:
    # "excludeslacalcs: (bool) Exclude sla calculation details in the response"
    documented("/Tickets", "excludeslacalcs")
    with_sla = await tickets(client, auth_headers, client_id="104")
    without = await tickets(client, auth_headers, client_id="104", excludeslacalcs="true")
    assert all("slastate" in t for t in with_sla)
    assert ids(without) == ids(with_sla) and all("slastate" not in t for t in without)


async def test_a_strict_tenant_takes_them(client: httpx.AsyncClient, auth_headers: H) -> None:
    # strict mode refuses only what the mock does not act on
    assert (await client.put("/_sandbox/strict", json={"enabled": True})).status_code == 200
    for name, value in (
        ("includeclosed", "1"),
        ("flagged", "1"),
        ("asset_id", "14"),
        ("calendar_enddate", "2999-01-01"),
        ("includechildids", "true"),
        ("excludeslacalcs", "true"),
    ):
        answer = await client.get("/api/Tickets", headers=auth_headers, params={name: value})
        assert answer.status_code == 200, (name, answer.text)


async def test_request_type_groups(client: httpx.AsyncClient, auth_headers: H) -> None:
    # "requesttypegroup: (array of int) Returns tickets based on request type group ID's in the array";
    # a ticket type's group is its `group_id` (GET /TicketType)
    documented("/Tickets", "requesttypegroup")
    types = await client.get("/api/TicketType", headers=auth_headers)
    group = {t["id"]: t["group_id"] for t in types.json()}
    assert len(set(group.values())) > 1
    every = await tickets(client, auth_headers)
    for wanted in ({2}, {1, 2}):
        found = await tickets(client, auth_headers, requesttypegroup=",".join(map(str, sorted(wanted))))
        assert ids(found) == {t["id"] for t in every if group[t["tickettype_id"]] in wanted}
    assert TASKS <= ids(await tickets(client, auth_headers, requesttypegroup="2"))


async def test_utc_offset_moves_the_dates(client: httpx.AsyncClient, auth_headers: H) -> None:
    # "utcoffset: (double) Adds an offset to the UTC date" (dates are answered in UTC)
    documented("/Tickets", "utcoffset")
    plain = {t["id"]: t for t in await tickets(client, auth_headers, client_id="104")}
    moved = {t["id"]: t for t in await tickets(client, auth_headers, client_id="104", utcoffset="2.5")}
    assert moved.keys() == plain.keys()
    for tid, ticket in moved.items():
        before = datetime.fromisoformat(plain[tid]["dateoccurred"])
        assert datetime.fromisoformat(ticket["dateoccurred"]) - before == timedelta(hours=2.5), tid
        assert ticket["summary"] == plain[tid]["summary"] and ticket["id"] == tid
    assert moved[45920]["dateclosed"] == plain[45920]["dateclosed"] == "1900-01-01T00:00:00"  # unset stays
