"""What may be committed: nesting up to `MAX_DEPTH` levels is sent, one level more is refused."""

from __future__ import annotations

import pytest

from halo_sandbox.mock.engine.wire import MAX_DEPTH, wire_check


def _nested(levels: int, inner: object) -> object:
    value = inner
    for i in range(levels):
        value = [value] if i % 2 else {"k": value}
    return value


@pytest.mark.parametrize(
    ("levels", "inner", "ok"),
    [
        (MAX_DEPTH, 1, True),
        (MAX_DEPTH + 1, 1, False),
        (MAX_DEPTH, [], True),
        (MAX_DEPTH + 1, [], False),
        (MAX_DEPTH, "text", True),
        (3, float("nan"), False),
        (2, "lone \ud800", False),
    ],
)
def test_depth_and_values_are_checked(levels: int, inner: object, ok: bool) -> None:
    value = _nested(levels, inner)
    if ok:
        wire_check(value)
    else:
        with pytest.raises((RecursionError, ValueError, UnicodeError)):
            wire_check(value)
