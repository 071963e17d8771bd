"""`up`'s in-process hop to the mock fails as a socket would: an exception before the response
starts is a 500 the MCP server reports with its status; an abandoned response (a ``drop`` fault)
is a transport error, never an empty 200."""

from __future__ import annotations

import httpx
import pytest

from halo_sandbox.sandbox import _as_on_a_socket

pytestmark = pytest.mark.anyio


async def _fails_early(scope, receive, send):
    raise RuntimeError("a bug in the mock")


async def _abandons(scope, receive, send):
    await send({"type": "http.response.start", "status": 200, "headers": []})
    raise httpx.RemoteProtocolError("dropped")


async def test_a_failure_before_the_response_is_a_500():
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=_as_on_a_socket(_fails_early)), base_url="http://mock"
    ) as http:
        answer = await http.get("/api/Tickets")
    assert answer.status_code == 500 and answer.text == "Internal Server Error"


async def test_an_abandoned_response_is_a_transport_error_not_an_empty_200():
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=_as_on_a_socket(_abandons)), base_url="http://mock"
    ) as http:
        with pytest.raises(httpx.TransportError):
            await http.get("/api/Client/104")
