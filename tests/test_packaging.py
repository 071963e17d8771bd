"""The distribution installs one import package, `halo_sandbox`, with every subpackage, including those of
the repository folders linked into it (ARCHITECTURE.md, "Layout")."""

from __future__ import annotations

import os
from pathlib import Path

from setuptools import find_packages

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"


def test_one_top_level_package_and_every_subpackage_found():
    found = set(find_packages(where=str(SRC)))
    expected = {
        ".".join(Path(folder).relative_to(SRC).parts)
        for folder, _dirs, files in os.walk(SRC, followlinks=True)
        if "__init__.py" in files
    }
    assert found == expected
    assert {name.split(".")[0] for name in found} == {"halo_sandbox"}
    assert {"halo_sandbox.server", "halo_sandbox.mock.http", "halo_sandbox.mock.domain.rules"} <= found


def test_repository_folders_are_linked_under_the_root():
    package = SRC / "halo_sandbox"
    for name, folder in (("server", "server"), ("mock", "mock_halo"), ("fixtures", "fixtures")):
        link = package / name
        assert link.is_symlink(), f"{link} should be a link to {folder}/"
        assert link.resolve() == ROOT / folder
        assert (ROOT / folder / "__init__.py").exists()
