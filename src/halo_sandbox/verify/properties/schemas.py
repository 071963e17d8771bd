"""Schemas: every input schema is valid JSON Schema; arguments generated from it (hypothesis-
jsonschema) are accepted or refused with a tool error, never a protocol error or a hang; results
that declare an `outputSchema` conform; and Halo never refuses a schema-valid call for a field the
schema calls optional. (Annotations are checked by the annotations property.)

That last rule is also checked deterministically, not only where generation happens to leave a field
out: a create tool whose schema names a field Halo requires on create
(`halo_sandbox.verify.required_on_create`) but does not require it is called, schema-valid, without
that field. It fails when the create reaches Halo and Halo refuses it for that field (the schema
told the agent the field could be left out); a refusal before Halo, or a server that fills the
field itself (a default client), passes. A tool whose schema does not name the field at all is not
judged (it may fill it from elsewhere).

An update tool whose request reached Halo as a create (an item with no id or id 0: Halo reads it as
a new record) is failed for that, not for the fields Halo then asked for: those a create needs
(``summary``), which an update rightly leaves optional.

A call that never returns and sent Halo nothing is made again on a fresh server process before it is
judged: the property's own volume (hundreds of calls) can hold a server that paces its requests
(a client-side rate limiter) without any fault of the tool."""

from __future__ import annotations

import json
import re
from typing import Any

import anyio
import anyio.from_thread

from halo_sandbox.verify.probe import CallRecord
from halo_sandbox.verify.properties import (
    Context,
    _object_schema,
    fill_arguments,
    parameters_for,
    sample_values,
    store_rows,
)
from halo_sandbox.verify.required_on_create import REQUIRED_ON_CREATE

_REQUIRED = re.compile(r"([A-Za-z_][A-Za-z0-9_]*) (?:field )?is required", re.IGNORECASE)


class _Finding(AssertionError):
    def __init__(self, detail: str, call: CallRecord, expected: str, *, field: str | None = None) -> None:
        super().__init__(detail)
        self.detail, self.call, self.expected = detail, call, expected
        self.field = field  # the optional argument Halo refused the call without, for that finding


def _item_ids(exchange: Any) -> list[float | None] | None:
    """The ``id`` of each item a POST sent (None: no id; a number otherwise, NaN when unreadable);
    None when the request was no POST of JSON."""
    if exchange.method.upper() != "POST":
        return None
    try:
        body = json.loads(exchange.request_body)
    except ValueError:
        return None
    ids: list[float | None] = []
    for item in body if isinstance(body, list) else [body]:
        if isinstance(item, dict):
            ident = item.get("id")
            try:
                ids.append(None if ident is None else float(ident))
            except (TypeError, ValueError):
                ids.append(float("nan"))
    return ids


def _judge(call: CallRecord, tool: Any, schema: dict[str, Any], *, update: bool = False) -> None:
    import jsonschema

    if call.timed_out:
        raise _Finding("the call never returned", call, "a result or a tool error")
    if call.protocol_error is not None:
        raise _Finding(
            f"protocol error for schema-valid arguments: {call.protocol_error}",
            call,
            "a result or a tool error",
        )
    output = getattr(tool, "output_schema", None)
    if call.ok and output and call.result.structured_content is not None:
        errors = sorted(
            jsonschema.Draft202012Validator(output).iter_errors(call.result.structured_content), key=str
        )
        if errors:
            raise _Finding(f"result does not match outputSchema: {errors[0].message}", call, "outputSchema")
    optional = set(schema.get("properties") or {}) - set(schema.get("required") or [])
    for exchange in call.exchanges:
        if not exchange.path.lower().startswith("/api/"):
            continue
        # a 400 naming the field, or (outside strict mode) the sandbox's own check reporting it
        said = exchange.response_body.decode("utf-8", "replace") if exchange.status == 400 else ""
        for text, how in ((said, "Halo refused"), (exchange.ignored, "the sandbox reported")):
            names = _REQUIRED.findall(text)
            ids = _item_ids(exchange) if update and names else None
            if ids and any(i is None or i == 0 for i in ids):
                ident = next(i for i in ids if i is None or i == 0)
                raise _Finding(
                    f"the update reached Halo as a create: it sent an item with "
                    f"{'no id' if ident is None else 'id 0'}, which Halo reads as a new record "
                    f"({how} it only for missing {', '.join(map(repr, names))}: {text[:300]})",
                    call,
                    "an update refuses a missing or zero id before Halo, never sends a new record",
                )
            if ids and not all(i is not None and i >= 1 for i in ids):
                continue  # an id Halo documents no meaning for (-3): what it asks then is no verdict
            for name in names:
                if name in optional and name not in call.arguments:
                    raise _Finding(
                        f"the schema calls {name!r} optional, {how} the call without it: {text[:300]}",
                        call,
                        f"{name!r} in the schema's required list, or refused before Halo",
                        field=name,
                    )


def _named_optional(schema: dict[str, Any], field: str) -> str | None:
    """The argument carrying Halo's ``field`` (``data.client_id`` inside an object argument) when the
    schema names it without requiring it; None when it is required or not named."""
    carried = parameters_for(schema, [field]).get(field)
    if carried is None:
        return None
    parts = carried.split(".")
    parent: Any = schema
    if len(parts) == 2:
        parent = _object_schema(schema, (schema.get("properties") or {}).get(parts[0])) or {}
    elif len(parts) > 2:
        return None
    if parts[-1] not in (parent.get("properties") or {}):
        return None  # a free-form record (``data: {}``) names no field: it calls none optional
    return None if parts[-1] in (parent.get("required") or []) else carried


def _present(args: dict[str, Any], param: str) -> bool:
    head, _, rest = param.partition(".")
    if not rest:
        return head in args
    inner = args.get(head)
    return isinstance(inner, dict) and rest in inner


def _other_values(ctx: Context, resource_name: str, fields: tuple[str, ...], left_out: str) -> dict[str, Any]:
    """Values for the required fields other than ``left_out``: the kit's sample record where it has
    one, else a text or a seeded record's id."""
    from halo_sandbox.verify.discovery import VOCABULARY

    spec = next((r for r in VOCABULARY if r.name == resource_name), None)
    values = sample_values(ctx, spec, ctx.unique("required")) if spec is not None and spec.sample else {}
    seeded = {"client_id": "clients", "site_id": "sites", "ticket_id": "tickets", "user_id": "users"}
    for name in fields:
        if name == left_out or name in values:
            continue
        if name in seeded:
            rows = store_rows(ctx.store, seeded[name])
            if rows:
                values[name] = rows[0]["id"]
        elif not name.endswith("id"):
            values[name] = ctx.unique(name)
    values.pop(left_out, None)
    return values


def _required_names(body: bytes) -> set[str]:
    return {n.lower() for n in _REQUIRED.findall(body.decode("utf-8", "replace"))}


async def required_on_create(ctx: Context) -> list:
    """Creates whose schema names a field Halo requires without requiring it, called without it."""
    checks = []
    for create in ctx.mapped("create"):
        if create.resource not in REQUIRED_ON_CREATE:
            continue
        _, fields = REQUIRED_ON_CREATE[create.resource]
        schema = ctx.schema(create.name)
        for field in fields:
            param = _named_optional(schema, field)
            if param is None:
                continue
            args, missing = fill_arguments(schema, _other_values(ctx, create.resource, fields, field))
            if missing or _present(args, param):
                continue
            call = await ctx.probe.call(create.name, args)
            # Halo's 400 naming the field, or (outside strict mode) the sandbox's own check reporting it
            refused = [
                e
                for e in call.exchanges
                if e.method == "POST"
                and e.path.lower().startswith("/api/")
                and (
                    (e.status == 400 and field.lower() in _required_names(e.response_body))
                    or field.lower() in _required_names(e.ignored.encode())
                )
            ]
            subject = f"{create.name} / without {param}"
            if refused:
                said = refused[0].response_body if refused[0].status == 400 else refused[0].ignored.encode()
                body = said[:300].decode("utf-8", "replace")
                checks.append(
                    ctx.check(
                        "schemas",
                        subject,
                        "failed",
                        f"the schema calls {param!r} optional, Halo refused the create without it: {body}",
                        tool=create.name,
                        calls=[call],
                        expected=f"{param!r} in the schema's required list, or the create refused before "
                        f"Halo (Halo requires {field} on create)",
                        example=f"arguments={json.dumps(args, default=str)}",
                    )
                )
            else:
                how = "refused before Halo" if not call.writes else "Halo accepted it"
                checks.append(ctx.check("schemas", subject, "passed", how, tool=create.name))
    return checks


async def schemas(ctx: Context) -> list:
    import jsonschema
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis_jsonschema import from_schema

    checks = await required_on_create(ctx)
    # one defect, one failure: a field the deterministic check already failed a tool for
    reported = {(c.tool, c.subject.rsplit(" / without ", 1)[-1]) for c in checks if c.status == "failed"}
    for name, tool in ctx.tools.items():
        schema = ctx.schema(name)
        try:
            jsonschema.validators.validator_for(schema).check_schema(schema)
        except jsonschema.SchemaError as exc:
            checks.append(
                ctx.check(
                    "schemas",
                    name,
                    "failed",
                    f"inputSchema is not valid JSON Schema: {exc.message}",
                    tool=name,
                )
            )
            continue
        try:
            strategy = from_schema(schema)
        except Exception as exc:  # noqa: BLE001 - hypothesis-jsonschema's refusals are of many types
            checks.append(
                ctx.check("schemas", name, "skipped", f"cannot generate arguments: {exc}", tool=name)
            )
            continue
        found: list[_Finding] = []
        drawn: list[Any] = []
        mapped = ctx.discovery.by_name().get(name)

        run = _property(
            ctx,
            name,
            tool,
            schema,
            strategy,
            found,
            drawn,
            update=mapped is not None and mapped.role == "update",
            settings=settings,
            given=given,
            phases=[Phase.explicit, Phase.generate],
            health=list(HealthCheck),
        )
        try:
            await anyio.to_thread.run_sync(run)
        except _Finding:
            pass
        except Exception as exc:  # noqa: BLE001 - e.g. hypothesis giving up on a schema
            checks.append(
                ctx.check(
                    "schemas", name, "skipped", f"generation stopped: {type(exc).__name__}: {exc}", tool=name
                )
            )
            continue
        if found and (name, found[0].field) in reported:
            checks.append(
                ctx.check(
                    "schemas",
                    name,
                    "skipped",
                    f"its refusal without {found[0].field!r} is {name} / without {found[0].field}",
                    tool=name,
                )
            )
        elif found:
            finding = found[0]
            checks.append(
                ctx.check(
                    "schemas",
                    name,
                    "failed",
                    finding.detail,
                    tool=name,
                    calls=[finding.call],
                    expected=finding.expected,
                    example=f"arguments={json.dumps(finding.call.arguments, default=str)} "
                    f"(hypothesis-jsonschema, derandomized)",
                )
            )
        else:
            checks.append(ctx.check("schemas", name, "passed", f"{len(drawn)} generated calls", tool=name))
    return checks


def _property(
    ctx: Context,
    name: str,
    tool: Any,
    schema: dict[str, Any],
    strategy: Any,
    found: list[_Finding],
    drawn: list[Any],
    *,
    update: bool,
    settings: Any,
    given: Any,
    phases: Any,
    health: Any,
) -> Any:
    """The hypothesis test of one tool: runs in a worker thread, each example a call on the loop."""

    @settings(
        max_examples=ctx.examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=phases,
        suppress_health_check=health,
    )
    @given(arguments=strategy)
    def run(arguments: Any) -> None:
        drawn.append(arguments)
        args = arguments if isinstance(arguments, dict) else {}
        call = anyio.from_thread.run(ctx.probe.call, name, args)
        if call.timed_out and not call.exchanges and anyio.from_thread.run(ctx.fresh_server):
            # silent, with no request to Halo: perhaps state the earlier calls left (a client-side
            # rate limiter waiting out the hundreds of calls this property makes); judged again on
            # a fresh server process, where a tool that hangs of itself hangs again
            call = anyio.from_thread.run(ctx.probe.call, name, args)
        try:
            _judge(call, tool, schema, update=update)
        except _Finding as finding:
            found.append(finding)
            raise

    return run
