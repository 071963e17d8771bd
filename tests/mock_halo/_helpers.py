"""Shared by the mock's tests (imported by test files and the conftest alike)."""

from __future__ import annotations

import copy
from typing import Any

import httpx

BASE_URL = "http://mock.test"
CLIENT_ID = "halo-sandbox"
CLIENT_SECRET = "halo-sandbox-secret"


async def fetch_token(
    client: httpx.AsyncClient,
    *,
    tenant: str | None = None,
    scope: str | None = None,
    client_id: str = CLIENT_ID,
    client_secret: str = CLIENT_SECRET,
) -> str:
    data = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": client_secret}
    if scope is not None:
        data["scope"] = scope
    if tenant is not None:
        data["tenant"] = tenant
    response = await client.post("/auth/token", data=data)
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


class FakeStore:
    """The two construction seams of `HaloStore` over a dict of tables (control-plane tests only)."""

    def __init__(
        self, *, seed_data: dict[str, list[dict[str, Any]]], clock: Any, max_attachment_bytes: int
    ) -> None:
        self.tables = copy.deepcopy(seed_data)
        self.clock = clock
        self.max_attachment_bytes = max_attachment_bytes

    def snapshot(self) -> dict[str, Any]:
        return {"tables": copy.deepcopy(self.tables)}

    @classmethod
    def from_snapshot(cls, data: dict[str, Any], *, clock: Any, max_attachment_bytes: int) -> FakeStore:
        tables = data["tables"]
        if not isinstance(tables, dict) or not all(isinstance(v, list) for v in tables.values()):
            raise ValueError("tables must map names to lists of records")
        return cls(seed_data=tables, clock=clock, max_attachment_bytes=max_attachment_bytes)


def tiny_world(*, seed: int, now: Any, tickets: int | None = None) -> dict[str, list[dict[str, Any]]]:
    return {"tickets": [{"id": 1, "summary": f"seed {seed}"}], "clients": [{"id": 104, "name": "Wayne"}]}
