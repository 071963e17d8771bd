"""The resource catalogue: the MCP server's (consumer's) description of the Halo REST API.

One `Resource` per Halo resource drives every generated tool (see `tool_specs.py`) and the
executor (see `executor.py`). Nothing here is written per tool: special behaviour is a field
(`list_key=None` for bare arrays, `pageable`, `id_type`, `unpaged_params`, `lookup`) or a named
hook (`hooks`), never a branch on a resource name in generic code.

Written from Halo's OpenAPI document and Halo's public documentation; Halo's own names are used
for paths, query parameters and record fields. This module never imports the mock.

Pagination: pageable resources are paged by Halo (`pageinate=true&page_size&page_no`).
Resources whose list endpoint has no paging (the bare-array lookups, actions, attachments) are
fetched once per call (with `unpaged_params`, e.g. a large `count`) and sliced by the server.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

METHODS = ("list", "get", "create", "update", "delete")
READ_METHODS = frozenset({"list", "get"})
WRITE_METHODS = frozenset({"create", "update", "delete"})
JSON_TYPES = frozenset({"integer", "number", "string", "boolean", "array", "object"})

_LOOKUP_READ_ONLY = "configuration lookup: read-only through this server; change it in Halo's admin settings"


@dataclass(frozen=True, slots=True, kw_only=True)
class Param:
    """One flat tool argument: a list filter, a query option, or a field of the JSON body."""

    name: str
    type: str
    description: str
    ref: str | None = None
    """Name of the catalogue resource whose id this argument holds."""
    csv: bool = False
    """An array of ids that Halo takes as one comma-separated query value."""
    item_type: str = "integer"
    """Item type of `array`/`csv` arguments (objects for body collections such as `lines`)."""
    required: bool = False
    """Required in the tool schema (for body fields: on every create and update)."""
    enum: tuple[Any, ...] | None = None
    minimum: int | None = None
    maximum: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Lookup:
    """How `find_halo_itsm_ids` resolves names of this resource to ids."""

    kind: str
    name_field: str = "name"
    id_field: str = "id"
    search_param: str | None = None
    """Query parameter narrowing the list by name (pageable resources); None = fetch the list."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Resource:
    name: str
    singular: str
    path: str
    tags: frozenset[str]
    summary: str
    """What the resource is, for tool descriptions."""
    methods: frozenset[str]
    not_offered: Mapping[str, str] = field(default_factory=dict)
    """Why a method in `METHODS` is absent from `methods` (documented in tool listings)."""
    list_key: str | None = None
    """Envelope key of the list response; None = Halo answers with a bare array."""
    pageable: bool = False
    id_type: str = "integer"
    id_note: str = ""
    filters: tuple[Param, ...] = ()
    get_params: tuple[Param, ...] = ()
    delete_params: tuple[Param, ...] = ()
    fields: tuple[Param, ...] = ()
    """Body fields of create/update (the record's fields, Halo names)."""
    create_required: tuple[str, ...] = ()
    """Fields required when creating (no `id`); checked by the executor before any request."""
    unpaged_params: Mapping[str, Any] = field(default_factory=dict)
    """Extra query parameters of an unpaged list fetch (e.g. a large `count`)."""
    lookup: Lookup | None = None
    hooks: Mapping[str, str] = field(default_factory=dict)
    """Named executor hooks per method (e.g. `{"create": "attachment_upload"}`)."""
    object_as_row: bool = False
    """Halo may answer the list with one object instead of rows (a settings-like resource): it becomes
    the one row of the result. Set where the shape is undocumented (generated entries)."""
    generated: bool = False
    """Generated from Halo's OpenAPI document (`generated.py`) rather than curated here."""

    @property
    def plural(self) -> str:
        return self.name


def _p(name: str, type_: str, description: str, **kw: Any) -> Param:
    return Param(name=name, type=type_, description=description, **kw)


def _id(name: str, ref: str, description: str, **kw: Any) -> Param:
    return Param(name=name, type="integer", ref=ref, description=description, **kw)


def _ids(name: str, ref: str | None, description: str, **kw: Any) -> Param:
    return Param(name=name, type="array", csv=True, ref=ref, description=description, **kw)


def _flag(name: str, description: str) -> Param:
    return Param(name=name, type="boolean", description=description)


_SEARCH = _p("search", "string", "Free-text filter (Halo's 'like' search).")
_ORDER = _p("order", "string", "Field name to sort by (default: ascending id).")
_ORDERDESC = _flag("orderdesc", "Sort descending by `order`.")
_INCLUDEINACTIVE = _flag("includeinactive", "Also return inactive records.")
_INCLUDEDETAILS = _flag("includedetails", "Return the full record with nested details.")
_CUSTOMFIELDS = _p(
    "customfields",
    "array",
    "Custom field values: objects with `id` or `name`, and `value`.",
    item_type="object",
)

_TICKET_FILTERS = (
    _SEARCH,
    _id("client_id", "clients", "Only records of this client."),
    _id("site_id", "sites", "Only records of this site."),
    _id("user_id", "users", "Only records of this end user."),
    _id("agent_id", "agents", "Only records assigned to this agent."),
    _id("status_id", "statuses", "Only records with this status."),
    _id("requesttype_id", "ticket_types", "Only records of this ticket type (Halo calls it requesttype)."),
    _ids("team", "teams", "Only records of these teams (team ids)."),
    _ids("agent", "agents", "Only records assigned to any of these agents."),
    _ids("status", "statuses", "Only records with any of these statuses."),
    _ids("priority", "priorities", "Only records with any of these priorities (integer `priorityid`)."),
    _flag("open_only", "Only open records (status not Closed or Cancelled)."),
    _flag("closed_only", "Only closed records."),
    _flag("includebreached", "Only records whose SLA is breached."),
    _id("parent_id", "tickets", "Only child records of this ticket/project."),
    _p(
        "datesearch",
        "string",
        "Date field that `startdate`/`enddate` filter on.",
        enum=("dateoccured", "datecleared"),
    ),
    _p("startdate", "string", "Start of the date range, `YYYY-MM-DDTHH:MM:SS` UTC."),
    _p("enddate", "string", "End of the date range, `YYYY-MM-DDTHH:MM:SS` UTC."),
    _ORDER,
    _ORDERDESC,
)

_TICKET_FIELDS = (
    _p("summary", "string", "One-line summary (subject)."),
    _p("details", "string", "Plain-text description."),
    _p("details_html", "string", "HTML description."),
    _id("tickettype_id", "ticket_types", "Ticket type."),
    _id("client_id", "clients", "Client (customer) the record belongs to."),
    _id("site_id", "sites", "Site of the client."),
    _id("user_id", "users", "End user who reported it."),
    _id("agent_id", "agents", "Assigned agent."),
    _id("team_id", "teams", "Assigned team."),
    _id("status_id", "statuses", "Status."),
    _id("priority_id", "priorities", "Priority (the integer `priorityid` of a priority row)."),
    _id("sla_id", "slas", "SLA."),
    _p("category_1", "string", "Category (text value)."),
    _p("impact", "integer", "Impact level."),
    _p("urgency", "integer", "Urgency level."),
    _id("parent_id", "tickets", "Parent ticket/project (makes this a child task)."),
    _p("startdate", "string", "Start date, `YYYY-MM-DDTHH:MM:SS` UTC."),
    _p("targetdate", "string", "Target date, `YYYY-MM-DDTHH:MM:SS` UTC."),
    _p("deadlinedate", "string", "Deadline, `YYYY-MM-DDTHH:MM:SS` UTC."),
    _p("estimate", "number", "Estimated effort in hours."),
    _flag("dont_do_rules", "Skip Halo's automation rules for this save."),
    _CUSTOMFIELDS,
)

_LOOKUP_ONLY = frozenset({"list", "get"})
_NO_LOOKUP_WRITES = MappingProxyType({m: _LOOKUP_READ_ONLY for m in ("create", "update", "delete")})
_ALL = frozenset(METHODS)

CURATED: tuple[Resource, ...] = (
    Resource(
        name="tickets",
        singular="ticket",
        path="/Tickets",
        tags=frozenset({"support"}),
        summary="Service desk tickets (incidents, requests, problems).",
        methods=_ALL,
        list_key="tickets",
        pageable=True,
        filters=_TICKET_FILTERS,
        get_params=(_INCLUDEDETAILS, _flag("includelastaction", "Include the most recent action.")),
        delete_params=(_p("reason", "string", "Why the ticket is deleted (kept in Halo's audit)."),),
        fields=_TICKET_FIELDS,
        create_required=("summary",),
    ),
    Resource(
        name="actions",
        singular="action",
        path="/Actions",
        tags=frozenset({"support", "projects"}),
        summary="Actions on a ticket or project (notes, emails, status changes, time entries).",
        methods=_ALL,
        list_key="actions",
        pageable=False,
        id_note="Action ids are numbered per ticket: always pass the `ticket_id` as well.",
        unpaged_params=MappingProxyType({"count": 100000}),
        filters=(
            _id("ticket_id", "tickets", "Ticket whose actions to list.", required=True),
            _flag("agentonly", "Only actions by agents."),
            _flag("conversationonly", "Only customer-facing conversation."),
            _flag("excludesys", "Leave out system-generated actions."),
            _flag("excludeprivate", "Leave out private notes."),
            _flag("importantonly", "Only actions flagged important."),
            _flag("includehtmlnote", "Include `note_html`."),
        ),
        get_params=(
            _id("ticket_id", "tickets", "Ticket the action belongs to.", required=True),
            _INCLUDEDETAILS,
        ),
        delete_params=(_id("ticket_id", "tickets", "Ticket the action belongs to.", required=True),),
        fields=(
            _id("ticket_id", "tickets", "Ticket the action belongs to.", required=True),
            _p("note", "string", "Plain-text note."),
            _p("note_html", "string", "HTML note."),
            _p("outcome", "string", "Action type by name (e.g. 'Private Note')."),
            _p("outcome_id", "integer", "Action type (outcome) id."),
            _flag("hiddenfromuser", "Private: hidden from the end user."),
            _p("timetaken", "number", "Time spent, in hours."),
            _id("new_status", "statuses", "Change the ticket to this status."),
            _flag("sendemail", "Email the note to the end user."),
            _p("emailto", "string", "Email recipients (semicolon-separated)."),
            _p("emailcc", "string", "Email CC recipients (semicolon-separated)."),
            _flag("important", "Flag the action as important."),
            _id("actionby_agent_id", "agents", "Agent the action is recorded for."),
            _flag("dont_do_rules", "Skip Halo's automation rules for this save."),
        ),
    ),
    Resource(
        name="attachments",
        singular="attachment",
        path="/Attachment",
        tags=frozenset({"support"}),
        summary="Files attached to tickets and actions.",
        methods=frozenset({"list", "get", "create", "delete"}),
        not_offered=MappingProxyType(
            {"update": "attachments are immutable files: upload a new one and delete the old one"}
        ),
        list_key="attachments",
        pageable=False,
        filters=(
            _id("ticket_id", "tickets", "Ticket whose attachments to list.", required=True),
            _p("action_id", "integer", "Only attachments of this action of the ticket."),
        ),
        fields=(
            _id("ticket_id", "tickets", "Ticket to attach the file to.", required=True),
            _p("action_id", "integer", "Action of that ticket to attach the file to."),
            _p("filename", "string", "File name, with extension (sets the MIME type)."),
            _p("note", "string", "Note shown with the attachment."),
        ),
        create_required=("filename",),
        hooks=MappingProxyType({"create": "attachment_upload", "get": "attachment_download"}),
    ),
    Resource(
        name="kb_articles",
        singular="kb_article",
        path="/KBArticle",
        tags=frozenset({"support"}),
        summary="Knowledge base articles.",
        methods=_ALL,
        list_key="articles",
        pageable=True,
        filters=(
            _SEARCH,
            _id("client_id", "clients", "Only articles for this client."),
            _p("faqlists", "string", "Only articles in these FAQ lists (comma-separated ids)."),
            _flag("needsreview", "Only articles due for review."),
            _INCLUDEINACTIVE,
            _ORDER,
            _ORDERDESC,
        ),
        get_params=(_INCLUDEDETAILS,),
        fields=(
            _p("name", "string", "Title."),
            _p("description", "string", "Problem description (plain text)."),
            _p("description_html", "string", "Problem description (HTML)."),
            _p("resolution", "string", "Resolution text."),
            _p("tag_string", "string", "Tags, comma-separated."),
            _p("type", "integer", "Article type."),
            _flag("inactive", "Archive the article."),
            _p("next_review_date", "string", "Next review date, `YYYY-MM-DDTHH:MM:SS` UTC."),
        ),
        create_required=("name",),
    ),
    Resource(
        name="teams",
        singular="team",
        path="/Team",
        tags=frozenset({"support", "lookups"}),
        summary="Agent teams tickets are assigned to.",
        methods=_LOOKUP_ONLY,
        not_offered=_NO_LOOKUP_WRITES,
        filters=(
            _p("department_id", "integer", "Only teams of this department."),
            _p("type", "string", "Only teams for this domain.", enum=("reqs", "opps", "prjs")),
            _flag("includedisabled", "Also return disabled teams."),
            _flag("showcounts", "Include open ticket counts."),
        ),
        get_params=(_INCLUDEDETAILS, _flag("includeagents", "Include the team's agents.")),
        lookup=Lookup(kind="team"),
    ),
    Resource(
        name="agents",
        singular="agent",
        path="/Agent",
        tags=frozenset({"support", "lookups"}),
        summary="Agents (technicians) who work tickets.",
        methods=_LOOKUP_ONLY,
        not_offered=_NO_LOOKUP_WRITES,
        filters=(
            _p("search", "string", "Name, email address or telephone."),
            _id("team_id", "teams", "Only agents in this team."),
            _flag("includedisabled", "Also return disabled agents."),
            _flag("includeunassigned", "Include the 'Unassigned' placeholder agent."),
        ),
        get_params=(_INCLUDEDETAILS,),
        lookup=Lookup(kind="agent"),
    ),
    Resource(
        name="statuses",
        singular="status",
        path="/Status",
        tags=frozenset({"support", "lookups"}),
        summary="Ticket statuses (default ids: 8 Cancelled, 9 Closed).",
        methods=_LOOKUP_ONLY,
        not_offered=_NO_LOOKUP_WRITES,
        filters=(
            _id("tickettype_id", "ticket_types", "Only statuses valid for this ticket type."),
            _flag("excludeclosed", "Leave out closed statuses."),
            _flag("showcounts", "Include ticket counts."),
        ),
        get_params=(_INCLUDEDETAILS,),
        lookup=Lookup(kind="status"),
    ),
    Resource(
        name="priorities",
        singular="priority",
        path="/Priority",
        tags=frozenset({"support", "lookups"}),
        summary="Priorities, one row per priority per SLA.",
        methods=_LOOKUP_ONLY,
        not_offered=_NO_LOOKUP_WRITES,
        id_type="string",
        id_note="A priority row's `id` is a string (uuid); tickets refer to its integer `priorityid`.",
        filters=(_id("slaid", "slas", "Only priorities of this SLA."),),
        get_params=(_INCLUDEDETAILS,),
        lookup=Lookup(kind="priority", id_field="priorityid"),
    ),
    Resource(
        name="slas",
        singular="sla",
        path="/SLA",
        tags=frozenset({"support", "lookups"}),
        summary="Service level agreements (response and fix targets).",
        methods=_LOOKUP_ONLY,
        not_offered=_NO_LOOKUP_WRITES,
        filters=(_flag("showpriorities", "Include each SLA's priorities."),),
        get_params=(_INCLUDEDETAILS,),
        lookup=Lookup(kind="sla"),
    ),
    Resource(
        name="ticket_types",
        singular="ticket_type",
        path="/TicketType",
        tags=frozenset({"support", "lookups"}),
        summary="Ticket types (incident, service request, project types, ...).",
        methods=_LOOKUP_ONLY,
        not_offered=_NO_LOOKUP_WRITES,
        filters=(
            _id("client_id", "clients", "Only types available to this client."),
            _p(
                "domain",
                "string",
                "Only types of this domain: reqs tickets, prjs projects, opps opportunities.",
                enum=("reqs", "prjs", "opps"),
            ),
            _flag("can_create_only", "Only types the caller may create."),
            _flag("showinactive", "Also return inactive types."),
        ),
        get_params=(_INCLUDEDETAILS, _flag("includeconfig", "Include the type's field configuration.")),
        lookup=Lookup(kind="ticket_type"),
    ),
    Resource(
        name="categories",
        singular="category",
        path="/Category",
        tags=frozenset({"support", "lookups"}),
        summary="Ticket categories (levels 1-4).",
        methods=_LOOKUP_ONLY,
        not_offered=_NO_LOOKUP_WRITES,
        filters=(
            _p("type_id", "integer", "Category level 1-4.", minimum=1, maximum=4),
            _id("tickettype_id", "ticket_types", "Only categories of this ticket type."),
            _id("team_id", "teams", "Only categories of this team."),
        ),
        get_params=(_INCLUDEDETAILS,),
    ),
    Resource(
        name="clients",
        singular="client",
        path="/Client",
        tags=frozenset({"crm"}),
        summary="Clients (customer organisations).",
        methods=_ALL,
        list_key="clients",
        pageable=True,
        filters=(
            _SEARCH,
            _flag("search_name_only", "Match `search` against the name only."),
            _p("toplevel_id", "integer", "Only clients under this top level."),
            _INCLUDEINACTIVE,
            _ORDER,
            _ORDERDESC,
        ),
        get_params=(_INCLUDEDETAILS,),
        fields=(
            _p("name", "string", "Client name."),
            _p("toplevel_id", "integer", "Top level (organisation group)."),
            _p("website", "string", "Website."),
            _p("notes", "string", "Notes."),
            _flag("is_vip", "VIP client."),
            _flag("inactive", "Deactivate the client."),
            _CUSTOMFIELDS,
        ),
        create_required=("name",),
        lookup=Lookup(kind="client", search_param="search"),
    ),
    Resource(
        name="sites",
        singular="site",
        path="/Site",
        tags=frozenset({"crm"}),
        summary="Sites (locations) of clients.",
        methods=_ALL,
        list_key="sites",
        pageable=True,
        filters=(
            _SEARCH,
            _id("client_id", "clients", "Only sites of this client."),
            _INCLUDEINACTIVE,
            _ORDER,
            _ORDERDESC,
        ),
        get_params=(_INCLUDEDETAILS,),
        fields=(
            _p("name", "string", "Site name."),
            _id("client_id", "clients", "Client the site belongs to."),
            _p("phonenumber", "string", "Phone number."),
            _p("timezone", "string", "Time zone name."),
            _p("notes", "string", "Notes."),
            _flag("inactive", "Deactivate the site."),
        ),
        create_required=("name", "client_id"),
        lookup=Lookup(kind="site", search_param="search"),
    ),
    Resource(
        name="users",
        singular="user",
        path="/Users",
        tags=frozenset({"crm"}),
        summary="End users (contacts) of clients.",
        methods=_ALL,
        list_key="users",
        pageable=True,
        filters=(
            _SEARCH,
            _id("client_id", "clients", "Only users of this client."),
            _id("site_id", "sites", "Only users of this site."),
            _INCLUDEINACTIVE,
            _ORDER,
            _ORDERDESC,
        ),
        get_params=(_INCLUDEDETAILS,),
        fields=(
            _p("name", "string", "Full name."),
            _p("firstname", "string", "First name."),
            _p("surname", "string", "Surname."),
            _p("emailaddress", "string", "Email address."),
            _p("phonenumber", "string", "Phone number."),
            _p("title", "string", "Job title."),
            _id("site_id", "sites", "Site the user belongs to."),
            _flag("inactive", "Deactivate the user."),
            _CUSTOMFIELDS,
        ),
        create_required=("name", "site_id"),
        lookup=Lookup(kind="user", search_param="search"),
    ),
    Resource(
        name="projects",
        singular="project",
        path="/Projects",
        tags=frozenset({"projects"}),
        summary="Projects (tickets of a project ticket type; tasks are child tickets via `parent_id`).",
        methods=_ALL,
        list_key="tickets",
        pageable=True,
        filters=_TICKET_FILTERS,
        get_params=(_INCLUDEDETAILS,),
        delete_params=(_p("reason", "string", "Why the project is deleted (kept in Halo's audit)."),),
        fields=(
            *_TICKET_FIELDS,
            _p("projecttimebudget", "number", "Time budget in hours."),
            _p("projectmoneybudget", "number", "Money budget."),
        ),
        create_required=("summary",),
        lookup=Lookup(kind="project", name_field="summary", search_param="search"),
    ),
    Resource(
        name="quotes",
        singular="quote",
        path="/Quotation",
        tags=frozenset({"billing"}),
        summary="Quotations for clients (approvalstate 0 awaiting approval, 1 approved, 2 rejected).",
        methods=_ALL,
        list_key="quotes",
        pageable=True,
        filters=(
            _SEARCH,
            _id("client_id", "clients", "Only quotes of this client."),
            _id("site_id", "sites", "Only quotes of this site."),
            _id("ticket_id", "tickets", "Only quotes raised from this ticket or project."),
            _flag("awaiting_approval", "Only quotes awaiting approval."),
            _ids("quote_status", None, "Only quotes with any of these status values."),
            _flag("includelines", "Include the quote lines."),
            _ORDER,
            _ORDERDESC,
        ),
        get_params=(_INCLUDEDETAILS,),
        fields=(
            _p("title", "string", "Quote title."),
            _id("client_id", "clients", "Client the quote is for."),
            _id("site_id", "sites", "Site of the client."),
            _id("user_id", "users", "Contact at the client."),
            _id("ticket_id", "tickets", "Ticket or project the quote belongs to."),
            _id("agent_id", "agents", "Agent who owns the quote."),
            _p("date", "string", "Quote date, `YYYY-MM-DDTHH:MM:SS` UTC."),
            _p("expiry_date", "string", "Expiry date, `YYYY-MM-DDTHH:MM:SS` UTC."),
            _p("note", "string", "Note."),
            _p("approvalstate", "integer", "0 awaiting approval, 1 approved, 2 rejected.", enum=(0, 1, 2)),
            _p(
                "lines",
                "array",
                "Quote lines: objects with e.g. `item_id`, `name`, `description`, `quantity`, `price`.",
                item_type="object",
            ),
        ),
        create_required=("client_id",),
    ),
    Resource(
        name="invoices",
        singular="invoice",
        path="/Invoice",
        tags=frozenset({"billing"}),
        summary="Invoices.",
        methods=_ALL,
        list_key="invoices",
        pageable=True,
        filters=(
            _SEARCH,
            _id("client_id", "clients", "Only invoices of this client."),
            _id("site_id", "sites", "Only invoices of this site."),
            _id("ticket_id", "tickets", "Only invoices of this ticket."),
            _id("contract_id", "contracts", "Only invoices of this contract."),
            _flag("postedonly", "Only posted invoices."),
            _flag("notpostedonly", "Only invoices not yet posted."),
            _ids("paymentstatuses", None, "Only invoices with any of these payment statuses."),
            _flag("includelines", "Include the invoice lines."),
            _ORDER,
            _ORDERDESC,
        ),
        get_params=(_INCLUDEDETAILS,),
        delete_params=(_flag("bypass_accounts_sync", "Do not sync the deletion to the accounts package."),),
        fields=(
            _id("client_id", "clients", "Client invoiced."),
            _id("ticket_id", "tickets", "Ticket the invoice is for."),
            _id("contract_id", "contracts", "Contract the invoice is for."),
            _p("invoice_date", "string", "Invoice date, `YYYY-MM-DDTHH:MM:SS` UTC."),
            _p("reference", "string", "Reference."),
            _p("internal_note", "string", "Internal note."),
            _p(
                "lines",
                "array",
                "Invoice lines: objects with e.g. `item_code`, `item_shortdescription`, "
                "`qty_order`, `unit_price`.",
                item_type="object",
            ),
        ),
        create_required=("client_id",),
    ),
    Resource(
        name="contracts",
        singular="contract",
        path="/ClientContract",
        tags=frozenset({"billing"}),
        summary="Client contracts (service agreements with periods and billing).",
        methods=_ALL,
        list_key="contracts",
        pageable=True,
        filters=(
            _SEARCH,
            _id("client_id", "clients", "Only contracts of this client."),
            _id("site_id", "sites", "Only contracts of this site."),
            _INCLUDEINACTIVE,
            _flag("excluderenewed", "Leave out contracts that were renewed."),
            _ORDER,
            _ORDERDESC,
        ),
        get_params=(_INCLUDEDETAILS,),
        fields=(
            _id("client_id", "clients", "Client the contract is with."),
            _id("site_id", "sites", "Site covered."),
            _id("sla_id", "slas", "SLA of the contract."),
            _p("ref", "string", "Contract reference."),
            _p("start_date", "string", "Start date, `YYYY-MM-DDTHH:MM:SS` UTC."),
            _p("end_date", "string", "End date, `YYYY-MM-DDTHH:MM:SS` UTC."),
            _p("periodchargeamount", "number", "Charge per billing period."),
            _p("note", "string", "Note."),
        ),
        create_required=("client_id",),
    ),
    Resource(
        name="assets",
        singular="asset",
        path="/Asset",
        tags=frozenset({"assets"}),
        summary="Assets (configuration items: devices, licences, ...).",
        methods=_ALL,
        list_key="assets",
        pageable=True,
        filters=(
            _SEARCH,
            _id("client_id", "clients", "Only assets of this client."),
            _id("site_id", "sites", "Only assets of this site."),
            _id("ticket_id", "tickets", "Only assets linked to this ticket."),
            _p("assettype_id", "integer", "Only assets of this asset type."),
            _p("inventory_number", "string", "Only the asset with this inventory number (asset tag)."),
            _INCLUDEINACTIVE,
            _ORDER,
            _ORDERDESC,
        ),
        get_params=(_INCLUDEDETAILS,),
        fields=(
            _p("inventory_number", "string", "Inventory number (asset tag)."),
            _p("key_field", "string", "Main identifying field (e.g. device name)."),
            _id("client_id", "clients", "Client owning the asset."),
            _id("site_id", "sites", "Site of the asset."),
            _p("assettype_id", "integer", "Asset type."),
            _flag("inactive", "Deactivate the asset."),
            _CUSTOMFIELDS,
        ),
        create_required=("client_id",),
    ),
)


def check_resources(resources: tuple[Resource, ...]) -> None:
    """Fail (at import or load time) if a table contradicts itself."""
    names = {r.name for r in resources}
    if len(names) != len(resources):
        raise ValueError("resource names are not unique")
    for r in resources:
        unknown = r.methods - set(METHODS)
        if unknown:
            raise ValueError(f"{r.name}: unknown methods {sorted(unknown)}")
        missing = set(METHODS) - r.methods - set(r.not_offered)
        if missing:
            raise ValueError(f"{r.name}: say why {sorted(missing)} are not offered")
        field_names = {f.name for f in r.fields}
        if not set(r.create_required) <= field_names:
            raise ValueError(f"{r.name}: create_required not among fields")
        for p in (*r.filters, *r.get_params, *r.delete_params, *r.fields):
            if p.type not in JSON_TYPES:
                raise ValueError(f"{r.name}.{p.name}: bad type {p.type}")
            if p.ref is not None and p.ref not in names:
                raise ValueError(f"{r.name}.{p.name}: unknown reference {p.ref}")
        if r.id_type not in {"integer", "string"}:
            raise ValueError(f"{r.name}: bad id_type")


check_resources(CURATED)

CATALOGUE: Mapping[str, Resource] = MappingProxyType({r.name: r for r in CURATED})


def resource(name: str) -> Resource:
    """The catalogue entry called `name`; raises `KeyError` naming it when there is none."""
    try:
        return CATALOGUE[name]
    except KeyError:
        raise KeyError(f"no resource {name!r} in the catalogue") from None
