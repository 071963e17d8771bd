"""Halo's billing rules: quotes, invoices and contracts.

Quote and invoice totals are computed from their ``lines`` on read (quotes: quantity x price,
less ``discount_perc`` %, plus ``tax`` %, optional lines left out of the totals; invoices:
``qty_order`` x ``unit_price`` plus ``tax_rate`` %); money is rounded to cents. A quote
expires past its ``expiry_date`` while awaiting approval, a contract past its ``end_date``.

List filters (``Filter(kind="hook")``, FIDELITY.md "Parameters by rule"; their meanings are inferred,
Halo's document describes only ``rinvoice_type``): an invoice bills a contract when it names one
(``contract_id``); it awaits approval while it ``requires_approval`` and no ``approvaldatetime`` is
recorded; an approved quote (``approvalstate`` 1) needs processing until it is turned into a sales
order (``salesorder_id``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from halo_sandbox.mock.domain.records import Records, RowPredicate
from halo_sandbox.mock.domain.resources import ResourceSpec
from halo_sandbox.mock.engine.clock import UNSET_DATE
from halo_sandbox.mock.engine.rows import Row
from halo_sandbox.mock.exceptions import FieldErrors

_APPROVED = 1
"""Quote ``approvalstate`` of an approved quote (the mock's enum: 0 awaiting, 1 approved, 2 rejected)."""


def _money(value: float) -> float:
    return round(value + 0.0, 2)


def write_lines(
    db: Records, spec: ResourceSpec, row: Row, old: Row | None, prefix: str, errors: FieldErrors
) -> None:
    """Quote/invoice lines: keep the ids sent, number new (or repeated) lines after them."""
    lines = row.get("lines")
    if lines is None:
        return
    seen: set[int] = set()
    fresh = max((line["id"] for line in lines if isinstance(line.get("id"), int)), default=0) + 1
    for line in lines:
        if not isinstance(line.get("id"), int) or line["id"] <= 0 or line["id"] in seen:
            line["id"] = fresh
            fresh += 1
        seen.add(line["id"])


def compute_quote(db: Records, row: Row, out: Row, detail: bool) -> None:
    revenue = tax_total = cost = 0.0
    lines = []
    for line in row.get("lines") or []:
        qty = float(line.get("quantity") or 0)
        gross = qty * float(line.get("price") or 0)
        discount = gross * float(line.get("discount_perc") or 0) / 100
        net = gross - discount
        tax = net * float(line.get("tax") or 0) / 100
        line_cost = qty * float(line.get("costprice") or 0)
        lines.append(
            {
                **line,
                "qhid": row["id"],
                "net_total": _money(net),
                "total_discount": _money(discount),
                "total_tax": _money(tax),
                "total_price": _money(net + tax),
                "total_net_total": _money(net),
            }
        )
        if not line.get("optional"):
            revenue, tax_total, cost = revenue + net, tax_total + tax, cost + line_cost
    out["lines"] = lines
    out["revenue"], out["tax_total"], out["total"] = (
        _money(revenue),
        _money(tax_total),
        _money(revenue + tax_total),
    )
    out["margin"] = round((revenue - cost) / revenue * 100, 2) if revenue else 0.0


def compute_invoice(db: Records, row: Row, out: Row, detail: bool) -> None:
    net_total = tax_total = 0.0
    lines = []
    for line in row.get("lines") or []:
        net = float(line.get("qty_order") or 0) * float(line.get("unit_price") or 0)
        tax = net * float(line.get("tax_rate") or 0) / 100
        lines.append(
            {
                **line,
                "ihid": row["id"],
                "net_amount": _money(net),
                "tax_amount": _money(tax),
                "total_price": _money(net + tax),
            }
        )
        net_total, tax_total = net_total + net, tax_total + tax
    out["lines"] = lines
    out["revenue"], out["tax_total"] = _money(net_total), _money(tax_total)
    out["total"] = _money(net_total + tax_total)
    out["amountdue"] = _money(net_total + tax_total - float(row.get("amountpaid") or 0))


def compute_contract(db: Records, row: Row, out: Row, detail: bool) -> None:
    end = row.get("end_date")
    out["expired"] = end < db.now() if end else False


def _on(params: Mapping[str, str], name: str) -> bool:
    """A boolean parameter set to ``true``/``1``."""
    return (params.get(name) or "").strip().lower() in ("true", "1")


@dataclass(frozen=True, slots=True)
class InvoiceType:
    """``rinvoice_type``: ``contracts`` keeps the invoices that bill a contract (``contract_id`` set),
    ``invoices`` the others."""

    contracts: bool

    def predicate(self, db: Records) -> RowPredicate:
        wanted = self.contracts
        return lambda row: bool(row.get("contract_id")) is wanted


def parse_invoice_type(params: Mapping[str, str], errors: FieldErrors) -> InvoiceType | None:
    """Invoice ``rinvoice_type``: ``contracts``, ``invoices`` or ``both`` (case aside); ``both``, and a
    value Halo does not document, filter nothing."""
    raw = (params.get("rinvoice_type") or "").strip().lower()
    return InvoiceType(contracts=raw == "contracts") if raw in ("contracts", "invoices") else None


@dataclass(frozen=True, slots=True)
class AwaitingApproval:
    """Only the invoices that require approval and have none recorded yet."""

    def predicate(self, db: Records) -> RowPredicate:
        return lambda row: bool(row.get("requires_approval")) and not _dated(row.get("approvaldatetime"))


def parse_awaiting_approval(params: Mapping[str, str], errors: FieldErrors) -> AwaitingApproval | None:
    """Invoice ``awaiting_approval`` (undescribed): ``true``/``1`` turns the filter on."""
    return AwaitingApproval() if _on(params, "awaiting_approval") else None


@dataclass(frozen=True, slots=True)
class NeedsProcessing:
    """Only the approved quotes not yet turned into a sales order."""

    def predicate(self, db: Records) -> RowPredicate:
        return lambda row: row.get("approvalstate") == _APPROVED and not row.get("salesorder_id")


def parse_needs_processing(params: Mapping[str, str], errors: FieldErrors) -> NeedsProcessing | None:
    """Quotation ``needsprocessing`` (undescribed): ``true``/``1`` turns the filter on."""
    return NeedsProcessing() if _on(params, "needsprocessing") else None


def _dated(value: object) -> bool:
    """A date field with a date (not unset: ``None``, empty, Halo's 1900-01-01 or 1899 sentinels)."""
    return bool(value) and UNSET_DATE < str(value)[:19]
