"""The provisioning registry: servers, API tokens, integrated accounts (no web)."""

from __future__ import annotations

import logging
import os
import sqlite3
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from halo_sandbox.admin_errors import Conflict, InvalidField, NotAuthorised, RecordNotFound
from halo_sandbox.provisioning.registry import DB_FILE, KEY_FILE, Registry, hash_token

T0 = datetime(2030, 1, 1, 12, 0, tzinfo=UTC)

# (name, method, tags): a stand-in catalogue shaped like the real one
_TOOLS = [
    ("list_all_halo_itsm_tickets", "list", {"support"}),
    ("get_single_halo_itsm_ticket_by_id", "get", {"support"}),
    ("create_a_halo_itsm_ticket", "create", {"support"}),
    ("delete_a_halo_itsm_ticket_by_id", "delete", {"support"}),
    ("list_all_halo_itsm_invoices", "list", {"billing"}),
    ("get_single_halo_itsm_invoice_by_id", "get", {"billing"}),
]
_TAGS = {"support", "billing", "crm", "lookups", "projects", "assets"}


_GROUPS = {"read": {"list", "get"}, "write": {"create", "update", "delete"}}


def fake_filter(*, methods, tags, breadth=False):
    """Shaped like `server.tools.select_tools` (read/write or method names; ValueError names unknowns)."""
    if methods is not None:
        unknown = [
            m for m in methods if m not in _GROUPS and m not in {"list", "get", "create", "update", "delete"}
        ]
        if unknown:
            raise ValueError(f"unknown method(s): {', '.join(unknown)}")
        methods = set().union(*(_GROUPS.get(m, {m}) for m in methods))
    if tags is not None:
        unknown = [t for t in tags if t not in _TAGS]
        if unknown:
            raise ValueError(f"unknown tag(s): {', '.join(unknown)}")
    return [
        name
        for name, method, tool_tags in _TOOLS
        if (methods is None or method in methods) and (tags is None or tool_tags & set(tags))
    ]


class Clock:
    def __init__(self, now: datetime = T0) -> None:
        self.value = now

    def __call__(self) -> datetime:
        return self.value

    def advance(self, **kw: float) -> None:
        self.value += timedelta(**kw)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def registry(tmp_path: Path, clock: Clock) -> Registry:
    reg = Registry(tmp_path / "state", now=clock, tool_filter=fake_filter)
    yield reg
    reg.close()


def _db_dump(state: Path) -> bytes:
    conn = sqlite3.connect(state / DB_FILE)
    try:
        return "\n".join(conn.iterdump()).encode()
    finally:
        conn.close()


# ------------------------------------------------------------ servers


def test_create_returns_a_256_bit_token_and_stores_only_its_hash(registry, tmp_path):
    server, token = registry.create_server(
        name="support-ro",
        config={"methods": ["read"], "tags": ["support"]},
        expires_at="2030-02-01T00:00:00Z",
    )
    assert len(token) >= 43  # token_urlsafe(32): 32 random bytes
    assert server.config == {
        "methods": ["read"],
        "tags": ["support"],
        "tool_exposure": "all",
        "breadth": False,
    }
    assert server.expires_at == datetime(2030, 2, 1, tzinfo=UTC)
    assert server.account == "sandbox"
    dump = _db_dump(tmp_path / "state")
    assert token.encode() not in dump
    assert hash_token(token).encode() in dump
    assert registry.server_for_token(token).id == server.id


def test_each_server_gets_a_distinct_token(registry):
    tokens = {registry.create_server(name=f"s{i}")[1] for i in range(20)}
    assert len(tokens) == 20


def test_unknown_token_is_not_found(registry):
    registry.create_server(name="x")
    with pytest.raises(RecordNotFound):
        registry.server_for_token("guess")


def test_read_selects_list_and_get(registry):
    assert sorted(registry.tools_for(methods=["read"], tags=["support"])) == [
        "get_single_halo_itsm_ticket_by_id",
        "list_all_halo_itsm_tickets",
    ]
    with pytest.raises(InvalidField) as err:
        registry.tools_for(methods=["write"], tags=["billing"])
    assert err.value.field == "config"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": 42}, "name"),
        ({"name": "x" * 101}, "name"),
        ({"name": "ok", "config": {"methods": ["read", "purge"]}}, "config.methods"),
        ({"name": "ok", "config": {"methods": "read"}}, "config.methods"),
        ({"name": "ok", "config": {"tags": ["support", "nonsense"]}}, "config.tags"),
        ({"name": "ok", "config": {"tags": [1]}}, "config.tags"),
        ({"name": "ok", "config": {"methods": ["create"], "tags": ["billing"]}}, "config"),
        ({"name": "ok", "config": {"methods": []}}, "config.methods"),
        ({"name": "ok", "config": {"tags": []}}, "config.tags"),
        ({"name": "ok", "config": {"verbs": ["read"]}}, "config"),
        ({"name": "ok", "config": {"tool_exposure": "everything"}}, "config.tool_exposure"),
        ({"name": "ok", "config": {"tool_exposure": ["discovery"]}}, "config.tool_exposure"),
        ({"name": "ok", "config": ["read"]}, "config"),
        ({"name": "ok", "expires_at": "2029-12-31T23:59:59Z"}, "expires_at"),
        ({"name": "ok", "expires_at": "2030-01-01T12:00:00Z"}, "expires_at"),
        ({"name": "ok", "expires_at": "next tuesday"}, "expires_at"),
        ({"name": "ok", "expires_at": 1893456000}, "expires_at"),
        ({"name": "ok", "require_api_token_auth": "yes"}, "require_api_token_auth"),
        ({"name": "ok", "account": "../etc"}, "account"),
    ],
)
def test_bad_input_names_the_field_and_changes_nothing(registry, tmp_path, kwargs, field):
    before = _db_dump(tmp_path / "state")
    with pytest.raises(InvalidField) as err:
        registry.create_server(**kwargs)
    assert err.value.field == field
    assert field in err.value.message
    assert _db_dump(tmp_path / "state") == before
    assert registry.list_servers() == []


def test_fine_grained_methods_are_accepted(registry):
    server, _ = registry.create_server(name="deleter", config={"methods": ["delete"]})
    assert server.methods == ("delete",)


def test_filters_against_the_real_catalogue(tmp_path, clock):
    reg = Registry(tmp_path / "real", now=clock)  # default filter: server.tools
    try:
        tools = reg.tools_for(methods=["read"], tags=["support"])
        names = {t.name for t in tools}
        assert "list_all_halo_itsm_tickets" in names
        assert "get_single_halo_itsm_ticket_by_id" in names
        assert not any(n.startswith(("create_", "update_", "delete_")) for n in names)
        assert "list_all_halo_itsm_invoices" not in names
        fine = {t.name for t in reg.tools_for(methods=["delete"], tags=["billing"])}
        assert fine and all(n.startswith("delete_a_halo_itsm_") for n in fine)
        for methods, tags, field in (
            (["read", "purge"], None, "config.methods"),
            (None, ["support", "payroll"], "config.tags"),
        ):
            with pytest.raises(InvalidField) as err:
                reg.create_server(name="x", config={"methods": methods, "tags": tags})
            assert err.value.field == field
            assert ("purge" if field == "config.methods" else "payroll") in err.value.message
        assert reg.list_servers() == []
    finally:
        reg.close()


def test_update_renames_and_changes_filters_keeping_the_token(registry):
    server, token = registry.create_server(name="a", config={"methods": ["read"], "tags": ["support"]})
    updated = registry.update_server(server.id, name="b", config={"tags": ["billing"]})
    assert updated.name == "b"
    assert updated.config == {
        "methods": ["read"],
        "tags": ["billing"],
        "tool_exposure": "all",
        "breadth": False,
    }
    assert updated.revision == server.revision + 1
    assert registry.server_for_token(token).config == updated.config


def test_bad_update_changes_nothing(registry):
    server, _ = registry.create_server(name="a", config={"methods": ["read"]})
    with pytest.raises(InvalidField) as err:
        registry.update_server(server.id, name="renamed", config={"tags": ["nope"]})
    assert err.value.field == "config.tags"
    assert registry.get_server(server.id) == server


def test_delete_then_lookups_raise(registry):
    server, token = registry.create_server(name="a")
    registry.delete_server(server.id)
    with pytest.raises(RecordNotFound):
        registry.get_server(server.id)
    with pytest.raises(RecordNotFound):
        registry.server_for_token(token)
    with pytest.raises(RecordNotFound):
        registry.delete_server(server.id)


# ------------------------------------------------------------ expiry (injected clock)


def test_server_expires_then_the_sweep_deletes_it(registry, clock, tmp_path):
    server, token = registry.create_server(name="a", expires_at="2030-01-01T13:00:00+00:00")
    forever, forever_token = registry.create_server(name="b")
    clock.advance(minutes=59)
    assert registry.server_for_token(token).id == server.id
    clock.advance(minutes=1)
    with pytest.raises(RecordNotFound):
        registry.server_for_token(token)
    with pytest.raises(RecordNotFound):
        registry.get_server(server.id)
    assert [s.id for s in registry.list_servers()] == [forever.id]
    assert registry.sweep() == [server.id]
    assert server.id.encode() not in _db_dump(tmp_path / "state")
    assert registry.server_for_token(forever_token).id == forever.id
    assert registry.sweep() == []


def test_naive_expiry_is_read_as_utc(registry):
    server, _ = registry.create_server(name="a", expires_at="2030-01-02T00:00:00")
    assert server.expires_at == datetime(2030, 1, 2, tzinfo=UTC)


def test_update_expiry_must_be_future(registry, clock):
    server, _ = registry.create_server(name="a")
    with pytest.raises(InvalidField) as err:
        registry.update_server(server.id, expires_at="2020-01-01T00:00:00Z")
    assert err.value.field == "expires_at"
    updated = registry.update_server(server.id, expires_at="2030-01-01T12:30:00Z")
    clock.advance(minutes=31)
    with pytest.raises(RecordNotFound):
        registry.get_server(updated.id)


# ------------------------------------------------------------ restart persistence


def test_a_new_registry_on_the_same_state_dir_sees_everything(tmp_path, clock):
    state = tmp_path / "state"
    first = Registry(state, now=clock, tool_filter=fake_filter)
    server, token = first.create_server(name="persisted", config={"tags": ["billing"]})
    api, api_secret = first.create_api_token(name="ci")
    first.register_account(
        "acme", halo_url="https://acme.example.test", client_id="cid", client_secret="s3cr3t"
    )
    first.close()

    second = Registry(state, now=clock, tool_filter=fake_filter)
    try:
        assert second.server_for_token(token) == server
        assert second.verify_api_token(api_secret) == api
        assert second.account_credentials("acme").client_secret == "s3cr3t"
    finally:
        second.close()


# ------------------------------------------------------------ API tokens


def test_api_tokens_verify_list_and_revoke(registry, tmp_path):
    api, secret = registry.create_api_token(name="contractor")
    assert registry.verify_api_token(secret) == api
    assert registry.list_api_tokens() == [api]
    assert secret.encode() not in _db_dump(tmp_path / "state")
    for bad in (None, "", "hst_wrong", secret + "x"):
        with pytest.raises(NotAuthorised):
            registry.verify_api_token(bad)
    registry.revoke_api_token(api.id)
    with pytest.raises(NotAuthorised):
        registry.verify_api_token(secret)
    with pytest.raises(RecordNotFound):
        registry.revoke_api_token(api.id)


def test_api_token_expiry(registry, clock):
    api, secret = registry.create_api_token(name="short", expires_at="2030-01-01T12:05:00Z")
    clock.advance(minutes=5)
    with pytest.raises(NotAuthorised):
        registry.verify_api_token(secret)
    assert registry.sweep() == [api.id]


def test_api_token_bad_inputs(registry):
    with pytest.raises(InvalidField) as err:
        registry.create_api_token(name=" ")
    assert err.value.field == "name"
    with pytest.raises(InvalidField) as err:
        registry.create_api_token(name="x", expires_at="yesterday")
    assert err.value.field == "expires_at"
    assert registry.list_api_tokens() == []


# ------------------------------------------------------------ integrated accounts


def test_account_secret_is_encrypted_at_rest_with_a_0600_key(registry, tmp_path):
    state = tmp_path / "state"
    account = registry.register_account(
        "acme",
        halo_url="https://acme.example.test/",
        client_id="cid",
        client_secret="very-secret-value",
        tenant="acme",
    )
    assert account.to_dict() == {
        "account": "acme",
        "halo_url": "https://acme.example.test",
        "client_id": "cid",
        "tenant": "acme",
    }
    assert "very-secret-value" not in repr(account) + repr(registry.account_credentials("acme"))
    assert b"very-secret-value" not in (state / DB_FILE).read_bytes()
    assert b"very-secret-value" not in _db_dump(state)
    assert stat.S_IMODE(os.stat(state / KEY_FILE).st_mode) == 0o600
    assert registry.account_credentials("acme").client_secret == "very-secret-value"


def test_unregistered_account_is_a_mock_tenant(registry):
    with pytest.raises(RecordNotFound):
        registry.account_credentials("sandbox")
    server, _ = registry.create_server(name="other-tenant", account="tenant-b")
    assert server.account == "tenant-b"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"halo_url": "ftp://x", "client_id": "c", "client_secret": "s"}, "halo_url"),
        ({"halo_url": "not a url", "client_id": "c", "client_secret": "s"}, "halo_url"),
        ({"halo_url": "https://x.test", "client_id": "", "client_secret": "s"}, "client_id"),
        ({"halo_url": "https://x.test", "client_id": "c", "client_secret": None}, "client_secret"),
        ({"halo_url": "https://x.test", "client_id": "c", "client_secret": "s", "tenant": 5}, "tenant"),
    ],
)
def test_account_bad_inputs(registry, kwargs, field):
    with pytest.raises(InvalidField) as err:
        registry.register_account("acme", **kwargs)
    assert err.value.field == field
    assert registry.list_accounts() == []


def test_delete_account(registry):
    registry.register_account("acme", halo_url="https://x.test", client_id="c", client_secret="s")
    registry.delete_account("acme")
    with pytest.raises(RecordNotFound):
        registry.get_account("acme")
    with pytest.raises(RecordNotFound):
        registry.delete_account("acme")


def test_an_account_in_use_cannot_be_forgotten(registry):
    registry.register_account("acme", halo_url="https://x.test", client_id="c", client_secret="s")
    server, _ = registry.create_server(name="acme-ro", account="acme")
    with pytest.raises(Conflict) as err:
        registry.delete_account("acme")
    assert server.id in err.value.message
    assert registry.get_account("acme").halo_url == "https://x.test"
    registry.delete_server(server.id)
    registry.delete_account("acme")


def test_a_key_file_readable_by_others_is_restricted(tmp_path, clock):
    state = tmp_path / "state"
    Registry(state, now=clock, tool_filter=fake_filter).close()
    os.chmod(state / KEY_FILE, 0o644)
    Registry(state, now=clock, tool_filter=fake_filter).close()
    assert stat.S_IMODE(os.stat(state / KEY_FILE).st_mode) == 0o600


# ------------------------------------------------------------ no secret in logs


def test_no_token_or_secret_in_logs(registry, caplog):
    caplog.set_level(logging.DEBUG)
    server, token = registry.create_server(name="a", config={"methods": ["read"]})
    api, api_secret = registry.create_api_token(name="b")
    registry.register_account(
        "acme", halo_url="https://x.test", client_id="c", client_secret="hunter2-secret"
    )
    registry.server_for_token(token)
    registry.verify_api_token(api_secret)
    registry.delete_server(server.id)
    text = caplog.text
    assert server.id in text  # the log does say what happened
    for secret in (token, hash_token(token), api_secret, "hunter2-secret"):
        assert secret not in text


def test_tool_exposure_is_stored_updated_with_the_filters_kept_and_migrated(registry, tmp_path, clock):
    server, token = registry.create_server(
        name="big", config={"tags": ["support"], "tool_exposure": "discovery"}
    )
    assert server.config == {
        "methods": None,
        "tags": ["support"],
        "tool_exposure": "discovery",
        "breadth": False,
    }
    assert registry.server_for_token(token).tool_exposure == "discovery"
    back = registry.update_server(server.id, config={"tool_exposure": "all"})
    assert back.config == {"methods": None, "tags": ["support"], "tool_exposure": "all", "breadth": False}
    assert back.revision == server.revision + 1
    kept = registry.update_server(server.id, config={"methods": ["read"]})
    assert kept.tool_exposure == "all"

    old = tmp_path / "old"  # a registry file from before tool exposure: no column, servers default to all
    old.mkdir()
    with sqlite3.connect(old / DB_FILE) as conn:
        conn.executescript(
            "CREATE TABLE servers (id TEXT PRIMARY KEY, name TEXT NOT NULL, account TEXT NOT NULL,"
            " methods TEXT, tags TEXT, expires_at REAL, require_api_token_auth INTEGER NOT NULL,"
            " token_hash TEXT NOT NULL UNIQUE, created_at REAL NOT NULL,"
            " revision INTEGER NOT NULL DEFAULT 1);"
            f"INSERT INTO servers VALUES ('srv_old', 'legacy', 'sandbox', NULL, NULL, NULL, 0,"
            f" '{hash_token('legacy-token')}', 0, 1);"
        )
    reopened = Registry(old, now=clock, tool_filter=fake_filter)
    try:
        assert reopened.server_for_token("legacy-token").tool_exposure == "all"
        assert reopened.server_for_token("legacy-token").breadth is False  # migrated: curated only
        assert (
            reopened.create_server(name="new", config={"tool_exposure": "discovery"})[0].tool_exposure
            == "discovery"
        )
    finally:
        reopened.close()
