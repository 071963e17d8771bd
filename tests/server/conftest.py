import functools

import httpx
import pytest
import respx

from halo_sandbox.mock.config import MockSettings
from halo_sandbox.mock.http.app import create_app
from halo_sandbox.server.executor import Executor
from halo_sandbox.server.tool_specs import generate_tools
from halo_sandbox.server.upstream import HaloClient
from tests.server._helpers import BASE


@pytest.fixture
def mock():
    """respx router for BASE with a token endpoint that always grants."""
    with respx.mock(base_url=BASE, assert_all_called=False) as m:
        m.post("/auth/token").respond(json={"access_token": "tok", "expires_in": 3600})
        yield m


@pytest.fixture
async def halo():
    client = HaloClient(base_url=BASE, client_id="cid", client_secret="secret")
    yield client
    await client.aclose()


@functools.cache
def _breadth_tools() -> list:
    return generate_tools(breadth=True)


@pytest.fixture
async def breadth_executor():
    """An `Executor` of every tool, breadth included, against an in-process mock Halo (no rate limit)."""
    app = create_app(MockSettings(rate_limit=None))
    halo = HaloClient(
        base_url="http://mock.halo.test",
        transport=httpx.ASGITransport(app=app),
        client_id="halo-sandbox",
        client_secret="halo-sandbox-secret",
    )
    async with app.router.lifespan_context(app):
        yield Executor(halo=halo, tools=_breadth_tools(), cursor_secret=b"test")
    await halo.aclose()
