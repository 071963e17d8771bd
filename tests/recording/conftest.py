"""A sandbox standing in for a live Halo: the mock in-process (no socket), reached through httpx's ASGI
transport, with its request journal and its store to compare against."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from halo_sandbox.mock.config import MockSettings
from halo_sandbox.mock.http.app import create_app
from halo_sandbox.mock.tenants import TenantRegistry
from tests.recording._helpers import Live


@pytest.fixture
def make_live() -> Callable[..., Live]:
    def make(**settings: Any) -> Live:
        settings.setdefault("seed", 7)
        settings.setdefault("rate_limit", None)
        settings.setdefault("journal_size", 100_000)
        registry = TenantRegistry(MockSettings(**settings))
        return Live(registry=registry, transport=httpx.ASGITransport(app=create_app(registry=registry)))

    return make


@pytest.fixture
async def live(make_live: Callable[..., Live]) -> AsyncIterator[Live]:
    yield make_live()
