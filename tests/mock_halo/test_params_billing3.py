"""More documented list parameters of invoices and quotes act as Halo's document describes them
(`mock_halo.domain.params`, the billing hooks of `mock_halo.domain.rules.billing`), over HTTP against
the fixture world.

Each test checks that Halo's official document lists the parameter and quotes its description (or
says it has none, and what the name is read as); the expectation is that reading applied to the
fixture records as read back by id, never the mock's rule table. The fixture facts used: invoice 707
is a credit note crediting 705 (`creditlinkedtoinvoiceid`), 708 was raised from a purchase order
(`purchaseorder_id`), 702 required approval and was approved (`approvaldatetime`), draft 703 awaits
approval, 704 is paid by automatic card payment (`take_auto_payment`), 701 bills a ticket and no
contract; quotes 501-503 and 505 await the customer's decision (`approvalstate` 0), 504 and 506 are
approved (504 turned into a sales order, `salesorder_id`) and 507 rejected.
"""

from __future__ import annotations

import httpx
import pytest

from tests.mock_halo.test_params import H, documented, ids, rows, settings
from tests.mock_halo.test_params_people import full

__all__ = ["settings"]  # the fixture: a mock without rate limit

pytestmark = pytest.mark.anyio

EVERY_INVOICE = {"includecredits": "true", "includepoinvoices": "true"}


async def test_credit_notes_only_when_asked(client: httpx.AsyncClient, auth_headers: H) -> None:
    # "includecredits: (bool) Include invoice type credits in the response."
    # "includeinvoices: (bool) Include invoice type invoice in the response."
    # A credit note names the invoice it credits (`creditlinkedtoinvoiceid`); credits are left out
    # unless asked, invoices listed unless `includeinvoices=false` (inferred)
    documented("/Invoice", "includecredits", "includeinvoices")
    every = await full(
        client,
        auth_headers,
        "/Invoice",
        await rows(client, auth_headers, "/Invoice", "invoices", **EVERY_INVOICE),
    )
    credits = {i["id"] for i in every if i.get("creditlinkedtoinvoiceid")}
    assert credits == {707} and next(i for i in every if i["id"] == 707)["creditlinkedtoinvoiceid"] == 705
    plain = await rows(client, auth_headers, "/Invoice", "invoices", includepoinvoices="true")
    assert ids(plain) == {i["id"] for i in every} - credits
    asked = await rows(client, auth_headers, "/Invoice", "invoices", **EVERY_INVOICE)
    assert credits <= ids(asked) and ids(plain) < ids(asked)
    only_credits = await rows(
        client, auth_headers, "/Invoice", "invoices", **EVERY_INVOICE, includeinvoices="false"
    )
    assert ids(only_credits) == credits
    listed = await rows(client, auth_headers, "/Invoice", "invoices", **EVERY_INVOICE, includeinvoices="true")
    assert ids(listed) == ids(asked)
    assert await rows(client, auth_headers, "/Invoice", "invoices", includeinvoices="false") == []


async def test_purchase_order_invoices_only_when_asked(client: httpx.AsyncClient, auth_headers: H) -> None:
    # "includepoinvoices" (undescribed: invoices raised from a purchase order, `purchaseorder_id`,
    # are left out unless asked, as credits are; inferred)
    documented("/Invoice", "includepoinvoices", "purchaseorder_id")
    every = await full(
        client,
        auth_headers,
        "/Invoice",
        await rows(client, auth_headers, "/Invoice", "invoices", **EVERY_INVOICE),
    )
    ordered = {i["id"] for i in every if i.get("purchaseorder_id")}
    assert ordered == {708}
    default = await rows(client, auth_headers, "/Invoice", "invoices", includecredits="true")
    assert ids(default) == {i["id"] for i in every} - ordered
    asked = await rows(client, auth_headers, "/Invoice", "invoices", includepoinvoices="true")
    assert ordered <= ids(asked) and not ordered & ids(default)
    by_order = await rows(
        client, auth_headers, "/Invoice", "invoices", includepoinvoices="true", purchaseorder_id="6001"
    )
    assert ids(by_order) == ordered


async def test_contract_invoices_or_the_others(client: httpx.AsyncClient, auth_headers: H) -> None:
    # "rinvoice_type: (string) Filter on invoice type - values 'contracts', 'invoices', 'both'."
    # (a contract invoice names its contract, `contract_id`: inferred)
    documented("/Invoice", "rinvoice_type")
    every = await full(
        client,
        auth_headers,
        "/Invoice",
        await rows(client, auth_headers, "/Invoice", "invoices", **EVERY_INVOICE),
    )
    contracts = {i["id"] for i in every if i.get("contract_id")}
    others = {i["id"] for i in every} - contracts
    assert contracts and others and 701 in others
    for value, expected in (("contracts", contracts), ("invoices", others), ("both", contracts | others)):
        found = await rows(client, auth_headers, "/Invoice", "invoices", **EVERY_INVOICE, rinvoice_type=value)
        assert ids(found) == expected, value
    upper = await rows(
        client, auth_headers, "/Invoice", "invoices", **EVERY_INVOICE, rinvoice_type="Contracts"
    )
    assert ids(upper) == contracts


async def test_invoices_awaiting_approval_or_paid_automatically(
    client: httpx.AsyncClient, auth_headers: H
) -> None:
    # "awaiting_approval" (undescribed: the invoices that require approval and have none recorded,
    # `requires_approval` without `approvaldatetime`; inferred)
    # "stripeautopaymentrequired" (undescribed: an automatic card payment is to be taken,
    # `take_auto_payment`; inferred)
    documented("/Invoice", "awaiting_approval", "stripeautopaymentrequired")
    every = await full(
        client,
        auth_headers,
        "/Invoice",
        await rows(client, auth_headers, "/Invoice", "invoices", **EVERY_INVOICE),
    )
    requiring = {i["id"] for i in every if i.get("requires_approval")}
    approved = {
        i["id"]
        for i in every
        if i.get("requires_approval") and i["approvaldatetime"][:4] not in ("1899", "1900")
    }
    assert requiring == {702, 703} and approved == {702}
    waiting = await rows(
        client, auth_headers, "/Invoice", "invoices", **EVERY_INVOICE, awaiting_approval="true"
    )
    assert ids(waiting) == requiring - approved == {703}
    auto = await rows(
        client, auth_headers, "/Invoice", "invoices", **EVERY_INVOICE, stripeautopaymentrequired="1"
    )
    assert ids(auto) == {i["id"] for i in every if i.get("take_auto_payment")} == {704}
    off = await rows(
        client, auth_headers, "/Invoice", "invoices", **EVERY_INVOICE, stripeautopaymentrequired="false"
    )
    assert ids(off) == {i["id"] for i in every}


async def test_quotes_open_closed_and_processed(client: httpx.AsyncClient, auth_headers: H) -> None:
    # "open", "closed", "processed", "needsprocessing" (all undescribed; inferred): open quotes await
    # the customer's decision (`approvalstate` 0, the mock's enum: 1 approved, 2 rejected), closed
    # ones were decided; processed ones were turned into a sales order (`salesorder_id`); an approved
    # quote not yet turned into one needs processing
    documented("/Quotation", "open", "closed", "processed", "needsprocessing")
    every = await full(
        client, auth_headers, "/Quotation", await rows(client, auth_headers, "/Quotation", "quotes")
    )
    undecided = {q["id"] for q in every if q["approvalstate"] == 0}
    decided = {q["id"] for q in every} - undecided
    ordered = {q["id"] for q in every if q.get("salesorder_id")}
    approved = {q["id"] for q in every if q["approvalstate"] == 1}
    assert undecided and decided and ordered == {504} and approved == {504, 506}
    for params, expected in (
        ({"open": "true"}, undecided),
        ({"closed": "true"}, decided),
        ({"processed": "true"}, ordered),
        ({"needsprocessing": "true"}, approved - ordered),
        ({"closed": "true", "needsprocessing": "true"}, {506}),
        ({"open": "true", "processed": "true"}, set()),
        ({"open": "false", "closed": "false", "processed": "0", "needsprocessing": "0"}, undecided | decided),
    ):
        found = await rows(client, auth_headers, "/Quotation", "quotes", **params)
        assert ids(found) == expected, params
    stark = await rows(client, auth_headers, "/Quotation", "quotes", client_id="102", open="true")
    assert ids(stark) == {501, 502, 503}
