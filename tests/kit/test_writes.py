"""Which argument of an attachment upload tool carries the file's base64 text: one taking a string,
never an object argument merely named ``data`` (a record body ``data: {...}``; the bytes then go in
the body as Halo's own ``data_base64``)."""

from __future__ import annotations

import pytest

from halo_sandbox.verify.properties.writes import _takes_text


@pytest.mark.parametrize("prop", [{"type": "string"}, {"type": ["string", "null"]}, {}])
def test_a_text_argument_takes_the_bytes(prop):
    assert _takes_text(prop)


@pytest.mark.parametrize("prop", [{"type": "object", "additionalProperties": {}}, {"type": "array"}])
def test_a_record_body_named_data_does_not(prop):
    assert not _takes_text(prop)
