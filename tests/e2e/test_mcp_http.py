"""`halo-sandbox up` over Streamable HTTP: the SDK client, resources and prompts on live mock data,
a scripted 429 passed through with its rate-limit headers, Origin checks, provisioned servers."""

from __future__ import annotations

import json

import httpx
import mcp_types
import pytest
from mcp import Client

from tests._jsonrpc import ACCEPT, initialize
from tests._sandbox import Sandbox

pytestmark = [pytest.mark.e2e, pytest.mark.anyio]

HALO_429 = "Rate Limit Reached - 300 Requests per rolling 5 minute window"
INIT = initialize("2025-11-25", client="e2e")


def _rpc_result(response: httpx.Response) -> dict:
    if response.headers["content-type"].startswith("text/event-stream"):
        datas = [line[5:].strip() for line in response.text.splitlines() if line.startswith("data:")]
        return next(m for m in (json.loads(d) for d in datas if d) if "result" in m or "error" in m)
    return response.json()


async def test_sdk_client_sees_tools_resources_and_prompts_on_live_data(sandbox: Sandbox):
    async with Client(sandbox.mcp_url) as client:
        tools = {t.name for t in (await client.list_tools()).tools}
        resources = {str(r.uri) for r in (await client.list_resources()).resources}
        prompts = {p.name for p in (await client.list_prompts()).prompts}
        teams = await client.read_resource("halo://lookups/teams")
        ticket = await client.read_resource("halo://tickets/45920")
        names = await client.complete(
            mcp_types.PromptReference(name="triage_request"), {"name": "client", "value": "wayne"}
        )
        ids = await client.complete(
            mcp_types.ResourceTemplateReference(uri="halo://tickets/{id}"), {"name": "id", "value": "4592"}
        )
    assert {"list_all_halo_itsm_tickets", "create_a_halo_itsm_ticket", "list_all_halo_itsm_quotes"} <= tools
    assert "halo://lookups/teams" in resources and prompts == {"triage_request", "project_health"}
    assert json.loads(teams.contents[0].text) == sandbox.api("/Team")
    assert json.loads(ticket.contents[0].text)["id"] == sandbox.api("/Tickets/45920")["id"]
    wayne = [c["name"] for c in sandbox.api_all("/Client", "clients") if "wayne" in c["name"].lower()]
    assert wayne and sorted(names.completion.values) == sorted(wayne)
    existing = {str(t["id"]) for t in sandbox.api_all("/Tickets", "tickets")}
    assert "45920" in ids.completion.values and set(ids.completion.values) <= existing
    assert all("4592" in v for v in ids.completion.values)


async def test_scripted_429_is_passed_through_once_with_ratelimit_headers(sandbox: Sandbox):
    sandbox.admin(
        "POST",
        "/faults",
        json={
            "method": "GET",
            "path": "/api/Tickets",
            "status": 429,
            "body": HALO_429,
            "headers": {"Retry-After": "42"},
            "times": 1,
        },
    )
    async with httpx.AsyncClient(base_url=sandbox.base, timeout=30) as http:
        opened = await http.post("/mcp", json=INIT, headers=ACCEPT)
        headers = {
            **ACCEPT,
            "mcp-session-id": opened.headers["mcp-session-id"],
            "mcp-protocol-version": "2025-11-25",
        }
        await http.post(
            "/mcp", json={"jsonrpc": "2.0", "method": "notifications/initialized"}, headers=headers
        )
        response = await http.post(
            "/mcp",
            headers=headers,
            json={
                "jsonrpc": "2.0",
                "id": 2,
                "method": "tools/call",
                "params": {"name": "list_all_halo_itsm_tickets", "arguments": {"limit": 5}},
            },
        )
    result = _rpc_result(response)["result"]
    error = result["structuredContent"]["error"]
    assert result["isError"] is True
    assert (error["status"], error["message"], error["body"]) == (429, HALO_429, HALO_429)
    # normalised from the mock's X-RateLimit-* headers and the scripted Retry-After
    limits = error["ratelimit"]
    assert (
        limits["limit"] == 300 and isinstance(limits["remaining"], int) and isinstance(limits["reset"], int)
    )
    assert error["retry_after"] == 42
    # ... and the same fields are on the HTTP response that carried the result
    assert response.headers["ratelimit-limit"] == str(limits["limit"])
    assert response.headers["ratelimit-remaining"] == str(limits["remaining"])
    assert response.headers["ratelimit-reset"] == str(limits["reset"])
    assert response.headers["retry-after"] == "42"
    calls = sandbox.journal(tool="list_all_halo_itsm_tickets")
    assert [(c["method"], c["path"], c["status"]) for c in calls] == [("GET", "/api/Tickets", 429)]
    assert calls[0]["fault"] is not None

    # the fault fired once; the same call now succeeds (the caller owns the retry)
    async with Client(sandbox.mcp_url) as client:
        again = await client.call_tool("list_all_halo_itsm_tickets", {"limit": 5})
    assert again.is_error is False and len(again.structured_content["result"]) == 5


async def test_foreign_origin_is_refused_and_changes_nothing(sandbox: Sandbox):
    evil = {"Origin": "http://evil.example.com"}
    async with httpx.AsyncClient(base_url=sandbox.base, timeout=30) as http:
        post = await http.post("/mcp", json=INIT, headers={**ACCEPT, **evil})
        sse = await http.get("/sse", headers=evil)
        rebound = await http.post("/mcp", json=INIT, headers={**ACCEPT, "Host": "evil.example.com"})
        local = await http.post(
            "/mcp", json=INIT, headers={**ACCEPT, "Origin": f"http://localhost:{sandbox.port}"}
        )
    assert (post.status_code, sse.status_code, rebound.status_code) == (403, 403, 421)
    assert local.status_code == 200
    assert sandbox.journal() == []  # nothing reached Halo


async def test_provisioned_server_is_filtered_and_origin_checked(sandbox: Sandbox):
    created = sandbox.admin(
        "POST",
        "/integrated-account/sandbox/mcp",
        json={"name": "support-readonly", "config": {"methods": ["read"], "tags": ["support"]}},
    )
    url = created.json()["url"]
    assert url.startswith(f"{sandbox.base}/mcp/")
    async with Client(url) as client:
        tools = {t.name for t in (await client.list_tools()).tools}
        ticket = await client.call_tool("get_single_halo_itsm_ticket_by_id", {"id": 45920})
    assert "list_all_halo_itsm_tickets" in tools and "create_a_halo_itsm_ticket" not in tools
    assert "list_all_halo_itsm_clients" not in tools
    assert ticket.structured_content["result"]["id"] == 45920
    async with httpx.AsyncClient(timeout=30) as http:
        refused = await http.post(url, json=INIT, headers={**ACCEPT, "Origin": "http://evil.example.com"})
    assert refused.status_code == 403


def test_mcp_command_serves_http_against_the_sandbox(sandbox: Sandbox):
    import anyio

    from halo_sandbox.harness import start
    from tests._sandbox import CLIENT_ID, CLIENT_SECRET

    with start(
        "mcp",
        "--transport",
        "http",
        "--halo-url",
        sandbox.base,
        "--client-id",
        CLIENT_ID,
        "--client-secret",
        CLIENT_SECRET,
        "--tags",
        "billing",
        timeout=30,
    ) as mcp:

        async def use() -> tuple[set[str], dict]:
            async with Client(mcp.mcp_url) as client:
                tools = {t.name for t in (await client.list_tools()).tools}
                quotes = await client.call_tool("list_all_halo_itsm_quotes", {"awaiting_approval": True})
            return tools, quotes.structured_content

        tools, quotes = anyio.run(use)
    assert tools and all("quote" in t or "invoice" in t or "contract" in t for t in tools)
    expected = {q["id"] for q in sandbox.api_all("/Quotation", "quotes") if q["approvalstate"] == 0}
    assert {q["id"] for q in quotes["result"]} == expected


async def test_modern_sdk_client_gets_the_ratelimit_headers_too(sandbox: Sandbox):
    import httpx2
    from mcp.client.streamable_http import streamable_http_client

    sandbox.admin(
        "POST",
        "/faults",
        json={
            "method": "GET",
            "path": "/api/Quotation",
            "status": 429,
            "body": HALO_429,
            "headers": {"Retry-After": "7"},
            "times": 1,
        },
    )
    seen: list[httpx2.Response] = []

    async def keep(response: httpx2.Response) -> None:
        seen.append(response)

    http = httpx2.AsyncClient(event_hooks={"response": [keep]}, timeout=30)
    async with http, Client(streamable_http_client(sandbox.mcp_url, http_client=http), cache=None) as client:
        limited = await client.call_tool("list_all_halo_itsm_quotes", {})
        version = client.protocol_version
    assert version not in ("2025-11-25", "2025-06-18", "2025-03-26")  # the 2026 per-request era
    assert limited.is_error and limited.structured_content["error"]["retry_after"] == 7
    carrying = [r for r in seen if r.request.method == "POST" and "retry-after" in r.headers]
    assert len(carrying) == 1, (version, [dict(r.headers) for r in seen])
    limits = limited.structured_content["error"]["ratelimit"]
    assert carrying[0].headers["retry-after"] == "7"
    assert carrying[0].headers["ratelimit-limit"] == str(limits["limit"])
    assert carrying[0].headers["ratelimit-remaining"] == str(limits["remaining"])


async def test_dropped_connection_faults_in_the_composed_sandbox(sandbox: Sandbox):
    sandbox.admin(
        "POST", "/faults", json={"method": "GET", "path": "/api/Client/104", "drop": True, "times": 2}
    )
    sandbox.api("/Status")  # get a token first; the drop rule only matches the client read
    with pytest.raises(httpx.RemoteProtocolError):  # a direct caller sees the socket closed
        sandbox.api("/Client/104")
    async with Client(sandbox.mcp_url) as client:  # the MCP server sees Halo unreachable, once, no retry
        dropped = await client.call_tool("get_single_halo_itsm_client_by_id", {"id": 104})
        after = await client.call_tool("get_single_halo_itsm_client_by_id", {"id": 104})
    assert dropped.is_error and dropped.structured_content["error"]["status"] is None
    assert after.structured_content["result"]["name"] == sandbox.api("/Client/104")["name"]
    calls = sandbox.journal(tool="get_single_halo_itsm_client_by_id")
    assert sorted(c["status"] or 0 for c in calls) == [0, 200]


def test_up_prints_how_to_connect(sandbox: Sandbox):
    banner = sandbox.banner
    assert f"claude mcp add --transport http halo {sandbox.mcp_url}" in banner
    assert f"{sandbox.sse_url}" in banner and "claude_desktop_config.json" in banner
    assert '"mcpServers"' in banner and f'"{sandbox.base}"' in banner
    assert "halo-sandbox-secret" in banner and "agent@sandbox.local" in banner
    # The admin key came from the environment: the user has it, the banner (often pasted or logged) does not.
    assert "e2e-admin-key" not in banner and "not shown" in banner


def test_every_route_of_the_real_process_checks_host_and_origin(sandbox: Sandbox):
    for path in ("/api/authinfo", "/auth/token", "/_sandbox/tenants", "/_sandbox/", "/mcp", "/sse"):
        rebound = httpx.get(f"{sandbox.base}{path}", headers={"Host": "attacker.example"}, timeout=5)
        assert rebound.status_code == 421, path
        cross = httpx.post(f"{sandbox.base}{path}", headers={"Origin": "http://attacker.example"}, timeout=5)
        assert cross.status_code == 403, path


async def test_the_mocks_real_rate_limiter_reaches_the_client(sandbox: Sandbox):
    sandbox.admin("PUT", "/ratelimit", json={"enabled": True, "limit": 3, "window_seconds": 300})
    try:
        async with httpx.AsyncClient(base_url=sandbox.base, timeout=30) as http:
            opened = await http.post("/mcp", json=INIT, headers=ACCEPT)
            headers = {
                **ACCEPT,
                "mcp-session-id": opened.headers["mcp-session-id"],
                "mcp-protocol-version": "2025-11-25",
            }
            await http.post(
                "/mcp", json={"jsonrpc": "2.0", "method": "notifications/initialized"}, headers=headers
            )
            answers = []
            for n in range(6):
                response = await http.post(
                    "/mcp",
                    headers=headers,
                    json={
                        "jsonrpc": "2.0",
                        "id": 10 + n,
                        "method": "tools/call",
                        "params": {"name": "get_single_halo_itsm_client_by_id", "arguments": {"id": 104}},
                    },
                )
                answers.append((response, _rpc_result(response)["result"]))
    finally:
        sandbox.admin("PUT", "/ratelimit", json={"enabled": True, "limit": 300, "window_seconds": 300})
    ok = [(r, res) for r, res in answers if not res["isError"]]
    limited = [(r, res) for r, res in answers if res["isError"]]
    assert ok and limited and len(ok) <= 3
    assert [res["isError"] for _, res in answers] == sorted(
        res["isError"] for _, res in answers
    )  # ok, then 429s
    # successful calls carry the upstream limiter's state too, counting down
    remaining = [int(r.headers["ratelimit-remaining"]) for r, _ in ok]
    assert all(r.headers["ratelimit-limit"] == "3" for r, _ in ok)
    assert remaining == sorted(remaining, reverse=True) and len(set(remaining)) == len(remaining)
    response, result = limited[0]
    error = result["structuredContent"]["error"]
    assert error["status"] == 429 and "Rate Limit" in error["message"]
    assert error["ratelimit"]["limit"] == 3 and error["ratelimit"]["remaining"] == 0
    assert error["retry_after"] == error["ratelimit"]["reset"] > 0
    assert response.headers["ratelimit-limit"] == "3" and response.headers["ratelimit-remaining"] == "0"
    assert response.headers["retry-after"] == str(error["retry_after"])
    statuses = [c["status"] for c in sandbox.journal(tool="get_single_halo_itsm_client_by_id")]
    assert sorted(statuses) == sorted([200] * len(ok) + [429] * len(limited))  # one request per call


async def test_the_builtin_server_has_its_own_oauth_client(sandbox: Sandbox):
    """Someone using the printed credentials has a rate-limit bucket of their own, not the MCP server's."""
    async with Client(sandbox.mcp_url) as client:
        result = await client.call_tool("get_single_halo_itsm_client_by_id", {"id": 104})
    assert not result.is_error
    clients = {e["client"] for e in sandbox.journal(tool="get_single_halo_itsm_client_by_id")}
    assert clients == {"halo-sandbox-mcp"}
    sandbox.api("/Client/104")  # with the printed credentials
    buckets = sandbox.admin("GET", "/ratelimit").json()["clients"]
    assert {"halo-sandbox", "halo-sandbox-mcp"} <= set(buckets)


async def test_an_expired_token_costs_the_builtin_server_one_login(sandbox: Sandbox):
    """The built-in server reaches its in-process mock as an OAuth client: when the mock expires its
    token, the next tool call is refused (401), logs in again and is replayed once."""

    def logins() -> int:
        own = sandbox.journal(client="halo-sandbox-mcp")
        return sum(1 for e in own if e["method"] == "POST" and e["path"] == "/auth/token")

    async with Client(sandbox.mcp_url) as client:
        first = await client.call_tool("get_single_halo_itsm_client_by_id", {"id": 104})
        before = logins()
        expired = sandbox.admin("POST", "/tokens/expire", json={"client_id": "halo-sandbox-mcp"}).json()
        second = await client.call_tool("get_single_halo_itsm_client_by_id", {"id": 104})
    assert not first.is_error and not second.is_error and expired["expired"] >= 1
    assert logins() == before + 1
    statuses = [c["status"] for c in sandbox.journal(tool="get_single_halo_itsm_client_by_id")]
    assert sorted(statuses) == [200, 200, 401]
