"""Halo's rules for people and organisations: clients, sites, users, and what a client's and a
team's ``includedetails=true`` reads expand.

A user's ``client_id`` defaults to its site's client and must match it; a client shows how
many open tickets it has; a site list can keep only the stock locations it names.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from halo_sandbox.mock.domain.records import Records, RowPredicate
from halo_sandbox.mock.domain.resources import UNSET_IDS, ResourceSpec
from halo_sandbox.mock.engine.rows import Row
from halo_sandbox.mock.exceptions import FieldErrors


def write_user(
    db: Records, spec: ResourceSpec, row: Row, old: Row | None, prefix: str, errors: FieldErrors
) -> None:
    site = db.tables["sites"].rows.get(row.get("site_id"))
    if site is not None and row.get("client_id") in UNSET_IDS:
        row["client_id"] = site.get("client_id")
    elif site is not None and site.get("client_id") != row.get("client_id"):
        errors.choice(
            f"{prefix}.site_id", f"Site {row['site_id']} does not belong to client {row['client_id']}."
        )


def compute_client(db: Records, row: Row, out: Row, detail: bool) -> None:
    out["open_ticket_count"] = len(
        db.tables["tickets"].compound[("client_id", "open")].get((row["id"], True), ())
    )


@dataclass(frozen=True, slots=True)
class StockLocations:
    """Only the sites that are stock locations (``isstocklocation``) and whose id is in ``ids``."""

    ids: frozenset[int]

    def predicate(self, db: Records) -> RowPredicate:
        ids = self.ids
        return lambda row: bool(row.get("isstocklocation")) and row.get("id") in ids


def parse_stock_locations(params: Mapping[str, str], errors: FieldErrors) -> StockLocations | None:
    """Site ``stocklocation`` ("(string) Filter on stock locations, comma separated."): a comma list of
    site ids; parts that are not ints are skipped, and a list with none filters nothing."""
    parts = (p.strip() for p in (params.get("stocklocation") or "").split(","))
    ids = frozenset(int(p) for p in parts if p.lstrip("-").isascii() and p.lstrip("-").isdigit())
    return StockLocations(ids) if ids else None


# -- includedetails ---------------------------------------------------------------------------------
def details_client(db: Records, row: Row, out: Row) -> None:
    """A client read with ``includedetails=true`` names its top level (``toplevel_id``,
    ``toplevel_name``; top levels are not a table of the seed world, so the name is ``""``) and its
    main site (``main_site_name``)."""
    out["toplevel_id"] = row.get("toplevel_id") or 0
    out["toplevel_name"] = row.get("toplevel_name") or ""
    out["main_site_name"] = db.name("sites", row.get("main_site_id"))


def details_team(db: Records, row: Row, out: Row) -> None:
    """A team read with ``includedetails=true`` nests its members as ``agents`` (Halo's
    ``UnameSection``: ``agent_id``, ``agent_name``, ``team_id``, ``team_name``, ``is_manager``) and
    its managers as ``managers`` (the same entries)."""
    members = []
    for agent in db.tables["agents"].rows.values():
        for membership in agent.get("teams") or ():
            if isinstance(membership, dict) and membership.get("team_id") == row["id"]:
                members.append(
                    {
                        "agent_id": agent["id"],
                        "agent_name": agent.get("name", ""),
                        "team_id": row["id"],
                        "team_name": row.get("name", ""),
                        "is_manager": bool(membership.get("is_manager")),
                    }
                )
    out["agents"] = members
    out["managers"] = [m for m in members if m["is_manager"]]


UNASSIGNED_AGENT = 1
"""Halo's Unassigned agent (`params` leaves it out of lists unless ``includeunassigned``)."""


def agent_named_count(db: Records, row: Row) -> int:
    """Agent ``includenamedcount``: "the count of the number of Agents" (as ``named_licences_in_use``):
    the agents that can work, not disabled, neither the Unassigned agent (id 1) nor API agents."""
    return sum(
        1
        for agent in db.tables["agents"].rows.values()
        if agent["id"] != UNASSIGNED_AGENT and not agent.get("isdisabled") and not agent.get("isapiagent")
    )
