"""Consumer contracts at the HTTP layer (respx): error pass-through and the auth lifecycle.

- Any upstream failure (400-599 but 401, JSON or text body, any mix of `X-RateLimit-*`, `RateLimit-*`
  and `Retry-After` as seconds or HTTP date, or none) becomes a tool error with the same status and
  body, the right normalised `ratelimit`/`retry_after`, after exactly one upstream request.
- Token expiry at arbitrary points of a call sequence costs exactly one token request and one replay
  each; a refused token request is a clear error.
"""

from __future__ import annotations

import json
import time
from email.utils import formatdate

import httpx
import pytest
import respx
from hypothesis import example, given, settings
from hypothesis import strategies as st

from halo_sandbox.server.executor import Executor
from halo_sandbox.server.tool_specs import generate_tools
from halo_sandbox.server.upstream import HaloClient

BASE = "http://halo.test"
TOOLS = generate_tools(breadth=True)
CALLS = {  # a read, a write, a delete and a list: every shape of upstream request, curated and generated
    "list_all_halo_itsm_tickets": {"client_id": 104, "limit": 5},
    "get_single_halo_itsm_ticket_by_id": {"id": 45920},
    "create_a_halo_itsm_action": {"ticket_id": 45920, "note": "n"},
    "delete_a_halo_itsm_quote_by_id": {"id": 7},
    "list_all_halo_itsm_suppliers": {"includeinactive": True, "limit": 5},
    "get_single_halo_itsm_supplier_by_id": {"id": 3},
    "create_a_halo_itsm_supplier": {"name": "n"},
    "delete_a_halo_itsm_supplier_by_id": {"id": 3},
}


@pytest.fixture(scope="module")
def env(portal):
    halo = HaloClient(base_url=BASE, client_id="cid", client_secret="secret")
    executor = Executor(halo=halo, tools=TOOLS, cursor_secret=b"contracts")
    yield lambda name, args: portal.call(executor.call, name, args)
    portal.call(halo.aclose)


_JSON_BODY = st.dictionaries(
    st.sampled_from(["message", "error", "detail", "[0].client_id", "code"]),
    st.one_of(st.text(max_size=20), st.integers(), st.lists(st.text(max_size=8), max_size=2)),
    max_size=3,
)
_TEXT_BODY = st.text(st.characters(codec="utf-8", exclude_characters="\r"), min_size=1, max_size=60).filter(
    lambda t: t.lstrip()[:1] not in ("{", "[") and "Rate Limit" not in t
)


@settings(max_examples=80)
@example(
    tool="list_all_halo_itsm_tickets",
    status=429,
    body=("text", "Rate Limit Reached"),
    family=None,
    limit=1,
    remaining=0,
    reset=0,
    epoch_reset=False,
    retry=("seconds", 42),
)
@given(
    tool=st.sampled_from(sorted(CALLS)),
    status=st.one_of(
        st.sampled_from([400, 403, 404, 409, 429, 500, 502, 503, 504]),
        st.integers(400, 599).filter(lambda s: s != 401),
    ),
    body=st.one_of(st.none(), _JSON_BODY.map(lambda b: ("json", b)), _TEXT_BODY.map(lambda b: ("text", b))),
    family=st.sampled_from([None, "X-RateLimit-", "RateLimit-"]),
    limit=st.integers(1, 10_000),
    remaining=st.integers(0, 10_000),
    reset=st.integers(0, 3600),
    epoch_reset=st.booleans(),
    retry=st.one_of(st.none(), st.tuples(st.sampled_from(["seconds", "date"]), st.integers(1, 3600))),
)
def test_upstream_errors_pass_through_once(
    env, tool, status, body, family, limit, remaining, reset, epoch_reset, retry
):
    now = time.time()
    headers: dict[str, str] = {}
    if family:
        headers |= {
            f"{family}Limit": str(limit),
            f"{family}Remaining": str(remaining),
            f"{family}Reset": str(int(now) + reset if epoch_reset else reset),
        }
    if retry:
        headers["Retry-After"] = (
            str(retry[1]) if retry[0] == "seconds" else formatdate(now + retry[1], usegmt=True)
        )
    if body is None:
        response, expected_body = httpx.Response(status, headers=headers), None
    elif body[0] == "json":
        response, expected_body = httpx.Response(status, headers=headers, json=body[1]), body[1]
    else:
        response, expected_body = httpx.Response(status, headers=headers, text=body[1]), body[1]

    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        router.post("/auth/token").respond(json={"access_token": "tok", "expires_in": 3600})
        api = router.route(path__startswith="/api/").mock(return_value=response)
        result = env(tool, CALLS[tool])

    assert result.is_error
    error = result.structured_content["error"]
    assert api.call_count == 1, "an upstream failure was retried (or never sent)"
    assert error["status"] == status
    assert error["body"] == expected_body
    halo_says = expected_body.get("message") if isinstance(expected_body, dict) else expected_body
    if isinstance(halo_says, str) and halo_says.strip():
        assert halo_says.strip() in error["message"], "the error's message is not Halo's message"
    slack = (
        2 if (epoch_reset or (retry and retry[0] == "date")) else 0
    )  # clock-based values, second resolution
    want_retry = retry[1] if retry else None
    if want_retry is None:
        assert error["retry_after"] is None
    else:
        assert want_retry - slack <= error["retry_after"] <= want_retry
    if family:
        got = error["ratelimit"]
        assert (got["limit"], got["remaining"]) == (limit, remaining)
        assert reset - slack <= got["reset"] <= reset
    elif status == 429 and retry:
        got = error["ratelimit"]
        assert (
            got["limit"] is None
            and got["remaining"] == 0
            and want_retry - slack <= got["reset"] <= want_retry
        )
    else:
        assert error["ratelimit"] is None


class _Halo:
    """A Halo whose tokens the test expires at chosen points."""

    def __init__(self, *, refuse_tokens_after: int | None = None) -> None:
        self.issued = 0
        self.valid: str | None = None
        self.refuse_after = refuse_tokens_after

    def token(self, request: httpx.Request) -> httpx.Response:
        if self.refuse_after is not None and self.issued >= self.refuse_after:
            return httpx.Response(
                400, json={"error": "invalid_grant", "error_description": "The client is disabled."}
            )
        self.issued += 1
        self.valid = f"tok{self.issued}"
        return httpx.Response(
            200, json={"access_token": self.valid, "token_type": "Bearer", "expires_in": 3600}
        )

    def api(self, request: httpx.Request) -> httpx.Response:
        if request.headers.get("authorization") != f"Bearer {self.valid}":
            return httpx.Response(401, json={"message": "Authorization has been denied for this request."})
        return httpx.Response(
            200, json={"record_count": 1, "tickets": [{"id": 1}]} if request.method == "GET" else {"id": 1}
        )

    def expire(self) -> None:
        self.valid = None


@settings(max_examples=40)
@given(expiries=st.lists(st.booleans(), min_size=1, max_size=12), tools=st.data())
def test_token_expiry_anywhere_costs_exactly_one_refresh(portal, expiries, tools):
    halo = _Halo()
    client = HaloClient(base_url=BASE, client_id="cid", client_secret="secret")
    executor = Executor(halo=client, tools=TOOLS)
    names = [
        tools.draw(st.sampled_from(["list_all_halo_itsm_tickets", "get_single_halo_itsm_ticket_by_id"]))
        for _ in expiries
    ]
    try:
        with respx.mock(base_url=BASE, assert_all_called=False) as router:
            token = router.post("/auth/token").mock(side_effect=halo.token)
            api = router.route(path__startswith="/api/").mock(side_effect=halo.api)
            for n, (expire, name) in enumerate(zip(expiries, names, strict=True)):
                if expire and n:  # the token dies between calls
                    halo.expire()
                result = portal.call(executor.call, name, {"id": 1} if name.startswith("get") else {})
                assert not result.is_error, result.structured_content
        refreshes = sum(1 for n, e in enumerate(expiries) if e and n)
        assert token.call_count == 1 + refreshes, "each expiry must cost exactly one token request"
        assert api.call_count == len(expiries) + refreshes, "each expiry must cost exactly one replay"
    finally:
        portal.call(client.aclose)


@settings(max_examples=10)
@given(good_calls=st.integers(0, 4))
def test_refused_refresh_is_a_clear_error(portal, good_calls):
    halo = _Halo(refuse_tokens_after=1)
    client = HaloClient(base_url=BASE, client_id="cid", client_secret="secret")
    executor = Executor(halo=client, tools=TOOLS)
    try:
        with respx.mock(base_url=BASE, assert_all_called=False) as router:
            router.post("/auth/token").mock(side_effect=halo.token)
            api = router.route(path__startswith="/api/").mock(side_effect=halo.api)
            for _ in range(good_calls + 1):
                assert not portal.call(executor.call, "list_all_halo_itsm_tickets", {}).is_error
            halo.expire()
            before = api.call_count
            result = portal.call(executor.call, "list_all_halo_itsm_tickets", {})
        assert result.is_error
        error = result.structured_content["error"]
        assert error["status"] == 400 and "refused the credentials" in error["message"], error
        assert "The client is disabled." in json.dumps(error)
        assert api.call_count - before == 1, "after a refused refresh nothing may be replayed"
    finally:
        portal.call(client.aclose)


@settings(max_examples=6)
@given(tool=st.sampled_from(["list_all_halo_itsm_tickets", "get_single_halo_itsm_ticket_by_id"]))
def test_revoked_credentials_end_after_one_refresh_and_one_replay(portal, tool):
    """Halo issues tokens but refuses every API request with 401 (the API user was revoked): the call
    comes back with Halo's 401 after one refresh and one replay, never a loop."""
    denied = {"message": "Authorization has been denied for this request."}
    api_calls = []

    def api(request: httpx.Request) -> httpx.Response:
        api_calls.append(request)
        if len(api_calls) > 6:  # a looping server must still end, to be counted
            return httpx.Response(200, json={"record_count": 0, "tickets": []} | {"id": 1})
        return httpx.Response(401, json=denied)

    halo = _Halo()
    client = HaloClient(base_url=BASE, client_id="cid", client_secret="secret")
    executor = Executor(halo=client, tools=TOOLS)
    try:
        with respx.mock(base_url=BASE, assert_all_called=False) as router:
            token = router.post("/auth/token").mock(side_effect=halo.token)
            router.route(path__startswith="/api/").mock(side_effect=api)
            result = portal.call(executor.call, tool, {"id": 1} if tool.startswith("get") else {})
        assert len(api_calls) == 2, f"{len(api_calls)} API requests (expected the refused one and one replay)"
        assert token.call_count == 2, (
            f"{token.call_count} token requests (expected the first and one refresh)"
        )
        assert result.is_error
        error = result.structured_content["error"]
        assert error["status"] == 401 and error["body"] == denied, error
    finally:
        portal.call(client.aclose)
