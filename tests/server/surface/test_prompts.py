"""Prompts through the SDK client: arguments described, workflows rendered, bad arguments refused."""

import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError

from halo_sandbox.server.mcp_app import build_mcp_server

pytestmark = pytest.mark.anyio


async def test_prompts_describe_their_arguments_and_render_the_workflow(mock, halo):
    async with Client(build_mcp_server(halo=halo)) as client:
        prompts = {p.name: p for p in (await client.list_prompts()).prompts}
        triage = await client.get_prompt(
            "triage_request", {"client": "Wayne Enterprises", "problem": "cannot sign in to the VPN"}
        )
        health = await client.get_prompt("project_health", {"project": "Stark Industries Cloud Migration"})
        with pytest.raises(MCPError, match="missing: problem"):
            await client.get_prompt("triage_request", {"client": "Wayne Enterprises"})
        with pytest.raises(MCPError, match="unknown: colour"):
            await client.get_prompt("project_health", {"project": "x", "colour": "red"})
        with pytest.raises(MCPError, match="unknown prompt"):
            await client.get_prompt("nope", {})
    assert set(prompts) == {"triage_request", "project_health"}
    assert [a.name for a in prompts["triage_request"].arguments] == ["client", "problem"]
    assert all(a.description and a.required for p in prompts.values() for a in p.arguments)
    text = triage.messages[0].content.text
    assert "Wayne Enterprises" in text and "cannot sign in to the VPN" in text
    for tool in (
        "list_all_halo_itsm_clients",
        "list_all_halo_itsm_tickets",
        "list_all_halo_itsm_teams",
        "create_a_halo_itsm_ticket",
        "create_a_halo_itsm_action",
    ):
        assert tool in text
    text = health.messages[0].content.text
    assert "Stark Industries Cloud Migration" in text
    for tool in ("list_all_halo_itsm_projects", "list_all_halo_itsm_actions", "list_all_halo_itsm_quotes"):
        assert tool in text
