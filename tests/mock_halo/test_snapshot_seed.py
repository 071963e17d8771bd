"""A snapshot as the default tenant's seed (`MockSettings.snapshot`: `up --snapshot`, `mock --snapshot`)
and the pytest plugin's `halo_mock` given a snapshot: served as it is, and a reset goes back to it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from halo_sandbox.mock.config import MockSettings
from halo_sandbox.mock.domain.store import HaloStore
from halo_sandbox.mock.http.routes import halo_list
from halo_sandbox.mock.tenants import TenantRegistry
from halo_sandbox.testing import mock_halo


def _edited_snapshot(tmp_path: Path) -> Path:
    """A snapshot of a seed-3 tenant with one client renamed and one client added."""
    registry = TenantRegistry(MockSettings(seed=3))
    store = registry.get().store
    first = halo_list(store, "clients", {"pageinate": "true", "page_size": "1"})["clients"][0]
    store.post(resource="clients", body=[{"id": first["id"], "name": "Recorded Client Ltd"}])
    store.post(resource="clients", body=[{"name": "Only In The Recording"}])
    path = tmp_path / "tenant.snapshot.json"
    path.write_text(json.dumps(registry.snapshot()), encoding="utf-8")
    return path


def _client_names(store: HaloStore) -> set[str]:
    answer = halo_list(store, "clients", {"count": "10000"})
    return {c["name"] for c in answer["clients"]}


def test_the_default_tenant_is_the_snapshot_and_reset_goes_back_to_it(tmp_path: Path) -> None:
    path = _edited_snapshot(tmp_path)
    registry = TenantRegistry(MockSettings(snapshot=path))
    tenant = registry.get()
    assert {"Recorded Client Ltd", "Only In The Recording"} <= _client_names(tenant.store)
    recorded_ids = [c["id"] for c in json.loads(path.read_text())["store"]["tables"]["clients"]]
    tenant.store.post(resource="clients", body=[{"name": "Made After Loading"}])
    made = halo_list(tenant.store, "clients", {"search": "Made After Loading"})["clients"][0]
    assert made["id"] > max(recorded_ids)  # ids continue after the recorded ones
    registry.reset()
    names = _client_names(registry.get().store)
    assert "Made After Loading" not in names
    assert {"Recorded Client Ltd", "Only In The Recording"} <= names
    # another tenant of the same instance is still the seed world
    assert "Only In The Recording" not in _client_names(registry.get("other").store)


@pytest.mark.parametrize(
    ("content", "message"),
    [("{not json", "not JSON"), ('{"format": "something-else"}', "not a halo-sandbox snapshot")],
)
def test_a_bad_snapshot_file_is_refused_before_serving(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        TenantRegistry(MockSettings(snapshot=path))
    with pytest.raises(ValueError, match="cannot read"):
        TenantRegistry(MockSettings(snapshot=tmp_path / "missing.json"))


def test_the_plugins_mock_resets_to_its_snapshot(tmp_path: Path) -> None:
    path = _edited_snapshot(tmp_path)
    with mock_halo(snapshot=path) as halo:
        halo.store.post(resource="clients", body=[{"name": "Made In The Test"}])
        halo.reset()
        names = _client_names(halo.store)
        assert "Made In The Test" not in names
        assert "Only In The Recording" in names


@pytest.mark.parametrize("command", ["mock", "up"])
def test_the_commands_refuse_a_bad_snapshot_with_a_clear_error(
    tmp_path: Path, command: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from halo_sandbox import cli
    from halo_sandbox.cli import app

    monkeypatch.setattr(cli, "_log_to_stderr", lambda level: None)  # the process's loggers stay as they are

    path = tmp_path / "bad.json"
    path.write_text('{"format": "halo-sandbox-snapshot/1"}', encoding="utf-8")
    result = CliRunner().invoke(
        app, [command, "--snapshot", str(path), "--port", "1", "--state-dir", str(tmp_path / "state")]
    )
    assert result.exit_code == 2
    assert "not a halo-sandbox snapshot" in result.output and "Ready" not in result.output


def test_a_snapshots_own_custom_field_definitions_round_trip_and_bad_ones_change_nothing() -> None:
    from halo_sandbox.mock.exceptions import ValidationError

    registry = TenantRegistry(MockSettings())
    doc = registry.snapshot()
    assert "custom_fields" not in doc["store"]  # a seeded tenant uses the resource table's definitions
    doc["store"]["custom_fields"] = {"clients": [{"id": 7, "name": "CFTier", "label": "Tier", "type": 2}]}
    registry.restore(None, doc)
    again = registry.snapshot()
    assert again["store"]["custom_fields"] == {
        "clients": [{"id": 7, "name": "CFTier", "label": "Tier", "type": 2}]
    }
    some = halo_list(registry.get().store, "clients", {"count": "1"})["clients"][0]
    detail = registry.get().store.get(resource="clients", id=some["id"])
    assert [f["name"] for f in detail["customfields"]] == ["CFTier"]
    for bad in (
        {"widgets": []},
        {"clients": [{"id": "7", "name": "x"}]},
        {"clients": [{"id": 1, "name": "a"}] * 2},
    ):
        broken = {**again, "store": {**again["store"], "custom_fields": bad}}
        with pytest.raises(ValidationError):
            registry.restore(None, broken)
    assert registry.snapshot()["store"]["custom_fields"] == again["store"]["custom_fields"]
