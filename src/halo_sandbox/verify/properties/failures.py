"""Error pass-through (every error status Halo answers with, bodies in JSON, text or HTML of any
length, reaches the caller with Halo's status and message) and auth (an access token expired mid-run
costs one token request, not a failure or a loop; revoked credentials, a 401 on every request, end
after one refresh and one replay)."""

from __future__ import annotations

import email.utils
import json
import re
import time
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


STATUSES = (400, 403, 404, 409, 429, 500, 502, 503, 504)
"""Every error status Halo answers an API call with, 401 aside (the auth property)."""
BODY_KINDS = ("json", "text", "html")
_FILLER = "Halo verify filler text, standing in for a long stack trace or proxy page. "
_LEAD = "System.InvalidOperationException at HaloService.Api.Controllers.Handle(Request request) "


@dataclass(frozen=True, kw_only=True)
class ErrorScenario:
    """One scripted Halo error: status, body kind and length, where Halo's message sits in it, and
    the Retry-After header."""

    status: int
    kind: str = "json"
    length: int = 0
    """Characters of filler after the message (bodies up to several KB)."""
    lead: int = 0
    """Characters of filler before the message (a stack trace's preamble, an exception's type): a
    message that starts within the first `MESSAGE_WITHIN` characters must reach the caller."""
    retry_after: str | None = None
    """Seconds, or `DATE` for an HTTP date `DATE_AHEAD` seconds after the fault is scripted."""

    def retry_after_header(self, sent_at: float) -> str | None:
        if self.retry_after != DATE:
            return self.retry_after
        return email.utils.formatdate(sent_at + DATE_AHEAD, usegmt=True)

    def retry_after_seconds(self, sent_at: float) -> tuple[float, float] | None:
        """The seconds a server may report for the header: exact for seconds; for a date, what was
        left of it between Halo's answer and the call's end (the date has whole seconds)."""
        if self.retry_after is None:
            return None
        if self.retry_after != DATE:
            return float(self.retry_after), float(self.retry_after)
        return DATE_AHEAD - 1 - _DATE_SLACK, float(DATE_AHEAD)

    def describe(self) -> str:
        after = ""
        if self.retry_after is not None:
            shown = "an HTTP date" if self.retry_after == DATE else repr(self.retry_after)
            after = f", Retry-After {shown}"
        lead = f", the message after {self.lead} chars" if self.lead else ""
        return (
            f"Halo answers {self.status} with a {self.kind} body of ~{self.length} filler chars{lead}{after}"
        )


DATE = "@date"
DATE_AHEAD = 30
_DATE_SLACK = 10.0
"""Seconds a call may take between Halo's answer and the server's reading of a date Retry-After."""
MESSAGE_WITHIN = 500
"""A message starting within this many characters of Halo's body must reach the caller whole; a
server may shorten longer bodies (an agent's context is finite), so fillers before it stay shorter."""


def _letters(n: int = 10) -> str:
    """Random lower-case letters (no digits: a status number must not hide in a message)."""
    return "".join(chr(ord("a") + b % 26) for b in uuid.uuid4().bytes[:n])


def error_rule(scenario: ErrorScenario, sent_at: float) -> tuple[dict[str, Any], str]:
    """The fault rule answering as ``scenario`` says (its date, if any, counted from ``sent_at``), and
    the message the caller must see."""
    message = f"Verify {_letters()} says no"
    filler = (_FILLER * (scenario.length // len(_FILLER) + 1))[: scenario.length]
    lead = (_LEAD * (scenario.lead // len(_LEAD) + 1))[: scenario.lead]
    headers: dict[str, str] = {}
    retry_after = scenario.retry_after_header(sent_at)
    if retry_after is not None:
        headers["Retry-After"] = retry_after
    if scenario.status == 429:
        headers.update({"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "0"})
    body: Any
    if scenario.kind == "json":
        body = {"exceptionType": lead} if lead else {}
        body["message"] = message
        if filler:
            body["detail"] = filler
        if scenario.status == 400:  # ASP.NET's field errors: the field's message is what matters
            body = {"message": "The request is invalid.", "modelState": {"[0].summary": [message]}}
            if lead:
                body["modelState"] = {"[0].details": [lead], "[0].summary": [message]}
            if filler:
                body["modelState"]["[0].note"] = [filler]
    elif scenario.kind == "text":
        body = f"{lead}{message}. {filler}"
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
        lead=st.one_of(st.just(0), st.integers(1, MESSAGE_WITHIN - 200)),
        retry_after=st.sampled_from((None, "0", "1", "2", "120", DATE)),
    )


def _keyed(pairs: list[tuple[Any, Any]], names: set[str]) -> list[Any]:
    """Values of the ``(key, value)`` pairs whose normalised key is in ``names``."""
    return [v for k, v in pairs if norm(str(k)) in names]


def _ratelimit_problems(call: CallRecord, scenario: ErrorScenario, sent_at: float) -> list[str]:
    """Rate-limit fields the server passes (any ``ratelimit`` object, any ``retry_after``) must carry
    what Halo's answer said: a field the server offers is a promise, so a null one where Halo sent the
    header is as wrong as another number. A server that offers no such field is not judged here
    (dropping the headers loses no status or message)."""
    problems = []
    pairs = [item for item in _walk(call.payload()) if isinstance(item, tuple)]  # every key, any depth
    after = scenario.retry_after_seconds(sent_at)
    header = scenario.retry_after_header(sent_at)
    if after is not None:
        low, high = after
        for value in _keyed(pairs, {"retryafter", "retryafterseconds"}):
            if value == header:
                continue  # passed on verbatim (an HTTP date as Halo sent it)
            number = value if isinstance(value, (int, float)) and not isinstance(value, bool) else None
            if isinstance(value, str) and (digits := re.match(r"\s*(-?\d+(?:\.\d+)?)", value)):
                number = float(digits.group(1))  # "2", "2.0", "2s", "2 seconds"
            if number is None or not low <= number <= high:
                problems.append(f"retry-after passed as {value!r}, Halo said {header!r}")
                break
    if scenario.status == 429:  # the sandbox's X-RateLimit-* ride on its 429s (FIDELITY.md, rate limits)
        want = {"limit": (300.0, 300.0), "remaining": (0.0, 0.0)}
        if after is not None:
            want["reset"] = after
        for value in _keyed(pairs, {"ratelimit", "ratelimits"}):
            if value is None:
                problems.append("rate-limit fields passed as null, Halo sent X-RateLimit-Limit 300")
                continue
            if not isinstance(value, dict):
                continue  # a text ("rate limit exceeded"), not fields
            for name, (low, high) in want.items():
                got = next((v for k, v in value.items() if norm(str(k)) == name), None)
                if got is None and name == "reset":
                    continue  # Halo sent no reset of its own; a server may leave it unknown
                if not isinstance(got, (int, float)) or isinstance(got, bool) or not low <= got <= high:
                    said = f"{low:g}" if low == high else f"{low:g}-{high:g}"
                    problems.append(f"rate-limit {name} passed as {got!r}, Halo said {said}")
    return problems


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
            sent_at = time.time()
            rule, message = error_rule(example, sent_at)
            call = await _faulted_call(ctx, mapped.name, args, rule)
            if not call.api and not call.ok and await ctx.fresh_server():
                # nothing reached Halo: a breaker or cache an earlier scenario left; once more, fresh
                sent_at = time.time()
                rule, message = error_rule(example, sent_at)
                call = await _faulted_call(ctx, mapped.name, args, rule)
            if call.timed_out and (len(call.api) > 1 or example.retry_after is not None):
                # a server retrying (or waiting out Retry-After) until the call's time ran out: the
                # retries property judges waits
                return None
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
                    where = f" (it starts at character {example.lead} of the body)" if example.lead else ""
                    problems.append(f"the error does not carry Halo's message{where}")
            if not call.api:
                problems.append("no upstream request reached Halo")
            if not problems:
                problems += _ratelimit_problems(call, example, sent_at)
            if not problems:
                return None
            after = example.retry_after is not None or example.status == 429
            return Failure(
                detail=f"{example.status}: " + "; ".join(problems),
                calls=[call],
                expected=f"a tool error carrying {example.status} and {message!r}"
                + (", and rate-limit fields the server offers carrying Halo's headers" if after else ""),
            )

        found = await explore(
            ctx,
            error_scenarios(),
            scenario,
            describe=ErrorScenario.describe,
            examples=2 * ctx.examples,
            explicit=[
                *(ErrorScenario(status=s, retry_after="1" if s == 429 else None) for s in STATUSES),
                ErrorScenario(status=429, kind="text", lead=300, retry_after=DATE),
                ErrorScenario(status=503, kind="json", lead=300, length=2000, retry_after="0"),
            ],
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
