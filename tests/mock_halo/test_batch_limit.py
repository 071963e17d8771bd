"""A batch POST carries at most `MockSettings.max_batch_records` records: more is refused with 413
naming the cap before anything is saved (the answer holds every saved record in full, so the cap
bounds what one request can make the server build)."""

from __future__ import annotations

import json

import httpx
import pytest

from halo_sandbox.mock.config import MockSettings
from halo_sandbox.mock.tenants import TenantRegistry

pytestmark = pytest.mark.anyio
H = dict[str, str]
CAP = 20


@pytest.fixture
def settings() -> MockSettings:
    return MockSettings(max_batch_records=CAP)


def _state(registry: TenantRegistry) -> str:
    snapshot = registry.snapshot()
    return json.dumps({"store": snapshot["store"], "generic": snapshot["generic"]}, sort_keys=True)


@pytest.mark.parametrize(
    ("path", "item"),
    [("/api/Tickets", {"summary": "bulk", "client_id": 104}), ("/api/Supplier", {"name": "Bulk Ltd"})],
)
async def test_a_batch_over_the_cap_is_refused_whole_and_names_the_cap(
    client: httpx.AsyncClient, auth_headers: H, registry: TenantRegistry, path: str, item: dict
) -> None:
    before = _state(registry)
    for size in (CAP + 1, 5_000):
        refused = await client.post(path, headers=auth_headers, json=[item] * size)
        assert refused.status_code == 413, refused.text
        message = refused.json()["message"]
        assert f"at most {CAP} records" in message and "max_batch_records" in message
        assert str(size) in message
    assert _state(registry) == before
    accepted = await client.post(path, headers=auth_headers, json=[item] * CAP)
    assert accepted.status_code == 200 and len(accepted.json()) == CAP


async def test_an_accepted_batch_answers_every_saved_record_in_full(
    client: httpx.AsyncClient, auth_headers: H
) -> None:
    """Halo answers a batch with the saved records (FIDELITY.md); big or small, the answer is each
    record as a read of it answers."""
    body = [{"summary": f"answered {i}", "client_id": 104} for i in range(CAP)]
    answer = (await client.post("/api/Tickets", headers=auth_headers, json=body)).json()
    assert [row["summary"] for row in answer] == [item["summary"] for item in body]
    for row in answer[:3]:
        read = await client.get(f"/api/Tickets/{row['id']}", headers=auth_headers)
        assert read.json() == row


@pytest.mark.parametrize("value", [0, -1, True, "1000"])
def test_the_cap_is_a_positive_integer(value: object) -> None:
    with pytest.raises(ValueError, match="max_batch_records"):
        MockSettings(max_batch_records=value)  # type: ignore[arg-type]
