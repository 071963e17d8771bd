"""`halo-sandbox servers ...` and `halo-sandbox tokens ...` against a registry in a temp state dir."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from halo_sandbox.admin_errors import RecordNotFound
from halo_sandbox.cli import app
from halo_sandbox.provisioning.registry import DB_FILE, Registry

runner = CliRunner()


@pytest.fixture
def state(tmp_path: Path) -> Path:
    return tmp_path / "state"


def run(*args: str, env: dict[str, str] | None = None):
    return runner.invoke(app, list(args), env=env)


def _url(output: str) -> str:
    match = re.search(r"^(http://\S+/mcp/\S+)$", output, re.MULTILINE)
    assert match, output
    return match.group(1)


def test_servers_create_prints_the_url_and_claude_config(state):
    result = run(
        "servers",
        "create",
        "support-ro",
        "--methods",
        "read",
        "--tags",
        "support,lookups",
        "--tool-exposure",
        "discovery",
        "--expires-at",
        "2099-01-01T00:00:00Z",
        "--state-dir",
        str(state),
    )
    assert result.exit_code == 0, result.output
    url = _url(result.output)
    assert url.startswith("http://127.0.0.1:8765/mcp/")
    assert f"claude mcp add --transport http support-ro {url}" in result.output
    snippet = json.loads(result.output[result.output.index("{") :])
    assert snippet == {"mcpServers": {"support-ro": {"type": "http", "url": url}}}

    registry = Registry(state)
    try:
        server = registry.server_for_token(url.rsplit("/", 1)[1])
        assert server.name == "support-ro"
        assert server.config == {
            "methods": ["read"],
            "tags": ["support", "lookups"],
            "tool_exposure": "discovery",
            "breadth": False,
        }
        assert server.to_dict()["expires_at"] == "2099-01-01T00:00:00Z"
    finally:
        registry.close()
    assert url.rsplit("/", 1)[1].encode() not in (state / DB_FILE).read_bytes()


def test_servers_create_json_and_base_url(state):
    result = run(
        "servers",
        "create",
        "x",
        "-m",
        "list",
        "-m",
        "get",
        "--account",
        "tenant-b",
        "--require-api-token-auth",
        "--base-url",
        "http://10.0.0.5:9000/",
        "--json",
        "--state-dir",
        str(state),
    )
    assert result.exit_code == 0, result.output
    created = json.loads(result.output)
    assert created["url"].startswith("http://10.0.0.5:9000/mcp/")
    assert created["account"] == "tenant-b"
    assert created["config"]["methods"] == ["list", "get"]
    assert created["require_api_token_auth"] is True


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["--methods", "read,purge"], "config.methods"),
        (["--tags", "payroll"], "config.tags"),
        (["--methods", "create", "--tags", "lookups"], "config"),
        (["--expires-at", "2001-01-01T00:00:00Z"], "expires_at"),
        (["--expires-at", "tomorrow"], "expires_at"),
        (["--account", "bad account!"], "account"),
    ],
)
def test_servers_create_bad_input_fails_naming_the_field_and_creates_nothing(state, args, field):
    result = run("servers", "create", "x", *args, "--state-dir", str(state))
    assert result.exit_code == 1
    assert f"error: {field}:" in result.output
    listed = run("servers", "list", "--json", "--state-dir", str(state))
    assert json.loads(listed.output) == []


def test_servers_list_show_revoke(state):
    created = json.loads(run("servers", "create", "alpha", "--json", "--state-dir", str(state)).output)
    token = created["url"].rsplit("/", 1)[1]
    listed = run("servers", "list", "--state-dir", str(state))
    assert listed.exit_code == 0
    assert "alpha" in listed.output and created["id"] in listed.output
    assert token not in listed.output
    as_json = json.loads(run("servers", "list", "--json", "--state-dir", str(state)).output)
    assert [s["id"] for s in as_json] == [created["id"]]
    assert (
        json.loads(run("servers", "list", "--json", "--account", "other", "--state-dir", str(state)).output)
        == []
    )

    shown = run("servers", "show", created["id"], "--state-dir", str(state))
    assert json.loads(shown.output)["name"] == "alpha"
    assert token not in shown.output

    revoked = run("servers", "revoke", created["id"], "--state-dir", str(state))
    assert revoked.exit_code == 0
    registry = Registry(state)
    try:
        with pytest.raises(RecordNotFound):
            registry.server_for_token(token)
    finally:
        registry.close()
    again = run("servers", "revoke", created["id"], "--state-dir", str(state))
    assert again.exit_code == 1 and "no provisioned server" in again.output
    assert run("servers", "show", created["id"], "--state-dir", str(state)).exit_code == 1


def test_state_dir_from_the_environment(state):
    env = {"HALO_SANDBOX_STATE_DIR": str(state)}
    created = json.loads(run("servers", "create", "from-env", "--json", env=env).output)
    assert (state / DB_FILE).exists()
    assert [s["id"] for s in json.loads(run("servers", "list", "--json", env=env).output)] == [created["id"]]


def test_tokens_create_list_revoke(state):
    created = run("tokens", "create", "contractor", "--state-dir", str(state))
    assert created.exit_code == 0, created.output
    secret = re.search(r"^(hst_\S+)$", created.output, re.MULTILINE).group(1)
    registry = Registry(state)
    try:
        api_token = registry.verify_api_token(secret)
    finally:
        registry.close()
    listed = run("tokens", "list", "--state-dir", str(state))
    assert "contractor" in listed.output and api_token.id in listed.output
    assert secret not in listed.output
    assert run("tokens", "revoke", api_token.id, "--state-dir", str(state)).exit_code == 0
    assert json.loads(run("tokens", "list", "--json", "--state-dir", str(state)).output) == []
    missing = run("tokens", "revoke", api_token.id, "--state-dir", str(state))
    assert missing.exit_code == 1 and "no API token" in missing.output


def test_tokens_create_bad_expiry(state):
    result = run("tokens", "create", "x", "--expires-at", "1999-01-01T00:00:00Z", "--state-dir", str(state))
    assert result.exit_code == 1 and "error: expires_at:" in result.output


def test_claude_command_quotes_a_name_with_spaces(state):
    result = run("servers", "create", "support agent", "--state-dir", str(state))
    assert result.exit_code == 0, result.output
    assert f"claude mcp add --transport http 'support agent' {_url(result.output)}" in result.output
