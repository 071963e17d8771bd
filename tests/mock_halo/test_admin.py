"""The `/_sandbox` control plane: admin key, request journal, token expiry, tenant listing."""

from __future__ import annotations

import json

import httpx
import pytest

from halo_sandbox.mock.config import MockSettings
from halo_sandbox.mock.tenants import TenantRegistry
from tests.mock_halo._helpers import fetch_token

pytestmark = pytest.mark.anyio

KEY = "s3cret-admin-key"


@pytest.mark.parametrize("settings", [MockSettings(admin_key=KEY)])
async def test_admin_key_is_required_when_configured(
    control_client: httpx.AsyncClient, control_registry: TenantRegistry
) -> None:
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"X-Admin-Key": "wrong"}, {"Authorization": KEY}):
        refused = await control_client.post("/_sandbox/faults", json={"status": 500}, headers=headers)
        assert refused.status_code == 401, headers
        assert "admin key" in refused.json()["message"]
    assert control_registry.get().faults.rules() == []
    ok = await control_client.post(
        "/_sandbox/faults", json={"path": "/x", "status": 500}, headers={"Authorization": f"Bearer {KEY}"}
    )
    assert ok.status_code == 201
    assert (await control_client.get("/_sandbox/faults", headers={"X-Admin-Key": KEY})).status_code == 200
    # The API itself is unaffected by the admin key.
    token = await fetch_token(control_client)
    assert (
        await control_client.get("/api/probe", headers={"Authorization": f"Bearer {token}"})
    ).status_code == 200


@pytest.mark.parametrize("settings", [MockSettings(admin_key=KEY)])
async def test_a_wrong_admin_key_is_told_apart_from_a_missing_one(control_client: httpx.AsyncClient) -> None:
    missing = await control_client.get("/_sandbox/faults")
    assert missing.status_code == 401 and "needs the admin key" in missing.json()["message"]
    for headers in ({"Authorization": "Bearer wrong"}, {"X-Admin-Key": "wrong"}):
        wrong = await control_client.get("/_sandbox/faults", headers=headers)
        assert wrong.status_code == 401 and "admin key is wrong" in wrong.json()["message"], headers
        assert "wrong" not in wrong.json()["message"].replace("is wrong", "")  # the key is not echoed


async def test_admin_reads_never_create_a_tenant(
    control_client: httpx.AsyncClient, control_registry: TenantRegistry
) -> None:
    before = control_registry.names()
    for path in ("/_sandbox/requests", "/_sandbox/faults", "/_sandbox/clock", "/_sandbox/snapshot"):
        read = await control_client.get(path, headers={"X-Sandbox-Tenant": "acme-typo"})
        assert read.status_code == 404, (path, read.text)
        message = read.json()["message"]
        assert "There is no tenant 'acme-typo'" in message and "POST /_sandbox/tenants" in message
    assert control_registry.names() == before and "acme-typo" not in control_registry.names()
    # a change still creates the tenant it names; the default tenant answers reads as ever
    made = await control_client.post("/_sandbox/reset", headers={"X-Sandbox-Tenant": "acme"})
    assert made.status_code == 200 and "acme" in control_registry.names()
    assert (
        await control_client.get("/_sandbox/requests", headers={"X-Sandbox-Tenant": "acme"})
    ).status_code == 200
    assert (await control_client.get("/_sandbox/requests")).status_code == 200


async def test_without_admin_key_control_plane_is_open(control_client: httpx.AsyncClient) -> None:
    assert (await control_client.get("/_sandbox/faults")).status_code == 200


@pytest.mark.parametrize("settings", [MockSettings(admin_key=KEY)])
async def test_console_root_is_left_free(control_client: httpx.AsyncClient) -> None:
    # Nothing of the control plane answers GET /_sandbox/ (the console's place), not even the key check.
    assert (await control_client.get("/_sandbox/")).status_code == 404


@pytest.mark.parametrize("settings", [MockSettings(journal_size=5)])
async def test_journal_newest_first_bounded_and_limited(control_client: httpx.AsyncClient) -> None:
    for i in range(8):
        await control_client.get("/api/authinfo", params={"n": i})
    entries = (await control_client.get("/_sandbox/requests")).json()["requests"]
    assert [e["query"] for e in entries] == [f"n={i}" for i in (7, 6, 5, 4, 3)]
    assert entries[0]["method"] == "GET" and entries[0]["path"] == "/api/authinfo"
    assert entries[0]["status"] == 200 and entries[0]["client"] is None
    assert entries[0]["remote"] == "127.0.0.1" and entries[0]["latency_ms"] >= 0
    two = (await control_client.get("/_sandbox/requests", params={"limit": 2})).json()
    assert two["count"] == 2 and [e["query"] for e in two["requests"]] == ["n=7", "n=6"]


async def test_journal_records_client_and_filters(control_client: httpx.AsyncClient) -> None:
    token = await fetch_token(control_client)
    await control_client.get(
        "/api/probe",
        headers={"Authorization": f"Bearer {token}", "X-Sandbox-Tool": "t1", "X-Sandbox-Call-Id": "c1"},
    )
    await control_client.get("/api/probe", headers={"Authorization": "Bearer nope"})
    entries = (await control_client.get("/_sandbox/requests")).json()["requests"]
    assert [(e["path"], e["status"], e["client"]) for e in entries] == [
        ("/api/probe", 401, None),
        ("/api/probe", 200, "halo-sandbox"),
        ("/auth/token", 200, "halo-sandbox"),
    ]
    by_tool = (await control_client.get("/_sandbox/requests", params={"tool": "t1"})).json()["requests"]
    assert len(by_tool) == 1 and by_tool[0]["call_id"] == "c1"
    # control-plane calls are not journaled
    assert all(not e["path"].startswith("/_sandbox") for e in entries)
    cleared = await control_client.delete("/_sandbox/requests")
    assert cleared.status_code == 200
    assert (await control_client.get("/_sandbox/requests")).json()["requests"] == []


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": -3}, {"limit": "ten"}])
async def test_bad_journal_limit(control_client: httpx.AsyncClient, params: dict) -> None:
    response = await control_client.get("/_sandbox/requests", params=params)
    assert response.status_code == 400
    assert "limit" in response.json()


async def test_expire_tokens_of_one_client(
    control_client: httpx.AsyncClient, control_registry: TenantRegistry
) -> None:
    from halo_sandbox.mock.domain.auth import OAuthClient

    control_registry.get().auth.register_client(OAuthClient(client_id="other", client_secret="s"))
    mine = await fetch_token(control_client)
    other = await fetch_token(control_client, client_id="other", client_secret="s")
    listed = (await control_client.get("/_sandbox/tokens")).json()["tokens"]
    assert sorted(t["client_id"] for t in listed) == ["halo-sandbox", "other"]
    assert all(mine not in str(t) for t in listed)  # only a prefix is shown
    response = await control_client.post("/_sandbox/tokens/expire", json={"client_id": "other"})
    assert response.json()["expired"] == 1
    assert (
        await control_client.get("/api/probe", headers={"Authorization": f"Bearer {other}"})
    ).status_code == 401
    assert (
        await control_client.get("/api/probe", headers={"Authorization": f"Bearer {mine}"})
    ).status_code == 200


@pytest.mark.parametrize("body", [{"client": "x"}, {"refresh_tokens": "maybe"}, [1]])
async def test_bad_expire_body_changes_nothing(control_client: httpx.AsyncClient, body: object) -> None:
    token = await fetch_token(control_client)
    response = await control_client.post("/_sandbox/tokens/expire", json=body)
    assert response.status_code == 400
    assert (
        await control_client.get("/api/probe", headers={"Authorization": f"Bearer {token}"})
    ).status_code == 200


async def test_tenants_listing(control_client: httpx.AsyncClient) -> None:
    await control_client.post("/_sandbox/tenants", json={"name": "zeta"})
    assert (await control_client.get("/_sandbox/tenants")).json() == {
        "tenants": ["sandbox", "zeta"],
        "default": "sandbox",
        "max_tenants": 256,
    }


@pytest.mark.parametrize("settings", [MockSettings(max_body_bytes=1000)])
async def test_request_body_limit(
    control_client: httpx.AsyncClient, control_registry: TenantRegistry
) -> None:
    token = await fetch_token(control_client)
    limit = control_registry.settings.max_body_bytes
    headers = {"Authorization": f"Bearer {token}"}
    assert (await control_client.post("/api/probe", content=b"x" * 10, headers=headers)).json() == {
        "received": 10
    }
    too_big = await control_client.post("/api/probe", content=b"x" * (limit + 1), headers=headers)
    assert too_big.status_code == 413
    assert "exceeds the limit" in too_big.json()["message"]

    async def stream():  # no Content-Length: counted while read
        for _ in range(3):
            yield b"y" * (limit // 2)

    chunked = await control_client.post("/api/probe", content=stream(), headers=headers)
    assert chunked.status_code == 413


async def test_unknown_path_is_halo_404(control_client: httpx.AsyncClient) -> None:
    response = await control_client.get("/_sandbox/nothing-here")
    assert response.status_code == 404
    assert response.json() == {"message": "The specified URL is invalid."}


async def test_secrets_in_query_strings_are_not_journalled(client: httpx.AsyncClient) -> None:
    """A careless client sends its secret in the token URL: the journal (and the console built from it)
    keeps the parameter name, not the value."""
    await client.post(
        "/auth/token?client_id=halo-sandbox&client_secret=halo-sandbox-secret&password=hunter2",
        data={
            "grant_type": "client_credentials",
            "client_id": "halo-sandbox",
            "client_secret": "halo-sandbox-secret",
        },
    )
    await client.get("/api/Tickets?refresh_token=abc123&client_secret=s3cr3t&count=1")
    await client.get("/api/Tickets?API_KEY=k3y-in-url&count=1")  # a key some Halo clients send in the URL
    journal = (await client.get("/_sandbox/requests")).json()["requests"]
    text = json.dumps(journal)
    for secret in ("halo-sandbox-secret", "hunter2", "abc123", "s3cr3t", "k3y-in-url"):
        assert secret not in text
    assert "client_secret=***" in text and "client_id=halo-sandbox" in text and "count=1" in text


def test_the_access_log_filters_redact_secrets_and_session_ids() -> None:
    import logging

    from halo_sandbox.mock.engine.journal import RedactSecrets
    from halo_sandbox.provisioning.routes import RedactTokens

    line = ('127.0.0.1:5 - "%s %s HTTP/1.1" %d', ("POST", "/auth/token?client_secret=s3cr3t&x=1", 200))
    key = ('127.0.0.1:5 - "%s %s HTTP/1.1" %d', ("GET", "/api/Tickets?x=1&api_key=s3cr3t", 200))
    sse = ('127.0.0.1:5 - "%s %s HTTP/1.1" %d', ("POST", "/messages/?session_id=0123456789abcdef", 202))
    mcp = ('127.0.0.1:5 - "%s %s HTTP/1.1" %d', ("POST", "/mcp/AbCdEfGhIjKlMnOpQrStUv", 200))
    for log_filter, cases in ((RedactSecrets(), [line, key]), (RedactTokens(), [line, key, sse, mcp])):
        for msg, args in cases:
            record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, msg, args, None)
            log_filter.filter(record)
            text = record.getMessage()
            assert "s3cr3t" not in text and "0123456789abcdef" not in text and "AbCdEfGhIj" not in text, text
            assert "***" in text
