"""Halo's rules for people and organisations: clients, sites, users, and what a client's and a
team's ``includedetails=true`` reads expand.

A user's ``client_id`` defaults to its site's client and must match it; a client shows how
many open tickets it has.
"""

from __future__ import annotations

from halo_sandbox.mock.domain.records import Records
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
