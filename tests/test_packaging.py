"""The distribution installs one import package, `halo_sandbox`, and every subpackage of the folders mapped
under it (a subpackage missing from pyproject's `packages` list would be left out of the wheel)."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _setuptools() -> dict:
    with (ROOT / "pyproject.toml").open("rb") as fh:
        return tomllib.load(fh)["tool"]["setuptools"]


def test_one_top_level_package_and_every_subpackage_listed():
    config = _setuptools()
    mapping: dict[str, str] = config["package-dir"]
    assert {name.split(".")[0] for name in mapping} == {"halo_sandbox"}
    found = set()
    for package, folder in mapping.items():
        base = ROOT / folder
        for init in base.rglob("__init__.py"):
            relative = init.parent.relative_to(base).parts
            found.add(".".join((package, *relative)))
    # a subpackage under a mapped folder that is itself mapped is found twice, under the same name
    assert sorted(config["packages"]) == sorted(found)
    assert all(name == "halo_sandbox" or name.startswith("halo_sandbox.") for name in config["packages"])


def test_repository_folders_are_mapped_under_the_root():
    mapping = _setuptools()["package-dir"]
    assert mapping["halo_sandbox"] == "src/halo_sandbox"
    assert (mapping["halo_sandbox.server"], mapping["halo_sandbox.mock"], mapping["halo_sandbox.fixtures"]) == (
        "server", "mock_halo", "fixtures")
    for folder in mapping.values():
        assert (ROOT / folder / "__init__.py").exists(), folder
