"""The executor against an HTTP-level mock of Halo (respx): routing, validation, pagination, errors."""

import base64
import json
import os
import re

import httpx
import jsonschema
import mcp_types
import pytest
import respx

from halo_sandbox.protocol import RATELIMIT_META
from halo_sandbox.server.executor import Executor
from halo_sandbox.server.tool_specs import generate_tools, with_file_access
from halo_sandbox.server.upstream import HaloClient
from tests.server._helpers import BASE

HALO_429 = "Rate Limit Reached - 300 Requests per rolling 5 minute window"
pytestmark = pytest.mark.anyio


@pytest.fixture
def run(halo):
    executor = Executor(halo=halo, tools=generate_tools(), cursor_secret=b"test")

    async def call(name, args=None):
        return await executor.call(name, args)

    return call


def api_calls(mock):
    return [c for c in mock.calls if c.request.url.path.startswith("/api/")]


def body_of(call):
    return json.loads(call.request.content)


# --- routing -----------------------------------------------------------------------------------


async def test_list_routes_filters_to_query_and_drives_halo_paging(mock, run):
    route = mock.get("/api/Tickets").respond(json={"record_count": 1, "tickets": [{"id": 5}]})
    result = await run(
        "list_all_halo_itsm_tickets",
        {"client_id": 104, "team": [3, 4], "open_only": True, "includebreached": True, "limit": 10},
    )
    assert not result.is_error
    assert result.structured_content == {"result": [{"id": 5}], "next_cursor": None}
    assert json.loads(result.content[0].text) == result.structured_content
    params = dict(route.calls[0].request.url.params)
    assert params == {
        "client_id": "104",
        "team": "3,4",
        "open_only": "true",
        "includebreached": "true",
        "pageinate": "true",
        "page_size": "10",
        "page_no": "1",
    }


async def test_get_routes_id_to_path_and_options_to_query(mock, run):
    route = mock.get("/api/Actions/3").respond(json={"id": 3, "ticket_id": 45920, "note": "hi"})
    result = await run(
        "get_single_halo_itsm_action_by_id", {"id": 3, "ticket_id": 45920, "includedetails": True}
    )
    assert result.structured_content == {"result": {"id": 3, "ticket_id": 45920, "note": "hi"}}
    assert dict(route.calls[0].request.url.params) == {"ticket_id": "45920", "includedetails": "true"}


async def test_create_wraps_body_in_one_element_array(mock, run):
    route = mock.post("/api/Tickets").respond(json={"id": 900, "summary": "VPN down", "client_id": 104})
    result = await run("create_a_halo_itsm_ticket", {"summary": "VPN down", "client_id": 104, "team_id": 2})
    assert body_of(route.calls[0]) == [{"summary": "VPN down", "client_id": 104, "team_id": 2}]
    assert result.structured_content == {"result": {"id": 900, "summary": "VPN down", "client_id": 104}}


async def test_create_with_id_updates_and_unwraps_array_answer(mock, run):
    route = mock.post("/api/Tickets").respond(json=[{"id": 7, "status_id": 9}])
    result = await run("create_a_halo_itsm_ticket", {"id": 7, "status_id": 9})
    assert body_of(route.calls[0]) == [{"id": 7, "status_id": 9}]
    assert result.structured_content == {"result": {"id": 7, "status_id": 9}}


async def test_update_posts_id_and_changed_fields(mock, run):
    route = mock.post("/api/Client").respond(json={"id": 104, "name": "Wayne"})
    await run("update_a_halo_itsm_client_by_id", {"id": 104, "website": "wayne.example"})
    assert body_of(route.calls[0]) == [{"id": 104, "website": "wayne.example"}]


async def test_delete_routes_id_and_reason(mock, run):
    route = mock.delete("/api/Tickets/12").respond(200, text="")
    result = await run("delete_a_halo_itsm_ticket_by_id", {"id": 12, "reason": "duplicate"})
    assert route.calls[0].request.url.params["reason"] == "duplicate"
    assert result.structured_content == {"result": {"id": 12, "deleted": True}}


async def test_string_ids_are_path_escaped(mock, run):
    route = mock.get(url__regex=r"/api/Priority/.*").respond(json={"id": "a b", "priorityid": 1})
    await run("get_single_halo_itsm_priority_by_id", {"id": "a b"})
    assert route.calls[0].request.url.raw_path == b"/api/Priority/a%20b"


@pytest.mark.parametrize(("record_id", "raw"), [(".", b"%2E"), ("..", b"%2E%2E"), ("a/..", b"a%2F..")])
async def test_dot_ids_stay_one_path_segment(mock, run, record_id, raw):
    # `/Priority/..` would be read as `/` (RFC 3986 dot segments): the id must reach Halo as itself
    route = mock.get(url__regex=r"/api/Priority/.*").respond(json={"id": 1, "priorityid": 1})
    collection = mock.get(url__regex=r"/api/?$").respond(json=[])
    await run("get_single_halo_itsm_priority_by_id", {"id": record_id})
    assert not collection.called
    assert route.calls[0].request.url.raw_path == b"/api/Priority/" + raw


async def test_sandbox_headers_name_the_tool_and_call(mock, run):
    route = mock.get("/api/Status").respond(json=[])
    await run("list_all_halo_itsm_statuses")
    await run("list_all_halo_itsm_statuses")
    first, second = (c.request.headers for c in route.calls)
    assert first["x-sandbox-tool"] == "list_all_halo_itsm_statuses"
    assert re.fullmatch(r"[0-9a-f]{32}", first["x-sandbox-call-id"])
    assert first["x-sandbox-call-id"] != second["x-sandbox-call-id"]


# --- validation before any request ---------------------------------------------------------------


@pytest.mark.parametrize(
    "name,args,needle",
    [
        ("list_all_halo_itsm_tickets", {"bogus": 1, "other": 2}, "unknown argument(s): bogus, other"),
        ("list_all_halo_itsm_tickets", {"limit": 500}, "limit"),
        ("list_all_halo_itsm_tickets", {"limit": 0}, "limit"),
        ("list_all_halo_itsm_tickets", {"client_id": "104"}, "client_id"),
        ("list_all_halo_itsm_tickets", {"team": []}, "team"),
        ("list_all_halo_itsm_actions", {}, "ticket_id"),
        ("get_single_halo_itsm_ticket_by_id", {}, "id"),
        ("get_single_halo_itsm_ticket_by_id", {"id": True}, "id"),
        ("update_a_halo_itsm_ticket_by_id", {"summary": "x"}, "id"),
        ("create_a_halo_itsm_ticket", {"client_id": 1}, "summary"),
        ("create_a_halo_itsm_team", {"name": "x"}, "Unknown tool"),
        ("find_halo_itsm_ids", {"kind": "client"}, "name"),
        ("find_halo_itsm_ids", {"kind": "planet", "name": "x"}, "kind"),
        ("find_halo_itsm_ids", {}, "queries"),
    ],
)
async def test_bad_arguments_never_reach_upstream(mock, run, name, args, needle):
    result = await run(name, args)
    assert result.is_error
    error = result.structured_content["error"]
    assert needle in error["message"]
    assert error["status"] is None and error["code"] in {"invalid_arguments", "unknown_tool"}
    assert mock.calls.call_count == 0  # not even a token request


# --- errors: passed through, exactly one upstream request -----------------------------------------


async def test_429_with_halo_text_is_passed_through_once(mock, run):
    route = mock.get("/api/Tickets").respond(429, json={"message": HALO_429})
    result = await run("list_all_halo_itsm_tickets")
    assert result.is_error and route.call_count == 1
    error = dict(result.structured_content["error"])
    assert "wait" in error.pop("next")
    assert error == {
        "status": 429,
        "message": HALO_429,
        "body": {"message": HALO_429},
        "ratelimit": {"limit": 300, "remaining": 0, "reset": 300},
        "retry_after": None,
        "code": "upstream_error",
    }
    headline, next_line, data = result.content[0].text.split("\n")
    assert headline == f"Error: Halo answered 429: {HALO_429}" and next_line.startswith("Next: ")
    assert json.loads(data) == result.structured_content
    assert result.meta[RATELIMIT_META]["ratelimit"]["limit"] == 300


async def test_429_with_headers(mock, run):
    route = mock.get("/api/Tickets/1").respond(
        429,
        text=HALO_429,
        headers={"Retry-After": "42", "X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "0"},
    )
    error = (await run("get_single_halo_itsm_ticket_by_id", {"id": 1})).structured_content["error"]
    assert route.call_count == 1
    assert error["body"] == HALO_429 and error["message"] == HALO_429
    assert error["ratelimit"] == {"limit": 300, "remaining": 0, "reset": 42} and error["retry_after"] == 42


@pytest.mark.parametrize("status", [500, 502, 503, 404, 403])
async def test_other_errors_once_never_retried(mock, run, status):
    route = mock.post("/api/Tickets").respond(status, text="upstream says no")
    result = await run("create_a_halo_itsm_ticket", {"summary": "x"})
    assert route.call_count == 1
    assert result.structured_content["error"]["status"] == status
    assert result.structured_content["error"]["body"] == "upstream says no"


async def test_halo_400_validation_body_is_parsed(mock, run):
    body = {"[0].agent_id": ["Could not convert string to integer"]}
    mock.post("/api/Tickets").respond(400, json=body)
    error = (await run("create_a_halo_itsm_ticket", {"summary": "x"})).structured_content["error"]
    assert error["body"] == body and "[0].agent_id" in error["message"]


async def test_401_refresh_and_replay_then_second_401_surfaces(mock, run):
    route = mock.get("/api/Status").mock(
        side_effect=[httpx.Response(401), httpx.Response(200, json=[{"id": 1}])]
    )
    ok = await run("list_all_halo_itsm_statuses")
    assert not ok.is_error and route.call_count == 2
    always = mock.get("/api/Team").respond(401, json={"message": "token expired"})
    bad = await run("list_all_halo_itsm_teams")
    assert always.call_count == 2
    assert bad.structured_content["error"]["status"] == 401


async def test_unreachable_upstream_is_an_error_and_server_keeps_serving(mock, run):
    mock.get("/api/Tickets").mock(
        side_effect=[
            httpx.ConnectError("connection refused"),
            httpx.Response(200, json={"record_count": 0, "tickets": []}),
        ]
    )
    down = await run("list_all_halo_itsm_tickets")
    assert down.is_error
    assert down.structured_content["error"]["status"] is None
    assert "unreachable" in down.structured_content["error"]["message"]
    up = await run("list_all_halo_itsm_tickets")
    assert up.structured_content == {"result": [], "next_cursor": None}


async def test_success_carries_ratelimit_meta(mock, run):
    mock.get("/api/Status").respond(
        json=[], headers={"RateLimit-Limit": "300", "RateLimit-Remaining": "299", "RateLimit-Reset": "300"}
    )
    result = await run("list_all_halo_itsm_statuses")
    assert result.meta[RATELIMIT_META] == {
        "ratelimit": {"limit": 300, "remaining": 299, "reset": 300},
        "retry_after": None,
    }


# --- pagination ------------------------------------------------------------------------------------


def paged_halo(records, key):
    def respond(request):
        p = request.url.params
        assert p["pageinate"] == "true"
        size, page = int(p["page_size"]), int(p["page_no"])
        rows = [r for r in records if "client_id" not in p or r["client_id"] == int(p["client_id"])]
        return httpx.Response(
            200, json={"record_count": len(rows), key: rows[(page - 1) * size : page * size]}
        )

    return respond


async def follow(run, name, args):
    seen, pages, cursor = [], 0, None
    while True:
        call = dict(args, **({"next_cursor": cursor} if cursor else {}))
        result = await run(name, call)
        assert not result.is_error, result.structured_content
        seen += [r["id"] for r in result.structured_content["result"]]
        pages += 1
        cursor = result.structured_content["next_cursor"]
        if cursor is None:
            return seen, pages


@pytest.mark.parametrize("limit", [1, 3, 7, 50])
async def test_following_cursors_returns_every_record_once_pageable(mock, run, limit):
    records = [{"id": i, "client_id": 104 if i % 2 else 105} for i in range(1, 16)]
    mock.get("/api/Tickets").mock(side_effect=paged_halo(records, "tickets"))
    seen, pages = await follow(run, "list_all_halo_itsm_tickets", {"client_id": 104, "limit": limit})
    assert seen == [r["id"] for r in records if r["client_id"] == 104]
    assert pages == max(1, -(-len(seen) // limit))


@pytest.mark.parametrize("limit", [1, 4, 100])
async def test_following_cursors_returns_every_record_once_unpaged(mock, run, limit):
    rows = [{"id": i, "name": f"S{i}"} for i in range(1, 11)]
    route = mock.get("/api/Status").respond(json=rows)
    seen, _ = await follow(run, "list_all_halo_itsm_statuses", {"limit": limit})
    assert seen == list(range(1, 11))
    assert "pageinate" not in route.calls[0].request.url.params


async def test_actions_are_fetched_unpaged_with_a_large_count(mock, run):
    route = mock.get("/api/Actions").respond(
        json={"record_count": 3, "actions": [{"id": 1}, {"id": 2}, {"id": 3}]}
    )
    result = await run("list_all_halo_itsm_actions", {"ticket_id": 45920, "limit": 2})
    params = route.calls[0].request.url.params
    assert params["ticket_id"] == "45920" and int(params["count"]) >= 1000 and "page_no" not in params
    assert [r["id"] for r in result.structured_content["result"]] == [1, 2]
    assert result.structured_content["next_cursor"]


async def test_agent_results_envelope_is_tolerated(mock, run):
    mock.get("/api/Agent").respond(json={"record_count": 1, "results": [{"id": 2, "name": "Bruce"}]})
    result = await run("list_all_halo_itsm_agents")
    assert result.structured_content["result"] == [{"id": 2, "name": "Bruce"}]


async def test_unexpected_list_shape_is_a_clear_error(mock, run):
    mock.get("/api/Tickets").respond(json={"record_count": 1, "rows": [], "other": []})
    error = (await run("list_all_halo_itsm_tickets")).structured_content["error"]
    assert "unexpected list shape" in error["message"] and "tickets" in error["message"]


async def test_bad_cursors_are_errors_without_upstream_requests(mock, run):
    records = [{"id": i, "client_id": 104} for i in range(1, 6)]
    mock.get("/api/Tickets").mock(side_effect=paged_halo(records, "tickets"))
    first = await run("list_all_halo_itsm_tickets", {"client_id": 104, "limit": 2})
    cursor = first.structured_content["next_cursor"]
    before = mock.calls.call_count
    cases = [
        ("list_all_halo_itsm_tickets", {"client_id": 105, "next_cursor": cursor}, "other filters"),
        ("list_all_halo_itsm_tickets", {"next_cursor": cursor}, "other filters"),
        ("list_all_halo_itsm_projects", {"client_id": 104, "next_cursor": cursor}, "another tool"),
        ("list_all_halo_itsm_tickets", {"client_id": 104, "next_cursor": cursor[:-3]}, "invalid"),
        ("list_all_halo_itsm_tickets", {"client_id": 104, "next_cursor": "x" + cursor[1:]}, "invalid"),
        ("list_all_halo_itsm_tickets", {"client_id": 104, "next_cursor": "not-a-cursor"}, "malformed"),
    ]
    for name, args, needle in cases:
        result = await run(name, args)
        assert result.is_error and needle in result.structured_content["error"]["message"], (args, result)
        assert result.structured_content["error"]["code"] == "invalid_cursor"
    assert mock.calls.call_count == before
    second = await run("list_all_halo_itsm_tickets", {"client_id": 104, "next_cursor": cursor, "limit": 2})
    assert [r["id"] for r in second.structured_content["result"]] == [3, 4]


async def test_cursor_from_another_server_is_rejected(mock, halo, run):
    mock.get("/api/Status").respond(json=[{"id": i} for i in range(5)])
    cursor = (await run("list_all_halo_itsm_statuses", {"limit": 2})).structured_content["next_cursor"]
    other = Executor(halo=halo, tools=generate_tools())
    result = await other.call("list_all_halo_itsm_statuses", {"next_cursor": cursor})
    assert result.is_error and result.structured_content["error"]["code"] == "invalid_cursor"


# --- attachments ----------------------------------------------------------------------------------


async def test_attachment_base64_round_trip(mock, run):
    payload = bytes(range(256)) * 4
    stored = {}

    def upload(request):
        item = json.loads(request.content)[0]
        stored.update(item)
        return httpx.Response(
            201, json={"id": 77, "filename": item["filename"], "ticket_id": item["ticket_id"]}
        )

    post = mock.post("/api/Attachment").mock(side_effect=upload)
    mock.get("/api/Attachment/77").mock(
        side_effect=lambda r: httpx.Response(
            200,
            content=base64.b64decode(stored["data_base64"]),
            headers={
                "content-type": "application/octet-stream",
                "content-disposition": 'attachment; filename="trace.png"',
            },
        )
    )
    created = await run(
        "create_a_halo_itsm_attachment",
        {
            "ticket_id": 45920,
            "action_id": 2,
            "filename": "trace.png",
            "content_base64": base64.b64encode(payload).decode(),
        },
    )
    assert not created.is_error, created.structured_content
    assert created.structured_content == {"result": {"id": 77, "filename": "trace.png", "ticket_id": 45920}}
    sent = body_of(post.calls[0])
    assert len(sent) == 1 and sent[0]["ticket_id"] == 45920 and sent[0]["action_id"] == 2
    assert "content_base64" not in sent[0]

    got = await run("get_single_halo_itsm_attachment_by_id", {"id": 77})
    assert got.structured_content["result"] == {
        "id": 77,
        "filename": "trace.png",
        "content_type": "image/png",
        "filesize": len(payload),
    }
    embedded = got.content[1]
    assert isinstance(embedded, mcp_types.EmbeddedResource)
    assert isinstance(embedded.resource, mcp_types.BlobResourceContents)
    assert embedded.resource.mime_type == "image/png"
    assert base64.b64decode(embedded.resource.blob) == payload


async def test_text_attachment_and_download_as_text_resource(mock, run):
    post = mock.post("/api/Attachment").respond(json={"id": 5})
    await run(
        "create_a_halo_itsm_attachment", {"ticket_id": 1, "filename": "notes.txt", "content_text": "héllo"}
    )
    assert base64.b64decode(body_of(post.calls[0])[0]["data_base64"]).decode() == "héllo"
    mock.get("/api/Attachment/5").respond(
        200,
        content="héllo".encode(),
        headers={
            "content-type": "text/plain; charset=utf-8",
            "content-disposition": "attachment; filename*=UTF-8''n%C3%B6tes.txt",
        },
    )
    got = await run("get_single_halo_itsm_attachment_by_id", {"id": 5})
    resource = got.content[1].resource
    assert isinstance(resource, mcp_types.TextResourceContents)
    assert resource.text == "héllo" and resource.mime_type == "text/plain"
    assert got.structured_content["result"]["filename"] == "nötes.txt"


@pytest.mark.parametrize(
    "args,needle",
    [
        ({"content_base64": "not base64!!"}, "not valid base64"),
        ({"content_base64": "QUJD", "content_text": "x"}, "exactly one"),
        ({}, "exactly one"),
        ({"file_path": "/etc/passwd"}, "unknown argument"),
    ],
)
async def test_bad_attachment_input_never_reaches_upstream(mock, run, args, needle):
    result = await run("create_a_halo_itsm_attachment", {"ticket_id": 1, "filename": "a.bin", **args})
    assert result.is_error and needle in result.structured_content["error"]["message"]
    assert mock.calls.call_count == 0


async def test_file_path_only_inside_allowed_dir(mock, halo, tmp_path):
    allowed = tmp_path / "files"
    allowed.mkdir()
    (allowed / "report.csv").write_text("a,b\n1,2\n")
    secret = tmp_path / "secret.txt"
    secret.write_text("top secret")
    os.symlink(secret, allowed / "link.txt")
    (allowed / "sub").mkdir()
    tools = [with_file_access(t) for t in generate_tools()]
    executor = Executor(halo=halo, tools=tools, allowed_file_dir=allowed)
    post = mock.post("/api/Attachment").respond(json={"id": 1})

    ok = await executor.call(
        "create_a_halo_itsm_attachment", {"ticket_id": 1, "filename": "report.csv", "file_path": "report.csv"}
    )
    assert not ok.is_error
    assert base64.b64decode(body_of(post.calls[0])[0]["data_base64"]) == b"a,b\n1,2\n"
    for bad in ["../secret.txt", str(secret), "link.txt", "sub", "missing.txt", "sub/../../secret.txt"]:
        result = await executor.call(
            "create_a_halo_itsm_attachment", {"ticket_id": 1, "filename": "x", "file_path": bad}
        )
        assert result.is_error, bad
        assert result.structured_content["error"]["code"] == "file_access_denied"
    assert post.call_count == 1


# --- name lookups -----------------------------------------------------------------------------------


async def test_lookup_exact_and_ambiguous(mock, run):
    mock.get("/api/Team").respond(
        json=[
            {"id": 1, "name": "Network Operations"},
            {"id": 2, "name": "Identity"},
            {"id": 3, "name": "Security"},
            {"id": 4, "name": "Service Desk"},
        ]
    )
    clients = mock.get("/api/Client").respond(
        json={
            "record_count": 2,
            "clients": [{"id": 104, "name": "Wayne Enterprises"}, {"id": 108, "name": "Wayne Foundation"}],
        }
    )
    result = await run(
        "find_halo_itsm_ids",
        {
            "queries": [
                {"kind": "team", "name": "network operations"},
                {"kind": "team", "name": "Servce Desk"},
                {"kind": "client", "name": "Wayne"},
            ]
        },
    )
    team, typo, client = result.structured_content["result"]
    assert team == {
        "kind": "team",
        "name": "network operations",
        "matches": [{"id": 1, "name": "Network Operations"}],
        "candidates": [],
    }
    assert typo["matches"] == [] and typo["candidates"][0]["id"] == 4
    assert client["matches"] == [] and {c["id"] for c in client["candidates"]} == {104, 108}
    assert clients.calls[0].request.url.params["search"] == "Wayne"
    assert mock.routes[1].call_count == 1  # teams fetched once for both queries


async def test_lookup_priority_uses_priorityid_and_dedupes(mock, run):
    mock.get("/api/Priority").respond(
        json=[
            {"id": "u1", "priorityid": 1, "name": "Critical", "slaid": 1},
            {"id": "u2", "priorityid": 1, "name": "Critical", "slaid": 2},
            {"id": "u3", "priorityid": 2, "name": "High", "slaid": 1},
        ]
    )
    result = await run("find_halo_itsm_ids", {"kind": "priority", "name": "CRITICAL"})
    assert result.structured_content["result"][0]["matches"] == [{"id": 1, "name": "Critical"}]


async def test_ratelimit_fields_helper_reads_success_and_error_results(mock, run):
    from halo_sandbox.server.results import ratelimit_fields

    mock.get("/api/Status").respond(
        json=[], headers={"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "5", "X-RateLimit-Reset": "60"}
    )
    mock.get("/api/Team").respond(json=[])
    mock.get("/api/SLA").respond(429, text=HALO_429)
    assert ratelimit_fields(await run("list_all_halo_itsm_statuses")) == {
        "ratelimit": {"limit": 300, "remaining": 5, "reset": 60},
        "retry_after": None,
    }
    assert ratelimit_fields(await run("list_all_halo_itsm_teams")) is None
    assert ratelimit_fields(await run("list_all_halo_itsm_slas"))["ratelimit"]["remaining"] == 0
    assert ratelimit_fields(await run("list_all_halo_itsm_slas", {"bogus": 1})) is None


async def test_integral_floats_are_sent_as_integers(mock, run):
    route = mock.get("/api/Tickets/5").respond(json={"id": 5})
    listing = mock.get("/api/Tickets").respond(json={"record_count": 0, "tickets": []})
    await run("get_single_halo_itsm_ticket_by_id", {"id": 5.0})
    await run("list_all_halo_itsm_tickets", {"client_id": 104.0})
    assert route.call_count == 1
    assert listing.calls[0].request.url.params["client_id"] == "104"


async def test_lookup_ranks_first_page_when_search_finds_nothing(mock, run):
    def clients(request):
        if "search" in request.url.params:
            return httpx.Response(200, json={"record_count": 0, "clients": []})
        return httpx.Response(
            200,
            json={
                "record_count": 2,
                "clients": [{"id": 1, "name": "Stark Industries"}, {"id": 2, "name": "Acme Corp"}],
            },
        )

    route = mock.get("/api/Client").mock(side_effect=clients)
    result = await run("find_halo_itsm_ids", {"kind": "client", "name": "Strak Industries"})
    found = result.structured_content["result"][0]
    assert found["matches"] == [] and found["candidates"][0]["id"] == 1
    assert route.call_count == 2


# --- robustness: any schema-valid call gives a result, any schema-invalid one never reaches Halo ------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

# hypothesis-jsonschema 0.23.1 breaks on object schemas with hypothesis 6.170 ('many' has no 'more'),
# so arguments are drawn from the flat schemas directly.


def _value(prop):
    if "enum" in prop:
        return st.sampled_from(prop["enum"])
    kind = prop["type"]
    if kind == "integer":
        return st.integers(min_value=prop.get("minimum", -(2**31)), max_value=prop.get("maximum", 2**31 - 1))
    if kind == "number":
        return st.floats(allow_nan=False, allow_infinity=False, width=32)
    if kind == "boolean":
        return st.booleans()
    if kind == "string":
        return st.text(min_size=prop.get("minLength", 0), max_size=20)
    if kind == "array":
        return st.lists(_value(prop["items"]), min_size=prop.get("minItems", 0), max_size=3)
    if kind == "object":
        return st.dictionaries(st.text(max_size=5), st.integers() | st.text(max_size=5), max_size=3)
    raise AssertionError(kind)


def from_schema(schema):
    props = schema["properties"]
    required = set(schema.get("required", ()))
    optional = sorted(set(props) - required)

    @st.composite
    def draw_args(draw):
        chosen = (
            sorted(required) + draw(st.lists(st.sampled_from(optional), unique=True))
            if optional
            else sorted(required)
        )
        return {name: draw(_value(props[name])) for name in chosen}

    return draw_args()


TOOLS = generate_tools()


def generic_halo(request):
    path = request.url.path.rstrip("/")
    if request.method == "GET" and path.lower().startswith("/api/attachment/"):
        return httpx.Response(
            200, content=b"bytes", headers={"content-disposition": "attachment; filename=a.bin"}
        )
    if request.method == "GET" and path.count("/") == 2:
        return httpx.Response(200, json=[{"id": 1, "name": "x", "priorityid": 1, "summary": "x"}])
    return httpx.Response(200, json={"id": 1})


@pytest.mark.parametrize("spec", TOOLS, ids=[t.name for t in TOOLS])
async def test_schema_valid_arguments_always_give_a_result(spec):
    schema = spec.tool.input_schema
    if spec.method == "list":  # cursors are minted by the server, not generated
        schema = {
            **schema,
            "properties": {k: v for k, v in schema["properties"].items() if k != "next_cursor"},
        }
    examples = []

    @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(from_schema(schema))
    def collect(args):
        examples.append(args)

    collect()
    with respx.mock(base_url=BASE, assert_all_called=False) as m:
        m.post("/auth/token").respond(json={"access_token": "tok", "expires_in": 3600})
        m.route(url__startswith=BASE + "/api/").mock(side_effect=generic_halo)
        async with HaloClient(base_url=BASE, client_id="c", client_secret="s") as halo:
            executor = Executor(halo=halo, tools=TOOLS)
            for args in examples:
                before = len([c for c in m.calls if c.request.url.path.startswith("/api/")])
                result = await executor.call(spec.name, args)
                made = len([c for c in m.calls if c.request.url.path.startswith("/api/")]) - before
                if result.is_error:
                    assert made == 0, (args, result.structured_content)  # refused locally, before Halo
                    assert result.structured_content["error"]["code"] in {"invalid_arguments"}
                else:
                    assert made >= 1 and (made == 1 or spec.method == "lookup")
                    assert "result" in result.structured_content


@pytest.mark.parametrize("spec", TOOLS[::7], ids=[t.name for t in TOOLS[::7]])
async def test_schema_invalid_arguments_never_reach_upstream(spec):
    junk = st.dictionaries(
        st.text(min_size=1, max_size=8),
        st.none() | st.integers() | st.text(max_size=5),
        min_size=1,
        max_size=4,
    )
    examples = []

    @settings(max_examples=25, deadline=None, database=None)
    @given(junk)
    def collect(args):
        examples.append(args)

    collect()
    validator = jsonschema.Draft202012Validator(spec.tool.input_schema)
    with respx.mock(base_url=BASE, assert_all_called=False) as m:
        m.route().respond(json={})
        async with HaloClient(base_url=BASE, client_id="c", client_secret="s") as halo:
            executor = Executor(halo=halo, tools=TOOLS)
            for args in examples:
                if validator.is_valid(args):
                    continue
                result = await executor.call(spec.name, args)
                assert result.is_error and result.structured_content["error"]["code"] == "invalid_arguments"
        assert m.calls.call_count == 0


async def test_upstream_timeout_is_an_error_result(mock, run):
    route = mock.post("/api/Actions").mock(side_effect=httpx.ReadTimeout("too slow"))
    result = await run("create_a_halo_itsm_action", {"ticket_id": 1, "note": "x"})
    assert result.is_error and route.call_count == 1
    error = result.structured_content["error"]
    assert error["status"] is None and error["code"] == "upstream_unavailable"
    assert "did not answer" in error["message"]
