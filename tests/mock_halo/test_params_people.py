"""Documented list parameters of actions, clients, sites and users, and the families every resource
shares (a record's top level through its client, the last-update field), acting as Halo's document
describes them (`mock_halo.domain.params`), over HTTP against the fixture world.

Each test checks that Halo's official document lists the parameter and quotes its description; the
expected rows are that description applied to the records as `GET /{id}` (or the plain list) answers
them, never the mock's rule table. The fixture world gives the records that make each effect visible:
Wayne Enterprises (104) and Globex (105) sit under top level 2, the others under 1; 104 is linked to
Azure, Snow, Sentinel and QuickBooks and managed by the sandbox agent, 102 to GFI and Jira, 103 to
ServiceNow; the first site is a stock location, the second linked to Azure and GFI; users 1001 and
1011 approve, 1003 is a service account, 1012 an opportunity contact, 1013 also an agent; ticket
45920's actions carry billing, supplier, email and social-media fields.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from halo_sandbox.mock.config import MockSettings
from tests.mock_halo.test_params import H, documented, ids, rows

pytestmark = pytest.mark.anyio
VPN = "45920"


@pytest.fixture
def settings() -> MockSettings:
    return MockSettings(rate_limit=None)


async def full(client: httpx.AsyncClient, headers: H, path: str, listed: list[dict[str, Any]]) -> list[Any]:
    """Each listed record as ``GET path/{id}`` answers it (every field of its schema)."""
    out = []
    for record in listed:
        answer = await client.get(f"/api{path}/{record['id']}", headers=headers)
        assert answer.status_code == 200, answer.text
        out.append(answer.json())
    return out


async def actions(client: httpx.AsyncClient, headers: H, **params: Any) -> list[Any]:
    return await rows(client, headers, "/Actions", "actions", ticket_id=VPN, **params)


async def test_a_record_s_top_level_is_its_client_s(client: httpx.AsyncClient, auth_headers: H) -> None:
    # "toplevel_id: (int) Filters by the specified top level" (Tickets, Site), "(int) Filter by Users
    # belonging to a particular top level" (Users); Invoice lists it too
    clients = await rows(client, auth_headers, "/Client", "clients", includeinactive="true")
    under_two = {c["id"] for c in clients if c["toplevel_id"] == 2}
    assert under_two and len(under_two) < len(clients)
    for path, key in (
        ("/Site", "sites"),
        ("/Users", "users"),
        ("/Invoice", "invoices"),
        ("/Tickets", "tickets"),
    ):
        documented(path, "toplevel_id")
        every = await rows(client, auth_headers, path, key, count="5000")
        two = await rows(client, auth_headers, path, key, count="5000", toplevel_id="2")
        assert two and ids(two) == {r["id"] for r in every if r["client_id"] in under_two}, path
        assert len(two) < len(every), path
        assert await rows(client, auth_headers, path, key, toplevel_id="9") == [], path


async def test_the_last_update_field_only_when_asked(client: httpx.AsyncClient, auth_headers: H) -> None:
    # "lastupdatefromdate: (bool) Include the field lastupdatefromdate in the response" (and
    # lastupdatetodate); the field is the record's last-update date (Area alastupdate, Site
    # slastupdate, Users ulastupdate in Halo's schemas)
    for path, key, name in (
        ("/Client", "clients", "alastupdate"),
        ("/Site", "sites", "slastupdate"),
        ("/Users", "users", "ulastupdate"),
    ):
        documented(path, "lastupdatefromdate", "lastupdatetodate")
        plain = await rows(client, auth_headers, path, key, count="3")
        asked = await rows(client, auth_headers, path, key, count="3", lastupdatefromdate="true")
        also = await rows(client, auth_headers, path, key, count="3", lastupdatetodate="true")
        records = await full(client, auth_headers, path, plain)
        assert all(name not in r for r in plain), path
        assert [r[name] for r in asked] == [r[name] for r in also] == [r[name] for r in records], path
        assert all(r[name].startswith("20") for r in asked), path


async def test_action_conditions(client: httpx.AsyncClient, auth_headers: H) -> None:
    documented(
        "/Actions",
        "excludebilling",
        "excludehiddenfrominternalit",
        "supplieronly",
        "timeentriesonly",
        "conversationonly",
        "actoutcome",
    )
    every = await actions(client, auth_headers)
    records = await full_actions(client, auth_headers, every)

    async def kept(**params: str) -> set[int]:
        return ids(await actions(client, auth_headers, **params))

    # "Excludes any actions associated with billing (e.g. Send Invoice by Email)"
    assert await kept(excludebilling="true") == {r["id"] for r in records if not r["isbillingaction"]}
    # "Excludes any action marked at action level to be hidden from Agents with Client Group set"
    hidden = {r["id"] for r in records if r["ishiddenfrominternalit"]}
    assert hidden and await kept(excludehiddenfrominternalit="true") == ids(every) - hidden
    # "Only get actions relating to Suppliers"
    suppliers = {r["id"] for r in records if r["action_supplier_id"] or r["new_supplier_id"]}
    assert suppliers and await kept(supplieronly="true") == suppliers
    # timeentriesonly (no description): the actions with time taken
    timed = {r["id"] for r in records if r["timetaken"]}
    assert 0 < len(timed) < len(every) and await kept(timeentriesonly="true") == timed
    # "Only get actions relating to the Agent to End User conversation": the emailed ones
    emailed = {r["id"] for r in records if r["emailto"] or r["emailfrom"]}
    assert len(emailed) == 2 and await kept(conversationonly="true") == emailed
    # "(string) Filter on the name of the action"
    assert await kept(actoutcome="email user") == {r["id"] for r in every if r["outcome"] == "Email User"}
    assert await kept(actoutcome="No Such Outcome") == set()


async def full_actions(client: httpx.AsyncClient, headers: H, listed: list[dict[str, Any]]) -> list[Any]:
    out = []
    for action in listed:
        answer = await client.get(f"/api/Actions/{action['id']}", headers=headers, params={"ticket_id": VPN})
        assert answer.status_code == 200, answer.text
        out.append(answer.json())
    return out


async def test_system_actions(client: httpx.AsyncClient, auth_headers: H) -> None:
    # "excludesys: (bool) Exclude system actions"; "actoutcomenum: (int) Filter on the system field
    # ID": an action's outcome (`GET /Outcome`) carries the system id
    documented("/Actions", "excludesys", "actoutcomenum")
    outcomes = (await client.get("/api/Outcome", headers=auth_headers)).json()
    outcomes = outcomes if isinstance(outcomes, list) else outcomes["outcomes"]
    system = {o["id"]: o.get("systemid") or 0 for o in outcomes}
    every = await actions(client, auth_headers)
    plain = {a["id"] for a in every if not system[a["outcome_id"]]}
    assert 0 < len(plain) < len(every)
    assert ids(await actions(client, auth_headers, excludesys="true")) == plain
    number = next(system[a["outcome_id"]] for a in every if system[a["outcome_id"]])
    matching = {a["id"] for a in every if system[a["outcome_id"]] == number}
    assert ids(await actions(client, auth_headers, actoutcomenum=str(number))) == matching


async def test_action_fields_only_when_asked(client: httpx.AsyncClient, auth_headers: H) -> None:
    # "includehtmlemail: (bool) Include the action email HTML as part of the response";
    # "includehtmlnote: (bool) Include the action note HTML as part of the response";
    # "includetwitterfields: (bool) Include Twitter fields in the response"; includefacebookfields
    documented(
        "/Actions", "includehtmlemail", "includehtmlnote", "includetwitterfields", "includefacebookfields"
    )
    plain = await actions(client, auth_headers)
    records = {r["id"]: r for r in await full_actions(client, auth_headers, plain)}
    for param, name in (
        ("includehtmlemail", "emailbody_html"),
        ("includehtmlnote", "note_html"),
        ("includetwitterfields", "twitter_user_name"),
        ("includefacebookfields", "facebookname"),
    ):
        asked = await actions(client, auth_headers, **{param: "true"})
        assert all(name not in a for a in plain), param
        assert [a[name] for a in asked] == [records[a["id"]][name] for a in asked], param
        assert any(a[name] for a in asked), param


async def test_some_records_first(client: httpx.AsyncClient, auth_headers: H) -> None:
    # "importanttop: (bool) Orders the response by important actions first"
    documented("/Actions", "importanttop")
    newest = await actions(client, auth_headers, order="datetime", orderdesc="true")
    top = await actions(client, auth_headers, order="datetime", orderdesc="true", importanttop="true")
    important = [a["id"] for a in newest if a.get("important")]
    assert important and important != [a["id"] for a in newest][: len(important)]
    assert [a["id"] for a in top] == important + [a["id"] for a in newest if not a.get("important")]
    # Users "listagentuserfirst: (bool) Order by users that are also agents first in the response"
    documented("/Users", "listagentuserfirst")
    users = await rows(client, auth_headers, "/Users", "users")
    first = await rows(client, auth_headers, "/Users", "users", listagentuserfirst="true")
    agents = [u["id"] for u in users if u.get("linked_agent_id")]
    assert agents and agents[0] != users[0]["id"]
    assert [u["id"] for u in first] == agents + [u["id"] for u in users if not u.get("linked_agent_id")]


async def test_client_conditions(client: httpx.AsyncClient, auth_headers: H) -> None:
    listed = await rows(client, auth_headers, "/Client", "clients")
    records = await full(client, auth_headers, "/Client", listed)
    me = (await client.get("/api/Agent/me", headers=auth_headers)).json()["id"]

    async def kept(**params: str) -> set[int]:
        return ids(await rows(client, auth_headers, "/Client", "clients", **params))

    cases = (
        # "Include only clients that you are an account manager of in the response"
        ("accountmanageronly", lambda r: r["accountmanagertech"] == me),
        # "Include only azure clients in the response"
        ("azureclients", lambda r: bool(r["azure_tenant_id"])),
        # "Include only GFI clients in the response"
        ("gficlients", lambda r: bool(r["gficlientid"])),
        # "Include only snow clients in the response"
        ("snowclients", lambda r: bool(r["snow_id"])),
        # "Include only sentinel clients in the response"
        ("issentinel", lambda r: bool(r["sentinel_tenant_id"])),
        # isjira, isservicenow (no description): clients linked to those instances
        ("isjira", lambda r: bool(r["jira_url"])),
        ("isservicenow", lambda r: bool(r["servicenow_url"])),
    )
    for param, wanted in cases:
        documented("/Client", param)
        expected = {r["id"] for r in records if wanted(r)}
        assert 0 < len(expected) < len(records), param
        assert await kept(**{param: "true"}) == expected, param
        assert await kept(**{param: "false"}) == ids(listed), param
    # "sentinelid: (int) Filter by sentinel id"; snowaccountid (no description)
    documented("/Client", "sentinelid", "snowaccountid")
    sentinel = next(r for r in records if r["sentinel_tenant_id"])
    assert await kept(sentinelid=str(sentinel["sentinel_tenant_id"])) == {sentinel["id"]}
    snow = next(r for r in records if r["snow_id"])
    assert await kept(snowaccountid=str(snow["snow_id"])) == {snow["id"]}


async def test_client_fields_only_when_asked(client: httpx.AsyncClient, auth_headers: H) -> None:
    # "includeinvoicetemplatename: (bool) Include invoice template names in the response";
    # includeqbofields (no description): the QuickBooks fields; "includenotes: (bool) Include client
    # notes in the response"
    documented("/Client", "includeinvoicetemplatename", "includeqbofields", "includenotes")
    plain = await rows(client, auth_headers, "/Client", "clients")
    records = {r["id"]: r for r in await full(client, auth_headers, "/Client", plain)}
    for param, name in (
        ("includeinvoicetemplatename", "invoicetemplate"),
        ("includeqbofields", "qbo_company_name"),
        ("includenotes", "notes"),
    ):
        asked = await rows(client, auth_headers, "/Client", "clients", **{param: "true"})
        assert all(name not in c for c in plain), param
        assert [c[name] for c in asked] == [records[c["id"]][name] for c in asked], param
        assert any(c[name] for c in asked), param


async def test_site_parameters(client: httpx.AsyncClient, auth_headers: H) -> None:
    listed = await rows(client, auth_headers, "/Site", "sites")
    records = await full(client, auth_headers, "/Site", listed)

    async def kept(**params: str) -> set[int]:
        return ids(await rows(client, auth_headers, "/Site", "sites", **params))

    # "Include only azure sites in the response", "Include only GFI sites in the response"
    documented("/Site", "azuresites", "gfisites")
    assert await kept(azuresites="true") == {r["id"] for r in records if r["azuretenantid"]} != set()
    assert await kept(gfisites="true") == {r["id"] for r in records if r["gfisiteid"]} != set()
    # "Include sites that are a stock location in the response" / "... that are not a stock location"
    documented("/Site", "includestocklocations", "includenonstocklocations")
    stock = {r["id"] for r in records if r["isstocklocation"]}
    assert stock and await kept(includestocklocations="true", includenonstocklocations="true") == ids(listed)
    assert await kept(includestocklocations="false") == ids(listed) - stock
    assert await kept(includenonstocklocations="false") == stock
    # "includeaddress: (bool) Include site address in the response"
    documented("/Site", "includeaddress")
    with_address = await rows(client, auth_headers, "/Site", "sites", includeaddress="true")
    assert all("delivery_address" not in r for r in listed)
    assert [r["delivery_address"] for r in with_address] == [r["delivery_address"] for r in records]
    assert with_address[0]["delivery_address"]["line1"]
    # "includenotes: (bool) Include site notes in the response"
    documented("/Site", "includenotes")
    with_notes = await rows(client, auth_headers, "/Site", "sites", includenotes="true")
    assert all("notes" not in r for r in listed)
    assert [r["notes"] for r in with_notes] == [r["notes"] for r in records] and with_notes[0]["notes"]
    # site_id (no description): the site itself
    documented("/Site", "site_id")
    assert await kept(site_id=str(listed[1]["id"])) == {listed[1]["id"]}


async def test_user_parameters(client: httpx.AsyncClient, auth_headers: H) -> None:
    listed = await rows(client, auth_headers, "/Users", "users")
    records = await full(client, auth_headers, "/Users", listed)

    async def kept(**params: str) -> set[int]:
        return ids(await rows(client, auth_headers, "/Users", "users", **params))

    # "approvers_only: (bool) Include only users that are an approver in the response"
    documented("/Users", "approvers_only")
    approvers = {r["id"] for r in records if r["ischangeapprover"] or r["ispoapprover"]}
    assert len(approvers) == 2 and await kept(approvers_only="true") == approvers
    # "Include users that are a service account in the response" / "... a non-service account ..."
    documented("/Users", "includeserviceaccount", "includenonserviceaccount")
    service = {r["id"] for r in records if r["isserviceaccount"]}
    assert service and await kept(includeserviceaccount="false") == ids(listed) - service
    assert await kept(includenonserviceaccount="false") == service
    # "opp_id: (int) Filter by Users assigned to a particular opportunity"
    documented("/Users", "opp_id")
    contact = next(r for r in records if r["opportunity_id"])
    assert await kept(opp_id=str(contact["opportunity_id"])) == {contact["id"]}
    assert await kept(opp_id="1") == set()


async def test_strict_tenants_take_what_acts(client: httpx.AsyncClient, auth_headers: H) -> None:
    # a strict tenant refuses only what the mock does not act on; these act, so they are answered
    switched = await client.put("/_sandbox/strict", json={"enabled": True})
    assert switched.status_code == 200, switched.text
    for path, params in (
        ("/Site", {"toplevel_id": "2", "includeaddress": "true"}),
        ("/Users", {"approvers_only": "true", "lastupdatefromdate": "true"}),
        ("/Client", {"azureclients": "true"}),
        ("/Actions", {"ticket_id": VPN, "importanttop": "true", "excludesys": "true"}),
    ):
        answer = await client.get(f"/api{path}", headers=auth_headers, params=params)
        assert answer.status_code == 200, (path, answer.text)
    refused = await client.get("/api/Users", headers=auth_headers, params={"is3cxcall": "true"})
    assert refused.status_code == 400  # what does not act is still refused


async def test_users_by_the_lists_they_carry(client: httpx.AsyncClient, auth_headers: H) -> None:
    # "department_id: (int) Filters Users belonging to a particular department"; "asset_id: (int)
    # Filter by Users assigned to a particular asset"; role (no description): a user's roles
    documented("/Users", "department_id", "asset_id", "role")
    listed = await rows(client, auth_headers, "/Users", "users")
    records = await full(client, auth_headers, "/Users", listed)

    async def kept(**params: str) -> set[int]:
        return ids(await rows(client, auth_headers, "/Users", "users", **params))

    for param, items, item_id in (
        ("department_id", "departments", "department_id"),
        ("asset_id", "assets", "id"),
        ("role", "roles", "id"),
    ):
        holder = next(r for r in records if r[items])
        wanted = holder[items][0][item_id]
        expected = {r["id"] for r in records if wanted in {i[item_id] for i in r[items]}}
        assert holder["id"] in expected and len(expected) < len(records), param
        assert await kept(**{param: str(wanted)}) == expected, param
        assert await kept(**{param: "999"}) == set(), param


async def test_users_of_an_integration(client: httpx.AsyncClient, auth_headers: H) -> None:
    # "integration_type: (string) Filter on Users that belong to an integration - Possible values
    # are 'okta' and 'azure'"
    documented("/Users", "integration_type")
    listed = await rows(client, auth_headers, "/Users", "users")
    records = await full(client, auth_headers, "/Users", listed)
    azure = {r["id"] for r in records if r["azure_id"] or r["azureoid"]}
    okta = {r["id"] for r in records if r["okta_id"] or r["oktaid"]}
    assert azure and okta and not azure & okta
    assert ids(await rows(client, auth_headers, "/Users", "users", integration_type="azure")) == azure
    assert ids(await rows(client, auth_headers, "/Users", "users", integration_type="OKTA")) == okta


async def test_users_where_you_are(client: httpx.AsyncClient, auth_headers: H) -> None:
    # "mysite: (bool) Include only Users that belong to your site in the response", "myarea: ...
    # your area", "mytoplevel: ... your top level": you are the end user linked to your agent
    # (`GET /Users/me`)
    documented("/Users", "mysite", "myarea", "mytoplevel")
    assert await rows(client, auth_headers, "/Users", "users", mysite="true") == []  # no linked user yet
    me = (await client.get("/api/Agent/me", headers=auth_headers)).json()["id"]
    mine = await client.post(
        "/api/Users",
        headers=auth_headers,
        json={"name": "Sandbox Agent (user)", "site_id": 7, "linked_agent_id": me},
    )
    assert mine.status_code in (200, 201), mine.text
    user = (await client.get("/api/Users/me", headers=auth_headers)).json()
    every = await rows(client, auth_headers, "/Users", "users")
    clients = await rows(client, auth_headers, "/Client", "clients")
    top = {c["id"]: c["toplevel_id"] for c in clients}
    site = await rows(client, auth_headers, "/Users", "users", mysite="true")
    area = await rows(client, auth_headers, "/Users", "users", myarea="true")
    level = await rows(client, auth_headers, "/Users", "users", mytoplevel="true")
    assert user["id"] in ids(site) and ids(site) == {
        u["id"] for u in every if u["site_id"] == user["site_id"]
    }
    assert ids(area) == {u["id"] for u in every if u["client_id"] == user["client_id"]} and ids(site) < ids(
        area
    )
    mine_top = top[user["client_id"]]
    assert ids(level) == {u["id"] for u in every if top.get(u["client_id"]) == mine_top}
    assert ids(area) < ids(level) < ids(every)


async def test_users_by_phone_and_supplier(client: httpx.AsyncClient, auth_headers: H) -> None:
    # "search_phonenumbers: (bool) Filter by Users with a phone number like your search"
    documented("/Users", "search_phonenumbers")
    listed = await rows(client, auth_headers, "/Users", "users")
    target = listed[5]
    digits = target["phonenumber"][-4:]
    assert await rows(client, auth_headers, "/Users", "users", search=digits) == []
    by_phone = await rows(client, auth_headers, "/Users", "users", search=digits, search_phonenumbers="true")
    assert ids(by_phone) == {u["id"] for u in listed if digits in u["phonenumber"]} and target["id"] in ids(
        by_phone
    )
    by_name = await rows(client, auth_headers, "/Users", "users", search="diane", search_phonenumbers="true")
    assert ids(by_name) == {u["id"] for u in listed if "diane" in u["name"].lower()} != set()
    # "supplier_id: (int) Filters by Users belonging to the specified supplier" (Users `supplier`)
    documented("/Users", "supplier_id")
    records = await full(client, auth_headers, "/Users", listed)
    contacts = {r["id"] for r in records if r["supplier"] and r["supplier"].get("id") == 3}
    assert len(contacts) == 1
    assert ids(await rows(client, auth_headers, "/Users", "users", supplier_id="3")) == contacts
    assert await rows(client, auth_headers, "/Users", "users", supplier_id="4") == []
