"""Annotations agree with what a tool does: each mapped tool that declares annotations is called once
the way its role works (a read on a seeded record, a create of a sample record, an update and a
delete of a record seeded for it) and its hints are checked against the HTTP requests it actually
sent to Halo (the sandbox journals every one) and what changed in Halo:

- ``readOnlyHint: true``: only GET (HEAD, OPTIONS) requests;
- ``destructiveHint: false``: no DELETE, no change to a record that existed before the call;
- ``idempotentHint: true``: the call created no record (a second call would create another).

A hint left out takes MCP's default (not read-only, destructive, not idempotent), which no request
contradicts. A read tool (list or get) that declares ``readOnlyHint: false`` explicitly although
every call it made in the whole run sent only GET requests fails (clients then ask a human to
approve each read, or keep it from read-only agents); a read tool with no annotations at all is
reported as a finding, not a failure (many servers set none)."""

from __future__ import annotations

from typing import Any

from halo_sandbox.verify.discovery import MappedTool, resource
from halo_sandbox.verify.probe import CallRecord
from halo_sandbox.verify.properties import Context, fill_arguments, sample_values, store_rows
from halo_sandbox.verify.properties.failures import read_call

__all__ = ["hints_agree"]


def _hint(annotations: Any, name: str) -> bool | None:
    value = getattr(annotations, name, None)
    return value if isinstance(value, bool) else None


async def _exercise(
    ctx: Context, mapped: MappedTool, *, count: bool
) -> tuple[CallRecord | None, list[Any], str]:
    """Call the tool once as its role works: (the call, records it created when ``count``, why it
    could not be)."""
    spec = resource(mapped.resource)
    schema = ctx.schema(mapped.name)
    if mapped.role in ("list", "get"):
        args = read_call(ctx, mapped)
        if args is None:
            return None, [], "no arguments that read a seeded record"
        return await ctx.probe.call(mapped.name, args), [], ""
    if not spec.sample:
        return None, [], f"verify writes no {mapped.resource}"
    values = sample_values(ctx, spec, ctx.unique("hints"))
    scope = {spec.scope: str(values[spec.scope])} if spec.scope else {}
    if mapped.role == "create":
        args, missing = fill_arguments(schema, values)
    else:
        record = ctx.store.post(resource=mapped.resource, body=[values])["id"]
        change = (
            {spec.text_field: ctx.unique("hinted")} if mapped.role == "update" and spec.text_field else {}
        )
        args, missing = fill_arguments(schema, {**{k: int(v) for k, v in scope.items()}, **change})
        args[mapped.id_arg] = record
        missing = [m for m in missing if m != mapped.id_arg]
    if missing:
        return None, [], f"cannot fill {', '.join(missing)}"
    if not count:
        return await ctx.probe.call(mapped.name, args), [], ""
    before = {r["id"] for r in store_rows(ctx.store, mapped.resource, scope)}
    call = await ctx.probe.call(mapped.name, args)
    await ctx.probe.settle()
    return call, [r["id"] for r in store_rows(ctx.store, mapped.resource, scope) if r["id"] not in before], ""


_READS = {"GET", "HEAD", "OPTIONS"}


def _judge(
    mapped: MappedTool, hints: Any, call: CallRecord, created: list[Any], ctx: Context | None = None
) -> list[str]:
    problems = []
    methods = ctx.probe.methods.get(mapped.name, set()) if ctx is not None else set()
    reached = ctx.probe.reached.get(mapped.name, 0) if ctx is not None else 0
    if (
        mapped.role in ("list", "get")
        and _hint(hints, "read_only_hint") is False
        and methods
        and methods <= _READS
    ):
        problems.append(
            f"hinted not read-only (readOnlyHint: false), yet its {reached} call(s) in this run sent "
            f"only {', '.join(sorted(methods))} requests"
        )
    writes = [f"{e.method} {e.path}" for e in call.writes]
    if _hint(hints, "read_only_hint") is True and writes:
        problems.append(f"hinted read-only, sent {', '.join(writes[:3])}")
    if _hint(hints, "destructive_hint") is False and _hint(hints, "read_only_hint") is not True:
        deletes = [w for w in writes if w.startswith("DELETE")]
        if deletes:
            problems.append(f"hinted not destructive, sent {deletes[0]}")
        elif mapped.role == "update" and writes:
            problems.append(f"hinted not destructive, changed an existing record ({writes[0]})")
    if _hint(hints, "idempotent_hint") is True and created:
        problems.append(
            f"hinted idempotent, created {mapped.resource} {created[:3]}: each call creates another"
        )
    return problems


async def hints_agree(ctx: Context) -> list:
    checks = []
    bare: list[str] = []
    for mapped in ctx.discovery.mapped.values():
        hints = getattr(ctx.tools[mapped.name], "annotations", None)
        if hints is None:
            if mapped.role in ("list", "get"):
                bare.append(mapped.name)
            continue
        call, created, why = await _exercise(ctx, mapped, count=_hint(hints, "idempotent_hint") is True)
        if call is None:
            checks.append(ctx.check("annotations", mapped.name, "skipped", why, tool=mapped.name))
            continue
        problems = _judge(mapped, hints, call, created, ctx)
        sent = sorted({e.method for e in call.api}) or ["nothing"]
        checks.append(
            ctx.check(
                "annotations",
                mapped.name,
                "failed" if problems else "passed",
                "; ".join(problems) or f"hints agree with the requests sent ({', '.join(sent)})",
                tool=mapped.name,
                calls=[call] if problems else [],
                expected="readOnlyHint: only GETs; destructiveHint false: no delete or change of an "
                "existing record; idempotentHint: no record created",
            )
        )
    if bare:
        ctx.findings.append(
            f"annotations: {len(bare)} read tool(s) declare no annotations (clients take them as "
            f"possibly writing and destructive): {', '.join(sorted(bare)[:8])}"
            + (", ..." if len(bare) > 8 else "")
        )
    if not checks:
        checks.append(ctx.check("annotations", "tools", "skipped", "no mapped tool declares annotations"))
    return checks
