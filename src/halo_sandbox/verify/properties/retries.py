"""Retries: what a server does when Halo answers 429, 5xx or drops the connection, reported as a
finding, judged by the run's retry policy.

Each scenario scripts a persistent fault, makes one call and counts the attempts that reached Halo
(with the time between them, from the sandbox's tap). The finding says per scenario: passes through
once / retries N times honouring Retry-After / retries ignoring it / unbounded. The verdict depends
on ``--retry-policy``:

- ``harm-only`` (default) fails only what harms the caller: a create (a POST without an id) sent
  again after a 5xx or a dropped connection (Halo may have saved the first: a duplicate), a retry
  sooner than Halo's ``Retry-After``, a wait without end (no answer within `RETRY_TIMEOUT` s, or
  more than `MAX_ATTEMPTS` attempts), and an error that lost Halo's status after retrying;
- ``bounded`` also fails more than three retries of one call and retries of a 4xx Halo means
  (400, 403, 404, 409);
- ``pass-through`` fails any second attempt.
"""

from __future__ import annotations

import dataclasses
import email.utils
import time
from dataclasses import dataclass
from typing import Any

from halo_sandbox.verify.discovery import VOCABULARY
from halo_sandbox.verify.probe import CallRecord
from halo_sandbox.verify.properties import Context, fill_arguments, sample_values, store_rows
from halo_sandbox.verify.properties.failures import probe_tools

__all__ = ["MAX_ATTEMPTS", "RETRY_TIMEOUT", "retries"]

RETRY_TIMEOUT = 20.0
"""Seconds a call under a persistent fault may take before its wait counts as unbounded."""
MAX_ATTEMPTS = 10
LARGE_RETRY_AFTER = 3600
_SLACK = 0.3
"""Seconds a retry may come before Retry-After runs out (clocks and scheduling)."""


@dataclass(frozen=True, kw_only=True)
class RetryScenario:
    label: str
    write: bool = False
    """A create under the fault (else a read)."""
    saved: bool = False
    """Halo saves the create, then its answer is lost (a 502 from the tap): retrying duplicates."""
    status: int | None = None
    """None: the connection is dropped."""
    retry_after: str | None = None


_DATE = "@date"
"""Stands for an HTTP date 3 s ahead, made when the scenario's fault is scripted."""


def _scenarios() -> list[RetryScenario]:
    return [
        RetryScenario(label="429, Retry-After 1", status=429, retry_after="1"),
        RetryScenario(
            label=f"429, Retry-After {LARGE_RETRY_AFTER}", status=429, retry_after=str(LARGE_RETRY_AFTER)
        ),
        RetryScenario(label="429, Retry-After as an HTTP date", status=429, retry_after=_DATE),
        RetryScenario(label="503, Retry-After 1", status=503, retry_after="1"),
        RetryScenario(label="500", status=500),
        RetryScenario(label="404", status=404),
        RetryScenario(label="a dropped connection"),
        RetryScenario(label="create under 502", write=True, status=502),
        RetryScenario(label="create saved, its answer lost (502)", write=True, status=502, saved=True),
        RetryScenario(label="create under a dropped connection", write=True),
    ]


def _dated(scenario: RetryScenario) -> RetryScenario:
    if scenario.retry_after != _DATE:
        return scenario
    date = email.utils.formatdate(time.time() + 3, usegmt=True)
    return dataclasses.replace(scenario, retry_after=date)


def _rule(scenario: RetryScenario) -> dict[str, Any]:
    rule: dict[str, Any] = {"path": "/api/*"}
    if scenario.write:
        rule["method"] = "POST"
    if scenario.status is None:
        return {**rule, "drop": True}
    headers = {"Retry-After": scenario.retry_after} if scenario.retry_after is not None else {}
    body = {"message": f"Verify scripted {scenario.status}"}
    return {**rule, "status": scenario.status, "headers": headers, "body": body}


def _allowed_at(scenario: RetryScenario, previous: float, wall: float, mono: float) -> float | None:
    """The monotonic time before which Halo asked for no retry, after an answer at ``previous``."""
    if scenario.retry_after is None:
        return None
    if scenario.retry_after.isdigit():
        return previous + float(scenario.retry_after)
    date = email.utils.parsedate_to_datetime(scenario.retry_after).timestamp()
    return mono + (date - wall)


@dataclass(frozen=True, kw_only=True)
class Observed:
    attempts: int
    gaps: list[float]
    asked: float | None
    """Seconds Halo asked to wait after the first answer."""
    shortfall: float = 0.0
    """How much sooner than Retry-After allowed the earliest retry came."""
    created: int = 0
    """Records the call left in Halo (a create whose answer was lost)."""
    timed_out: bool

    def finding(self) -> str:
        if self.timed_out:
            return f"unbounded: no answer within {RETRY_TIMEOUT:g} s ({self.attempts} attempt(s) so far)"
        if self.attempts == 0:
            return "answers without asking Halo (a circuit breaker or cache?)"
        if self.attempts == 1:
            return "passes through once"
        if self.attempts > MAX_ATTEMPTS:
            return f"unbounded: {self.attempts} attempts"
        waits = f"waits {min(self.gaps):.1f}-{max(self.gaps):.1f} s"
        retried = f"retries {self.attempts - 1} time{'s' if self.attempts > 2 else ''}"
        if self.asked is None:
            return f"{retried} ({waits})"
        if self.ignored:
            return f"{retried} ignoring Retry-After ({waits}, Halo asked {self.asked:.1f} s)"
        return f"{retried} honouring Retry-After ({waits})"

    @property
    def ignored(self) -> bool:
        return self.asked is not None and self.attempts > 1 and self.shortfall > _SLACK


def judge(scenario: RetryScenario, seen: Observed, call: CallRecord, policy: str) -> list[str]:
    """What is wrong with the server's handling of ``scenario`` under ``policy`` (empty: fine)."""
    problems = []
    retried = seen.attempts > 1
    if seen.timed_out or seen.attempts > MAX_ATTEMPTS:
        problems.append(f"waits without end ({seen.finding()})")
    if seen.ignored:
        problems.append(
            f"ignores Retry-After: retried {seen.shortfall:.1f} s before Halo allowed "
            f"(it asked for {seen.asked:.1f} s)"
        )
    if scenario.write and retried:
        problems.append(
            f"a create was sent {seen.attempts} times "
            + (
                f"after its answer was lost: Halo saved each one ({seen.created} records, duplicates)"
                if scenario.saved and seen.created
                else f"after {'a 502' if scenario.saved else scenario.label.removeprefix('create under ')}: "
                "when Halo saved the first, "
                "each retry is a duplicate record"
            )
        )
    if retried and not seen.timed_out and scenario.status is not None:
        if call.ok:
            problems.append(f"Halo's {scenario.status} came back as a success after retrying")
        elif str(scenario.status) not in call.text():
            problems.append(f"after retrying, the error lost Halo's status {scenario.status}")
    if policy in ("bounded", "pass-through") and retried and scenario.status in (400, 403, 404, 409):
        problems.append(f"retried a {scenario.status}, which no retry can change (--retry-policy {policy})")
    if policy == "bounded" and seen.attempts > 4:
        problems.append(f"{seen.attempts - 1} retries, more than 3 (--retry-policy bounded)")
    if policy == "pass-through" and retried and not problems:
        problems.append(f"{seen.attempts} upstream requests for one call (--retry-policy pass-through)")
    return problems


def _create_call(ctx: Context) -> tuple[str, dict[str, Any], str, dict[str, str]] | None:
    """A create tool with working arguments: (tool, arguments, resource, the scope it lands in)."""
    for spec in VOCABULARY:
        create = ctx.discovery.tool(spec.name, "create")
        if create is None or not spec.sample:
            continue
        values = sample_values(ctx, spec, ctx.unique())
        args, missing = fill_arguments(ctx.schema(create.name), values)
        if not missing:
            scope = {spec.scope: str(values[spec.scope])} if spec.scope else {}
            return create.name, args, spec.name, scope
    return None


def _ids(ctx: Context, target: tuple[str, dict[str, Any], str | None, dict[str, str]]) -> set[Any]:
    return {r["id"] for r in store_rows(ctx.store, target[2], target[3])} if target[2] else set()


async def _attempt(
    ctx: Context, scenario: RetryScenario, tool: str, args: dict[str, Any]
) -> tuple[CallRecord, list[Any], float, float]:
    """One call under the scenario's fault: the call, the attempts that reached Halo, and the wall
    and monotonic clocks when it started."""
    faults, tap = ctx.sandbox.tenant.faults, ctx.sandbox.tap
    faults.clear()
    if scenario.saved:
        tap.lose_answer = lambda method, path: (
            502 if method == "POST" and path.lower().startswith("/api/") else None
        )
    else:
        faults.add(**_rule(scenario))
    wall, mono = time.time(), time.monotonic()
    try:
        call = await ctx.probe.call(tool, args, timeout=RETRY_TIMEOUT)
        await ctx.probe.settle()
    finally:
        faults.clear()
        tap.lose_answer = None
    method = "POST" if scenario.write else None
    attempts = [
        e
        for e in call.exchanges
        if e.path.lower().startswith("/api/") and (method is None or e.method == method)
    ]
    return call, attempts, wall, mono


async def retries(ctx: Context) -> list:
    reads = probe_tools(ctx)
    read: tuple[str, dict[str, Any], str | None, dict[str, str]] | None = (
        (reads[0][0].name, reads[0][1], None, {}) if reads else None
    )
    create = _create_call(ctx)
    checks = []
    found: list[tuple[str, str, str]] = []
    for scenario in _scenarios():
        target = create if scenario.write else read
        if target is None:
            continue
        tool, args = target[0], target[1]
        scenario = _dated(scenario)
        before = _ids(ctx, target)
        call, attempts, wall, mono = await _attempt(ctx, scenario, tool, args)
        if not attempts and not call.timed_out and await ctx.fresh_server():
            # nothing reached Halo: a breaker an earlier scenario opened; once more, fresh
            scenario = _dated(scenario)
            call, attempts, wall, mono = await _attempt(ctx, scenario, tool, args)
        allowed = [_allowed_at(scenario, a.at, wall, mono) for a in attempts]
        shortfalls = [at - b.at for at, b in zip(allowed, attempts[1:], strict=False) if at is not None]
        seen = Observed(
            attempts=len(attempts),
            gaps=[b.at - a.at for a, b in zip(attempts, attempts[1:], strict=False)],
            asked=allowed[0] - attempts[0].at if attempts and allowed[0] is not None else None,
            shortfall=max(shortfalls, default=0.0),
            created=len(_ids(ctx, target) - before),
            timed_out=call.timed_out,
        )
        found.append((scenario.label, tool, seen.finding()))
        problems = judge(scenario, seen, call, ctx.retry_policy)
        checks.append(
            ctx.check(
                "retries",
                f"{tool} / {scenario.label}",
                "failed" if problems else "passed",
                "; ".join(problems) or seen.finding(),
                tool=tool,
                calls=[call] if problems else [],
                expected="no retried create, no retry before Retry-After, an answer in bounded time"
                + ("" if ctx.retry_policy == "harm-only" else f" (--retry-policy {ctx.retry_policy})"),
            )
        )
    if not checks:
        return [
            ctx.check("retries", "tools", "skipped", "no read or create tool whose arguments could be filled")
        ]
    ctx.findings += _summary(found)
    return checks


def _summary(found: list[tuple[str, str, str]]) -> list[str]:
    """The retry policy in a line when the server treats every scenario alike, else one a scenario."""
    if len({finding for _, _, finding in found}) == 1:
        labels = "; ".join(label for label, _, _ in found)
        return [f"retry policy: {found[0][2]} on every scenario ({labels})"]
    return [f"retry policy: {label} ({tool}): {finding}" for label, tool, finding in found]
