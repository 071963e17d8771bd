"""The provider against the documented required fields (`contracts.facts.REQUIRED_ON_CREATE`, from
mock_halo/FIDELITY.md, not from the mock's table): a create missing them is refused with 400 naming
every one of them (`[0].<field>`). The consumer side (each create tool
refuses the same call before Halo) is `test_strictness.py::test_creates_refuse_before_halo_...`."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from contracts._shared import MOCK_APP
from contracts.facts import REQUIRED_ON_CREATE


@pytest.fixture(scope="module")
def client(api_headers):
    with TestClient(MOCK_APP, headers=api_headers) as running:
        yield running


@pytest.mark.parametrize("resource", sorted(REQUIRED_ON_CREATE))
def test_a_create_missing_a_required_field_is_refused_naming_it(client, resource):
    path, required = REQUIRED_ON_CREATE[resource]
    response = client.post(f"/api{path}", json=[{}])
    assert response.status_code == 400, (resource, response.status_code, response.text[:300])
    body = response.json()
    for field in required:
        assert any(field in m for m in body.get(f"[0].{field}", [])), (
            f"POST {path} without {field} is not refused naming [0].{field}: {body}"
        )
