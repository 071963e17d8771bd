"""`MockSettings`: the typed options of one mock Halo instance (every tenant it serves shares them).

Defaults are the credentials and limits the README promises. The mock reads no environment variable
and is usable alone (``create_app(MockSettings(...))``); for `up` and `mock` the root derives these
from the command's one `halo_sandbox.settings.Settings` (`halo_sandbox.sandbox.mock_config`). Every
check of these options is here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_CLIENT_ID = "halo-sandbox"
DEFAULT_CLIENT_SECRET = "halo-sandbox-secret"
DEFAULT_AGENT_USERNAME = "agent@sandbox.local"
DEFAULT_AGENT_PASSWORD = "sandbox"
DEFAULT_TENANT = "sandbox"

_RATE_RE = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*(s|m|min)?\s*$", re.IGNORECASE)


@dataclass(frozen=True, kw_only=True)
class RateLimit:
    """A rolling window: at most ``limit`` requests per ``window_seconds`` per OAuth client."""

    limit: int = 300
    window_seconds: int = 300

    def __post_init__(self) -> None:
        if not isinstance(self.limit, int) or isinstance(self.limit, bool) or self.limit < 1:
            raise ValueError(f"rate limit must be a positive integer, got {self.limit!r}")
        if (
            not isinstance(self.window_seconds, int)
            or isinstance(self.window_seconds, bool)
            or self.window_seconds < 1
        ):
            raise ValueError(
                f"rate-limit window must be a positive number of seconds, got {self.window_seconds!r}"
            )

    @classmethod
    def parse(cls, text: str) -> RateLimit | None:
        """``"300/300s"``, ``"300/5m"`` or ``"off"`` (``None``: no limit). Raises ``ValueError``."""
        if text.strip().lower() in {"off", "none", "0", "false", "disabled"}:
            return None
        match = _RATE_RE.match(text)
        if not match:
            raise ValueError(f"rate limit must look like '300/300s', '300/5m' or 'off', got {text!r}")
        limit, window, unit = int(match[1]), int(match[2]), (match[3] or "s").lower()
        return cls(limit=limit, window_seconds=window * (60 if unit in {"m", "min"} else 1))

    def __str__(self) -> str:
        return f"{self.limit}/{self.window_seconds}s"


@dataclass(frozen=True, kw_only=True)
class MockSettings:
    """Options of a mock instance. Immutable; vary with `dataclasses.replace`. Invalid values raise
    `ValueError` naming the field."""

    seed: int = 0
    tickets: int | None = None
    """Number of generated tickets; ``None`` = the default hand-written world."""
    rate_limit: RateLimit | None = field(default_factory=RateLimit)
    """Default limiter of every tenant; ``None`` turns it off (``PUT /_sandbox/ratelimit`` changes it per
    tenant)."""
    token_lifetime_seconds: int = 3600
    max_attachment_bytes: int = 10 * 1024 * 1024
    max_body_bytes: int = 20 * 1024 * 1024
    """Largest ``/api`` request body (413 beyond)."""
    max_token_body_bytes: int = 64 * 1024
    """Largest ``/auth`` request body."""
    max_control_body_bytes: int = 1024 * 1024
    """Largest ``/_sandbox`` request body, except a snapshot restore."""
    max_snapshot_bytes: int = 256 * 1024 * 1024
    """Largest snapshot ``PUT /_sandbox/snapshot`` takes."""
    journal_size: int = 1000
    max_tenants: int = 256
    """Tenants an authenticated caller may create besides the default one (which is always there)."""
    admin_key: str | None = None
    """When set, every `/_sandbox` control call needs ``Authorization: Bearer <key>`` or ``X-Admin-Key``."""
    client_id: str = DEFAULT_CLIENT_ID
    client_secret: str = DEFAULT_CLIENT_SECRET
    client_scope: str = "all"
    extra_clients: tuple[tuple[str, str], ...] = ()
    """More OAuth clients ``(client_id, client_secret)`` every tenant registers, with ``client_scope``
    (e.g. the built-in MCP server's own client, so it has its own rate-limit bucket)."""
    agent_username: str = DEFAULT_AGENT_USERNAME
    agent_password: str = DEFAULT_AGENT_PASSWORD
    default_tenant: str = DEFAULT_TENANT
    strict: bool = False
    """Strict mode for every tenant (``--strict``): refuse with 400 what real Halo would ignore
    (undocumented body fields and query parameters, values Halo's binder converts) instead of only
    reporting it; ``PUT /_sandbox/strict`` switches it per tenant."""
    snapshot: Path | None = None
    """A tenant snapshot file (``GET /_sandbox/snapshot`` output, or `halo-sandbox record`'s): the default
    tenant starts from it and a reset goes back to it, instead of the seed world."""
    base_url: str | None = None
    """Public base URL (for ``/api/authinfo``'s ``auth_url``); ``None`` = taken from the request."""
    allowed_hosts: tuple[str, ...] | None = None
    """``Host`` names served (``name`` or ``name:*``; `halo_sandbox.mock.http.hostguard`); ``None`` = no
    check (in-process use; the CLI always sets them)."""
    allowed_origins: tuple[str, ...] = ()
    """Browser origins allowed besides none at all (``Origin`` absent), when ``allowed_hosts`` is set."""

    def __post_init__(self) -> None:
        positive = (
            "token_lifetime_seconds",
            "max_attachment_bytes",
            "max_body_bytes",
            "max_token_body_bytes",
            "max_control_body_bytes",
            "max_snapshot_bytes",
            "journal_size",
            "max_tenants",
        )
        for name in positive:
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if self.tickets is not None and (not isinstance(self.tickets, int) or self.tickets < 0):
            raise ValueError(f"tickets must be a non-negative integer or None, got {self.tickets!r}")
        for name in ("client_id", "client_secret", "agent_username", "agent_password", "default_tenant"):
            if not getattr(self, name):
                raise ValueError(f"{name} must not be empty")
