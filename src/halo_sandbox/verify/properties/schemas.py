"""Schemas: every input schema is valid JSON Schema; arguments generated from it (hypothesis-
jsonschema) are accepted or refused with a tool error, never a protocol error or a hang; results
that declare an `outputSchema` conform; and Halo never refuses a schema-valid call for a field the
schema calls optional. (Annotations are checked by the annotations property.)"""

from __future__ import annotations

import json
import re
from typing import Any

import anyio
import anyio.from_thread

from halo_sandbox.verify.probe import CallRecord
from halo_sandbox.verify.properties import Context

_REQUIRED = re.compile(r"([A-Za-z_][A-Za-z0-9_]*) (?:field )?is required", re.IGNORECASE)


class _Finding(AssertionError):
    def __init__(self, detail: str, call: CallRecord, expected: str) -> None:
        super().__init__(detail)
        self.detail, self.call, self.expected = detail, call, expected


def _judge(call: CallRecord, tool: Any, schema: dict[str, Any]) -> None:
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
        if exchange.status == 400 and exchange.path.lower().startswith("/api/"):
            for name in _REQUIRED.findall(exchange.response_body.decode("utf-8", "replace")):
                if name in optional and name not in call.arguments:
                    raise _Finding(
                        f"the schema calls {name!r} optional, Halo refused the call without it: "
                        f"{exchange.response_body[:300].decode('utf-8', 'replace')}",
                        call,
                        f"{name!r} in the schema's required list, or refused before Halo",
                    )


async def schemas(ctx: Context) -> list:
    import jsonschema
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis_jsonschema import from_schema

    checks = []
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

        run = _property(
            ctx,
            name,
            tool,
            schema,
            strategy,
            found,
            drawn,
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
        if found:
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
        call = anyio.from_thread.run(ctx.probe.call, name, arguments if isinstance(arguments, dict) else {})
        try:
            _judge(call, tool, schema)
        except _Finding as finding:
            found.append(finding)
            raise

    return run
