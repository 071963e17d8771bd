"""Halo's business rules per domain, as the named hooks the resource table refers to.

``ResourceSpec`` names hooks by string; the registries below map each name to its function:

    DERIVED      name -> (records, row) -> index value               ``derived``
    COMPUTE      name -> (records, row, out, detail) -> None         ``compute`` (fields added on read)
    DETAILS      name -> (records, row, out) -> None                 ``details`` (``includedetails=true``)
    ON_WRITE     name -> (records, spec, row, old, prefix, errors)   ``on_write`` (defaults, checks;
                         -> attachment bytes or None                  runs on every create/update)
    AFTER_WRITE  name -> (records, row, old) -> None                 ``after_write`` (other tables)
    FILTERS      name -> (params, errors) -> RowFilter | None       ``Filter(kind="hook")``: the query
                         string read into a typed filter (`records.RowFilter`), tested against rows later
    INCLUDED     name -> (records, row) -> value                   ``included`` (a field a list row
                         carries when an ``include<x>`` parameter asks)
    CONTENT      name -> (records, key, row) -> (bytes, filename, content type)   ``raw_get``

`check_hooks` runs at import, so a hook the table names but nobody registered fails at start-up
rather than at request time.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from halo_sandbox.mock.domain.records import Records, RowFilter
from halo_sandbox.mock.domain.resources import RESOURCES
from halo_sandbox.mock.domain.rules import assets_and_kb, attachments, billing, people, tickets
from halo_sandbox.mock.engine.rows import Row
from halo_sandbox.mock.exceptions import FieldErrors

DERIVED: Mapping[str, Callable[[Records, Row], Any]] = {
    "ticket_open": tickets.ticket_open,
    "ticket_domain": tickets.ticket_domain,
}
COMPUTE: Mapping[str, Callable[[Records, Row, Row, bool], None]] = {
    "ticket": tickets.compute_ticket,
    "action": tickets.compute_action,
    "quote": billing.compute_quote,
    "invoice": billing.compute_invoice,
    "contract": billing.compute_contract,
    "client": people.compute_client,
    "attachment": attachments.compute_attachment,
}
DETAILS: Mapping[str, Callable[[Records, Row, Row], None]] = {
    "ticket": tickets.details_ticket,
    "client": people.details_client,
    "team": people.details_team,
}
ON_WRITE: Mapping[str, Callable[..., bytes | None]] = {
    "ticket": tickets.write_ticket,
    "action": tickets.write_action,
    "user": people.write_user,
    "attachment": attachments.write_attachment,
    "quote": billing.write_lines,
    "invoice": billing.write_lines,
}
AFTER_WRITE: Mapping[str, Callable[[Records, Row, Row | None], None]] = {
    "action": tickets.after_action,
}
FILTERS: Mapping[str, Callable[[Mapping[str, str], FieldErrors], RowFilter | None]] = {
    "breached": tickets.parse_breached,
    "daterange": tickets.parse_daterange,
    "closed_states": tickets.parse_states("includeclosed"),
    "project_states": tickets.parse_states("includeprojects"),
    "child_states": tickets.parse_states("includechildren"),
    "attached": tickets.parse_attached,
    "linked_asset": tickets.parse_listed("asset_id", "assets"),
    "related_ticket": tickets.parse_listed("related_id", "related_tickets"),
    "calendar": tickets.parse_calendar,
    "submitted": tickets.parse_submitted("includesubmittedonly", assigned=False),
    "submitted_or_assigned": tickets.parse_submitted("submittedandagents", assigned=True),
    "ticket_assets": assets_and_kb.parse_ticket_assets,
    "linked_to_ticket": assets_and_kb.parse_linked_to_ticket,
    "review_due": assets_and_kb.parse_review_due,
    "invoice_type": billing.parse_invoice_type,
    "invoice_awaiting_approval": billing.parse_awaiting_approval,
    "quote_needs_processing": billing.parse_needs_processing,
    "ticket_family": tickets.parse_family,
    "selected_for_client": assets_and_kb.parse_selected_for("client_id"),
    "selected_for_site": assets_and_kb.parse_selected_for("site_id"),
    "selected_for_user": assets_and_kb.parse_selected_for("user_id"),
    "stock_locations": people.parse_stock_locations,
}
INCLUDED: Mapping[str, Callable[[Records, Row], Any]] = {
    "child_ids": tickets.child_ids,
    "open_children": tickets.open_children,
    "project_start": tickets.project_start,
    "project_end": tickets.project_end,
    "agent_open_tickets": tickets.agent_open_tickets,
    "user_departments": tickets.user_departments,
    "agent_named_count": people.agent_named_count,
    "action_agent_initials": tickets.ACTION_AGENT["who_initials"],
    "action_agent_colour": tickets.ACTION_AGENT["who_colour"],
    "action_agent_photo": tickets.ACTION_AGENT["who_imgpath"],
    "action_agent_status": tickets.ACTION_AGENT["who_onlinestatus"],
}
CONTENT: Mapping[str, Callable[[Records, Any, Row], tuple[bytes, str, str]]] = {
    "attachment": attachments.file_content,
}


def check_hooks() -> None:
    """Every hook named in the resource table exists (raises `AssertionError` otherwise)."""
    for spec in RESOURCES:
        for registry, name in (
            (COMPUTE, spec.compute),
            (DETAILS, spec.details),
            (ON_WRITE, spec.on_write),
            (AFTER_WRITE, spec.after_write),
            (CONTENT, spec.raw_get),
        ):
            if name and name not in registry:
                raise AssertionError(f"{spec.name}: unknown hook {name!r}")
        for hook in spec.included.values():
            if hook not in INCLUDED:
                raise AssertionError(f"{spec.name}: unknown included hook {hook!r}")
        for hook in spec.derived.values():
            if hook not in DERIVED:
                raise AssertionError(f"{spec.name}: unknown derived hook {hook!r}")
        for name, (ref_field, _attr) in spec.names.items():
            if ref_field not in spec.refs:
                raise AssertionError(
                    f"{spec.name}: name {name!r} uses {ref_field!r}, which is not a reference"
                )
        for flt in spec.filters:
            if flt.kind == "hook" and flt.hook not in FILTERS:
                raise AssertionError(f"{spec.name}: unknown predicate {flt.hook!r}")


check_hooks()
