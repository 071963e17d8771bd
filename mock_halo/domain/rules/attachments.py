"""Halo's rules for attachments: the file content arrives base64-encoded in ``data_base64``
(or ``data``), is kept as bytes next to the row (up to the configured limit) and served by
``GET /Attachment/{id}``; rows show its size and content type.
"""

from __future__ import annotations

import base64
import binascii
import mimetypes
from typing import Any

from halo_sandbox.mock.domain.records import Records
from halo_sandbox.mock.domain.resources import ResourceSpec
from halo_sandbox.mock.engine.rows import Row
from halo_sandbox.mock.exceptions import FieldErrors, PayloadTooLarge

TENANT_ATTACHMENT_BYTES = 512 * 1024 * 1024
"""Quota of stored file bytes per tenant (each file is also limited by ``max_attachment_bytes``)."""


def content_type(filename: str) -> str:
    """The media type guessed from a file name (``application/octet-stream`` when unknown)."""
    return mimetypes.guess_type(filename)[0] or "application/octet-stream"


def write_attachment(
    db: Records, spec: ResourceSpec, row: Row, old: Row | None, prefix: str, errors: FieldErrors
) -> bytes | None:
    """Decode the content into bytes (returned for the store to keep); raises `PayloadTooLarge`."""
    field = "data_base64" if row.get("data_base64") not in (None, "") else "data"
    encoded = row.pop("data_base64", None) or row.pop("data", None)
    row.pop("data", None)
    row.pop("data_base64", None)
    if old is None:
        row.setdefault("datecreated", db.now())
        row.setdefault("filename", "attachment")
        if row.get("ticket_id") in (None, 0, -1) and (not row.get("type") or not row.get("unique_id")):
            errors.choice(
                f"{prefix}.ticket_id",
                "The ticket_id field is required. (Or attach the file to another "
                "record with type and unique_id.)",
            )
    if encoded is None:
        if old is None:
            errors.add(
                f"{prefix}.data_base64",
                "The file content is required: send it base64-encoded in data_base64 (or data).",
            )
        return None
    try:
        blob = base64.b64decode("".join(str(encoded).split()), validate=True)
    except (binascii.Error, ValueError):
        errors.add(f"{prefix}.{field}", "The file content is not valid base64.")
        return None
    if len(blob) > db.max_attachment_bytes:
        raise PayloadTooLarge(
            f"Attachment {prefix} is {len(blob)} bytes; the limit is {db.max_attachment_bytes} bytes."
        )
    stored = sum(len(b) for b in db.blobs.values()) - (len(db.blobs.get(row.get("id"), b"")) if old else 0)
    if stored + len(blob) > TENANT_ATTACHMENT_BYTES:
        raise PayloadTooLarge(
            f"Attachment {prefix} would take the tenant's files past its quota of "
            f"{TENANT_ATTACHMENT_BYTES} bytes ({stored} stored); delete some first."
        )
    return blob


def file_content(db: Records, key: Any, row: Row) -> tuple[bytes, str, str]:
    """``(bytes, filename, content type)`` of a stored file."""
    filename = row.get("filename") or f"attachment-{row['id']}"
    return db.blobs.get(key, b""), filename, content_type(filename)


def compute_attachment(db: Records, row: Row, out: Row, detail: bool) -> None:
    filename = row.get("filename") or ""
    out["filesize"] = len(db.blobs.get(row["id"], b""))
    out["content_type"] = content_type(filename)
    out["isimage"] = out["content_type"].startswith("image/")
