"""Opaque, URL-safe, HMAC-signed pagination cursors.

A cursor is `<payload>.<signature>`, both unpadded base64url. The payload is compact JSON naming
the tool, a hash of the call's filters and the position (Halo page or slice offset). The
signature is HMAC-SHA256 under a secret that is random per process unless one is given, so a
cursor cannot be forged, edited, replayed on another tool or with other filters.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from typing import Any

from halo_sandbox.server.errors import CursorError

_SIG_BYTES = 16


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    if not text or any(
        c not in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_" for c in text
    ):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def filters_hash(filters: Mapping[str, Any]) -> str:
    """A short stable hash of the call's filter arguments (order-insensitive)."""
    canonical = json.dumps(filters, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


class CursorCodec:
    """Signs and verifies cursors. One per server; pass `secret` to make cursors survive restarts."""

    def __init__(self, secret: bytes | None = None) -> None:
        self._secret = secret if secret is not None else secrets.token_bytes(32)

    def _sign(self, payload: bytes) -> bytes:
        return hmac.new(self._secret, payload, hashlib.sha256).digest()[:_SIG_BYTES]

    def encode(self, *, tool: str, filters: Mapping[str, Any], position: Mapping[str, int]) -> str:
        payload = json.dumps(
            {"t": tool, "f": filters_hash(filters), "p": dict(position)},
            sort_keys=True,
            separators=(",", ":"),
        ).encode()
        return f"{_b64(payload)}.{_b64(self._sign(payload))}"

    def decode(self, cursor: str, *, tool: str, filters: Mapping[str, Any]) -> dict[str, int]:
        """The position stored in `cursor`; raises `CursorError` if it is not one of ours for this call."""
        if not isinstance(cursor, str) or cursor.count(".") != 1:
            raise CursorError("next_cursor is malformed: pass back the `next_cursor` value unchanged")
        encoded_payload, encoded_sig = cursor.split(".")
        try:
            payload, sig = _unb64(encoded_payload), _unb64(encoded_sig)
        except (ValueError, binascii.Error):
            raise CursorError(
                "next_cursor is malformed: pass back the `next_cursor` value unchanged"
            ) from None
        if len(sig) != _SIG_BYTES or not hmac.compare_digest(sig, self._sign(payload)):
            raise CursorError("next_cursor is invalid (altered, truncated or issued by another server)")
        try:
            data = json.loads(payload)
            position = data["p"]
            if not isinstance(position, dict) or not all(
                isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in position.values()
            ):
                raise ValueError
        except (ValueError, KeyError, TypeError):
            raise CursorError("next_cursor is malformed") from None
        if data.get("t") != tool:
            raise CursorError(f"next_cursor was issued by another tool, not {tool}")
        if data.get("f") != filters_hash(filters):
            raise CursorError(
                "next_cursor was issued for other filters: repeat the same filters with "
                "the cursor, or start again without it"
            )
        return position
