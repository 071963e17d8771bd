"""Suite-wide options: `--long` runs the full-size reliability tests (marked `slow`)."""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--long",
        action="store_true",
        default=False,
        help="run long-running tests (marked slow) and full-size reliability loads",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--long"):
        return
    skip = pytest.mark.skip(reason="long-running: pass --long")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)
