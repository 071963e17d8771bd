"""The README's three commands: record a tenant, serve it with `halo-sandbox up --snapshot`, and call an
MCP tool on it (a real `up` process on 127.0.0.1); a reset goes back to the recording."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from halo_sandbox.recording.recorder import RecordOptions, record
from halo_sandbox.testing.process import SandboxProcess
from tests.recording._helpers import Live

pytestmark = pytest.mark.anyio

KEY = b"e" * 32


async def _recorded(live: Live, tmp_path: Path) -> Path:
    out = tmp_path / "tenant.snapshot.json"
    async with live.client() as halo:
        await record(halo, RecordOptions(out=out, action_tickets=5, anonymise_key=KEY))
    return out


@pytest.mark.e2e
async def test_up_serves_the_recorded_tenant_to_an_mcp_client(live: Live, tmp_path: Path) -> None:
    out = await _recorded(live, tmp_path)
    ticket: dict[str, Any] = live.rows("tickets")[-1]
    sandbox = SandboxProcess("--snapshot", str(out), "--state-dir", str(tmp_path / "state"))
    try:
        async with Client(sandbox.mcp_url) as client:
            result = await client.call_tool("get_single_halo_itsm_ticket_by_id", {"id": ticket["id"]})
        assert not result.is_error
        served = result.structured_content["result"]
        assert (served["id"], served["client_id"], served["status_id"]) == (
            ticket["id"],
            ticket["client_id"],
            ticket["status_id"],
        )
        assert served["summary"] != ticket["summary"]  # anonymised
        sandbox.reset()  # back to the recording, not to the seed world
        async with Client(sandbox.mcp_url) as client:
            again = await client.call_tool("get_single_halo_itsm_ticket_by_id", {"id": ticket["id"]})
        assert again.structured_content["result"]["summary"] == served["summary"]
    finally:
        sandbox.stop()
