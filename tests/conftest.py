"""Suite-wide fixtures and options, the one place they are written:

- ``anyio_backend``: anyio tests run on asyncio.
- ``sandbox`` (and ``sandbox_process``, not reset, for module-scoped fixtures): the pytest plugin's
  real `halo-sandbox up` (the process behind its ``halo_sandbox`` fixture: one per session and xdist
  worker) as a `tests._sandbox.Sandbox`, reset to its seed before each test.
- ``--long`` runs the full-size reliability tests (marked ``slow``).

Helpers shared by test files live in modules (`tests/_sandbox.py`, `tests/<area>/_helpers.py`),
never in a conftest: no test file imports a conftest."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests._sandbox import Sandbox


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


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def sandbox_process(_halo_sandbox_process: Any) -> Iterator[Sandbox]:
    """The pytest plugin's `up` process (the one behind its ``halo_sandbox`` fixture) as a `Sandbox`,
    for module-scoped fixtures; not reset: reset it yourself."""
    wrapped = Sandbox(_halo_sandbox_process.process)
    try:
        yield wrapped
    finally:
        wrapped.close()


@pytest.fixture
def sandbox(sandbox_process: Sandbox) -> Sandbox:
    """The shared `up` process, its default tenant reset to the seed for this test."""
    sandbox_process.reset()
    return sandbox_process
