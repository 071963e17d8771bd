"""Tests of `halo_sandbox.provisioning` (registry, routes, CLI)."""

import pytest


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
