"""UpstreamLog: each upstream request on the `halo_sandbox.upstream` logger at DEBUG, never credentials."""

import logging

import httpx
import pytest

from halo_sandbox.server.upstream import HaloClient
from halo_sandbox.server.upstream_log import LOGGER_NAME, UpstreamLog
from tests.server._helpers import BASE

pytestmark = pytest.mark.anyio


async def test_each_upstream_request_is_logged_without_headers_or_bodies(mock, caplog):
    mock.get("/api/Tickets/7").respond(json={"id": 7, "summary": "secret summary"})
    mock.get("/api/Status").mock(side_effect=httpx.ConnectError("connection refused"))
    async with HaloClient(
        base_url=BASE, client_id="cid", client_secret="s3cret", transport=UpstreamLog()
    ) as halo:
        with caplog.at_level(logging.DEBUG, logger=LOGGER_NAME):
            await halo.request("GET", "/Tickets/7")
            with pytest.raises(Exception, match="unreachable"):
                await halo.request("GET", "/Status")
    lines = [r.getMessage() for r in caplog.records if r.name == LOGGER_NAME]
    assert lines[0].startswith("POST /auth/token -> 200")
    assert lines[1].startswith("GET /api/Tickets/7 -> 200 (") and lines[1].endswith(" ms)")
    assert lines[2] == "GET /api/Status failed: connection refused"
    assert not any("s3cret" in line or "Bearer" in line or "secret summary" in line for line in lines)


async def test_nothing_is_logged_above_debug(mock, caplog):
    mock.get("/api/Tickets/7").respond(json={"id": 7})
    async with HaloClient(base_url=BASE, client_id="cid", client_secret="s", transport=UpstreamLog()) as halo:
        with caplog.at_level(logging.INFO, logger=LOGGER_NAME):
            await halo.request("GET", "/Tickets/7")
    assert [r for r in caplog.records if r.name == LOGGER_NAME] == []
