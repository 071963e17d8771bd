"""Real processes for the reliability suite: the suite's shared `halo-sandbox up` with its rate limit
off (so load is not refused), and a `halo-sandbox mock` + `halo-sandbox mcp` pair (`_split.py`)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests._sandbox import Sandbox, start_sandbox, stop_sandbox
from tests.reliability._split import SplitPair


@pytest.fixture(scope="session")
def long_run(request: pytest.FixtureRequest) -> bool:
    """True with `--long`: tests use their full sizes."""
    return bool(request.config.getoption("--long"))


@pytest.fixture
def sandbox(sandbox: Sandbox) -> Sandbox:
    """The suite's shared `up` process (tests/conftest.py), reset, with the rate limit off for this
    test (the next test's reset turns it back on)."""
    sandbox.admin("PUT", "/ratelimit", json={"enabled": False})
    return sandbox


@pytest.fixture
def up(tmp_path: Path) -> Iterator[Sandbox]:
    """A `halo-sandbox up` of the test's own (its caps and budgets filled by the test alone)."""
    sandbox = start_sandbox(tmp_path / "state")
    try:
        yield sandbox
    finally:
        stop_sandbox(sandbox)


@pytest.fixture(scope="module")
def split_pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SplitPair]:
    pair = SplitPair(tmp_path_factory.mktemp("split-state"))
    try:
        pair.start_mock()
        pair.start_mcp()
        yield pair
    finally:
        pair.close()
