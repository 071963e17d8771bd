"""What the provisioning registry stores and returns, and how inputs become it: the record types
(never a token or a secret in them), input validation (each refusal an `InvalidField` naming the
field) and the conversion of SQLite rows. No I/O."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from halo_sandbox.admin_errors import InvalidField

__all__ = [
    "AccountCredentials",
    "ApiToken",
    "IntegratedAccount",
    "ProvisionedServer",
    "account_name",
    "api_token_from_row",
    "bool_field",
    "dump_list",
    "from_epoch",
    "iso",
    "load_list",
    "parse_expiry",
    "server_from_row",
    "string_list",
    "valid_name",
]

NAME_MAX = 100
_ACCOUNT_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


# ---------------------------------------------------------------- records


@dataclass(frozen=True, slots=True)
class ProvisionedServer:
    """A provisioned server as the admin sees it: never its token."""

    id: str
    name: str
    account: str
    methods: tuple[str, ...] | None
    tags: tuple[str, ...] | None
    expires_at: datetime | None
    require_api_token_auth: bool
    created_at: datetime
    revision: int
    tool_exposure: str = "all"
    """``all`` (every allowed tool listed) or ``discovery`` (three meta-tools reach them)."""
    breadth: bool = False
    """The tools generated from Halo's OpenAPI document too (the breadth catalogue)."""

    @property
    def config(self) -> dict[str, Any]:
        return {
            "methods": list(self.methods) if self.methods is not None else None,
            "tags": list(self.tags) if self.tags is not None else None,
            "tool_exposure": self.tool_exposure,
            "breadth": self.breadth,
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "account": self.account,
            "config": self.config,
            "expires_at": iso(self.expires_at),
            "require_api_token_auth": self.require_api_token_auth,
            "created_at": iso(self.created_at),
        }


@dataclass(frozen=True, slots=True)
class ApiToken:
    """An API token as the admin sees it: never the token itself."""

    id: str
    name: str
    created_at: datetime
    expires_at: datetime | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "created_at": iso(self.created_at),
            "expires_at": iso(self.expires_at),
        }


@dataclass(frozen=True, slots=True)
class IntegratedAccount:
    """A registered upstream Halo as the admin sees it: never its client secret."""

    name: str
    halo_url: str
    client_id: str
    tenant: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "account": self.name,
            "halo_url": self.halo_url,
            "client_id": self.client_id,
            "tenant": self.tenant,
        }


@dataclass(frozen=True, slots=True)
class AccountCredentials:
    """What it takes to reach a registered upstream Halo (decrypted; keep it in memory only)."""

    halo_url: str
    client_id: str
    client_secret: str
    tenant: str | None

    def __repr__(self) -> str:  # the secret never reaches a log line or traceback
        url, client = self.halo_url, self.client_id
        return f"AccountCredentials(halo_url={url!r}, client_id={client!r}, client_secret='***')"


def iso(value: datetime | None) -> str | None:
    return (
        None if value is None else value.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    )


def from_epoch(value: float | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, UTC)


def parse_expiry(value: Any, *, field: str, now: datetime) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            raise InvalidField(
                field, f"{value!r} is not an ISO 8601 date-time (e.g. 2030-01-31T17:00:00Z)"
            ) from None
    else:
        raise InvalidField(field, "must be an ISO 8601 date-time string or null")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if moment <= now:
        raise InvalidField(field, f"{iso(moment)} is not in the future (now is {iso(now)})")
    return moment


def string_list(value: Any, *, field: str) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str) or not isinstance(value, Sequence):
        raise InvalidField(field, "must be a list of strings or null")
    out: list[str] = []
    for item in value:
        if not isinstance(item, str) or not item.strip():
            raise InvalidField(field, f"every entry must be a non-empty string, got {item!r}")
        if item.strip() not in out:
            out.append(item.strip())
    return tuple(out)


def valid_name(value: Any, *, field: str = "name") -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidField(field, "must be a non-empty string")
    if len(value.strip()) > NAME_MAX:
        raise InvalidField(field, f"must be at most {NAME_MAX} characters")
    return value.strip()


def account_name(value: Any) -> str:
    if not isinstance(value, str) or not _ACCOUNT_RE.match(value):
        raise InvalidField(
            "account", "must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"
        )
    return value


def bool_field(value: Any, *, field: str) -> bool:
    if not isinstance(value, bool):
        raise InvalidField(field, "must be true or false")
    return value


def dump_list(values: tuple[str, ...] | None) -> str | None:
    return None if values is None else json.dumps(list(values))


def load_list(text: str | None) -> tuple[str, ...] | None:
    return None if text is None else tuple(json.loads(text))


def server_from_row(row: sqlite3.Row) -> ProvisionedServer:
    return ProvisionedServer(
        id=row["id"],
        name=row["name"],
        account=row["account"],
        methods=load_list(row["methods"]),
        tags=load_list(row["tags"]),
        expires_at=from_epoch(row["expires_at"]),
        require_api_token_auth=bool(row["require_api_token_auth"]),
        created_at=from_epoch(row["created_at"]) or datetime.fromtimestamp(0, UTC),
        revision=row["revision"],
        tool_exposure=row["tool_exposure"],
        breadth=bool(row["breadth"]),
    )


def api_token_from_row(row: sqlite3.Row) -> ApiToken:
    return ApiToken(
        id=row["id"],
        name=row["name"],
        created_at=from_epoch(row["created_at"]) or datetime.fromtimestamp(0, UTC),
        expires_at=from_epoch(row["expires_at"]),
    )
