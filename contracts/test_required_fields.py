"""The provider against the documented required fields (`contracts.facts.REQUIRED_ON_CREATE`, from
mock_halo/FIDELITY.md, not from the mock's table). Halo's document requires no field, so these are the
mock's own checks: a strict tenant refuses a create missing them with 400 naming every one of them
(`[0].<field>`); any other tenant saves it and reports each (`X-Sandbox-Ignored`). The consumer side
(each create tool refuses the same call before Halo) is
`test_strictness.py::test_creates_refuse_before_halo_...`."""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient

from contracts._shared import MOCK_APP, token_headers
from contracts.facts import NEEDED_BY_HALO, REQUIRED_ON_CREATE


@pytest.fixture(scope="module")
def strict_client():
    tenant = f"contracts-strict-{uuid.uuid4().hex[:8]}"
    with TestClient(MOCK_APP, headers=token_headers(MOCK_APP, tenant)) as running:
        assert running.put("/_sandbox/strict", json={"enabled": True}).status_code == 200
        yield running


@pytest.fixture(scope="module")
def client(api_headers):
    with TestClient(MOCK_APP, headers=api_headers) as running:
        yield running


@pytest.mark.parametrize("resource", sorted(REQUIRED_ON_CREATE))
def test_a_strict_create_missing_a_required_field_is_refused_naming_it(strict_client, resource):
    path, required = REQUIRED_ON_CREATE[resource]
    response = strict_client.post(f"/api{path}", json=[{}])
    assert response.status_code == 400, (resource, response.status_code, response.text[:300])
    body = response.json()
    for field in required:
        assert any(field in m for m in body.get(f"[0].{field}", [])), (
            f"POST {path} without {field} is not refused naming [0].{field}: {body}"
        )


_CONTENT = {"attachments": {"data_base64": "aGk="}}
"""What a create needs besides the fields above: an attachment's bytes (FIDELITY.md, "Attachments",
source S3)."""


@pytest.mark.parametrize("resource", sorted(REQUIRED_ON_CREATE))
def test_otherwise_the_create_is_saved_and_each_missing_field_reported(client, resource):
    path, required = REQUIRED_ON_CREATE[resource]
    response = client.post(f"/api{path}", json=[_CONTENT.get(resource, {})])
    if resource in NEEDED_BY_HALO:  # a source says Halo needs it: refused in every mode
        assert response.status_code == 400, (resource, response.text[:300])
        return
    assert response.status_code == 200, (resource, response.status_code, response.text[:300])
    for field in required:
        assert f"body [0].{field}: The {field} field is required." in response.headers["x-sandbox-ignored"]
