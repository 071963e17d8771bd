"""OAuth token endpoint, Bearer authentication, tenant binding and scopes."""

from __future__ import annotations

import httpx
import pytest

from halo_sandbox.mock.config import MockSettings
from halo_sandbox.mock.domain.auth import VALID_SCOPES, check_scope, covers, parse_scopes
from halo_sandbox.mock.exceptions import Forbidden, OAuthError
from halo_sandbox.mock.tenants import TenantRegistry
from tests.mock_halo._helpers import CLIENT_ID, CLIENT_SECRET, FakeStore, fetch_token, tiny_world

pytestmark = pytest.mark.anyio

CC = {"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
PASSWORD = {
    "grant_type": "password",
    "client_id": CLIENT_ID,
    "username": "agent@sandbox.local",
    "password": "sandbox",
}


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def test_client_credentials_token_works_on_api(control_client: httpx.AsyncClient) -> None:
    response = await control_client.post("/auth/token", data=CC)
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert body["scope"] == "all"
    assert "refresh_token" not in body
    assert response.headers["cache-control"] == "no-store"
    probe = await control_client.get("/api/probe", headers=bearer(body["access_token"]))
    assert probe.status_code == 200
    assert probe.json() == {"tenant": "sandbox", "client_id": CLIENT_ID, "scopes": ["all"]}


@pytest.mark.parametrize(
    ("data", "status", "error"),
    [
        ({**CC, "client_secret": "wrong"}, 401, "invalid_client"),
        ({**CC, "client_id": "nobody"}, 401, "invalid_client"),
        ({**CC, "grant_type": "authorization_code"}, 400, "unsupported_grant_type"),
        ({k: v for k, v in CC.items() if k != "grant_type"}, 400, "invalid_request"),
        ({k: v for k, v in CC.items() if k != "client_secret"}, 400, "invalid_request"),
        ({k: v for k, v in CC.items() if k != "client_id"}, 400, "invalid_request"),
        ({**CC, "scope": "read:tickets read:users"}, 400, "invalid_scope"),
        ({**PASSWORD, "password": "nope"}, 400, "invalid_grant"),
        ({**PASSWORD, "username": "someone@else"}, 400, "invalid_grant"),
        ({k: v for k, v in PASSWORD.items() if k != "password"}, 400, "invalid_request"),
        (
            {"grant_type": "refresh_token", "client_id": CLIENT_ID, "refresh_token": "made-up"},
            400,
            "invalid_grant",
        ),
        ({"grant_type": "refresh_token", "client_id": CLIENT_ID}, 400, "invalid_request"),
    ],
)
async def test_bad_token_requests_get_oauth_errors_and_issue_nothing(
    control_client: httpx.AsyncClient,
    control_registry: TenantRegistry,
    data: dict[str, str],
    status: int,
    error: str,
) -> None:
    response = await control_client.post("/auth/token", data=data)
    assert response.status_code == status
    body = response.json()
    assert body["error"] == error
    assert body["error_description"]
    assert control_registry.get().auth.live_tokens() == []


async def test_invalid_scope_names_the_unknown_scope(control_client: httpx.AsyncClient) -> None:
    response = await control_client.post("/auth/token", data={**CC, "scope": "all read:users"})
    assert response.json()["error_description"] == "Unknown scope(s): read:users."


async def test_json_token_request_is_refused(control_client: httpx.AsyncClient) -> None:
    response = await control_client.post("/auth/token", json=CC)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert "form-encoded" in response.json()["error_description"]


async def test_password_grant_and_refresh_rotation(control_client: httpx.AsyncClient) -> None:
    first = (await control_client.post("/auth/token", data=PASSWORD)).json()
    assert first["refresh_token"]
    refreshed = await control_client.post(
        "/auth/token",
        data={"grant_type": "refresh_token", "client_id": CLIENT_ID, "refresh_token": first["refresh_token"]},
    )
    assert refreshed.status_code == 200
    second = refreshed.json()
    assert second["access_token"] != first["access_token"]
    assert second["refresh_token"] != first["refresh_token"]
    assert (await control_client.get("/api/probe", headers=bearer(second["access_token"]))).status_code == 200
    reused = await control_client.post(
        "/auth/token",
        data={"grant_type": "refresh_token", "client_id": CLIENT_ID, "refresh_token": first["refresh_token"]},
    )
    assert reused.status_code == 400
    assert reused.json()["error"] == "invalid_grant"


async def test_refresh_token_of_another_tenant_is_invalid_grant(control_client: httpx.AsyncClient) -> None:
    issued = (await control_client.post("/auth/token?tenant=alpha", data=PASSWORD)).json()
    response = await control_client.post(
        "/auth/token?tenant=beta",
        data={
            "grant_type": "refresh_token",
            "client_id": CLIENT_ID,
            "refresh_token": issued["refresh_token"],
        },
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


async def test_requested_scope_narrows_the_token(control_client: httpx.AsyncClient) -> None:
    token = await fetch_token(control_client, scope="read:tickets")
    ok = await control_client.get(
        "/api/probe/scoped", params={"needed": "read:tickets"}, headers=bearer(token)
    )
    assert ok.status_code == 200
    denied = await control_client.get(
        "/api/probe/scoped", params={"needed": "edit:tickets"}, headers=bearer(token)
    )
    assert denied.status_code == 403
    assert "edit:tickets" in denied.json()["message"]


async def test_missing_unknown_and_malformed_bearer_are_401(control_client: httpx.AsyncClient) -> None:
    for headers in ({}, bearer("not-a-token"), {"Authorization": "Basic abc"}, {"Authorization": "Bearer "}):
        response = await control_client.get("/api/probe", headers=headers)
        assert response.status_code == 401, headers
        assert response.json()["message"].startswith("Authorization has been denied")
        assert response.headers["www-authenticate"].startswith("Bearer")


async def test_token_expires_on_the_tenant_clock(
    control_client: httpx.AsyncClient, control_registry: TenantRegistry
) -> None:
    token = await fetch_token(control_client)
    clock = control_registry.get().clock
    clock.advance(3599)
    assert (await control_client.get("/api/probe", headers=bearer(token))).status_code == 200
    clock.advance(1)
    expired = await control_client.get("/api/probe", headers=bearer(token))
    assert expired.status_code == 401
    assert "expired" in expired.json()["message"]


@pytest.mark.parametrize("settings", [MockSettings(token_lifetime_seconds=60)])
async def test_token_lifetime_is_configurable(
    control_client: httpx.AsyncClient, control_registry: TenantRegistry
) -> None:
    response = await control_client.post("/auth/token", data=CC)
    assert response.json()["expires_in"] == 60
    control_registry.get().clock.advance(61)
    assert (
        await control_client.get("/api/probe", headers=bearer(response.json()["access_token"]))
    ).status_code == 401


async def test_forced_expiry_then_password_refresh(control_client: httpx.AsyncClient) -> None:
    issued = (await control_client.post("/auth/token", data=PASSWORD)).json()
    expired = await control_client.post("/_sandbox/tokens/expire")
    assert expired.status_code == 200
    assert expired.json()["expired"] == 1
    assert (await control_client.get("/api/probe", headers=bearer(issued["access_token"]))).status_code == 401
    refreshed = (
        await control_client.post(
            "/auth/token",
            data={
                "grant_type": "refresh_token",
                "client_id": CLIENT_ID,
                "refresh_token": issued["refresh_token"],
            },
        )
    ).json()
    assert (
        await control_client.get("/api/probe", headers=bearer(refreshed["access_token"]))
    ).status_code == 200


async def test_tokens_are_bound_to_their_tenant(control_client: httpx.AsyncClient) -> None:
    alpha = await fetch_token(control_client, tenant="alpha")
    # Without the header, the token selects its own tenant.
    own = await control_client.get("/api/probe", headers=bearer(alpha))
    assert own.json()["tenant"] == "alpha"
    same = await control_client.get("/api/probe", headers={**bearer(alpha), "X-Sandbox-Tenant": "alpha"})
    assert same.status_code == 200
    foreign = await control_client.get("/api/probe", headers={**bearer(alpha), "X-Sandbox-Tenant": "beta"})
    assert foreign.status_code == 401
    assert "another tenant" in foreign.json()["message"]


async def test_tenant_can_be_given_in_query_form_or_header(control_client: httpx.AsyncClient) -> None:
    for kwargs in (
        {"url": "/auth/token?tenant=t1", "data": CC},
        {"url": "/auth/token", "data": {**CC, "tenant": "t1"}},
        {"url": "/auth/token", "data": CC, "headers": {"X-Sandbox-Tenant": "t1"}},
    ):
        token = (await control_client.post(**kwargs)).json()["access_token"]
        assert (await control_client.get("/api/probe", headers=bearer(token))).json()["tenant"] == "t1"


async def test_conflicting_or_invalid_tenant_on_token_request(
    control_client: httpx.AsyncClient, control_registry: TenantRegistry
) -> None:
    conflict = await control_client.post("/auth/token?tenant=a", data={**CC, "tenant": "b"})
    assert conflict.status_code == 400
    assert conflict.json()["error"] == "invalid_request"
    invalid = await control_client.post("/auth/token", data={**CC, "tenant": "no spaces/allowed"})
    assert invalid.status_code == 400
    assert "b" not in control_registry.names()
    assert all(control_registry.get(n).auth.live_tokens() == [] for n in control_registry.names())


async def test_authinfo_needs_no_token(control_client: httpx.AsyncClient) -> None:
    await fetch_token(control_client, tenant="acme")
    response = await control_client.get("/api/authinfo", headers={"X-Sandbox-Tenant": "acme"})
    assert response.status_code == 200
    assert response.json() == {"auth_url": "http://mock.test/auth", "tenant_id": "acme"}
    assert (await control_client.get("/api/AuthInfo")).json()["tenant_id"] == "sandbox"


def test_scope_rules() -> None:
    assert covers(frozenset({"all"}), "admin")
    assert covers(frozenset({"all:standard"}), "edit:quotes")
    assert not covers(frozenset({"all:standard"}), "admin")
    assert covers(frozenset({"edit:tickets"}), "read:tickets")
    assert not covers(frozenset({"read:tickets"}), "edit:tickets")
    assert not covers(frozenset({"read:tickets"}), "read:assets")
    check_scope(frozenset({"read:kb"}), needed="read:kb")
    with pytest.raises(Forbidden):
        check_scope(frozenset({"all:standard"}), needed="admin")
    with pytest.raises(OAuthError) as info:
        parse_scopes("read:agents")
    assert info.value.error == "invalid_scope"
    assert {"all", "all:standard", "admin", "read:tickets", "access:adpasswordreset"} <= VALID_SCOPES


async def test_scopes_on_the_real_api(client: httpx.AsyncClient) -> None:
    """A narrowed token against the data plane's routes: reads allowed, writes and other areas 403."""
    token = await fetch_token(client, scope="read:tickets")
    headers = bearer(token)
    tickets = await client.get("/api/Tickets", headers=headers)
    assert tickets.status_code == 200
    before = tickets.json()["record_count"]
    denied_write = await client.post(
        "/api/Tickets", json=[{"summary": "x", "client_id": 104}], headers=headers
    )
    assert denied_write.status_code == 403
    assert "edit:tickets" in denied_write.json()["message"]
    assert (await client.get("/api/Quotation", headers=headers)).status_code == 403
    full = bearer(await fetch_token(client))
    assert (await client.get("/api/Tickets", headers=full)).json()["record_count"] == before
    standard = bearer(await fetch_token(client, scope="all:standard"))
    assert (await client.get("/api/Quotation", headers=standard)).status_code == 200
    assert (await client.post("/api/Team", json=[{"name": "New"}], headers=standard)).status_code == 403


async def test_configured_credentials_are_the_ones_accepted() -> None:
    settings = MockSettings(
        client_id="env-client",
        client_secret="env-secret",
        agent_username="ops@example.test",
        agent_password="pw",
        rate_limit=None,
        seed=3,
    )
    tenant = TenantRegistry(settings, store_class=FakeStore, build_world=tiny_world).get()  # type: ignore[arg-type]
    assert tenant.auth.issue(
        grant_type="password", client_id="env-client", username="ops@example.test", password="pw"
    )["access_token"]
    with pytest.raises(OAuthError):
        tenant.auth.issue(**CC)
