"""Hostile inputs: hypothesis over every `/api`, `/auth` and `/_sandbox` input and every MCP tool's
arguments, with strings from the whole Unicode range (lone surrogates included), numbers at and beyond
the float and int64 limits, dates at the calendar's edges, deep nesting and huge sizes.

Asserted for every input: no 5xx, no exception, a clear refusal (a 4xx with a JSON body, or an
``isError`` tool result with a message), and the tenant's data unchanged after every refused request.
Everything runs in process (the mock app over its ASGI interface, the MCP executor on an httpx
transport to it), so the full size (``--long``) runs > 10,000 inputs in a few minutes.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import anyio.from_thread
import httpx
import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from halo_sandbox.mock.config import MockSettings
from halo_sandbox.mock.domain import facts
from halo_sandbox.mock.domain.resources import RESOURCES
from halo_sandbox.mock.http.app import create_app
from halo_sandbox.server.executor import Executor
from halo_sandbox.server.tool_specs import generate_tools
from halo_sandbox.server.upstream import HaloClient

CI_EXAMPLES = 60
FULL_EXAMPLES = 2000
"""Per test: 6 tests x 2000 = 12,000 inputs with ``--long``."""
ADMIN = {"X-Admin-Key": "hostile-admin"}
TALLY: Counter[str] = Counter()

# ---------------------------------------------------------------- strategies

EDGE_STRINGS = [
    "",
    " ",
    "\x00",
    "\ud800",
    "\udfff",
    "a\ud800b",
    "\ufeff",
    "\u202e",
    "💥" * 50,
    "'; DROP TABLE x;--",
    "<script>alert(1)</script>",
    "%00",
    "../../etc/passwd",
    "\r\nSet-Cookie: x=1",
    "null",
    "NaN",
    "x" * 70_000,
]
EDGE_NUMBERS: list[Any] = [
    0,
    -1,
    2**31 - 1,
    2**31,
    -(2**31) - 1,
    2**53 + 1,
    2**63 - 1,
    2**63,
    -(2**63) - 1,
    2**64,
    10**400,
    -(10**400),
    1e308,
    -1e308,
    5e-324,
    1.7976931348623157e308,
    float("inf"),
    float("-inf"),
    float("nan"),
    0.1,
    -0.0,
]
EDGE_DATES = [
    "0001-01-01T00:00:00",
    "0001-01-01T00:30:00+01:00",
    "9999-12-31T23:59:59",
    "9999-12-31T23:00:00-05:00",
    "1752-12-31T23:59:59",
    "1753-01-01T00:00:00",
    "1899-12-30T00:00:00",
    "1900-01-01T00:00:00",
    "2024-02-29T24:00:00",
    "2023-02-29T00:00:00",
    "2024-13-01T00:00:00",
    "2024-01-01T00:00:00+25:00",
    "10000-01-01T00:00:00",
    "-0001-01-01T00:00:00",
    "2024-01-01T00:00:00.9999999999Z",
    "T",
    "2024",
]

texts = st.one_of(
    st.sampled_from(EDGE_STRINGS),
    st.text(st.characters(min_codepoint=0, max_codepoint=0x10FFFF, exclude_categories=()), max_size=40),
)
numbers = st.one_of(
    st.sampled_from(EDGE_NUMBERS),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=True, allow_infinity=True),
)
dates = st.one_of(st.sampled_from(EDGE_DATES), st.datetimes().map(lambda d: d.isoformat()))
scalars = st.one_of(texts, numbers, dates, st.booleans(), st.none())
values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=12,
)


def _deep(depth: int, kind: str) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value] if kind == "list" else {"a": value}
    return value


deep = st.builds(_deep, st.integers(min_value=20, max_value=400), st.sampled_from(["list", "dict"]))
hostile = st.one_of(values, deep, scalars)
FIELDS = sorted({name for spec in RESOURCES for name in spec.fields} | {"lines", "customfields", "id"})
records = st.dictionaries(st.one_of(st.sampled_from(FIELDS), texts), hostile, max_size=6)


def _encode(value: Any) -> bytes:
    """JSON as a hostile client would send it: NaN/Infinity tokens and lone surrogates as escapes."""
    return json.dumps(value).encode()


raw_bodies = st.one_of(
    st.builds(lambda v: _encode(v), st.one_of(records, st.lists(records, max_size=3), hostile)),
    st.binary(max_size=200),
    st.sampled_from(
        [
            b"",
            b"[",
            b"[{}",
            b'{"a":' * 50,
            b"\xff\xfe",
            b"[" * 5000 + b"]" * 5000,
            b"NaN",
            b'[{"summary": "' + b"x" * 300_000 + b'", "client_id": 104}]',
        ]
    ),
)


def _q(text: str) -> str:
    """``text`` percent-encoded as raw UTF-8 bytes (a lone surrogate becomes the bytes a hostile client
    sends)."""
    return quote(text[:2000].encode("utf-8", "surrogatepass"), safe="")  # httpx refuses URLs over 64 KB


PATHS = sorted({spec.path for spec in RESOURCES})
_MODELLED = {path.lower() for path in PATHS}
GENERIC_PATHS = sorted(
    template.strip("/")
    for template, operations in facts.facts()["paths"].items()
    if "post" in {m.lower() for m in operations}
    and template.count("/") == 1
    and template.strip("/").lower() not in _MODELLED
)
"""Documented collections the resource table does not model (served generically), from Halo's document."""
GENERIC_FIELDS = sorted(
    {
        name
        for path in GENERIC_PATHS
        for name in facts.schema(
            (facts.operation("POST", f"/{path}") or facts.operation("GET", f"/{path}")).body_schema or ""
        )  # type: ignore[union-attr]
    }
)
generic_records = st.dictionaries(
    st.one_of(st.sampled_from(GENERIC_FIELDS), st.sampled_from(FIELDS), texts), hostile, max_size=6
)
generic_bodies = st.one_of(
    st.builds(_encode, st.one_of(generic_records, st.lists(generic_records, max_size=3))),
    raw_bodies,
    st.sampled_from(  # the poison the generic collections once stored and then could not answer
        [
            b'[{"name": "\\ud800"}]',
            b'[{"name": "x", "datecreated": "9999-12-31T23:00:00-05:00"}]',
            b'[{"name": "x", "baseprice": 1e999}]',
            b'[{"name": "x", "jira_servicedesk": {"a": 1e999}}]',
            b'[{"name": "x", "jira_servicedesk": {"a": ' + b"9" * 400 + b"}}]",
            b'[{"name": "x", "jira_servicedesk": ' + b'{"a":' * 600 + b"1" + b"}" * 600 + b"}]",
            b'[{"name": "x", "bad\\r\\nX-Evil: 1": 1}]',
        ]
    ),
)
paths = st.one_of(st.sampled_from(PATHS), texts.map(lambda t: _q(t) or "x"))
ids = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70).map(str),
    texts.map(_q),
    st.sampled_from(
        ["45_920", _q("٤٥"), "+1", "%201", "1.0", "0x1", "1e3", "45001", "99999999999", "%00", "..", "-"]
    ),
)
query = st.dictionaries(
    st.one_of(
        st.sampled_from(
            [
                "pageinate",
                "page_size",
                "page_no",
                "count",
                "order",
                "orderdesc",
                "search",
                "client_id",
                "team",
                "includebreached",
                "open_only",
                "ticket_id",
                "quote_status",
                "includedetails",
                "tenant",
                "client_secret",
            ]
        ),
        texts,
    ),
    st.one_of(texts, numbers.map(str), dates),
    max_size=5,
).map(lambda params: "&".join(f"{_q(k)}={_q(v)}" for k, v in params.items()))

# ---------------------------------------------------------------- the rig


class Rig:
    """The mock (admin key set, rate limit off) in process, a token, and an MCP executor on it."""

    def __init__(self) -> None:
        self.app = create_app(MockSettings(rate_limit=None, admin_key=ADMIN["X-Admin-Key"], max_tenants=8))
        self.registry = self.app.state.sandbox
        self.http = TestClient(self.app, base_url="http://mock.test", raise_server_exceptions=True)
        token = self.http.post(
            "/auth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": "halo-sandbox",
                "client_secret": "halo-sandbox-secret",
            },
        ).json()["access_token"]
        self.auth = {"Authorization": f"Bearer {token}"}

    def state(self) -> str:
        tenant = self.registry.get()
        return (
            json.dumps(tenant.store.snapshot(), sort_keys=True)
            + json.dumps(tenant.generic.snapshot(), sort_keys=True)
            + json.dumps([tenant.strict, tenant.faults.snapshot()])
            + json.dumps(self.registry.names())
        )

    def check(self, target: str, response: httpx.Response, before: str) -> None:
        """No 5xx; a refusal is a JSON 4xx and changes nothing."""
        TALLY[target] += 1
        assert response.status_code < 500, (target, response.status_code, response.text[:300])
        for name, value in response.headers.raw:  # what a real server could not send drops the connection
            assert all(32 <= c < 127 or c == 9 for c in name + value), (target, name, value[:200])
        if response.status_code >= 400:
            assert response.headers.get("content-type", "").startswith("application/json"), response.text[
                :200
            ]
            assert response.json(), response.text[:200]
            assert self.state() == before, f"{target}: a refused request changed the tenant"


@pytest.fixture(scope="module")
def rig() -> Iterator[Rig]:
    rig = Rig()
    with rig.http:
        yield rig


def _examples(long_run: bool) -> Any:
    return settings(
        max_examples=FULL_EXAMPLES if long_run else CI_EXAMPLES,
        deadline=None,
        derandomize=not long_run,
        suppress_health_check=list(HealthCheck),
        database=None,
        phases=[Phase.explicit, Phase.generate],
    )  # no shrinking: a failure prints its raw input


# ---------------------------------------------------------------- /api


def test_api_writes(rig: Rig, long_run: bool) -> None:
    @_examples(long_run)
    @given(
        path=paths,
        body=raw_bodies,
        content_type=st.sampled_from(
            ["application/json", "text/json", "text/plain", "application/x-www-form-urlencoded", ""]
        ),
    )
    def run(path: str, body: bytes, content_type: str) -> None:
        before = rig.state()
        headers = {**rig.auth, **({"Content-Type": content_type} if content_type else {})}
        response = rig.http.post(f"/api/{path}", content=body, headers=headers)
        rig.check("api POST", response, before)
        if response.status_code == 200:  # an accepted write must read back, and so must the snapshot
            assert rig.http.get("/_sandbox/snapshot", headers=ADMIN).status_code == 200
            assert rig.http.get(f"/api/{path}", headers=rig.auth).status_code == 200
            rig.registry.reset()  # the next input starts from the fixtures again

    run()


def test_api_reads_and_deletes(rig: Rig, long_run: bool) -> None:
    @_examples(long_run)
    @given(path=paths, record_id=ids, params=query, delete=st.booleans())
    def run(path: str, record_id: str, params: str, delete: bool) -> None:
        before = rig.state()
        listed = rig.http.get(f"/api/{path}?{params}", headers=rig.auth)
        rig.check("api GET list", listed, before)
        one = rig.http.get(f"/api/{path}/{record_id}?{params}", headers=rig.auth)
        rig.check("api GET one", one, before)
        if (
            delete and not record_id.strip().lstrip("-").isdigit()
        ):  # deleting real seed rows is allowed, not hostile
            rig.check(
                "api DELETE", rig.http.delete(f"/api/{path}/{record_id}?{params}", headers=rig.auth), before
            )

    run()


def _generic_write(rig: Rig, path: str, body: bytes, target: str) -> None:
    before = rig.state()
    headers = {**rig.auth, "Content-Type": "application/json"}
    response = rig.http.post(f"/api/{path}", content=body, headers=headers)
    rig.check(target, response, before)
    if response.status_code == 200:  # what was stored answers: the list, each record, the snapshot
        assert rig.http.get("/_sandbox/snapshot", headers=ADMIN).status_code == 200
        listed = rig.http.get(f"/api/{path}", headers=rig.auth)  # 405 where Halo documents no list
        assert listed.status_code in (200, 405), (path, listed.text[:200])
        saved = response.json()
        for row in saved if isinstance(saved, list) else [saved]:
            if isinstance(row, dict) and row.get("id") is not None:
                one = rig.http.get(f"/api/{path}/{_q(str(row['id']))}", headers=rig.auth)
                assert one.status_code < 500, (path, row["id"], one.text[:200])
        rig.registry.reset()


def test_generic_writes(rig: Rig, long_run: bool) -> None:
    """Every documented collection the table does not model goes through the same wire checks."""

    @_examples(long_run)
    @given(path=st.sampled_from(GENERIC_PATHS), body=generic_bodies)
    def run(path: str, body: bytes) -> None:
        _generic_write(rig, path, body, "generic POST")

    run()


def test_strict_mode(rig: Rig, long_run: bool) -> None:
    """A strict tenant: unknown and hostile field and parameter names (control characters too) on
    modelled and generic paths are refused with a JSON 400, nothing stored, nothing dropped."""

    @_examples(long_run)
    @given(
        path=st.one_of(st.sampled_from(PATHS), st.sampled_from(GENERIC_PATHS)),
        body=st.one_of(generic_bodies, st.builds(_encode, st.lists(records, min_size=1, max_size=3))),
        params=query,
    )
    def run(path: str, body: bytes, params: str) -> None:
        rig.registry.get().strict_setting = True
        try:
            before = rig.state()
            rig.check("strict GET list", rig.http.get(f"/api/{path}?{params}", headers=rig.auth), before)
            _generic_write(rig, f"{path}?{params}", body, "strict POST")
        finally:
            rig.registry.get().strict_setting = None

    run()


# ---------------------------------------------------------------- /auth


def test_token_requests(rig: Rig, long_run: bool) -> None:
    names = [
        "grant_type",
        "client_id",
        "client_secret",
        "username",
        "password",
        "refresh_token",
        "scope",
        "tenant",
    ]
    fields = st.dictionaries(
        st.sampled_from(names),
        st.one_of(
            texts,
            st.sampled_from(
                [
                    "client_credentials",
                    "password",
                    "refresh_token",
                    "halo-sandbox",
                    "all",
                    "authorization_code",
                ]
            ),
        ),
        max_size=6,
    )

    @_examples(long_run)
    @given(
        form=fields,
        tenant_query=st.one_of(st.none(), texts),
        raw=st.one_of(st.none(), st.binary(max_size=100)),
    )
    def run(form: dict[str, str], tenant_query: str | None, raw: bytes | None) -> None:
        form = {k: v.encode("utf-8", "surrogatepass").decode("utf-8", "replace") for k, v in form.items()}
        if form.get("client_secret") == "halo-sandbox-secret":
            form["client_secret"] = "wrong"  # only refusals here: valid grants are the e2e suite's
        before = rig.state()
        url = "/auth/token" + (f"?tenant={_q(tenant_query)}" if tenant_query else "")
        if raw is not None:
            response = rig.http.post(
                url, content=raw, headers={"Content-Type": "application/x-www-form-urlencoded"}
            )
        else:
            response = rig.http.post(url, data=form)
        rig.check("auth token", response, before)
        assert response.status_code != 200 or "access_token" in response.json()

    run()


# ---------------------------------------------------------------- /_sandbox


def test_control_plane(rig: Rig, long_run: bool) -> None:
    routes = st.sampled_from(
        [
            ("POST", "/_sandbox/faults"),
            ("POST", "/_sandbox/clock"),
            ("PUT", "/_sandbox/ratelimit"),
            ("PUT", "/_sandbox/snapshot"),
            ("POST", "/_sandbox/tenants"),
            ("POST", "/_sandbox/tokens/expire"),
        ]
    )
    fault_like = st.fixed_dictionaries(
        {},
        optional={
            "method": texts,
            "path": st.one_of(texts, st.just("/api/*")),
            "tool": texts,
            "status": numbers,
            "headers": st.dictionaries(texts, texts, max_size=3),
            "body": hostile,
            "latency_ms": numbers,
            "drop": st.booleans(),
            "times": numbers,
            "after": numbers,
            "action": texts,
            "at": dates,
            "seconds": numbers,
            "enabled": st.booleans(),
            "limit": numbers,
            "window_seconds": numbers,
            "name": texts,
            "format": texts,
            "store": hostile,
            "clock": hostile,
            "ratelimit": hostile,
            "faults": hostile,
        },
    )

    @_examples(long_run)
    @given(
        route=routes, body=st.one_of(fault_like.map(_encode), raw_bodies), tenant=st.one_of(st.none(), texts)
    )
    def run(route: tuple[str, str], body: bytes, tenant: str | None) -> None:
        method, path = route
        before = rig.state()
        headers = {**ADMIN, "Content-Type": "application/json"}
        if tenant is not None:
            headers["X-Sandbox-Tenant"] = tenant.encode("ascii", "replace").decode()[:80] or "x"
        try:
            response = rig.http.request(method, path, content=body, headers=headers)
        except (httpx.LocalProtocolError, UnicodeEncodeError):
            return  # the client itself refuses to send such a header
        rig.check(f"sandbox {method} {path}", response, before)
        # Whatever was accepted must leave the tenant servable: snapshot, fault list, the API.
        for read in ("/_sandbox/snapshot", "/_sandbox/faults", "/_sandbox/requests"):
            assert rig.http.get(read, headers=ADMIN).status_code == 200, read
        rig.http.delete("/_sandbox/faults", headers=ADMIN)  # accepted rules must not shadow later inputs
        rig.http.post("/_sandbox/clock", json={"action": "reset"}, headers=ADMIN)
        for name in rig.registry.names():
            if name != "sandbox":
                rig.http.delete(f"/_sandbox/tenants/{name}", headers=ADMIN)

    run()


def test_no_admin_key_no_change(rig: Rig, long_run: bool) -> None:
    @_examples(long_run)
    @given(
        path=st.sampled_from(
            [
                "/_sandbox/reset",
                "/_sandbox/faults",
                "/_sandbox/clock",
                "/_sandbox/tenants",
                "/_sandbox/snapshot",
            ]
        ),
        body=raw_bodies,
        key=st.one_of(st.none(), texts.map(lambda t: t.encode("ascii", "replace").decode()[:100])),
    )
    def run(path: str, body: bytes, key: str | None) -> None:
        before = rig.state()
        headers = {"X-Admin-Key": key} if key else {}
        try:
            response = rig.http.post(
                path, content=body, headers={**headers, "Content-Type": "application/json"}
            )
        except (httpx.LocalProtocolError, UnicodeEncodeError):
            return
        rig.check("sandbox without the key", response, before)
        assert response.status_code in (401, 405), response.status_code

    run()


# ---------------------------------------------------------------- MCP tool arguments


@pytest.fixture(scope="module")
def executor(rig: Rig) -> Iterator[tuple[anyio.from_thread.BlockingPortal, Executor]]:
    with anyio.from_thread.start_blocking_portal() as portal:
        halo = HaloClient(
            base_url="http://mock.test",
            client_id="halo-sandbox",
            client_secret="halo-sandbox-secret",
            transport=httpx.ASGITransport(app=rig.app),
        )
        yield portal, Executor(halo=halo, tools=generate_tools(), cursor_secret=b"hostile")
        portal.call(halo.aclose)


def test_tool_arguments(rig: Rig, executor: Any, long_run: bool) -> None:
    portal, ex = executor
    tools = generate_tools()
    names = [t.name for t in tools]
    known = {t.name: sorted(t.tool.input_schema.get("properties", {})) for t in tools}

    @_examples(long_run)
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        name = data.draw(st.one_of(st.sampled_from(names), texts), label="tool")
        keys = known.get(name) or ["id"]
        arguments = data.draw(
            st.dictionaries(st.one_of(st.sampled_from(keys), texts), hostile, max_size=5), label="arguments"
        )
        before = rig.state()
        result = portal.call(ex.call, name, arguments)
        TALLY["mcp tools/call"] += 1
        result.model_dump_json()  # it can go on the wire
        if result.is_error:
            error = result.structured_content["error"]
            assert error["message"] and error["code"] != "internal_error", error
            assert error["status"] is None or error["status"] < 500, error
            assert rig.state() == before, f"{name}: a refused call changed the tenant"

    run()


def test_zz_report(long_run: bool) -> None:
    """Prints how many inputs each target got (the README's figures come from a ``--long`` run)."""
    total = sum(TALLY.values())
    print(f"\nhostile inputs: {total} ({', '.join(f'{k}: {v}' for k, v in sorted(TALLY.items()))})")
    if {"api POST", "api GET list", "auth token", "sandbox without the key", "mcp tools/call"} <= set(TALLY):
        assert total >= (10_000 if long_run else 300)  # the whole suite ran (not a -k selection)
