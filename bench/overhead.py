"""MCP overhead: a tool call through `/mcp` of a real `halo-sandbox up` against the Halo request it
causes, sent straight to the same process. Both sides use the same plain HTTP client (one httpx
connection each, `bench._plain`): a JSON-RPC `tools/call` POST in MCP 2026-07-28 mode (single
exchange) and inside a legacy handshake-era session, against the GET. The SDK client's figures
(`mcp.Client`, its default 2026-07-28 mode) are reported beside them. Samples are interleaved
(the order of the sides rotates) so machine noise hits all sides alike.
Targets: p50 <= 1.3x direct (2026-07-28), <= 1.6x (legacy session); p99 <= 2x. A get with
`full_result` (the whole record, as before lean results) is measured beside them, without a target.

The floor, in the same interleaved run: the cheapest request through the same SDK app and transport
(`server/discover`, a 2026-07-28 POST to `/mcp`: the SDK's entry, dispatch and envelope, no tool, no
Halo request) against the cheapest GET of the same process (`/_sandbox/`, the console's sign-in page,
answered before the mock). For get by id: floor ratio = (floor POST + the direct GET - the floor GET)
/ the direct GET, i.e. what a tool call would cost if everything but the SDK's entry and the mock's own
work for the GET were free. Beside it the floor of a tool call: the same tool refused for its arguments
(`tools/call` dispatch, the argument check, a small error result; no Halo request), and its ratio
(refused call + the direct GET - the floor GET) / the direct GET."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
from mcp import Client

from bench._plain import (
    _ACCEPT,
    _META,
    MODERN,
    check_tool_result,
    connection,
    legacy_call,
    legacy_session,
    modern_call,
)
from bench._support import ms, percentile, report, running, verdict
from bench._support import token as support_token

TICKET = 45920
P50_TARGET, P50_LEGACY_TARGET, P99_TARGET = 1.3, 1.6, 2.0
OPS = {
    "get by id": ("get_single_halo_itsm_ticket_by_id", {"id": TICKET}, f"/api/Tickets/{TICKET}", {}),
    "list (limit 50)": (
        "list_all_halo_itsm_tickets",
        {"limit": 50},
        "/api/Tickets",
        {"pageinate": "true", "page_size": 50, "page_no": 1},
    ),
    # what a whole record costs (`full_result`: no lean filter, the 21 KB record sent twice); no target
    "get by id, full_result": (
        "get_single_halo_itsm_ticket_by_id",
        {"id": TICKET, "full_result": True},
        f"/api/Tickets/{TICKET}",
        {},
    ),
}
KEYS = {"get by id": "get", "list (limit 50)": "list", "get by id, full_result": "get_full"}
TARGETED = ("get by id", "list (limit 50)")
SIDES = ("direct", "modern", "legacy", "sdk")


async def _measure(*, samples: int) -> dict[str, Any]:
    with running("up") as sandbox:
        token = support_token(sandbox)
        async with contextlib.AsyncExitStack() as stack:
            direct, modern, legacy = [
                await stack.enter_async_context(connection(sandbox.base)) for _ in range(3)
            ]
            session = await legacy_session(legacy)
            sdk = await stack.enter_async_context(Client(sandbox.mcp_url))
            auth = {"Authorization": f"Bearer {token}"}
            calls: dict[str, dict[str, Callable[[], Awaitable[Any]]]] = {}
            for op, (tool, arguments, path, params) in OPS.items():
                body, headers = modern_call(tool, arguments)
                legacy_body = legacy_call(tool, arguments)

                async def do_direct(path: str = path, params: dict[str, Any] = params) -> None:
                    response = await direct.get(path, params=params, headers=auth)
                    assert response.status_code == 200, response.text

                async def do_modern(body: bytes = body, headers: dict[str, str] = headers) -> None:
                    check_tool_result(await modern.post("/mcp", content=body, headers=headers))

                async def do_legacy(body: bytes = legacy_body) -> None:
                    check_tool_result(await legacy.post("/mcp", content=body, headers=session))

                async def do_sdk(tool: str = tool, arguments: dict[str, Any] = arguments) -> None:
                    result = await sdk.call_tool(tool, arguments)
                    assert not result.is_error, result.structured_content

                calls[op] = {"direct": do_direct, "modern": do_modern, "legacy": do_legacy, "sdk": do_sdk}
            discover = json.dumps(
                {"jsonrpc": "2.0", "id": 1, "method": "server/discover", "params": {"_meta": _META}}
            ).encode()
            discover_headers = {
                "Accept": _ACCEPT,
                "Content-Type": "application/json",
                "MCP-Protocol-Version": MODERN,
                "Mcp-Method": "server/discover",
            }

            async def floor_get() -> None:
                response = await direct.get("/_sandbox/")
                assert response.status_code == 401, response.status_code

            async def floor_post() -> None:
                response = await modern.post("/mcp", content=discover, headers=discover_headers)
                assert response.status_code == 200 and b'"result"' in response.content, response.text[:200]

            # a tool call that never reaches Halo: the same tool refused for its arguments (the SDK's
            # tools/call dispatch, our argument check, a small error result): what any call pays
            refused_body, refused_headers = modern_call(OPS["get by id"][0], {"id": "not-an-id"})

            async def floor_tool() -> None:
                response = await modern.post("/mcp", content=refused_body, headers=refused_headers)
                assert response.status_code == 200 and b'"isError":true' in response.content, response.text[
                    :200
                ]

            floors: dict[str, list[float]] = {"get": [], "post": [], "tool": []}
            times = {op: {side: [] for side in SIDES} for op in OPS}
            for i in range(samples + 20):
                for name, call in (("get", floor_get), ("post", floor_post), ("tool", floor_tool))[
                    :: 1 if i % 2 else -1
                ]:
                    start = time.perf_counter()
                    await call()
                    if i >= 20:
                        floors[name].append(time.perf_counter() - start)
                for op, sides in calls.items():
                    order = SIDES[i % 4 :] + SIDES[: i % 4]
                    for side in order:
                        start = time.perf_counter()
                        await sides[side]()
                        if i >= 20:  # warm-up
                            times[op][side].append(time.perf_counter() - start)
    result: dict[str, Any] = {"samples": samples}
    rows = []
    for op, sides in times.items():
        stats = {side: {"p50": percentile(v, 50), "p99": percentile(v, 99)} for side, v in sides.items()}
        base = stats["direct"]
        entry: dict[str, Any] = {
            f"{side}_{q}_ms": stats[side][q] * 1000 for side in SIDES for q in ("p50", "p99")
        }
        for side in ("modern", "legacy", "sdk"):
            entry[f"{side}_ratio_p50"] = stats[side]["p50"] / base["p50"]
            entry[f"{side}_ratio_p99"] = stats[side]["p99"] / base["p99"]
        result[KEYS[op]] = entry
        targets = (P50_TARGET, P50_LEGACY_TARGET) if op in TARGETED else (None, None)
        for side, target in (("modern", targets[0]), ("legacy", targets[1]), ("sdk", None)):
            r50, r99 = entry[f"{side}_ratio_p50"], entry[f"{side}_ratio_p99"]
            rows.append(
                (
                    op,
                    {
                        "modern": "2026-07-28 POST",
                        "legacy": "legacy session POST",
                        "sdk": "SDK client (context)",
                    }[side],
                    ms(stats[side]["p50"]),
                    ms(base["p50"]),
                    f"{r50:.2f}x {verdict(r50, target) if target else ''}",
                    ms(stats[side]["p99"]),
                    ms(base["p99"]),
                    f"{r99:.2f}x {verdict(r99, P99_TARGET) if target else ''}",
                )
            )
    floor_get, floor_post = percentile(floors["get"], 50), percentile(floors["post"], 50)
    get_direct = percentile(times["get by id"]["direct"], 50)
    floor_ratio = (floor_post + get_direct - floor_get) / get_direct
    floor_tool = percentile(floors["tool"], 50)
    tool_floor_ratio = (floor_tool + get_direct - floor_get) / get_direct
    result["floor"] = {
        "noop_get_p50_ms": floor_get * 1000,
        "noop_mcp_p50_ms": floor_post * 1000,
        "sdk_floor_ms": (floor_post - floor_get) * 1000,
        "refused_tool_p50_ms": floor_tool * 1000,
        "tool_floor_ms": (floor_tool - floor_get) * 1000,
        "get_direct_p50_ms": get_direct * 1000,
        "get_floor_ratio": floor_ratio,
        "get_tool_floor_ratio": tool_floor_ratio,
    }
    rows.append(
        (
            "floor: server/discover vs GET /_sandbox/",
            "2026-07-28 POST",
            ms(floor_post),
            ms(floor_get),
            f"+{(floor_post - floor_get) * 1000:.2f} ms",
            "",
            "",
            "",
        )
    )
    rows.append(
        (
            "floor ratio, get by id",
            "(floor POST + direct - floor GET) / direct",
            ms(floor_post + get_direct - floor_get),
            ms(get_direct),
            f"{floor_ratio:.2f}x {verdict(floor_ratio, P50_TARGET)}",
            "",
            "",
            "",
        )
    )
    rows.append(
        (
            "floor: a tool call refused before Halo vs GET /_sandbox/",
            "2026-07-28 POST",
            ms(floor_tool),
            ms(floor_get),
            f"+{(floor_tool - floor_get) * 1000:.2f} ms",
            "",
            "",
            "",
        )
    )
    rows.append(
        (
            "tool floor ratio, get by id",
            "(refused call + direct - floor GET) / direct",
            ms(floor_tool + get_direct - floor_get),
            ms(get_direct),
            f"{tool_floor_ratio:.2f}x {verdict(tool_floor_ratio, P50_TARGET)}",
            "",
            "",
            "",
        )
    )
    return report(
        "overhead",
        f"MCP overhead, plain HTTP client on both sides ({samples} interleaved samples; "
        f"targets p50 <= {P50_TARGET}x 2026-07-28, <= {P50_LEGACY_TARGET}x legacy, p99 <= {P99_TARGET}x)",
        ["operation", "MCP side", "MCP p50", "direct p50", "p50 ratio", "MCP p99", "direct p99", "p99 ratio"],
        rows,
        result,
    )


def run(*, quick: bool = False) -> dict[str, Any]:
    return anyio.run(lambda: _measure(samples=100 if quick else 400))
