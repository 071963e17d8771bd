"""Tests of `halo_sandbox.console`."""

import pytest


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
