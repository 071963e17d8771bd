"""Halo's rules for assets and KB articles: list filters that read another table or the clock.

An asset belongs to a ticket when the ticket's ``assets`` (``Device_List`` items) name it (it is
then linked to a ticket, and selected before for the ticket's client, site and user); a KB
article needs review once its ``next_review_date`` is past (at the sandbox time of the read).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from halo_sandbox.mock.domain.records import Records, RowPredicate
from halo_sandbox.mock.engine.clock import UNSET_DATE
from halo_sandbox.mock.exceptions import FieldErrors


@dataclass(frozen=True, slots=True)
class TicketAssets:
    """Only the assets the ticket ``ticket_id`` lists in its ``assets``."""

    ticket_id: int

    def predicate(self, db: Records) -> RowPredicate:
        ticket = db.row("tickets", self.ticket_id) or {}
        linked = {i.get("id") for i in ticket.get("assets") or () if isinstance(i, dict)}
        return lambda row: row.get("id") in linked


def parse_ticket_assets(params: Mapping[str, str], errors: FieldErrors) -> TicketAssets | None:
    """Asset ``ticket_id`` (an int: a value that is not one filters nothing, as for the table's
    ``int`` filters)."""
    raw = (params.get("ticket_id") or "").strip()
    return TicketAssets(int(raw)) if raw.lstrip("-").isascii() and raw.lstrip("-").isdigit() else None


@dataclass(frozen=True, slots=True)
class LinkedToTickets:
    """Only the assets some ticket lists in its ``assets``."""

    def predicate(self, db: Records) -> RowPredicate:
        linked = {
            i.get("id")
            for ticket in db.tables["tickets"].rows.values()
            for i in ticket.get("assets") or ()
            if isinstance(i, dict)
        }
        return lambda row: row.get("id") in linked


def parse_linked_to_ticket(params: Mapping[str, str], errors: FieldErrors) -> LinkedToTickets | None:
    """Asset ``linked_to_ticket`` (undescribed; read as: only assets linked to a ticket): ``true``/``1``
    turns the filter on."""
    raw = (params.get("linked_to_ticket") or "").strip().lower()
    return LinkedToTickets() if raw in ("true", "1") else None


@dataclass(frozen=True, slots=True)
class SelectedFor:
    """Only the assets a ticket whose ``field`` (``client_id``, ``site_id``, ``user_id``) is
    ``value`` lists in its ``assets``: those selected before for that client, site or user."""

    field: str
    value: int

    def predicate(self, db: Records) -> RowPredicate:
        linked = {
            i.get("id")
            for ticket in db.tables["tickets"].rows.values()
            if ticket.get(self.field) == self.value
            for i in ticket.get("assets") or ()
            if isinstance(i, dict)
        }
        return lambda row: row.get("id") in linked


def parse_selected_for(field: str) -> Callable[[Mapping[str, str], FieldErrors], SelectedFor | None]:
    """Asset ``previously_selected_<field>`` ("(int) Filter previously_selected by client id", site,
    user): an int (a value that is not one filters nothing, as for the table's ``int`` filters)."""

    def parse(params: Mapping[str, str], errors: FieldErrors) -> SelectedFor | None:
        raw = (params.get("previously_selected_" + field) or "").strip()
        number = raw.lstrip("-")
        return SelectedFor(field, int(raw)) if number.isascii() and number.isdigit() else None

    return parse


@dataclass(frozen=True, slots=True)
class ReviewDue:
    """Only the articles whose ``next_review_date`` is set and before the sandbox's now."""

    def predicate(self, db: Records) -> RowPredicate:
        now = db.now()
        return lambda row: UNSET_DATE < str(row.get("next_review_date") or UNSET_DATE)[:19] < now


def parse_review_due(params: Mapping[str, str], errors: FieldErrors) -> ReviewDue | None:
    """KBArticle ``needsreview``, documented as a string: ``true``/``1`` turns the filter on."""
    raw = (params.get("needsreview") or "").strip().lower()
    return ReviewDue() if raw in ("true", "1") else None
