"""Error pass-through (a scripted 429, 5xx, 404 and 400 reach the caller with Halo's status and
message after exactly one upstream request) and auth (an access token expired mid-run costs one
token request, not a failure or a loop)."""

from __future__ import annotations

import json
import uuid
from typing import Any

from halo_sandbox.verify.discovery import MappedTool, norm
from halo_sandbox.verify.probe import CallRecord, _walk
from halo_sandbox.verify.properties import Context, fill_arguments, seeded_ticket, store_rows

RETRY_AFTER = 2


def _scenarios() -> list[tuple[str, dict[str, Any], str]]:
    """(label, fault rule, the message the caller must see). Messages are unique per run."""
    from halo_sandbox.mock.engine.faults import rate_limit_message
    from halo_sandbox.mock.settings import RateLimit

    tag = uuid.uuid4().hex[:8]
    limit = rate_limit_message(RateLimit())
    return [
        (
            "429",
            {
                "status": 429,
                "body": limit,
                "headers": {
                    "X-RateLimit-Limit": "300",
                    "X-RateLimit-Remaining": "0",
                    "X-RateLimit-Reset": str(RETRY_AFTER),
                    "Retry-After": str(RETRY_AFTER),
                },
            },
            limit,
        ),
        (
            "500",
            {"status": 500, "body": {"message": f"An error has occurred ({tag})."}},
            f"An error has occurred ({tag}).",
        ),
        ("503", {"status": 503, "body": f"Service Unavailable ({tag})"}, f"Service Unavailable ({tag})"),
        (
            "404",
            {"status": 404, "body": {"message": f"No matching record found ({tag})."}},
            f"No matching record found ({tag}).",
        ),
        (
            "400",
            {
                "status": 400,
                "body": {
                    "message": "The request is invalid.",
                    "modelState": {"[0].summary": [f"The summary is invalid ({tag})."]},
                },
            },
            f"The summary is invalid ({tag}).",
        ),
    ]


def read_call(ctx: Context, mapped: MappedTool) -> dict[str, Any] | None:
    """Arguments that make a read tool succeed on the seeded tenant (None when they cannot be filled)."""
    values: dict[str, Any] = {}
    if mapped.role == "get":
        rows = store_rows(
            ctx.store, mapped.resource, {"ticket_id": str(seeded_ticket(ctx))} if mapped.scope_param else None
        )
        if not rows:
            return None
        values = {k: v for k, v in rows[0].items() if k.endswith("_id")}
    elif mapped.scope_param:
        values = {"ticket_id": seeded_ticket(ctx)}
    args, missing = fill_arguments(ctx.schema(mapped.name), values)
    if mapped.role == "get":
        args[mapped.id_arg] = rows[0]["id"]
        missing = [m for m in missing if m != mapped.id_arg]
    return None if missing else args


def probe_tools(ctx: Context) -> list[tuple[MappedTool, dict[str, Any]]]:
    """A get and a list tool (tickets first) with working arguments."""
    chosen = []
    for role in ("get", "list"):
        for mapped in sorted(ctx.mapped(role), key=lambda m: (m.resource != "tickets", m.resource)):
            args = read_call(ctx, mapped)
            if args is not None:
                chosen.append((mapped, args))
                break
    return chosen


def _ratelimit_problems(call: CallRecord) -> list[str]:
    """Rate-limit fields the server passes (any ``ratelimit`` object) must be the ones Halo sent."""
    want = {"limit": 300, "remaining": 0, "reset": RETRY_AFTER}
    problems = []
    for key, value in (item for item in _walk(call.payload()) if isinstance(item, tuple)):
        if norm(key) in {"ratelimit", "ratelimits"} and isinstance(value, dict):
            for field, expected in want.items():
                got = next((v for k, v in value.items() if norm(k) == field), None)
                slack = 1 if field == "reset" else 0  # a delta that may have ticked down
                if (
                    isinstance(got, (int, float))
                    and not isinstance(got, bool)
                    and not expected - slack <= got <= expected
                ):
                    problems.append(f"rate-limit {field} passed as {got!r}, Halo said {expected}")
    return problems


def _retry_after(call: CallRecord) -> list[Any]:
    return [
        v
        for k, v in (item for item in _walk(call.payload()) if isinstance(item, tuple))
        if norm(k) in {"retryafter", "retryafterseconds"}
    ]


async def error_pass_through(ctx: Context) -> list:
    checks = []
    targets = probe_tools(ctx)
    if not targets:
        return [ctx.check("errors", "read tools", "skipped", "no read tool whose arguments could be filled")]
    faults = ctx.sandbox.tenant.faults
    for mapped, args in targets:
        for label, rule, message in _scenarios():
            faults.clear()
            faults.add(path="/api/*", **rule)
            call = await ctx.probe.call(
                mapped.name, args, timeout=max(ctx.probe.timeout, 4 * RETRY_AFTER + 5)
            )
            await ctx.probe.settle()
            faults.clear()
            api = len(call.api)
            problems = []
            if call.timed_out:
                problems.append("the call never returned")
            elif call.ok:
                problems.append(f"Halo's {label} came back as a success")
            text = call.text()
            if not call.timed_out and not call.ok:
                if label not in text:
                    problems.append(f"the error does not carry the status {label}")
                if message not in text and json.dumps(message)[1:-1] not in text:
                    problems.append("the error does not carry Halo's message")
            if api != 1:
                problems.append(
                    f"{api} upstream requests for one call (retried)"
                    if api > 1
                    else "no upstream request reached Halo"
                )
            if label == "429" and not problems:
                wrong = [
                    v
                    for v in _retry_after(call)
                    if v is not None and str(v) not in (str(RETRY_AFTER), f"{RETRY_AFTER}.0")
                ]
                if wrong:
                    problems.append(f"retry-after passed as {wrong[0]!r}, Halo said {RETRY_AFTER}")
                problems += _ratelimit_problems(call)
            checks.append(
                ctx.check(
                    "errors",
                    f"{mapped.name} / {label}",
                    "failed" if problems else "passed",
                    "; ".join(problems)
                    or f"{label}: status and message passed through, {api} upstream request",
                    tool=mapped.name,
                    calls=[call] if problems else [],
                    expected=f"a tool error carrying {label} and {message!r}, after exactly one upstream "
                    "request",
                )
            )
    return checks


async def auth(ctx: Context) -> list:
    targets = probe_tools(ctx)
    if not targets:
        return [ctx.check("auth", "read tools", "skipped", "no read tool whose arguments could be filled")]
    mapped, args = targets[0]
    warm = await ctx.probe.call(mapped.name, args)
    if not warm.ok:
        return [
            ctx.check(
                "auth",
                mapped.name,
                "failed",
                "the read failed before any token expired",
                tool=mapped.name,
                calls=[warm],
            )
        ]
    expired = ctx.sandbox.tenant.auth.expire()
    call = await ctx.probe.call(mapped.name, args, timeout=max(ctx.probe.timeout, 15))
    await ctx.probe.settle()
    problems = []
    if call.timed_out:
        problems.append("the call never returned (a refresh loop?)")
    elif not call.ok:
        problems.append("the call failed after the token expired")
    if len(call.tokens) != 1:
        problems.append(f"{len(call.tokens)} token requests")
    if len(call.api) > 2:
        problems.append(f"{len(call.api)} upstream API requests (expected the refused one and one replay)")
    detail = "; ".join(problems) or (
        f"{expired} token(s) expired: one token request, {len(call.api)} API request(s)"
    )
    return [
        ctx.check(
            "auth",
            mapped.name,
            "failed" if problems else "passed",
            detail,
            tool=mapped.name,
            calls=[call] if problems else [],
            expected="the call succeeds after exactly one token request",
        )
    ]
