"""Halo's rules for people and organisations: clients, sites, users (agents and teams have none
beyond the table's fields and names).

A user's ``client_id`` defaults to its site's client and must match it; a client shows how
many open tickets it has.
"""

from __future__ import annotations

from typing import Any

from ..exceptions import FieldErrors
from ..records import Records
from ..resources import UNSET_IDS, ResourceSpec

Row = dict[str, Any]


def write_user(db: Records, spec: ResourceSpec, row: Row, old: Row | None, prefix: str,
               errors: FieldErrors) -> None:
    site = db.tables["sites"].rows.get(row.get("site_id"))
    if site is not None and row.get("client_id") in UNSET_IDS:
        row["client_id"] = site.get("client_id")
    elif site is not None and site.get("client_id") != row.get("client_id"):
        errors.add(f"{prefix}.site_id", f"Site {row['site_id']} does not belong to client {row['client_id']}.")


def compute_client(db: Records, row: Row, out: Row, detail: bool) -> None:
    out["open_ticket_count"] = len(db.tables["tickets"].compound[("client_id", "open")].get((row["id"], True), ()))
