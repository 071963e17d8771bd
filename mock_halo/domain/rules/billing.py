"""Halo's billing rules: quotes, invoices and contracts.

Quote and invoice totals are computed from their ``lines`` on read (quotes: quantity x price,
less ``discount_perc`` %, plus ``tax`` %, optional lines left out of the totals; invoices:
``qty_order`` x ``unit_price`` plus ``tax_rate`` %); money is rounded to cents. A quote
expires past its ``expiry_date`` while awaiting approval, a contract past its ``end_date``.
"""

from __future__ import annotations

from halo_sandbox.mock.domain.records import Records
from halo_sandbox.mock.domain.resources import ResourceSpec
from halo_sandbox.mock.engine.rows import Row
from halo_sandbox.mock.exceptions import FieldErrors


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
