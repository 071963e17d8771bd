"""The state directory and the secrets in it: 0700 directory, 0600 files from the first byte;
the banner never prints an admin key the user gave."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from halo_sandbox.cli import shown_admin_key
from halo_sandbox.provisioning.registry import DB_FILE, KEY_FILE, Registry
from halo_sandbox.sandbox import stored_admin_key
from halo_sandbox.settings import ADMIN_KEY_FILE


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_first_start_creates_private_files_in_a_private_directory(tmp_path: Path) -> None:
    old = os.umask(0o022)  # a usual umask, under which plain creation gives 0755 / 0644
    try:
        state = tmp_path / "state"
        key = stored_admin_key(state)
        registry = Registry(state)
        registry.close()
    finally:
        os.umask(old)
    assert _mode(state) == 0o700
    for name in (ADMIN_KEY_FILE, KEY_FILE, DB_FILE):
        assert _mode(state / name) == 0o600, name
    assert stored_admin_key(state) == key  # kept


def test_an_existing_open_state_directory_is_narrowed(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir(mode=0o755)
    state.chmod(0o755)
    (state / ADMIN_KEY_FILE).write_text("old-key\n")
    (state / ADMIN_KEY_FILE).chmod(0o644)
    assert stored_admin_key(state) == "old-key"
    assert _mode(state) == 0o700 and _mode(state / ADMIN_KEY_FILE) == 0o600


def test_banner_shows_only_a_generated_key(tmp_path: Path) -> None:
    assert "secret-from-env" not in shown_admin_key("secret-from-env", "secret-from-env", tmp_path)
    generated = shown_admin_key(None, "generated-key", tmp_path)
    assert "generated-key" in generated and str(tmp_path / ADMIN_KEY_FILE) in generated
