"""Facts about Halo that verify holds every server to, vendored here with their source (verify runs
wherever the package is installed, so it cannot read `contracts/` or `mock_halo/FIDELITY.md`).
`contracts/facts.py` re-exports them: the contracts and verify judge by the same table."""

from __future__ import annotations

__all__ = ["REQUIRED_ON_CREATE"]

REQUIRED_ON_CREATE: dict[str, tuple[str, tuple[str, ...]]] = {
    "tickets": ("/Tickets", ("summary",)),
    "projects": ("/Projects", ("summary",)),
    "actions": ("/Actions", ("ticket_id",)),
    "attachments": ("/Attachment", ("ticket_id",)),
    "clients": ("/Client", ("name",)),
    "sites": ("/Site", ("name", "client_id")),
    "users": ("/Users", ("name", "site_id")),
    "agents": ("/Agent", ("name",)),
    "teams": ("/Team", ("name",)),
    "kb_articles": ("/KBArticle", ("name",)),
    "slas": ("/SLA", ("name",)),
    "statuses": ("/Status", ("name",)),
    "ticket_types": ("/TicketType", ("name",)),
    "priorities": ("/Priority", ("name", "priorityid")),
    "categories": ("/Category", ("value",)),
    "outcomes": ("/Outcome", ("outcome",)),
    "quotes": ("/Quotation", ("client_id",)),
    "invoices": ("/Invoice", ("client_id",)),
    "contracts": ("/ClientContract", ("client_id",)),
    "assets": ("/Asset", ("client_id",)),
}
"""Resource -> (Halo path, the fields a create without them is refused for by a strict tenant: 400
`{"[0].<field>": ["The <field> field is required. (...)"]}`; any other tenant saves the create and
reports each missing field in `X-Sandbox-Ignored`, which verify reads as the same verdict).

Source: mock_halo/FIDELITY.md, "Integrity and errors", row "Missing required fields on create" (the
row names this table as its copy). Halo's official document marks no body field required, so this is
the sandbox's documented **choice**, not a fact about Halo; it is copied here from that row, not read
from the mock's table, so that the mock, this project's server and the servers verify scores are all
held to what the sandbox documents. A change of the choice changes the row and this table together."""
