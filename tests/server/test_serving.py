"""Slow, idle and too many clients on a real uvicorn: header and body deadlines, the cap on legacy
SSE streams (with the memory it bounds) and their idle timeout."""

from __future__ import annotations

import asyncio
import contextlib
import json
import resource
import socket

import anyio
import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from halo_sandbox.harness import serving
from halo_sandbox.server.mcp_app import build_mcp_server
from halo_sandbox.server.transports import mcp_asgi_app
from halo_sandbox.server.upstream import HaloClient
from halo_sandbox.serving import BodyDeadline, DeadlineH11Protocol, bind, uvicorn_options

pytestmark = pytest.mark.anyio


class _QuickDeadline(DeadlineH11Protocol):
    header_timeout = 0.5


def _serve(app, **options):
    return serving(app, startup_timeout=5, **options)


async def _echo(request: Request) -> JSONResponse:
    return JSONResponse({"bytes": len(await request.body())})


ECHO = Starlette(routes=[Route("/", _echo, methods=["GET", "POST"])])


async def _closed_by_server(reader: asyncio.StreamReader, within: float) -> bool:
    with anyio.move_on_after(within):
        return await reader.read(65536) == b"" or await reader.read() == b""
    return False


async def test_half_sent_headers_are_dropped_and_whole_requests_served() -> None:
    async with _serve(ECHO, **uvicorn_options(http=_QuickDeadline)) as port:
        slow = [await asyncio.open_connection("127.0.0.1", port) for _ in range(50)]
        for _, writer in slow:
            writer.write(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")  # never finished
        silent = [await asyncio.open_connection("127.0.0.1", port) for _ in range(10)]  # say nothing at all
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            assert (await client.get("/")).status_code == 200
        closed = [await _closed_by_server(reader, within=3) for reader, _ in slow + silent]
        assert all(closed)
        for _, writer in slow + silent:
            writer.close()


async def _late_body(port: int, request: bytes) -> bytes:
    """Send ``request`` (headers and part of a body) and read until the server closes."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request)
    answer = b""
    with anyio.move_on_after(5):
        while chunk := await reader.read(65536):
            answer += chunk
    writer.close()
    return answer


async def test_a_body_that_never_completes_is_answered_408_and_closed() -> None:
    async with _serve(BodyDeadline(ECHO, timeout=0.5), **uvicorn_options()) as port:
        answer = await _late_body(
            port, b"POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\nonly a little"
        )
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 408"), answer  # answered, and the connection closed (read ended)
        assert "message" in json.loads(body)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            assert (await client.post("/", content=b"x" * 5000)).json() == {"bytes": 5000}


@pytest.mark.parametrize(
    ("method", "path", "content_type", "key"),
    [
        ("POST", "/api/Tickets", "application/json", "message"),
        ("POST", "/auth/token", "application/x-www-form-urlencoded", "error_description"),
        ("PUT", "/_sandbox/strict", "application/json", "message"),
        ("PUT", "/_sandbox/snapshot", "application/json", "message"),
    ],
)
async def test_the_mock_answers_a_late_body_408_in_its_error_shape(
    method: str, path: str, content_type: str, key: str
) -> None:
    from halo_sandbox.mock.config import MockSettings
    from halo_sandbox.mock.http.app import create_app

    app = create_app(MockSettings(rate_limit=None))
    async with _serve(BodyDeadline(app, timeout=0.5), **uvicorn_options()) as port:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            token = await client.post(
                "/auth/token",
                data={"grant_type": "client_credentials", "client_id": "halo-sandbox"}
                | {"client_secret": "halo-sandbox-secret", "scope": "all"},
            )
            bearer = token.json()["access_token"]
        answer = await _late_body(
            port,
            f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\n"
            f"Authorization: Bearer {bearer}\r\nContent-Length: 1000\r\n\r\n[{{".encode(),
        )
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 408"), answer
        assert key in json.loads(body)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as client:
            journal = (await client.get("/_sandbox/requests")).json()["requests"]
        if path.startswith("/api"):
            assert journal[0]["status"] == 408


def _rss_mb() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def test_open_sse_streams_are_capped_and_memory_stays_bounded() -> None:
    """At the cap the stream idle longest makes room: every client is served, at most 10 streams
    are open and memory stays bounded."""
    halo = HaloClient(
        base_url="http://halo.test",
        client_id="c",
        client_secret="s",
        transport=httpx.MockTransport(lambda r: httpx.Response(404)),
    )
    app = mcp_asgi_app(lambda: build_mcp_server(halo=halo), max_sse_streams=10)
    endpoint = next(r for r in app.routes if getattr(r, "path", "") == "/sse").endpoint  # type: ignore[attr-defined]
    async with _serve(app) as port:
        before = _rss_mb()
        limits = httpx.Limits(max_connections=None, max_keepalive_connections=0)
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}", timeout=10, limits=limits
        ) as client:
            async with contextlib.AsyncExitStack() as stack:
                statuses = []
                most = 0
                for _ in range(300):
                    response = await client.send(client.build_request("GET", "/sse"), stream=True)
                    statuses.append(response.status_code)
                    stack.push_async_callback(response.aclose)
                    most = max(most, endpoint.open)
                grown = _rss_mb() - before
        assert statuses.count(200) == 300 and most <= 10
        assert grown < 60, f"RSS grew {grown:.0f} MB for 300 streams"
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            async with client.stream("GET", "/sse") as response:
                assert response.status_code == 200
    await halo.aclose()


async def test_an_idle_sse_stream_is_closed() -> None:
    halo = HaloClient(
        base_url="http://halo.test",
        client_id="c",
        client_secret="s",
        transport=httpx.MockTransport(lambda r: httpx.Response(404)),
    )
    app = mcp_asgi_app(lambda: build_mcp_server(halo=halo), sse_idle_seconds=0.5)
    async with _serve(app) as port:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            with anyio.fail_after(5):
                async with client.stream("GET", "/sse") as response:
                    assert response.status_code == 200
                    async for _ in response.aiter_bytes():
                        pass  # ends when the server closes the idle stream
    await halo.aclose()


async def test_connections_of_the_bound_socket_do_not_wait_for_delayed_acks():
    """`bind()`'s socket says it is TCP, so asyncio sets TCP_NODELAY on every accepted connection (with
    a socket of protocol 0 it does not, and each response written in two parts waited ~40 ms)."""
    import asyncio

    sock = bind("127.0.0.1", 0)
    accepted: list[asyncio.BaseTransport] = []

    class _Keep(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            accepted.append(transport)

    server = await asyncio.get_running_loop().create_server(_Keep, sock=sock)
    try:
        _, writer = await asyncio.open_connection(*sock.getsockname()[:2])
        with anyio.fail_after(5):
            while not accepted:
                await anyio.sleep(0.01)
        conn = accepted[0].get_extra_info("socket")
        assert conn.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
        writer.close()
    finally:
        server.close()
