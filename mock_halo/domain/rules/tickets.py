"""Halo's rules for tickets (and their project view), SLAs and actions.

Open means any status but Cancelled (8) and Closed (9). A ticket's SLA dates are the stored
ones, else ``dateoccurred`` plus the response/fix times of its SLA's priority (Halo's
``Policy``); it is breached while open past its fix-by date. Creates fill Halo's defaults from
the state (status New, a ticket type of the view's domain, site/client from the user, the SLA
from the site or type). An action stamps the ticket's ``lastactiondate`` and applies its
``new_status``/``new_agent``/``new_team``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from halo_sandbox.mock.domain.coercion import CoercionError, coerce
from halo_sandbox.mock.domain.records import Records, RowPredicate
from halo_sandbox.mock.domain.resources import UNSET_IDS, ResourceSpec
from halo_sandbox.mock.engine.clock import UNSET_DATE, halo_datetime
from halo_sandbox.mock.engine.rows import Row
from halo_sandbox.mock.exceptions import FieldErrors

CLOSED_STATUS_IDS = frozenset({8, 9})
"""Halo's default Cancelled (8) and Closed (9); open = any other status."""

DATE_FIELDS = {
    "dateoccured": "dateoccurred",
    "dateoccurred": "dateoccurred",
    "datecleared": "dateclosed",
    "dateclosed": "dateclosed",
    "lastactiondate": "lastactiondate",
    "fixbydate": "fixbydate",
    "respondbydate": "respondbydate",
    "deadlinedate": "deadlinedate",
    "startdate": "startdate",
    "targetdate": "targetdate",
}
"""``datesearch`` values (Halo's spelling ``dateoccured`` included) -> the field compared."""


def _parse(date: str) -> datetime:
    return datetime.strptime(date[:19], "%Y-%m-%dT%H:%M:%S")


def _to_delta(amount: Any, units: Any) -> timedelta:
    n = float(amount or 0)
    unit = str(units or "h").lower()[:1]
    return {"m": timedelta(minutes=n), "d": timedelta(days=n)}.get(unit, timedelta(hours=n))


# -- derived index values ---------------------------------------------------------------------------
def ticket_open(db: Records, row: Row) -> bool:
    return row.get("status_id") not in CLOSED_STATUS_IDS


def ticket_domain(db: Records, row: Row) -> str:
    """The ``use`` of the ticket's type: ``reqs`` tickets, ``prjs`` projects, ``opps`` opportunities."""
    tt = db.tables["ticket_types"].rows.get(row.get("tickettype_id"))
    return (tt.get("use") or "reqs").lower() if tt else "reqs"


# -- SLAs -------------------------------------------------------------------------------------------
def priority_row(db: Records, sla_id: Any, priority_id: Any) -> Row | None:
    """The priority (policy) row of ``priority_id`` under ``sla_id``, else the first with that id."""
    table = db.tables["priorities"]
    found = None
    for key in table.indexes["priorityid"].get(priority_id, ()):
        row = table.rows[key]
        if row.get("slaid") == sla_id:
            return row
        found = found or row
    return found


def sla_dates(db: Records, row: Row) -> tuple[str, str]:
    """(respondbydate, fixbydate): stored values, else dateoccurred + the SLA priority's times."""
    respond, fix = row.get("respondbydate"), row.get("fixbydate")
    if (respond and fix) or not row.get("dateoccurred"):
        return respond or UNSET_DATE, fix or UNSET_DATE
    policy = priority_row(db, row.get("sla_id"), row.get("priority_id"))
    if policy is None or row.get("excludefromsla"):
        return respond or UNSET_DATE, fix or UNSET_DATE
    logged = _parse(row["dateoccurred"])
    if not respond and policy.get("responsetime"):
        respond = halo_datetime(logged + _to_delta(policy.get("responsetime"), policy.get("responseunits")))
    if not fix and policy.get("fixtime"):
        fix = halo_datetime(logged + _to_delta(policy.get("fixtime"), policy.get("fixunits")))
    return respond or UNSET_DATE, fix or UNSET_DATE


def breached(db: Records, row: Row, now: str) -> bool:
    if not ticket_open(db, row) or row.get("excludefromsla"):
        return False
    fix = sla_dates(db, row)[1]
    return fix != UNSET_DATE and fix < now


# -- computed fields --------------------------------------------------------------------------------
def compute_ticket(db: Records, row: Row, out: Row, detail: bool) -> None:
    policy = priority_row(db, row.get("sla_id"), row.get("priority_id"))
    out["priority_name"] = policy.get("name", "") if policy else ""
    if detail and policy is not None:
        out["priority"] = dict(policy)
    respond, fix = sla_dates(db, row)
    out["respondbydate"], out["fixbydate"] = respond, fix
    out["slastate"] = "O" if breached(db, row, db.now()) else "I"
    domain = ticket_domain(db, row)
    out["use"] = domain
    out["is_project"] = domain == "prjs"
    out["is_opportunity"] = domain == "opps"
    if "lastactiondate" not in row:
        out["lastactiondate"] = row.get("dateoccurred", UNSET_DATE)
    out["attachment_count"] = len(db.keys_where("attachments", "ticket_id", row["id"]))


def compute_action(db: Records, row: Row, out: Row, detail: bool) -> None:
    agent = row.get("who_agentid") or row.get("actionby_agent_id")
    user = row.get("actionby_user_id")
    out["who"] = db.name("agents", agent) or db.name("users", user)
    if detail:
        out.update((name, value(db, row)) for name, value in ACTION_AGENT.items())
    if row.get("outcome_id") and not row.get("outcome"):
        out["outcome"] = db.name("outcomes", row["outcome_id"], "outcome")
    out["attachment_count"] = len(
        [
            k
            for k in db.keys_where("attachments", "ticket_id", row["ticket_id"])
            if db.tables["attachments"].rows[k].get("action_id") == row["id"]
        ]
    )


# -- writes -----------------------------------------------------------------------------------------
def ticket_status_dates(db: Records, row: Row, old: Row | None) -> None:
    """Closing stamps ``dateclosed``; reopening clears the stamp (unless one was sent)."""
    was_open = old is None or old.get("status_id") not in CLOSED_STATUS_IDS
    is_open = row.get("status_id") not in CLOSED_STATUS_IDS
    if was_open and not is_open and "dateclosed" not in row:
        row["dateclosed"] = db.now()
    elif is_open and not was_open and old is not None and row.get("dateclosed") == old.get("dateclosed"):
        row.pop("dateclosed", None)


def write_ticket(
    db: Records, spec: ResourceSpec, row: Row, old: Row | None, prefix: str, errors: FieldErrors
) -> None:
    tables = db.tables
    if old is None:
        if "dateoccurred" not in row:
            row["dateoccurred"] = db.now()
        row.setdefault("lastactiondate", row["dateoccurred"])
        if "status_id" not in row and tables["statuses"].order:
            row["status_id"] = 1 if 1 in tables["statuses"].rows else tables["statuses"].order[0]
        if "tickettype_id" not in row:
            wanted = spec.view[1] if spec.view else "reqs"
            types = tables["ticket_types"]
            match = [k for k in types.order if (types.rows[k].get("use") or "reqs").lower() == wanted]
            if match:
                row["tickettype_id"] = match[0]
        site = tables["sites"].rows.get(row.get("site_id"))
        user = tables["users"].rows.get(row.get("user_id"))
        if "site_id" not in row and user is not None and user.get("site_id"):
            row["site_id"] = user["site_id"]
            site = tables["sites"].rows.get(row["site_id"])
        if "client_id" not in row and site is not None:
            row["client_id"] = site.get("client_id")
        client = tables["clients"].rows.get(row.get("client_id"))
        if "site_id" not in row and client is not None and client.get("main_site_id") in tables["sites"].rows:
            row["site_id"] = client["main_site_id"]
            site = tables["sites"].rows[row["site_id"]]
        if "sla_id" not in row:
            tt = tables["ticket_types"].rows.get(row.get("tickettype_id")) or {}
            sla = (site or {}).get("sla_id") or tt.get("sla_id") or (tables["slas"].order or [None])[0]
            if sla is not None:
                row["sla_id"] = sla
    site = tables["sites"].rows.get(row.get("site_id"))
    if (
        site is not None
        and row.get("client_id") not in UNSET_IDS
        and site.get("client_id") != row.get("client_id")
    ):
        errors.choice(
            f"{prefix}.site_id", f"Site {row['site_id']} does not belong to client {row['client_id']}."
        )
    if spec.view and ticket_domain(db, row) != spec.view[1]:
        errors.add(
            f"{prefix}.tickettype_id",
            f"Ticket type {row.get('tickettype_id')} is not a {spec.path} ticket type "
            f"(its use is not '{spec.view[1]}').",
        )
    ticket_status_dates(db, row, old)


def write_action(
    db: Records, spec: ResourceSpec, row: Row, old: Row | None, prefix: str, errors: FieldErrors
) -> None:
    if old is None and "datetime" not in row:
        row["datetime"] = db.now()
    if old is None and not any(
        row.get(f) not in UNSET_IDS for f in ("who_agentid", "actionby_agent_id", "actionby_user_id")
    ):
        agent = db.acting_agent()
        if agent is not None:  # the action is by the agent the token acts as
            row["actionby_agent_id"] = agent
    if "outcome_id" in row and not row.get("outcome"):
        outcome = db.row("outcomes", row["outcome_id"])
        if outcome:
            row["outcome"] = outcome.get("outcome", "")


def after_action(db: Records, row: Row, old: Row | None) -> None:
    """A new action updates its ticket: ``lastactiondate``, status/agent/team when set, and the
    ticket's ``timetaken`` (the total of its actions' time) by the action's ``timetaken``."""
    if old is not None:
        return
    changes: Row = {"lastactiondate": db.now()}
    for source, target in (("new_status", "status_id"), ("new_agent", "agent_id"), ("new_team", "team_id")):
        if row.get(source) not in UNSET_IDS:
            changes[target] = row[source]
    key = row["ticket_id"]
    current = db.tables["tickets"].rows.get(key)
    if current is None:  # an action on a ticket that does not exist (accepted, reported)
        return
    spent = row.get("timetaken")
    if isinstance(spent, int | float) and not isinstance(spent, bool) and spent > 0:
        total = round(float(current.get("timetaken") or 0) + spent, 4)
        if math.isfinite(total):  # two actions of 1e308 hours: the ticket keeps its finite total
            changes["timetaken"] = total
    new = {**current, **changes}
    ticket_status_dates(db, new, current)
    db.replace("tickets", key, new)


# -- list predicates --------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Breached:
    """Only tickets past their fix-by date while open (at the sandbox time of the read)."""

    def predicate(self, db: Records) -> RowPredicate:
        now = db.now()
        return lambda row: breached(db, row, now)


def parse_breached(params: Mapping[str, str], errors: FieldErrors) -> Breached | None:
    """``includebreached``. Halo documents it as an "array of int" string: any value but
    ``false``/``0``/empty turns the filter on (``1,2`` too)."""
    raw = (params.get("includebreached") or "").strip().lower()
    return None if raw in ("", "false", "0") else Breached()


@dataclass(frozen=True, slots=True)
class DateRange:
    """Tickets whose date ``field`` (stored, or an SLA date) lies within ``start``..``end`` (Halo
    dates; ``None``: open-ended)."""

    field: str
    start: str | None
    end: str | None

    def predicate(self, db: Records) -> RowPredicate:
        target, start, end = self.field, self.start, self.end

        def predicate(row: Row) -> bool:
            value = row.get(target)
            if target in ("fixbydate", "respondbydate"):
                value = sla_dates(db, row)[0 if target == "respondbydate" else 1]
            if not value or value == UNSET_DATE:
                return False
            return (start is None or value >= start) and (end is None or value <= end)

        return predicate


def parse_daterange(params: Mapping[str, str], errors: FieldErrors) -> DateRange | None:
    """``datesearch=<field>`` with ``startdate``/``enddate`` (a bare end date includes its day)."""
    name = params.get("datesearch", "").strip().lower()
    if not name:
        return None
    target = DATE_FIELDS.get(name)
    if target is None:
        errors.add(
            "datesearch",
            f"The value '{params['datesearch']}' is not a date field; use one of "
            f"{', '.join(sorted(DATE_FIELDS))}.",
        )
        return None
    start, end = _bound(params, "startdate", errors), _bound(params, "enddate", errors, end=True)
    if start == "" or end == "":
        return None
    return DateRange(field=target, start=start, end=end)


def _bound(params: Mapping[str, str], name: str, errors: FieldErrors, *, end: bool = False) -> str | None:
    """A date parameter as a stored Halo date (a bare ``end`` date takes in that whole day); ``None``
    when absent, ``""`` when unreadable (added to ``errors``)."""
    raw = params.get(name)
    try:
        value = coerce("date", raw) if raw else None
    except CoercionError:
        errors.add(name, f"The value '{raw}' is not valid.")
        return ""
    if value is not None and end and len(str(raw).strip()) == 10:
        value = value[:10] + "T23:59:59"
    return value


# -- list filters through other records (documented list parameters, FIDELITY.md) ------------------
def _closed_state(db: Records) -> Callable[[Row], frozenset[int]]:
    """``includeclosed``: "1 = Closed - 0 = Not Closed"."""
    return lambda row: frozenset({0 if ticket_open(db, row) else 1})


_DOMAIN_STATE = {"opps": 1, "prjs": 2}


def _project_state(db: Records) -> Callable[[Row], frozenset[int]]:
    """``includeprojects``: "1 = Opportunities not Projects - 2 = Projects not Opportunities - 0 =
    Neither" (the ticket type's ``use``)."""
    return lambda row: frozenset({_DOMAIN_STATE.get(ticket_domain(db, row), 0)})


def _child_state(db: Records) -> Callable[[Row], frozenset[int]]:
    """``includechildren``: "0 = No children and not a child - 1 = Has children - 2 = is a child" (a
    ticket both is in both)."""
    tickets = db.tables["tickets"]

    def state(row: Row) -> frozenset[int]:
        found = {1} if tickets.keys_where("parent_id", row["id"]) else set()
        if row.get("parent_id") not in UNSET_IDS:
            found.add(2)
        return frozenset(found or {0})

    return state


_STATES: Mapping[str, Callable[[Records], Callable[[Row], frozenset[int]]]] = {
    "includeclosed": _closed_state,
    "includeprojects": _project_state,
    "includechildren": _child_state,
}


@dataclass(frozen=True, slots=True)
class States:
    """Tickets in one of the ``wanted`` states of a documented "array of int" parameter whose
    numbers name states (``includeclosed=1``: closed ones)."""

    param: str
    wanted: frozenset[int]

    def predicate(self, db: Records) -> RowPredicate:
        state, wanted = _STATES[self.param](db), self.wanted
        return lambda row: bool(state(row) & wanted)


def _numbers(params: Mapping[str, str], param: str) -> frozenset[int]:
    """The non-negative integers of ``param``'s comma list (other parts skipped)."""
    return frozenset(
        int(p) for p in (params.get(param) or "").split(",") if p.strip().isascii() and p.strip().isdigit()
    )


def parse_states(param: str) -> Callable[[Mapping[str, str], FieldErrors], States | None]:
    """The parser of ``param`` (a key of `_STATES`): its comma list of state numbers; parts that are
    not integers are skipped, none filters nothing."""

    def parse(params: Mapping[str, str], errors: FieldErrors) -> States | None:
        wanted = _numbers(params, param)
        return States(param=param, wanted=wanted) if wanted else None

    return parse


@dataclass(frozen=True, slots=True)
class Attached:
    """``withattachments``: "Returns only tickets with 1 or more attachment"."""

    def predicate(self, db: Records) -> RowPredicate:
        return lambda row: bool(db.keys_where("attachments", "ticket_id", row["id"]))


def parse_attached(params: Mapping[str, str], errors: FieldErrors) -> Attached | None:
    return Attached() if (params.get("withattachments") or "").strip().lower() in ("true", "1") else None


@dataclass(frozen=True, slots=True)
class Listed:
    """Tickets whose list ``field`` of objects holds one with ``id`` ``wanted``: ``asset_id`` "Filters
    by the specified asset" (the ticket's linked ``assets``), ``related_id`` "by the specified related
    ticket" (``related_tickets``)."""

    field: str
    wanted: int

    def predicate(self, db: Records) -> RowPredicate:
        name, wanted = self.field, self.wanted
        return lambda row: any(isinstance(i, dict) and i.get("id") == wanted for i in row.get(name) or ())


def parse_listed(param: str, field: str) -> Callable[[Mapping[str, str], FieldErrors], Listed | None]:
    """The parser of ``param`` (an int; other values filter nothing) over the list ``field``."""

    def parse(params: Mapping[str, str], errors: FieldErrors) -> Listed | None:
        raw = (params.get(param) or "").strip()
        number = raw.lstrip("-")
        return Listed(field=field, wanted=int(raw)) if number.isascii() and number.isdigit() else None

    return parse


@dataclass(frozen=True, slots=True)
class ActionWindow:
    """``calendar_startdate``/``calendar_enddate``: tickets with an action that "occurred after"
    ``start`` and "before" ``end`` (one action within both)."""

    start: str | None
    end: str | None

    def predicate(self, db: Records) -> RowPredicate:
        start, end = self.start, self.end
        found = {
            action.get("ticket_id")
            for action in db.tables["actions"].rows.values()
            if (when := str(action.get("datetime") or ""))
            and (start is None or when >= start)
            and (end is None or when <= end)
        }
        return lambda row: row["id"] in found


def logging_agent(db: Records, ticket_id: Any) -> int | None:
    """The agent who logged the ticket: the agent of its first action (the lowest id: Halo numbers
    a ticket's actions in order, the first logs it); ``None`` when an end user logged it or it has
    no action."""
    actions = db.tables["actions"]
    keys = actions.keys_where("ticket_id", ticket_id)
    if not keys:
        return None
    first = min((actions.rows[k] for k in keys), key=lambda action: action.get("id") or 0)
    agent = first.get("who_agentid") or first.get("actionby_agent_id")
    return agent if agent not in UNSET_IDS else None


@dataclass(frozen=True, slots=True)
class Submitted:
    """``includesubmittedonly``: "Returns tickets based on agent submitted ID's in the array" (the
    agent who logged the ticket: `logging_agent`); ``submittedandagents`` ("agent and agent
    submitted ID's") also keeps the tickets assigned to one of them (``agent_id``)."""

    agents: frozenset[int]
    assigned: bool

    def predicate(self, db: Records) -> RowPredicate:
        agents, assigned = self.agents, self.assigned
        return lambda row: (
            (assigned and row.get("agent_id") in agents) or logging_agent(db, row["id"]) in agents
        )


def parse_submitted(
    param: str, *, assigned: bool
) -> Callable[[Mapping[str, str], FieldErrors], Submitted | None]:
    """The parser of ``param`` (a comma list of agent ids; parts that are not integers are skipped,
    none filters nothing)."""

    def parse(params: Mapping[str, str], errors: FieldErrors) -> Submitted | None:
        agents = _numbers(params, param)
        return Submitted(agents=agents, assigned=assigned) if agents else None

    return parse


def parse_calendar(params: Mapping[str, str], errors: FieldErrors) -> ActionWindow | None:
    start = _bound(params, "calendar_startdate", errors)
    end = _bound(params, "calendar_enddate", errors, end=True)
    if start == "" or end == "" or (start is None and end is None):
        return None
    return ActionWindow(start=start, end=end)


@dataclass(frozen=True, slots=True)
class TicketFamily:
    """An action list's ``ticket_id`` read with ``ischildnotes`` ("Only get actions from child
    tickets": the tickets whose ``parent_id`` is it) or ``isrelatednotes`` ("Only get actions from
    related tickets": those its ``related_tickets`` list); with both, either kind. ``ticket`` is
    ``None`` when the ticket id is not an integer (then nothing matches)."""

    ticket: int | None
    children: bool
    related: bool

    def predicate(self, db: Records) -> RowPredicate:
        wanted: set[Any] = set()
        tickets = db.tables["tickets"]
        if self.ticket is not None and self.children:
            wanted.update(tickets.rows[k]["id"] for k in tickets.keys_where("parent_id", self.ticket))
        parent = tickets.rows.get(self.ticket) if self.ticket is not None else None
        if parent is not None and self.related:
            wanted.update(i.get("id") for i in parent.get("related_tickets") or () if isinstance(i, dict))
        wanted.discard(self.ticket)
        return lambda row: row.get("ticket_id") in wanted


def parse_family(params: Mapping[str, str], errors: FieldErrors) -> TicketFamily | None:
    """``ischildnotes``/``isrelatednotes`` (true or 1) with the list's ``ticket_id``; without either
    the table's plain ``ticket_id`` filter applies."""
    children, related = (
        (params.get(p) or "").strip().lower() in ("true", "1") for p in ("ischildnotes", "isrelatednotes")
    )
    if not (children or related):
        return None
    raw = (params.get("ticket_id") or "").strip()
    ticket = int(raw) if raw.lstrip("-").isascii() and raw.lstrip("-").isdigit() else None
    return TicketFamily(ticket=ticket, children=children, related=related)


# -- fields a list row carries when asked (``ResourceSpec.included``) ------------------------------
def child_ids(db: Records, row: Row) -> list[int]:
    """``includechildids``: the ids of the ticket's child tickets."""
    table = db.tables["tickets"]
    return [table.rows[k]["id"] for k in table.keys_where("parent_id", row["id"])]


def project_start(db: Records, row: Row) -> str:
    """``startdatetime``: "project start date and time" (the stored ``startdate``)."""
    return str(row.get("startdate") or UNSET_DATE)


def project_end(db: Records, row: Row) -> str:
    """``enddatetime``: "project end date and time" (the stored ``targetdate``)."""
    return str(row.get("targetdate") or UNSET_DATE)


def open_children(db: Records, row: Row) -> int:
    """``inlcludeopenchildcount``: how many of the ticket's child tickets are open."""
    table = db.tables["tickets"]
    return sum(1 for k in table.keys_where("parent_id", row["id"]) if ticket_open(db, table.rows[k]))


def user_departments(db: Records, row: Row) -> str:
    """``includuserdepartments`` (the document's spelling): the names of the departments of the
    ticket's user (its ``departments``), comma separated; ``""`` when it has none."""
    user = db.tables["users"].rows.get(row.get("user_id")) or {}
    names = (d.get("department_name") for d in user.get("departments") or () if isinstance(d, dict))
    return ", ".join(name for name in names if name)


def action_agent(attr: str, unset: Any) -> Callable[[Records, Row], Any]:
    """``includeagentdetails``: an action's ``who_<x>`` field, the ``attr`` of the agent who wrote it
    (``who_agentid``, else ``actionby_agent_id``); ``unset`` for an action by an end user."""

    def value(db: Records, row: Row) -> Any:
        agent = db.row("agents", row.get("who_agentid") or row.get("actionby_agent_id"))
        found = agent.get(attr) if agent is not None else None
        return unset if found is None else found

    return value


ACTION_AGENT: Mapping[str, Callable[[Records, Row], Any]] = {
    "who_initials": action_agent("initials", ""),
    "who_colour": action_agent("colour", ""),
    "who_imgpath": action_agent("agentphotopath", ""),
    "who_onlinestatus": action_agent("onlinestatus", 0),
}
"""The ``who_*`` fields of an action from its agent: list rows carry them with
``includeagentdetails=true`` (`ResourceSpec.included`), a read by id always."""


def agent_open_tickets(db: Records, row: Row) -> int:
    """Agent ``showcounts``: how many open tickets the agent is assigned."""
    table = db.tables["tickets"]
    return sum(1 for k in table.keys_where("agent_id", row["id"]) if ticket_open(db, table.rows[k]))


# -- includedetails ---------------------------------------------------------------------------------
def details_ticket(db: Records, row: Row, out: Row) -> None:
    """A ticket read with ``includedetails=true`` nests its requester (``user``) and its attachments
    (``attachments``, list-row shape without the bytes)."""
    user = db.tables["users"].rows.get(row.get("user_id"))
    if user is not None:
        out["user"] = {k: user.get(k, "") for k in ("id", "name", "emailaddress", "site_id", "client_id")}
    out["attachments"] = [
        _attachment_summary(db, db.tables["attachments"].rows[k])
        for k in db.keys_where("attachments", "ticket_id", row["id"])
    ]


def _attachment_summary(db: Records, attachment: Row) -> Row:
    return {
        "id": attachment["id"],
        "filename": attachment.get("filename", ""),
        "ticket_id": attachment.get("ticket_id", 0),
        "action_id": attachment.get("action_id", 0),
        "note": attachment.get("note", ""),
        "datecreated": attachment.get("datecreated", UNSET_DATE),
        "filesize": len(db.blobs.get(attachment["id"], b"")),
    }
