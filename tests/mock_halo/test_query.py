"""`ListQuery.parse` without HTTP: what a list query string means, and what it refuses."""

from __future__ import annotations

import pytest

from halo_sandbox.mock.domain.query import MAX_PAGE_SIZE, ListQuery
from halo_sandbox.mock.domain.resources import spec_named
from halo_sandbox.mock.domain.rules.tickets import Breached, DateRange
from halo_sandbox.mock.exceptions import ValidationError


def parse(resource: str, **params: str) -> ListQuery:
    return ListQuery.parse(spec_named(resource), params)


def test_filters_become_equality_and_any_of_constraints() -> None:
    q = parse("tickets", Client_ID="104", team="1, 2,,3", status="1,2", open_only="true", domain="PRJS")
    assert q.eq == {"client_id": 104, "open": True, "domain": "prjs"}
    assert q.anyof == {"team_id": frozenset({1, 2, 3}), "status_id": frozenset({1, 2})}
    assert not q.matches_nothing and not q.paged


def test_contradicting_flags_match_nothing() -> None:
    assert parse("tickets", open_only="true", closed_only="true").matches_nothing
    assert not parse("tickets", open_only="true", closed_only="false").matches_nothing


def test_a_view_pins_its_field() -> None:
    assert parse("projects").eq == {"domain": "prjs"}


def test_paging_is_clamped_and_only_for_pageable_resources() -> None:
    q = parse("tickets", pageinate="true", page_size="1000", page_no="0")
    assert (q.paged, q.page_size, q.page_no) == (True, MAX_PAGE_SIZE, 1)
    assert parse("tickets", pageinate="true").page_size == 50
    assert not parse("statuses", pageinate="true").paged  # a bare-array lookup without paged_list_key
    assert parse("agents", pageinate="true").paged  # ... with one
    assert not parse("actions", ticket_id="1", pageinate="true").paged


def test_count_and_the_resource_default_limit() -> None:
    assert parse("tickets").limit == 50
    assert parse("tickets", count="5").limit == 5
    assert parse("invoices").limit == 100
    assert parse("statuses").limit is None


def test_order_and_search_are_lower_cased() -> None:
    q = parse("clients", order="Name", orderdesc="TRUE", search="  Wayne ")
    assert (q.order, q.desc, q.search) == ("name", True, "wayne")


def test_a_required_parameter_missing_is_reported_not_refused() -> None:
    assert parse("actions").missing_required == "ticket_id"
    assert parse("actions", ticket_id="10").missing_required is None


@pytest.mark.parametrize(
    "params",
    [
        {"page_size": "x"},
        {"pageinate": "yes"},
        {"orderdesc": "\ud800"},
    ],
)
def test_bad_parameters_are_refused_naming_each(params: dict[str, str]) -> None:
    with pytest.raises(ValidationError) as err:
        parse("tickets", **params)
    assert set(err.value.errors) == {next(iter(params)).lower()}


def test_every_bad_parameter_is_reported_at_once() -> None:
    with pytest.raises(ValidationError) as err:
        parse("tickets", page_no="a", page_size="-", pageinate="b")
    assert set(err.value.errors) == {"page_no", "page_size", "pageinate"}


def test_hook_filters_become_typed_filters() -> None:
    with pytest.raises(ValidationError) as err:
        parse("tickets", IncludeBreached="1", datesearch="x")
    assert set(err.value.errors) == {"datesearch"}
    assert parse("tickets", IncludeBreached="1").filters == (Breached(),)  # names are case-insensitive
    assert parse("tickets", includebreached="false").filters == ()
    day = {"startdate": "2026-11-25", "enddate": "2026-11-25"}
    (dates,) = parse("tickets", datesearch="dateoccured", **day).filters
    assert isinstance(dates, DateRange) and dates.field == "dateoccurred"
    assert (dates.start or "").startswith("2026-11-25") and dates.end == "2026-11-25T23:59:59"
