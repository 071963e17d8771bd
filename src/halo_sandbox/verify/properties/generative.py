"""Hypothesis-driven scenarios for the properties: `explore` draws examples from a strategy, runs
each as a coroutine on the run's event loop (tool calls, fault rules, store reads), and when one
fails lets hypothesis shrink it, keeping the minimal failing example with its calls and upstream
exchanges.

The examples follow from the run's seed (``hypothesis.seed``; no example database), so the same
``--seed`` replays the same scenarios; ``--examples`` bounds the generated ones per scenario."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any

import anyio
import anyio.from_thread
import anyio.to_thread

from halo_sandbox.verify.probe import CallRecord

__all__ = ["Exploration", "Failure", "explore"]


@dataclass(kw_only=True, eq=False)
class Failure(AssertionError):
    """A scenario that broke a property: what went wrong, the calls behind it, what was expected."""

    detail: str
    calls: list[CallRecord] = field(default_factory=list)
    expected: str = ""
    example: str = ""
    """The (shrunk) example, as the scenario describes it."""

    def __post_init__(self) -> None:
        super().__init__(self.detail)


@dataclass(kw_only=True)
class Exploration:
    failure: Failure | None = None
    examples: int = 0
    """Examples run (explicit, generated and shrinking)."""
    stopped: str | None = None
    """Why generation stopped without a verdict (hypothesis refusing the strategy), if it did."""

    def unsettled(
        self, ctx: Any, prop: str, tool: str, *, prefix: str = "", calls_before: Sequence[CallRecord] = ()
    ) -> Any:
        """The check for a failure (``prefix`` before its detail, ``calls_before`` before its calls) or
        for a stopped generation; None when the exploration passed."""
        if self.failure is not None:
            return ctx.check(
                prop,
                tool,
                "failed",
                prefix + self.failure.detail,
                tool=tool,
                calls=[*calls_before, *self.failure.calls],
                expected=self.failure.expected,
                example=self.failure.example,
            )
        if self.stopped:
            return ctx.check(prop, tool, "skipped", self.stopped, tool=tool)
        return None


def explore(
    ctx: Any,
    strategy: Any,
    scenario: Callable[[Any], Coroutine[Any, Any, Failure | None]],
    *,
    describe: Callable[[Any], str] = repr,
    examples: int | None = None,
    explicit: Sequence[Any] = (),
) -> Awaitable[Exploration]:
    """Run ``scenario`` over examples of ``strategy`` (``explicit`` ones first, then ``examples``
    generated ones, default ``ctx.examples``); a scenario returns a `Failure` or None."""
    return _explore(ctx, strategy, scenario, describe, examples or ctx.examples, explicit)


def _exchange(calls: Sequence[CallRecord]) -> str:
    """The upstream exchange behind a failure: the first API request Halo refused (or dropped), with
    the start of both bodies, else the last API request."""
    exchanges = [e for call in calls for e in call.exchanges if e.path.lower().startswith("/api/")]
    if not exchanges:
        return ""
    chosen = next((e for e in exchanges if e.status is None or e.status >= 400), exchanges[-1])
    text = f"; upstream exchange: {chosen.line()}"
    if chosen.request_body:
        text += f", request body {chosen.request_body[:200].decode('utf-8', 'replace')!r}"
    if chosen.response_body:
        text += f", response body {chosen.response_body[:300].decode('utf-8', 'replace')!r}"
    return text


async def _explore(
    ctx: Any,
    strategy: Any,
    scenario: Callable[[Any], Coroutine[Any, Any, Failure | None]],
    describe: Callable[[Any], str],
    examples: int,
    explicit: Sequence[Any],
) -> Exploration:
    from hypothesis import HealthCheck, Phase, given, seed, settings
    from hypothesis import example as explicit_example

    outcome = Exploration()
    last: list[Failure] = []

    def run(value: Any) -> None:
        outcome.examples += 1
        failure: Failure | None = anyio.from_thread.run(scenario, value)
        if failure is not None:
            failure.example = describe(value) + _exchange(failure.calls)
            last.append(failure)
            raise failure

    test = given(strategy)(run)
    for value in reversed(explicit):
        test = explicit_example(value)(test)
    test = settings(
        max_examples=examples,
        database=None,
        deadline=None,
        derandomize=False,
        report_multiple_bugs=False,
        print_blob=False,
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        suppress_health_check=list(HealthCheck),
    )(seed(ctx.seed)(test))
    try:
        await anyio.to_thread.run_sync(test)
    except Failure:
        outcome.failure = last[-1]  # hypothesis replays the shrunk example last
    except Exception as exc:  # noqa: BLE001 - e.g. hypothesis refusing a strategy: no verdict
        if last:
            outcome.failure = last[-1]
        else:
            outcome.stopped = f"{type(exc).__name__}: {exc}"
    return outcome
