"""Big documents decoded and encoded in pieces read and write exactly what one json call would."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from halo_sandbox.mock.engine import jsonpieces

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=30,
)


@given(value=JSON, spaced=st.booleans())
def test_pieces_round_trip_like_json(value: object, spaced: bool) -> None:
    text = json.dumps(value, indent=2 if spaced else None, ensure_ascii=spaced)
    assert jsonpieces.loads(text.encode()) == json.loads(text)
    assert jsonpieces.dumps(value) == json.dumps(
        value, ensure_ascii=False, allow_nan=False, separators=(",", ":")
    )


@pytest.mark.parametrize(
    "bad", [b"", b"[1,]", b"[1 2]", b'{"a" 1}', b"{1: 2}", b"[1] x", b"[NaN]", b'{"a":1,}', b"[", b"\xff"]
)
def test_malformed_documents_are_refused_like_json(bad: bytes) -> None:
    def no_constants(name: str) -> object:
        raise ValueError(name)

    with pytest.raises(ValueError):
        json.loads(bad, parse_constant=no_constants)
    with pytest.raises(ValueError):
        jsonpieces.loads(bad, parse_constant=no_constants)


@given(value=JSON, depth=st.integers(0, 4))
def test_pieces_join_to_the_document(value: object, depth: int) -> None:
    assert json.loads(b"".join(jsonpieces.pieces(value, depth=depth))) == value


def test_pieces_of_a_big_answer_are_small_and_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jsonpieces, "CHUNK_BYTES", 1000)
    rows = [{"id": i, "summary": f"row {i}", "tags": ["a", {"b": i}]} for i in range(500)]
    document = {"format": "x", "store": {"tables": {"tickets": rows}}}
    chunks = jsonpieces.pieces(document, depth=4)
    assert len(chunks) > 20 and max(len(c) for c in chunks) < 2000
    assert json.loads(b"".join(chunks)) == document
    array = jsonpieces.array_pieces(iter(rows))
    assert len(array) > 20 and json.loads(b"".join(array)) == rows
    assert jsonpieces.array_pieces(iter([])) == [b"[]"]


@pytest.mark.parametrize("value", [2**70, -(2**64), {"text": "lone \ud800 surrogate"}, {1: "int key"}])
def test_pieces_encode_what_orjson_refuses(value: object) -> None:
    text = b"".join(jsonpieces.pieces([value], depth=1))
    assert json.loads(text) == json.loads(json.dumps([value]))
