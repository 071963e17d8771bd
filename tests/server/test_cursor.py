"""Cursors: opaque, URL-safe, signed, bound to tool and filters."""

import base64
import json
import re

import pytest

from halo_sandbox.server.cursor import CursorCodec
from halo_sandbox.server.errors import CursorError

TOOL = "list_all_halo_itsm_tickets"
FILTERS = {"client_id": 104, "open_only": True}


@pytest.fixture
def codec():
    return CursorCodec(b"k" * 32)


def test_round_trip_and_url_safe(codec):
    cursor = codec.encode(tool=TOOL, filters=FILTERS, position={"page": 3, "size": 50})
    assert re.fullmatch(r"[A-Za-z0-9_\-.]+", cursor)
    assert "104" not in cursor  # opaque: filters are hashed, not carried
    assert codec.decode(cursor, tool=TOOL, filters={"open_only": True, "client_id": 104}) == {
        "page": 3,
        "size": 50,
    }


def test_secret_per_process_unless_given():
    a, b = CursorCodec(), CursorCodec()
    cursor = a.encode(tool=TOOL, filters={}, position={"page": 2})
    with pytest.raises(CursorError, match="invalid"):
        b.decode(cursor, tool=TOOL, filters={})
    assert CursorCodec(b"s").decode(
        CursorCodec(b"s").encode(tool=TOOL, filters={}, position={"offset": 5}), tool=TOOL, filters={}
    ) == {"offset": 5}


def _flip(text: str, index: int) -> str:
    c = text[index]
    return text[:index] + ("A" if c != "A" else "B") + text[index + 1 :]


@pytest.mark.parametrize(
    "mutate",
    [
        lambda c: _flip(c, 3),  # payload byte changed
        lambda c: _flip(c, len(c) - 2),  # signature changed
        lambda c: c[:-4],  # truncated signature
        lambda c: c[: c.index(".") - 2] + c[c.index(".") :],  # truncated payload
    ],
)
def test_tampered_or_truncated_cursor_is_rejected(codec, mutate):
    cursor = codec.encode(tool=TOOL, filters=FILTERS, position={"page": 2})
    with pytest.raises(CursorError):
        codec.decode(mutate(cursor), tool=TOOL, filters=FILTERS)


def test_forged_payload_with_reused_signature_is_rejected(codec):
    cursor = codec.encode(tool=TOOL, filters=FILTERS, position={"page": 2})
    payload, sig = cursor.split(".")
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    data["p"]["page"] = 99
    forged = base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
    with pytest.raises(CursorError, match="invalid"):
        codec.decode(f"{forged}.{sig}", tool=TOOL, filters=FILTERS)


@pytest.mark.parametrize("bad", ["", "garbage", "a.b.c", "!!!.???", "abc.", ".abc", "é.é", 42])
def test_malformed_cursor_is_rejected(codec, bad):
    with pytest.raises(CursorError):
        codec.decode(bad, tool=TOOL, filters=FILTERS)


def test_foreign_tool_and_other_filters_are_rejected(codec):
    cursor = codec.encode(tool=TOOL, filters=FILTERS, position={"page": 2})
    with pytest.raises(CursorError, match="another tool"):
        codec.decode(cursor, tool="list_all_halo_itsm_clients", filters=FILTERS)
    with pytest.raises(CursorError, match="other filters"):
        codec.decode(cursor, tool=TOOL, filters={"client_id": 105, "open_only": True})
    with pytest.raises(CursorError, match="other filters"):
        codec.decode(cursor, tool=TOOL, filters={})
