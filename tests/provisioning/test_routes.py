"""The provisioning admin API and `/mcp/{token}`, driven over ASGI with httpx and the SDK client."""

from __future__ import annotations

import contextlib
import json
import logging
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import httpx2
import mcp_types as types
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.server.lowlevel import Server
from starlette.applications import Starlette

from halo_sandbox.provisioning.registry import Registry
from halo_sandbox.provisioning.routes import build_routes

BASE = "http://127.0.0.1:8765"
ADMIN = "admin-key-for-tests-0123456789"
T0 = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def access_log(caplog, monkeypatch):
    """uvicorn's access logger, wired to caplog whatever logging config earlier tests left behind."""
    logger = logging.getLogger("uvicorn.access")
    monkeypatch.setattr(logger, "disabled", False)
    monkeypatch.setattr(logger, "propagate", True)
    monkeypatch.setattr(logger, "level", logging.INFO)
    caplog.set_level(logging.DEBUG)
    return logger


class Clock:
    def __init__(self) -> None:
        self.value = T0

    def __call__(self) -> datetime:
        return self.value


class FakeHalo:
    """Stands in for the upstream client: records which account a server is bound to."""

    def __init__(self, account: str) -> None:
        self.account = account


def stand_in_server(*, halo: Any, tools: list[Any], exposure: str = "all") -> Server:
    """A minimal `build_server` seam: lists exactly `tools`, refuses others as unknown."""
    by_name = {t.name: t for t in tools}

    async def list_tools(ctx: Any, params: Any) -> types.ListToolsResult:
        return types.ListToolsResult(tools=[t.tool for t in tools])

    async def call_tool(ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        if params.name not in by_name:
            return types.CallToolResult(
                content=[types.TextContent(type="text", text=f"Unknown tool: {params.name}")], is_error=True
            )
        record = {"tool": params.name, "account": halo.account}
        structured = {"result": [record], "next_cursor": None}
        return types.CallToolResult(
            content=[types.TextContent(type="text", text=json.dumps(record))], structured_content=structured
        )

    return Server("provisioned", on_list_tools=list_tools, on_call_tool=call_tool)


class Sandbox:
    def __init__(self, tmp_path: Path, *, stand_ins: bool = True) -> None:
        """With ``stand_ins=False`` the default seams run: `build_mcp_server` and a `HaloClient`
        built from a registered account's stored credentials."""
        self.clock = Clock()
        self.registry = Registry(tmp_path / "state", now=self.clock)
        self.bound: list[str] = []
        seams: dict[str, Any] = {"build_server": stand_in_server, "halo_for_credentials": self._real_halo}
        self.routes = build_routes(
            self.registry,
            admin_key=ADMIN,
            halo_for_account=self._halo,
            base_url=BASE,
            **(seams if stand_ins else {}),
        )
        self.app = Starlette(routes=list(self.routes))
        self.responses: list[str] = []

    def _halo(self, account: str) -> FakeHalo:
        self.bound.append(account)
        return FakeHalo(account)

    def _real_halo(self, credentials: Any) -> FakeHalo:
        return FakeHalo("registered:" + credentials.halo_url)

    def http(self, **headers: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app), base_url=BASE, headers=headers)

    async def admin(
        self, method: str, path: str, body: Any = None, *, key: str | None = ADMIN, raw: bytes | None = None
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {key}"} if key is not None else {}
        async with self.http(**headers) as http:
            if raw is not None:
                response = await http.request(
                    method, path, content=raw, headers={"content-type": "application/json"}
                )
            else:
                response = await http.request(method, path, json=body)
        self.responses.append(response.text)
        return response

    async def provision(self, account: str = "sandbox", **body: Any) -> dict[str, Any]:
        body.setdefault("name", "support-ro")
        response = await self.admin("POST", f"/_sandbox/integrated-account/{account}/mcp", body)
        assert response.status_code == 201, response.text
        return response.json()

    @contextlib.asynccontextmanager
    async def mcp(self, url: str, **headers: str) -> AsyncIterator[Client]:
        http = httpx2.AsyncClient(transport=httpx2.ASGITransport(app=self.app), headers=headers)
        async with http, Client(streamable_http_client(url, http_client=http), cache=None) as client:
            yield client

    async def post_mcp(self, url: str, **headers: str) -> httpx.Response:
        """A raw JSON-RPC ping to a provisioned URL (to read the HTTP status)."""
        async with self.http(**headers) as http:
            response = await http.post(
                url,
                json={"jsonrpc": "2.0", "id": 1, "method": "ping"},
                headers={"accept": "application/json, text/event-stream"},
            )
        self.responses.append(response.text)
        return response


@pytest.fixture
async def sandbox(tmp_path: Path) -> AsyncIterator[Sandbox]:
    box = Sandbox(tmp_path)
    async with box.routes.lifespan(box.app):
        yield box
    box.registry.close()


def _token(url: str) -> str:
    return url.rsplit("/mcp/", 1)[1]


# ------------------------------------------------------------ admin API


@pytest.mark.anyio
async def test_create_returns_201_with_a_one_time_url(sandbox):
    created = await sandbox.provision(
        config={"methods": ["read"], "tags": ["support"]}, expires_at="2030-02-01T00:00:00Z"
    )
    assert {"id", "name", "config", "expires_at", "url"} <= set(created)
    assert created["config"] == {
        "methods": ["read"],
        "tags": ["support"],
        "tool_exposure": "all",
        "breadth": False,
    }
    assert created["expires_at"] == "2030-02-01T00:00:00Z"
    assert created["url"].startswith(f"{BASE}/mcp/")
    assert len(_token(created["url"])) >= 43

    listed = (await sandbox.admin("GET", "/_sandbox/integrated-account/sandbox/mcp")).json()
    assert [s["id"] for s in listed] == [created["id"]]
    shown = (await sandbox.admin("GET", f"/_sandbox/integrated-account/sandbox/mcp/{created['id']}")).json()
    for record in (*listed, shown):
        assert "url" not in record
        assert _token(created["url"]) not in json.dumps(record)


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "x", "config": {"methods": ["read", "purge"]}}, "config.methods"),
        ({"name": "x", "config": {"tags": ["support", "payroll"]}}, "config.tags"),
        ({"name": "x", "config": {"methods": ["create"], "tags": ["lookups"]}}, "config"),
        ({"name": "x", "expires_at": "2029-12-31T00:00:00Z"}, "expires_at"),
        ({"name": "x", "expires_at": "31/12/2030"}, "expires_at"),
        ({"name": "x", "require_api_token_auth": "true"}, "require_api_token_auth"),
        ({"config": {"methods": ["read"]}}, "name"),
        ({"name": "x", "colour": "blue"}, "colour"),
        ([1, 2], "body"),
    ],
)
async def test_bad_create_is_400_naming_the_field_and_changes_nothing(sandbox, body, field):
    response = await sandbox.admin("POST", "/_sandbox/integrated-account/sandbox/mcp", body)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["field"] == field
    assert field in error["message"]
    assert (await sandbox.admin("GET", "/_sandbox/integrated-account/sandbox/mcp")).json() == []


@pytest.mark.anyio
async def test_malformed_json_is_400(sandbox):
    response = await sandbox.admin("POST", "/_sandbox/integrated-account/sandbox/mcp", raw=b"{not json")
    assert response.status_code == 400
    assert response.json()["error"]["field"] == "body"


@pytest.mark.anyio
@pytest.mark.parametrize("key", [None, "", "wrong-key", ADMIN + "x"])
async def test_admin_routes_need_the_admin_key(sandbox, key):
    created = await sandbox.provision()
    sid = created["id"]
    calls = [
        ("POST", "/_sandbox/integrated-account/sandbox/mcp", {"name": "intruder"}),
        ("GET", "/_sandbox/integrated-account/sandbox/mcp", None),
        ("GET", f"/_sandbox/integrated-account/sandbox/mcp/{sid}", None),
        ("PATCH", f"/_sandbox/integrated-account/sandbox/mcp/{sid}", {"name": "renamed"}),
        ("DELETE", f"/_sandbox/integrated-account/sandbox/mcp/{sid}", None),
        (
            "PUT",
            "/_sandbox/integrated-account/acme",
            {"halo_url": "https://x.test", "client_id": "c", "client_secret": "s"},
        ),
        ("POST", "/_sandbox/api-tokens", {"name": "intruder"}),
        ("GET", "/_sandbox/api-tokens", None),
    ]
    for method, path, body in calls:
        response = await sandbox.admin(method, path, body, key=key)
        assert response.status_code == 401, (method, path)
        assert "Bearer" in response.headers["www-authenticate"]
    servers = (await sandbox.admin("GET", "/_sandbox/integrated-account/sandbox/mcp")).json()
    assert [(s["id"], s["name"]) for s in servers] == [(sid, "support-ro")]
    assert (await sandbox.admin("GET", "/_sandbox/api-tokens")).json() == []
    assert (await sandbox.admin("GET", "/_sandbox/integrated-account")).json() == []


@pytest.mark.anyio
async def test_the_admin_key_header_form_is_accepted(sandbox):
    async with sandbox.http(**{"X-Admin-Key": ADMIN}) as http:
        assert (await http.get("/_sandbox/api-tokens")).status_code == 200
    async with sandbox.http(**{"X-Admin-Key": "wrong"}) as http:
        assert (await http.get("/_sandbox/api-tokens")).status_code == 401


@pytest.mark.anyio
async def test_patch_renames_and_refilters_and_delete_revokes(sandbox):
    created = await sandbox.provision(config={"methods": ["read"], "tags": ["support"]})
    path = f"/_sandbox/integrated-account/sandbox/mcp/{created['id']}"
    patched = await sandbox.admin(
        "PATCH",
        path,
        {"name": "billing-ro", "config": {"tags": ["billing"]}, "expires_at": "2030-03-01T00:00:00+00:00"},
    )
    assert patched.status_code == 200
    assert patched.json()["name"] == "billing-ro"
    assert patched.json()["config"] == {
        "methods": ["read"],
        "tags": ["billing"],
        "tool_exposure": "all",
        "breadth": False,
    }
    assert patched.json()["expires_at"] == "2030-03-01T00:00:00Z"

    bad = await sandbox.admin("PATCH", path, {"config": {"methods": ["explode"]}})
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "config.methods"
    assert (await sandbox.admin("GET", path)).json()["config"]["methods"] == ["read"]

    assert (
        await sandbox.admin("GET", f"/_sandbox/integrated-account/other/mcp/{created['id']}")
    ).status_code == 404
    assert (await sandbox.admin("DELETE", path)).status_code == 204
    assert (await sandbox.admin("GET", path)).status_code == 404
    assert (await sandbox.admin("DELETE", path)).status_code == 404
    assert (await sandbox.post_mcp(created["url"])).status_code == 404


@pytest.mark.anyio
async def test_api_tokens_create_list_revoke(sandbox):
    created = await sandbox.admin("POST", "/_sandbox/api-tokens", {"name": "contractor"})
    assert created.status_code == 201
    token = created.json()["token"]
    listed = await sandbox.admin("GET", "/_sandbox/api-tokens")
    assert [t["name"] for t in listed.json()] == ["contractor"]
    assert token not in listed.text
    bad = await sandbox.admin("POST", "/_sandbox/api-tokens", {"name": "x", "expires_at": "soon"})
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "expires_at"
    assert (await sandbox.admin("DELETE", f"/_sandbox/api-tokens/{created.json()['id']}")).status_code == 204
    assert (await sandbox.admin("GET", "/_sandbox/api-tokens")).json() == []
    assert (await sandbox.admin("DELETE", f"/_sandbox/api-tokens/{created.json()['id']}")).status_code == 404


@pytest.mark.anyio
async def test_integrated_account_never_returns_its_secret(sandbox):
    body = {
        "halo_url": "https://acme.example.test",
        "client_id": "acme-client",
        "client_secret": "acme-very-secret",
        "tenant": "acme",
    }
    put = await sandbox.admin("PUT", "/_sandbox/integrated-account/acme", body)
    assert put.status_code == 200
    assert put.json() == {
        "account": "acme",
        "halo_url": "https://acme.example.test",
        "client_id": "acme-client",
        "tenant": "acme",
        "kind": "halo",
    }
    assert (await sandbox.admin("GET", "/_sandbox/integrated-account/acme")).json()["kind"] == "halo"
    assert (await sandbox.admin("GET", "/_sandbox/integrated-account/sandbox")).json() == {
        "account": "sandbox",
        "kind": "mock",
    }
    bad = await sandbox.admin("PUT", "/_sandbox/integrated-account/acme", {**body, "halo_url": "acme"})
    assert bad.status_code == 400 and bad.json()["error"]["field"] == "halo_url"
    assert (await sandbox.admin("GET", "/_sandbox/integrated-account/acme")).json()[
        "halo_url"
    ] == "https://acme.example.test"
    assert all("acme-very-secret" not in text for text in sandbox.responses)
    in_use = await sandbox.provision(account="acme")
    conflict = await sandbox.admin("DELETE", "/_sandbox/integrated-account/acme")
    assert conflict.status_code == 409 and in_use["id"] in conflict.json()["error"]["message"]
    await sandbox.admin("DELETE", f"/_sandbox/integrated-account/acme/mcp/{in_use['id']}")
    assert (await sandbox.admin("DELETE", "/_sandbox/integrated-account/acme")).status_code == 204
    assert (await sandbox.admin("GET", "/_sandbox/integrated-account/acme")).json()["kind"] == "mock"


# ------------------------------------------------------------ /mcp/{token}


@pytest.mark.anyio
async def test_tools_list_shows_only_what_the_filters_allow(sandbox):
    created = await sandbox.provision(config={"methods": ["read"], "tags": ["support"]})
    async with sandbox.mcp(created["url"]) as client:
        names = {t.name for t in (await client.list_tools()).tools}
        assert "list_all_halo_itsm_tickets" in names
        assert "get_single_halo_itsm_ticket_by_id" in names
        assert not any(n.startswith(("create_", "update_", "delete_")) for n in names)
        assert "list_all_halo_itsm_invoices" not in names
        result = await client.call_tool("list_all_halo_itsm_tickets", {})
        assert not result.is_error
        assert json.loads(result.content[0].text) == {
            "tool": "list_all_halo_itsm_tickets",
            "account": "sandbox",
        }


@pytest.mark.anyio
async def test_each_account_gets_its_own_upstream(sandbox):
    await sandbox.admin(
        "PUT",
        "/_sandbox/integrated-account/acme",
        {"halo_url": "https://acme.example.test", "client_id": "c", "client_secret": "s"},
    )
    mock_b = await sandbox.provision(account="tenant-b", config={"tags": ["support"]})
    acme = await sandbox.provision(account="acme", config={"tags": ["support"]})
    for created, account in ((mock_b, "tenant-b"), (acme, "registered:https://acme.example.test")):
        async with sandbox.mcp(created["url"]) as client:
            result = await client.call_tool("list_all_halo_itsm_tickets", {})
            assert json.loads(result.content[0].text)["account"] == account


@pytest.mark.anyio
async def test_unknown_token_is_404(sandbox):
    await sandbox.provision()
    assert (
        await sandbox.post_mcp(f"{BASE}/mcp/not-a-real-token-not-a-real-token-not-a-real")
    ).status_code == 404


@pytest.mark.anyio
async def test_patch_changes_what_a_live_url_serves(sandbox):
    created = await sandbox.provision(config={"methods": ["read"], "tags": ["support"]})
    async with sandbox.mcp(created["url"]) as client:
        assert "list_all_halo_itsm_invoices" not in {t.name for t in (await client.list_tools()).tools}
    await sandbox.admin(
        "PATCH",
        f"/_sandbox/integrated-account/sandbox/mcp/{created['id']}",
        {"config": {"tags": ["billing"]}},
    )
    async with sandbox.mcp(created["url"]) as client:
        names = {t.name for t in (await client.list_tools()).tools}
    assert "list_all_halo_itsm_invoices" in names
    assert "list_all_halo_itsm_tickets" not in names


@pytest.mark.anyio
async def test_expired_url_answers_404_and_the_sweep_purges_it(sandbox):
    created = await sandbox.provision(expires_at="2030-01-01T13:00:00Z")
    async with sandbox.mcp(created["url"]) as client:
        assert (await client.list_tools()).tools
    sandbox.clock.value = T0 + timedelta(hours=1)
    assert (await sandbox.post_mcp(created["url"])).status_code == 404
    assert (await sandbox.admin("GET", "/_sandbox/integrated-account/sandbox/mcp")).json() == []
    assert sandbox.routes.sweep() == [created["id"]]
    assert sandbox.routes.sweep() == []
    assert (await sandbox.post_mcp(created["url"])).status_code == 404


@pytest.mark.anyio
async def test_require_api_token_auth(sandbox):
    created = await sandbox.provision(require_api_token_auth=True)
    minted = (await sandbox.admin("POST", "/_sandbox/api-tokens", {"name": "agent"})).json()
    url = created["url"]
    assert (await sandbox.post_mcp(url)).status_code == 401
    assert (await sandbox.post_mcp(url, Authorization="Bearer wrong")).status_code == 401
    assert (await sandbox.post_mcp(url, Authorization=f"Bearer {ADMIN}")).status_code == 401
    async with sandbox.mcp(url, Authorization=f"Bearer {minted['token']}") as client:
        assert (await client.call_tool("list_all_halo_itsm_tickets", {})).is_error is False
    await sandbox.admin("DELETE", f"/_sandbox/api-tokens/{minted['id']}")
    assert (await sandbox.post_mcp(url, Authorization=f"Bearer {minted['token']}")).status_code == 401
    assert sandbox.bound == ["sandbox"]  # the refused requests never built or reached a server


@pytest.mark.anyio
async def test_foreign_origin_is_refused(sandbox):
    created = await sandbox.provision()
    assert (await sandbox.post_mcp(created["url"], Origin="https://evil.example")).status_code == 403


@pytest.mark.anyio
async def test_no_token_or_secret_leaks_into_responses_or_logs(sandbox, caplog, access_log):
    created = await sandbox.provision(require_api_token_auth=True)
    minted = (await sandbox.admin("POST", "/_sandbox/api-tokens", {"name": "agent"})).json()
    await sandbox.admin(
        "PUT",
        "/_sandbox/integrated-account/acme",
        {"halo_url": "https://acme.example.test", "client_id": "c", "client_secret": "acme-s3cret"},
    )
    start = len(sandbox.responses)
    async with sandbox.mcp(created["url"], Authorization=f"Bearer {minted['token']}") as client:
        await client.list_tools()
    await sandbox.post_mcp(created["url"], Authorization="Bearer nope")
    await sandbox.admin("GET", "/_sandbox/integrated-account/sandbox/mcp")
    await sandbox.admin("GET", f"/_sandbox/integrated-account/sandbox/mcp/{created['id']}")
    await sandbox.admin("GET", "/_sandbox/api-tokens")
    await sandbox.admin("GET", "/_sandbox/integrated-account")
    await sandbox.admin("DELETE", f"/_sandbox/integrated-account/sandbox/mcp/{created['id']}")
    # uvicorn's access log line for a provisioned URL, as `halo-sandbox up` would write it
    access_log.info(
        '%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "POST", f"/mcp/{_token(created['url'])}", "1.1", 200
    )
    url_token, api_token = _token(created["url"]), minted["token"]
    later = sandbox.responses[start:]
    assert len(later) >= 6
    # the test's own client libraries (the agent's side) log URLs; the server side must not
    server_side = "\n".join(
        r.getMessage() for r in caplog.records if not r.name.startswith(("httpx", "mcp.client"))
    )
    assert "POST /mcp/*** HTTP/1.1" in server_side
    for secret in (url_token, api_token, "acme-s3cret", ADMIN):
        assert all(secret not in text for text in later), secret
        assert secret not in server_side, secret
    assert created["id"] in server_side  # the logs do record what happened


# ------------------------------------------------------------ the real MCP server behind a provisioned URL


@pytest.mark.anyio
async def test_real_server_for_a_registered_halo_filters_and_hides_tools(tmp_path):
    """Default seams (build_mcp_server + HaloClient from stored credentials), upstream mocked with respx."""
    import respx

    box = Sandbox(tmp_path, stand_ins=False)
    with respx.mock(base_url="https://acme.example.test", assert_all_called=False) as upstream:
        token_route = upstream.post("/auth/token").respond(
            json={"access_token": "upstream-access", "token_type": "Bearer", "expires_in": 3600}
        )
        tickets = upstream.get("/api/Tickets").respond(
            json={"record_count": 1, "tickets": [{"id": 45920, "summary": "VPN down"}]}
        )
        deletes = upstream.delete(url__regex=r".*").respond(json={})
        async with box.routes.lifespan(box.app):
            await box.admin(
                "PUT",
                "/_sandbox/integrated-account/acme",
                {
                    "halo_url": "https://acme.example.test",
                    "client_id": "acme-id",
                    "client_secret": "acme-secret",
                    "tenant": "acme",
                },
            )
            created = await box.provision(account="acme", config={"methods": ["read"], "tags": ["support"]})
            async with box.mcp(created["url"]) as client:
                names = {t.name for t in (await client.list_tools()).tools}
                assert "list_all_halo_itsm_tickets" in names
                assert "delete_a_halo_itsm_ticket_by_id" not in names
                assert "list_all_halo_itsm_invoices" not in names

                listed = await client.call_tool("list_all_halo_itsm_tickets", {})
                assert not listed.is_error
                assert [r["id"] for r in listed.structured_content["result"]] == [45920]

                hidden = await client.call_tool("delete_a_halo_itsm_ticket_by_id", {"id": 45920})
                absent = await client.call_tool("delete_a_halo_itsm_nothing_by_id", {"id": 45920})
        box.registry.close()
    assert box.bound == []  # a registered account never falls back to a mock tenant
    assert tickets.called and not deletes.called
    form = token_route.calls.last.request.content.decode()
    assert "client_id=acme-id" in form and "client_secret=acme-secret" in form
    assert hidden.is_error and absent.is_error

    def closest(result: Any) -> list[str]:
        message = result.structured_content["error"]["message"]
        return re.findall(r"\w+", message.partition("Closest: ")[2])

    # a hidden tool is answered as one that does not exist: the closest names are visible tools only
    assert set(closest(hidden)) <= names and set(closest(absent)) <= names
    for result in (hidden, absent):
        error = result.structured_content["error"]
        error["message"] = error["message"].partition(" Closest: ")[0]
    assert hidden.structured_content == json.loads(
        json.dumps(absent.structured_content).replace(
            "delete_a_halo_itsm_nothing_by_id", "delete_a_halo_itsm_ticket_by_id"
        )
    )


@pytest.mark.anyio
async def test_discovery_url_reaches_allowed_tools_through_meta_tools_and_refuses_hidden_ones(tmp_path):
    """`config.tool_exposure: discovery` on the real server: three meta-tools; the filter still applies to
    every tool reached through them (a hidden tool named in call-tool is unknown and never reaches Halo)."""
    import respx

    box = Sandbox(tmp_path, stand_ins=False)
    with respx.mock(base_url="https://acme.example.test", assert_all_called=False) as upstream:
        upstream.post("/auth/token").respond(
            json={"access_token": "a", "token_type": "Bearer", "expires_in": 3600}
        )
        tickets = upstream.get("/api/Tickets").respond(json={"record_count": 1, "tickets": [{"id": 45920}]})
        writes = upstream.route(method__in=["POST", "DELETE"], path__startswith="/api/").respond(json={})
        async with box.routes.lifespan(box.app):
            await box.admin(
                "PUT",
                "/_sandbox/integrated-account/acme",
                {
                    "halo_url": "https://acme.example.test",
                    "client_id": "acme-id",
                    "client_secret": "acme-secret",
                    "tenant": "acme",
                },
            )
            refused = await box.admin(
                "POST",
                "/_sandbox/integrated-account/acme/mcp",
                {"name": "x", "config": {"tool_exposure": "some"}},
            )
            created = await box.provision(
                account="acme",
                config={"methods": ["read"], "tags": ["support"], "tool_exposure": "discovery"},
            )
            async with box.mcp(created["url"]) as client:
                names = [t.name for t in (await client.list_tools()).tools]
                found = await client.call_tool("search_halo_itsm_tools", {"query": "ticket"})
                schema = await client.call_tool(
                    "get_halo_itsm_tool_schema", {"name": "delete_a_halo_itsm_ticket_by_id"}
                )
                hidden = await client.call_tool(
                    "call_halo_itsm_tool",
                    {"name": "delete_a_halo_itsm_ticket_by_id", "arguments": {"id": 45920}},
                )
                invoices = await client.call_tool(
                    "call_halo_itsm_tool", {"name": "list_all_halo_itsm_invoices"}
                )
                listed = await client.call_tool(
                    "call_halo_itsm_tool", {"name": "list_all_halo_itsm_tickets", "arguments": {"limit": 1}}
                )
            switched = await box.admin(
                "PATCH",
                f"/_sandbox/integrated-account/acme/mcp/{created['id']}",
                {"config": {"tool_exposure": "all"}},
            )
            async with box.mcp(created["url"]) as client:
                all_names = [t.name for t in (await client.list_tools()).tools]
        box.registry.close()
    assert refused.status_code == 400 and refused.json()["error"]["field"] == "config.tool_exposure"
    assert created["config"]["tool_exposure"] == "discovery"
    assert names == ["search_halo_itsm_tools", "get_halo_itsm_tool_schema", "call_halo_itsm_tool"]
    found_names = {r["name"] for r in found.structured_content["result"]}
    assert "list_all_halo_itsm_tickets" in found_names and not any(
        n.startswith("delete_") for n in found_names
    )
    for result, name in (
        (schema, "delete_a_halo_itsm_ticket_by_id"),
        (hidden, "delete_a_halo_itsm_ticket_by_id"),
        (invoices, "list_all_halo_itsm_invoices"),
    ):
        assert result.is_error and result.structured_content["error"]["code"] == "unknown_tool"
        assert result.structured_content["error"]["message"].startswith(f"Unknown tool: {name}.")
    assert not listed.is_error and listed.structured_content["result"] == [{"id": 45920}]
    assert tickets.call_count == 1 and not writes.called
    assert switched.status_code == 200 and switched.json()["config"]["tool_exposure"] == "all"
    assert "list_all_halo_itsm_tickets" in all_names and "search_halo_itsm_tools" not in all_names


# ------------------------------------------------------------ a real uvicorn on 127.0.0.1 (lifespan, access
# log)


@pytest.mark.e2e
@pytest.mark.anyio
async def test_over_real_http_with_the_app_lifespan(tmp_path, caplog, access_log):
    import socket

    import anyio
    import uvicorn

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    registry = Registry(tmp_path / "state")
    routes = build_routes(
        registry, admin_key=ADMIN, halo_for_account=FakeHalo, base_url=base, build_server=stand_in_server
    )
    app = Starlette(routes=list(routes), lifespan=routes.lifespan)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=True, lifespan="on")
    )
    async with anyio.create_task_group() as tg:
        tg.start_soon(server.serve)
        with anyio.fail_after(20):
            while not server.started:
                await anyio.sleep(0.02)
        try:
            async with httpx.AsyncClient(base_url=base, headers={"Authorization": f"Bearer {ADMIN}"}) as http:
                created = (
                    await http.post(
                        "/_sandbox/integrated-account/tenant-b/mcp",
                        json={"name": "ro", "config": {"methods": ["read"]}},
                    )
                ).json()
            async with Client(created["url"], cache=None) as client:
                names = {t.name for t in (await client.list_tools()).tools}
                assert names and not any(n.startswith(("create_", "update_", "delete_")) for n in names)
                result = await client.call_tool("list_all_halo_itsm_tickets", {})
                assert json.loads(result.content[0].text)["account"] == "tenant-b"
        finally:
            server.should_exit = True
    registry.close()
    access = [r.getMessage() for r in caplog.records if r.name == "uvicorn.access"]
    assert any("/mcp/***" in line for line in access), access
    assert not any(_token(created["url"]) in line for line in access)


@pytest.mark.anyio
async def test_without_the_lifespan_provisioned_urls_answer_503(tmp_path):
    box = Sandbox(tmp_path)
    created = await box.provision()
    response = await box.post_mcp(created["url"])
    assert response.status_code == 503
    assert "lifespan" in response.json()["error"]["message"]
    box.registry.close()


@pytest.mark.anyio
async def test_the_periodic_sweep_purges_expired_records(tmp_path):
    import sqlite3

    import anyio

    from halo_sandbox.provisioning.registry import DB_FILE

    box = Sandbox(tmp_path)
    box.routes = build_routes(
        box.registry,
        admin_key=ADMIN,
        halo_for_account=FakeHalo,
        base_url=BASE,
        build_server=stand_in_server,
        sweep_interval=0.01,
    )
    box.app = Starlette(routes=list(box.routes))

    def rows() -> int:
        with contextlib.closing(sqlite3.connect(tmp_path / "state" / DB_FILE)) as conn:
            return conn.execute("SELECT count(*) FROM servers").fetchone()[0]

    async with box.routes.lifespan(box.app):
        created = await box.provision(expires_at="2030-01-01T12:30:00Z")
        async with box.mcp(created["url"]) as client:
            assert (await client.list_tools()).tools
        assert rows() == 1
        box.clock.value = T0 + timedelta(minutes=30)
        with anyio.fail_after(5):  # no fixed sleep: wait until the background sweep has run
            while rows():
                await anyio.sleep(0.01)
        assert (await box.post_mcp(created["url"])).status_code == 404
    box.registry.close()


@pytest.mark.anyio
async def test_config_breadth_lets_a_discovery_url_find_the_generated_tools(tmp_path):
    """`config.breadth: true` on a provisioned discovery URL: its search finds the generated
    supplier tools; without it only the curated set, and calling one says how to enable it."""
    box = Sandbox(tmp_path, stand_ins=False)
    async with box.routes.lifespan(box.app):
        await box.admin(
            "PUT",
            "/_sandbox/integrated-account/acme",
            {"halo_url": "https://acme.example.test", "client_id": "acme-id", "client_secret": "acme-secret"},
        )
        refused = await box.admin(
            "POST", "/_sandbox/integrated-account/acme/mcp", {"name": "x", "config": {"breadth": "yes"}}
        )
        broad = await box.provision(account="acme", config={"tool_exposure": "discovery", "breadth": True})
        narrow = await box.provision(account="acme", config={"tool_exposure": "discovery"})
        found = {}
        for server in (broad, narrow):
            async with box.mcp(server["url"]) as client:
                search = await client.call_tool("search_halo_itsm_tools", {"query": "suppliers", "limit": 3})
                found[server["id"]] = [r["name"] for r in search.structured_content["result"]]
                called = await client.call_tool(
                    "call_halo_itsm_tool", {"name": "list_all_halo_itsm_suppliers", "arguments": {}}
                )
        box.registry.close()
    assert refused.status_code == 400 and refused.json()["error"]["field"] == "config.breadth"
    assert broad["config"]["breadth"] is True and narrow["config"]["breadth"] is False
    assert found[broad["id"]][0] == "list_all_halo_itsm_suppliers"
    assert "list_all_halo_itsm_suppliers" not in found[narrow["id"]]
    message = called.structured_content["error"]["message"]
    assert called.structured_content["error"]["code"] == "unknown_tool"
    assert "breadth" in message and '{"breadth": true}' in message


@pytest.mark.anyio
async def test_a_wrong_admin_key_is_told_apart_from_a_missing_one(tmp_path):
    box = Sandbox(tmp_path)
    async with box.routes.lifespan(box.app):
        missing = await box.admin("GET", "/_sandbox/api-tokens", key=None)
        wrong = await box.admin("GET", "/_sandbox/api-tokens", key="not-the-key")
        box.registry.close()
    assert missing.status_code == wrong.status_code == 401
    assert "need the admin key" in missing.json()["error"]["message"]
    assert "admin key is wrong" in wrong.json()["error"]["message"]
    assert "not-the-key" not in wrong.text
