"""The lean lane of `tools/call` (`server.lane`): what a client receives is what the SDK's own
serialization would have sent, over a real uvicorn (2026-07-28 POSTs and legacy sessions), and
placeholders never leak into, or out of, a result."""

import contextlib
import json
from typing import Any

import httpx
import mcp_types
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mcp_types import SERVER_INFO_META_KEY
from mcp_types import methods as sdk_methods

from halo_sandbox.harness import serving
from halo_sandbox.server.errors import UpstreamError
from halo_sandbox.server.lane import Splices, ToolCallLane, wire_result
from halo_sandbox.server.mcp_app import build_mcp_server
from halo_sandbox.server.results import error_result, success
from halo_sandbox.server.transports import mcp_asgi_app
from halo_sandbox.server.upstream import HaloClient

MODERN, LEGACY = "2026-07-28", "2025-11-25"
STAMP = {"name": "halo-itsm", "version": "0.1.0"}
ACCEPT = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
_META = {
    "io.modelcontextprotocol/protocolVersion": MODERN,
    "io.modelcontextprotocol/clientCapabilities": {},
    "io.modelcontextprotocol/clientInfo": {"name": "t", "version": "1"},
}

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from([1e308, -1e-308, 0.1])
    | st.text(max_size=40)
    | st.sampled_from(["\ud800", "a\udfffb", "halo-sandbox-splice:00", '"\\\n</x>', "é" * 300]),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner, max_size=5),
    max_leaves=40,
)


def _sdk_wire(result: Any, version: str) -> dict[str, Any]:
    """What the SDK's `ServerRunner._serialize` makes of a handler's `CallToolResult`."""
    dumped = sdk_methods.serialize_server_result(
        "tools/call", version, result.model_dump(by_alias=True, mode="json", exclude_none=True)
    )
    if version == MODERN:
        dumped.setdefault("resultType", "complete")
        dumped["_meta"] = {**(dumped.get("_meta") or {}), SERVER_INFO_META_KEY: STAMP}
    return dumped


def _results(value: Any) -> list[Any]:
    return [
        success({"result": value}, None),
        error_result(UpstreamError("boom", status=429, body=value, retry_after=0, ratelimit={"limit": 5})),
        success(
            {"result": value, "next_cursor": None}, httpx.Response(200, headers={"RateLimit-Remaining": "3"})
        ),
        # not built by `results`: its text is not its structured content's JSON
        mcp_types.CallToolResult(
            content=[mcp_types.TextContent(text="a summary")], structured_content={"result": value}
        ),
    ]


@settings(max_examples=150, deadline=None)
@given(value=json_values, version=st.sampled_from([MODERN, LEGACY]))
def test_the_wire_form_is_what_the_sdk_writes(value: Any, version: str) -> None:
    for result in _results(value):
        assert wire_result(result, version=version, server_info=lambda: dict(STAMP)) == _sdk_wire(
            result, version
        )


@settings(max_examples=150, deadline=None)
@given(value=json_values, version=st.sampled_from([MODERN, LEGACY]), request_id=json_values)
def test_spliced_responses_decode_to_what_the_sdk_writes(value: Any, version: str, request_id: Any) -> None:
    """The envelope encoded as the SDK encodes it (stdlib json), then the splices applied: the same
    JSON document as the SDK's whole answer, whatever the result or the request id hold."""
    for result in _results(value):
        splices = Splices()
        wire = wire_result(result, version=version, server_info=lambda: dict(STAMP), splices=splices)
        envelope = json.dumps({"jsonrpc": "2.0", "id": request_id, "result": wire}, separators=(",", ":"))
        expected = {"jsonrpc": "2.0", "id": request_id, "result": _sdk_wire(result, version)}
        assert json.loads(splices.apply(envelope.encode())) == json.loads(json.dumps(expected))


def test_values_orjson_refuses_stay_in_the_envelope() -> None:
    splices = Splices()
    result = mcp_types.CallToolResult(
        content=[mcp_types.TextContent(text="big")], structured_content={"result": {"n": 2**80}}
    )
    wire = wire_result(result, version=MODERN, server_info=dict, splices=splices)
    assert wire["structuredContent"] == {"result": {"n": 2**80}}  # for the SDK's encoder
    assert wire["content"][0]["text"].startswith("halo-sandbox-splice:")


# ---------------------------------------------------------------- over HTTP


RECORD = {
    "id": 1,
    "summary": "halo-sandbox-splice:" + "0" * 32,
    "details": 'é\u2028"</script>' * 200,
    "big": 2**70,
    "nested": {"list": [1.5, None, True]},
}


def _halo(request: httpx.Request) -> httpx.Response:
    if request.url.path == "/auth/token":
        return httpx.Response(200, json={"access_token": "tok", "expires_in": 3600})
    if request.url.path == "/api/Tickets/1":
        return httpx.Response(
            200,
            content=json.dumps(RECORD).encode(),
            headers={
                "content-type": "application/json",
                "RateLimit-Limit": "700",
                "RateLimit-Remaining": "699",
            },
        )
    return httpx.Response(404, json={"message": "no such ticket"})


def _without_lane(server: Any) -> Any:
    server.middleware = [m for m in server.middleware if not isinstance(m, ToolCallLane)]
    return server


@contextlib.asynccontextmanager
async def _both():
    """Two servers on real sockets, one with the lane and one with the SDK's path only."""
    halo = HaloClient(
        base_url="http://halo.test", client_id="cid", client_secret="s", transport=httpx.MockTransport(_halo)
    )
    lane = mcp_asgi_app(lambda: build_mcp_server(halo=halo))
    plain = mcp_asgi_app(lambda: _without_lane(build_mcp_server(halo=halo)))
    async with serving(lane, startup_timeout=5) as a, serving(plain, startup_timeout=5) as b:
        yield f"http://127.0.0.1:{a}/mcp", f"http://127.0.0.1:{b}/mcp"
    await halo.aclose()


def _message(response: httpx.Response) -> dict[str, Any]:
    if response.headers["content-type"].startswith("text/event-stream"):
        # SSE lines end at CR or LF only (a raw U+2028 inside JSON text is not a line break)
        lines = response.text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        datas = [line[5:].strip() for line in lines if line.startswith("data:")]
        return next(m for m in map(json.loads, filter(None, datas)) if "result" in m or "error" in m)
    return response.json()


async def _legacy(http: httpx.AsyncClient, url: str) -> dict[str, str]:
    init = {
        "jsonrpc": "2.0",
        "id": 0,
        "method": "initialize",
        "params": {
            "protocolVersion": LEGACY,
            "capabilities": {},
            "clientInfo": {"name": "t", "version": "1"},
        },
    }
    response = await http.post(url, json=init, headers=ACCEPT)
    headers = {**ACCEPT, "mcp-session-id": response.headers["mcp-session-id"], "mcp-protocol-version": LEGACY}
    await http.post(url, json={"jsonrpc": "2.0", "method": "notifications/initialized"}, headers=headers)
    return headers


CALLS = [
    {"name": "get_single_halo_itsm_ticket_by_id", "arguments": {"id": 1}},
    {"name": "get_single_halo_itsm_ticket_by_id", "arguments": {"id": 2}},  # an upstream 404
    {"name": "get_single_halo_itsm_ticket_by_id", "arguments": {"id": "one"}},  # refused arguments
    {"name": "no_such_tool", "arguments": {}},
    {"name": "get_single_halo_itsm_ticket_by_id"},  # no arguments
    {"name": 7, "arguments": {}},  # not plain: the SDK's ladder answers
    {"name": "get_single_halo_itsm_ticket_by_id", "arguments": {"id": 1}, "extra": True},
]


@pytest.mark.anyio
@pytest.mark.parametrize("params", CALLS, ids=lambda p: str(p.get("name"))[:20] + str(p.get("arguments")))
async def test_a_2026_07_28_tool_call_answers_as_without_the_lane(params: dict[str, Any]) -> None:
    body = {"jsonrpc": "2.0", "id": "r-1", "method": "tools/call", "params": {**params, "_meta": _META}}
    headers = {**ACCEPT, "MCP-Protocol-Version": MODERN, "Mcp-Method": "tools/call"}
    if isinstance(params["name"], str):
        headers["Mcp-Name"] = params["name"]
    async with _both() as (lane, plain), httpx.AsyncClient(timeout=10) as http:
        ours, theirs = [await http.post(url, json=body, headers=headers) for url in (lane, plain)]
    assert ours.status_code == theirs.status_code
    assert _message(ours) == _message(theirs)
    assert {k: v for k, v in ours.headers.items() if k.startswith(("ratelimit", "retry-after"))} == {
        k: v for k, v in theirs.headers.items() if k.startswith(("ratelimit", "retry-after"))
    }
    assert int(ours.headers["content-length"]) == len(ours.content)
    assert b"halo-sandbox-splice:" not in ours.content.replace(RECORD["summary"].encode(), b"")


@pytest.mark.anyio
@pytest.mark.parametrize("params", CALLS[:5], ids=lambda p: str(p.get("arguments")))
async def test_a_legacy_session_tool_call_answers_as_without_the_lane(params: dict[str, Any]) -> None:
    body = {"jsonrpc": "2.0", "id": 5, "method": "tools/call", "params": params}
    async with _both() as (lane, plain), httpx.AsyncClient(timeout=10) as http:
        ours = await http.post(lane, json=body, headers=await _legacy(http, lane))
        theirs = await http.post(plain, json=body, headers=await _legacy(http, plain))
    assert _message(ours) == _message(theirs)


@pytest.mark.anyio
async def test_the_record_comes_back_whole_with_a_progress_token_and_without() -> None:
    """A call with a progress token takes the SDK's streaming path; both carry the record unchanged."""
    async with _both() as (lane, _), httpx.AsyncClient(timeout=10) as http:
        results = []
        for meta in (_META, {**_META, "progressToken": "p1"}):
            body = {
                "jsonrpc": "2.0",
                "id": 1,
                "method": "tools/call",
                "params": {
                    "name": "get_single_halo_itsm_ticket_by_id",
                    "arguments": {"id": 1},
                    "_meta": meta,
                },
            }
            response = await http.post(
                lane,
                json=body,
                headers={
                    **ACCEPT,
                    "MCP-Protocol-Version": MODERN,
                    "Mcp-Method": "tools/call",
                    "Mcp-Name": "get_single_halo_itsm_ticket_by_id",
                },
            )
            results.append(_message(response)["result"])
    for result in results:
        assert result["structuredContent"] == {"result": RECORD}
        assert json.loads(result["content"][0]["text"]) == {"result": RECORD}
        assert result["_meta"][SERVER_INFO_META_KEY]["name"] == "halo-itsm"


def test_an_encoded_value_is_never_searched_for_placeholders() -> None:
    splices = Splices()
    first = splices.add(b"1")
    second = splices.add(json.dumps(first).encode())  # a value that reads like the first placeholder
    envelope = json.dumps([second, first]).encode()
    assert splices.apply(envelope) == b"[" + json.dumps(first).encode() + b", 1]"
