"""Scripted faults: matching by method/path/tool, status/headers/body, latency, dropped
connections, times/after, and malformed rules refused without changing anything."""

from __future__ import annotations

import time

import httpx
import pytest
from pydantic import ValidationError as PydanticValidationError

from halo_sandbox.mock.engine.faults import FaultPlane
from halo_sandbox.mock.tenants import TenantRegistry
from tests.mock_halo._helpers import CLIENT_ID, CLIENT_SECRET, fetch_token

pytestmark = pytest.mark.anyio


@pytest.fixture
async def api(control_client: httpx.AsyncClient, auth_headers: dict[str, str]) -> httpx.AsyncClient:
    control_client.headers.update(auth_headers)
    return control_client


@pytest.fixture
async def token(control_client: httpx.AsyncClient) -> str:
    return await fetch_token(control_client)


async def add(client: httpx.AsyncClient, rule: object) -> httpx.Response:
    return await client.post("/_sandbox/faults", json=rule)


async def test_status_headers_body_once(api: httpx.AsyncClient) -> None:
    created = await add(
        api,
        {
            "method": "GET",
            "path": "/api/probe",
            "status": 503,
            "times": 1,
            "headers": {"X-Upstream": "down"},
            "body": {"message": "Service Unavailable"},
        },
    )
    assert created.status_code == 201
    rule = created.json()["faults"][0]
    assert rule["id"] == 1 and rule["fired"] == 0
    faulted = await api.get("/api/probe")
    assert faulted.status_code == 503
    assert faulted.headers["x-upstream"] == "down"
    assert faulted.json() == {"message": "Service Unavailable"}
    assert (await api.get("/api/probe")).status_code == 200
    listed = (await api.get("/_sandbox/faults")).json()["faults"]
    assert listed[0]["fired"] == 1 and listed[0]["seen"] == 1


async def test_after_lets_requests_through_first(api: httpx.AsyncClient) -> None:
    await add(api, {"path": "/api/probe", "status": 500, "after": 2, "times": 2})
    statuses = [(await api.get("/api/probe")).status_code for _ in range(6)]
    assert statuses == [200, 200, 500, 500, 200, 200]


async def test_method_and_path_glob_case_insensitive(api: httpx.AsyncClient) -> None:
    await add(api, {"method": "post", "path": "/API/PRO*", "status": 418})
    assert (await api.get("/api/probe")).status_code == 200
    assert (await api.post("/api/probe", content=b"x")).status_code == 418
    assert (await api.post("/api/Probe", content=b"x")).status_code == 418


async def test_tool_match_and_call_id_in_journal(api: httpx.AsyncClient) -> None:
    await add(api, {"tool": "list_all_halo_itsm_tickets", "status": 429, "body": "slow down"})
    plain = await api.get("/api/probe", headers={"X-Sandbox-Tool": "get_single_halo_itsm_ticket_by_id"})
    assert plain.status_code == 200
    hit = await api.get(
        "/api/probe", headers={"X-Sandbox-Tool": "list_all_halo_itsm_tickets", "X-Sandbox-Call-Id": "call-7"}
    )
    assert hit.status_code == 429
    assert hit.text == "slow down"
    journal = (await api.get("/_sandbox/requests", params={"call_id": "call-7"})).json()["requests"]
    assert len(journal) == 1
    assert journal[0]["tool"] == "list_all_halo_itsm_tickets"
    assert journal[0]["status"] == 429
    assert journal[0]["fault"] == 1
    assert journal[0]["client"] == CLIENT_ID


async def test_latency_delays_then_passes_through(api: httpx.AsyncClient) -> None:
    await add(api, {"path": "/api/probe", "latency_ms": 200, "times": 1})
    started = time.perf_counter()
    response = await api.get("/api/probe")
    assert response.status_code == 200
    assert time.perf_counter() - started >= 0.19
    entry = (await api.get("/_sandbox/requests", params={"limit": 1})).json()["requests"][0]
    assert entry["latency_ms"] >= 190 and entry["fault"] == 1


async def test_drop_is_a_connection_error_in_process(api: httpx.AsyncClient) -> None:
    await add(api, {"path": "/api/probe", "drop": True, "times": 1})
    with pytest.raises(httpx.RemoteProtocolError):
        await api.get("/api/probe")
    assert (await api.get("/api/probe")).status_code == 200
    entries = (await api.get("/_sandbox/requests", params={"limit": 2})).json()["requests"]
    assert [e["status"] for e in entries] == [200, None]


async def test_fault_on_token_endpoint(control_client: httpx.AsyncClient) -> None:
    await add(control_client, {"method": "POST", "path": "/auth/token", "status": 500, "times": 1})
    data = {"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    assert (await control_client.post("/auth/token", data=data)).status_code == 500
    assert (await control_client.post("/auth/token", data=data)).status_code == 200


@pytest.mark.parametrize(
    ("rule", "field"),
    [
        ({"path": "/api/probe"}, "faults.0"),  # does nothing
        ({"status": 99}, "faults.0.status"),
        ({"status": 700}, "faults.0.status"),
        ({"status": 500, "times": 0}, "faults.0.times"),
        ({"status": 500, "after": -1}, "faults.0.after"),
        ({"status": 500, "method": "FETCH"}, "faults.0"),
        ({"status": 500, "path": "api/probe"}, "faults.0"),
        ({"drop": True, "status": 500}, "faults.0"),
        ({"body": {"x": 1}, "latency_ms": 5}, "faults.0"),
        ({"status": 500, "colour": "red"}, "faults.0.colour"),
        ({"latency_ms": -1}, "faults.0.latency_ms"),
        ({"status": "five hundred"}, "faults.0.status"),
        ([{"status": 500}, {"status": 1}], "faults.1.status"),  # one bad rule: none added
        ("not an object", "faults.0"),
    ],
)
async def test_malformed_rules_are_refused_and_nothing_changes(
    api: httpx.AsyncClient, rule: object, field: str
) -> None:
    await add(api, {"path": "/nothing/*", "status": 500})
    before = (await api.get("/_sandbox/faults")).json()
    response = await add(api, rule)
    assert response.status_code == 400
    assert any(key.startswith(field) for key in response.json()), response.json()
    assert (await api.get("/_sandbox/faults")).json() == before
    assert (await api.get("/api/probe")).status_code == 200


async def test_malformed_json_body(api: httpx.AsyncClient) -> None:
    response = await api.post(
        "/_sandbox/faults", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 400
    assert "Malformed JSON" in response.json()["body"][0]
    empty = await api.post("/_sandbox/faults")
    assert empty.status_code == 400


async def test_delete_one_and_all(api: httpx.AsyncClient) -> None:
    await add(api, [{"path": "/api/probe", "status": 500}, {"path": "/api/other", "status": 501}])
    removed = await api.delete("/_sandbox/faults/1")
    assert removed.status_code == 200 and removed.json()["removed"]["status"] == 500
    assert (await api.get("/api/probe")).status_code == 200
    missing = await api.delete("/_sandbox/faults/1")
    assert missing.status_code == 404
    assert missing.json() == {"message": "No fault rule with id 1."}
    assert (await api.get("/_sandbox/faults/2")).json()["status"] == 501
    assert (await api.delete("/_sandbox/faults")).json()["removed"] == 1
    assert (await api.get("/_sandbox/faults")).json()["faults"] == []


async def test_in_process_scripting(api: httpx.AsyncClient, control_registry: TenantRegistry) -> None:
    control_registry.get().faults.add(path="/api/probe", status=502, times=1)
    assert (await api.get("/api/probe")).status_code == 502
    assert (await api.get("/api/probe")).status_code == 200


def test_plane_first_live_rule_wins_and_add_validates() -> None:
    plane = FaultPlane()
    first = plane.add(path="/api/*", status=500, times=1)
    second = plane.add(path="/api/tickets", status=503)
    assert plane.match(method="GET", path="/api/tickets").id == first.id
    assert plane.match(method="GET", path="/api/tickets").id == second.id
    assert plane.match(method="GET", path="/api/other") is None
    with pytest.raises(PydanticValidationError):
        plane.add(status=42)
    assert len(plane.rules()) == 2


UNSERVABLE = [
    {"status": 500, "headers": {"X-Bad Name": "1"}},
    {"status": 500, "headers": {"X-Bad:Name": "1"}},
    {"status": 500, "headers": {"X-Split": "a\r\nSet-Cookie: x=1"}},
    {"status": 500, "headers": {"X-Nul": "a\x00b"}},
    {"status": 500, "headers": {"X-Text": "caf\u00e9 \u2603"}},
    {"status": 500, "headers": {"Content-Length": "5"}},
    {"status": 101},
    {"status": 100},
    {"status": 204, "body": {"a": 1}},
    {"status": 500, "body": __import__("json").loads("[" * 900 + "]" * 900)},
    {"status": 500, "body": "x" * 300_000},
    {"status": 500, "path": "/" + "x" * 3000},
]


@pytest.mark.parametrize("rule", UNSERVABLE, ids=range(len(UNSERVABLE)))
async def test_unservable_fault_rules_are_refused_on_creation(
    control_client: httpx.AsyncClient, rule
) -> None:
    response = await control_client.post("/_sandbox/faults", json=rule)
    assert response.status_code == 400, response.text
    assert (await control_client.get("/_sandbox/faults")).json()["faults"] == []
    assert (await control_client.get("/_sandbox/snapshot")).status_code == 200


async def test_a_latin1_header_value_is_served(control_client: httpx.AsyncClient, auth_headers) -> None:
    added = await control_client.post(
        "/_sandbox/faults", json={"status": 503, "path": "/api/probe", "headers": {"X-Reason": "caf\u00e9"}}
    )
    assert added.status_code == 201
    response = await control_client.get("/api/probe", headers=auth_headers)
    assert response.status_code == 503 and response.headers["x-reason"].encode(
        "latin-1"
    ) == "caf\u00e9".encode("latin-1")
