"""OAuth for one tenant: registered clients, the agent login, token issue/refresh/expiry on the
tenant's sandbox clock, and scope checks. No web imports: `.app` turns the form into
keyword arguments and the raised `OAuthError`/`Unauthorized` into HTTP.

Scopes are Halo's (source H1 in `FIDELITY.md`: the HaloAPI PowerShell module's ``HaloAuth.psm1``). ``all``
covers everything,
``all:standard`` everything except ``admin``; ``edit:<area>`` also covers ``read:<area>`` (inferred).

Not implemented: the ``authorization_code`` + PKCE grant and ``/auth/authorize`` (see `FIDELITY.md`, OAuth)
answer ``unsupported_grant_type``; no ``id_token`` is issued. Refresh tokens do not expire on their
own; they rotate on use and `AuthStore.expire` can revoke them.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from halo_sandbox.mock.engine.clock import SandboxClock
from halo_sandbox.mock.exceptions import Forbidden, HaloError, OAuthError, Unauthorized

#: Every scope name Halo's token endpoint accepts (sources H1 and M2 in `FIDELITY.md`).
VALID_SCOPES: frozenset[str] = frozenset(
    """
    all all:standard admin read:tickets edit:tickets read:calendar edit:calendar read:customers
    edit:customers read:crm edit:crm editMine:timesheets read:timesheets edit:timesheets read:contracts
    edit:contracts read:suppliers edit:suppliers read:items edit:items read:projects edit:projects
    read:sales edit:sales read:quotes edit:quotes read:sos edit:sos read:pos edit:pos read:invoices
    edit:invoices read:reporting edit:reporting read:software edit:software read:softwarelicensing
    edit:softwarelicensing read:kb edit:kb read:assets edit:assets access:chat access:adpasswordreset
""".split()
)

GRANT_TYPES = ("client_credentials", "password", "refresh_token")
"""Supported grants (``authorization_code`` is not implemented)."""


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header value, else ``None``."""
    scheme, _, token = (authorization or "").partition(" ")
    return (token.strip() or None) if scheme.lower() == "bearer" else None


def parse_scopes(text: str | None) -> frozenset[str]:
    """Split a space-separated scope string; raises ``invalid_scope`` naming unknown scopes."""
    scopes = frozenset((text or "").split())
    unknown = sorted(scopes - VALID_SCOPES)
    if unknown:
        raise OAuthError("invalid_scope", f"Unknown scope(s): {', '.join(unknown)}.")
    return scopes


def covers(scopes: frozenset[str], needed: str) -> bool:
    """Whether a token holding ``scopes`` may do what ``needed`` names."""
    if "all" in scopes or needed in scopes:
        return True
    if needed != "admin" and "all:standard" in scopes:
        return True
    kind, _, area = needed.partition(":")
    return kind == "read" and f"edit:{area}" in scopes


def check_scope(scopes: frozenset[str], *, needed: str) -> None:
    """Raise `Forbidden` unless ``scopes`` cover ``needed`` (e.g. ``"read:tickets"``)."""
    if needed not in VALID_SCOPES:
        raise HaloError(f"internal: unknown scope name {needed!r} asked for")
    if not covers(scopes, needed):
        raise Forbidden(
            f"The API application's token does not have the '{needed}' permission "
            f"(granted: {' '.join(sorted(scopes)) or 'none'})."
        )


@dataclass(frozen=True, kw_only=True)
class OAuthClient:
    client_id: str
    client_secret: str
    scopes: frozenset[str] = frozenset({"all"})
    """The most a token of this client may hold; requests default to all of it."""


@dataclass(kw_only=True)
class Token:
    """An issued access token. ``scopes``/``client_id`` are what routes read from ``request.state.token``."""

    access_token: str
    client_id: str
    tenant: str
    scopes: frozenset[str]
    expires_at: datetime
    username: str | None = None
    refresh_token: str | None = None

    def public(self) -> dict[str, object]:
        return {
            "client_id": self.client_id,
            "scope": " ".join(sorted(self.scopes)),
            "username": self.username,
            "expires_at": self.expires_at.strftime("%Y-%m-%dT%H:%M:%S"),
            "access_token_prefix": self.access_token[:6],
        }


@dataclass(kw_only=True)
class _Grant:
    """What a refresh token stands for."""

    client_id: str
    scopes: frozenset[str]
    username: str | None


@dataclass(kw_only=True)
class AuthStore:
    """The OAuth state of one tenant. Thread-safe; every method raises rather than returning ``None``."""

    tenant: str
    clock: SandboxClock
    token_lifetime_seconds: int = 3600
    clients: dict[str, OAuthClient] = field(default_factory=dict)
    users: dict[str, str] = field(default_factory=dict)
    """Agent logins for the password grant: username → password."""
    _tokens: dict[str, Token] = field(default_factory=dict, repr=False)
    _refresh: dict[str, _Grant] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def register_client(self, client: OAuthClient) -> None:
        with self._lock:
            self.clients[client.client_id] = client

    def replace_client(self, *, old: str, new: OAuthClient) -> int:
        """Put ``new`` in place of the client ``old`` (the tenant's own credentials): ``old``'s access
        and refresh tokens stop working at once. Returns how many live access tokens were revoked."""
        revoked = self.expire(client_id=old, refresh_tokens=True)
        with self._lock:
            self.clients.pop(old, None)
            self.clients[new.client_id] = new
        return revoked

    def add_user(self, *, username: str, password: str) -> None:
        with self._lock:
            self.users[username] = password

    # -- token endpoint -------------------------------------------------------------------------
    def issue(
        self,
        *,
        grant_type: str | None,
        client_id: str | None = None,
        client_secret: str | None = None,
        username: str | None = None,
        password: str | None = None,
        refresh_token: str | None = None,
        scope: str | None = None,
    ) -> dict[str, object]:
        """Run one token request; return the token response body or raise `OAuthError`."""
        if not grant_type:
            raise OAuthError("invalid_request", "The grant_type parameter is required.")
        if grant_type not in GRANT_TYPES:
            raise OAuthError(
                "unsupported_grant_type",
                f"grant_type {grant_type!r} is not supported; use one of {', '.join(GRANT_TYPES)}.",
            )
        if not client_id:
            raise OAuthError("invalid_request", "The client_id parameter is required.")
        requested = parse_scopes(scope) if scope else None
        client = self._client(client_id)
        if grant_type == "client_credentials":
            if not client_secret:
                raise OAuthError("invalid_request", "The client_secret parameter is required.")
            self._check_secret(client, client_secret)
            return self._grant(client, requested, username=None, with_refresh=False)
        if client_secret:
            self._check_secret(client, client_secret)
        if grant_type == "password":
            if not username or password is None:
                raise OAuthError("invalid_request", "The username and password parameters are required.")
            with self._lock:
                known = self.users.get(username)
            if known is None or not secrets.compare_digest(known, password):
                raise OAuthError("invalid_grant", "The user name or password is incorrect.")
            return self._grant(client, requested, username=username, with_refresh=True)
        if not refresh_token:
            raise OAuthError("invalid_request", "The refresh_token parameter is required.")
        with self._lock:
            grant = self._refresh.get(refresh_token)
            if grant is None or grant.client_id != client.client_id:
                raise OAuthError(
                    "invalid_grant",
                    "The refresh token is invalid, expired or was issued to another client or tenant.",
                )
            del self._refresh[refresh_token]
        if requested is not None and not requested <= grant.scopes:
            raise OAuthError(
                "invalid_scope", "A refreshed token cannot hold scopes the original grant did not."
            )
        scopes = requested if requested is not None else grant.scopes
        return self._grant(client, scopes, username=grant.username, with_refresh=True)

    def _client(self, client_id: str) -> OAuthClient:
        with self._lock:
            client = self.clients.get(client_id)
        if client is None:
            raise OAuthError("invalid_client", "Unknown client_id or wrong client_secret.", status_code=401)
        return client

    @staticmethod
    def _check_secret(client: OAuthClient, secret: str) -> None:
        if not secrets.compare_digest(client.client_secret.encode(), secret.encode()):
            raise OAuthError("invalid_client", "Unknown client_id or wrong client_secret.", status_code=401)

    def _grant(
        self,
        client: OAuthClient,
        requested: frozenset[str] | None,
        *,
        username: str | None,
        with_refresh: bool,
    ) -> dict[str, object]:
        scopes = client.scopes if requested is None or not requested else requested
        if not all(covers(client.scopes, s) for s in scopes):
            raise OAuthError(
                "invalid_scope",
                f"Client {client.client_id!r} may not request scope(s) "
                f"{' '.join(sorted(s for s in scopes if not covers(client.scopes, s)))}.",
            )
        token = Token(
            access_token=secrets.token_urlsafe(32),
            client_id=client.client_id,
            tenant=self.tenant,
            scopes=scopes,
            username=username,
            expires_at=self.clock.now() + timedelta(seconds=self.token_lifetime_seconds),
        )
        body: dict[str, object] = {
            "access_token": token.access_token,
            "token_type": "Bearer",
            "expires_in": self.token_lifetime_seconds,
            "scope": " ".join(sorted(scopes)),
        }
        with self._lock:
            self._purge_expired()
            if with_refresh:
                token.refresh_token = secrets.token_urlsafe(32)
                self._refresh[token.refresh_token] = _Grant(
                    client_id=client.client_id, scopes=scopes, username=username
                )
                body["refresh_token"] = token.refresh_token
            self._tokens[token.access_token] = token
        return body

    def _purge_expired(self) -> None:
        # Caller holds the lock. Keep expired tokens for a day so they answer "expired", not "unknown".
        horizon = self.clock.now() - timedelta(days=1)
        for key in [k for k, t in self._tokens.items() if t.expires_at < horizon]:
            del self._tokens[key]

    # -- API calls ------------------------------------------------------------------------------
    def knows(self, access_token: str) -> bool:
        with self._lock:
            return access_token in self._tokens

    def authenticate(self, access_token: str) -> Token:
        """The live token for ``access_token``; `Unauthorized` when unknown here or expired."""
        with self._lock:
            token = self._tokens.get(access_token)
        if token is None:
            raise Unauthorized("Authorization has been denied for this request.")
        if token.expires_at <= self.clock.now():
            raise Unauthorized(
                "Authorization has been denied for this request. The access token has expired."
            )
        return token

    def expire(self, *, client_id: str | None = None, refresh_tokens: bool = False) -> int:
        """Expire every live access token (of ``client_id`` if given) now; optionally revoke refresh
        tokens too. Returns how many access tokens were expired."""
        now = self.clock.now()
        count = 0
        with self._lock:
            for token in self._tokens.values():
                if (client_id is None or token.client_id == client_id) and token.expires_at > now:
                    token.expires_at = now
                    count += 1
            if refresh_tokens:
                for key in [
                    k for k, g in self._refresh.items() if client_id is None or g.client_id == client_id
                ]:
                    del self._refresh[key]
        return count

    def live_tokens(self) -> list[Token]:
        now = self.clock.now()
        with self._lock:
            return [t for t in self._tokens.values() if t.expires_at > now]
