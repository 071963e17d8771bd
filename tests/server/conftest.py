import pytest
import respx

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
