"""Scale: the same requests against a 1k-ticket and a 100k-ticket tenant (in-process mock apps over
httpx's ASGI transport, samples interleaved), full cursor traversal of 10k tickets through the MCP
list tool of a real `halo-sandbox up --tickets 10000`, generation time of the 100k tenant, and the
RSS of `halo-sandbox up --tickets 100000`.
Targets: 100k/1k latency <= 1.5x (search and order: <= 3x); last/first page time <= 1.5x; RSS <= 400 MB;
generation <= 10 s."""

from __future__ import annotations

import statistics
import time
from typing import Any

import anyio
import httpx
from mcp import Client

from bench._support import CLIENT_ID, CLIENT_SECRET, ms, percentile, report, rss_mib, running, verdict
from halo_sandbox.harness import token_form

RATIO_TARGET, PAGE_TARGET, RSS_TARGET_MB, GENERATION_TARGET_S = 1.5, 1.5, 400.0, 10.0
SEARCH_ORDER_TARGET = 3.0
"""100k/1k target of `search` and `order` (an index lookup, then a page)."""
SEARCH_WORD = "printer"
"""A word of the generated tickets' text (about 4% of them)."""


def target(name: str) -> float:
    return SEARCH_ORDER_TARGET if name.startswith(("search", "order")) else RATIO_TARGET


async def _tenant(tickets: int) -> tuple[httpx.AsyncClient, float]:
    """An in-process mock app with `tickets` generated tickets, its tenant built now (timed)."""
    from halo_sandbox.mock.config import MockSettings
    from halo_sandbox.mock.http.app import create_app

    app = create_app(MockSettings(tickets=tickets, rate_limit=None))
    start = time.perf_counter()
    app.state.sandbox.get()  # the default tenant: fixtures generated and loaded into the store
    generation = time.perf_counter() - start
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://mock", timeout=60)
    token = (
        await http.post(
            "/auth/token",
            data=token_form(CLIENT_ID, CLIENT_SECRET),
        )
    ).json()
    http.headers["Authorization"] = f"Bearer {token['access_token']}"
    return http, generation


async def _requests_for(http: httpx.AsyncClient) -> dict[str, tuple[str, dict[str, Any]]]:
    """The operations, resolved against this tenant: the busiest client's open tickets, page 1 and its last
    page, and a ticket by id."""
    first = (
        await http.get("/api/Tickets", params={"pageinate": "true", "page_size": 100, "page_no": 1})
    ).json()
    counts: dict[int, int] = {}
    for ticket in first["tickets"]:
        counts[ticket["client_id"]] = counts.get(ticket["client_id"], 0) + 1
    client = max(counts, key=lambda c: counts[c])
    filtered = {"client_id": client, "open_only": "true", "pageinate": "true", "page_size": 50}
    total = (await http.get("/api/Tickets", params={**filtered, "page_no": 1})).json()["record_count"]
    everything = first["record_count"]
    last = max(1, -(-total // 50))
    ticket_id = first["tickets"][len(first["tickets"]) // 2]["id"]
    return {
        "filtered list, page 1": ("/api/Tickets", {**filtered, "page_no": 1}),
        "filtered list, last page": ("/api/Tickets", {**filtered, "page_no": last}),
        f"search {SEARCH_WORD!r}, page 1 of 20": (
            "/api/Tickets",
            {"search": SEARCH_WORD, "pageinate": "true", "page_size": 20, "page_no": 1},
        ),
        "search two words, page 1 of 20": (
            "/api/Tickets",
            {"search": "floor offline", "pageinate": "true", "page_size": 20, "page_no": 1},
        ),
        "order=dateoccurred, page 1": (
            "/api/Tickets",
            {"order": "dateoccurred", "pageinate": "true", "page_size": 50, "page_no": 1},
        ),
        "order=summary desc, last page": (
            "/api/Tickets",
            {
                "order": "summary",
                "orderdesc": "true",
                "pageinate": "true",
                "page_size": 50,
                "page_no": -(-everything // 50),
            },
        ),
        "order=client_name, filtered, page 1": (
            "/api/Tickets",
            {**filtered, "order": "client_name", "page_no": 1},
        ),
        "get by id": (f"/api/Tickets/{ticket_id}", {}),
    }


async def _latency(samples: int) -> tuple[dict[str, Any], list[tuple[Any, ...]], dict[str, float]]:
    small, _ = await _tenant(1_000)
    large, generation = await _tenant(100_000)
    ops = {"small": await _requests_for(small), "large": await _requests_for(large)}
    clients = {"small": small, "large": large}
    times: dict[str, dict[str, list[float]]] = {}
    names = list(ops["small"])
    for i in range(samples + 10):
        for index, name in enumerate(names):
            for side in ("small", "large") if (i + index) % 2 == 0 else ("large", "small"):
                path, params = ops[side][list(ops[side])[index]]
                start = time.perf_counter()
                response = await clients[side].get(path, params=params)
                elapsed = time.perf_counter() - start
                assert response.status_code == 200, response.text
                if i >= 10:
                    times.setdefault(name, {"small": [], "large": []})[side].append(elapsed)
    await small.aclose()
    await large.aclose()
    result: dict[str, Any] = {}
    rows = []
    for name, sides in times.items():
        p50s = {side: percentile(v, 50) for side, v in sides.items()}
        ratio = p50s["large"] / p50s["small"]
        result[name] = {
            "p50_1k_ms": p50s["small"] * 1000,
            "p50_100k_ms": p50s["large"] * 1000,
            "ratio": ratio,
        }
        rows.append(
            (name, ms(p50s["small"]), ms(p50s["large"]), f"{ratio:.2f}x {verdict(ratio, target(name))}")
        )
    return result, rows, {"generation_s": generation}


async def _traversal() -> dict[str, Any]:
    with running("up", "--tickets", "10000") as sandbox:
        async with Client(sandbox.mcp_url) as client:
            pages: list[float] = []
            seen: set[int] = set()
            cursor = None
            while True:
                args: dict[str, Any] = {"limit": 100}
                if cursor:
                    args["next_cursor"] = cursor
                start = time.perf_counter()
                result = await client.call_tool("list_all_halo_itsm_tickets", args)
                pages.append(time.perf_counter() - start)
                assert not result.is_error, result.structured_content
                rows = result.structured_content["result"]
                seen |= {r["id"] for r in rows}
                cursor = result.structured_content["next_cursor"]
                if not cursor:
                    break
    first, last = statistics.median(pages[1:6]), statistics.median(pages[-5:])
    return {
        "pages": len(pages),
        "records": len(seen),
        "first_pages_ms": first * 1000,
        "last_pages_ms": last * 1000,
        "ratio": last / first,
    }


def _memory() -> dict[str, Any]:
    start = time.perf_counter()
    with running("up", "--tickets", "100000") as sandbox:
        ready = time.perf_counter() - start
        rss = rss_mib(sandbox.proc.pid)
    return {"rss_mb": rss, "ready_s": ready}


def run(*, quick: bool = False) -> dict[str, Any]:
    latency, rows, generation = anyio.run(_latency, 100 if quick else 300)
    traversal = anyio.run(_traversal)
    memory = _memory()
    rows = [
        *rows,
        (
            "10k cursor traversal (MCP, limit 100)",
            f"first pages {traversal['first_pages_ms']:.2f} ms",
            f"last pages {traversal['last_pages_ms']:.2f} ms",
            f"{traversal['ratio']:.2f}x {verdict(traversal['ratio'], PAGE_TARGET)} "
            f"({traversal['records']} records, {traversal['pages']} pages)",
        ),
        (
            "100k tenant generation",
            "",
            f"{generation['generation_s']:.2f} s",
            verdict(generation["generation_s"], GENERATION_TARGET_S),
        ),
        (
            "RSS of up --tickets 100000",
            "",
            f"{memory['rss_mb']:.0f} MB (ready in {memory['ready_s']:.1f} s)",
            verdict(memory["rss_mb"], RSS_TARGET_MB),
        ),
    ]
    return report(
        "scale",
        "Scale (p50, interleaved; targets 100k/1k <= 1.5x, last/first page <= 1.5x, "
        "RSS <= 400 MB, generation <= 10 s)",
        ["operation", "1k / first", "100k / last", "ratio"],
        rows,
        {"latency": latency, "traversal": traversal, **generation, "memory": memory},
    )
