"""More documented list parameters of assets and sites act as Halo's document describes them
(`mock_halo.domain.params`, the assets' and sites' filter hooks), over HTTP against the fixture world.

Each test checks that Halo's official document lists the parameter and quotes its description; the
expectation is that description applied to the fixture records (read back from unfiltered lists
and by-id reads), never the mock's rule table. The fixture facts used: asset types are records of
``GET /AssetType`` with an asset group (``assetgroup_id``); assets WAY-0005 and WAY-0006 list
their users (Lucius Fox, and Harriet Cole on the second) and WAY-0005 its asset fields; tickets
45920 (site 7, user 1035) and 45932 (site 6, user 1034) of Wayne Enterprises link assets; the first
site is a stock location.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.mock_halo.test_params import H, documented, ids, rows, settings

__all__ = ["settings"]  # the fixture: a mock without rate limit

pytestmark = pytest.mark.anyio


async def test_assets_by_the_group_of_their_type(client: httpx.AsyncClient, auth_headers: H) -> None:
    # "assetgroup_id: (int) Filter by Assets belonging to a particular Asset group."
    # "assetgroups: (string) Filter Assets on asset groups, comma seperated ids."
    # an asset's group is its type's (`Xtype.assetgroup_id`, `GET /AssetType`)
    documented("/Asset", "assetgroup_id", "assetgroups")
    types = await rows(client, auth_headers, "/AssetType", None)
    group = {t["id"]: t["assetgroup_id"] for t in types}
    assert len(set(group.values())) > 1, group
    assets = await rows(client, auth_headers, "/Asset", "assets")
    for params, wanted in (({"assetgroup_id": "1"}, {1}), ({"assetgroups": "1,3"}, {1, 3})):
        found = await rows(client, auth_headers, "/Asset", "assets", **params)
        expected = {a["id"] for a in assets if group.get(a["assettype_id"]) in wanted}
        assert found and ids(found) == expected and len(found) < len(assets), params
    assert await rows(client, auth_headers, "/Asset", "assets", assetgroup_id="99") == []


async def test_my_assets(client: httpx.AsyncClient, auth_headers: H) -> None:
    # "mine: (bool) Include only the Assets that belong to yourself in the response."; yourself is
    # the end user linked to your agent (`GET /Users/me`), an asset's users its `users`
    documented("/Asset", "mine")
    assert await rows(client, auth_headers, "/Asset", "assets", mine="true") == []  # no linked user yet
    me = (await client.get("/api/Agent/me", headers=auth_headers)).json()["id"]
    linked = await client.post("/api/Users", headers=auth_headers, json={"id": 1031, "linked_agent_id": me})
    assert linked.status_code in (200, 201), linked.text
    user = (await client.get("/api/Users/me", headers=auth_headers)).json()
    assets = await rows(client, auth_headers, "/Asset", "assets")
    found = await rows(client, auth_headers, "/Asset", "assets", mine="true")
    expected = {a["id"] for a in assets if user["id"] in {u["id"] for u in a.get("users") or []}}
    assert user["id"] == 1031 and found and ids(found) == expected and len(found) < len(assets)
    assert {a["inventory_number"] for a in found} == {"WAY-0005", "WAY-0006"}
    assert ids(await rows(client, auth_headers, "/Asset", "assets", mine="false")) == ids(assets)


async def test_asset_fields_with_an_asset_type(client: httpx.AsyncClient, auth_headers: H) -> None:
    # "includeassetfields: (bool) Include asset fields in the response - must also specify the URL
    # parameter 'assettype_id' at the same time."
    documented("/Asset", "includeassetfields", "assettype_id")
    full = (await client.get("/api/Asset/16", headers=auth_headers)).json()
    assert full["fields"] and full["assettype_id"] == 1  # WAY-0005, a laptop, read by id
    laptops = await rows(client, auth_headers, "/Asset", "assets", assettype_id="1")
    asked = await rows(client, auth_headers, "/Asset", "assets", assettype_id="1", includeassetfields="true")
    alone = await rows(client, auth_headers, "/Asset", "assets", includeassetfields="true")
    assert laptops and not any("fields" in a for a in laptops)
    assert ids(asked) == ids(laptops) and all("fields" in a for a in asked)
    assert next(a for a in asked if a["id"] == 16)["fields"] == full["fields"]
    assert alone and not any("fields" in a for a in alone)  # without assettype_id


async def test_assets_by_id(client: httpx.AsyncClient, auth_headers: H) -> None:
    # "assets" (undescribed): a comma list of the assets' ids (inferred)
    documented("/Asset", "assets")
    assets = await rows(client, auth_headers, "/Asset", "assets")
    found = await rows(client, auth_headers, "/Asset", "assets", assets="3,14,999")
    assert ids(found) == {3, 14} and len(found) < len(assets)


async def test_assets_selected_before_for_a_client_site_or_user(
    client: httpx.AsyncClient, auth_headers: H
) -> None:
    # "previously_selected_client_id: (int) Filter previously_selected by client id." (site id, user
    # id alike): the assets a ticket of that client (site, user) links in its `assets` (inferred)
    names = ("previously_selected_client_id", "previously_selected_site_id", "previously_selected_user_id")
    documented("/Asset", *names)
    tickets = await rows(client, auth_headers, "/Tickets", "tickets", count="5000")
    assets = await rows(client, auth_headers, "/Asset", "assets")

    def selected(field: str, value: Any) -> set[int]:
        return {i["id"] for t in tickets if t[field] == value for i in t.get("assets") or []}

    for param, field, value in (
        ("previously_selected_client_id", "client_id", 104),
        ("previously_selected_site_id", "site_id", 7),
        ("previously_selected_site_id", "site_id", 6),
        ("previously_selected_user_id", "user_id", 1035),
    ):
        found = await rows(client, auth_headers, "/Asset", "assets", **{param: str(value)})
        assert found and ids(found) == selected(field, value) and len(found) < len(assets), param
    by_site = await rows(client, auth_headers, "/Asset", "assets", previously_selected_site_id="7")
    by_user = await rows(client, auth_headers, "/Asset", "assets", previously_selected_user_id="1034")
    assert ids(by_site) == {14, 15} and ids(by_user) == {16}
    assert await rows(client, auth_headers, "/Asset", "assets", previously_selected_client_id="101") == []


async def test_sites_by_stock_location(client: httpx.AsyncClient, auth_headers: H) -> None:
    # Site "stocklocation: (string) Filter on stock locations, comma separated."
    documented("/Site", "stocklocation")
    sites = await rows(client, auth_headers, "/Site", "sites")
    stock = {s["id"] for s in sites if s.get("isstocklocation")}
    other = next(s["id"] for s in sites if not s.get("isstocklocation"))
    asked = ",".join(str(i) for i in sorted(stock | {other}))
    found = await rows(client, auth_headers, "/Site", "sites", stocklocation=asked)
    assert stock and ids(found) == stock and len(found) < len(sites)
    assert await rows(client, auth_headers, "/Site", "sites", stocklocation=str(other)) == []
