"""HaloClient: OAuth, token caching, single-flight refresh, one re-auth on 401, no other retry."""

import asyncio
from urllib.parse import parse_qs

import httpx
import pytest
import respx

from halo_sandbox.server.errors import UpstreamError, UpstreamUnavailable
from halo_sandbox.server.upstream import HaloClient

BASE = "http://halo.test"
pytestmark = pytest.mark.anyio


def form(request: httpx.Request) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(request.content.decode()).items()}


@pytest.fixture
def mock():
    with respx.mock(base_url=BASE, assert_all_called=False) as m:
        yield m


def tokens(mock, *values, expires_in=3600):
    it = iter(values)
    return mock.post("/auth/token").mock(
        side_effect=lambda req: httpx.Response(
            200, json={"access_token": next(it), "token_type": "Bearer", "expires_in": expires_in}
        )
    )


def client(**kw):
    kw.setdefault("client_secret", "secret")
    return HaloClient(base_url=BASE, client_id="cid", **kw)


async def test_client_credentials_token_is_cached_and_sent(mock):
    token = tokens(mock, "t1")
    api = mock.get("/api/Tickets").respond(json={"record_count": 0, "tickets": []})
    async with client(tenant="acme", headers={"X-Sandbox-Tenant": "acme"}) as halo:
        await halo.request("GET", "/Tickets", params={"count": 5})
        await halo.request("GET", "/Tickets", headers={"X-Sandbox-Tool": "t"})
    assert token.call_count == 1
    req = token.calls[0].request
    assert req.url.params["tenant"] == "acme"
    assert req.headers["content-type"] == "application/x-www-form-urlencoded"
    assert form(req) == {
        "grant_type": "client_credentials",
        "client_id": "cid",
        "client_secret": "secret",
        "scope": "all",
    }
    assert api.call_count == 2
    assert api.calls[0].request.headers["authorization"] == "Bearer t1"
    assert api.calls[0].request.url.params["count"] == "5"
    assert api.calls[1].request.headers["x-sandbox-tool"] == "t"
    assert api.calls[1].request.headers["x-sandbox-tenant"] == "acme"


async def test_password_grant(mock):
    token = tokens(mock, "t1")
    mock.get("/api/Agent/me").respond(json={"id": 1})
    async with HaloClient(
        base_url=BASE + "/api/", client_id="cid", username="agent@sandbox.local", password="sandbox"
    ) as halo:
        response = await halo.request("GET", "/Agent/me")
    assert response.json() == {"id": 1}
    assert form(token.calls[0].request) == {
        "grant_type": "password",
        "client_id": "cid",
        "username": "agent@sandbox.local",
        "password": "sandbox",
        "scope": "all",
    }


async def test_concurrent_callers_share_one_token_request(mock):
    async def slow_token(request):
        await asyncio.sleep(0.05)
        return httpx.Response(200, json={"access_token": "t1", "expires_in": 3600})

    token = mock.post("/auth/token").mock(side_effect=slow_token)
    mock.get("/api/Status").respond(json=[])
    async with client() as halo:
        await asyncio.gather(*(halo.request("GET", "/Status") for _ in range(20)))
    assert token.call_count == 1


async def test_expired_token_is_refetched(mock):
    token = tokens(mock, "t1", "t2", expires_in=0.05)
    api = mock.get("/api/Status").respond(json=[])
    async with client() as halo:
        await halo.request("GET", "/Status")
        await asyncio.sleep(0.1)
        await halo.request("GET", "/Status")
    assert token.call_count == 2
    assert api.calls[1].request.headers["authorization"] == "Bearer t2"


async def test_401_reauthenticates_once_and_replays_once(mock):
    token = tokens(mock, "t1", "t2")
    api = mock.post("/api/Tickets").mock(
        side_effect=[httpx.Response(401), httpx.Response(200, json=[{"id": 7}])]
    )
    async with client() as halo:
        response = await halo.request("POST", "/Tickets", json=[{"summary": "x"}])
    assert response.status_code == 200
    assert token.call_count == 2 and api.call_count == 2
    assert api.calls[1].request.headers["authorization"] == "Bearer t2"
    assert api.calls[1].request.content == api.calls[0].request.content


async def test_second_401_surfaces(mock):
    token = tokens(mock, "t1", "t2", "t3")
    api = mock.get("/api/Tickets/1").respond(401, json={"message": "expired"})
    async with client() as halo:
        response = await halo.request("GET", "/Tickets/1")
    assert response.status_code == 401
    assert token.call_count == 2 and api.call_count == 2


@pytest.mark.parametrize("status", [429, 500, 502, 503])
async def test_no_retry_on_other_errors(mock, status):
    tokens(mock, "t1")
    api = mock.get("/api/Tickets").respond(status, text="nope")
    async with client() as halo:
        response = await halo.request("GET", "/Tickets")
    assert response.status_code == status and api.call_count == 1


async def test_refused_credentials_raise_upstream_error(mock):
    mock.post("/auth/token").respond(401, json={"error": "invalid_client", "error_description": "bad secret"})
    api = mock.get("/api/Tickets").respond(json={})
    async with client() as halo:
        with pytest.raises(UpstreamError) as info:
            await halo.request("GET", "/Tickets")
    assert info.value.status == 401 and "bad secret" in info.value.message
    assert info.value.body == {"error": "invalid_client", "error_description": "bad secret"}
    assert api.call_count == 0


@pytest.mark.parametrize("exc", [httpx.ConnectError("refused"), httpx.ReadTimeout("slow")])
async def test_unreachable_or_timeout_raise_unavailable(mock, exc):
    tokens(mock, "t1")
    mock.get("/api/Tickets").mock(side_effect=exc)
    async with client() as halo:
        with pytest.raises(UpstreamUnavailable) as info:
            await halo.request("GET", "/Tickets")
    assert info.value.status is None


async def test_transport_argument_reaches_an_in_process_app():
    async def app(scope, receive, send):
        assert scope["type"] == "http"
        body = b'{"access_token": "a", "expires_in": 60}' if scope["path"] == "/auth/token" else b"[]"
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": body})

    async with client(transport=httpx.ASGITransport(app=app)) as halo:
        response = await halo.request("GET", "/Team")
    assert response.json() == []


def test_credentials_are_required():
    with pytest.raises(ValueError):
        HaloClient(base_url=BASE, client_id="cid")
    with pytest.raises(ValueError):
        HaloClient(base_url=BASE, client_id="cid", username="u")


async def test_password_grant_refresh_token_is_used_then_falls_back(mock):
    answers = iter(
        [
            httpx.Response(200, json={"access_token": "p1", "refresh_token": "r1", "expires_in": 0.05}),
            httpx.Response(200, json={"access_token": "p2", "refresh_token": "r2", "expires_in": 0.05}),
            httpx.Response(400, json={"error": "invalid_grant"}),
            httpx.Response(200, json={"access_token": "p3", "expires_in": 3600}),
        ]
    )
    token = mock.post("/auth/token").mock(side_effect=lambda req: next(answers))
    api = mock.get("/api/Status").respond(json=[])
    async with HaloClient(base_url=BASE, client_id="cid", username="u", password="pw") as halo:
        for _ in range(3):
            await halo.request("GET", "/Status")
            await asyncio.sleep(0.08)
    grants = [form(c.request)["grant_type"] for c in token.calls]
    assert grants == ["password", "refresh_token", "refresh_token", "password"]
    assert form(token.calls[1].request)["refresh_token"] == "r1"
    assert [c.request.headers["authorization"] for c in api.calls] == ["Bearer p1", "Bearer p2", "Bearer p3"]
