"""`coerce`/`coerce_item` without HTTP: which body values Halo's JSON binder accepts, and how they are
stored."""

from __future__ import annotations

import math

import pytest

from halo_sandbox.mock.domain.coercion import CoercionError, coerce, coerce_item
from halo_sandbox.mock.domain.resources import spec_named
from halo_sandbox.mock.exceptions import FieldErrors


@pytest.mark.parametrize(
    ("kind", "value", "stored"),
    [
        ("int", 21, 21),
        ("int", 21.0, 21),
        ("int", " 21 ", 21),
        ("int", -(2**31), -(2**31)),
        ("float", "1.5", 1.5),
        ("float", 3, 3),
        ("bool", "TRUE", True),
        ("bool", 0, False),
        ("str", 12, "12"),
        ("str", 1.5, "1.5"),
        ("date", "2026-11-25T06:00:00", "2026-11-25T06:00:00"),
        ("date", "2026-11-25T08:00:00+02:00", "2026-11-25T06:00:00"),
        ("date", "2026-11-25T06:00:00Z", "2026-11-25T06:00:00"),
        ("date", "1900-01-01T00:00:00", None),
        ("date", "", None),
        ("list", [1], [1]),
        ("object", {"a": 1}, {"a": 1}),
        ("id", 7, 7),
        ("id", "7", 7),
        ("id", 0, 0),
        ("id", -1, -1),  # id <= 0 asks for a create
        ("int", None, None),
    ],
)
def test_accepted_values_are_stored_canonically(kind: str, value: object, stored: object) -> None:
    assert coerce(kind, value) == stored  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("int", True),
        ("int", 2**31),
        ("int", 1.5),
        ("int", "1e3"),
        ("int", [1]),
        ("float", math.inf),
        ("float", "nan"),
        ("float", 1e308 * 10),
        ("float", False),
        ("float", "\ud800"),
        ("bool", 2),
        ("bool", "yes"),
        ("str", True),
        ("str", {}),
        ("date", "tomorrow"),
        ("date", 20261125),
        ("list", "a"),
        ("object", []),
        ("id", 2**31),
    ],
)
def test_refused_values_say_why(kind: str, value: object) -> None:
    with pytest.raises(CoercionError) as err:
        coerce(kind, value)  # type: ignore[arg-type]
    assert str(err.value)


def test_uuid_ids_are_strings() -> None:
    assert coerce("id", "p-1", id_kind="uuid") == "p-1"
    with pytest.raises(CoercionError):
        coerce("id", 1.5, id_kind="uuid")


def test_an_item_types_documented_fields_drops_undocumented_and_computed_ones_and_names_bad_paths() -> None:
    errors = FieldErrors()
    body = {
        "summary": 5,
        "client_id": "104",
        "priority_name": "x",
        "client_name": "y",
        "tags": [{"k": [1]}],
        "zz_not_a_halo_field": 1,
        "userdef1": 7,
        "status_id": "open",
        "dateoccurred": "2026-11-25T06:00:00+01:00",
        "is_vip": {"an": "object"},
    }
    row = coerce_item(spec_named("tickets"), body, "[0]", errors)
    assert row == {
        "summary": "5",
        "client_id": 104,
        "tags": [{"k": [1]}],
        "userdef1": "7",
        "dateoccurred": "2026-11-25T05:00:00",
    }
    assert row["tags"] is not body["tags"]  # a copy: the caller's body is not kept
    assert list(errors.map) == ["[0].status_id", "[0].is_vip"]
    assert errors.map["[0].status_id"][0].endswith("Path '[0].status_id'.")


def test_lines_are_coerced_by_the_resource_line_fields() -> None:
    errors = FieldErrors()
    row = coerce_item(
        spec_named("quotes"), {"lines": [{"quantity": "2", "price": 10, "extra": "kept"}]}, "[0]", errors
    )
    assert row["lines"] == [{"quantity": 2.0, "price": 10, "extra": "kept"}] and not errors.map
    coerce_item(spec_named("quotes"), {"lines": [{"quantity": "two"}]}, "[0]", errors)
    assert "Line [0].quantity" in errors.map["[0].lines"][0]


def test_in_place_edits_the_given_row() -> None:
    seed = {"id": 1, "name": "Acme", "main_site_id": "7", "open_ticket_count": 3}
    row = coerce_item(spec_named("clients"), seed, "clients[0]", FieldErrors(), in_place=True)
    assert row is seed and seed == {"id": 1, "name": "Acme", "main_site_id": 7}
