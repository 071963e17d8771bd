"""The retries property's judgement under each --retry-policy, from what a server was seen doing
(attempts, the time between them, Retry-After): the rules README's "Retry policy" states."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from halo_sandbox.verify.properties.retries import Observed, RetryScenario, judge

READ_429 = RetryScenario(label="429, Retry-After 1", status=429, retry_after="1")
READ_404 = RetryScenario(label="404", status=404)
CREATE_502 = RetryScenario(label="create under 502", write=True, status=502)
CREATE_DROP = RetryScenario(label="create under a dropped connection", write=True)


def error_call(text: str = "Halo answered 429: slow down") -> SimpleNamespace:
    return SimpleNamespace(ok=False, text=lambda: text)


def seen(attempts: int, gap: float = 1.0, *, asked: float | None = None, timed_out: bool = False) -> Observed:
    shortfall = max(0.0, asked - gap) if asked is not None and attempts > 1 else 0.0
    return Observed(
        attempts=attempts, gaps=[gap] * (attempts - 1), asked=asked, shortfall=shortfall, timed_out=timed_out
    )


def test_passing_through_once_holds_under_every_policy():
    for policy in ("harm-only", "bounded", "pass-through"):
        assert judge(READ_429, seen(1, asked=1.0), error_call(), policy) == []


def test_bounded_retries_honouring_retry_after_hold_by_default_and_fail_pass_through():
    polite = seen(3, gap=1.05, asked=1.0)
    assert "honouring Retry-After" in polite.finding()
    assert judge(READ_429, polite, error_call(), "harm-only") == []
    assert judge(READ_429, polite, error_call(), "bounded") == []
    assert judge(READ_429, polite, error_call(), "pass-through") != []


def test_a_retry_before_retry_after_fails_even_the_lenient_policy():
    eager = seen(4, gap=0.05, asked=1.0)
    assert "ignoring Retry-After" in eager.finding()
    assert any("ignores Retry-After" in p for p in judge(READ_429, eager, error_call(), "harm-only"))


def test_a_wait_without_end_fails():
    stuck = seen(1, asked=3600.0, timed_out=True)
    assert stuck.finding().startswith("unbounded")
    assert any("waits without end" in p for p in judge(READ_429, stuck, error_call(), "harm-only"))
    storm = seen(11, gap=0.0)
    assert any(
        "waits without end" in p
        for p in judge(RetryScenario(label="500", status=500), storm, error_call("500"), "harm-only")
    )


@pytest.mark.parametrize("scenario", [CREATE_502, CREATE_DROP])
def test_a_retried_create_fails_by_default(scenario):
    problems = judge(scenario, seen(2, gap=0.1), error_call("Halo answered 502"), "harm-only")
    assert any("a create was sent 2 times" in p for p in problems)


def test_a_status_lost_after_retrying_fails():
    problems = judge(READ_429, seen(2, gap=1.1, asked=1.0), error_call("Halo is busy"), "harm-only")
    assert problems == ["after retrying, the error lost Halo's status 429"]


def test_bounded_fails_more_than_three_retries_and_retried_4xx():
    many = seen(5, gap=1.0)
    five_hundred = RetryScenario(label="500", status=500)
    assert judge(five_hundred, many, error_call("500"), "harm-only") == []
    assert any("more than 3" in p for p in judge(five_hundred, many, error_call("500"), "bounded"))
    assert judge(READ_404, seen(2), error_call("404"), "harm-only") == []
    assert any(
        "which no retry can change" in p for p in judge(READ_404, seen(2), error_call("404"), "bounded")
    )
