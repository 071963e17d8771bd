"""Every operation Halo's official document describes with a body that is not records accepts what
its documentation describes: ``multipart/form-data`` forms (a file, or the form's own fields), arrays
of integers or uuids, a string.

The operations come from the vendored facts (`halo_sandbox.mock.domain.facts`, derived from Halo's
official OpenAPI document), never from a hand list.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx
import pytest

from halo_sandbox.mock.domain import facts

pytestmark = pytest.mark.anyio
H = dict[str, str]
_PARAM = re.compile(r"\{([^}]+)\}")


def _non_record_bodies() -> list[tuple[str, dict[str, Any]]]:
    """``(template, operation)`` of every documented POST whose body is a form or plain values."""
    return [
        (template, op)
        for template, ops in facts.facts()["paths"].items()
        for method, op in ops.items()
        if method == "post"
        and (
            "form" in op or (op.get("body") or "").removesuffix("[]") in ("int32", "int64", "uuid", "string")
        )
    ]


def _values(kind: str) -> Any:
    item = kind.removesuffix("[]")
    one = {"int32": 7, "int64": 7, "uuid": str(uuid.UUID(int=7)), "string": "hook-7"}[item]
    return [one, one] if kind.endswith("[]") else one


def test_the_document_has_nineteen_such_operations() -> None:
    found = _non_record_bodies()
    forms = [t for t, op in found if "form" in op]
    assert len(found) == 19 and len(forms) == 7, found


@pytest.mark.parametrize(
    ("template", "op"), _non_record_bodies(), ids=lambda v: v if isinstance(v, str) else ""
)
async def test_each_accepts_the_body_its_documentation_describes(
    client: httpx.AsyncClient, auth_headers: H, template: str, op: dict[str, Any]
) -> None:
    path = "/api" + _PARAM.sub("1", template)
    if "form" in op:
        files: dict[str, Any] = {}
        data: dict[str, Any] = {}
        for part, kind in op["form"].items():
            if kind == "binary":
                files[part] = ("scan.png", b"\x89PNG-bytes", "image/png")
            else:  # a form collection: the form's own fields are its key-value pairs
                data = {"event": "alert", "severity": "high"}
        if not files:
            files = {"_": (None, b"")}  # multipart even without a file part
        response = await client.post(path, headers=auth_headers, data=data, files=files)
    else:
        sent = _values(op["body"])
        response = await client.post(path, headers=auth_headers, json=sent)
    assert response.status_code == 200, f"{template}: {response.status_code} {response.text[:300]}"
    answer = response.json()
    if "form" not in op:
        assert answer["body"] == sent  # recorded as received
        assert response.headers["x-sandbox-generic"]
    elif "binary" in op["form"].values():
        assert answer["filename"] == "scan.png"
        content = await client.get(f"/api/Attachment/{answer['id']}", headers=auth_headers)
        assert content.content == b"\x89PNG-bytes"  # the file is stored
    else:
        pairs = {pair["key"]: pair["value"] for pair in next(iter(answer["body"].values()))}
        assert pairs["event"] == ["alert"] and pairs["severity"] == ["high"]


async def test_an_uploaded_image_is_attached_to_the_ticket_named(
    client: httpx.AsyncClient, auth_headers: H
) -> None:
    uploaded = await client.post(
        "/api/Attachment/image",
        headers=auth_headers,
        params={"ticket_id": "45920"},
        files={"file": ("photo.jpg", b"jpeg-bytes", "image/jpeg")},
    )
    assert uploaded.status_code == 200, uploaded.text
    listed = (await client.get("/api/Attachment", headers=auth_headers, params={"ticket_id": "45920"})).json()
    assert uploaded.json()["id"] in [row["id"] for row in listed["attachments"]]


async def test_bodies_that_do_not_match_their_documented_type_are_refused(
    client: httpx.AsyncClient, auth_headers: H
) -> None:
    ids = [t for t, op in _non_record_bodies() if op.get("body") == "int32[]"]
    uuids = [t for t, op in _non_record_bodies() if op.get("body") == "uuid[]"]
    forms = [t for t, op in _non_record_bodies() if "form" in op]
    bad = await client.post(f"/api{ids[0]}", headers=auth_headers, json=[1, "x", {"id": 2}])
    assert bad.status_code == 400 and set(bad.json()) == {"[1]", "[2]"}
    assert (await client.post(f"/api{uuids[0]}", headers=auth_headers, json=["nope"])).status_code == 400
    assert (await client.post(f"/api{ids[0]}", headers=auth_headers, json={"ids": [1]})).status_code == 400
    as_json = await client.post("/api" + _PARAM.sub("1", forms[0]), headers=auth_headers, json={"a": 1})
    assert as_json.status_code == 415 and "multipart/form-data" in as_json.json()["message"]
    no_file = await client.post(
        "/api/Attachment/image", headers=auth_headers, files={"other": ("x.txt", b"x", "text/plain")}
    )
    assert no_file.status_code == 400 and "file" in no_file.json()
