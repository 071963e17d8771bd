"""`AdminGuard`: the one admin check of the sandbox's own routes (console and provisioning).

A request is the admin's when it carries the admin key (``X-Admin-Key`` or ``Authorization:
Bearer``) or the cookie of a console session. Sessions are random ids kept in memory (never derived
from the key), expire after `SESSION_IDLE_SECONDS` without use, are capped at `MAX_CONSOLE_SESSIONS` (the
oldest goes first) and end at logout (`revoke`) or when the process stops. A state-changing request
authenticated by the cookie must also come from the sandbox's own pages: its ``Origin`` (when sent)
is the request's own origin, its ``Sec-Fetch-Site`` (when sent) is ``same-origin`` or ``none``, and
it carries the session's CSRF token (form field ``csrf`` or header ``X-CSRF-Token``). Key-bearing
requests need neither: a page on another site cannot send custom headers without a CORS preflight,
which the sandbox never grants.

Refusals raise `NotAuthorised` (401) or `CrossSiteRefused` (403) of `halo_sandbox.admin_errors`.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from urllib.parse import urlsplit

from starlette.requests import Request

from halo_sandbox.admin_errors import CrossSiteRefused, NotAuthorised
from halo_sandbox.protocol import ADMIN_KEY_HEADER

__all__ = ["COOKIE", "CSRF_FIELD", "CSRF_HEADER", "AdminGuard", "Session"]

COOKIE = "halo_sandbox_console"
CSRF_FIELD = "csrf"
CSRF_HEADER = "X-CSRF-Token"
SESSION_IDLE_SECONDS = 12 * 3600
MAX_CONSOLE_SESSIONS = 64
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_FORM_BYTES = 512 * 1024 * 1024
"""Largest multipart part a guarded form may carry (a snapshot upload)."""


@dataclass(frozen=True, kw_only=True)
class Session:
    id: str
    csrf: str


def _bearer(request: Request) -> str | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return value.strip() or None if scheme.lower() == "bearer" else None


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if origin is not None:
        parts = urlsplit(origin)
        if origin == "null" or parts.netloc.lower() != request.headers.get("host", "").lower():
            return False
    site = request.headers.get("sec-fetch-site")
    return site is None or site in ("same-origin", "none")


class AdminGuard:
    """Key, Bearer or session cookie (+ CSRF token and same origin for changes). ``key`` ``None``
    means no admin key is configured: every request is the admin's."""

    def __init__(
        self,
        key: str | None,
        *,
        idle_seconds: float = SESSION_IDLE_SECONDS,
        max_sessions: int = MAX_CONSOLE_SESSIONS,
    ) -> None:
        self._key = key.encode() if key else None
        self._idle = idle_seconds
        self._max = max_sessions
        self._sessions: OrderedDict[str, tuple[str, float]] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self._key is not None

    # -- sessions
    def login(self, key: str) -> Session:
        """A new session for the right key; `NotAuthorised` otherwise."""
        if not self.key_matches(key):
            raise NotAuthorised("That is not the admin key.")
        session = Session(id=secrets.token_urlsafe(32), csrf=secrets.token_urlsafe(32))
        with self._lock:
            self._sessions[session.id] = (session.csrf, time.monotonic())
            while len(self._sessions) > self._max:
                self._sessions.popitem(last=False)
        return session

    def revoke(self, session_id: str | None) -> None:
        with self._lock:
            self._sessions.pop(session_id or "", None)

    def revoke_all(self) -> int:
        with self._lock:
            count = len(self._sessions)
            self._sessions.clear()
            return count

    def session(self, request: Request) -> Session | None:
        """The live session of the request's cookie (its idle timer restarts), else ``None``."""
        sid = request.cookies.get(COOKIE)
        if not sid:
            return None
        now = time.monotonic()
        with self._lock:
            found = self._sessions.get(sid)
            if found is None:
                return None
            csrf, seen = found
            if now - seen > self._idle:
                del self._sessions[sid]
                return None
            self._sessions[sid] = (csrf, now)
            self._sessions.move_to_end(sid)
        return Session(id=sid, csrf=csrf)

    # -- checks
    def key_matches(self, given: str | None) -> bool:
        return self._key is None or (bool(given) and hmac.compare_digest(str(given).encode(), self._key))

    def has_key(self, request: Request) -> bool:
        given = request.headers.get(ADMIN_KEY_HEADER) or _bearer(request)
        return self._key is not None and given is not None and self.key_matches(given)

    async def check(self, request: Request) -> Session | None:
        """Pass the admin's requests (returning their session, if cookie-authenticated); raise
        `NotAuthorised` or `CrossSiteRefused` for the rest."""
        if self._key is None or self.has_key(request):
            if self._key is None and request.method not in _SAFE_METHODS and not _same_origin(request):
                raise CrossSiteRefused("Cross-site requests cannot change the sandbox.")
            return self.session(request) if self._key is not None else None
        session = self.session(request)
        if session is None:
            if request.headers.get(ADMIN_KEY_HEADER) or _bearer(request):
                raise NotAuthorised(
                    "That admin key is wrong: it is not the key this sandbox was started with (its "
                    "start banner shows it; `up` keeps it in its state directory's admin-key file)."
                )
            raise NotAuthorised(
                "The sandbox's admin routes need the admin key (X-Admin-Key or Authorization: "
                "Bearer) or a console session."
            )
        if request.method not in _SAFE_METHODS:
            if not _same_origin(request):
                raise CrossSiteRefused("Cross-site requests cannot change the sandbox.")
            if not hmac.compare_digest((await _csrf_token(request)).encode(), session.csrf.encode()):
                raise CrossSiteRefused(
                    "The request lacks the console's CSRF token; reload the page and retry."
                )
        return session


async def _csrf_token(request: Request) -> str:
    token = request.headers.get(CSRF_HEADER)
    if token:
        return token
    ctype = request.headers.get("content-type", "")
    if ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        form = await request.form(max_part_size=MAX_FORM_BYTES)  # cached: the handler reads the same form
        value = form.get(CSRF_FIELD)
        return value if isinstance(value, str) else ""
    return ""
