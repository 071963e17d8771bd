"""Filters narrow: a list tool called with a filter Halo documents for its resource (``client_id``,
``status_id``, ``agent_id``, ...) answers exactly the records the mock's own filtered query holds
for the same parameters.

Per list tool, the filters are the tool's arguments named as one of the resource's id filters in the
mock's resource table (`halo_sandbox.mock.domain.resources`, Halo's documented list parameters);
hypothesis draws which filter, and which value among those the seeded records hold (so the answer is
never empty by accident). A first page (of up to 50) must hold only matching records, and all of
them when they fit in it and the server says no more pages follow."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

from halo_sandbox.verify.discovery import MappedTool, norm, resource
from halo_sandbox.verify.probe import CallRecord, decoded, find_cursor, find_records, record_id
from halo_sandbox.verify.properties import Context, seeded_ticket, store_rows
from halo_sandbox.verify.properties.generative import Failure, explore
from halo_sandbox.verify.properties.paging import more_flag, paging_of

__all__ = ["filters"]

MAX_FILTER_VALUES = 12
"""Values per filter hypothesis chooses among (the commonest first)."""


@dataclass(frozen=True, kw_only=True)
class FilterExample:
    param: str
    """The tool's argument."""
    halo: str
    """Halo's list parameter it stands for."""
    value: int

    def describe(self) -> str:
        return f"{self.param}={self.value}"


def _filters(ctx: Context, mapped: MappedTool, rows: list[dict[str, Any]]) -> list[FilterExample]:
    """Every (argument, value) worth trying: the tool's id-filter arguments Halo documents for the
    resource, with values the seeded rows hold."""
    from halo_sandbox.mock.domain.resources import spec_named

    try:
        spec = spec_named(mapped.resource)
    except LookupError:
        return []
    props = ctx.schema(mapped.name).get("properties") or {}
    scope = resource(mapped.resource).scope
    out = []
    for flt in spec.filters:
        if flt.kind != "int" or not flt.field or (scope and norm(flt.param) == norm(scope)):
            continue
        param = next((p for p in props if norm(p) == norm(flt.param)), None)
        if param is None or (props[param] or {}).get("type") not in ("integer", "number", None):
            continue
        counts: dict[int, int] = {}
        for row in rows:
            value = row.get(flt.field)
            if isinstance(value, int) and not isinstance(value, bool) and value > 0:
                counts[value] = counts.get(value, 0) + 1
        common = sorted(counts, key=lambda v: (-counts[v], v))[:MAX_FILTER_VALUES]
        out += [FilterExample(param=param, halo=flt.param, value=v) for v in common]
    return out


_PAGING = {"pageinate", "page_size", "page_no", "count"}


def _sent_query(call: CallRecord) -> dict[str, str] | None:
    """The filters of the last GET the call sent to Halo's API (paging left out), if it sent one."""
    gets = [e for e in call.exchanges if e.method == "GET" and e.path.lower().startswith("/api/")]
    if not gets:
        return None
    return {k: v for k, v in parse_qsl(gets[-1].query) if k.lower() not in _PAGING}


async def filters(ctx: Context) -> list:
    checks = []
    for mapped in ctx.mapped("list"):
        spec = resource(mapped.resource)
        scope: dict[str, Any] = {spec.scope: seeded_ticket(ctx)} if spec.scope else {}
        scope_args = {
            p: v
            for p in (ctx.schema(mapped.name).get("properties") or {})
            for k, v in scope.items()
            if norm(p) == norm(k)
        }
        if len(scope_args) != len(scope):
            continue
        rows = store_rows(ctx.store, mapped.resource, {k: str(v) for k, v in scope.items()})
        candidates = _filters(ctx, mapped, rows)
        if not candidates:
            continue
        paging = paging_of(ctx.schema(mapped.name))
        # a page Halo serves whole (its cap is 100): whether larger pages work is pagination's question
        size = min(paging.high, 50) if paging.size_param else None

        async def scenario(
            example: FilterExample,
            mapped: MappedTool = mapped,
            scope: dict[str, Any] = scope,
            scope_args: dict[str, Any] = scope_args,
            size_param: str | None = paging.size_param,
            size: int | None = size,
        ) -> Failure | None:
            args = {**scope_args, example.param: example.value}
            if size_param and size:
                args[size_param] = size
            call = await ctx.probe.call(mapped.name, args)
            truth = {
                r["id"]
                for r in store_rows(
                    ctx.store,
                    mapped.resource,
                    {**{k: str(v) for k, v in scope.items()}, example.halo: str(example.value)},
                )
            }
            if not call.ok:
                return Failure(
                    detail=f"{example.describe()}: the call failed",
                    calls=[call],
                    expected=f"the {len(truth)} records Halo holds for {example.halo}={example.value}",
                )
            records = find_records(call.payload(), list_keys=[mapped.resource]) or []
            got = []
            for record in records:
                try:
                    got.append(record_id(record))
                except LookupError:
                    return None  # records without ids: reads says so; nothing to compare here
            foreign = [i for i in got if i not in truth]
            # left out: judged against the query the server really sent (a server may narrow further,
            # e.g. open tickets only), never against more than the filter allows
            sent = _sent_query(call)
            if sent is not None:
                truth &= {r["id"] for r in store_rows(ctx.store, mapped.resource, sent)}
            whole = (
                find_cursor(decoded(call.payload())) is None
                and more_flag(call.payload()) is not True
                and (size is None or len(truth) <= size)
            )
            missing = sorted(truth - set(got), key=str) if whole else []
            if not foreign and not missing:
                return None
            problems = []
            if foreign:
                problems.append(f"{len(foreign)} record(s) that do not match: {foreign[:10]}")
            if missing:
                problems.append(f"{len(missing)} matching record(s) left out: {missing[:10]}")
            return Failure(
                detail=f"{example.describe()}: " + "; ".join(problems),
                calls=[call],
                expected=f"exactly the {len(truth)} records Halo's own query {example.halo}="
                f"{example.value} answers",
            )

        from hypothesis import strategies as st

        found = await explore(
            ctx,
            st.sampled_from(candidates),
            scenario,
            describe=FilterExample.describe,
            examples=min(ctx.examples, 3),
            explicit=list({c.param: c for c in reversed(candidates)}.values()),  # each filter once
        )
        settled = found.unsettled(ctx, "filters", mapped.name)
        if settled is not None:
            checks.append(settled)
        else:
            names = ", ".join(sorted({c.param for c in candidates}))
            checks.append(
                ctx.check(
                    "filters",
                    mapped.name,
                    "passed",
                    f"{found.examples} filtered calls ({names}) answered Halo's own filtered records",
                    tool=mapped.name,
                )
            )
    if not checks:
        checks.append(
            ctx.check("filters", "list tools", "skipped", "no list tool takes an id filter Halo documents")
        )
    return checks
