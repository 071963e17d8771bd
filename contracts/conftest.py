"""Shared set-up of the contract suites: one in-process mock (rate limiting off), a fresh tenant per
run, a Bearer token for it, and the hypothesis profile (deterministic, no example database)."""

from __future__ import annotations

import os
import uuid

import pytest
from hypothesis import HealthCheck, Phase, settings

from contracts._shared import ALL_TOOLS, MOCK_APP, RecordingTransport, halo_client, token_headers
from halo_sandbox.server.executor import Executor

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


@pytest.fixture(scope="session")
def mock_app():
    return MOCK_APP


@pytest.fixture(scope="session")
def tenant() -> str:
    """A fresh tenant for this run (built from the default fixtures on first use)."""
    return f"contracts-{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="session")
def api_headers(mock_app, tenant) -> dict[str, str]:
    return token_headers(mock_app, tenant)


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
