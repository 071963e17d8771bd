"""`halo-sandbox mcp --transport stdio` as a subprocess (the SDK's stdio client), pointed at a running
sandbox's mock API like any Halo."""

from __future__ import annotations

import pytest
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client

from halo_sandbox.harness import clean_env
from tests._sandbox import CLI, CLIENT_ID, CLIENT_SECRET, Sandbox

pytestmark = [pytest.mark.e2e, pytest.mark.anyio]


def _stdio(sandbox: Sandbox, *extra: str, **env: str) -> StdioServerParameters:
    return StdioServerParameters(
        command=CLI,
        args=["mcp", "--transport", "stdio", "--halo-url", sandbox.base, *extra],
        env=clean_env(**env),
    )


# Run at interpreter start-up (PYTHONPATH): refuses any import of the mock, which the command must never need.
NO_MOCK = """
import sys


class _NoMock:
    def find_spec(self, name, path=None, target=None):
        if name == "halo_sandbox.mock" or name.startswith("halo_sandbox.mock."):
            raise ImportError("the mcp command imported " + name)
        return None


sys.meta_path.insert(0, _NoMock())
"""


async def test_stdio_server_works_against_a_running_sandbox(sandbox: Sandbox, tmp_path):
    (tmp_path / "sitecustomize.py").write_text(NO_MOCK)
    params = _stdio(
        sandbox, "--client-id", CLIENT_ID, "--client-secret", CLIENT_SECRET, PYTHONPATH=str(tmp_path)
    )
    async with Client(params, mode="legacy") as client:
        tools = {t.name for t in (await client.list_tools()).tools}
        wayne = await client.call_tool("get_single_halo_itsm_client_by_id", {"id": 104})
        teams = await client.read_resource("halo://lookups/teams")
    assert {"list_all_halo_itsm_tickets", "create_a_halo_itsm_ticket"} <= tools
    assert wayne.structured_content["result"]["name"] == sandbox.api("/Client/104")["name"]
    assert "Network Operations" in teams.contents[0].text
    assert [c["path"] for c in sandbox.journal(tool="get_single_halo_itsm_client_by_id")] == [
        "/api/Client/104"
    ]


async def test_debug_log_level_logs_each_upstream_request_to_stderr(sandbox: Sandbox, tmp_path):
    params = _stdio(
        sandbox, "--client-id", CLIENT_ID, "--client-secret", CLIENT_SECRET, "--log-level", "debug"
    )
    with (tmp_path / "stderr.txt").open("w+", encoding="utf-8") as errlog:
        async with Client(stdio_client(params, errlog=errlog)) as client:
            result = await client.call_tool("get_single_halo_itsm_client_by_id", {"id": 104})
        errlog.seek(0)
        logged = errlog.read()
    assert not result.is_error
    assert "halo_sandbox.upstream DEBUG GET /api/Client/104 -> 200 (" in logged
    assert CLIENT_SECRET not in logged and "Bearer" not in logged


async def test_stdio_takes_credentials_from_env_and_filters_tools(sandbox: Sandbox):
    params = _stdio(
        sandbox,
        "--methods",
        "read",
        "--tags",
        "crm",
        HALO_CLIENT_ID=CLIENT_ID,
        HALO_CLIENT_SECRET=CLIENT_SECRET,
    )
    async with Client(params, mode="legacy") as client:
        tools = {t.name for t in (await client.list_tools()).tools}
        hidden = await client.call_tool("create_a_halo_itsm_client", {"name": "Not allowed"})
    assert "list_all_halo_itsm_clients" in tools and "get_single_halo_itsm_user_by_id" in tools
    assert not any(name.startswith(("create_", "update_", "delete_")) for name in tools)
    assert "list_all_halo_itsm_tickets" not in tools
    assert hidden.is_error
    assert sandbox.journal(tool="create_a_halo_itsm_client") == []


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--transport", "carrier-pigeon"], "choose stdio, http or sse"),
        (["--tags", "spaceships"], "spaceships"),
        (["--methods", "fly"], "unknown method"),
    ],
)
def test_bad_options_are_refused_with_a_clear_message(extra: list[str], message: str):
    import subprocess

    done = subprocess.run(
        [CLI, "mcp", "--halo-url", "http://127.0.0.1:9", "--client-id", "c", "--client-secret", "s", *extra],
        capture_output=True,
        text=True,
        env=clean_env(),
        timeout=60,
    )
    assert done.returncode == 2
    assert message in " ".join(done.stderr.split())
