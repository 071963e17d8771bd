"""The sandbox console's JSON API and form actions (over httpx's ASGI transport), with a real mock
tenant behind the control plane and real tool calls through the MCP server's `on_tool_call` hook."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from httpx_sse import aconnect_sse
from mcp import Client
from starlette.applications import Starlette
from starlette.routing import Mount

from halo_sandbox.console import ControlPlane, ToolCallJournal, console_routes
from halo_sandbox.console.routes import COOKIE
from halo_sandbox.harness import serving
from halo_sandbox.mock.config import MockSettings
from halo_sandbox.mock.http.app import create_app
from halo_sandbox.protocol import CALL_ID_HEADER
from halo_sandbox.provisioning.registry import Registry
from halo_sandbox.server.executor import ToolCallRecord
from halo_sandbox.server.mcp_app import build_mcp_server
from halo_sandbox.server.upstream import HaloClient

ADMIN_KEY = "console-test-admin-key"
MOCK = "http://halo.internal"
LIST_TICKETS = "list_all_halo_itsm_tickets"


@dataclass
class Rig:
    mcp: Client
    http: httpx.AsyncClient
    """The console app, sending the admin key."""
    anonymous: httpx.AsyncClient
    app: Starlette
    calls: ToolCallJournal
    registry: Registry
    settings: MockSettings

    async def view(self) -> dict[str, Any]:
        response = await self.http.get("/_sandbox/console.json")
        assert response.status_code == 200, response.text
        return response.json()

    async def admin(self, method: str, path: str, **kwargs: Any) -> Any:
        response = await self.http.request(method, f"/_sandbox{path}", **kwargs)
        assert response.status_code < 400, response.text
        return response.json()


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    settings = MockSettings(admin_key=ADMIN_KEY)
    mock = create_app(settings)
    to_mock = httpx.ASGITransport(app=mock)
    halo = HaloClient(
        base_url=MOCK, client_id=settings.client_id, client_secret=settings.client_secret, transport=to_mock
    )
    calls = ToolCallJournal()
    server = build_mcp_server(halo=halo, on_tool_call=calls.record)
    registry = Registry(tmp_path / "state")
    control = ControlPlane(base_url=MOCK, admin_key=ADMIN_KEY, transport=to_mock)
    routes = console_routes(
        control=control,
        calls=calls,
        admin_key=ADMIN_KEY,
        servers=lambda: [s.to_dict() for s in registry.list_servers()],
    )
    app = Starlette(routes=[*routes, Mount("/", app=mock)])
    transport = httpx.ASGITransport(app=app)
    async with (
        Client(server) as mcp,
        httpx.AsyncClient(
            transport=transport, base_url="http://sandbox.test", headers={"X-Admin-Key": ADMIN_KEY}
        ) as http,
        httpx.AsyncClient(transport=transport, base_url="http://sandbox.test") as anonymous,
    ):
        yield Rig(
            mcp=mcp,
            http=http,
            anonymous=anonymous,
            app=app,
            calls=calls,
            registry=registry,
            settings=settings,
        )
    await halo.aclose()
    await control.aclose()
    registry.close()


# ---------------------------------------------------------------- the observer hook


@pytest.mark.anyio
async def test_on_tool_call_sees_each_call_with_the_call_id_sent_upstream(rig: Rig, monkeypatch):
    seen: list[ToolCallRecord] = []
    halo = HaloClient(
        base_url=MOCK,
        client_id=rig.settings.client_id,
        client_secret=rig.settings.client_secret,
        transport=httpx.ASGITransport(app=create_app(MockSettings())),
    )
    sent: list[str] = []
    original = halo.request

    async def spy(method: str, path: str, **kwargs: Any) -> httpx.Response:
        sent.append(kwargs["headers"][CALL_ID_HEADER])
        return await original(method, path, **kwargs)

    monkeypatch.setattr(halo, "request", spy)
    async with Client(build_mcp_server(halo=halo, on_tool_call=seen.append)) as client:
        ok = await client.call_tool("get_single_halo_itsm_ticket_by_id", {"id": 45920})
        bad = await client.call_tool(LIST_TICKETS, {"nonsense": 1})
    await halo.aclose()
    assert not ok.is_error and bad.is_error
    assert [r.tool for r in seen] == ["get_single_halo_itsm_ticket_by_id", LIST_TICKETS]
    assert seen[0].call_id == sent[0] and seen[0].arguments == {"id": 45920}
    assert seen[0].structured == ok.structured_content and not seen[0].is_error
    assert seen[1].is_error and "nonsense" in seen[1].structured["error"]["message"]
    assert len(sent) == 1  # the rejected call made no upstream request, yet was observed
    assert seen[0].duration_ms >= 0


@pytest.mark.anyio
async def test_a_failing_observer_does_not_break_the_tool_call(rig: Rig):
    halo = HaloClient(
        base_url=MOCK,
        client_id=rig.settings.client_id,
        client_secret=rig.settings.client_secret,
        transport=httpx.ASGITransport(app=create_app(MockSettings())),
    )

    def broken(record: ToolCallRecord) -> None:
        raise RuntimeError("observer bug")

    async with Client(build_mcp_server(halo=halo, on_tool_call=broken)) as client:
        result = await client.call_tool("get_single_halo_itsm_ticket_by_id", {"id": 45920})
    await halo.aclose()
    assert not result.is_error and result.structured_content["result"]["id"] == 45920


# ---------------------------------------------------------------- the timeline


@pytest.mark.anyio
async def test_tool_calls_are_grouped_with_their_upstream_requests_and_counted(rig: Rig):
    await rig.mcp.call_tool(LIST_TICKETS, {"limit": 5})
    await rig.mcp.call_tool("get_single_halo_itsm_ticket_by_id", {"id": 45920})
    await rig.mcp.call_tool("get_single_halo_itsm_ticket_by_id", {"id": 99999999})
    view = await rig.view()

    calls = view["tool_calls"]
    assert [c["tool"] for c in calls] == [
        "get_single_halo_itsm_ticket_by_id",
        "get_single_halo_itsm_ticket_by_id",
        LIST_TICKETS,
    ]  # newest first
    missing, found, listed = calls
    assert listed["ok"] and listed["result_count"] == 5 and listed["arguments"] == {"limit": 5}
    assert [(u["method"], u["path"], u["status"]) for u in listed["upstream"]] == [
        ("GET", "/api/Tickets", 200)
    ]
    assert "pageinate=true" in listed["upstream"][0]["query"]
    assert found["ok"] and found["upstream"][0]["path"] == "/api/Tickets/45920"
    assert not missing["ok"] and missing["error"]["status"] == 404
    assert missing["upstream"][0]["status"] == 404
    assert all(u["call_id"] == c["call_id"] for c in calls for u in c["upstream"])

    assert view["counts"]["tools"] == {
        LIST_TICKETS: {"calls": 1, "errors": 0},
        "get_single_halo_itsm_ticket_by_id": {"calls": 2, "errors": 1},
    }
    statuses = view["counts"]["statuses"]
    assert statuses["200"] == 3 and statuses["404"] == 1  # token request + two successful reads; one 404
    # the token request belongs to no tool call: it is listed on its own
    assert [r["path"] for r in view["requests"]] == ["/auth/token"]

    page = await rig.http.get("/_sandbox/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert LIST_TICKETS in page.text and "/api/Tickets/45920" in page.text
    live = await rig.http.get("/_sandbox/console/live")
    assert live.status_code == 200 and "/api/Tickets/45920" in live.text


@pytest.mark.anyio
async def test_long_arguments_and_results_are_kept_as_previews(rig: Rig):
    await rig.mcp.call_tool(LIST_TICKETS, {"limit": 100})
    await rig.mcp.call_tool(LIST_TICKETS, {"search": "x" * 5000})
    searched, listed = (await rig.view())["tool_calls"]
    assert listed["result_count"] == 100 and len(listed["result_preview"]) <= 2000
    assert len(searched["arguments"]["search"]) <= 200


# ---------------------------------------------------------------- faults, rate limit, reset, snapshot


@pytest.mark.anyio
async def test_a_429_fault_added_from_the_form_fails_the_next_tool_call_then_retires(rig: Rig):
    response = await rig.http.post(
        "/_sandbox/console/faults",
        data={
            "method": "*",
            "path": "/api/Tickets*",
            "status": "429",
            "times": "1",
            "after": "0",
            "latency_ms": "0",
            "body": '{"message": "slow down"}',
        },
    )
    assert response.status_code == 303 and "notice=" in response.headers["location"]
    [rule] = (await rig.view())["faults"]
    assert (rule["path"], rule["status"], rule["times"], rule["body"]) == (
        "/api/Tickets*",
        429,
        1,
        {"message": "slow down"},
    )

    failed = await rig.mcp.call_tool(LIST_TICKETS, {"limit": 1})
    again = await rig.mcp.call_tool(LIST_TICKETS, {"limit": 1})
    assert failed.is_error and failed.structured_content["error"]["status"] == 429
    assert not again.is_error

    view = await rig.view()
    ok_call, failed_call = view["tool_calls"]
    assert failed_call["error"]["status"] == 429 and failed_call["error"]["message"] == "slow down"
    assert failed_call["upstream"][0]["status"] == 429 and failed_call["upstream"][0]["fault"] == rule["id"]
    assert ok_call["ok"]
    assert view["counts"]["statuses"]["429"] == 1

    cleared = await rig.http.post("/_sandbox/console/faults", data={"path": "/api/*", "status": "503"})
    assert cleared.status_code == 303
    assert len((await rig.view())["faults"]) == 2
    await rig.http.post(f"/_sandbox/console/faults/{rule['id']}/delete")
    assert [f["status"] for f in (await rig.view())["faults"]] == [503]
    await rig.http.post("/_sandbox/console/faults/clear")
    assert (await rig.view())["faults"] == []


@pytest.mark.parametrize(
    "form, needle",
    [
        ({"path": "/api/Tickets*", "status": "abc"}, "status must be a whole number"),
        ({"path": "/api/Tickets*", "status": "700"}, "status"),
        ({"path": "/api/Tickets*"}, "must do something"),
        ({"path": "/api/Tickets*", "status": "429", "drop": "1"}, "drop"),
    ],
)
@pytest.mark.anyio
async def test_a_bad_fault_form_is_a_clear_error_and_adds_nothing(
    rig: Rig, form: dict[str, str], needle: str
):
    response = await rig.http.post("/_sandbox/console/faults", data=form)
    assert response.status_code == 303
    location = httpx.URL(response.headers["location"])
    assert location.path == "/_sandbox/" and needle in location.params["error"]
    assert (await rig.view())["faults"] == []
    page = await rig.http.get(response.headers["location"])
    assert needle in page.text and 'role="alert"' in page.text
    removed = await rig.http.post("/_sandbox/console/faults/999/delete")
    assert "999" in httpx.URL(removed.headers["location"]).params["error"]


@pytest.mark.anyio
async def test_rate_limit_form_changes_the_limiter_and_shows_its_state(rig: Rig):
    response = await rig.http.post(
        "/_sandbox/console/ratelimit", data={"enabled": "1", "limit": "2", "window_seconds": "60"}
    )
    assert response.status_code == 303
    await rig.mcp.call_tool(LIST_TICKETS, {"limit": 1})
    await rig.mcp.call_tool(LIST_TICKETS, {"limit": 1})
    limited = await rig.mcp.call_tool(LIST_TICKETS, {"limit": 1})
    assert limited.is_error and limited.structured_content["error"]["status"] == 429
    ratelimit = (await rig.view())["ratelimit"]
    assert (ratelimit["enabled"], ratelimit["limit"], ratelimit["window_seconds"]) == (True, 2, 60)
    assert ratelimit["clients"][rig.settings.client_id]["remaining"] == 0
    off = await rig.http.post("/_sandbox/console/ratelimit", data={"limit": "2"})
    assert "off" in httpx.URL(off.headers["location"]).params["notice"]
    assert not (await rig.view())["ratelimit"]["enabled"]
    assert not (await rig.mcp.call_tool(LIST_TICKETS, {"limit": 1})).is_error
    bad = await rig.http.post("/_sandbox/console/ratelimit", data={"enabled": "1", "limit": "0"})
    assert "limit" in httpx.URL(bad.headers["location"]).params["error"]
    assert not (await rig.view())["ratelimit"]["enabled"]


@pytest.mark.anyio
async def test_reset_restores_fixtures_and_empties_both_journals(rig: Rig):
    created = await rig.mcp.call_tool(
        "create_a_halo_itsm_ticket", {"summary": "console reset probe", "client_id": 104}
    )
    new_id = created.structured_content["result"]["id"]
    await rig.http.post("/_sandbox/console/faults", data={"path": "/api/Agent*", "status": "500"})
    response = await rig.http.post("/_sandbox/console/reset")
    assert response.status_code == 303
    view = await rig.view()
    assert view["tool_calls"] == [] and view["requests"] == [] and view["faults"] == []
    gone = await rig.mcp.call_tool("get_single_halo_itsm_ticket_by_id", {"id": new_id})
    assert gone.is_error and gone.structured_content["error"]["status"] == 404


@pytest.mark.anyio
async def test_snapshot_downloads_and_restores_through_the_console(rig: Rig):
    created = await rig.mcp.call_tool(
        "create_a_halo_itsm_ticket", {"summary": "snapshot probe", "client_id": 104}
    )
    new_id = created.structured_content["result"]["id"]
    download = await rig.http.get("/_sandbox/console/snapshot")
    assert download.status_code == 200 and "attachment" in download.headers["content-disposition"]
    await rig.http.post("/_sandbox/console/reset")
    assert (await rig.mcp.call_tool("get_single_halo_itsm_ticket_by_id", {"id": new_id})).is_error

    restored = await rig.http.post(
        "/_sandbox/console/snapshot/restore",
        files={"snapshot": ("snap.json", download.content, "application/json")},
    )
    assert "restored" in httpx.URL(restored.headers["location"]).params["notice"]
    back = await rig.mcp.call_tool("get_single_halo_itsm_ticket_by_id", {"id": new_id})
    assert not back.is_error and back.structured_content["result"]["summary"] == "snapshot probe"


@pytest.mark.parametrize(
    "content, needle",
    [
        (b"not json", "not JSON"),
        (b"", "empty"),
        (json.dumps({"format": "nope"}).encode(), "snapshot"),
    ],
)
@pytest.mark.anyio
async def test_a_bad_snapshot_upload_is_a_clear_error_and_changes_nothing(
    rig: Rig, content: bytes, needle: str
):
    created = await rig.mcp.call_tool("create_a_halo_itsm_ticket", {"summary": "keep me", "client_id": 104})
    new_id = created.structured_content["result"]["id"]
    response = await rig.http.post(
        "/_sandbox/console/snapshot/restore", files={"snapshot": ("bad.json", content, "application/json")}
    )
    assert response.status_code == 303
    assert needle in httpx.URL(response.headers["location"]).params["error"]
    kept = await rig.mcp.call_tool("get_single_halo_itsm_ticket_by_id", {"id": new_id})
    assert not kept.is_error
    no_file = await rig.http.post("/_sandbox/console/snapshot/restore", data={"x": "1"})
    assert "Choose a snapshot" in httpx.URL(no_file.headers["location"]).params["error"]


# ---------------------------------------------------------------- admin key, secrets


@pytest.mark.anyio
async def test_the_console_needs_the_admin_key_and_a_wrong_key_changes_nothing(rig: Rig):
    page = await rig.anonymous.get("/_sandbox/")
    assert page.status_code == 401 and 'name="key"' in page.text
    for path in (
        "/_sandbox/console.json",
        "/_sandbox/console/live",
        "/_sandbox/console/events",
        "/_sandbox/console/snapshot",
    ):
        response = await rig.anonymous.get(path)
        assert response.status_code == 401, path
        assert response.json()["error"]["code"] == "not_authorised"
    refused = await rig.anonymous.post("/_sandbox/console/faults", data={"path": "/api/*", "status": "500"})
    assert refused.status_code == 401
    assert (await rig.anonymous.post("/_sandbox/console/reset")).status_code == 401
    assert (await rig.view())["faults"] == []
    wrong = await rig.anonymous.post("/_sandbox/console/login", data={"key": "guess"})
    assert wrong.status_code == 401 and "not the admin key" in wrong.text
    assert COOKIE not in wrong.cookies
    bearer = await rig.anonymous.get(
        "/_sandbox/console.json", headers={"Authorization": f"Bearer {ADMIN_KEY}"}
    )
    assert bearer.status_code == 200


@pytest.mark.anyio
async def test_login_sets_a_session_cookie_that_is_not_the_key(rig: Rig):
    async with httpx.AsyncClient(
        transport=rig.anonymous._transport, base_url="http://sandbox.test"
    ) as browser:
        login = await browser.post("/_sandbox/console/login", data={"key": ADMIN_KEY})
        assert login.status_code == 303 and login.headers["location"] == "/_sandbox/"
        cookie = login.headers["set-cookie"]
        assert "httponly" in cookie.lower() and "samesite=strict" in cookie.lower()
        assert ADMIN_KEY not in cookie
        page = await browser.get("/_sandbox/")
        assert page.status_code == 200
        assert (await browser.get("/_sandbox/console.json")).status_code == 200
        session = browser.cookies[COOKIE]
        await browser.post("/_sandbox/console/logout", data={"csrf": _csrf(page.text)})
        assert (await browser.get("/_sandbox/console.json")).status_code == 401
        # Revoked on the server: replaying the old cookie does not bring the session back.
        replay = await browser.get("/_sandbox/console.json", cookies={COOKIE: session})
        assert replay.status_code == 401


def _csrf(html: str) -> str:
    import re

    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


class _signed_in:
    """A browser signed in to the console: ``async with _signed_in(rig) as (browser, csrf)``."""

    def __init__(self, rig: Rig) -> None:
        self.browser = httpx.AsyncClient(transport=rig.anonymous._transport, base_url="http://sandbox.test")

    async def __aenter__(self) -> tuple[httpx.AsyncClient, str]:
        await self.browser.post("/_sandbox/console/login", data={"key": ADMIN_KEY})
        return self.browser, _csrf((await self.browser.get("/_sandbox/")).text)

    async def __aexit__(self, *exc: object) -> None:
        await self.browser.aclose()


@pytest.mark.anyio
async def test_sessions_are_random_and_not_derived_from_the_key(rig: Rig):
    async with _signed_in(rig) as (first, _), _signed_in(rig) as (second, _):
        assert first.cookies[COOKIE] != second.cookies[COOKIE]
        assert len(first.cookies[COOKIE]) >= 40


@pytest.mark.anyio
@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "http://127.0.0.1:9999"},
        {"Origin": "null"},
        {"Origin": "http://evil.example"},
        {"Sec-Fetch-Site": "same-site"},
        {"Sec-Fetch-Site": "cross-site"},
        {},
    ],
)
async def test_cross_site_form_posts_change_nothing(rig: Rig, headers: dict[str, str]):
    """A page on another port or site posting the console's forms with the victim's cookie is refused
    (no CSRF token, and/or a foreign origin), and nothing changes."""
    async with _signed_in(rig) as (browser, _):
        for path, data in (
            ("/_sandbox/console/faults", {"path": "/api/*", "status": "500"}),
            ("/_sandbox/console/reset", {}),
            ("/_sandbox/console/ratelimit", {"limit": "1"}),
            ("/_sandbox/console/faults/clear", {}),
        ):
            response = await browser.post(path, data=data, headers=headers)
            assert response.status_code == 403, (path, response.status_code)
            assert response.json()["error"]["code"] == "cross_site"
        assert (await rig.view())["faults"] == []


@pytest.mark.anyio
async def test_the_page_with_its_token_changes_things(rig: Rig):
    async with _signed_in(rig) as (browser, csrf):
        added = await browser.post(
            "/_sandbox/console/faults",
            data={"path": "/api/*", "status": "500", "csrf": csrf},
            headers={"Origin": "http://sandbox.test", "Sec-Fetch-Site": "same-origin"},
        )
        assert added.status_code == 303 and "added" in added.headers["location"]
        assert len((await rig.view())["faults"]) == 1
        wrong = await browser.post("/_sandbox/console/faults/clear", data={"csrf": csrf[::-1]})
        assert wrong.status_code == 403


@pytest.mark.anyio
async def test_no_other_site_may_frame_the_console(rig: Rig):
    async with _signed_in(rig) as (browser, _):
        for response in (
            await browser.get("/_sandbox/"),
            await rig.anonymous.get("/_sandbox/"),
            await browser.get("/_sandbox/console.json"),
        ):
            assert response.headers["content-security-policy"] == "frame-ancestors 'none'"
            assert response.headers["x-frame-options"] == "DENY"


@pytest.mark.anyio
async def test_no_token_or_secret_reaches_the_page_or_its_json(rig: Rig):
    server, url_token = rig.registry.create_server(
        name="triage bot",
        config={"methods": ["read"], "tags": ["support"]},
        expires_at="2099-01-01T00:00:00Z",
    )
    await rig.mcp.call_tool(LIST_TICKETS, {"limit": 2})
    token = await rig.anonymous.post(
        "/auth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": rig.settings.client_id,
            "client_secret": rig.settings.client_secret,
            "scope": "all",
        },
    )
    access_token = token.json()["access_token"]
    used = await rig.anonymous.get("/api/Tickets/45920", headers={"Authorization": f"Bearer {access_token}"})
    assert used.status_code == 200
    view = await rig.view()
    [listed] = view["servers"]
    assert listed["name"] == "triage bot" and listed["config"] == {
        "methods": ["read"],
        "tags": ["support"],
        "tool_exposure": "all",
        "breadth": False,
    }
    assert listed["expires_at"].startswith("2099-01-01")
    texts = {
        "json": json.dumps(view),
        "page": (await rig.http.get("/_sandbox/")).text,
        "live": (await rig.http.get("/_sandbox/console/live")).text,
    }
    assert "triage bot" in texts["page"] and "2099-01-01" in texts["page"]
    assert "/api/Tickets/45920" in texts["page"]  # the direct request is shown, its token is not
    secrets = [ADMIN_KEY, url_token, rig.settings.client_secret, access_token]
    for where, text in texts.items():
        for secret in secrets:
            assert secret not in text, (where, secret[:6])


# ---------------------------------------------------------------- live updates


@pytest.mark.anyio
async def test_the_event_stream_reports_changes_and_stays_quiet_otherwise(rig: Rig):
    async with (
        serving(rig.app, startup_timeout=5, lifespan="off") as port,
        anyio.create_task_group() as pumping,
    ):
        base = f"http://127.0.0.1:{port}"
        async with (
            httpx.AsyncClient(base_url=base, headers={"X-Admin-Key": ADMIN_KEY}, timeout=10) as http,
            aconnect_sse(http, "GET", "/_sandbox/console/events") as source,
        ):
            assert source.response.headers["content-type"].startswith("text/event-stream")
            send, received = anyio.create_memory_object_stream[Any](10)

            async def pump() -> None:
                async for event in source.aiter_sse():
                    await send.send(event)

            pumping.start_soon(pump)
            with anyio.fail_after(5):
                first = await received.receive()
            assert first.event == "update" and first.json()["counts"]["tool_calls"] == 0
            with anyio.move_on_after(1.5) as quiet:  # nothing changed: no event (pings are comments)
                await received.receive()
            assert quiet.cancel_called
            await rig.mcp.call_tool(LIST_TICKETS, {"limit": 1})
            with anyio.fail_after(5):
                update = await received.receive()
            assert update.event == "update" and update.json()["counts"]["tool_calls"] == 1
            assert update.json()["version"] != first.json()["version"]
            pumping.cancel_scope.cancel()


@pytest.mark.anyio
async def test_what_the_agent_sent_is_shown_escaped(rig: Rig):
    probe = "<script>alert('x')</script>"
    await rig.mcp.call_tool(LIST_TICKETS, {"search": probe})
    await rig.http.post("/_sandbox/console/faults", data={"path": "/api/x", "status": "500", "tool": probe})
    assert [f["tool"] for f in (await rig.view())["faults"]] == [probe]
    for path in ("/_sandbox/", "/_sandbox/console/live"):
        text = (await rig.http.get(path)).text
        assert probe not in text and "<script>alert" not in text
        assert "&lt;script&gt;" in text or "\\u003cscript\\u003e" in text
