"""`halo-sandbox record` end to end against the pytest plugin's in-process mock (no socket)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from halo_sandbox.cli import app
from halo_sandbox.testing import mock_halo


def test_record_writes_a_snapshot_and_prints_a_summary(tmp_path: Path) -> None:
    out = tmp_path / "tenant.snapshot.json"
    with mock_halo(rate_limit=None) as halo:
        result = CliRunner().invoke(
            app,
            [
                "record",
                "--halo-url",
                halo.url,
                "--client-id",
                halo.client_id,
                "--client-secret",
                halo.client_secret,
                "--resources",
                "statuses,clients",
                "--resources",
                "tickets",
                "--max-records",
                "30",
                "--action-tickets",
                "2",
                "--out",
                str(out),
            ],
        )
        assert {e.method for e in halo.requests()} == {"POST", "GET"}
        assert [e.path for e in halo.requests("POST")] == ["/auth/token"]
    assert result.exit_code == 0, result.output
    assert "halo-sandbox up --snapshot" in result.output and "anonymised" in result.output
    tables = json.loads(out.read_text())["store"]["tables"]
    assert len(tables["clients"]) <= 30 + 0 and tables["statuses"] and tables["actions"]


def test_record_refuses_bad_options_and_changes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "t.json"
    base = ["record", "--client-id", "a", "--client-secret", "b", "--out", str(out)]
    result = CliRunner().invoke(app, [*base, "--halo-url", "ftp://x", "--resources", "tickets"])
    assert result.exit_code == 2 and "http(s) URL" in result.output
    result = CliRunner().invoke(
        app, [*base, "--halo-url", "https://x.haloitsm.com", "--resources", "widgets"]
    )
    assert result.exit_code == 2 and "unknown resource" in result.output
    assert not out.exists() and not Path(f"{out}.partial").exists()


def test_a_refused_token_is_a_clear_error(tmp_path: Path) -> None:
    out = tmp_path / "t.json"
    with mock_halo(rate_limit=None) as halo:
        result = CliRunner().invoke(
            app,
            [
                "record",
                "--halo-url",
                halo.url,
                "--client-id",
                halo.client_id,
                "--client-secret",
                "wrong",
                "--out",
                str(out),
            ],
        )
    assert result.exit_code == 1
    assert "token request was refused (401)" in result.output
    assert not out.exists() and not Path(f"{out}.partial").exists()
