"""Error pass-through (every error status Halo answers with, bodies in JSON, text or HTML of any
length, reaches the caller with Halo's status and message) and auth (an access token expired mid-run
costs one token request, not a failure or a loop; revoked credentials, a 401 on every request, end
after one refresh and one replay)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from halo_sandbox.verify.discovery import MappedTool, norm
from halo_sandbox.verify.probe import CallRecord, _walk
from halo_sandbox.verify.properties import Context, fill_arguments, seeded_ticket, store_rows
from halo_sandbox.verify.properties.generative import Failure, explore


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


def _ratelimit_problems(call: CallRecord, retry_after: int) -> list[str]:
    """Rate-limit fields the server passes (any ``ratelimit`` object, any ``retry_after``) must be
    the ones Halo sent."""
    want = {"limit": 300, "remaining": 0, "reset": retry_after}
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
    wrong = [
        v
        for k, v in (item for item in _walk(call.payload()) if isinstance(item, tuple))
        if norm(k) in {"retryafter", "retryafterseconds"}
        and v is not None
        and str(v) not in (str(retry_after), f"{retry_after}.0")
    ]
    if wrong:
        problems.append(f"retry-after passed as {wrong[0]!r}, Halo said {retry_after}")
    return problems


STATUSES = (400, 403, 404, 409, 429, 500, 502, 503, 504)
"""Every error status Halo answers an API call with, 401 aside (the auth property)."""
BODY_KINDS = ("json", "text", "html")
_FILLER = "Halo verify filler text, standing in for a long stack trace or proxy page. "


@dataclass(frozen=True, kw_only=True)
class ErrorScenario:
    """One scripted Halo error: status, body kind and length, Retry-After header."""

    status: int
    kind: str = "json"
    length: int = 0
    """Characters of filler after the message (bodies up to several KB)."""
    retry_after: str | None = None

    def describe(self) -> str:
        after = f", Retry-After {self.retry_after!r}" if self.retry_after is not None else ""
        return f"Halo answers {self.status} with a {self.kind} body of ~{self.length} filler chars{after}"


def _letters(n: int = 10) -> str:
    """Random lower-case letters (no digits: a status number must not hide in a message)."""
    return "".join(chr(ord("a") + b % 26) for b in uuid.uuid4().bytes[:n])


def error_rule(scenario: ErrorScenario) -> tuple[dict[str, Any], str]:
    """The fault rule answering as ``scenario`` says, and the message the caller must see."""
    message = f"Verify {_letters()} says no"
    filler = (_FILLER * (scenario.length // len(_FILLER) + 1))[: scenario.length]
    headers: dict[str, str] = {}
    if scenario.retry_after is not None:
        headers["Retry-After"] = scenario.retry_after
    if scenario.status == 429:
        headers.update({"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "0"})
    body: Any
    if scenario.kind == "json":
        body = {"message": message, "detail": filler} if filler else {"message": message}
        if scenario.status == 400:  # ASP.NET's field errors: the field's message is what matters
            body = {"message": "The request is invalid.", "modelState": {"[0].summary": [message]}}
            if filler:
                body["modelState"]["[0].details"] = [filler]
    elif scenario.kind == "text":
        body = f"{message}. {filler}"
    else:
        body = (
            f"<!DOCTYPE html><html><head><title>{message}</title></head><body><h1>{scenario.status}"
            f"</h1><p>{filler}</p></body></html>"
        )
    return {"status": scenario.status, "body": body, "headers": headers}, message


def error_scenarios() -> Any:
    from hypothesis import strategies as st

    return st.builds(
        ErrorScenario,
        status=st.sampled_from(STATUSES),
        kind=st.sampled_from(BODY_KINDS),
        length=st.one_of(st.just(0), st.integers(1, 200), st.integers(1000, 6000)),
        retry_after=st.sampled_from((None, "0", "1")),
    )


async def _faulted_call(ctx: Context, tool: str, args: dict[str, Any], rule: dict[str, Any]) -> CallRecord:
    faults = ctx.sandbox.tenant.faults
    faults.clear()
    faults.add(path="/api/*", **rule)
    try:
        call = await ctx.probe.call(tool, args, timeout=max(ctx.probe.timeout, 15))
        await ctx.probe.settle()
    finally:
        faults.clear()
    return call


def carries(call: CallRecord, text: str) -> bool:
    seen = call.text()
    return text in seen or json.dumps(text)[1:-1] in seen


async def error_pass_through(ctx: Context) -> list:
    checks = []
    targets = probe_tools(ctx)
    if not targets:
        return [ctx.check("errors", "read tools", "skipped", "no read tool whose arguments could be filled")]
    for mapped, args in targets:
        judged: list[int] = []

        async def scenario(
            example: ErrorScenario,
            mapped: MappedTool = mapped,
            args: dict[str, Any] = args,
            judged: list[int] = judged,
        ) -> Failure | None:
            rule, message = error_rule(example)
            call = await _faulted_call(ctx, mapped.name, args, rule)
            if not call.api and not call.ok and await ctx.fresh_server():
                # nothing reached Halo: a breaker or cache an earlier scenario left; once more, fresh
                call = await _faulted_call(ctx, mapped.name, args, rule)
            if call.timed_out and len(call.api) > 1:
                return None  # a server retrying until the call's time ran out: the retries property
            judged.append(example.status)
            problems = []
            if call.timed_out:
                problems.append("the call never returned")
            elif call.ok:
                problems.append(f"Halo's {example.status} came back as a success")
            else:
                if str(example.status) not in call.text():
                    problems.append(f"the error does not carry the status {example.status}")
                if not carries(call, message) and example.kind != "html":
                    # an HTML page (a proxy's, a login page) has no message of Halo's to keep
                    problems.append("the error does not carry Halo's message")
            if not call.api:
                problems.append("no upstream request reached Halo")
            if example.status == 429 and not problems and example.retry_after is not None:
                problems += _ratelimit_problems(call, int(example.retry_after))
            if not problems:
                return None
            return Failure(
                detail=f"{example.status}: " + "; ".join(problems),
                calls=[call],
                expected=f"a tool error carrying {example.status} and {message!r}",
            )

        found = await explore(
            ctx,
            error_scenarios(),
            scenario,
            describe=ErrorScenario.describe,
            examples=2 * ctx.examples,
            explicit=[ErrorScenario(status=s, retry_after="1" if s == 429 else None) for s in STATUSES],
        )
        settled = found.unsettled(ctx, "errors", mapped.name)
        if settled is not None:
            checks.append(settled)
        else:
            statuses = ", ".join(str(s) for s in sorted(set(judged)))
            checks.append(
                ctx.check(
                    "errors",
                    mapped.name,
                    "passed" if judged else "skipped",
                    f"{found.examples} scripted errors ({statuses}): status and message passed through"
                    if judged
                    else "every scripted error ran out of time while the server retried (see retries)",
                    tool=mapped.name,
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
            f"{mapped.name} / expired token",
            "failed" if problems else "passed",
            detail,
            tool=mapped.name,
            calls=[call] if problems else [],
            expected="the call succeeds after exactly one token request",
        ),
        await _revoked(ctx, mapped, args),
    ]


REVOKED = "Authorization has been denied for this request."


async def _revoked(ctx: Context, mapped: MappedTool, args: dict[str, Any]) -> Any:
    """Revoked credentials: Halo answers every API request 401 while still issuing tokens. One
    token refresh and one replay, then the 401 reaches the caller; never a loop."""
    faults = ctx.sandbox.tenant.faults
    faults.clear()
    faults.add(path="/api/*", status=401, body={"message": REVOKED})
    try:
        call = await ctx.probe.call(mapped.name, args, timeout=max(ctx.probe.timeout, 15))
        await ctx.probe.settle()
    finally:
        faults.clear()
    problems = []
    if call.timed_out:
        problems.append("the call never returned (a refresh loop?)")
    elif call.ok:
        problems.append("Halo's 401 came back as a success")
    elif "401" not in call.text() and not carries(call, REVOKED):
        problems.append("the error carries neither the status 401 nor Halo's message")
    # counted from Halo's first 401 on: a server may fetch a token before every request
    refused = next((i for i, e in enumerate(call.journal) if e in call.api and e.status == 401), None)
    after = call.journal[refused + 1 :] if refused is not None else []
    refreshes = sum(1 for e in after if e in call.tokens)
    replays = sum(1 for e in after if e in call.api)
    if refreshes > 1:
        problems.append(f"{refreshes} token requests after Halo's 401 (one refresh is enough to learn)")
    if replays > 1:
        problems.append(f"{replays} API requests after Halo's 401 (one replay at most)")
    return ctx.check(
        "auth",
        f"{mapped.name} / revoked credentials",
        "failed" if problems else "passed",
        "; ".join(problems)
        or f"a persistent 401: {refreshes} refresh(es), {replays} replay(s), then the error",
        tool=mapped.name,
        calls=[call] if problems else [],
        expected="at most one token refresh and one replay, then a tool error carrying the 401",
    )
