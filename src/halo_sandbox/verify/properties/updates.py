"""Updates never create: an update tool changing an existing record adds no record, and one given
an id Halo does not hold (drawn by hypothesis above every id the tenant holds) adds none either (a
server that, on Halo's 404, posts the record again without its id turns a typo into a new ticket).
An update tool whose schema lets its id argument go is also called without it: that call must not
create a record either (Halo's POST without an id creates one; a tool error is the right answer)."""

from __future__ import annotations

from typing import Any

from halo_sandbox.verify.discovery import VOCABULARY, KitResource, MappedTool
from halo_sandbox.verify.probe import CallRecord
from halo_sandbox.verify.properties import Context, fill_arguments, sample_values, store_rows
from halo_sandbox.verify.properties.generative import Failure, explore

__all__ = ["updates"]


def _scope(ctx: Context, spec: KitResource, values: dict[str, Any]) -> dict[str, str]:
    return {spec.scope: str(values[spec.scope])} if spec.scope and spec.scope in values else {}


async def _update(
    ctx: Context, spec: KitResource, update: MappedTool, record_id: Any, scope: dict[str, str], text: str
) -> tuple[CallRecord | None, list[Any], str]:
    """Call the update tool on ``record_id`` (None: without its id argument): (the call, ids that
    appeared meanwhile, what could not be filled)."""
    args, missing = fill_arguments(
        ctx.schema(update.name), {**{k: int(v) for k, v in scope.items()}, spec.text_field or "": text}
    )
    if record_id is None:
        args.pop(update.id_arg, None)
    else:
        args[update.id_arg] = record_id
    missing = [m for m in missing if m != update.id_arg]
    if missing:
        return None, [], ", ".join(missing)
    top = _top(ctx, spec, scope)
    call = await ctx.probe.call(update.name, args)
    await ctx.probe.settle()
    return call, _after(ctx, spec, scope, top), ""


def _top(ctx: Context, spec: KitResource, scope: dict[str, str]) -> int:
    """The highest id the resource holds (new records get higher ones)."""
    ids = [r["id"] for r in store_rows(ctx.store, spec.name, scope)]
    return max((i for i in ids if isinstance(i, int)), default=0)


def _after(ctx: Context, spec: KitResource, scope: dict[str, str], top: int) -> list[int]:
    """Ids above ``top``: records created since (read by id, not by listing every record)."""
    from halo_sandbox.mock.exceptions import NotFound

    new: list[int] = []
    while True:
        try:
            ctx.store.get(
                resource=spec.name,
                id=top + 1 + len(new),
                scope=int(next(iter(scope.values()))) if scope else None,
            )
        except NotFound:
            return new
        new.append(top + 1 + len(new))


async def updates(ctx: Context) -> list:
    from hypothesis import strategies as st

    checks = []
    for spec in VOCABULARY:
        update = ctx.discovery.tool(spec.name, "update")
        if update is None or not spec.sample or not spec.text_field:
            continue
        values = sample_values(ctx, spec, ctx.unique())
        scope = _scope(ctx, spec, values)
        existing = ctx.store.post(resource=spec.name, body=[values])["id"]
        call, new, missing = await _update(ctx, spec, update, existing, scope, ctx.unique("updated"))
        if call is None:
            checks.append(
                ctx.check("updates", update.name, "skipped", f"cannot fill {missing}", tool=update.name)
            )
            continue
        if new:
            checks.append(
                ctx.check(
                    "updates",
                    update.name,
                    "failed",
                    f"updating {spec.name} {existing} created {spec.name} {new}",
                    tool=update.name,
                    calls=[call],
                    expected="the record changed in place, no new record",
                )
            )
            continue
        id_optional = update.id_arg not in (ctx.schema(update.name).get("required") or [])
        if id_optional:
            call, new, _ = await _update(ctx, spec, update, None, scope, ctx.unique("updated"))
            if call is not None and new:
                checks.append(
                    ctx.check(
                        "updates",
                        update.name,
                        "failed",
                        f"called without {update.id_arg} (its schema lets it go), the update created "
                        f"{spec.name} {new}",
                        tool=update.name,
                        calls=[call],
                        expected=f"a refusal (no {update.id_arg}: nothing to update) and no new record",
                        example=f"{update.id_arg} left out",
                    )
                )
                continue
        ids = [r["id"] for r in store_rows(ctx.store, spec.name, scope)]
        top = max((i for i in ids if isinstance(i, int)), default=0)

        async def scenario(
            missing_id: int,
            spec: KitResource = spec,
            update: MappedTool = update,
            scope: dict[str, str] = scope,
        ) -> Failure | None:
            call, new, _ = await _update(ctx, spec, update, missing_id, scope, ctx.unique("updated"))
            if call is None or not new:
                return None
            return Failure(
                detail=f"updating {spec.name} {missing_id}, which Halo does not hold, created "
                f"{spec.name} {new}",
                calls=[call],
                expected="a refusal (Halo's 404) and no new record",
            )

        found = await explore(
            ctx,
            st.integers(top + 1, 2_147_483_647),
            scenario,
            describe=f"{update.id_arg}={{}} (no such record)".format,
            examples=min(ctx.examples, 3),
            explicit=[top + 1],
        )
        if found.failure is not None:
            checks.append(
                ctx.check(
                    "updates",
                    update.name,
                    "failed",
                    found.failure.detail,
                    tool=update.name,
                    calls=found.failure.calls,
                    expected=found.failure.expected,
                    example=found.failure.example,
                )
            )
        else:
            checks.append(
                ctx.check(
                    "updates",
                    update.name,
                    "passed",
                    f"an existing record changed in place; {found.examples} missing ids"
                    + (f" and a call without {update.id_arg}" if id_optional else "")
                    + " created nothing",
                    tool=update.name,
                )
            )
    if not checks:
        checks.append(ctx.check("updates", "update tools", "skipped", "no update tool with a text field"))
    return checks
