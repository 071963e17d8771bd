"""`MockSettings`: the typed options of one mock Halo instance (every tenant it serves shares them).

Defaults are the credentials and limits the README promises. The mock reads no environment variable
and is usable alone (``create_app(MockSettings(...))``); for `up` and `mock` the root derives these
from the command's one `halo_sandbox.settings.Settings` (`halo_sandbox.sandbox.mock_config`). Every
check of these options is here.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_CLIENT_ID = "halo-sandbox"
DEFAULT_CLIENT_SECRET = "halo-sandbox-secret"
DEFAULT_AGENT_USERNAME = "agent@sandbox.local"
DEFAULT_AGENT_PASSWORD = "sandbox"
DEFAULT_TENANT = "sandbox"

_RATE_RE = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*(s|m|min)?\s*$", re.IGNORECASE)
_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3, "t": 1024**4}
MIN_MEMORY_BUDGET = 256 * 1024**2
"""A budget below this would refuse work before the sandbox has loaded its own code and seed tenant."""
AUTO_MEMORY_CEILING = 4 * 1024**3


def _physical_bytes() -> int | None:
    """The machine's physical memory in bytes (``/proc/meminfo``, else ``sysconf``), or None."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return int(os.sysconf("SC_PHYS_PAGES")) * int(os.sysconf("SC_PAGE_SIZE"))
    except (AttributeError, OSError, ValueError):
        return None


def parse_memory_budget(text: str) -> int | None:
    """``--memory-budget``: ``auto`` (half the machine's memory, at most 4 GiB), ``off`` (``None``: no
    budget), or a size (``1.5G``, ``800M``, ``800MiB``, bytes without a unit), at least 256 MiB. Raises
    ``ValueError``."""
    word = text.strip().lower()
    if word in {"off", "none", "0", "false", "disabled"}:
        return None
    if word == "auto":
        physical = _physical_bytes()
        return (
            AUTO_MEMORY_CEILING
            if physical is None
            else max(MIN_MEMORY_BUDGET, min(AUTO_MEMORY_CEILING, physical // 2))
        )
    match = _SIZE_RE.match(text)
    if not match:
        raise ValueError(f"memory budget must look like '2G', '1500M', 'auto' or 'off', got {text!r}")
    size = int(float(match[1]) * _UNITS[match[2].lower()])
    if size < MIN_MEMORY_BUDGET:
        raise ValueError(f"memory budget must be at least 256M, got {text!r}")
    return size


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
    max_batch_records: int = 1000
    """Most records one ``POST`` may carry (an array body); more is refused with 413 naming the cap,
    before anything is saved (each saved record is answered in full: the cap bounds the answer)."""
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
    """Tenants the admin (admin key, Python users) may create besides the default one (which is always
    there); tenants created with OAuth credentials do not count against it."""
    max_public_tenants: int = 32
    """Tenants a token request with OAuth credentials (no admin key) may create. At the cap, the one
    unused for ``public_tenant_idle_seconds`` the longest is forgotten to make room; if none is, 400."""
    public_tenant_idle_seconds: float = 600.0
    max_records: int = 50_000
    """Records the API may add to one tenant (modelled and generic resources together, net of deletes)
    beyond what it started with (seed, snapshot, reset); a write past it is refused (403)."""
    memory_budget_bytes: int | None = None
    """The process's resident memory above which new work (writes, new tenants, restores) is refused
    with 503 and ``Retry-After``; ``None``: no budget (`parse_memory_budget`)."""
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
            "max_batch_records",
            "max_body_bytes",
            "max_token_body_bytes",
            "max_control_body_bytes",
            "max_snapshot_bytes",
            "journal_size",
            "max_tenants",
            "max_public_tenants",
            "max_records",
        )
        for name in positive:
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if self.memory_budget_bytes is not None and (
            not isinstance(self.memory_budget_bytes, int) or self.memory_budget_bytes < MIN_MEMORY_BUDGET
        ):
            raise ValueError(
                f"memory_budget_bytes must be at least {MIN_MEMORY_BUDGET} or None, "
                f"got {self.memory_budget_bytes!r}"
            )
        if not self.public_tenant_idle_seconds >= 0:
            raise ValueError(
                f"public_tenant_idle_seconds must be >= 0, got {self.public_tenant_idle_seconds!r}"
            )
        if self.tickets is not None and (not isinstance(self.tickets, int) or self.tickets < 0):
            raise ValueError(f"tickets must be a non-negative integer or None, got {self.tickets!r}")
        for name in ("client_id", "client_secret", "agent_username", "agent_password", "default_tenant"):
            if not getattr(self, name):
                raise ValueError(f"{name} must not be empty")
