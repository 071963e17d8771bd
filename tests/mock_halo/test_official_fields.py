"""Halo's own documented fields are acted on: a ticket's ``team`` by name, an action's ``new_team`` /
``new_status`` / ``new_agent``, ``_validate_only``, outcomes by name, an action's ``who``, attachments
embedded in a post, attachments to any record type (``type``/``unique_id``)."""

from __future__ import annotations

import base64

import httpx
import pytest

pytestmark = pytest.mark.anyio
H = dict[str, str]


async def _teams(client: httpx.AsyncClient, headers: H) -> dict[str, int]:
    return {t["name"]: t["id"] for t in (await client.get("/api/Team", headers=headers)).json()}


async def test_a_ticket_team_given_by_name_assigns_the_team(
    client: httpx.AsyncClient, auth_headers: H
) -> None:
    teams = await _teams(client, auth_headers)
    name, team_id = next(iter(teams.items()))
    saved = await client.post(
        "/api/Tickets", headers=auth_headers, json=[{"summary": "x", "team": name.upper()}]
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["team_id"] == team_id and saved.json()["team"] == name
    listed = await client.get(
        "/api/Tickets", headers=auth_headers, params={"team": str(team_id), "count": "1000"}
    )
    assert saved.json()["id"] in [t["id"] for t in listed.json()["tickets"]]
    unknown = await client.post(
        "/api/Tickets", headers=auth_headers, json=[{"summary": "x", "team": "No Such Team"}]
    )  # an unknown name is the mock's own check: accepted (the name dropped) and reported
    assert unknown.status_code == 200 and unknown.json()["team"] == ""
    assert "body [0].team: Team 'No Such Team' does not exist." in unknown.headers["x-sandbox-ignored"]
    await client.put("/_sandbox/strict", json={"enabled": True})
    unknown = await client.post(
        "/api/Tickets", headers=auth_headers, json=[{"summary": "x", "team": "No Such Team"}]
    )
    assert unknown.status_code == 400 and "does not exist" in unknown.json()["[0].team"][0]


async def test_action_new_team_by_name_new_status_and_new_agent_update_the_ticket(
    client: httpx.AsyncClient, auth_headers: H
) -> None:
    teams = await _teams(client, auth_headers)
    name = sorted(teams)[-1]
    action = await client.post(
        "/api/Actions",
        headers=auth_headers,
        json=[
            {"ticket_id": 45920, "note": "handing over", "new_team": name, "new_status": 2, "new_agent": 3}
        ],
    )
    assert action.status_code == 200, action.text
    ticket = (await client.get("/api/Tickets/45920", headers=auth_headers)).json()
    assert (ticket["team_id"], ticket["team"], ticket["status_id"], ticket["agent_id"]) == (
        teams[name],
        name,
        2,
        3,
    )


async def test_validate_only_answers_without_saving(client: httpx.AsyncClient, auth_headers: H) -> None:
    before = (await client.get("/api/Tickets", headers=auth_headers)).json()["record_count"]
    dry = await client.post(
        "/api/Tickets",
        headers=auth_headers,
        json=[{"summary": "dry run", "client_id": 101, "_validate_only": True}],
    )
    assert dry.status_code == 200 and dry.json()["summary"] == "dry run" and dry.json()["id"] == 0
    assert (await client.get("/api/Tickets", headers=auth_headers)).json()["record_count"] == before
    bad = await client.post(
        "/api/Tickets",
        headers=auth_headers,
        json=[{"summary": "x", "agent_id": "not a number", "_validate_only": True}],
    )
    assert bad.status_code == 400  # a dry run still validates
    update = await client.post(
        "/api/Tickets",
        headers=auth_headers,
        json=[{"id": 45920, "summary": "renamed?", "_validate_only": True}],
    )
    assert update.json()["summary"] == "renamed?"
    assert (await client.get("/api/Tickets/45920", headers=auth_headers)).json()["summary"] != "renamed?"


async def test_an_outcome_given_by_name_sets_outcome_id_and_who_is_the_tokens_agent(
    client: httpx.AsyncClient, auth_headers: H
) -> None:
    outcomes = (await client.get("/api/Outcome", headers=auth_headers)).json()
    chosen = outcomes[-1]
    action = await client.post(
        "/api/Actions",
        headers=auth_headers,
        json=[{"ticket_id": 45920, "note": "n", "outcome": chosen["outcome"].lower()}],
    )
    assert action.status_code == 200, action.text
    saved = action.json()
    assert saved["outcome_id"] == chosen["id"]
    me = (await client.get("/api/Agent/me", headers=auth_headers)).json()
    assert saved["who"] == me["name"] and saved["actionby_agent_id"] == me["id"]


async def test_attachments_embedded_in_an_action_are_created_with_it(
    client: httpx.AsyncClient, auth_headers: H
) -> None:
    data = base64.b64encode(b"log line\n").decode()
    action = await client.post(
        "/api/Actions",
        headers=auth_headers,
        json=[
            {
                "ticket_id": 45920,
                "note": "logs attached",
                "attachments": [{"filename": "app.log", "data_base64": data}],
            }
        ],
    )
    assert action.status_code == 200, action.text
    listed = (
        await client.get(
            "/api/Attachment",
            headers=auth_headers,
            params={"ticket_id": "45920", "action_id": str(action.json()["id"])},
        )
    ).json()
    assert [a["filename"] for a in listed["attachments"]] == ["app.log"]
    content = await client.get(f"/api/Attachment/{listed['attachments'][0]['id']}", headers=auth_headers)
    assert content.content == b"log line\n"
    before = (await client.get("/api/Actions", headers=auth_headers, params={"ticket_id": "45920"})).json()
    refused = await client.post(
        "/api/Actions",
        headers=auth_headers,
        json=[{"ticket_id": 45920, "note": "x", "attachments": [{"data_base64": "!!"}]}],
    )
    assert refused.status_code == 400 and "[0].attachments[0].data_base64" in refused.json()
    after = (await client.get("/api/Actions", headers=auth_headers, params={"ticket_id": "45920"})).json()
    assert after["record_count"] == before["record_count"]


async def test_attachments_belong_to_any_record_type(client: httpx.AsyncClient, auth_headers: H) -> None:
    data = base64.b64encode(b"%PDF").decode()
    saved = await client.post(
        "/api/Attachment",
        headers=auth_headers,
        json=[{"filename": "contract.pdf", "type": 2, "unique_id": 101, "data_base64": data}],
    )
    assert saved.status_code == 200, saved.text
    listed = (
        await client.get("/api/Attachment", headers=auth_headers, params={"type": "2", "unique_id": "101"})
    ).json()["attachments"]
    assert [a["filename"] for a in listed] == ["contract.pdf"]
    orphan = await client.post(
        "/api/Attachment", headers=auth_headers, json=[{"filename": "x", "data_base64": data}]
    )  # linked to nothing: the mock's own check, reported (refused in strict mode)
    assert orphan.status_code == 200 and "[0].ticket_id" in orphan.headers["x-sandbox-ignored"]


async def test_refusals_halo_does_not_document_are_gone(client: httpx.AsyncClient, auth_headers: H) -> None:
    every = (await client.get("/api/Tickets", headers=auth_headers)).json()["record_count"]
    assert (await client.get("/api/Tickets", headers=auth_headers, params={"count": "-1"})).status_code == 200
    statuses = await client.get(
        "/api/Status", headers=auth_headers, params={"type": "abc"}
    )  # documented string
    assert statuses.status_code == 200
    breached = await client.get("/api/Tickets", headers=auth_headers, params={"includebreached": "1,2"})
    assert breached.status_code == 200 and breached.json()["record_count"] < every
    priorities = (await client.get("/api/Priority", headers=auth_headers)).json()
    by_number = await client.get(f"/api/Priority/{priorities[0]['priorityid']}", headers=auth_headers)
    assert by_number.status_code == 200 and by_number.json()["priorityid"] == priorities[0]["priorityid"]
    wrong = await client.get(
        "/api/Tickets", headers=auth_headers, params={"client_id": "abc"}
    )  # documented int
    assert wrong.status_code == 400 and "client_id" in wrong.json()


async def test_custom_fields_are_answered_and_set_by_id_or_name(
    client: httpx.AsyncClient, auth_headers: H
) -> None:
    ticket = (await client.get("/api/Tickets/45920", headers=auth_headers)).json()
    fields = {f["name"]: f for f in ticket["customfields"]}
    assert set(fields) >= {"CFCostCentre", "CFAffectedUsers"}
    assert {"id", "name", "label", "type", "value", "display"} <= set(fields["CFCostCentre"])
    cost = fields["CFCostCentre"]["id"]
    saved = await client.post(
        "/api/Tickets",
        headers=auth_headers,
        json=[
            {
                "id": 45920,
                "customfields": [{"id": cost, "value": "CC-42"}, {"name": "cfaffectedusers", "value": 12}],
            }
        ],
    )
    assert saved.status_code == 200, saved.text
    again = await client.post(
        "/api/Tickets",
        headers=auth_headers,
        json=[{"id": 45920, "customfields": [{"name": "CFRootCause", "value": "DNS"}]}],
    )
    values = {f["name"]: (f["value"], f["display"]) for f in again.json()["customfields"]}
    assert values["CFCostCentre"] == ("CC-42", "CC-42") and values["CFAffectedUsers"] == (12, "12")
    assert values["CFRootCause"] == ("DNS", "DNS")
    unknown = await client.post(
        "/api/Tickets",
        headers=auth_headers,
        json=[{"id": 45920, "customfields": [{"id": 999, "value": "x"}]}],
    )  # a field this tenant does not define: dropped and reported (refused in strict mode)
    assert unknown.status_code == 200 and "[0].customfields[0]" in unknown.headers["x-sandbox-ignored"]
    assert 999 not in [f["id"] for f in unknown.json()["customfields"]]
    for path in ("Client/101", "Site/1", "Users/1001"):
        record = (await client.get(f"/api/{path}", headers=auth_headers)).json()
        assert record["customfields"] and all("display" in f for f in record["customfields"])
