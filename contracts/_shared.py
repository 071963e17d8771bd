"""Shared by the contract suites' conftest and test files (no test file imports the conftest): the
run's in-process mock, the tools the contracts exercise, and the clients that reach the mock."""

from __future__ import annotations

import httpx
from fastapi.testclient import TestClient

from halo_sandbox.mock.config import MockSettings
from halo_sandbox.mock.http.app import create_app
from halo_sandbox.server.tool_specs import generate_tools
from halo_sandbox.server.upstream import HaloClient

TENANT_HEADER = "X-Sandbox-Tenant"
CLIENT = {"client_id": "halo-sandbox", "client_secret": "halo-sandbox-secret"}


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
