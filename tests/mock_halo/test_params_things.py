"""Documented list parameters of agents, assets, invoices, quotes and KB articles act as Halo's
document describes them (`mock_halo.domain.params`), over HTTP against the fixture world.

Each test checks that Halo's official document lists the parameter and quotes its description; the
expectation is that description applied to the fixture records (read back from the unfiltered list),
never the mock's rule table. The fixture facts used: agents carry their departments, roles, ticket
types, client restrictions and line manager, two Identity agents an Okta id, an API agent exists;
assets carry RMM ids (ACME: NinjaRMM, Wayne servers: Datto), a status, consignment and sales order
details, a licence, a KB article and links; invoice 706 bills asset INI-0001 and draft 703 awaits
the sandbox agent's approval, as does quote 505; KB article 4 is shared with Wayne Enterprises and
came from ticket 45931.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.mock_halo.test_params import H, documented, ids, rows, settings

__all__ = ["settings"]  # the fixture: a mock without rate limit

pytestmark = pytest.mark.anyio


def named(records: list[dict[str, Any]], key: str = "name") -> set[str]:
    return {r[key] for r in records}


def item_ids(record: dict[str, Any], field: str, item: str) -> set[Any]:
    return {i.get(item) for i in record.get(field) or []}


async def test_agents_by_what_their_record_lists(client: httpx.AsyncClient, auth_headers: H) -> None:
    # "client_id: (int) Filters by Agents belonging to a particular client."
    # "department_id: (int) Filters Agents belonging to a particular department."
    # "tickettype_id: (int) Filters by Agents that have access to particluar ticket types."
    # "role: (string) Filter by Agents who have a particular role. Requires an int passed as a string."
    documented("/Agent", "client_id", "department_id", "tickettype_id", "role")
    agents = await rows(client, auth_headers, "/Agent", None)
    for param, value, field, item in (
        ("client_id", 102, "clients", "client_id"),
        ("client_id", 104, "clients", "client_id"),
        ("department_id", 3, "departments", "department_id"),
        ("tickettype_id", 5, "tickettypes", "tickettype_id"),
        ("role", 2, "roles", "id_int"),
    ):
        found = await rows(client, auth_headers, "/Agent", None, **{param: str(value)})
        expected = {a["id"] for a in agents if value in item_ids(a, field, item)}
        assert found and ids(found) == expected and len(found) < len(agents), (param, value)
    restricted = await rows(client, auth_headers, "/Agent", None, client_id="102")
    assert named(restricted) == {"Hannah Novak", "Owen Gallagher"}
    assert await rows(client, auth_headers, "/Agent", None, client_id="999") == []


async def test_agents_excluded_managed_on_shifts_or_from_an_integration(
    client: httpx.AsyncClient, auth_headers: H
) -> None:
    # "excludeAgent: (int) Exclude agent with id."
    # "linemanagedonly: (bool) Filters on Agents that have a line manager."
    # "integration_type: (string) Filter on Agents that belong to an integration - Possible values are
    # 'okta'."; "shiftagentsonly" (undescribed: agents working shifts, inferred)
    documented("/Agent", "excludeAgent", "linemanagedonly", "integration_type", "shiftagentsonly")
    agents = await rows(client, auth_headers, "/Agent", None)
    me = (await client.get("/api/Agent/me", headers=auth_headers)).json()["id"]
    others = await rows(client, auth_headers, "/Agent", None, excludeAgent=str(me))
    assert ids(others) == ids(agents) - {me} and me in ids(agents)
    managed = await rows(client, auth_headers, "/Agent", None, linemanagedonly="true")
    assert managed and ids(managed) == {a["id"] for a in agents if a.get("linemanager")}
    assert len(managed) < len(agents)
    okta = await rows(client, auth_headers, "/Agent", None, integration_type="okta")
    assert named(okta) == {"Lena Fischer", "Daniel Brooks"}
    shifts = await rows(client, auth_headers, "/Agent", None, shiftagentsonly="true")
    assert shifts and ids(shifts) == {a["id"] for a in agents if a.get("enableshifts")}
    assert len(shifts) < len(agents)


async def test_api_agents_and_agent_status(client: httpx.AsyncClient, auth_headers: H) -> None:
    # "includeapiagents" (undescribed; inferred: API agents are listed only when asked for)
    # "includestatus: (bool) Include Agent status in the response."
    documented("/Agent", "includeapiagents", "includestatus")
    agents = await rows(client, auth_headers, "/Agent", None)
    with_api = await rows(client, auth_headers, "/Agent", None, includeapiagents="true")
    assert not any(a.get("isapiagent") for a in agents)
    added = [a for a in with_api if a["id"] not in ids(agents)]
    assert added and all(a["isapiagent"] for a in added) and ids(agents) < ids(with_api)
    status = await rows(client, auth_headers, "/Agent", None, includestatus="true")
    assert any("onlinestatus" not in a for a in agents)
    assert all("onlinestatus" in a for a in status) and ids(status) == ids(agents)
    assert {a["name"]: a["onlinestatus"] for a in status}["Maya Chen"] == 1


async def test_assets_by_integration(client: httpx.AsyncClient, auth_headers: H) -> None:
    # "integration_type: (string) Filter on which integration the Asset was imported through -
    # 'aterarmm', 'ninjarmm', 'syncromsp', 'domotz', 'connectwiseautomate', 'snow', 'datto', ..."
    # "domotzagents: (bool) Include only Assets with a linked Domotz agent in the response."
    documented("/Asset", "integration_type", "domotzagents")
    ninja = await rows(client, auth_headers, "/Asset", "assets", integration_type="ninjarmm")
    assert named(ninja, "inventory_number") == {"ACME-0001", "ACME-0002", "ACME-0003"}
    datto = await rows(client, auth_headers, "/Asset", "assets", integration_type="datto")
    assert named(datto, "inventory_number") == {"WAY-0001", "WAY-0002"}
    assert await rows(client, auth_headers, "/Asset", "assets", integration_type="aterarmm") == []
    domotz = await rows(client, auth_headers, "/Asset", "assets", domotzagents="true")
    assert named(domotz, "inventory_number") == {"STK-0003", "STK-0004"}


async def test_assets_by_status_consignment_order_licence_kb_and_link(
    client: httpx.AsyncClient, auth_headers: H
) -> None:
    # "assetstatuses: (string) Filter Assets on asset statuses, comma seperated ids."
    # "consignable: (bool) Include only the Assets that are consignable in the response."
    # "consignment_id: (int) Filter by Assets consignment id."
    # "salesorder_id: (int) Filter by Assets sales order id.", "salesorder_line: (int) ... line id."
    # "licence_id: (int) Filter by Assets assigned to a particular licence."
    # "kb_id" (undescribed: the assets a KB article is about, inferred)
    # "linkedto_id: (int) Filter by Assets linked to a particular Asset."
    documented(
        "/Asset",
        "assetstatuses",
        "consignable",
        "consignment_id",
        "salesorder_id",
        "salesorder_line",
        "licence_id",
        "kb_id",
        "linkedto_id",
    )
    assets = await rows(client, auth_headers, "/Asset", "assets")
    number = {a["inventory_number"]: a["id"] for a in assets}

    async def numbers(**params: str) -> set[str]:
        return named(await rows(client, auth_headers, "/Asset", "assets", **params), "inventory_number")

    in_repair = {a["inventory_number"] for a in assets if a.get("status_id") == 2}
    assert in_repair and await numbers(assetstatuses="2") == in_repair
    assert await numbers(assetstatuses="1,2") == set(number)
    consignable = await numbers(consignable="true")
    assert consignable == {a["inventory_number"] for a in assets if not a.get("non_consignable")}
    assert "ACME-0001" in consignable and "ACME-0003" not in consignable  # a laptop, a server
    assert await numbers(consignment_id="9001") == {"INI-0001"}
    assert await numbers(salesorder_id="5001") == {"INI-0002"}
    assert await numbers(salesorder_line="2") == {"INI-0002"}
    assert await numbers(licence_id="801") == {"WAY-0005"}
    assert await numbers(kb_id="2") == {"WAY-0003"}
    assert await numbers(linkedto_id=str(number["STK-0001"])) == {"STK-0002"}


async def test_asset_search_on_the_inventory_number_only(client: httpx.AsyncClient, auth_headers: H) -> None:
    # "search_inventory_number_only: (bool) Whether to search only on inventory number in the search
    # string."
    documented("/Asset", "search_inventory_number_only")
    anywhere = await rows(client, auth_headers, "/Asset", "assets", search="0002")
    only = await rows(
        client, auth_headers, "/Asset", "assets", search="0002", search_inventory_number_only="true"
    )
    assert only and ids(only) == {a["id"] for a in anywhere if "0002" in a["inventory_number"]}
    assert len(only) < len(anywhere)  # a serial number (key_field2) matched as well
    hosts = await rows(
        client, auth_headers, "/Asset", "assets", search="lt-00", search_inventory_number_only="true"
    )
    assert hosts == [] and await rows(client, auth_headers, "/Asset", "assets", search="lt-00")


async def test_invoices_by_asset_category_and_approver(client: httpx.AsyncClient, auth_headers: H) -> None:
    # "asset_id: (int) Filters by the specified asset."
    # "billingcategory_ids: (string) Filters by the specified billing categories, comma seperated."
    # "my_approvals" (undescribed: the invoices awaiting the asking agent's approval, inferred)
    documented("/Invoice", "asset_id", "billingcategory_ids", "my_approvals")
    invoices = await rows(client, auth_headers, "/Invoice", "invoices", includelines="true")
    assets = await rows(client, auth_headers, "/Asset", "assets", search="INI-0001")
    laptop = assets[0]["id"]
    billed = await rows(client, auth_headers, "/Invoice", "invoices", asset_id=str(laptop))
    assert ids(billed) == {i["id"] for i in invoices if laptop in item_ids(i, "lines", "asset_id")} == {706}
    chosen = await rows(client, auth_headers, "/Invoice", "invoices", billingcategory_ids="2,3")
    assert chosen and ids(chosen) == {i["id"] for i in invoices if i.get("billingcategory") in (2, 3)}
    assert len(chosen) < len(invoices)
    me = (await client.get("/api/Agent/me", headers=auth_headers)).json()["id"]
    mine = await rows(client, auth_headers, "/Invoice", "invoices", my_approvals="true")
    assert ids(mine) == {i["id"] for i in invoices if i.get("approvalagentid") == me} == {703}


async def test_quotes_awaiting_my_approval(client: httpx.AsyncClient, auth_headers: H) -> None:
    # "my_approvals" (undescribed: the quotes awaiting the asking agent's internal approval, inferred)
    documented("/Quotation", "my_approvals")
    quotes = await rows(client, auth_headers, "/Quotation", "quotes")
    me = (await client.get("/api/Agent/me", headers=auth_headers)).json()["id"]
    mine = await rows(client, auth_headers, "/Quotation", "quotes", my_approvals="true")
    assert {q["id"] for q in quotes if q.get("internal_approvalagentid")} == {503, 505}
    assert ids(mine) == {q["id"] for q in quotes if q.get("internal_approvalagentid") == me} == {505}


async def test_kb_articles_by_client_device_faq_list_and_relation(
    client: httpx.AsyncClient, auth_headers: H
) -> None:
    # "client_id: (int) Filters by the specified client."
    # "device_id" (undescribed: the articles about a device, inferred)
    # "faqlists: (int) Filters response based on the Knowledge Base Article FAQ lists."
    # "related_to: (int) Filters response based on the related Knowledge Base Article."
    # "related_to_ticket: (int) Filters response based on the related ticket."
    documented("/KBArticle", "client_id", "device_id", "faqlists", "related_to", "related_to_ticket")
    articles = await rows(client, auth_headers, "/KBArticle", "articles")
    for param, value, field, item in (
        ("client_id", 104, "kbentryclientaccess", "client_id"),
        ("device_id", 14, "devices", "id"),
        ("faqlists", 2, "faqlists", "id"),
        ("related_to", 3, "related_articles", "id"),
    ):
        found = await rows(client, auth_headers, "/KBArticle", "articles", **{param: str(value)})
        expected = {a["id"] for a in articles if value in item_ids(a, field, item)}
        assert found and ids(found) == expected and len(found) < len(articles), param
    sso = await rows(client, auth_headers, "/KBArticle", "articles", related_to_ticket="45931")
    assert named(sso) == {"Fixing an SSO login loop"}
    assert ids(await rows(client, auth_headers, "/KBArticle", "articles", faqlists="1,2")) == {1, 2, 3, 4, 6}


async def test_assets_of_a_ticket(client: httpx.AsyncClient, auth_headers: H) -> None:
    # Asset "ticket_id: (int) Filter by Assets belonging to a particular ticket."; the ticket names its
    # assets in `assets` (Faults: array of Device_List); Tickets "asset_id" (undescribed) the reverse
    documented("/Asset", "ticket_id")
    documented("/Tickets", "asset_id")
    ticket = (await client.get("/api/Tickets/45920", headers=auth_headers)).json()
    linked = {a["id"] for a in ticket["assets"]}
    found = await rows(client, auth_headers, "/Asset", "assets", ticket_id="45920")
    assert linked and ids(found) == linked
    assert named(found, "inventory_number") == {"WAY-0003", "WAY-0004"}
    assert await rows(client, auth_headers, "/Asset", "assets", ticket_id="45911") == []
    tickets = await rows(client, auth_headers, "/Tickets", "tickets", asset_id=str(min(linked)))
    assert ids(tickets) == {45920}


async def test_kb_articles_past_their_review_date(client: httpx.AsyncClient, auth_headers: H) -> None:
    # "needsreview: (string) Filter on Knowdledge Base Articles that are past their next review date."
    documented("/KBArticle", "needsreview")
    now = (await client.get("/_sandbox/clock")).json()["now"][:19]
    every = await rows(client, auth_headers, "/KBArticle", "articles", includeinactive="true")
    due = await rows(
        client, auth_headers, "/KBArticle", "articles", includeinactive="true", needsreview="true"
    )
    expected = {a["id"] for a in every if "1900" < a["next_review_date"] < now}
    assert due and ids(due) == expected and len(due) < len(every)  # the retired article is overdue


async def test_lines_come_with_includelines(client: httpx.AsyncClient, auth_headers: H) -> None:
    # Invoice "includelines: (bool) Include invoice lines in the response." (Quotation's undescribed);
    # a record read by id carries its lines
    documented("/Invoice", "includelines")
    documented("/Quotation", "includelines")
    for path, key in (("/Invoice", "invoices"), ("/Quotation", "quotes")):
        lean = await rows(client, auth_headers, path, key)
        full = await rows(client, auth_headers, path, key, includelines="true")
        assert lean and not any("lines" in r for r in lean), path
        assert ids(full) == ids(lean) and all(r["lines"] for r in full), path
        assert [r["total"] for r in full] == [r["total"] for r in lean], path  # totals still computed
        one = (await client.get(f"/api{path}/{lean[0]['id']}", headers=auth_headers)).json()
        assert one["lines"] == next(r for r in full if r["id"] == one["id"])["lines"], path


async def test_asset_icons_and_assets_linked_to_tickets(client: httpx.AsyncClient, auth_headers: H) -> None:
    # "noicon: (bool) Exclude the Asset icon in the response."; "linked_to_ticket" (undescribed: the
    # assets some ticket links in its `assets`, inferred)
    documented("/Asset", "noicon", "linked_to_ticket")
    assets = await rows(client, auth_headers, "/Asset", "assets")
    plain = await rows(client, auth_headers, "/Asset", "assets", noicon="true")
    assert all(a["icon"] for a in assets) and not any("icon" in a for a in plain)
    assert [{k: v for k, v in a.items() if k != "icon"} for a in assets] == plain
    tickets = await rows(client, auth_headers, "/Tickets", "tickets", count="5000")
    linked = {i["id"] for t in tickets for i in t.get("assets") or []}
    found = await rows(client, auth_headers, "/Asset", "assets", linked_to_ticket="true")
    assert linked and ids(found) == linked and len(found) < len(assets)


async def test_invoices_by_the_site_and_user_of_their_ticket(
    client: httpx.AsyncClient, auth_headers: H
) -> None:
    # "site_id: (int) Filters by the specified site." / "user_id: (int) Filters by the specified
    # user." (an invoice record names no site or user of its own: the ticket it bills does)
    documented("/Invoice", "site_id", "user_id")
    invoices = await rows(client, auth_headers, "/Invoice", "invoices")
    billed = [i for i in invoices if i.get("ticket_id")]
    assert billed and len(billed) < len(invoices)
    for param in ("site_id", "user_id"):
        wanted: dict[int, set[int]] = {}
        for invoice in billed:
            ticket = (await client.get(f"/api/Tickets/{invoice['ticket_id']}", headers=auth_headers)).json()
            wanted.setdefault(ticket[param], set()).add(invoice["id"])
        for value, expected in wanted.items():
            assert (
                ids(await rows(client, auth_headers, "/Invoice", "invoices", **{param: str(value)}))
                == expected
            )
        assert await rows(client, auth_headers, "/Invoice", "invoices", **{param: "999999"}) == []


async def test_the_unassigned_agent_only_when_asked(client: httpx.AsyncClient, auth_headers: H) -> None:
    # "includeunassigned: (bool) Include the unassigned Agent in the response." (the placeholder
    # agent tickets nobody works are assigned to)
    documented("/Agent", "includeunassigned")
    listed = await rows(client, auth_headers, "/Agent", None)
    every = await rows(client, auth_headers, "/Agent", None, includeunassigned="true")
    unassigned = [a for a in every if a["name"] == "Unassigned"]
    assert len(unassigned) == 1
    assert ids(every) - ids(listed) == {unassigned[0]["id"]}
    assert ids(await rows(client, auth_headers, "/Agent", None, includeunassigned="false")) == ids(listed)
    # the agent is still read by id
    response = await client.get(f"/api/Agent/{unassigned[0]['id']}", headers=auth_headers)
    assert response.status_code == 200 and response.json()["name"] == "Unassigned"


async def test_agents_ticket_counts_with_showcounts(client: httpx.AsyncClient, auth_headers: H) -> None:
    # "showcounts: (bool) Include Agents ticket counts in the response." (the count of the agent's
    # open tickets, as `/Tickets?agent_id=&open_only=true` lists them)
    documented("/Agent", "showcounts")
    documented("/Tickets", "agent_id", "open_only")
    assert all("ticket_count" not in a for a in await rows(client, auth_headers, "/Agent", None))
    counted = await rows(client, auth_headers, "/Agent", None, showcounts="true")
    counts = {a["id"]: a["ticket_count"] for a in counted}
    assert len(set(counts.values())) > 1
    for agent in list(counts)[:4]:
        body = (
            await client.get(
                "/api/Tickets",
                headers=auth_headers,
                params={"agent_id": agent, "open_only": "true", "count": 1},
            )
        ).json()
        assert counts[agent] == body["record_count"]
