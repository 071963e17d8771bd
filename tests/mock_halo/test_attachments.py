"""Attachments over HTTP: base64 upload, metadata lists, raw byte download, size limits."""

from __future__ import annotations

import base64

import httpx
import pytest

from halo_sandbox.mock.config import MockSettings

pytestmark = pytest.mark.anyio
H = dict[str, str]
LIMIT = 1024


@pytest.fixture
def settings() -> MockSettings:
    return MockSettings(rate_limit=None, max_attachment_bytes=LIMIT, max_body_bytes=8 * LIMIT)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


async def count(client: httpx.AsyncClient, headers: H, ticket_id: int = 45920) -> int:
    body = (await client.get("/api/Attachment", headers=headers, params={"ticket_id": str(ticket_id)})).json()
    return body["record_count"]


async def test_upload_list_and_download(client: httpx.AsyncClient, auth_headers: H) -> None:
    png = b"\x89PNG\r\n\x1a\n" + bytes(range(40))
    response = await client.post(
        "/api/Attachment",
        headers=auth_headers,
        json=[{"ticket_id": 45920, "filename": "tunnel.png", "data_base64": b64(png)}],
    )
    assert response.status_code == 200
    meta = response.json()
    assert meta["filesize"] == len(png) and meta["content_type"] == "image/png" and meta["isimage"] is True
    assert "data_base64" not in meta and "data" not in meta

    listed = (await client.get("/api/Attachment", headers=auth_headers, params={"ticket_id": "45920"})).json()
    assert meta["id"] in [a["id"] for a in listed["attachments"]] and listed["record_count"] == 3
    assert all("data" not in a and "data_base64" not in a for a in listed["attachments"])

    download = await client.get(f"/api/Attachment/{meta['id']}", headers=auth_headers)
    assert download.status_code == 200 and download.content == png
    assert download.headers["content-type"] == "image/png"
    assert 'filename="tunnel.png"' in download.headers["content-disposition"]

    ticket = (await client.get("/api/Tickets/45920", headers=auth_headers)).json()
    assert ticket["attachment_count"] == 3


async def test_seeded_attachments_download(client: httpx.AsyncClient, auth_headers: H) -> None:
    listed = (await client.get("/api/Attachment", headers=auth_headers, params={"ticket_id": "45920"})).json()
    names = {a["filename"]: a for a in listed["attachments"]}
    assert "traceroute.txt" in names
    download = await client.get(f"/api/Attachment/{names['traceroute.txt']['id']}", headers=auth_headers)
    assert download.headers["content-type"].startswith("text/plain") and len(download.content) > 0
    assert len(download.content) == names["traceroute.txt"]["filesize"]


async def test_upload_in_data_with_an_action(client: httpx.AsyncClient, auth_headers: H) -> None:
    response = await client.post(
        "/api/Attachment",
        headers=auth_headers,
        json={"ticket_id": 45920, "action_id": 2, "filename": "notes.txt", "data": b64(b"call notes")},
    )
    assert response.status_code == 200 and response.json()["action_id"] == 2
    by_action = (
        await client.get(
            "/api/Attachment", headers=auth_headers, params={"ticket_id": "45920", "action_id": "2"}
        )
    ).json()
    assert [a["filename"] for a in by_action["attachments"]] == ["notes.txt"]
    download = await client.get(f"/api/Attachment/{response.json()['id']}", headers=auth_headers)
    assert download.content == b"call notes"


_UNLINKED = [  # the mock's own checks: refused in strict mode, accepted and reported otherwise
    ({"ticket_id": 99999999, "filename": "x.txt", "data_base64": "aGk="}, "[0].ticket_id"),
    ({"filename": "x.txt", "data_base64": "aGk="}, "[0].ticket_id"),
    ({"ticket_id": 45920, "action_id": 999, "data_base64": "aGk="}, "[0].action_id"),
]


@pytest.mark.parametrize(
    "item, field, strict",
    [
        ({"ticket_id": 45920, "filename": "x.txt", "data_base64": "not base64!!"}, "[0].data_base64", False),
        ({"ticket_id": 45920, "filename": "x.txt"}, "[0].data_base64", False),
        *[(item, field, True) for item, field in _UNLINKED],
    ],
)
async def test_bad_uploads_are_400_and_store_nothing(
    client: httpx.AsyncClient, auth_headers: H, item: dict, field: str, strict: bool
) -> None:
    await client.put("/_sandbox/strict", json={"enabled": strict})
    before = await count(client, auth_headers)
    response = await client.post("/api/Attachment", headers=auth_headers, json=[item])
    assert response.status_code == 400 and field in response.json(), response.text
    assert await count(client, auth_headers) == before


@pytest.mark.parametrize(("item", "field"), _UNLINKED)
async def test_unlinked_uploads_are_stored_and_reported_outside_strict_mode(
    client: httpx.AsyncClient, auth_headers: H, item: dict, field: str
) -> None:
    response = await client.post("/api/Attachment", headers=auth_headers, json=[item])
    assert response.status_code == 200, response.text
    assert f"body {field}:" in response.headers["x-sandbox-ignored"]
    download = await client.get(f"/api/Attachment/{response.json()['id']}", headers=auth_headers)
    assert download.content == b"hi"


async def test_decoded_size_over_the_limit_is_413_and_stores_nothing(
    client: httpx.AsyncClient, auth_headers: H
) -> None:
    before = await count(client, auth_headers)
    ok = {"ticket_id": 45920, "filename": "ok.bin", "data_base64": b64(b"x" * LIMIT)}
    too_big = {"ticket_id": 45920, "filename": "big.bin", "data_base64": b64(b"x" * (LIMIT + 1))}
    response = await client.post("/api/Attachment", headers=auth_headers, json=[ok, too_big])
    assert response.status_code == 413 and str(LIMIT) in response.json()["message"]
    assert await count(client, auth_headers) == before
    assert (await client.post("/api/Attachment", headers=auth_headers, json=[ok])).status_code == 200


async def test_request_body_over_the_limit_is_413(client: httpx.AsyncClient, auth_headers: H) -> None:
    before = await count(client, auth_headers)
    huge = {"ticket_id": 45920, "filename": "huge.bin", "data_base64": b64(b"x" * (8 * LIMIT))}
    response = await client.post("/api/Attachment", headers=auth_headers, json=[huge])
    assert response.status_code == 413
    assert await count(client, auth_headers) == before


async def test_unknown_attachment_is_404(client: httpx.AsyncClient, auth_headers: H) -> None:
    response = await client.get("/api/Attachment/424242", headers=auth_headers)
    assert response.status_code == 404 and "424242" in response.json()["message"]


async def test_delete_attachment(client: httpx.AsyncClient, auth_headers: H) -> None:
    created = (
        await client.post(
            "/api/Attachment",
            headers=auth_headers,
            json={"ticket_id": 45931, "filename": "a.txt", "data_base64": "aGk="},
        )
    ).json()
    assert (await client.delete(f"/api/Attachment/{created['id']}", headers=auth_headers)).status_code == 200
    assert (await client.get(f"/api/Attachment/{created['id']}", headers=auth_headers)).status_code == 404
    assert await count(client, auth_headers, 45931) == 0


async def test_awkward_filenames_download_safely(client: httpx.AsyncClient, auth_headers: H) -> None:
    name = 'Résumé "final"\r\nX-Evil: 1.pdf'
    created = (
        await client.post(
            "/api/Attachment",
            headers=auth_headers,
            json={"ticket_id": 45920, "filename": name, "data_base64": "aGk="},
        )
    ).json()
    download = await client.get(f"/api/Attachment/{created['id']}", headers=auth_headers)
    assert download.status_code == 200 and "x-evil" not in download.headers
    assert download.headers["content-type"] == "application/pdf"
    disposition = download.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="R_sum_ _final___X-Evil: 1.pdf"')
    assert "filename*=UTF-8''R%C3%A9sum%C3%A9" in disposition


async def test_a_tenants_files_have_a_quota(
    client: httpx.AsyncClient, auth_headers: H, monkeypatch: pytest.MonkeyPatch
) -> None:
    from halo_sandbox.mock.domain.rules import attachments

    monkeypatch.setattr(
        attachments,
        "TENANT_ATTACHMENT_BYTES",
        3 * LIMIT + sum(len(b) for b in client._transport.app.state.sandbox.get().store._db.blobs.values()),
    )  # type: ignore[attr-defined]
    for _ in range(3):
        ok = await client.post(
            "/api/Attachment",
            headers=auth_headers,
            json=[{"ticket_id": 45920, "filename": "a.bin", "data_base64": b64(b"x" * LIMIT)}],
        )
        assert ok.status_code == 200
    before = await count(client, auth_headers)
    over = await client.post(
        "/api/Attachment",
        headers=auth_headers,
        json=[{"ticket_id": 45920, "filename": "b.bin", "data_base64": b64(b"x" * 10)}],
    )
    assert over.status_code == 413 and "quota" in over.json()["message"]
    assert await count(client, auth_headers) == before
