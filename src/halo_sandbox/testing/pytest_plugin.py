"""The pytest plugin (entry point ``pytest11``), loaded in every pytest run where the package is
installed: it only declares fixtures and a marker; nothing is imported or intercepted until a test
asks for a fixture.

- ``halo_mock``: a `HaloMock` (a fresh tenant; httpx and requests calls to Halo hosts served
  in-process). ``@pytest.mark.halo_mock(base_url=..., snapshot=..., rate_limit=...)`` configures it;
  ``scope="module"`` (on the module's ``pytestmark``) shares one tenant across the module's tests.
- ``halo_mcp``: an `mcp.Client` connected in-process to this project's MCP server, whose Halo is
  the ``halo_mock`` tenant (async fixture: anyio tests, or pytest-asyncio in auto mode).
- ``halo_sandbox``: a real ``halo-sandbox up`` process on a free port (one per session and xdist
  worker), reset to its seed before each test.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "halo_mock(base_url=None, snapshot=None, rate_limit=True, scope='function'): "
        "options of the halo_mock fixture",
    )


def _options(node: Any) -> tuple[str, dict[str, Any]]:
    marker = node.get_closest_marker("halo_mock")
    options = dict(marker.kwargs) if marker else {}
    scope = options.pop("scope", "function")
    if scope not in ("function", "module"):
        raise pytest.UsageError(f"halo_mock(scope=...) takes 'function' or 'module', not {scope!r}")
    return scope, options


@pytest.fixture(scope="module")
def _halo_mock_module(request: pytest.FixtureRequest) -> Iterator[Any]:
    from halo_sandbox.testing.halo_mock import mock_halo

    with mock_halo(**_options(request.node)[1]) as halo:
        yield halo


@pytest.fixture
def halo_mock(request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh mock Halo tenant serving every httpx/requests call to Halo hosts in this test (one
    for the whole module with ``pytestmark = pytest.mark.halo_mock(scope="module")``)."""
    from halo_sandbox.testing.halo_mock import mock_halo

    scope, options = _options(request.node)
    if scope == "module":
        yield request.getfixturevalue("_halo_mock_module")
        return
    with mock_halo(**options) as halo:
        yield halo


@pytest.fixture
async def halo_mcp(halo_mock: Any) -> AsyncIterator[Any]:
    """An MCP client session on this project's MCP server (every tool), over the test's tenant."""
    from mcp import Client

    from halo_sandbox.server.mcp_app import build_mcp_server
    from halo_sandbox.server.upstream import HaloClient

    halo = HaloClient(
        base_url=halo_mock.url, client_id=halo_mock.client_id, client_secret=halo_mock.client_secret
    )
    try:
        async with Client(build_mcp_server(halo=halo), cache=None) as client:
            yield client
    finally:
        await halo.aclose()


@pytest.fixture(scope="session")
def _halo_sandbox_process() -> Iterator[Any]:
    from halo_sandbox.testing.process import SandboxProcess

    process = SandboxProcess()
    try:
        yield process
    finally:
        process.stop()


@pytest.fixture
def halo_sandbox(_halo_sandbox_process: Any) -> Any:
    """A running ``halo-sandbox up`` (``.url``, ``.mcp_url``, ``.api_url``, ``.client_id``,
    ``.client_secret``, ``.admin(...)``), reset to its seed for this test."""
    _halo_sandbox_process.reset()
    return _halo_sandbox_process
