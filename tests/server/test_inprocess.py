"""`HaloClient(app=...)`: API requests as direct ASGI calls reach the app exactly as through
`httpx.ASGITransport` (the oracle: httpx's own transport given the same client and request), and the
answer reads the same."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from halo_sandbox.server.errors import UpstreamUnavailable
from halo_sandbox.server.upstream import HaloClient
from halo_sandbox.server.upstream_log import LOGGER_NAME

pytestmark = pytest.mark.anyio

BASE = "http://halo-sandbox.internal"


class Recorder:
    """An ASGI app that grants tokens and records every API request (scope and body)."""

    def __init__(self, answer: tuple[int, list[tuple[bytes, bytes]], list[bytes]] | None = None) -> None:
        self.seen: list[tuple[dict[str, Any], bytes]] = []
        self.answer = answer or (
            200,
            [(b"content-type", b"application/json"), (b"ratelimit-remaining", b"41")],
            [b'{"id": 7, ', b'"summary": "caf\xc3\xa9"}'],
        )

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        if scope["path"] == "/auth/token":
            payload = b'{"access_token": "tok", "expires_in": 3600}'
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await send({"type": "http.response.body", "body": payload})
            return
        self.seen.append(({k: v for k, v in scope.items() if k != "state"}, body))
        status, headers, chunks = self.answer
        await send({"type": "http.response.start", "status": status, "headers": headers})
        for i, chunk in enumerate(chunks or [b""]):
            await send({"type": "http.response.body", "body": chunk, "more_body": i < len(chunks) - 1})


async def _both(app: Recorder, method: str, path: str, **kw: Any) -> tuple[httpx.Response, httpx.Response]:
    """The same request through httpx's ASGI transport, then as a direct ASGI call."""
    through = HaloClient(
        base_url=BASE, client_id="cid", client_secret="s", transport=httpx.ASGITransport(app=app)
    )
    direct = HaloClient(
        base_url=BASE, client_id="cid", client_secret="s", transport=httpx.ASGITransport(app=app), app=app
    )
    async with through, direct:
        return await through.request(method, path, **kw), await direct.request(method, path, **kw)


def _same(a: httpx.Response, b: httpx.Response) -> None:
    assert (a.status_code, a.headers.multi_items(), a.content) == (
        b.status_code,
        b.headers.multi_items(),
        b.content,
    )
    assert (a.text, a.is_success, a.reason_phrase, a.encoding) == (
        b.text,
        b.is_success,
        b.reason_phrase,
        b.encoding,
    )


@pytest.mark.parametrize(
    ("method", "path", "kw"),
    [
        ("GET", "/Tickets/45920", {}),
        (
            "GET",
            "/Tickets",
            {"params": {"pageinate": "true", "page_size": 50, "page_no": 1, "search": "a b&c=d/é"}},
        ),
        ("GET", "/Client/a%2Fb", {"params": {"includeinactive": "false"}}),
        ("GET", "/Tickets?count=5", {"params": {"x": "1"}}),
        ("POST", "/Tickets", {"json": [{"summary": "naïve \u2028 line", "id": 3, "x": [1.5, None, True]}]}),
        ("POST", "/Actions/review", {}),
        ("DELETE", "/Tickets/7", {"params": {"reason": "dup"}}),
        ("GET", "/Tickets/../Client", {}),
        ("GET", "/Tickets/a b", {}),
        ("GET", "/Tickets/%zz", {}),
    ],
)
async def test_the_app_sees_what_httpx_transport_would_send(method, path, kw):
    app = Recorder()
    through, direct = await _both(
        app, method, path, headers={"X-Sandbox-Tool": "t", "X-Sandbox-Call-Id": "c1"}, **kw
    )
    (scope_a, body_a), (scope_b, body_b) = app.seen
    assert scope_b == scope_a
    assert body_b == body_a
    _same(through, direct)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    segment=st.text(min_size=1, max_size=12),
    params=st.dictionaries(
        st.text(min_size=1, max_size=8),
        st.one_of(st.text(max_size=12), st.integers(), st.booleans()),
        max_size=4,
    ),
)
async def test_any_path_and_query_reach_the_app_as_through_httpx(segment, params):
    from urllib.parse import quote

    app = Recorder()
    await _both(app, "GET", f"/Things/{quote(segment, safe='')}", params=params)
    (scope_a, _), (scope_b, _) = app.seen
    assert scope_b == scope_a


async def test_answers_of_any_status_and_shape_read_the_same():
    for answer in [
        (404, [(b"content-type", b"application/json")], [b'{"message": "no such ticket"}']),
        (429, [(b"retry-after", b"7"), (b"ratelimit-limit", b"700")], [b"Rate Limit Reached"]),
        (204, [], []),
        (200, [(b"content-type", b"text/html; charset=utf-8")], [b"<!doctype html><p>login</p>"]),
        (200, [(b"content-type", b"text/plain; charset=latin-1")], [b"caf\xe9"]),
    ]:
        through, direct = await _both(Recorder(answer), "GET", "/Tickets/1")
        _same(through, direct)


async def test_a_compressed_answer_goes_through_httpx_decoders():
    import gzip

    answer = (
        200,
        [(b"content-type", b"application/json"), (b"content-encoding", b"gzip")],
        [gzip.compress(b'{"id": 1}')],
    )
    through, direct = await _both(Recorder(answer), "GET", "/Tickets/1")
    assert direct.json() == through.json() == {"id": 1}


async def test_a_failure_of_the_app_is_the_error_a_transport_raises():
    async def drops(scope, receive, send):
        if scope["path"] == "/auth/token":
            await Recorder()(scope, receive, send)
            return
        await send({"type": "http.response.start", "status": 200, "headers": []})
        raise httpx.RemoteProtocolError("dropped")

    async with HaloClient(
        base_url=BASE, client_id="cid", client_secret="s", transport=httpx.ASGITransport(app=drops), app=drops
    ) as halo:
        with pytest.raises(UpstreamUnavailable, match="unreachable"):
            await halo.request("GET", "/Tickets/1")


async def test_a_url_httpx_refuses_is_refused_the_same_way():
    app = Recorder()
    async with HaloClient(
        base_url=BASE, client_id="cid", client_secret="s", transport=httpx.ASGITransport(app=app), app=app
    ) as halo:
        with pytest.raises(httpx.InvalidURL):
            await halo.request("GET", "/Tickets", params={"search": "x" * 70_000})
    assert app.seen == []


async def test_in_process_requests_are_logged_like_the_others(caplog):
    app = Recorder()
    async with HaloClient(
        base_url=BASE,
        client_id="cid",
        client_secret="s3cret",
        transport=httpx.ASGITransport(app=app),
        app=app,
    ) as halo:
        with caplog.at_level(logging.DEBUG, logger=LOGGER_NAME):
            await halo.request("GET", "/Tickets/7", params={"a": "1"})
    lines = [r.getMessage() for r in caplog.records if r.name == LOGGER_NAME]
    assert len(lines) == 1 and lines[0].startswith("GET /api/Tickets/7?a=1 -> 200 (")
