"""Streamable HTTP and SSE mounts, Origin/Host checks and rate-limit headers, on a real uvicorn
bound to 127.0.0.1 in-process, with an httpx.MockTransport standing in for Halo."""

import contextlib
import json
import socket

import httpx
import pytest
from mcp import Client
from mcp.client.sse import sse_client

from halo_sandbox.harness import serving
from halo_sandbox.server.mcp_app import build_mcp_server
from halo_sandbox.server.transports import mcp_asgi_app, ratelimit_headers, security_settings
from halo_sandbox.server.upstream import HaloClient

pytestmark = pytest.mark.anyio
HALO_429 = "Rate Limit Reached - 300 Requests per rolling 5 minute window"
ACCEPT = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


def _halo_handler(calls: list[str]):
    def handle(request: httpx.Request) -> httpx.Response:
        calls.append(f"{request.method} {request.url.path}")
        if request.url.path == "/auth/token":
            return httpx.Response(200, json={"access_token": "tok", "expires_in": 3600})
        if request.url.path == "/api/Tickets":
            return httpx.Response(429, text=HALO_429, headers={"Retry-After": "42"})
        if request.url.path == "/api/Tickets/1":
            return httpx.Response(200, json={"id": 1, "summary": "VPN"})
        return httpx.Response(404, json={"message": "nope"})

    return handle


@contextlib.asynccontextmanager
async def _serve(app):
    async with serving(app, startup_timeout=5) as port:
        yield f"http://127.0.0.1:{port}"


@pytest.fixture
async def sandbox():
    calls: list[str] = []
    halo = HaloClient(
        base_url="http://halo.test",
        client_id="cid",
        client_secret="s",
        transport=httpx.MockTransport(_halo_handler(calls)),
    )
    app = mcp_asgi_app(lambda: build_mcp_server(halo=halo), allowed_origins=["https://inspector.example"])
    async with _serve(app) as base:
        yield base, calls
    await halo.aclose()


async def _session(http: httpx.AsyncClient, url: str) -> dict[str, str]:
    init = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-11-25",
            "capabilities": {},
            "clientInfo": {"name": "t", "version": "1"},
        },
    }
    response = await http.post(url, json=init, headers=ACCEPT)
    assert response.status_code == 200
    headers = {
        **ACCEPT,
        "mcp-session-id": response.headers["mcp-session-id"],
        "mcp-protocol-version": "2025-11-25",
    }
    await http.post(url, json={"jsonrpc": "2.0", "method": "notifications/initialized"}, headers=headers)
    return headers


def _result(response: httpx.Response) -> dict:
    if response.headers["content-type"].startswith("text/event-stream"):
        datas = [line[5:].strip() for line in response.text.splitlines() if line.startswith("data:")]
        messages = [json.loads(d) for d in datas if d]
        return next(m for m in messages if "result" in m or "error" in m)
    return response.json()


async def test_streamable_http_serves_the_sdk_client(sandbox):
    base, calls = sandbox
    async with Client(f"{base}/mcp") as client:
        tools = (await client.list_tools()).tools
        one = await client.call_tool("get_single_halo_itsm_ticket_by_id", {"id": 1})
    assert "list_all_halo_itsm_tickets" in {t.name for t in tools}
    assert one.structured_content == {"result": {"id": 1, "summary": "VPN"}}


async def test_tool_error_with_rate_limit_fields_sets_the_http_headers(sandbox):
    base, calls = sandbox
    async with httpx.AsyncClient(timeout=10) as http:
        headers = await _session(http, f"{base}/mcp")
        calls.clear()
        call = {
            "jsonrpc": "2.0",
            "id": 2,
            "method": "tools/call",
            "params": {"name": "list_all_halo_itsm_tickets", "arguments": {}},
        }
        response = await http.post(f"{base}/mcp", json=call, headers=headers)
        api_calls = [c for c in calls if "/api/" in c]
        ok = await http.post(
            f"{base}/mcp",
            headers=headers,
            json={
                "jsonrpc": "2.0",
                "id": 3,
                "method": "tools/call",
                "params": {"name": "get_single_halo_itsm_ticket_by_id", "arguments": {"id": 1}},
            },
        )
        listing = await http.post(
            f"{base}/mcp", json={"jsonrpc": "2.0", "id": 4, "method": "tools/list"}, headers=headers
        )
    assert response.status_code == 200
    result = _result(response)["result"]
    assert result["isError"] is True
    error = result["structuredContent"]["error"]
    assert (error["status"], error["body"]) == (429, HALO_429)
    assert error["ratelimit"] == {"limit": 300, "remaining": 0, "reset": 42}
    assert response.headers["ratelimit-limit"] == "300"
    assert response.headers["ratelimit-remaining"] == "0"
    assert response.headers["ratelimit-reset"] == "42"
    assert response.headers["retry-after"] == "42"
    assert api_calls == ["GET /api/Tickets"]  # exactly one upstream request, no retry
    assert _result(ok)["result"]["isError"] is False and "ratelimit-limit" not in ok.headers
    assert listing.status_code == 200 and "ratelimit-limit" not in listing.headers


async def test_foreign_origin_and_host_are_refused_everywhere(sandbox):
    base, _ = sandbox
    init = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "initialize",
        "params": {
            "protocolVersion": "2025-11-25",
            "capabilities": {},
            "clientInfo": {"name": "t", "version": "1"},
        },
    }
    async with httpx.AsyncClient(timeout=10) as http:
        evil = await http.post(
            f"{base}/mcp", json=init, headers={**ACCEPT, "Origin": "http://evil.example.com"}
        )
        rebound = await http.post(f"{base}/mcp", json=init, headers={**ACCEPT, "Host": "evil.example.com"})
        sse_evil = await http.get(f"{base}/sse", headers={"Origin": "http://evil.example.com"})
        local = await http.post(
            f"{base}/mcp", json=init, headers={**ACCEPT, "Origin": "http://localhost:6274"}
        )
        allowed = await http.post(
            f"{base}/mcp", json=init, headers={**ACCEPT, "Origin": "https://inspector.example"}
        )
    assert evil.status_code == 403
    assert rebound.status_code == 421
    assert sse_evil.status_code == 403
    assert local.status_code == 200 and allowed.status_code == 200


async def test_legacy_sse_transport_serves_the_same_tools(sandbox):
    base, _ = sandbox
    async with Client(sse_client(f"{base}/sse"), mode="legacy") as client:
        tools = (await client.list_tools()).tools
        one = await client.call_tool("get_single_halo_itsm_ticket_by_id", {"id": 1})
        limited = await client.call_tool("list_all_halo_itsm_tickets", {})
    assert "create_a_halo_itsm_ticket" in {t.name for t in tools}
    assert one.structured_content["result"]["summary"] == "VPN"
    assert limited.is_error and limited.structured_content["error"]["retry_after"] == 42


def test_ratelimit_headers_come_from_meta_or_the_error():
    from_error = {
        "structuredContent": {
            "error": {"ratelimit": {"limit": 10, "remaining": 0, "reset": 5}, "retry_after": None}
        }
    }
    from_meta = {
        "_meta": {
            "halo-sandbox/ratelimit": {
                "ratelimit": {"limit": 300, "remaining": 299, "reset": None},
                "retry_after": 3,
            }
        }
    }
    assert ratelimit_headers(from_error) == {
        "ratelimit-limit": "10",
        "ratelimit-remaining": "0",
        "ratelimit-reset": "5",
    }
    assert ratelimit_headers(from_meta) == {
        "ratelimit-limit": "300",
        "ratelimit-remaining": "299",
        "retry-after": "3",
    }
    assert ratelimit_headers({"structuredContent": {"result": []}}) == {}


def test_security_settings_refuse_bad_origins_and_accept_a_public_bind():
    with pytest.raises(ValueError, match="http:// or https://"):
        security_settings(allowed_origins=["evil.example.com"])
    settings = security_settings(host="10.0.0.5")
    assert "10.0.0.5:*" in settings.allowed_hosts and "localhost:*" in settings.allowed_hosts


def test_wildcard_bind_accepts_this_machines_names_as_host():
    settings = security_settings(host="0.0.0.0")
    assert f"{socket.gethostname()}:*" in settings.allowed_hosts
    assert "0.0.0.0:*" not in settings.allowed_hosts


async def _echo_app(scope, receive, send):
    body = b""
    while True:
        message = await receive()
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    await send(
        {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]}
    )
    result = {
        "jsonrpc": "2.0",
        "id": 1,
        "result": {
            "structuredContent": {
                "error": {"ratelimit": {"limit": 5, "remaining": 0, "reset": 9}, "retry_after": 9}
            },
            "isError": True,
        },
    }
    await send({"type": "http.response.body", "body": json.dumps(result).encode(), "more_body": True})
    await send({"type": "http.response.body", "body": b"", "more_body": False})


@pytest.mark.parametrize(
    ("body", "buffered"),
    [
        (json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "x"}}), True),
        (json.dumps([{"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "x"}}]), True),
        (json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}), False),
        ("not json", False),
        (
            json.dumps({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"pad": "x" * 200}}),
            False,
        ),
    ],
)
async def test_only_tool_calls_within_the_size_limit_get_the_headers(body: str, buffered: bool):
    from halo_sandbox.server.transports import RateLimitHeaders

    app = RateLimitHeaders(_echo_app, max_body_size=150)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
        response = await http.post("/mcp", content=body, headers={"content-type": "application/json"})
    assert response.status_code == 200 and response.json()["id"] == 1  # the body always arrives intact
    assert ("ratelimit-limit" in response.headers) is buffered
    if buffered:
        assert (response.headers["ratelimit-remaining"], response.headers["retry-after"]) == ("0", "9")
