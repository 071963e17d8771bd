"""One local client cannot take every MCP session, legacy SSE stream or socket of a real
`halo-sandbox up` (README "Sessions and connections per client"): a flood of `initialize` requests that
never send a second message, 100 SSE streams held open, 1,000 idle sockets. Another client keeps being
served (its worst wait is measured), the flood's sessions expire within seconds, memory stays bounded.

Documented figures (tests/reliability/README.md): 1,000 Streamable HTTP sessions, 100 SSE streams,
1,000 connections at once; a session or stream whose client sent nothing after opening it is closed
after 10 s; stateless 2026-07-28 requests hold no session."""

from __future__ import annotations

import concurrent.futures
import json
import socket
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests._jsonrpc import ACCEPT, initialize
from tests._sandbox import Sandbox
from tests.reliability._abuse import other_client, rss_mib

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/<pid>/status")

SESSIONS, SSE_STREAMS, CONNECTIONS = 1_000, 100, 1_000
HANDSHAKE = 10.0
"""Seconds after which a session or stream that sent nothing after opening is closed (README)."""
LEGACY, MODERN = "2025-06-18", "2026-07-28"
HEADERS = ACCEPT
INITIALIZE = initialize(LEGACY, client="flood")
MODERN_LIST = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "tools/list",
    "params": {
        "_meta": {
            "io.modelcontextprotocol/protocolVersion": MODERN,
            "io.modelcontextprotocol/clientCapabilities": {},
            "io.modelcontextprotocol/clientInfo": {"name": "t", "version": "1"},
        }
    },
}


def _handshake(client: httpx.Client, url: str) -> httpx.Response:
    """A whole handshake-era client: initialize, initialized, tools/list; the last answer."""
    opened = client.post(url, json=INITIALIZE, headers=HEADERS)
    if opened.status_code != 200:
        return opened
    session = {**HEADERS, "Mcp-Session-Id": opened.headers["mcp-session-id"], "MCP-Protocol-Version": LEGACY}
    client.post(url, json={"jsonrpc": "2.0", "method": "notifications/initialized"}, headers=session)
    return client.post(url, json={"jsonrpc": "2.0", "id": 2, "method": "tools/list"}, headers=session)


def test_a_flood_of_initialize_never_locks_out_a_new_client(up: Sandbox) -> None:
    before = rss_mib(up.proc.pid)

    flooder = httpx.Client(timeout=60, limits=httpx.Limits(max_connections=8))

    def flood(_: int) -> tuple[int, str | None]:
        answer = flooder.post(up.mcp_url, json=INITIALIZE, headers=HEADERS)
        return answer.status_code, answer.headers.get("mcp-session-id")

    with other_client(lambda c: _handshake(c, up.mcp_url), every=0.5) as waits, flooder:
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            opened = list(pool.map(flood, range(SESSIONS + 50)))
    grown = rss_mib(up.proc.pid) - before
    print(f"\nfigures: sessions: RSS +{grown:.0f} MiB, worst wait {waits.worst:.2f} s")
    assert all(status == 200 for status, _ in opened)
    with httpx.Client(timeout=30) as client:
        assert _handshake(client, up.mcp_url).status_code == 200  # a new client right after the flood
        stateless = client.post(
            up.mcp_url,
            json=MODERN_LIST,
            headers={**HEADERS, "MCP-Protocol-Version": MODERN, "Mcp-Method": "tools/list"},
        )
        assert stateless.status_code == 200 and "tools" in stateless.json()["result"]
    assert set(waits.statuses) == {200} and not waits.errors, (waits.statuses, waits.errors)
    assert waits.worst < 5, f"another client waited {waits.worst:.2f} s"
    assert grown < 150, f"RSS grew {grown:.0f} MiB for {len(opened)} sessions"
    # the flood's sessions, which never sent a second message, are gone within seconds
    time.sleep(HANDSHAKE + 3)
    session = opened[-1][1]
    assert session is not None
    later = httpx.post(
        up.mcp_url,
        json={"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
        headers={**HEADERS, "Mcp-Session-Id": session, "MCP-Protocol-Version": LEGACY},
    )
    assert later.status_code == 404


def _events(response: httpx.Response) -> Iterator[dict[str, str]]:
    event: dict[str, str] = {}
    for line in response.iter_lines():
        if not line:
            if event:
                yield event
            event = {}
        elif ":" in line:
            name, _, value = line.partition(":")
            event[name] = value.strip()


def test_held_sse_streams_never_lock_out_a_new_client(up: Sandbox) -> None:
    limits = httpx.Limits(max_connections=None, max_keepalive_connections=0)
    with httpx.Client(timeout=30, limits=limits) as holder:
        held = [holder.send(holder.build_request("GET", up.sse_url), stream=True) for _ in range(SSE_STREAMS)]
        assert all(r.status_code == 200 for r in held)
        started = time.monotonic()
        with httpx.Client(timeout=30) as client, client.stream("GET", up.sse_url) as stream:
            assert stream.status_code == 200, stream.read()
            events = _events(stream)
            endpoint = next(e["data"] for e in events if e.get("event") == "endpoint")
            posted = client.post(f"{up.base}{endpoint}", json=INITIALIZE)
            assert posted.status_code == 202
            answer: Any = json.loads(next(e["data"] for e in events if e.get("event") == "message"))
            assert answer["result"]["serverInfo"]
        waited = time.monotonic() - started
        print(f"\nfigures: sse: new client served in {waited:.2f} s")
        assert waited < 5, f"the new SSE client waited {waited:.2f} s"
        # the held streams never posted anything: the server closes them within seconds
        deadline = time.monotonic() + HANDSHAKE + 10
        for response in held:
            with pytest.raises(httpx.HTTPError):  # noqa: PT012 - reading until the server ends it
                for _ in response.iter_bytes():
                    if time.monotonic() > deadline:
                        response.close()
                        raise AssertionError("a held SSE stream was still open after 20 s")
                raise httpx.ReadError("ended")
            response.close()


def test_idle_sockets_never_starve_other_clients(up: Sandbox) -> None:
    before = rss_mib(up.proc.pid)
    idle = [socket.create_connection(("127.0.0.1", up.port)) for _ in range(CONNECTIONS)]
    try:
        with other_client(lambda c: c.get(f"{up.base}/api/authinfo"), every=0.05) as waits:
            idle += [socket.create_connection(("127.0.0.1", up.port)) for _ in range(CONNECTIONS // 2)]
            time.sleep(2)
        grown = rss_mib(up.proc.pid) - before
    finally:
        for sock in idle:
            sock.close()
    print(f"\nfigures: sockets: RSS +{grown:.0f} MiB, worst wait {waits.worst:.2f} s")
    assert waits.statuses and set(waits.statuses) == {200}, (waits.statuses[:20], waits.errors[:3])
    assert not waits.errors
    assert waits.worst < 2, f"another client waited {waits.worst:.2f} s"
    assert grown < 100, f"RSS grew {grown:.0f} MiB for {len(idle)} idle sockets"
