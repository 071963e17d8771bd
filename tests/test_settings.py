"""Settings: defaults, then the environment (one map of variables), then explicit options; bad values
refused."""

from pathlib import Path

import pytest

from halo_sandbox.sandbox import mock_config, stored_admin_key
from halo_sandbox.settings import DEFAULT_MCP_PORT, DEFAULT_PORT, ENV, Given, Settings
from halo_sandbox.standalone import build_standalone

SANDBOX_ENV = {
    "HALO_SANDBOX_CLIENT_ID": "env-client",
    "HALO_SANDBOX_CLIENT_SECRET": "env-secret",
    "HALO_SANDBOX_AGENT_USERNAME": "ops@example.test",
    "HALO_SANDBOX_AGENT_PASSWORD": "pw",
    "HALO_SANDBOX_RATE_LIMIT": "off",
    "HALO_SANDBOX_SEED": "3",
    "HALO_SANDBOX_ADMIN_KEY": "k",
}


def test_environment_then_options_and_none_means_not_given():
    settings = Settings.from_env(SANDBOX_ENV, client_secret=None, seed=None)
    assert (settings.client_id, settings.client_secret, settings.seed, settings.rate_limit) == (
        "env-client",
        "env-secret",
        3,
        "off",
    )
    assert Settings.from_env(SANDBOX_ENV, client_secret="cli-wins").client_secret == "cli-wins"
    assert Settings.from_env({"HALO_SANDBOX_SEED": " "}).seed == 0  # blank variables are unset
    halo = Settings.from_env(
        {
            "HALO_URL": "https://acme.haloitsm.com",
            "HALO_CLIENT_ID": "c",
            "HALO_TIMEOUT": "2.5",
            "HALO_SANDBOX_STATE_DIR": "~/halo",
        }
    )
    assert (halo.halo_url, halo.halo_client_id, halo.halo_timeout) == ("https://acme.haloitsm.com", "c", 2.5)
    assert halo.state_dir == Path("~/halo").expanduser() and halo.resolved_state_dir == halo.state_dir


def test_the_mock_gets_the_shared_settings(tmp_path):
    mock = mock_config(Settings.from_env(SANDBOX_ENV, state_dir=tmp_path, tickets=5))
    assert (mock.client_id, mock.client_secret, mock.agent_username, mock.agent_password) == (
        "env-client",
        "env-secret",
        "ops@example.test",
        "pw",
    )
    assert (mock.rate_limit, mock.seed, mock.tickets, mock.admin_key) == (None, 3, 5, "k")
    defaults = mock_config(Settings(state_dir=tmp_path))
    assert (defaults.client_id, str(defaults.rate_limit)) == ("halo-sandbox", "300/300s")
    assert defaults.admin_key == stored_admin_key(tmp_path) == (tmp_path / "admin-key").read_text().strip()
    assert (tmp_path / "admin-key").stat().st_mode & 0o777 == 0o600
    with pytest.raises(ValueError, match="rate limit must look like"):
        mock_config(Settings(rate_limit="fast", admin_key="k"))


def test_the_memory_budget_goes_from_the_environment_or_option_to_the_mock(tmp_path):
    from_env = mock_config(Settings.from_env({"HALO_SANDBOX_MEMORY_BUDGET": "1.5G"}, admin_key="k"))
    assert from_env.memory_budget_bytes == 1536 * 1024 * 1024
    given = Settings.from_env({"HALO_SANDBOX_MEMORY_BUDGET": "1.5G"}, admin_key="k", memory_budget="800M")
    assert mock_config(given).memory_budget_bytes == 800 * 1024 * 1024
    assert mock_config(Settings(admin_key="k", memory_budget="off")).memory_budget_bytes is None
    auto = mock_config(Settings(admin_key="k")).memory_budget_bytes  # the documented default: auto
    assert auto is not None and 256 * 1024 * 1024 <= auto <= 4 * 1024**3
    for bad in ("lots", "100M", "-1G"):
        with pytest.raises(ValueError, match="memory budget"):
            mock_config(Settings(admin_key="k", memory_budget=bad))


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"tickets": -1}, "tickets must be a non-negative integer"),
        ({"client_id": ""}, "client_id must not be empty"),
        ({"agent_password": ""}, "agent_password must not be empty"),
    ],
)
def test_the_sandbox_options_are_checked_where_the_mock_reads_them(given, message):
    settings = Settings.from_env({}, admin_key="k", **given)  # the command's settings take them as given
    with pytest.raises(ValueError, match=message):
        mock_config(settings)


def test_every_setting_can_be_given_as_a_typed_option():
    assert set(Given.__annotations__) == set(Settings.__dataclass_fields__)


def test_mcp_composes_its_server_from_its_settings(tmp_path):
    env = {"HALO_URL": "http://halo.example", "HALO_CLIENT_ID": "c", "HALO_CLIENT_SECRET": "s"}
    settings = Settings.from_env(env, methods=("read",), tags=("crm",), tool_exposure="discovery")
    server = build_standalone(settings)
    names = {tool.name for tool in server.tools}
    assert "list_all_halo_itsm_clients" in names and "list_all_halo_itsm_tickets" not in names
    assert not any(name.startswith(("create_", "update_", "delete_")) for name in names)
    assert (str(server.halo.base_url).rstrip("/"), server.exposure) == ("http://halo.example", "discovery")
    with_files = build_standalone(Settings.from_env(env, allowed_file_dir=tmp_path))
    assert any(tool.file_access for tool in with_files.tools)
    wide = build_standalone(Settings.from_env({**env, "HALO_SANDBOX_BREADTH": "1"}))
    assert len(wide.tools) > len(build_standalone(Settings.from_env(env)).tools) + 500


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({}, "HALO_URL"),
        ({"halo_url": "http://halo.example"}, "HALO_CLIENT_ID"),
        (
            {
                "halo_url": "http://h",
                "halo_client_id": "c",
                "halo_client_secret": "s",
                "tags": ("spaceships",),
            },
            "unknown tag",
        ),
        (
            {
                "halo_url": "http://h",
                "halo_client_id": "c",
                "halo_client_secret": "s",
                "tool_exposure": "some",
            },
            "unknown tool exposure",
        ),
        (
            {"halo_url": "http://h", "halo_client_id": "c", "allowed_file_dir": Path("/nonexistent")},
            "directory",
        ),
    ],
)
def test_mcp_refuses_settings_it_cannot_serve(given, message):
    with pytest.raises(ValueError, match=message):
        build_standalone(Settings.from_env({}, **given))


def test_up_and_mcp_listen_on_different_ports_by_default():
    settings = Settings()
    assert (settings.port, settings.mcp_port) == (DEFAULT_PORT, DEFAULT_MCP_PORT) == (8765, 8766)


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"port": 0}, "port must be a port number"),
        ({"mcp_port": 70000}, "mcp_port must be a port number"),
        ({"log_level": "loud"}, "log_level must be one of"),
        ({"transport": "carrier-pigeon"}, "transport must be one of"),
        ({"halo_timeout": 0}, "halo_timeout must be a positive number"),
    ],
)
def test_bad_values_are_refused_naming_the_field(given, message):
    with pytest.raises(ValueError, match=message):
        Settings.from_env({}, **given)


def test_bad_environment_values_name_the_variable_and_unknown_settings_are_refused():
    with pytest.raises(ValueError, match="HALO_SANDBOX_SEED must be a number, got 'three'"):
        Settings.from_env({"HALO_SANDBOX_SEED": "three"})
    with pytest.raises(TypeError, match="unknown settings: colour"):
        Settings.from_env({}, colour="red")


def test_every_variable_maps_to_a_field_and_is_named_for_its_side():
    fields = set(Settings.__dataclass_fields__)
    assert set(ENV) <= fields
    for name, var in ENV.items():
        assert var.startswith("HALO_") and var == var.upper()
        assert var.startswith("HALO_SANDBOX_") != name.startswith("halo_")  # HALO_* is the Halo behind `mcp`
