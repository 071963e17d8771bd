"""Provisioned MCP servers, the API tokens that guard them, and integrated accounts.

A *provisioned server* is a filtered view of the MCP tools (by method and tag), bound to an
*integrated account* (an upstream Halo), reachable at ``/mcp/{token}`` until ``expires_at``.
The token is 256 random bits (``secrets.token_urlsafe(32)``); only its SHA-256 is stored, and
lookups compare hashes with ``hmac.compare_digest``. *API tokens* are minted by an admin and
checked on servers created with ``require_api_token_auth``. An *integrated account* is either
the built-in mock tenant of that name (the default: nothing is registered) or a Halo base URL
with client credentials registered by an admin; the client secret is encrypted at rest with
Fernet, the key living in the state directory with 0600 permissions, and is never returned.

Everything lives in one SQLite file under the state directory, so it survives restarts and
the CLI and a running ``halo-sandbox up`` share it. This module holds state and rules only
(no web imports); ``.routes`` is the HTTP face and ``.cli``
the shell one.

Errors (the HTTP mapping lives in one handler in ``.routes``)::

    AdminError               500  an internal inconsistency          (`halo_sandbox.admin_errors`)
    ├── InvalidField         400  a bad input; ``field`` names it (``config.methods``, ``expires_at``, ...)
    ├── NotAuthorised        401  missing or wrong admin key / API token
    ├── RecordNotFound       404  unknown (or expired) server, API token or account
    ├── Conflict             409  forgetting an account that live servers still use
    └── Unavailable          503  provisioned servers are not running (the app lifespan was not entered)
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import secrets
import sqlite3
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cryptography.fernet import Fernet, InvalidToken

__all__ = [
    "AccountCredentials",
    "ApiToken",
    "IntegratedAccount",
    "ProvisionedServer",
    "Registry",
    "hash_token",
]

from halo_sandbox.admin_errors import (
    AdminError,
    Conflict,
    InvalidField,
    NotAuthorised,
    RecordNotFound,
)
from halo_sandbox.provisioning.models import (
    AccountCredentials,
    ApiToken,
    IntegratedAccount,
    ProvisionedServer,
    account_name,
    api_token_from_row,
    bool_field,
    dump_list,
    from_epoch,
    parse_expiry,
    server_from_row,
    string_list,
    valid_name,
)
from halo_sandbox.provisioning.state_files import ensure_state_dir, private_file

logger = logging.getLogger(__name__)

DB_FILE = "provisioning.sqlite3"
KEY_FILE = "provisioning.key"
TOOL_EXPOSURES = ("all", "discovery")
"""``config.tool_exposure`` values (the server's `surface.tools.EXPOSURES`; this module stays free of it)."""
_CONFIG_KEYS = ("methods", "tags", "tool_exposure", "breadth")
_CONFIG_SHAPE = (
    'must be an object {"methods": [...], "tags": [...], "tool_exposure": "all" | "discovery", '
    '"breadth": true | false}'
)


# ---------------------------------------------------------------- helpers


def hash_token(token: str) -> str:
    """The stored form of a URL or API token (SHA-256, hex)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _default_tool_filter(
    *, methods: list[str] | None, tags: list[str] | None, breadth: bool = False
) -> Sequence[Any]:
    from halo_sandbox.server import tool_specs

    return tool_specs.select_tools(tool_specs.generate_tools(breadth=breadth), methods=methods, tags=tags)


def _utcnow() -> datetime:
    return datetime.now(UTC)


_SCHEMA = """
CREATE TABLE IF NOT EXISTS servers (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    account TEXT NOT NULL,
    methods TEXT,
    tags TEXT,
    expires_at REAL,
    require_api_token_auth INTEGER NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at REAL NOT NULL,
    revision INTEGER NOT NULL DEFAULT 1,
    tool_exposure TEXT NOT NULL DEFAULT 'all',
    breadth INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS api_tokens (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at REAL NOT NULL,
    expires_at REAL
);
CREATE TABLE IF NOT EXISTS accounts (
    name TEXT PRIMARY KEY,
    halo_url TEXT NOT NULL,
    client_id TEXT NOT NULL,
    client_secret_enc BLOB NOT NULL,
    tenant TEXT
);
"""


# ---------------------------------------------------------------- registry


class Registry:
    """The provisioning registry: SQLite under ``state_dir``.

    ``now`` is the clock (a callable returning an aware ``datetime``); tests inject one to
    move time. ``tool_filter(methods=..., tags=..., breadth=...)`` returns the tools a filter selects
    (from the curated tools, plus the generated breadth catalogue when ``breadth``)
    (methods ``read``/``write`` or fine-grained; it raises ``ValueError`` naming an unknown
    method or tag); by default it
    is ``server.tools.select_tools`` over ``server.tools.generate_tools()``.
    """

    def __init__(
        self,
        state_dir: str | os.PathLike[str],
        *,
        now: Callable[[], datetime] = _utcnow,
        tool_filter: Callable[..., Sequence[Any]] | None = None,
    ) -> None:
        self.state_dir = ensure_state_dir(Path(state_dir))
        private_file(self.state_dir / DB_FILE)
        self._now = now
        self._tool_filter = tool_filter or _default_tool_filter
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(self.state_dir / DB_FILE, check_same_thread=False, timeout=10.0)
        self._conn.row_factory = sqlite3.Row
        with self._lock, self._conn:
            self._conn.executescript(_SCHEMA)
            columns = {row["name"] for row in self._conn.execute("PRAGMA table_info(servers)")}
            if "tool_exposure" not in columns:  # a registry written before tool exposure existed
                self._conn.execute("ALTER TABLE servers ADD COLUMN tool_exposure TEXT NOT NULL DEFAULT 'all'")
            if "breadth" not in columns:  # a registry written before config.breadth existed
                self._conn.execute("ALTER TABLE servers ADD COLUMN breadth INTEGER NOT NULL DEFAULT 0")
        self._fernet = Fernet(self._load_key())

    # -- lifecycle

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def now(self) -> datetime:
        moment = self._now()
        return moment if moment.tzinfo else moment.replace(tzinfo=UTC)

    def _load_key(self) -> bytes:
        path = self.state_dir / KEY_FILE
        key = Fernet.generate_key()
        return key if private_file(path, key) else path.read_bytes().strip()

    # -- filters

    def tools_for(
        self, *, methods: Sequence[str] | None, tags: Sequence[str] | None, breadth: bool = False
    ) -> list[Any]:
        """The tools a filter selects (``None`` = no restriction; ``breadth``: from the breadth
        catalogue too); raises ``InvalidField`` for an unknown method or tag and for a filter that
        selects nothing."""
        for value, what in ((methods, "config.methods"), (tags, "config.tags")):
            if value is not None and not value:
                raise InvalidField(what, "must name at least one entry (or be null for no restriction)")
        try:
            self._tool_filter(
                methods=list(methods) if methods is not None else None, tags=None, breadth=breadth
            )
        except ValueError as exc:
            raise InvalidField("config.methods", str(exc)) from None
        try:
            selected = list(
                self._tool_filter(
                    methods=list(methods) if methods is not None else None,
                    tags=list(tags) if tags is not None else None,
                    breadth=breadth,
                )
            )
        except ValueError as exc:
            raise InvalidField("config.tags", str(exc)) from None
        if not selected:
            raise InvalidField(
                "config",
                f"the filter (methods={list(methods) if methods is not None else 'all'}, "
                f"tags={list(tags) if tags is not None else 'all'}) matches no tool",
            )
        return selected

    def _check_config(self, config: Any) -> tuple[tuple[str, ...] | None, tuple[str, ...] | None, str, bool]:
        if config is None:
            config = {}
        if not isinstance(config, dict):
            raise InvalidField("config", _CONFIG_SHAPE)
        extra = sorted(set(config) - set(_CONFIG_KEYS))
        if extra:
            raise InvalidField(
                "config", f"unknown key(s) {', '.join(extra)}; allowed: {', '.join(_CONFIG_KEYS)}"
            )
        methods = string_list(config.get("methods"), field="config.methods")
        tags = string_list(config.get("tags"), field="config.tags")
        exposure = config.get("tool_exposure")
        exposure = "all" if exposure is None else exposure
        if exposure not in TOOL_EXPOSURES:
            raise InvalidField("config.tool_exposure", f"must be one of {', '.join(TOOL_EXPOSURES)}")
        breadth = config.get("breadth")
        breadth = False if breadth is None else bool_field(breadth, field="config.breadth")
        self.tools_for(methods=methods, tags=tags, breadth=breadth)
        return methods, tags, exposure, breadth

    # -- servers

    def create_server(
        self,
        *,
        name: Any = None,
        account: Any = "sandbox",
        config: Any = None,
        expires_at: Any = None,
        require_api_token_auth: Any = False,
    ) -> tuple[ProvisionedServer, str]:
        """Create a provisioned server; returns it and its URL token (shown once, never stored)."""
        name = valid_name(name)
        account = account_name(account)
        methods, tags, exposure, breadth = self._check_config(config)
        now = self.now()
        expiry = parse_expiry(expires_at, field="expires_at", now=now)
        require = bool_field(require_api_token_auth, field="require_api_token_auth")
        token = secrets.token_urlsafe(32)
        server_id = "srv_" + secrets.token_hex(8)
        with self._lock, self._conn:
            self._conn.execute(
                "INSERT INTO servers (id, name, account, methods, tags, expires_at, require_api_token_auth,"
                " token_hash, created_at, revision, tool_exposure, breadth)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?)",
                (
                    server_id,
                    name,
                    account,
                    dump_list(methods),
                    dump_list(tags),
                    expiry.timestamp() if expiry else None,
                    int(require),
                    hash_token(token),
                    now.timestamp(),
                    exposure,
                    int(breadth),
                ),
            )
        logger.info("provisioned server %s (%s) created for account %s", server_id, name, account)
        return self.get_server(server_id), token

    def list_servers(self) -> list[ProvisionedServer]:
        """Live servers (expired ones are hidden; the sweep deletes them)."""
        with self._lock:
            rows = self._conn.execute("SELECT * FROM servers ORDER BY created_at, id").fetchall()
        return [s for s in map(server_from_row, rows) if not self._expired(s.expires_at)]

    def get_server(self, server_id: str) -> ProvisionedServer:
        with self._lock:
            row = self._conn.execute("SELECT * FROM servers WHERE id = ?", (server_id,)).fetchone()
        if row is None or self._expired(from_epoch(row["expires_at"])):
            raise RecordNotFound(f"no provisioned server {server_id!r}")
        return server_from_row(row)

    def server_for_token(self, token: str) -> ProvisionedServer:
        """The live server a URL token opens; ``RecordNotFound`` for an unknown or expired one."""
        digest = hash_token(token)
        with self._lock:
            row = self._conn.execute("SELECT * FROM servers WHERE token_hash = ?", (digest,)).fetchone()
        if row is None or not hmac.compare_digest(row["token_hash"], digest):
            raise RecordNotFound("no such MCP server")
        server = server_from_row(row)
        if self._expired(server.expires_at):
            raise RecordNotFound("no such MCP server")
        return server

    def update_server(
        self,
        server_id: str,
        *,
        name: Any = ...,
        config: Any = ...,
        expires_at: Any = ...,
        require_api_token_auth: Any = ...,
    ) -> ProvisionedServer:
        """Rename, change filters (a ``config`` key left out keeps its value), expiry or auth.
        Arguments left as ``...`` are unchanged."""
        current = self.get_server(server_id)
        changes: dict[str, Any] = {}
        if name is not ...:
            changes["name"] = valid_name(name)
        if config is not ...:
            if not isinstance(config, dict):
                raise InvalidField("config", _CONFIG_SHAPE)
            merged = {key: config.get(key, current.config[key]) for key in _CONFIG_KEYS}
            for key in config:
                if key not in merged:
                    raise InvalidField("config", f"unknown key {key}; allowed: {', '.join(_CONFIG_KEYS)}")
            methods, tags, exposure, breadth = self._check_config(merged)
            changes["methods"], changes["tags"] = dump_list(methods), dump_list(tags)
            changes["tool_exposure"] = exposure
            changes["breadth"] = int(breadth)
        if expires_at is not ...:
            expiry = parse_expiry(expires_at, field="expires_at", now=self.now())
            changes["expires_at"] = expiry.timestamp() if expiry else None
        if require_api_token_auth is not ...:
            changes["require_api_token_auth"] = int(
                bool_field(require_api_token_auth, field="require_api_token_auth")
            )
        if changes:
            assignments = ", ".join(f"{column} = ?" for column in changes)
            with self._lock, self._conn:
                self._conn.execute(
                    f"UPDATE servers SET {assignments}, revision = revision + 1 WHERE id = ?",
                    (*changes.values(), server_id),
                )
            logger.info("provisioned server %s updated (%s)", server_id, ", ".join(changes))
        return self.get_server(server_id)

    def delete_server(self, server_id: str) -> None:
        with self._lock, self._conn:
            deleted = self._conn.execute("DELETE FROM servers WHERE id = ?", (server_id,)).rowcount
        if not deleted:
            raise RecordNotFound(f"no provisioned server {server_id!r}")
        logger.info("provisioned server %s revoked", server_id)

    def sweep(self) -> list[str]:
        """Delete expired servers and API tokens; returns the ids deleted."""
        cutoff = self.now().timestamp()
        with self._lock, self._conn:
            ids = [
                r["id"]
                for r in self._conn.execute(
                    "SELECT id FROM servers WHERE expires_at IS NOT NULL AND expires_at <= ?", (cutoff,)
                )
            ]
            ids += [
                r["id"]
                for r in self._conn.execute(
                    "SELECT id FROM api_tokens WHERE expires_at IS NOT NULL AND expires_at <= ?", (cutoff,)
                )
            ]
            self._conn.execute(
                "DELETE FROM servers WHERE expires_at IS NOT NULL AND expires_at <= ?", (cutoff,)
            )
            self._conn.execute(
                "DELETE FROM api_tokens WHERE expires_at IS NOT NULL AND expires_at <= ?", (cutoff,)
            )
        if ids:
            logger.info("swept %d expired record(s): %s", len(ids), ", ".join(ids))
        return ids

    def _expired(self, expires_at: datetime | None) -> bool:
        return expires_at is not None and expires_at <= self.now()

    # -- API tokens

    def create_api_token(self, *, name: Any = None, expires_at: Any = None) -> tuple[ApiToken, str]:
        """Mint an API token; returns it and the token (shown once, never stored)."""
        name = valid_name(name)
        now = self.now()
        expiry = parse_expiry(expires_at, field="expires_at", now=now)
        token = "hst_" + secrets.token_urlsafe(32)
        token_id = "tok_" + secrets.token_hex(8)
        with self._lock, self._conn:
            self._conn.execute(
                "INSERT INTO api_tokens (id, name, token_hash, created_at, expires_at) VALUES (?, ?, ?, "
                "?, ?)",
                (token_id, name, hash_token(token), now.timestamp(), expiry.timestamp() if expiry else None),
            )
        logger.info("API token %s (%s) created", token_id, name)
        return self.get_api_token(token_id), token

    def list_api_tokens(self) -> list[ApiToken]:
        with self._lock:
            rows = self._conn.execute("SELECT * FROM api_tokens ORDER BY created_at, id").fetchall()
        return [t for t in map(api_token_from_row, rows) if not self._expired(t.expires_at)]

    def get_api_token(self, token_id: str) -> ApiToken:
        with self._lock:
            row = self._conn.execute("SELECT * FROM api_tokens WHERE id = ?", (token_id,)).fetchone()
        if row is None or self._expired(from_epoch(row["expires_at"])):
            raise RecordNotFound(f"no API token {token_id!r}")
        return api_token_from_row(row)

    def revoke_api_token(self, token_id: str) -> None:
        with self._lock, self._conn:
            deleted = self._conn.execute("DELETE FROM api_tokens WHERE id = ?", (token_id,)).rowcount
        if not deleted:
            raise RecordNotFound(f"no API token {token_id!r}")
        logger.info("API token %s revoked", token_id)

    def verify_api_token(self, token: str | None) -> ApiToken:
        """The live API token presented; ``NotAuthorised`` otherwise."""
        if not token:
            raise NotAuthorised("this MCP server requires an API token (Authorization: Bearer <api token>)")
        digest = hash_token(token)
        with self._lock:
            row = self._conn.execute("SELECT * FROM api_tokens WHERE token_hash = ?", (digest,)).fetchone()
        if row is None or not hmac.compare_digest(row["token_hash"], digest):
            raise NotAuthorised("invalid API token")
        api_token = api_token_from_row(row)
        if self._expired(api_token.expires_at):
            raise NotAuthorised("invalid API token")
        return api_token

    # -- integrated accounts

    def register_account(
        self, account: Any, *, halo_url: Any, client_id: Any, client_secret: Any, tenant: Any = None
    ) -> IntegratedAccount:
        """Register (or replace) an upstream Halo for ``account``; the secret is encrypted at rest."""
        account = account_name(account)
        if not isinstance(halo_url, str) or not halo_url.strip():
            raise InvalidField("halo_url", "must be a URL such as https://acme.haloitsm.com")
        parts = urlsplit(halo_url.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise InvalidField("halo_url", "must be an http(s) URL such as https://acme.haloitsm.com")
        if not isinstance(client_id, str) or not client_id.strip():
            raise InvalidField("client_id", "must be a non-empty string")
        if not isinstance(client_secret, str) or not client_secret:
            raise InvalidField("client_secret", "must be a non-empty string")
        if tenant is not None and (not isinstance(tenant, str) or not tenant.strip()):
            raise InvalidField("tenant", "must be a non-empty string or null")
        encrypted = self._fernet.encrypt(client_secret.encode("utf-8"))
        with self._lock, self._conn:
            self._conn.execute(
                "INSERT OR REPLACE INTO accounts (name, halo_url, client_id, client_secret_enc, tenant)"
                " VALUES (?, ?, ?, ?, ?)",
                (account, halo_url.strip().rstrip("/"), client_id.strip(), encrypted, tenant),
            )
        logger.info("integrated account %s registered (%s)", account, parts.hostname)
        return self.get_account(account)

    def get_account(self, account: str) -> IntegratedAccount:
        """A registered account; ``RecordNotFound`` when ``account`` is a plain mock tenant."""
        with self._lock:
            row = self._conn.execute("SELECT * FROM accounts WHERE name = ?", (account,)).fetchone()
        if row is None:
            raise RecordNotFound(f"no registered integrated account {account!r}")
        return IntegratedAccount(
            name=row["name"], halo_url=row["halo_url"], client_id=row["client_id"], tenant=row["tenant"]
        )

    def list_accounts(self) -> list[IntegratedAccount]:
        with self._lock:
            names = [r["name"] for r in self._conn.execute("SELECT name FROM accounts ORDER BY name")]
        return [self.get_account(n) for n in names]

    def account_credentials(self, account: str) -> AccountCredentials:
        """Decrypted credentials of a registered account; ``RecordNotFound`` for a mock tenant."""
        with self._lock:
            row = self._conn.execute("SELECT * FROM accounts WHERE name = ?", (account,)).fetchone()
        if row is None:
            raise RecordNotFound(f"no registered integrated account {account!r}")
        try:
            secret = self._fernet.decrypt(row["client_secret_enc"]).decode("utf-8")
        except InvalidToken:
            raise AdminError(
                f"the stored secret of account {account!r} cannot be decrypted "
                f"with {KEY_FILE}; register the account again"
            ) from None
        return AccountCredentials(
            halo_url=row["halo_url"], client_id=row["client_id"], client_secret=secret, tenant=row["tenant"]
        )

    def delete_account(self, account: str) -> None:
        """Forget a registered Halo; refused while live servers use the account (they would
        silently fall back to the mock tenant of that name)."""
        in_use = [s.id for s in self.list_servers() if s.account == account]
        if in_use:
            raise Conflict(
                f"account {account!r} is used by provisioned server(s) {', '.join(in_use)}; revoke them first"
            )
        with self._lock, self._conn:
            deleted = self._conn.execute("DELETE FROM accounts WHERE name = ?", (account,)).rowcount
        if not deleted:
            raise RecordNotFound(f"no registered integrated account {account!r}")
        logger.info("integrated account %s removed", account)
