"""Documented list parameters act as Halo's document says (`mock_halo.domain.params`), over HTTP
against the fixture world: one test per kind of parameter.

Each test first checks that Halo's official document (the vendored facts) lists the parameter for the
operation, and quotes the document's description of it; the expectation is that description applied
to the fixture records (the former customer Oscorp and its site, contacts and asset, the disabled
agent and the retired KB article are inactive; invoice 703 is not posted; the first action of ticket
45920 is important), never the mock's rule table.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from halo_sandbox.mock.config import MockSettings
from halo_sandbox.mock.domain import facts

pytestmark = pytest.mark.anyio
H = dict[str, str]
FORMER_CLIENT = 108


@pytest.fixture
def settings() -> MockSettings:
    return MockSettings(rate_limit=None)


def documented(path: str, *names: str) -> None:
    """Halo's document lists every one of ``names`` for ``GET path`` (else the test is wrong)."""
    operation = facts.operation("GET", path)
    assert operation is not None, path
    missing = {n for n in names if n.lower() not in {q.lower() for q in operation.query}}
    assert not missing, (path, missing)


async def rows(client: httpx.AsyncClient, headers: H, path: str, key: str | None, **params: Any) -> list[Any]:
    response = await client.get(f"/api{path}", headers=headers, params={"count": "1000", **params})
    assert response.status_code == 200, response.text
    note = response.headers.get("X-Sandbox-Ignored", "")
    assert "does not act on" not in note, note
    body = response.json()
    return body if key is None else body[key]


def ids(records: list[dict[str, Any]]) -> set[int]:
    return {r["id"] for r in records}


async def test_inactive_records_are_left_out_unless_asked(client: httpx.AsyncClient, auth_headers: H) -> None:
    # "(bool) Include clients that are inactive in the response" / "... that are active ..."
    # "activeinactive: Takes two comma separated values, the first sets includeactive and the second
    # sets includeinactive"
    for path, key in (("/Client", "clients"), ("/Site", "sites"), ("/Users", "users"), ("/Asset", "assets")):
        documented(path, "includeinactive", "includeactive", "activeinactive")
        listed = await rows(client, auth_headers, path, key)
        every = await rows(client, auth_headers, path, key, includeinactive="true")
        only = await rows(client, auth_headers, path, key, includeinactive="true", includeactive="false")
        pair = await rows(client, auth_headers, path, key, activeinactive="false,true")
        assert all(not r.get("inactive") for r in listed), path
        assert {r["id"] for r in every if r.get("inactive")}, path  # the fixtures hold inactive ones
        assert ids(every) == ids(listed) | ids(only) and not ids(listed) & ids(only), path
        assert ids(pair) == ids(only), path
    clients = await rows(
        client, auth_headers, "/Client", "clients", includeinactive="true", includeactive="false"
    )
    assert ids(clients) == {FORMER_CLIENT}
    documented("/KBArticle", "includeinactive")
    articles = await rows(client, auth_headers, "/KBArticle", "articles")
    retired = await rows(client, auth_headers, "/KBArticle", "articles", activeinactive="false,true")
    assert retired and all("retired" in a["name"] for a in retired) and not ids(retired) & ids(articles)


async def test_disabled_agents_are_left_out_unless_asked(client: httpx.AsyncClient, auth_headers: H) -> None:
    # "includedisabled: (bool) Include Agents that are inactive in the response"
    documented("/Agent", "includedisabled", "includeenabled")
    enabled = await rows(client, auth_headers, "/Agent", None)
    disabled = await rows(
        client, auth_headers, "/Agent", None, includedisabled="true", includeenabled="false"
    )
    assert disabled and all(a["isdisabled"] for a in disabled) and not any(a["isdisabled"] for a in enabled)


async def test_a_parameter_naming_a_field_filters_by_it(client: httpx.AsyncClient, auth_headers: H) -> None:
    # "assettype: (int)" beside the record's assettype_id; "category_1: (array of int) Returns
    # tickets based on category 1 ID's in the array"
    documented("/Asset", "assettype")
    every = await rows(client, auth_headers, "/Asset", "assets")
    servers = await rows(client, auth_headers, "/Asset", "assets", assettype="3")
    assert servers and len(servers) < len(every) and {a["assettype_id"] for a in servers} == {3}
    documented("/Tickets", "category_1")
    tickets = await rows(client, auth_headers, "/Tickets", "tickets", count="2000")
    wanted = sorted({t["categoryid_1"] for t in tickets if t.get("categoryid_1")})[:2]
    chosen = await rows(
        client, auth_headers, "/Tickets", "tickets", count="2000", category_1=",".join(map(str, wanted))
    )
    assert chosen and {t["categoryid_1"] for t in chosen} == set(wanted)
    assert ids(chosen) == {t["id"] for t in tickets if t.get("categoryid_1") in wanted}


async def test_a_list_of_ids_keeps_or_leaves_out_those_records(
    client: httpx.AsyncClient, auth_headers: H
) -> None:
    # "ticketids: Returns tickets based on ticket IDs"; "excludethese: (array of int) Returns tickets
    # based on the exclusion of these fault ID's in the array"
    documented("/Tickets", "ticketids", "excludethese")
    chosen = await rows(client, auth_headers, "/Tickets", "tickets", ticketids="45920,45940,1")
    assert ids(chosen) == {45920, 45940}  # 1 is no ticket
    wayne = await rows(client, auth_headers, "/Tickets", "tickets", client_id="104")
    without = await rows(client, auth_headers, "/Tickets", "tickets", client_id="104", excludethese="45920")
    assert 45920 in ids(wayne) and ids(without) == ids(wayne) - {45920}


async def test_search_on_one_field(client: httpx.AsyncClient, auth_headers: H) -> None:
    # "search_summary: (string) Returns tickets based on the summary matching the search"
    documented("/Tickets", "search_summary")
    found = await rows(client, auth_headers, "/Tickets", "tickets", search_summary="sso")
    assert found and all("sso" in t["summary"].lower() for t in found)


async def test_only_flags(client: httpx.AsyncClient, auth_headers: H) -> None:
    # "postedonly: (bool) Filter on invoices that have been posted"; "notpostedonly: ... not been
    # posted"; actions "importantonly: (bool) Only get important actions"
    documented("/Invoice", "postedonly", "notpostedonly")
    every = await rows(client, auth_headers, "/Invoice", "invoices")
    drafts = await rows(client, auth_headers, "/Invoice", "invoices", notpostedonly="true")
    posted = await rows(client, auth_headers, "/Invoice", "invoices", postedonly="true")
    assert ids(drafts) == {703} and ids(posted) == ids(every) - {703}
    documented("/Actions", "importantonly")
    actions = await rows(client, auth_headers, "/Actions", "actions", ticket_id="45920")
    important = await rows(
        client, auth_headers, "/Actions", "actions", ticket_id="45920", importantonly="true"
    )
    assert ids(important) == {1} and len(actions) > 1


async def test_ids_only(client: httpx.AsyncClient, auth_headers: H) -> None:
    # "idonly: (bool) Returns only the ID field (Area ID) of the Clients"
    documented("/Client", "idonly")
    listed = await rows(client, auth_headers, "/Client", "clients", idonly="true")
    assert listed and all(list(c) == ["id"] for c in listed)
    assert ids(listed) == ids(await rows(client, auth_headers, "/Client", "clients"))


async def test_five_order_levels(client: httpx.AsyncClient, auth_headers: H) -> None:
    # "order2: (string) The name of the field to order by second"; "orderdesc2: (bool) Whether to
    # order ascending or descending on second order"
    documented("/Tickets", "order", "order2", "orderdesc2")
    listed = await rows(
        client,
        auth_headers,
        "/Tickets",
        "tickets",
        client_id="104",
        order="status_id",
        order2="id",
        orderdesc2="true",
    )
    keys = [(t["status_id"], -t["id"]) for t in listed]
    assert len({t["status_id"] for t in listed}) > 1 and keys == sorted(keys)


async def test_include_adds_fields_to_list_rows(client: httpx.AsyncClient, auth_headers: H) -> None:
    # "includelastnote: (bool) Include last note details in the response"
    documented("/Tickets", "includelastnote")
    plain = await rows(client, auth_headers, "/Tickets", "tickets", client_id="104")
    detailed = await rows(
        client, auth_headers, "/Tickets", "tickets", client_id="104", includelastnote="true"
    )
    assert all("lastnote" not in t for t in plain) and all("lastnote" in t for t in detailed)


async def test_a_date_range(client: httpx.AsyncClient, auth_headers: H) -> None:
    # actions "startdate"/"enddate" with "datesearch: the date field to search against"
    documented("/Actions", "startdate", "enddate", "datesearch")
    every = await rows(client, auth_headers, "/Actions", "actions", ticket_id="45920")
    middle = sorted(a["datetime"] for a in every)[len(every) // 2]
    later = await rows(client, auth_headers, "/Actions", "actions", ticket_id="45920", startdate=middle)
    earlier = await rows(
        client, auth_headers, "/Actions", "actions", ticket_id="45920", datesearch="datetime", enddate=middle
    )
    assert ids(later) == {a["id"] for a in every if a["datetime"] >= middle}
    assert ids(earlier) == {a["id"] for a in every if a["datetime"] <= middle}
    assert ids(later) | ids(earlier) == ids(every) and len(later) < len(every)


async def test_generic_collections_filter_by_their_fields(client: httpx.AsyncClient, auth_headers: H) -> None:
    # "client_id", "supplier_id", "agent_id" are fields of the records (Appointment, Item, Faults)
    cases = (
        (
            "/Appointment",
            "appointments",
            "client_id",
            [{"subject": "a", "client_id": 104}, {"subject": "b", "client_id": 101}],
        ),
        ("/Item", "items", "supplier_id", [{"name": "a", "supplier_id": 3}, {"name": "b", "supplier_id": 4}]),
        (
            "/Opportunities",
            "opportunities",
            "agent_id",
            [{"summary": "a", "agent_id": 2}, {"summary": "b", "agent_id": 3}],
        ),
    )
    for path, key, name, bodies in cases:
        documented(path, name)
        saved = (await client.post(f"/api{path}", headers=auth_headers, json=bodies)).json()
        wanted = saved[0][name]
        listed = await client.get(f"/api{path}", headers=auth_headers, params={name: str(wanted)})
        assert "does not act on" not in listed.headers.get("X-Sandbox-Ignored", ""), path
        body = listed.json()
        found = body if isinstance(body, list) else body[key]
        assert ids(found) == {saved[0]["id"]}, path


async def test_every_by_id_read_takes_includedetails(client: httpx.AsyncClient, auth_headers: H) -> None:
    # "includedetails" is documented on the by-id reads; a strict tenant refuses what is not acted on
    assert (await client.put("/_sandbox/strict", json={"enabled": True})).status_code == 200
    for path in ("/Site/1", "/KBArticle/1", "/Asset/1", "/Invoice/701", "/Quotation/1"):
        template = path.rsplit("/", 1)[0] + "/{id}"
        operation = facts.operation("GET", template)
        assert operation is not None and "includedetails" in {q.lower() for q in operation.query}, template
        answer = await client.get(f"/api{path}", headers=auth_headers, params={"includedetails": "true"})
        assert answer.status_code in (200, 404), (path, answer.text)


async def test_what_cannot_act_is_still_reported(client: httpx.AsyncClient, auth_headers: H) -> None:
    # "isorion: (bool) Include integration orion details": nothing in the sandbox to add
    documented("/Tickets", "isorion")
    answer = await client.get("/api/Tickets", headers=auth_headers, params={"isorion": "true"})
    assert "query isorion: documented, but the mock does not act on it" in answer.headers["X-Sandbox-Ignored"]


async def test_ticket_ids_only(client: httpx.AsyncClient, auth_headers: H) -> None:
    # "ticketidonly" returns only the id fields: id, sla_id, status_id, client_id, client_name,
    # lastincomingemail (FIDELITY.md: S1 parameter description, P1 docstring)
    documented("/Tickets", "ticketidonly")
    listed = await rows(client, auth_headers, "/Tickets", "tickets", client_id="104", ticketidonly="true")
    assert listed and all(
        set(t) <= {"id", "sla_id", "status_id", "client_id", "client_name", "lastincomingemail"}
        for t in listed
    )
    assert all(t["client_id"] == 104 and t["client_name"] == "Wayne Enterprises" for t in listed)


async def test_who_asks(client: httpx.AsyncClient, auth_headers: H) -> None:
    # "mine: (bool) Include only the tickets that belong to yourself in the response"; Agent
    # "thisAgentOnly: (bool) Only include your agent in the response"
    documented("/Tickets", "mine")
    documented("/Agent", "thisAgentOnly")
    me = (await client.get("/api/Agent/me", headers=auth_headers)).json()["id"]
    every = await rows(client, auth_headers, "/Tickets", "tickets", count="2000")
    mine = await rows(client, auth_headers, "/Tickets", "tickets", count="2000", mine="true")
    assert mine and ids(mine) == {t["id"] for t in every if t["agent_id"] == me}
    assert ids(await rows(client, auth_headers, "/Agent", None, thisAgentOnly="true")) == {me}


async def test_named_conditions(client: httpx.AsyncClient, auth_headers: H) -> None:
    # Actions "agentonly: Only get actions done by Agents", "excludeprivate: Only get public actions"
    documented("/Actions", "agentonly", "excludeprivate")
    every = await rows(client, auth_headers, "/Actions", "actions", ticket_id="45920")
    by_agents = await rows(client, auth_headers, "/Actions", "actions", ticket_id="45920", agentonly="true")
    public = await rows(client, auth_headers, "/Actions", "actions", ticket_id="45920", excludeprivate="true")
    assert ids(by_agents) == {a["id"] for a in every if a.get("who_agentid") or a.get("actionby_agent_id")}
    assert ids(public) == {a["id"] for a in every if not a.get("hiddenfromuser")}
    assert 0 < len(by_agents) < len(every) and 0 < len(public) < len(every)
    # Agent "withemail: Filters on Agents that have an email" (the Unassigned agent has none);
    # "teams: Filter on Agents that belong to a team, comma separated"
    documented("/Agent", "withemail", "teams")
    agents = await rows(client, auth_headers, "/Agent", None, includeunassigned="true")
    with_email = await rows(client, auth_headers, "/Agent", None, withemail="true", includeunassigned="true")
    assert ids(with_email) == {a["id"] for a in agents if a["email"]} and len(with_email) < len(agents)
    team = agents[1]["teams"][0]["team_id"]
    members = await rows(client, auth_headers, "/Agent", None, teams=f"{team},999")
    assert members and ids(members) == {a["id"] for a in agents if team in {t["team_id"] for t in a["teams"]}}
    # KBArticle "articletype: Filter on article type, comma seperated" (the seeded articles are type 0)
    documented("/KBArticle", "articletype")
    articles = await rows(client, auth_headers, "/KBArticle", "articles")
    assert ids(await rows(client, auth_headers, "/KBArticle", "articles", articletype="0,5")) == ids(articles)
    assert await rows(client, auth_headers, "/KBArticle", "articles", articletype="5") == []


async def test_users_that_are_also_agents_can_be_left_out(client: httpx.AsyncClient, auth_headers: H) -> None:
    # Users "exclude_agents: Exclude users that are also an agent in the response"
    documented("/Users", "exclude_agents")
    linked = (
        await client.post(
            "/api/Users",
            headers=auth_headers,
            json={"name": "Maya Chen (user)", "site_id": 1, "linked_agent_id": 3},
        )
    ).json()
    every = await rows(client, auth_headers, "/Users", "users")
    without = await rows(client, auth_headers, "/Users", "users", exclude_agents="true")
    agents = {u["id"] for u in every if u.get("linked_agent_id")}
    assert linked["id"] in agents and ids(without) == ids(every) - agents
