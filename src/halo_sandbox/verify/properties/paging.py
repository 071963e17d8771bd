"""Pagination, generatively: following a list tool's own paging (cursor, page number or offset)
returns every matching record exactly once, whatever the page size, total and Halo version.

Hypothesis draws per example: a page size from 1 to the tool's maximum (the maximum always tried,
beyond Halo's own cap of 100 when the schema allows it), a total at or around a multiple of it (one
to three pages, one short, exact or one over), whether Halo's list answers carry ``record_count``
(removed by the sandbox's tap when not, as some Halo versions and endpoints answer), and for cursor
paging a different ``limit`` passed along with the cursor after the first page (the records must
still come exactly once). When Halo's answers carry ``record_count``, the server knows where the list
ends: a cursor (or ``more`` flag) it offers after the last record, leading to an empty page, fails
(the agent is told there is more and pays a call for nothing; without ``record_count`` a full last
page cannot tell, and an empty page after it is fine). Each example seeds its own dataset (a fresh
client's tickets, a fresh ticket's actions, clients sharing a fresh name), so examples never see each
other's records."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from halo_sandbox.verify.discovery import MappedTool, norm
from halo_sandbox.verify.probe import CallRecord, decoded, find_cursor, find_records, record_id
from halo_sandbox.verify.properties import Context, fill_arguments, store_rows
from halo_sandbox.verify.properties.generative import Failure, explore

__all__ = ["Paging", "dataset", "more_flag", "pagination", "paging_of"]

_SIZE = {"limit", "pagesize", "perpage", "count", "top", "maxresults", "size", "pagelimit", "maxitems"}
_CURSOR = {"nextcursor", "cursor", "pagetoken", "nextpagetoken", "continuationtoken", "after", "nexttoken"}
_PAGE = {"page", "pageno", "pagenumber", "pagenum", "pageindex"}
_OFFSET = {"offset", "skip", "start", "startat"}
_MORE = {"more", "hasmore", "moreavailable", "hasnextpage", "hasnext", "morerecords"}
_TOTAL = {"recordcount", "total", "totalcount", "totalrecords", "totalresults"}
MAX_DRAWN_SIZE = 200
"""Page sizes drawn stop here (a dataset of three such pages stays quick to seed)."""
RESOURCES_PAGED = ("tickets", "actions", "clients")


@dataclass(frozen=True, kw_only=True)
class Paging:
    """How a list tool pages."""

    style: str
    """``cursor``, ``page``, ``offset`` or ``single call``."""
    size_param: str | None
    step_param: str | None
    low: int
    high: int
    """The page sizes its schema allows (``high`` capped at `MAX_DRAWN_SIZE`)."""


def _param(schema: dict[str, Any], names: set[str]) -> str | None:
    return next((p for p in (schema.get("properties") or {}) if norm(p) in names), None)


def _limits(schema: dict[str, Any], name: str | None) -> tuple[int, int]:
    prop = ((schema.get("properties") or {}).get(name) or {}) if name else {}
    low, high = prop.get("minimum"), prop.get("maximum")
    low = low if isinstance(low, int) and low >= 1 else 1
    high = high if isinstance(high, int) and high >= low else 100
    return low, max(low, min(high, MAX_DRAWN_SIZE))


def paging_of(schema: dict[str, Any]) -> Paging:
    size = _param(schema, _SIZE)
    cursor, page, offset = _param(schema, _CURSOR), _param(schema, _PAGE), _param(schema, _OFFSET)
    style = "cursor" if cursor else "page" if page else "offset" if offset else "single call"
    low, high = _limits(schema, size)
    return Paging(style=style, size_param=size, step_param=cursor or page or offset, low=low, high=high)


def dataset(
    ctx: Context, name: str, schema: dict[str, Any], count: int
) -> tuple[dict[str, Any], list[Any]] | str:
    """Seed ``count`` records only the returned arguments select; (arguments, their ids), or why
    no argument of the tool can isolate them."""
    store = ctx.store
    marker = ctx.unique("paging")
    if name == "tickets":
        client = store.post(resource="clients", body=[{"name": marker}])["id"]
        for n in range(count):
            store.post(resource="tickets", body=[{"summary": f"{marker} {n}", "client_id": client}])
        args, _ = fill_arguments(schema, {"client_id": client})
        if not args:
            return "no client_id argument"
        return args, [r["id"] for r in store_rows(store, "tickets", {"client_id": str(client)})]
    if name == "actions":
        ticket = store.post(
            resource="tickets", body=[{"summary": marker, "client_id": store_rows(store, "clients")[0]["id"]}]
        )["id"]
        for n in range(count):
            store.post(resource="actions", body=[{"ticket_id": ticket, "note": f"{marker} {n}"}])
        args, _ = fill_arguments(schema, {"ticket_id": ticket})
        if not args:
            return "no ticket_id argument"
        return args, [r["id"] for r in store_rows(store, "actions", {"ticket_id": str(ticket)})]
    for n in range(count):
        store.post(resource="clients", body=[{"name": f"{marker} {n}"}])
    args, _ = fill_arguments(schema, {"search": marker})
    if not args:
        return "no search argument"
    return args, [r["id"] for r in store_rows(store, "clients", {"search": marker})]


def more_flag(payload: Any) -> bool | None:
    """The server's own "more pages" flag, when its answer has one."""
    payload = decoded(payload)
    if isinstance(payload, dict):
        for key, value in payload.items():
            if norm(str(key)) in _MORE and isinstance(value, bool):
                return value
    return None


def total_flag(payload: Any) -> int | None:
    """The server's own count of all matching records, when its answer has one."""
    payload = decoded(payload)
    if isinstance(payload, dict):
        for key, value in payload.items():
            if norm(str(key)) in _TOTAL and isinstance(value, int) and not isinstance(value, bool):
                return value
    return None


def _without_record_count(path: str, query: str, body: bytes) -> bytes | None:
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if isinstance(data, dict) and "record_count" in data:
        data.pop("record_count")
        return json.dumps(data).encode()
    return None


@dataclass(frozen=True, kw_only=True)
class PageExample:
    size: int
    pages: int
    """Multiples of the page size in the total."""
    off: int
    """-1, 0 or +1: the total one short of, at, or one over the multiple."""
    record_count: bool = True
    new_limit: int | None = None
    """A different limit passed with the cursor from the second page on."""

    @property
    def total(self) -> int:
        return max(1, self.size * self.pages + self.off)

    def describe(self) -> str:
        text = f"page size {self.size}, {self.total} matching records"
        if not self.record_count:
            text += ", Halo's list answers without record_count"
        if self.new_limit is not None:
            text += f", limit {self.new_limit} from the second page on"
        return text


def _examples(paging: Paging) -> Any:
    from hypothesis import strategies as st

    return st.builds(
        PageExample,
        # any size up to the maximum (explicitly tried too), small ones as often (three pages of
        # 1-10 records exercise the same edges as three of 100, at a tenth of the calls' weight)
        size=st.integers(paging.low, min(paging.high, paging.low + 9)) | st.integers(paging.low, paging.high),
        pages=st.integers(1, 3),
        off=st.sampled_from((-1, 0, 1)),
        record_count=st.booleans(),
        new_limit=st.none() | st.integers(paging.low, paging.high)
        if paging.style == "cursor" and paging.size_param
        else st.none(),
    )


async def traverse(
    ctx: Context, mapped: MappedTool, paging: Paging, args: dict[str, Any], *, new_limit: int | None = None
) -> tuple[list[Any], list[CallRecord], str]:
    """Follow the tool's paging from the first page: (ids in order, calls, why it stopped early)."""
    args = dict(args)
    seen: list[Any] = []
    calls: list[CallRecord] = []
    size = args.get(paging.size_param) if paging.size_param else None
    page, offset = 1, 0
    for _ in range(200):
        call_args = dict(args)
        if paging.style == "page" and paging.step_param:
            call_args[paging.step_param] = page
        elif paging.style == "offset" and paging.step_param:
            call_args[paging.step_param] = offset
        call = await ctx.probe.call(mapped.name, call_args)
        calls.append(call)
        if not call.ok:
            return seen, calls, "a page failed"
        records = find_records(call.payload(), list_keys=[mapped.resource]) or []
        ids = []
        for record in records:
            try:
                ids.append(record_id(record))
            except LookupError:
                return seen, calls, "a record without an id"
        fresh = [i for i in ids if i not in seen]
        seen += ids
        more = more_flag(call.payload())
        if paging.style == "cursor":
            cursor = find_cursor(decoded(call.payload()))
            if not cursor or more is False:
                return seen, calls, ""
            args[paging.step_param or "cursor"] = cursor
            if new_limit is not None and paging.size_param:
                args[paging.size_param] = new_limit
            continue
        if paging.style == "single call" or not records or not fresh or more is False:
            return seen, calls, ""
        total = total_flag(call.payload())
        if more is None and total is not None:
            if len(set(seen)) >= total:  # a short page is no end while the server's total says more
                return seen, calls, ""
        elif more is None and size and len(records) < size:
            return seen, calls, ""
        page += 1
        offset += len(records)
    return seen, calls, "paging never ended (200 pages)"


async def pagination(ctx: Context) -> list:
    checks = []
    for name in RESOURCES_PAGED:
        mapped = ctx.discovery.tool(name, "list")
        if mapped is None:
            continue
        schema = ctx.schema(mapped.name)
        paging = paging_of(schema)
        if paging.style == "single call" or not paging.size_param:
            checks.append(await _single_call(ctx, mapped, schema, paging))
            continue
        probe = dataset(ctx, name, schema, 1)
        if isinstance(probe, str):
            checks.append(
                ctx.check(
                    "pagination",
                    mapped.name,
                    "skipped",
                    f"no filter to isolate a dataset ({probe})",
                    tool=mapped.name,
                )
            )
            continue

        async def scenario(
            example: PageExample, mapped: MappedTool = mapped, schema: dict[str, Any] = schema
        ) -> Failure | None:
            paging = paging_of(schema)
            made = dataset(ctx, mapped.resource, schema, example.total)
            assert not isinstance(made, str)  # the probe dataset above was made the same way
            args, expected = made
            args[paging.size_param or "limit"] = example.size
            ctx.sandbox.tap.rewrite = None if example.record_count else _without_record_count
            try:
                seen, calls, stopped = await traverse(ctx, mapped, paging, args, new_limit=example.new_limit)
            finally:
                ctx.sandbox.tap.rewrite = None
            failure = _judge(seen, expected, calls, stopped)
            empty = _promised_empty(mapped, paging, calls)
            if failure is None and example.record_count and empty is not None:
                return Failure(
                    detail=f"{len(calls)} calls: call {empty + 1} followed the server's promise of more "
                    f"records and returned none, although Halo's record_count ({len(expected)}) said "
                    "every record had been returned",
                    calls=calls[-2:],
                    expected="no next page offered once Halo's record_count is reached",
                )
            return failure

        explicit = [
            PageExample(size=paging.high, pages=1, off=1),
            PageExample(size=min(max(paging.low, 3), paging.high), pages=2, off=0),
            PageExample(size=min(max(paging.low, 5), paging.high), pages=2, off=0, record_count=False),
        ]
        if paging.style == "cursor":
            explicit.append(
                PageExample(
                    size=paging.low + 1 if paging.high > paging.low else paging.low,
                    pages=3,
                    off=-1,
                    new_limit=paging.low,
                )
            )
        found = await explore(
            ctx, _examples(paging), scenario, describe=PageExample.describe, explicit=explicit
        )
        checks.append(_verdict(ctx, mapped, paging, found))
    if not checks:
        checks.append(
            ctx.check("pagination", "list tools", "skipped", "no list tool for tickets, actions or clients")
        )
    return checks


def _promised_empty(mapped: MappedTool, paging: Paging, calls: list[CallRecord]) -> int | None:
    """The index of the first call that followed the server's own promise of more records (a cursor
    it handed out, or its ``more`` flag) and returned none."""
    for index in range(1, len(calls)):
        records = find_records(calls[index].payload(), list_keys=[mapped.resource]) or []
        promised = paging.style == "cursor" or more_flag(calls[index - 1].payload()) is True
        if promised and not records and calls[index].ok:
            return index
    return None


def _judge(seen: list[Any], expected: list[Any], calls: list[CallRecord], stopped: str) -> Failure | None:
    dupes = sorted({i for i in seen if seen.count(i) > 1}, key=str)
    missing = sorted(set(expected) - set(seen), key=str)
    extra = sorted(set(seen) - set(expected), key=str)
    problems = [stopped] if stopped else []
    if dupes:
        problems.append(f"returned more than once: {dupes[:10]}")
    if missing:
        problems.append(
            f"never returned: {missing[:10]}{' ...' if len(missing) > 10 else ''} "
            f"({len(missing)} of {len(expected)})"
        )
    if extra:
        problems.append(f"not matching: {extra[:10]}")
    if not problems:
        return None
    return Failure(
        detail=f"{len(calls)} calls: " + "; ".join(problems),
        calls=calls[-3:],
        expected="every matching record exactly once",
    )


def _verdict(ctx: Context, mapped: MappedTool, paging: Paging, found: Any) -> Any:
    settled = found.unsettled(ctx, "pagination", mapped.name, prefix=f"{paging.style} paging: ")
    if settled is not None:
        return settled
    return ctx.check(
        "pagination",
        mapped.name,
        "passed",
        f"{paging.style} paging: {found.examples} generated traversals (page sizes {paging.low}-"
        f"{paging.high}, totals around multiples, with and without record_count)",
        tool=mapped.name,
    )


async def _single_call(ctx: Context, mapped: MappedTool, schema: dict[str, Any], paging: Paging) -> Any:
    """A list without paging: one call returns every matching record (105 of them) exactly once;
    with a size argument (``count``, at most 200) the call asks for its largest."""
    made = dataset(ctx, mapped.resource, schema, 105)
    if isinstance(made, str):
        return ctx.check(
            "pagination", mapped.name, "skipped", f"no filter to isolate a dataset ({made})", tool=mapped.name
        )
    args, expected = made
    if paging.size_param:
        # a size but no page: the caller's way to every record is the largest size the schema allows
        top = ((schema.get("properties") or {}).get(paging.size_param) or {}).get("maximum")
        args[paging.size_param] = top if isinstance(top, int) and top >= 1 else len(expected)
    seen, calls, stopped = await traverse(ctx, mapped, paging, args)
    failure = _judge(seen, expected, calls, stopped)
    return ctx.check(
        "pagination",
        mapped.name,
        "failed" if failure else "passed",
        failure.detail if failure else f"one call, {len(expected)} records",
        tool=mapped.name,
        calls=failure.calls if failure else [],
        expected="every matching record exactly once",
    )
