"""Filters narrow: a list tool called with a filter Halo documents for its resource (``client_id``,
``status_id``, ``agent_id``, ...) answers exactly the records the mock's own filtered query holds
for the same parameters.

Per list tool, the filters are the tool's arguments named as one of the resource's filters in the
mock's resource table (`halo_sandbox.mock.domain.resources`, Halo's documented list parameters):

- an id filter (``agent_id``) with a value the seeded records hold. ``0`` is not tried: no source
  gives it a meaning of its own in Halo (ASP.NET binds an absent ``int`` parameter as 0, so Halo
  may well read ``client_id=0`` as no filter), and servers that leave 0 out (``if (client_id)``)
  would be failed on a guess;
- an id-list filter Halo takes comma-separated (``status``, ``client_ids``) that the tool's schema
  declares as an array: several ids at once (any of them);
- a boolean filter (``open_only``) with ``true`` and with ``false``.

hypothesis draws which filter and which value (so the answer is never empty by accident).
A first page (of up to 50) must hold only matching records, and all of them when they fit in it and
the server says no more pages follow. A string-typed id-list argument is not tried (its format is
the server's to choose)."""

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
    value: int | bool | tuple[int, ...]
    """An id, a flag, or several ids (sent as an array)."""

    def argument(self) -> Any:
        return list(self.value) if isinstance(self.value, tuple) else self.value

    def query(self) -> str:
        """The value as Halo's query string carries it."""
        if isinstance(self.value, bool):
            return "true" if self.value else "false"
        if isinstance(self.value, tuple):
            return ",".join(str(v) for v in self.value)
        return str(self.value)

    def describe(self) -> str:
        return f"{self.param}={self.argument()!r}".replace("True", "true").replace("False", "false")


def _counts(rows: list[dict[str, Any]], field: str) -> list[int]:
    """The positive ids rows hold in ``field``, the commonest first."""
    counts: dict[int, int] = {}
    for row in rows:
        value = row.get(field)
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            counts[value] = counts.get(value, 0) + 1
    return sorted(counts, key=lambda v: (-counts[v], v))[:MAX_FILTER_VALUES]


def _filters(ctx: Context, mapped: MappedTool, rows: list[dict[str, Any]]) -> list[FilterExample]:
    """Every (argument, value) worth trying: the tool's filter arguments Halo documents for the
    resource, with values the seeded rows hold (ids), several ids at once (array arguments of
    comma-separated filters), true and false (flags)."""
    from halo_sandbox.mock.domain.resources import spec_named

    try:
        spec = spec_named(mapped.resource)
    except LookupError:
        return []
    props = ctx.schema(mapped.name).get("properties") or {}
    scope = resource(mapped.resource).scope
    out = []
    for flt in spec.filters:
        if scope and norm(flt.param) == norm(scope):
            continue
        param = next((p for p in props if norm(p) == norm(flt.param)), None)
        if param is None:
            continue
        prop = props[param] or {}
        kind = prop.get("type")
        if flt.kind == "int" and flt.field and kind in ("integer", "number", None):
            common = _counts(rows, flt.field)
            out += [FilterExample(param=param, halo=flt.param, value=v) for v in common]
        elif flt.kind == "csv" and flt.field and kind == "array":
            if (prop.get("items") or {}).get("type", "integer") not in ("integer", "number"):
                continue
            common = _counts(rows, flt.field)
            out += [
                FilterExample(param=param, halo=flt.param, value=tuple(sorted(common[i : i + n])))
                for n in (2, 3)
                for i in range(0, max(len(common) - n + 1, 0), n)
            ]
        elif flt.kind == "flag" and kind == "boolean":
            out += [FilterExample(param=param, halo=flt.param, value=v) for v in (True, False)]
    return out


def _explicit(candidates: list[FilterExample]) -> list[FilterExample]:
    """Each argument once (its commonest value), and every false: a flag whose absence Halo reads
    otherwise (the mock's sourced default) must be sent, not dropped by testing its truth."""
    first = list({c.param: c for c in reversed(candidates)}.values())
    falsy = [c for c in candidates if c.value is False or (type(c.value) is int and c.value == 0)]
    return first + [c for c in falsy if c not in first]


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
            args = {**scope_args, example.param: example.argument()}
            if size_param and size:
                args[size_param] = size
            call = await ctx.probe.call(mapped.name, args)
            truth = {
                r["id"]
                for r in store_rows(
                    ctx.store,
                    mapped.resource,
                    {**{k: str(v) for k, v in scope.items()}, example.halo: example.query()},
                )
            }
            if not call.ok and call.tool_error and type(example.value) is int and example.value == 0:
                return None  # a refusal of 0 is the server's choice; only an answer must be right
            if not call.ok:
                return Failure(
                    detail=f"{example.describe()}: the call failed",
                    calls=[call],
                    expected=f"the {len(truth)} records Halo holds for {example.halo}={example.query()}",
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
                f"{example.query()} answers",
            )

        from hypothesis import strategies as st

        found = await explore(
            ctx,
            st.sampled_from(candidates),
            scenario,
            describe=FilterExample.describe,
            examples=min(ctx.examples, 3),
            explicit=_explicit(candidates),
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
            ctx.check("filters", "list tools", "skipped", "no list tool takes a filter Halo documents")
        )
    return checks
