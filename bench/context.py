"""Context cost: the bytes of `tools/list` (every page, as JSON on the wire) an MCP client loads into
its context for each tool exposure: `all` with the curated catalogue (the default), `all` with breadth
(curated + generated), and `discovery` (three meta-tools, with breadth behind them). Also the cost of
reaching one generated tool in discovery mode (a search plus its schema).

Measured through the SDK's in-memory client against `build_mcp_server` (listing makes no Halo
request). Byte counts are deterministic; the token estimate is bytes / 4. Target: discovery's listing
is at most 5% of the curated `all` listing."""

from __future__ import annotations

import json
from typing import Any

import anyio
from mcp import Client

from bench._support import report, verdict
from halo_sandbox.server.mcp_app import build_mcp_server
from halo_sandbox.server.upstream import HaloClient

TARGET_RATIO = 0.05
_EXPOSURES = {
    "all (curated)": {},
    "all (breadth)": {"breadth": True},
    "discovery (breadth)": {"breadth": True, "exposure": "discovery"},
}


def _bytes(model: Any) -> int:
    return len(
        json.dumps(
            model.model_dump(by_alias=True, exclude_none=True, mode="json"), separators=(",", ":")
        ).encode()
    )


async def _measure() -> dict[str, Any]:
    halo = HaloClient(base_url="http://halo.invalid", client_id="bench", client_secret="bench")
    out: dict[str, Any] = {}
    try:
        for label, options in _EXPOSURES.items():
            async with Client(build_mcp_server(halo=halo, **options), cache=None) as client:
                pages, cursor, size, tools = 0, None, 0, 0
                while True:
                    page = await client.list_tools(cursor=cursor)
                    pages, size, tools = pages + 1, size + _bytes(page), tools + len(page.tools)
                    cursor = page.next_cursor
                    if cursor is None:
                        break
                entry: dict[str, Any] = {"bytes": size, "tools": tools, "pages": pages}
                if options.get("exposure") == "discovery":
                    search = await client.call_tool(
                        "search_halo_itsm_tools", {"query": "supplier", "limit": 5}
                    )
                    schema = await client.call_tool(
                        "get_halo_itsm_tool_schema", {"name": "create_a_halo_itsm_supplier"}
                    )
                    entry["reach_one_tool_bytes"] = _bytes(search) + _bytes(schema)
                out[label] = entry
    finally:
        await halo.aclose()
    return out


def run(*, quick: bool = False) -> dict[str, Any]:
    sizes = anyio.run(_measure)
    curated = sizes["all (curated)"]["bytes"]
    rows = [
        (
            label,
            f"{s['tools']:,}",
            f"{s['pages']}",
            f"{s['bytes']:,}",
            f"~{s['bytes'] // 4:,}",
            f"{s['bytes'] / curated:.3f}x",
        )
        for label, s in sizes.items()
    ]
    discovery = sizes["discovery (breadth)"]
    ratio = discovery["bytes"] / curated
    rows.append(
        (
            "discovery: search + one schema",
            "",
            "",
            f"{discovery['reach_one_tool_bytes']:,}",
            f"~{discovery['reach_one_tool_bytes'] // 4:,}",
            "",
        )
    )
    rows.append(("discovery / all (curated)", "", "", "", "", f"{ratio:.3f}x {verdict(ratio, TARGET_RATIO)}"))
    return report(
        "context",
        f"tools/list context cost (target: discovery <= {TARGET_RATIO:g}x curated all)",
        ["exposure", "tools listed", "pages", "bytes", "tokens (bytes/4)", "vs curated"],
        rows,
        {"sizes": sizes, "ratio": ratio},
    )
