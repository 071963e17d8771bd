"""More documented list parameters of tickets and clients acting as Halo's document describes them
(`mock_halo.domain.params`), over HTTP against the fixture world.

Each test checks that Halo's official document lists the parameter and quotes its description; the
expected rows come from that description applied to the records as `GET /{id}` answers them. The
fixture world gives the records that make each effect visible: the oldest generated ticket was worked
by the disabled agent; the tickets of the first site carry its postcode; client 102's call date is a
week ago, client 103's two weeks ahead.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from halo_sandbox.mock.config import MockSettings
from tests.mock_halo.test_params import H, documented, ids, rows

pytestmark = pytest.mark.anyio
UNSET = ("1899", "1900-01-01")


@pytest.fixture
def settings() -> MockSettings:
    return MockSettings(rate_limit=None)


async def tickets(client: httpx.AsyncClient, headers: H, **params: Any) -> list[dict[str, Any]]:
    return await rows(client, headers, "/Tickets", "tickets", includeclosed="0,1", **params)


async def test_tickets_of_inactive_techs(client: httpx.AsyncClient, auth_headers: H) -> None:
    # "includeinactivetechs: (array of int) Returns tickets based on inactive tech ID's in the array"
    # (read as includeinactiveusers' "1 = inactive - 0 = active", on the ticket's agent)
    documented("/Tickets", "includeinactivetechs")
    agents = await rows(client, auth_headers, "/Agent", None, includedisabled="true")
    disabled = {a["id"] for a in agents if a["isdisabled"]}
    every = await tickets(client, auth_headers)
    theirs = {t["id"] for t in every if t.get("agent_id") in disabled}
    assert theirs and len(theirs) < len(every)
    assert ids(await tickets(client, auth_headers, includeinactivetechs="1")) == theirs
    assert ids(await tickets(client, auth_headers, includeinactivetechs="0")) == ids(every) - theirs
    assert ids(await tickets(client, auth_headers, includeinactivetechs="0,1")) == ids(every)


async def test_site_postcode_is_added_when_asked(client: httpx.AsyncClient, auth_headers: H) -> None:
    # "sitepostcode: (bool) Include site postcode details in the response"
    documented("/Tickets", "sitepostcode")
    plain = await tickets(client, auth_headers)
    asked = await tickets(client, auth_headers, sitepostcode="true")
    assert not any("sitepostcode" in t for t in plain)
    assert ids(asked) == ids(plain) and all("sitepostcode" in t for t in asked)
    coded = [t for t in asked if t["sitepostcode"]]
    assert coded and len(coded) < len(asked)
    for row in coded[:3]:
        record = (await client.get(f"/api/Tickets/{row['id']}", headers=auth_headers)).json()
        assert record["sitepostcode"] == row["sitepostcode"]


async def test_call_plan_clients(client: httpx.AsyncClient, auth_headers: H) -> None:
    # "callplan: (bool) Include only clients that have the field acalldate in the past in the response";
    # an unset date (Halo's 1900-01-01 / 1899 sentinel) is no call date
    documented("/Client", "callplan")
    every = await rows(client, auth_headers, "/Client", "clients")
    due = await rows(client, auth_headers, "/Client", "clients", callplan="true")
    now = (await client.get("/_sandbox/clock")).json()["now"][:19]  # the sandbox's now
    expected = set()
    for row in every:
        record = (await client.get(f"/api/Client/{row['id']}", headers=auth_headers)).json()
        called = str(record.get("calldate") or "")
        if called and not called.startswith(UNSET) and called[:19] < now:
            expected.add(row["id"])
    assert ids(due) == expected == {102}  # 103's call date is ahead
    assert ids(await rows(client, auth_headers, "/Client", "clients", callplan="false")) == ids(every)


async def test_search_also_looks_in_the_actions(client: httpx.AsyncClient, auth_headers: H) -> None:
    # "searchactions: (bool) Whether to search actions when using search" (an action's note)
    documented("/Tickets", "searchactions")
    documented("/Actions", "ticket_id")
    plain = await tickets(client, auth_headers, search="traceroute")
    wider = await tickets(client, auth_headers, search="traceroute", searchactions="true")
    every = await tickets(client, auth_headers)
    noted = set()
    for ticket in every:
        for action in await rows(client, auth_headers, "/Actions", "actions", ticket_id=str(ticket["id"])):
            if "traceroute" in str(action.get("note") or "").lower():
                noted.add(ticket["id"])
    assert noted - ids(plain)  # some ticket says it only in an action
    assert ids(wider) == ids(plain) | noted
    unchanged = await tickets(client, auth_headers, search="traceroute", searchactions="false")
    assert ids(unchanged) == ids(plain)
