"""`drift()` between the mock and a sandbox playing the live Halo: none between two sandboxes of this
version (other seed, other data), and exactly the reshaped fields when fault rules reshape answers."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from halo_sandbox.cli import app
from halo_sandbox.recording.client import Credentials, ReadOnlyHalo
from halo_sandbox.recording.drift import DriftReport, drift, sandbox_mock
from halo_sandbox.testing import mock_halo
from tests.recording._helpers import Live

pytestmark = pytest.mark.anyio


async def _drift(live: Live) -> DriftReport:
    creds = Credentials(
        halo_url="http://mock.test", client_id="halo-sandbox", client_secret="halo-sandbox-secret"
    )
    async with live.client() as halo, ReadOnlyHalo(creds, transport=sandbox_mock(), rate=None) as mock:
        return await drift(halo, mock)


async def test_two_sandboxes_of_this_version_do_not_drift(live: Live) -> None:
    report = await _drift(live)
    assert report.findings == []
    assert report.agree and "tickets" in report.resources


async def test_each_reshaped_field_is_named_and_nothing_else(live: Live) -> None:
    async with live.client() as halo:
        clients = await halo.get_json("/Client", {"pageinate": "true", "page_size": "100", "page_no": "1"})
        first = clients["clients"][0]
        record = await halo.get_json(f"/Client/{first['id']}")
        sites = await halo.get_json("/Site", {"pageinate": "true", "page_size": "100", "page_no": "1"})
        tickets = await halo.get_json("/Tickets", {"pageinate": "true", "page_size": "100", "page_no": "1"})
    assert tickets["record_count"] > 100
    faults = live.tenant.faults
    # an extra field on one record
    faults.add(
        method="GET", path=f"/api/client/{first['id']}", status=200, body={**record, "x_region": "EMEA"}
    )
    # a renamed envelope key
    sites["site_list"] = sites.pop("sites")
    faults.add(method="GET", path="/api/site", status=200, body=sites)
    # a page-size cap of 50
    faults.add(
        method="GET", path="/api/tickets", status=200, body={**tickets, "tickets": tickets["tickets"][:50]}
    )
    report = await _drift(live)
    found = {(f.resource, f.where, f.aspect, f.name, f.live, f.mock) for f in report.findings}
    assert found == {
        ("clients", "record", "field", "x_region", "string", "absent"),
        ("sites", "list", "list key", "", "site_list", "sites"),
        ("tickets", "list", "page size cap", "", "50", "100"),
    }


def test_the_drift_command_prints_a_table_writes_json_and_exits_1_on_drift(tmp_path: Path) -> None:
    out = tmp_path / "drift.json"
    with mock_halo(rate_limit=None) as halo:
        base = [
            "drift",
            "--halo-url",
            halo.url,
            "--client-id",
            halo.client_id,
            "--client-secret",
            halo.client_secret,
            "--json",
            str(out),
        ]
        agreeing = CliRunner().invoke(app, base)
        assert {e.method for e in halo.requests()} == {"POST", "GET"}
        halo.faults.add(
            method="GET", path="/api/status", status=200, body=[{"id": 1, "name": "New", "extra": 1}]
        )
        drifting = CliRunner().invoke(app, base)
    assert agreeing.exit_code == 0, agreeing.output
    assert "No drift" in agreeing.output
    assert drifting.exit_code == 1, drifting.output
    assert "extra" in drifting.output
    report = json.loads(out.read_text())
    assert report["agree"] is False
    assert any(f["name"] == "extra" for f in report["resources"]["statuses"]["findings"])
