"""Normalise whatever rate-limit information upstream sent into the IETF RateLimit fields.

`normalise(headers, status=..., body_text=...)` returns a `RateLimitInfo` with
`ratelimit = {"limit", "remaining", "reset"}` (reset as delta seconds; a member is None when
unknown; the whole dict is None when nothing was sent) and `retry_after` (seconds or None).

Understood, in order of preference:
- `RateLimit-Limit` / `-Remaining` / `-Reset`, `X-RateLimit-*`, `X-Rate-Limit-*`;
- the combined field `RateLimit: limit=100, remaining=50, reset=30` and its structured form
  `RateLimit: "default";r=50;t=30` with `RateLimit-Policy: "default";q=100;w=60` (or `100;w=60`);
- `Retry-After` as delta seconds or an HTTP date;
- resets given as epoch seconds (or milliseconds) or HTTP dates are converted to delta seconds;
- failing headers, Halo's 429 text "Rate Limit Reached - 300 Requests per rolling 5 minute window"
  (limit 300, remaining 0, reset = the window, an upper bound).

On a 429 with partial information, `remaining` is 0 and a missing `reset` falls back to
`retry_after`. `retry_after` is only set when upstream sent `Retry-After` (never invented).
"""

from __future__ import annotations

import math
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

_FAMILIES = ("ratelimit-", "x-ratelimit-", "x-rate-limit-")
_EPOCH_THRESHOLD = 1_000_000_000  # larger "reset" values are timestamps, not deltas
_HALO_TEXT = re.compile(
    r"Rate\s+Limit\s+Reached\s*-\s*(\d+)\s+Requests?\s+per\s+rolling\s+(\d+)\s+(second|minute|hour)",
    re.IGNORECASE,
)
_UNIT_SECONDS = {"second": 1, "minute": 60, "hour": 3600}
_COMBINED_KEYS = {
    "limit": "limit",
    "l": "limit",
    "q": "limit",
    "remaining": "remaining",
    "r": "remaining",
    "reset": "reset",
    "t": "reset",
}


@dataclass(frozen=True, slots=True)
class RateLimitInfo:
    ratelimit: dict[str, int | None] | None
    retry_after: int | None

    def as_dict(self) -> dict[str, object]:
        return {"ratelimit": self.ratelimit, "retry_after": self.retry_after}


def _number(text: str | None) -> float | None:
    if text is None:
        return None
    text = text.strip().strip('"')
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _seconds_until_date(text: str, now: float) -> int | None:
    try:
        when = parsedate_to_datetime(text.strip())
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0, math.ceil(when.timestamp() - now))


def _delta(text: str | None, now: float) -> int | None:
    """Delta seconds from a reset/retry value: delta seconds, epoch (s or ms) or an HTTP date."""
    if text is None:
        return None
    value = _number(text)
    if value is None:
        return _seconds_until_date(text, now)
    if value >= _EPOCH_THRESHOLD * 1000:
        value = value / 1000 - now
    elif value >= _EPOCH_THRESHOLD:
        value = value - now
    return max(0, math.ceil(value))


def _count(text: str | None) -> int | None:
    value = _number(text)
    return None if value is None else max(0, int(value))


def _parse_params(text: str) -> dict[str, str]:
    """`limit=100, remaining=5` or `"default";r=5;t=30` -> {"limit": "100", ...}; a bare leading
    number (`100;w=60` in a policy) is returned under `_`."""
    out: dict[str, str] = {}
    for index, part in enumerate(p.strip() for p in re.split(r"[,;]", text)):
        if "=" in part:
            key, value = part.split("=", 1)
            out.setdefault(key.strip().lower(), value.strip().strip('"'))
        elif index == 0 and _number(part) is not None:
            out["_"] = part
    return out


def normalise(
    headers: Mapping[str, str],
    *,
    status: int | None = None,
    body_text: str | None = None,
    now: float | None = None,
) -> RateLimitInfo:
    now = time.time() if now is None else now
    headers = {key.lower(): value for key, value in headers.items()}
    limit = remaining = reset = None

    for prefix in _FAMILIES:
        lim = _count(headers.get(prefix + "limit"))
        rem = _count(headers.get(prefix + "remaining"))
        res = _delta(headers.get(prefix + "reset"), now)
        if lim is not None or rem is not None or res is not None:
            limit = limit if limit is not None else lim
            remaining = remaining if remaining is not None else rem
            reset = reset if reset is not None else res

    combined = headers.get("ratelimit")
    if combined:
        params = _parse_params(combined)
        values = {_COMBINED_KEYS[k]: v for k, v in params.items() if k in _COMBINED_KEYS}
        if limit is None:
            limit = _count(values.get("limit"))
        if remaining is None:
            remaining = _count(values.get("remaining"))
        if reset is None:
            reset = _delta(values.get("reset"), now)

    policy = headers.get("ratelimit-policy")
    if policy and limit is None:
        params = _parse_params(policy)
        limit = _count(params.get("q") or params.get("_"))

    retry_after = _delta(headers.get("retry-after"), now)

    if limit is None and remaining is None and reset is None and body_text:
        match = _HALO_TEXT.search(body_text)
        if match:
            limit = int(match.group(1))
            remaining = 0
            reset = int(match.group(2)) * _UNIT_SECONDS[match.group(3).lower()]
            if retry_after is not None:
                reset = min(reset, retry_after)

    if status == 429 and (
        limit is not None or remaining is not None or reset is not None or retry_after is not None
    ):
        remaining = 0 if remaining is None else remaining
        reset = retry_after if reset is None else reset

    if limit is None and remaining is None and reset is None:
        return RateLimitInfo(ratelimit=None, retry_after=retry_after)
    return RateLimitInfo(
        ratelimit={"limit": limit, "remaining": remaining, "reset": reset}, retry_after=retry_after
    )
