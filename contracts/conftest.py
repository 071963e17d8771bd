"""Shared set-up of the contract suites: one in-process mock (rate limiting off), a fresh tenant per
run, a Bearer token for it, and the hypothesis profile (deterministic, no example database)."""

from __future__ import annotations

import os
import uuid

import httpx
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, settings

from halo_sandbox.mock.http.app import create_app
from halo_sandbox.mock.settings import MockSettings
from halo_sandbox.server.executor import Executor
from halo_sandbox.server.tools import generate_tools
from halo_sandbox.server.upstream import HaloClient

settings.register_profile(
    "contracts",
    derandomize=True,  # the same examples on every run: a failure reproduces as it is
    database=None,
    deadline=None,
    print_blob=True,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # no shrinking: CI wants the failure fast
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.function_scoped_fixture,
        HealthCheck.filter_too_much,
        HealthCheck.data_too_large,
    ],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "contracts"))

TENANT_HEADER = "X-Sandbox-Tenant"
CLIENT = {"client_id": "halo-sandbox", "client_secret": "halo-sandbox-secret"}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


MOCK_APP = create_app(MockSettings(rate_limit=None))
"""The mock Halo application of the run (in-process, rate limiting off for the suite)."""
ALL_TOOLS = generate_tools(breadth=True)
"""Every tool the server can offer: curated, then generated from Halo's OpenAPI (breadth)."""
CURATED = [t for t in ALL_TOOLS if t.entry is None or not t.entry.generated]
GENERATED_PER_RUN = 48
"""At most this many generated tools per run (of those the provider serves), so the suite's time stays
bounded however much of Halo's API the mock grows to serve."""


def _generated_sample() -> list:
    from contracts.provider_document import declares

    served = [t for t in ALL_TOOLS if t.entry is not None and t.entry.generated and declares(t)]
    if len(served) <= GENERATED_PER_RUN:
        return served
    by_method: dict[str, list] = {}
    for tool in served:  # round-robin over methods, then catalogue order: every method kind is covered
        by_method.setdefault(tool.method, []).append(tool)
    queues = list(by_method.values())
    picked: list = []
    while len(picked) < GENERATED_PER_RUN:
        for queue in queues:
            if queue and len(picked) < GENERATED_PER_RUN:
                picked.append(queue.pop(0))
    return picked


GENERATED = _generated_sample()
"""Generated tools whose operation the provider's document declares (a sample, see `GENERATED_PER_RUN`);
the set grows as the mock serves more of Halo's API."""
TOOLS = [*CURATED, *GENERATED]
"""The tools the consumer contracts exercise."""


@pytest.fixture(scope="session")
def mock_app():
    return MOCK_APP


@pytest.fixture(scope="session")
def tenant() -> str:
    """A fresh tenant for this run (built from the default fixtures on first use)."""
    return f"contracts-{uuid.uuid4().hex[:8]}"


def token_headers(app, tenant: str) -> dict[str, str]:
    """Headers of an authenticated `/api` call on ``tenant``."""
    with TestClient(app) as client:
        response = client.post(
            "/auth/token",
            data={"grant_type": "client_credentials", **CLIENT},
            headers={TENANT_HEADER: tenant},
        )
        response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}", TENANT_HEADER: tenant}


@pytest.fixture(scope="session")
def api_headers(mock_app, tenant) -> dict[str, str]:
    return token_headers(mock_app, tenant)


class RecordingTransport(httpx.AsyncBaseTransport):
    """Passes requests to the in-process mock and remembers each one (the upstream side of a call)."""

    def __init__(self, app) -> None:
        self._inner = httpx.ASGITransport(app=app)
        self.requests: list[httpx.Request] = []

    @property
    def api_requests(self) -> list[httpx.Request]:
        return [r for r in self.requests if r.url.path.lower().startswith("/api/")]

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return await self._inner.handle_async_request(request)


def halo_client(transport: httpx.AsyncBaseTransport, tenant: str) -> HaloClient:
    """The MCP server's upstream client, pointed at the in-process mock's tenant."""
    return HaloClient(
        base_url="http://mock.halo.test", transport=transport, headers={TENANT_HEADER: tenant}, **CLIENT
    )


@pytest.fixture(scope="module")
def env(tenant, portal):
    """The MCP server's executor (every generated tool) on a recording transport to the module's tenant:
    ``(transport, call(name, args) -> result, the tenant's store)``."""
    transport = RecordingTransport(MOCK_APP)
    halo = halo_client(transport, tenant)
    executor = Executor(halo=halo, tools=ALL_TOOLS, cursor_secret=b"contracts")
    yield (
        transport,
        lambda name, args: portal.call(executor.call, name, args),
        MOCK_APP.state.sandbox.get(tenant).store,
    )
    portal.call(halo.aclose)


@pytest.fixture(scope="module")
def portal():
    """One event loop in a thread for a module's async calls, so hypothesis tests can stay synchronous."""
    from anyio.from_thread import start_blocking_portal

    with start_blocking_portal("asyncio") as running:
        yield running
