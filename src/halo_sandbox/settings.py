"""`Settings`: the one typed, frozen settings object of `halo-sandbox up`, `mock` and `mcp`.

Every environment variable the package reads is in `ENV` (field name -> variable), and nowhere else:
the CLI's options name their variable from it, `Settings.from_env` reads it. Precedence: defaults,
then the environment, then explicit values (CLI options; `None` means "not given").

    HALO_SANDBOX_*   the sandbox: seed, credentials of its OAuth client and agent, admin key, rate
                     limit, state dir, the URL of a running sandbox (for `servers`, `tokens`, `journal`)
    HALO_*           the Halo that `halo-sandbox mcp` talks to (a real tenant or a running sandbox)

Each command builds one `Settings` and composes from it: `up` (`sandbox.build_sandbox`), `mock`
(`sandbox.mock_config` and the mock's `create_app`), `mcp` (`standalone.build_standalone`). The
fields the mock interprets (seed, tickets, rate limit, credentials, strict) are checked once, by the
mock's own `MockSettings` when `sandbox.mock_config` derives it; the rest are checked here.

A leaf of the root: imports nothing from the package, so `mcp` can read it without the mock.
"""

from __future__ import annotations

import os
import typing
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = [
    "ADMIN_KEY_FILE",
    "DEFAULT_MCP_PORT",
    "DEFAULT_PORT",
    "ENV",
    "Given",
    "LOG_LEVELS",
    "TRANSPORTS",
    "Settings",
    "default_state_dir",
]

DEFAULT_PORT = 8765
"""`up` and `mock`."""
DEFAULT_MCP_PORT = 8766
"""`mcp --transport http|sse`: next to a running `up`, not on top of it."""
LOG_LEVELS = ("critical", "error", "warning", "info", "debug", "trace")
TRANSPORTS = ("stdio", "http", "sse")
ADMIN_KEY_FILE = "admin-key"

#: Every environment variable the package reads, by `Settings` field.
ENV: Mapping[str, str] = {
    "seed": "HALO_SANDBOX_SEED",
    "rate_limit": "HALO_SANDBOX_RATE_LIMIT",
    "memory_budget": "HALO_SANDBOX_MEMORY_BUDGET",
    "admin_key": "HALO_SANDBOX_ADMIN_KEY",
    "client_id": "HALO_SANDBOX_CLIENT_ID",
    "client_secret": "HALO_SANDBOX_CLIENT_SECRET",
    "agent_username": "HALO_SANDBOX_AGENT_USERNAME",
    "agent_password": "HALO_SANDBOX_AGENT_PASSWORD",
    "state_dir": "HALO_SANDBOX_STATE_DIR",
    "breadth": "HALO_SANDBOX_BREADTH",
    "tool_exposure": "HALO_SANDBOX_TOOL_EXPOSURE",
    "url": "HALO_SANDBOX_URL",
    "halo_url": "HALO_URL",
    "halo_client_id": "HALO_CLIENT_ID",
    "halo_client_secret": "HALO_CLIENT_SECRET",
    "halo_username": "HALO_USERNAME",
    "halo_password": "HALO_PASSWORD",
    "halo_tenant": "HALO_TENANT",
    "halo_timeout": "HALO_TIMEOUT",
}


@dataclass(frozen=True, kw_only=True)
class Settings:
    """What a `halo-sandbox` command was asked for. Invalid values raise `ValueError` naming the field."""

    # serving (up, mock: `port`; mcp over http/sse: `mcp_port`)
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    mcp_port: int = DEFAULT_MCP_PORT
    log_level: str = "warning"
    allowed_origins: tuple[str, ...] = ()
    # the sandbox (up, mock)
    seed: int = 0
    tickets: int | None = None
    snapshot: Path | None = None
    """A tenant snapshot (`halo-sandbox record`, `GET /_sandbox/snapshot`) served as the default tenant
    instead of the seed world; a reset goes back to it."""
    strict: bool = False
    """The mock refuses (400) what real Halo would ignore instead of only reporting it."""
    rate_limit: str = "300/300s"
    """Parsed by the mock (`halo_sandbox.mock.config.RateLimit.parse`): `300/300s`, `50/5m`, `off`."""
    memory_budget: str = "auto"
    """Resident memory beyond which the mock refuses new work with 503; parsed by the mock
    (`halo_sandbox.mock.config.parse_memory_budget`): `2G`, `1500M`, `auto`, `off`."""
    admin_key: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    agent_username: str | None = None
    agent_password: str | None = None
    """`None`: the mock's defaults (`halo-sandbox` / `halo-sandbox-secret`, `agent@sandbox.local` /
    `sandbox`)."""
    state_dir: Path | None = None
    """`None`: `default_state_dir()`."""
    url: str = f"http://127.0.0.1:{DEFAULT_PORT}"
    """A running sandbox, for the commands that talk to one (`servers`, `tokens`, `journal`)."""
    # the MCP server of `up` and `mcp`
    breadth: bool = False
    """Offer the tools generated from Halo's OpenAPI too (see `halo_sandbox.server.generated`)."""
    tool_exposure: str = "all"
    """`all` or `discovery` (validated by the server: `halo_sandbox.server.surface.tools.EXPOSURES`)."""
    # the Halo behind `mcp`
    halo_url: str | None = None
    halo_client_id: str | None = None
    halo_client_secret: str | None = None
    halo_username: str | None = None
    halo_password: str | None = None
    halo_tenant: str | None = None
    halo_timeout: float = 30.0
    # the MCP server of `mcp`
    transport: str = "stdio"
    methods: tuple[str, ...] | None = None
    tags: tuple[str, ...] | None = None
    allowed_file_dir: Path | None = None

    def __post_init__(self) -> None:
        for name in ("port", "mcp_port"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 65535:
                raise ValueError(f"{name} must be a port number (1-65535), got {value!r}")
        if self.log_level.lower() not in LOG_LEVELS:
            raise ValueError(f"log_level must be one of {', '.join(LOG_LEVELS)}, got {self.log_level!r}")
        if self.transport not in TRANSPORTS:
            raise ValueError(f"transport must be one of {', '.join(TRANSPORTS)}, got {self.transport!r}")
        if not self.halo_timeout > 0:
            raise ValueError(f"halo_timeout must be a positive number of seconds, got {self.halo_timeout!r}")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **given: Unpack[Given]) -> Settings:
        """Defaults, then the variables of `ENV` (empty ones ignored), then `given` (`None` values
        ignored: an option the user did not give)."""
        env = os.environ if environ is None else environ
        known = {f.name for f in fields(cls)}
        unknown = set(given) - known
        if unknown:
            raise TypeError(f"unknown settings: {', '.join(sorted(unknown))}")
        values: dict[str, Any] = {}
        for name, var in ENV.items():
            raw = env.get(var, "").strip()
            if raw:
                values[name] = _convert(name, raw, var)
        values.update({k: v for k, v in given.items() if v is not None})
        return cls(**values)

    @property
    def resolved_state_dir(self) -> Path:
        return self.state_dir if self.state_dir is not None else default_state_dir()


class Given(TypedDict, total=False):
    """What a command was given, by `Settings` field; `None`: not given (the environment or the default
    applies). `Settings.from_env`'s keyword arguments, so the type checker sees every option's type."""

    host: str | None
    port: int | None
    mcp_port: int | None
    log_level: str | None
    allowed_origins: tuple[str, ...] | None
    seed: int | None
    tickets: int | None
    snapshot: Path | None
    strict: bool | None
    rate_limit: str | None
    memory_budget: str | None
    admin_key: str | None
    client_id: str | None
    client_secret: str | None
    agent_username: str | None
    agent_password: str | None
    state_dir: Path | None
    url: str | None
    breadth: bool | None
    tool_exposure: str | None
    halo_url: str | None
    halo_client_id: str | None
    halo_client_secret: str | None
    halo_username: str | None
    halo_password: str | None
    halo_tenant: str | None
    halo_timeout: float | None
    transport: str | None
    methods: tuple[str, ...] | None
    tags: tuple[str, ...] | None
    allowed_file_dir: Path | None


_HINTS = typing.get_type_hints(Settings)


def _convert(name: str, raw: str, var: str) -> Any:
    """An environment value as the field's type (bool, int, float, Path or str)."""
    hint = _HINTS[name]
    kinds = typing.get_args(hint) or (hint,)
    if bool in kinds:
        if raw.lower() in ("1", "true", "yes", "on"):
            return True
        if raw.lower() in ("0", "false", "no", "off"):
            return False
        raise ValueError(f"{var} must be true or false, got {raw!r}")
    try:
        if int in kinds:
            return int(raw)
        if float in kinds:
            return float(raw)
    except ValueError:
        raise ValueError(f"{var} must be a number, got {raw!r}") from None
    if Path in kinds:
        return Path(raw).expanduser()
    return raw


def default_state_dir() -> Path:
    """Where the admin key and provisioned servers live by default: the platform's user data directory."""
    from platformdirs import user_data_dir

    return Path(user_data_dir("halo-sandbox"))
