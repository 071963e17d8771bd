"""The rate-limit normaliser: every header variant and Halo's 429 text."""

from datetime import UTC, datetime
from email.utils import format_datetime

import pytest

from halo_sandbox.server.ratelimit import normalise

NOW = 1_800_000_000.0


def rl(limit, remaining, reset):
    return {"limit": limit, "remaining": remaining, "reset": reset}


@pytest.mark.parametrize("prefix", ["RateLimit-", "X-RateLimit-", "X-Rate-Limit-", "x-ratelimit-"])
def test_separate_header_families(prefix):
    info = normalise({f"{prefix}Limit": "300", f"{prefix}Remaining": "12", f"{prefix}Reset": "42"}, now=NOW)
    assert info.ratelimit == rl(300, 12, 42)
    assert info.retry_after is None


def test_epoch_reset_becomes_delta_seconds():
    assert normalise(
        {"X-RateLimit-Limit": "100", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": str(int(NOW) + 30)},
        now=NOW,
    ).ratelimit == rl(100, 0, 30)
    assert normalise({"X-RateLimit-Reset": str(int(NOW * 1000) + 9000)}, now=NOW).ratelimit["reset"] == 9
    assert normalise({"X-RateLimit-Reset": str(int(NOW) - 100)}, now=NOW).ratelimit["reset"] == 0


def test_combined_ratelimit_field():
    info = normalise({"RateLimit": "limit=100, remaining=50, reset=30"}, now=NOW)
    assert info.ratelimit == rl(100, 50, 30)


def test_structured_ratelimit_with_policy():
    info = normalise(
        {"RateLimit": '"default";r=50;t=30', "RateLimit-Policy": '"default";q=100;w=60'}, now=NOW
    )
    assert info.ratelimit == rl(100, 50, 30)
    info = normalise(
        {"RateLimit-Remaining": "7", "RateLimit-Reset": "5", "RateLimit-Policy": "100;w=60"}, now=NOW
    )
    assert info.ratelimit == rl(100, 7, 5)


def test_retry_after_seconds_and_http_date():
    assert normalise({"Retry-After": "42"}, status=429, now=NOW).retry_after == 42
    date = format_datetime(datetime.fromtimestamp(NOW + 120, UTC), usegmt=True)
    info = normalise({"Retry-After": date}, status=429, now=NOW)
    assert info.retry_after == 120
    assert info.ratelimit == rl(None, 0, 120)  # a 429 means nothing remains until retry


def test_retry_after_alone_on_success_is_not_a_ratelimit():
    info = normalise({"Retry-After": "5"}, status=503, now=NOW)
    assert info.ratelimit is None and info.retry_after == 5


def test_halo_429_text_when_no_headers():
    text = '{"message": "Rate Limit Reached - 300 Requests per rolling 5 minute window"}'
    info = normalise({}, status=429, body_text=text, now=NOW)
    assert info.ratelimit == rl(300, 0, 300)
    assert info.retry_after is None
    with_retry = normalise({"Retry-After": "42"}, status=429, body_text=text, now=NOW)
    assert with_retry.ratelimit == rl(300, 0, 42) and with_retry.retry_after == 42


def test_headers_win_over_text():
    text = "Rate Limit Reached - 300 Requests per rolling 5 minute window"
    info = normalise(
        {"X-RateLimit-Limit": "700", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "9"},
        status=429,
        body_text=text,
        now=NOW,
    )
    assert info.ratelimit == rl(700, 0, 9)


def test_nothing_sent_gives_nulls():
    info = normalise({"Content-Type": "application/json"}, status=500, body_text="boom", now=NOW)
    assert info.ratelimit is None and info.retry_after is None


def test_garbage_values_are_ignored():
    info = normalise({"X-RateLimit-Limit": "lots", "Retry-After": "soon"}, status=429, now=NOW)
    assert info.ratelimit is None and info.retry_after is None
