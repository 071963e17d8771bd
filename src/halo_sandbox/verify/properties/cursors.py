"""Cursors: a cursor that was truncated, edited, or reused with other filters or on another tool is
refused (a tool or protocol error) or answers records of the call's own query, never records of the
query the cursor came from, and never hangs. A cursor reused with other filters or on another tool
that is accepted must not continue the new query from the old cursor's position (its first page
would be skipped without a word); a cursor in clear digits (a page number) is exempt.

Per list tool with cursor paging: a first page over a fresh dataset gives a real cursor; hypothesis
then draws what to do to it (truncate it, replace one character at a drawn position, pass it with
another dataset's filter, pass it to another list tool) and the answer is compared with the mock's
own records for the arguments of that very call."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from halo_sandbox.verify.discovery import MappedTool, norm, resource
from halo_sandbox.verify.probe import CallRecord, decoded, find_cursor, find_records, record_id
from halo_sandbox.verify.properties import Context, sample_values, store_rows
from halo_sandbox.verify.properties.failures import read_call
from halo_sandbox.verify.properties.generative import Failure, explore
from halo_sandbox.verify.properties.paging import RESOURCES_PAGED, dataset, paging_of

__all__ = ["cursors"]

KINDS = ("truncated", "edited", "other filter", "other tool", "other tool, same filter")
_ALPHABET = "AZaz09-_=+/."


@dataclass(frozen=True, kw_only=True)
class CursorExample:
    kind: str
    position: int = 0
    """Where an edit goes (modulo the cursor's length)."""
    char: int = 0
    """Which replacement character (modulo the alphabet)."""

    def describe(self) -> str:
        if self.kind == "edited":
            return f"the cursor with the character at {self.position} (modulo its length) replaced"
        if self.kind == "truncated":
            return "the first half of the cursor"
        return f"the cursor reused with {self.kind}"


def _examples() -> Any:
    from hypothesis import strategies as st

    return st.builds(
        CursorExample,
        kind=st.sampled_from(KINDS),
        position=st.integers(0, 10_000),
        char=st.integers(0, len(_ALPHABET) - 1),
    )


def _edited(cursor: str, example: CursorExample) -> str:
    if example.kind == "truncated":
        return cursor[: max(1, len(cursor) // 2)]
    index = example.position % len(cursor)
    choices = [c for c in _ALPHABET if c != cursor[index]]
    return cursor[:index] + choices[example.char % len(choices)] + cursor[index + 1 :]


def _keys(records: list[dict[str, Any]], scope: str | None) -> list[tuple[str, str]]:
    """Records as (their scope, their id): action ids repeat from ticket to ticket. A record
    without its scope field is keyed ("", id)."""
    out = []
    for record in records:
        try:
            key = str(record_id(record))
        except LookupError:
            key = "None"
        out.append((str(record.get(scope, "")) if scope else "", key))
    return out


def _allowed(rows: list[dict[str, Any]], scope: str | None) -> set[tuple[str, str]]:
    keys = _keys(rows, scope)
    return {*keys, *(("", k) for _, k in keys)}


async def cursors(ctx: Context) -> list:
    tools = [
        m
        for name in RESOURCES_PAGED
        if (m := ctx.discovery.tool(name, "list")) is not None
        and paging_of(ctx.schema(m.name)).style == "cursor"
    ]
    if not tools:
        return [ctx.check("cursors", "list tools", "skipped", "no list tool pages with a cursor")]
    checks = []
    for mapped in tools:
        checks.extend(await _one_tool(ctx, mapped, [t for t in tools if t.name != mapped.name]))
    return checks


async def _one_tool(ctx: Context, mapped: MappedTool, others: list[MappedTool]) -> list[Any]:
    schema = ctx.schema(mapped.name)
    paging = paging_of(schema)
    size = min(max(paging.low, 2), paging.high)
    first = dataset(ctx, mapped.resource, schema, 3 * size)
    second = dataset(ctx, mapped.resource, schema, 3 * size)
    if isinstance(first, str) or isinstance(second, str):
        why = first if isinstance(first, str) else second
        return [
            ctx.check("cursors", mapped.name, "skipped", f"no dataset of its own ({why})", tool=mapped.name)
        ]
    args, _ = first
    if paging.size_param:
        args[paging.size_param] = size
    page = await ctx.probe.call(mapped.name, args)
    cursor = find_cursor(decoded(page.payload())) if page.ok else None
    if not cursor:
        return [
            ctx.check(
                "cursors",
                mapped.name,
                "skipped",
                f"the first page of {3 * size} records (page size {size}) gave no cursor",
                tool=mapped.name,
                calls=[page],
            )
        ]
    other_filter = {**second[0], **({paging.size_param: size} if paging.size_param else {})}
    other = next(((o, a) for o in others if (a := read_call(ctx, o)) is not None), None)
    cursor_param = paging.step_param or "cursor"
    filters = {k: v for k, v in first[0].items() if k not in (paging.size_param, cursor_param)}
    same_filter = _same_filter_tool(ctx, mapped, filters, size)

    def expected(tool: MappedTool, call_args: dict[str, Any]) -> set[tuple[str, str]]:
        """The records the mock holds for the call's own arguments."""
        scope = resource(tool.resource).scope
        if tool.name == mapped.name:
            own = all(call_args.get(k) == v for k, v in first[0].items() if k != cursor_param)
            ids = set(first[1] if own else second[1])
            values = first[0] if own else second[0]
            rows = [
                r for r in store_rows(ctx.store, tool.resource, _scope_of(scope, values)) if r["id"] in ids
            ]
            return _allowed(rows, scope)
        return _allowed(store_rows(ctx.store, tool.resource, _scope_of(scope, call_args)), scope)

    async def scenario(example: CursorExample) -> Failure | None:
        tool, call_args = mapped, dict(args)
        sent = cursor
        if example.kind in ("truncated", "edited"):
            sent = _edited(cursor, example)
        elif example.kind == "other filter":
            call_args = dict(other_filter)
        elif example.kind == "other tool, same filter":
            if isinstance(same_filter, str):
                return None  # no other cursor tool with the same filter: a check says so below
            tool, call_args = same_filter[0], dict(same_filter[1])
        elif other is not None:
            tool, call_args = other[0], dict(other[1])
        else:
            return None  # no second cursor tool
        tool_paging = paging_of(ctx.schema(tool.name))
        if tool is not mapped and tool_paging.size_param:
            call_args[tool_paging.size_param] = min(max(size, tool_paging.low), tool_paging.high)
        cursor_name = tool_paging.step_param or cursor_param
        call_args[cursor_name] = sent
        call = await ctx.probe.call(tool.name, call_args)
        failure = _judge(call, tool, expected(tool, call_args), example)
        if failure is None and example.kind.startswith("other") and not sent.isdigit():
            failure = await _skipped(
                ctx, tool, call, {k: v for k, v in call_args.items() if k != cursor_name}
            )
        return failure

    found = await explore(
        ctx,
        _examples(),
        scenario,
        describe=CursorExample.describe,
        explicit=[CursorExample(kind=k, position=len(cursor) // 2) for k in KINDS],
    )
    not_run = (
        [
            ctx.check(
                "cursors",
                f"{mapped.name} / other tool, same filter",
                "skipped",
                f"not run: {same_filter}",
                tool=mapped.name,
            )
        ]
        if isinstance(same_filter, str)
        else []
    )
    settled = found.unsettled(ctx, "cursors", mapped.name, calls_before=[page])
    if settled is not None:
        return [settled, *not_run]
    return [
        ctx.check(
            "cursors",
            mapped.name,
            "passed",
            f"{found.examples} tampered or reused cursors refused or answered with the call's own records",
            tool=mapped.name,
        ),
        *not_run,
    ]


def _same_filter_tool(
    ctx: Context, mapped: MappedTool, filters: dict[str, Any], size: int
) -> tuple[MappedTool, dict[str, Any]] | str:
    """Another cursor-paged list tool taking the very filter the cursor was issued with (the sites of
    the client whose tickets were paged), with records seeded under it: a cursor checked only against
    its filters, not its tool, is accepted there. The seeded records count only when the mock's own
    list selects them under that filter (a filter that reads something else than a field of that name,
    KBArticle ``client_id`` through its access list, a ``search`` over names), and enough of them for a
    second page: else the cursor's position answers nothing and proves nothing. Without such a tool,
    why (the scenario is then skipped, and the check says so)."""
    if not filters:
        return "the cursor was issued without a filter"
    tried: list[str] = []
    text = next((v for v in filters.values() if isinstance(v, str)), None)
    for other in ctx.mapped("list"):
        schema = ctx.schema(other.name)
        other_paging = paging_of(schema)
        spec = resource(other.resource)
        if (
            other.resource == mapped.resource
            or other_paging.style != "cursor"
            or spec.scope
            or not all(k in (schema.get("properties") or {}) for k in filters)
        ):
            continue
        tried.append(other.name)
        # a text filter (``search``) finds records holding its text: it is the seeded records' marker
        marker = text if text is not None else ctx.unique("cursor")
        base = sample_values(ctx, spec, marker) if spec.sample else {"name": marker}
        try:
            for _ in range(3 * size):
                ctx.store.post(resource=spec.name, body=[{**base, **filters}])
        except Exception:  # the sandbox refused the sample: no dataset for this tool
            continue
        selected = store_rows(ctx.store, spec.name, {k: str(v) for k, v in filters.items()})
        if len(selected) < 2 * size:
            continue
        args = dict(filters)
        if other_paging.size_param:
            args[other_paging.size_param] = min(max(size, other_paging.low), other_paging.high)
        return other, args
    names = ", ".join(sorted(filters))
    if not tried:
        return f"no other cursor-paged list tool takes {names}"
    return (
        f"no other cursor-paged list tool taking {names} ({', '.join(tried)}) selects records seeded "
        f"under that filter for a second page"
    )


async def _skipped(
    ctx: Context, tool: MappedTool, call: CallRecord, fresh_args: dict[str, Any]
) -> Failure | None:
    """A cursor of another query, accepted, must not continue the call's own query from the old
    cursor's position: that silently skips the records before it (an agent that changed a filter and
    kept the cursor never sees the new query's first page). The answer is compared with the first page
    of the call's own arguments without the cursor: records, none of them on that first page, are a
    later page. A cursor in clear digits (a page number or offset the caller can read) is a position
    the caller chose, not judged."""
    records = (find_records(call.payload(), list_keys=[tool.resource]) or []) if call.ok else []
    if not records:
        return None
    first = await ctx.probe.call(tool.name, fresh_args)
    if not first.ok:
        return None
    scope = resource(tool.resource).scope
    answered = set(_keys(records, scope))
    opening = set(_keys(find_records(first.payload(), list_keys=[tool.resource]) or [], scope))
    if not opening or answered & opening:
        return None
    return Failure(
        detail=f"a cursor of another query was accepted and continued this one: {len(answered)} record(s) "
        f"of a later page of {tool.name}'s own query, skipping the {len(opening)} record(s) of its "
        "first page",
        calls=[call, first],
        expected="a refusal (tool error), or the call's own query from its first record",
    )


def _scope_of(scope: str | None, args: dict[str, Any]) -> dict[str, str]:
    """The scope a scoped resource's rows are read under (``ticket_id`` for actions)."""
    if not scope:
        return {}
    value = next((v for k, v in args.items() if norm(k) == norm(scope)), None)
    return {scope: str(value)} if value is not None else {}


def _judge(
    call: CallRecord, tool: MappedTool, allowed: set[tuple[str, str]], example: CursorExample
) -> Failure | None:
    if call.timed_out:
        return Failure(
            detail=f"{example.kind} cursor: the call never returned",
            calls=[call],
            expected="a refusal or the call's own records",
        )
    if not call.ok:
        return None  # refused: what a cursor that is not this query's deserves
    records = find_records(call.payload(), list_keys=[tool.resource]) or []
    scope = resource(tool.resource).scope
    foreign = [k if scope else k[1] for k in _keys(records, scope) if k not in allowed]
    if not foreign:
        return None
    return Failure(
        detail=f"{example.kind} cursor: answered {len(foreign)} record(s) outside the query of the "
        f"arguments sent with it ({tool.name}): {foreign[:10]}",
        calls=[call],
        expected="a refusal (tool error), or only records matching the arguments sent with the cursor",
    )
