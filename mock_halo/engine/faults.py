"""The fault plane of one tenant: scripted fault rules and the rolling-window rate limiter.
No web imports; `.app` applies what `FaultPlane.match` and `RateLimiter.hit` decide.

A fault rule matches a request by method, a path pattern (shell-style glob, case-insensitive,
e.g. ``/api/tickets*``) and optionally the MCP tool name the server sends in ``X-Sandbox-Tool``.
It answers with a status/headers/body, adds latency, or drops the connection; it fires ``times``
times (``None`` = until removed) after letting ``after`` matching requests through.
"""

from __future__ import annotations

import fnmatch
import json
import math
import re
import threading
from collections import deque
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from halo_sandbox.mock.config import RateLimit
from halo_sandbox.mock.engine.clock import SandboxClock
from halo_sandbox.mock.exceptions import NotFound, RateLimited

_METHODS = {"*", "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}


class FaultSpec(BaseModel):
    """What a user scripts (``POST /_sandbox/faults`` body, or `FaultPlane.add`)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    method: str = Field(default="*", description="HTTP method to match, or '*'.")
    path: str = Field(
        default="/api/*", min_length=1, description="Glob over the request path, case-insensitive."
    )
    tool: str | None = Field(
        default=None, description="Match only requests whose X-Sandbox-Tool header is this."
    )
    status: int | None = Field(default=None, ge=100, le=599, description="Answer with this status.")
    headers: dict[str, str] = Field(default_factory=dict)
    body: Any = Field(default=None, description="JSON body to answer with (a string is sent as text).")
    latency_ms: int = Field(
        default=0, ge=0, le=120_000, description="Delay before answering / passing through."
    )
    drop: bool = Field(default=False, description="Close the connection without any response.")
    times: int | None = Field(
        default=None, ge=1, description="Fire this many times, then retire; None = forever."
    )
    after: int = Field(default=0, ge=0, description="Let this many matching requests through first.")

    @model_validator(mode="after")
    def _check(self) -> FaultSpec:
        _check_servable(self)
        self.method = self.method.upper()
        if self.method not in _METHODS:
            raise ValueError(f"method must be one of {', '.join(sorted(_METHODS))}")
        if not self.path.startswith("/") and not self.path.startswith("*"):
            raise ValueError("path must be a pattern starting with '/' (or '*')")
        if self.drop and (self.status is not None or self.body is not None or self.headers):
            raise ValueError("a dropping rule cannot also answer with status, headers or body")
        if not self.drop and self.status is None and self.latency_ms == 0:
            raise ValueError("a rule must do something: give status, latency_ms or drop")
        if self.status is None and (self.body is not None or self.headers):
            raise ValueError("headers and body need a status")
        return self


_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_FORBIDDEN_HEADERS = {"content-length", "transfer-encoding", "connection", "content-encoding"}
MAX_FAULT_BODY_BYTES = 256 * 1024
MAX_FAULT_BODY_DEPTH = 32


def _depth(value: Any) -> int:
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            if depth > MAX_FAULT_BODY_DEPTH:
                break
            stack.extend((v, depth + 1) for v in (item.values() if isinstance(item, dict) else item))
    return deepest


def _check_servable(spec: FaultSpec) -> None:
    """Refuse a rule that could not be served or shown: header names that are not HTTP tokens,
    values with control characters or outside latin-1, framing headers, a 1xx status, a body that is
    not strict JSON or too large or deep, over-long patterns."""
    if len(spec.path) > 2048 or (spec.tool is not None and len(spec.tool) > 256):
        raise ValueError("path and tool patterns are limited to 2048 and 256 characters")
    if len(spec.headers) > 50:
        raise ValueError("at most 50 headers")
    for name, value in spec.headers.items():
        if not _TOKEN.fullmatch(name):
            raise ValueError(f"header name {name[:64]!r} is not a valid HTTP header name")
        if name.lower() in _FORBIDDEN_HEADERS:
            raise ValueError(f"header {name!r} is set by the server and cannot be scripted")
        if len(value) > 8192 or any(ord(c) < 32 and c != "\t" or ord(c) == 127 for c in value):
            raise ValueError(
                f"header {name!r}: the value must be at most 8192 characters without control characters"
            )
        try:
            value.encode("latin-1")
        except UnicodeEncodeError:
            raise ValueError(
                f"header {name!r}: the value must be latin-1 text (HTTP header values are bytes)"
            ) from None
    if spec.status is not None and spec.status < 200:
        raise ValueError("status must be 200-599 (a 1xx answer cannot end a request)")
    if spec.status in (204, 205, 304) and spec.body is not None:
        raise ValueError(f"a {spec.status} answer has no body")
    if spec.body is not None:
        if _depth(spec.body) > MAX_FAULT_BODY_DEPTH:
            raise ValueError(f"body: nested deeper than {MAX_FAULT_BODY_DEPTH} levels")
        try:
            size = len(json.dumps(spec.body, allow_nan=False, ensure_ascii=False).encode("utf-8"))
        except (ValueError, UnicodeError) as exc:
            raise ValueError(f"body: not sendable as JSON ({str(exc)[:100]})") from None
        if size > MAX_FAULT_BODY_BYTES:
            raise ValueError(f"body: at most {MAX_FAULT_BODY_BYTES} bytes")


class FaultRule(FaultSpec):
    """A scripted rule with its id and counters."""

    model_config = ConfigDict(extra="forbid")

    id: int
    seen: int = 0
    """Matching requests so far."""
    fired: int = 0

    @property
    def exhausted(self) -> bool:
        return self.times is not None and self.fired >= self.times

    def matches(self, *, method: str, path: str, tool: str | None) -> bool:
        if self.method != "*" and self.method != method.upper():
            return False
        if self.tool is not None and self.tool != tool:
            return False
        return fnmatch.fnmatchcase(path.lower(), self.path.lower())


class FaultPlane:
    """Ordered fault rules of one tenant; the first live matching rule wins."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []
        self._next_id = 1

    def add(self, spec: FaultSpec | dict[str, Any] | None = None, **options: Any) -> FaultRule:
        """Add a rule from a `FaultSpec`, a dict or keyword options; raises pydantic's
        ``ValidationError`` for a malformed rule (nothing is added)."""
        if spec is None:
            spec = FaultSpec(**options)
        elif isinstance(spec, dict):
            spec = FaultSpec.model_validate(spec)
        with self._lock:
            rule = FaultRule(id=self._next_id, **spec.model_dump())
            self._next_id += 1
            self._rules.append(rule)
            return rule.model_copy()

    def add_many(self, specs: list[FaultSpec]) -> list[FaultRule]:
        """Add several validated rules at once (all or nothing)."""
        return [self.add(spec) for spec in specs]

    def rules(self) -> list[FaultRule]:
        with self._lock:
            return [r.model_copy() for r in self._rules]

    def get(self, rule_id: int) -> FaultRule:
        with self._lock:
            for rule in self._rules:
                if rule.id == rule_id:
                    return rule.model_copy()
        raise NotFound(f"No fault rule with id {rule_id}.")

    def remove(self, rule_id: int) -> FaultRule:
        with self._lock:
            for index, rule in enumerate(self._rules):
                if rule.id == rule_id:
                    return self._rules.pop(index)
        raise NotFound(f"No fault rule with id {rule_id}.")

    def clear(self) -> int:
        with self._lock:
            count = len(self._rules)
            self._rules.clear()
            return count

    def match(self, *, method: str, path: str, tool: str | None = None) -> FaultRule | None:
        """Count the request against every matching live rule and return the rule that fires,
        if any (a copy). Exhausted rules stay listed (with their counters) until removed."""
        with self._lock:
            fired: FaultRule | None = None
            for rule in self._rules:
                if rule.exhausted or not rule.matches(method=method, path=path, tool=tool):
                    continue
                rule.seen += 1
                if fired is None and rule.seen > rule.after:
                    rule.fired += 1
                    fired = rule.model_copy()
            return fired

    def snapshot(self) -> list[dict[str, Any]]:
        return [r.model_dump() for r in self.rules()]

    def restore(self, rules: list[FaultRule]) -> None:
        with self._lock:
            self._rules = [r.model_copy() for r in rules]
            self._next_id = max((r.id for r in rules), default=0) + 1


def rate_limit_message(limit: RateLimit) -> str:
    """Halo's 429 text (source I1 in `FIDELITY.md`), numbers from the configured limit."""
    window = limit.window_seconds
    span = f"{window // 60} minute" if window % 60 == 0 else f"{window} second"
    return f"Rate Limit Reached - {limit.limit} Requests per rolling {span} window"


class RateLimiter:
    """A rolling-window limiter keyed by OAuth client id, on the tenant's sandbox clock (advancing
    the clock ages the window). ``config`` ``None`` = off."""

    def __init__(self, *, clock: SandboxClock, config: RateLimit | None) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._config = config
        self._hits: dict[str, deque[float]] = {}

    @property
    def config(self) -> RateLimit | None:
        return self._config

    def configure(self, config: RateLimit | None) -> None:
        """Change (or switch off with ``None``) the limit; recorded hits are kept."""
        with self._lock:
            self._config = config

    def clear(self) -> None:
        with self._lock:
            self._hits.clear()

    def _window(self, key: str, now: float, config: RateLimit) -> deque[float]:
        hits = self._hits.setdefault(key, deque())
        while hits and hits[0] <= now - config.window_seconds:
            hits.popleft()
        return hits

    def hit(self, key: str) -> dict[str, str]:
        """Count one request of ``key``; return the rate-limit headers to send, or raise
        `RateLimited` (the refused request is not counted)."""
        with self._lock:
            config = self._config
            if config is None:
                return {}
            now = self._clock.timestamp()
            hits = self._window(key, now, config)
            if len(hits) >= config.limit:
                reset = max(1, math.ceil(hits[0] + config.window_seconds - now))
                headers = _headers(config, remaining=0, reset=reset)
                headers["Retry-After"] = str(reset)
                raise RateLimited(rate_limit_message(config), headers=headers)
            hits.append(now)
            reset = max(1, math.ceil(hits[0] + config.window_seconds - now))
            return _headers(config, remaining=config.limit - len(hits), reset=reset)

    def state(self) -> dict[str, Any]:
        with self._lock:
            config = self._config
            body: dict[str, Any] = {
                "enabled": config is not None,
                "limit": config.limit if config else None,
                "window_seconds": config.window_seconds if config else None,
                "message": rate_limit_message(config) if config else None,
                "clients": {},
            }
            if config is not None:
                now = self._clock.timestamp()
                for key in list(self._hits):
                    hits = self._window(key, now, config)
                    body["clients"][key] = {"used": len(hits), "remaining": max(0, config.limit - len(hits))}
            return body


def _headers(config: RateLimit, *, remaining: int, reset: int) -> dict[str, str]:
    return {
        "X-RateLimit-Limit": str(config.limit),
        "X-RateLimit-Remaining": str(remaining),
        "X-RateLimit-Reset": str(reset),
    }
