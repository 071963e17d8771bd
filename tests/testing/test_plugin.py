"""The pytest plugin: httpx (sync, async) and requests interception, unmatched hosts untouched,
isolation, faults, rate limit, clock, token expiry, journal assertions, the decorator, snapshots,
`halo_mcp` and `halo_sandbox`."""

from __future__ import annotations

import http.server
import json
import subprocess
import sys
import threading

import httpx
import pytest
import requests

from halo_sandbox.testing import HaloMock, mock_halo

URL = "https://acme.haloitsm.com"


def token(base: str = URL, client=httpx) -> str:
    response = client.post(
        f"{base}/auth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": "halo-sandbox",
            "client_secret": "halo-sandbox-secret",
        },
    )
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def auth(base: str = URL) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(base)}"}


@pytest.fixture
def local_server():
    """A plain HTTP server on 127.0.0.1 (a host the plugin must leave alone)."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"real")

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


def test_httpx_sync_calls_reach_the_mock_and_its_journal(halo_mock):
    response = httpx.get(f"{URL}/api/Tickets/45920", headers=auth())
    assert response.status_code == 200
    assert response.json()["summary"] == halo_mock.store.get(resource="tickets", id=45920)["summary"]
    halo_mock.assert_called_once("GET", "/api/tickets/45920")
    halo_mock.assert_called_once("post", "/AUTH/TOKEN")
    httpx.get(f"{URL}/api/tickets/45920", headers=auth())
    with pytest.raises(AssertionError, match=r"expected 1 GET /api/tickets/\* request\(s\), got 2"):
        halo_mock.assert_called_once("GET", "/api/tickets/*")
    with pytest.raises(AssertionError, match="no DELETE"):
        halo_mock.assert_called("DELETE")


@pytest.mark.anyio
async def test_httpx_async_calls_reach_the_mock(halo_mock):
    headers = auth()
    async with httpx.AsyncClient(base_url="https://eu.halopsa.com") as client:
        created = await client.post(
            "/api/Tickets", json=[{"summary": "from async", "client_id": 104}], headers=headers
        )
        assert created.status_code == 201 or created.status_code == 200, created.text
        ticket = created.json()["id"]
        read = await client.get(f"/api/Tickets/{ticket}", headers=headers)
    assert read.json()["summary"] == "from async"
    assert halo_mock.store.get(resource="tickets", id=ticket)["summary"] == "from async"


def test_requests_calls_reach_the_mock(halo_mock):
    tok = token(client=requests)
    response = requests.get(
        "https://desk.haloservicedesk.com/api/Client",
        params={"count": 3},
        headers={"Authorization": f"Bearer {tok}"},
    )
    assert response.status_code == 200
    assert len(response.json()["clients"]) == 3
    halo_mock.assert_called_once("GET", "/api/client")
    assert halo_mock.requests("GET", "/api/client")[0].query == "count=3"


def test_unmatched_hosts_are_untouched(halo_mock, local_server):
    assert httpx.get(local_server).text == "real"
    assert requests.get(local_server).text == "real"
    halo_mock.assert_not_called()


@pytest.mark.halo_mock(base_url="http://halo.internal:8080/")
def test_a_given_base_url_is_served(halo_mock):
    assert halo_mock.url == "http://halo.internal:8080"
    assert (
        httpx.get("http://halo.internal:8080/api/Team", headers=auth("http://halo.internal:8080")).status_code
        == 200
    )
    with pytest.raises(httpx.ConnectError):  # same host, other port: not the mock's
        httpx.get("http://halo.internal:8081/api/Team", timeout=2)


def test_faults_answer_then_retire(halo_mock):
    headers = auth()
    halo_mock.faults.add(
        path="/api/tickets", status=429, times=1, headers={"Retry-After": "0"}, body="Rate Limit Reached"
    )
    first = requests.get(f"{URL}/api/Tickets", headers=headers)
    second = httpx.get(f"{URL}/api/Tickets", headers=headers)
    assert (first.status_code, first.text, first.headers["Retry-After"]) == (429, "Rate Limit Reached", "0")
    assert second.status_code == 200
    assert [r.status for r in halo_mock.requests("GET", "/api/tickets")] == [429, 200]


def test_a_dropping_fault_is_a_connection_error_for_both_clients(halo_mock):
    headers = auth()
    halo_mock.faults.add(path="/api/tickets", drop=True, times=2)
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{URL}/api/Tickets", headers=headers)
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{URL}/api/Tickets", headers=headers)


def test_rate_limit_clock_and_token_expiry(halo_mock):
    halo_mock.ratelimit(2, 60)
    headers = auth()
    statuses = [httpx.get(f"{URL}/api/Team", headers=headers).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    halo_mock.clock.advance(61)
    assert httpx.get(f"{URL}/api/Team", headers=headers).status_code == 200
    halo_mock.expire_tokens()
    assert httpx.get(f"{URL}/api/Team", headers=headers).status_code == 401
    halo_mock.ratelimit(None)
    fresh = auth()
    halo_mock.clock.advance(3601)  # past the token's lifetime
    assert httpx.get(f"{URL}/api/Team", headers=fresh).status_code == 401


def test_each_mock_is_its_own_tenant_and_is_removed_after():
    with mock_halo() as first:
        headers = auth()
        httpx.post(f"{URL}/api/Client", json=[{"name": "Only in the first"}], headers=headers)
        names = [c["name"] for c in first.rows("clients", count=1000)]
        assert "Only in the first" in names
        with mock_halo() as second:  # the innermost mock answers
            assert second.name != first.name
            names = [c["name"] for c in second.rows("clients", count=1000)]
            assert "Only in the first" not in names
    assert first.name not in first.registry
    assert httpx.HTTPTransport.handle_request.__qualname__ == "HTTPTransport.handle_request"  # unpatched


def test_the_decorator_serves_sync_and_async_functions():
    @mock_halo()
    def sync_call(halo_mock):
        return httpx.get(f"{URL}/api/Team", headers=auth()).status_code, halo_mock.name

    @mock_halo(base_url="http://halo.test")
    async def async_call():
        async with httpx.AsyncClient() as client:
            return (await client.get("http://halo.test/api/authinfo")).status_code

    import anyio

    assert sync_call()[0] == 200
    assert anyio.run(async_call) == 200


def test_the_decorator_passes_the_handle_to_the_parameter_named_or_annotated():
    import inspect

    @mock_halo(handle_arg="mock")
    def named(mock, suffix):
        return f"{mock.name}{suffix}", httpx.get(f"{mock.url}/api/authinfo").status_code

    @mock_halo()
    def annotated(halo: HaloMock):
        return halo.assert_not_called("POST")

    @mock_halo()
    def none_wanted():
        return httpx.get(f"{URL}/api/authinfo").status_code

    name, status = named(suffix="!")
    assert name.endswith("!") and status == 200
    assert list(inspect.signature(named).parameters) == ["suffix"]  # pytest sees no `mock` fixture
    assert annotated() is None and list(inspect.signature(annotated).parameters) == []
    assert none_wanted() == 200
    with pytest.raises(TypeError, match="has no parameter of that name"):
        mock_halo(handle_arg="halo")(lambda mock: None)


def test_a_snapshot_seeds_the_tenant(tmp_path):
    with mock_halo() as source:
        source.store.post(resource="clients", body=[{"name": "From the snapshot"}])
        path = tmp_path / "snap.json"
        path.write_text(json.dumps(source.snapshot()))
    with mock_halo(snapshot=path) as seeded:
        names = [c["name"] for c in seeded.rows("clients", count=1000)]
        assert "From the snapshot" in names


def test_bad_options_fail_clearly():
    with pytest.raises(ValueError, match="base_url"):
        mock_halo(base_url="halo.internal")


@pytest.mark.anyio
async def test_halo_mcp_is_our_server_over_the_tenant(halo_mcp, halo_mock):
    result = await halo_mcp.call_tool("get_single_halo_itsm_ticket_by_id", {"id": 45920})
    assert not result.is_error
    assert result.structured_content["result"]["id"] == 45920
    halo_mock.faults.add(path="/api/tickets*", status=503, times=1, body={"message": "down"})
    failed = await halo_mcp.call_tool("list_all_halo_itsm_tickets", {})
    assert failed.is_error and failed.structured_content["error"]["status"] == 503
    assert [e.tool for e in halo_mock.requests("GET", "/api/tickets*")] == [
        "get_single_halo_itsm_ticket_by_id",
        "list_all_halo_itsm_tickets",
    ]


@pytest.mark.e2e
def test_halo_sandbox_is_a_real_up_process_reset_per_test(halo_sandbox):
    created = httpx.post(
        f"{halo_sandbox.api_url}/Client",
        json=[{"name": "temporary"}],
        headers={"Authorization": f"Bearer {token(halo_sandbox.url)}"},
    )
    assert created.status_code in (200, 201)
    halo_sandbox.reset()
    listed = halo_sandbox.admin("GET", "/requests").json()
    assert listed["count"] == 0
    assert httpx.post(
        halo_sandbox.mcp_url, json={}, headers={"Accept": "application/json, text/event-stream"}
    ).status_code in (400, 406)


EXAMPLE_TESTS = """
import os, httpx, pytest

@pytest.mark.parametrize("n", range(6))
def test_isolated(halo_mock, n):
    worker = os.environ["PYTEST_XDIST_WORKER"]
    assert halo_mock.name.startswith(f"t-{worker}-")
    tok = httpx.post("https://x.haloitsm.com/auth/token", data={"grant_type": "client_credentials",
                     "client_id": "halo-sandbox", "client_secret":
                     "halo-sandbox-secret"}).json()["access_token"]
    h = {"Authorization": f"Bearer {tok}"}
    before = len(httpx.get("https://x.haloitsm.com/api/Client", params={"count": 1000},
    headers=h).json()["clients"])
    httpx.post("https://x.haloitsm.com/api/Client", json=[{"name": f"c{n}"}], headers=h)
    after = httpx.get("https://x.haloitsm.com/api/Client", params={"count": 1000},
    headers=h).json()["clients"]
    assert len(after) == before + 1 and before == 7   # every test starts from the seed
"""


MODULE_SCOPED = """
import httpx, pytest

pytestmark = pytest.mark.halo_mock(scope="module")
seen = []

def test_first(halo_mock):
    seen.append(halo_mock.name)
    halo_mock.store.post(resource="clients", body=[{"name": "kept for the module"}])

def test_second(halo_mock):
    assert halo_mock.name == seen[0]
    names = [c["name"] for c in halo_mock.rows("clients", count=1000)]
    assert "kept for the module" in names
"""


@pytest.mark.e2e
def test_a_module_can_share_one_tenant(tmp_path):
    (tmp_path / "test_module_scope.py").write_text(MODULE_SCOPED)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    assert "2 passed" in result.stdout, result.stdout + result.stderr


@pytest.mark.e2e
def test_the_entry_point_plugin_works_under_xdist(tmp_path):
    (tmp_path / "test_isolation.py").write_text(EXAMPLE_TESTS)
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-n", "2", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
    )
    assert "6 passed" in result.stdout, result.stdout + result.stderr


def test_the_plugin_intercepts_nothing_without_its_fixture():
    assert httpx.HTTPTransport.handle_request.__module__ == "httpx._transports.default"
    assert httpx.AsyncHTTPTransport.handle_async_request.__module__ == "httpx._transports.default"
    assert requests.adapters.HTTPAdapter.send.__module__ == "requests.adapters"
