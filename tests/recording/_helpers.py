"""Shared by the recording tests (imported by test files and the conftest alike)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from halo_sandbox.mock.http.routes import halo_list
from halo_sandbox.mock.tenants import Tenant, TenantRegistry
from halo_sandbox.recording.client import Credentials, ReadOnlyHalo

LIVE_URL = "http://live-halo.test"


@dataclass
class Live:
    """The sandbox playing the live tenant."""

    registry: TenantRegistry
    transport: httpx.ASGITransport

    @property
    def tenant(self) -> Tenant:
        return self.registry.get()

    def client(self, **options: Any) -> ReadOnlyHalo:
        options.setdefault("rate", None)
        creds = Credentials(halo_url=LIVE_URL, client_id="halo-sandbox", client_secret="halo-sandbox-secret")
        return ReadOnlyHalo(creds, transport=self.transport, **options)

    async def journal(self) -> list[dict[str, Any]]:
        """What reached the live tenant, from its own ``/_sandbox/requests``."""
        async with httpx.AsyncClient(transport=self.transport, base_url=LIVE_URL) as http:
            answer = (await http.get("/_sandbox/requests", params={"limit": "100000"})).json()
        return sorted(answer["requests"], key=lambda e: e["id"])

    def rows(self, resource: str) -> list[dict[str, Any]]:
        answer = halo_list(self.tenant.store, resource, {"count": "100000"})
        return list(
            answer if isinstance(answer, list) else next(v for v in answer.values() if isinstance(v, list))
        )
