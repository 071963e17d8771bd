"""The resource table: one `ResourceSpec` per Halo resource the mock serves.

Everything generic in `store.HaloStore` (and its query, index, coercion and rendering parts)
and `routes` is driven from `RESOURCES`; a resource's special behaviour is a field here or a
*named hook* (a string naming a function registered in `rules`), never a name check in
generic code. Field names and list keys are Halo's (Halo's OpenAPI schemas
`Faults`, `Actions`, `Area`, ... and the other sources listed in `FIDELITY.md`). What a resource does not
implement is said in its ``not_implemented`` entry.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Literal, TypeGuard, get_args

from halo_sandbox.mock.exceptions import NotFound

FieldType = Literal["int", "float", "str", "bool", "date", "list", "object", "lines", "id"]
"""How a body field is coerced: ``int`` accepts JSON integers, integral floats (``21.0``) and
digit strings as Halo's JSON binder does; ``date`` accepts ISO-8601 and is stored as
``YYYY-MM-DDTHH:MM:SS`` UTC; ``lines`` is a list of line objects validated by the resource's
``line_fields``; ``id`` is the primary key (int, or a string for uuid-keyed resources)."""

FilterKind = Literal["int", "csv", "flag", "str", "hook"]
"""``int``: equality on an indexed field; ``csv``: comma-separated ints, any-of on an indexed
field; ``flag``: a boolean parameter that, when true, pins an indexed (possibly derived) field
to ``value``; ``str``: equality on an indexed string field (case-insensitive); ``hook``: a
predicate named by ``hook`` (used only for rules that depend on time or ranges)."""


UNSET_IDS = (None, 0, -1)
"""Reference values meaning "none" (Halo uses -1 for unset integration ids)."""


@dataclass(frozen=True, kw_only=True)
class Ref:
    """A reference from a record field to another table (``key`` is the referenced field)."""

    table: str
    key: str = "id"
    scoped_by: str | None = None
    """For per-ticket ids (actions): the field of the referencing record holding the scope."""


@dataclass(frozen=True, kw_only=True)
class ByName:
    """A posted field that may name a record instead of giving its id (Halo's ticket ``team`` is a
    team name, an action's ``new_team`` a team name, its ``outcome`` an outcome name): a value that
    is not a number is looked up (case-insensitively) by ``attr`` in ``table`` and the id found is
    stored in ``target``; an unknown name is refused like an unknown id."""

    target: str
    table: str
    attr: str = "name"
    keep: bool = False
    """Keep the posted name as well (an action's ``outcome`` text)."""


@dataclass(frozen=True, kw_only=True)
class CustomField:
    """A custom field definition of a record type (Halo's ``CustomField``: ``id``, ``name``, ``label``,
    ``type``). Records answer every definition of their type in ``customfields`` with its ``value``
    and ``display``; writes set values by ``id`` or ``name``."""

    id: int
    name: str
    label: str
    type: int = 0
    """Halo's input type code: 0 text, 1 memo, 2 single selection, 4 date, 5 number (values are
    stored as sent)."""


@dataclass(frozen=True, kw_only=True)
class Filter:
    param: str
    kind: FilterKind
    field: str = ""
    value: object = True
    hook: str = ""
    unless: tuple[str, ...] = ()
    """Boolean parameters that, when true, leave this filter's parameter to a hook filter that reads
    it another way (an action list's ``ticket_id`` with ``ischildnotes``: the ticket's children)."""


@dataclass(frozen=True, kw_only=True)
class ResourceSpec:
    name: str
    """The resource's name in the table (also the ``resource=`` argument of store calls)."""
    singular: str
    """How messages name one record (``Ticket 5 not found.``, ``Client 999 does not exist.``)."""
    path: str
    """Halo's path segment under ``/api`` (matched case-insensitively)."""
    table: str
    """The storage table (keys of ``fixtures.build_world()``). Projects share ``tickets``."""
    list_key: str | None
    """Envelope key of list responses; ``None`` for Halo's bare-array lookups."""
    paged_list_key: str | None = None
    """Envelope key used instead when a bare-array resource is asked to ``pageinate``."""
    pageable: bool = True
    count_default: int | None = 50
    """Rows returned when not paginating (``None``: all rows)."""
    id_kind: Literal["int", "uuid"] = "int"
    id_scope: str | None = None
    """Per-parent ids (Halo actions are numbered per ticket): the field holding the parent id;
    by-id reads and deletes then need that field as a query parameter."""
    view: tuple[str, object] | None = None
    """A derived field pinned to a value for this resource's view of a shared table."""
    fields: Mapping[str, FieldType] = field(default_factory=dict)
    """Stored fields the mock understands and type-checks. Other body fields are kept as sent
    (Halo has hundreds per record), except ``computed`` ones, which are dropped on write."""
    line_fields: Mapping[str, FieldType] = field(default_factory=dict)
    computed: tuple[str, ...] = ()
    """Fields the store computes on read (by the ``compute`` hook); ignored when posted."""
    names: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    """Computed display names: field -> (reference field, attribute of the referenced row), e.g.
    ``client_name`` = the ``name`` of the client ``client_id`` refers to. Ignored when posted."""
    answered_by_name: Mapping[str, str] = field(default_factory=dict)
    """Stored reference fields Halo documents as strings, answered as the referenced record's
    ``attr`` (``""`` when unset): field -> attribute, e.g. an action's ``new_team`` (a team id
    stored, its ``name`` answered). Posted as an id or a name (``by_name``)."""
    refs: Mapping[str, Ref] = field(default_factory=dict)
    required: tuple[str, ...] = ()
    """Fields a create must carry (non-empty)."""
    defaults: Mapping[str, object] = field(default_factory=dict)
    filters: tuple[Filter, ...] = ()
    search_fields: tuple[str, ...] = ("name",)
    derived: Mapping[str, str] = field(default_factory=dict)
    """Indexed values computed from a row: name -> hook (e.g. ``open`` from ``status_id``)."""
    compound_indexes: tuple[tuple[str, ...], ...] = ()
    """Multi-field indexes for the common filter combinations (each lookup is then O(page))."""
    reindex: tuple[str, ...] = ()
    """Tables whose derived index values depend on this table's rows (rebuilt on its writes)."""
    cascade: tuple[tuple[str, str], ...] = ()
    """(table, field) pairs deleted together with a record of this resource."""
    compute: str = ""
    """Hook adding computed fields on read."""
    details: str = ""
    """Hook adding what ``includedetails=true`` expands on ``GET /{id}`` (nested records Halo
    answers only when asked; lists and plain reads stay without them)."""
    included: Mapping[str, str] = field(default_factory=dict)
    """Fields a list row carries only when a documented ``include<x>`` parameter asks for them
    (`params.RULES`), computed from other records: field -> hook (``child_ticket_ids``)."""
    on_write: str = ""
    """Hook run on every validated create/update (defaults that depend on state, decoding)."""
    after_write: str = ""
    """Hook for side effects on other tables once a write is applied."""
    list_requires: str | None = None
    """A parameter without which Halo lists nothing (``ticket_id`` for actions)."""
    envelope_extras: Mapping[str, object] = field(default_factory=dict)
    """Constant extra fields of the list envelope (``include_children`` on tickets)."""
    by_name: Mapping[str, ByName] = field(default_factory=dict)
    """Posted fields that may name a record rather than give its id (see `ByName`)."""
    attachment_links: Mapping[str, str] = field(default_factory=dict)
    """Attachments embedded in a posted record (its ``attachments`` array) are created as attachment
    records with these fields (attachment field -> field of the saved record)."""
    alt_key: str = ""
    """For uuid-keyed resources: an integer id in the path finds the first row whose ``alt_key``
    equals it (``/Priority/3`` -> the first policy of priority 3)."""
    custom_fields: tuple[CustomField, ...] = ()
    """The custom fields this record type carries (seeded definitions; see `CustomField`)."""
    write_only: tuple[str, ...] = ()
    """Documented fields a read never answers (an attachment's bytes)."""
    raw_get: str = ""
    """Hook naming the stored bytes ``GET /{id}`` answers with rather than JSON (attachments);
    the table's rows then own the store's file content."""
    read_scope: str
    edit_scope: str
    not_implemented: tuple[str, ...] = ()
    notes: str = ""

    @property
    def read_only(self) -> frozenset[str]:
        """Every field the store computes (dropped from posted bodies)."""
        return frozenset(self.computed) | frozenset(self.names)


_CLIENT_NAME = {"client_name": ("client_id", "name")}
_SITE_NAME = {"site_name": ("site_id", "name")}


def _is_field_type(kind: str) -> TypeGuard[FieldType]:
    return kind in get_args(FieldType)


def _types(**groups: str) -> dict[str, FieldType]:
    """``_types(int="a b", str="c")`` -> ``{"a": "int", "b": "int", "c": "str"}``."""
    out: dict[str, FieldType] = {}
    for kind, names in groups.items():
        if not _is_field_type(kind):
            raise ValueError(f"{kind!r} is not a FieldType")
        for name in names.split():
            out[name] = kind
    return out


_TICKET_FIELDS = _types(
    id="id",
    int="tickettype_id status_id priority_id sla_id client_id site_id user_id agent_id team_id "
    "categoryid_1 categoryid_2 categoryid_3 categoryid_4 impact urgency source parent_id "
    "contract_id organisation_id department_id supplier_id",
    str="summary details details_html category_1 category_2 category_3 category_4 reportedby "
    "user_email emailtolist emailcclist",
    bool="onhold excludefromsla flagged inactive",
    float="estimate timetaken projecttimebudget projectmoneybudget",
    date="dateoccurred dateclosed lastactiondate fixbydate respondbydate deadlinedate startdate targetdate",
    list="customfields tags milestones budgets",
)

_TICKET_REFS = {
    "client_id": Ref(table="clients"),
    "site_id": Ref(table="sites"),
    "user_id": Ref(table="users"),
    "agent_id": Ref(table="agents"),
    "team_id": Ref(table="teams"),
    "status_id": Ref(table="statuses"),
    "priority_id": Ref(table="priorities", key="priorityid"),
    "sla_id": Ref(table="slas"),
    "tickettype_id": Ref(table="ticket_types"),
    "parent_id": Ref(table="tickets"),
    "contract_id": Ref(table="contracts"),
}

_TICKET_FILTERS = (
    Filter(param="client_id", kind="int", field="client_id"),
    Filter(param="site_id", kind="int", field="site_id"),
    Filter(param="user_id", kind="int", field="user_id"),
    Filter(param="agent_id", kind="int", field="agent_id"),
    Filter(param="status_id", kind="int", field="status_id"),
    Filter(param="requesttype_id", kind="int", field="tickettype_id"),
    Filter(param="parent_id", kind="int", field="parent_id"),
    Filter(param="contract_id", kind="int", field="contract_id"),
    Filter(param="team", kind="csv", field="team_id"),
    Filter(param="priority", kind="csv", field="priority_id"),
    Filter(param="status", kind="csv", field="status_id"),
    Filter(param="agent", kind="csv", field="agent_id"),
    Filter(param="requesttype", kind="csv", field="tickettype_id"),
    Filter(param="sla", kind="csv", field="sla_id"),
    Filter(param="client_ids", kind="csv", field="client_id"),
    Filter(param="open_only", kind="flag", field="open", value=True),
    Filter(param="closed_only", kind="flag", field="open", value=False),
    Filter(param="domain", kind="str", field="domain"),
    Filter(param="includebreached", kind="hook", hook="breached"),
    Filter(param="datesearch", kind="hook", hook="daterange"),
    Filter(param="includeclosed", kind="hook", hook="closed_states"),
    Filter(param="includeprojects", kind="hook", hook="project_states"),
    Filter(param="includechildren", kind="hook", hook="child_states"),
    Filter(param="withattachments", kind="hook", hook="attached"),
    Filter(param="asset_id", kind="hook", hook="linked_asset"),
    Filter(param="related_id", kind="hook", hook="related_ticket"),
    Filter(param="calendar_startdate", kind="hook", hook="calendar"),
    Filter(param="includesubmittedonly", kind="hook", hook="submitted"),
    Filter(param="submittedandagents", kind="hook", hook="submitted_or_assigned"),
)

# Tickets and projects share one table and all but their name, path and scopes (a partial of the
# spec, so every field is checked against ResourceSpec's types).
_ticket_spec = partial(
    ResourceSpec,
    singular="Ticket",
    table="tickets",
    list_key="tickets",
    fields=_TICKET_FIELDS,
    computed=(
        "priority_name",
        "priority",
        "slastate",
        "is_project",
        "is_opportunity",
        "use",
        "attachment_count",
    ),
    names={
        **_CLIENT_NAME,
        **_SITE_NAME,
        "user_name": ("user_id", "name"),
        "agent_name": ("agent_id", "name"),
        "status_name": ("status_id", "name"),
        "tickettype_name": ("tickettype_id", "name"),
        "team": ("team_id", "name"),
        "sla_name": ("sla_id", "name"),
    },
    refs=_TICKET_REFS,
    required=("summary",),
    filters=_TICKET_FILTERS,
    search_fields=("summary", "details"),
    derived={"open": "ticket_open", "domain": "ticket_domain"},
    compound_indexes=(
        ("client_id", "open"),
        ("domain", "client_id"),
        ("domain", "open"),
        ("agent_id", "open"),
        ("team_id", "open"),
    ),
    cascade=(("actions", "ticket_id"), ("attachments", "ticket_id")),
    compute="ticket",
    details="ticket",
    included={
        "child_ticket_ids": "child_ids",
        "child_count_open": "open_children",
        "startdatetime": "project_start",
        "enddatetime": "project_end",
        "userdepartments": "user_departments",
    },
    on_write="ticket",
    envelope_extras={"include_children": False},
    by_name={"team": ByName(target="team_id", table="teams")},
    custom_fields=(
        CustomField(id=101, name="CFCostCentre", label="Cost centre"),
        CustomField(id=102, name="CFAffectedUsers", label="Affected users", type=5),
        CustomField(id=103, name="CFRootCause", label="Root cause", type=1),
    ),
    attachment_links={"ticket_id": "id"},
)

_lookup_spec = partial(
    ResourceSpec,
    pageable=False,
    count_default=None,
    list_key=None,
    read_scope="read:tickets",
    edit_scope="admin",
)

RESOURCES: tuple[ResourceSpec, ...] = (
    # Lookups first: seed data loads in this order, so references resolve.
    _lookup_spec(
        name="slas",
        singular="SLA",
        path="SLA",
        table="slas",
        fields=_types(
            id="id", str="name workday_name", int="workday_id", bool="trackslaresponsetime trackslafixbytime"
        ),
        required=("name",),
        not_implemented=("showpriorities/showworkdays (priorities and workdays are not nested)",),
    ),
    _lookup_spec(
        name="priorities",
        singular="Priority",
        path="Priority",
        table="priorities",
        id_kind="uuid",
        fields=_types(
            id="id",
            int="priorityid slaid",
            str="name fixunits responseunits colour",
            float="fixtime responsetime",
            bool="ishidden fixendofday responseendofday",
        ),
        refs={"slaid": Ref(table="slas")},
        alt_key="priorityid",
        required=("name", "priorityid"),
        filters=(Filter(param="slaid", kind="int", field="slaid"),),
        notes="Halo `Policy`: one row per priority per SLA; `id` is a uuid string and tickets' "
        "`priority_id` refers to `priorityid`.",
    ),
    _lookup_spec(
        name="statuses",
        singular="Status",
        path="Status",
        table="statuses",
        fields=_types(id="id", str="name shortname colour", int="type sequence"),
        required=("name",),
        filters=(Filter(param="type", kind="int", field="type"),),
        not_implemented=("showcounts (ticket_count is not computed)", "excludeclosed/excludepending"),
    ),
    _lookup_spec(
        name="ticket_types",
        singular="Ticket type",
        path="TicketType",
        table="ticket_types",
        fields=_types(
            id="id",
            str="name use group_name",
            int="sequence group_id workflow_id sla_id",
            bool="visible agentscanselect enduserscanselect allowattachments",
        ),
        refs={"sla_id": Ref(table="slas")},
        required=("name",),
        defaults={"use": "reqs"},
        filters=(Filter(param="domain", kind="str", field="use"),),
        reindex=("tickets",),
        notes="`use` is Halo's domain: `reqs` tickets, `prjs` projects, `opps` opportunities.",
    ),
    _lookup_spec(
        name="teams",
        singular="Team",
        path="Team",
        table="teams",
        fields=_types(
            id="id",
            str="name emailaddress department_name",
            int="sequence department_id",
            bool="inactive forrequests foropps forprojects",
        ),
        required=("name",),
        filters=(Filter(param="department_id", kind="int", field="department_id"),),
        details="team",
        not_implemented=(
            "includeagentsforteams (agents[] is not nested in lists)",
            "includeagents (agents[] comes with includedetails)",
        ),
    ),
    _lookup_spec(
        name="agents",
        singular="Agent",
        path="Agent",
        table="agents",
        paged_list_key="results",
        fields=_types(
            id="id",
            str="name firstname surname initials email jobtitle phonenumber",
            int="team_id",
            bool="isdisabled is_agent",
            list="teams",
        ),
        refs={"team_id": Ref(table="teams")},
        names={"team": ("team_id", "name")},
        required=("name",),
        filters=(Filter(param="team_id", kind="int", field="team_id"),),
        search_fields=("name", "email"),
        included={"ticket_count": "agent_open_tickets", "named_licences_in_use": "agent_named_count"},
        notes="`team_id` is the agent's default team; `team` (its name) is computed.",
    ),
    _lookup_spec(
        name="categories",
        singular="Category",
        path="Category",
        table="categories",
        fields=_types(id="id", str="value category_name note", int="type_id sla_id priority_id"),
        required=("value",),
        filters=(Filter(param="type_id", kind="int", field="type_id"),),
        search_fields=("value",),
    ),
    _lookup_spec(
        name="outcomes",
        singular="Outcome",
        path="Outcome",
        table="outcomes",
        fields=_types(
            id="id",
            str="outcome buttonname labellong",
            int="newstatus systemid sequence sendemail",
            bool="hidden hidefromuser",
            float="defaultmanhrs",
        ),
        refs={"newstatus": Ref(table="statuses")},
        required=("outcome",),
        search_fields=("outcome",),
    ),
    _lookup_spec(
        name="asset_types",
        singular="Asset type",
        path="AssetType",
        table="asset_types",
        fields=_types(id="id", str="name icon assetgroup_name", int="assetgroup_id"),
        required=("name",),
        read_scope="read:assets",
        notes="Halo `Xtype`: an asset's `assettype_id` names one; its group is `assetgroup_id` (asset "
        "groups themselves are not a table: `/AssetGroup` is generic).",
    ),
    ResourceSpec(
        name="clients",
        singular="Client",
        path="Client",
        table="clients",
        list_key="clients",
        fields=_types(
            id="id",
            str="name notes website ref colour",
            int="toplevel_id main_site_id stopped",
            bool="inactive is_vip",
            list="customfields",
        ),
        computed=("open_ticket_count",),
        required=("name",),
        filters=(Filter(param="toplevel_id", kind="int", field="toplevel_id"),),
        compute="client",
        details="client",
        custom_fields=(
            CustomField(id=201, name="CFAccountTier", label="Account tier", type=2),
            CustomField(id=202, name="CFContractOwner", label="Contract owner"),
        ),
        read_scope="read:customers",
        edit_scope="edit:customers",
        not_implemented=("showcounts, integration_type/integration_tenantids, column and filter profiles",),
    ),
    ResourceSpec(
        name="sites",
        singular="Site",
        path="Site",
        table="sites",
        list_key="sites",
        fields=_types(
            id="id",
            str="name phonenumber timezone notes emaildomain",
            int="client_id sla_id",
            bool="inactive isinvoicesite",
        ),
        refs={"client_id": Ref(table="clients"), "sla_id": Ref(table="slas")},
        names=_CLIENT_NAME,
        required=("name", "client_id"),
        filters=(
            Filter(param="client_id", kind="int", field="client_id"),
            Filter(param="stocklocation", kind="hook", hook="stock_locations"),
        ),
        custom_fields=(CustomField(id=301, name="CFSiteCode", label="Site code"),),
        read_scope="read:customers",
        edit_scope="edit:customers",
    ),
    ResourceSpec(
        name="users",
        singular="User",
        path="Users",
        table="users",
        list_key="users",
        fields=_types(
            id="id",
            str="name firstname surname title emailaddress phonenumber mobilenumber login",
            int="site_id client_id linked_agent_id priority_id",
            bool="inactive isimportantcontact",
            list="customfields",
        ),
        refs={"site_id": Ref(table="sites"), "client_id": Ref(table="clients")},
        names={**_CLIENT_NAME, **_SITE_NAME},
        required=("name", "site_id"),
        filters=(
            Filter(param="client_id", kind="int", field="client_id"),
            Filter(param="site_id", kind="int", field="site_id"),
        ),
        search_fields=("name", "emailaddress"),
        on_write="user",
        custom_fields=(CustomField(id=401, name="CFEmployeeId", label="Employee id"),),
        read_scope="read:customers",
        edit_scope="edit:customers",
        notes="`client_id` defaults to the site's client.",
    ),
    ResourceSpec(
        name="contracts",
        singular="Contract",
        path="ClientContract",
        table="contracts",
        list_key="contracts",
        fields=_types(
            id="id",
            str="ref note contract_status",
            int="client_id site_id user_id sla_id status billingperiod",
            float="periodchargeamount chargehoursperperiod",
            date="start_date end_date next_invoice_date",
        ),
        refs={
            "client_id": Ref(table="clients"),
            "site_id": Ref(table="sites"),
            "user_id": Ref(table="users"),
            "sla_id": Ref(table="slas"),
        },
        computed=("expired",),
        names=_CLIENT_NAME,
        required=("client_id",),
        filters=(
            Filter(param="client_id", kind="int", field="client_id"),
            Filter(param="site_id", kind="int", field="site_id"),
        ),
        search_fields=("ref", "note"),
        compute="contract",
        read_scope="read:contracts",
        edit_scope="edit:contracts",
    ),
    _ticket_spec(
        name="tickets",
        path="Tickets",
        read_scope="read:tickets",
        edit_scope="edit:tickets",
        not_implemented=(
            "/Tickets/View, /Tickets/vote, /Tickets/Object, /Tickets/processchildren answer with "
            "generic behaviour only",
            "mine, checkmyticketsonly and the other parameters about who asks",
            "the coded array filters (includeclosed, includehold, includechildren, includeprojects, ...)",
        ),
    ),
    _ticket_spec(
        name="projects",
        path="Projects",
        view=("domain", "prjs"),
        read_scope="read:projects",
        edit_scope="edit:projects",
        not_implemented=("/Projects/View", "milestones/budgets are stored as sent, not computed"),
        notes="A view of `tickets` whose ticket type has `use == 'prjs'`; creates default to the "
        "first project ticket type.",
    ),
    ResourceSpec(
        name="actions",
        singular="Action",
        path="Actions",
        table="actions",
        list_key="actions",
        pageable=False,
        id_scope="ticket_id",
        list_requires="ticket_id",
        fields=_types(
            id="id",
            int="ticket_id outcome_id who_agentid actionby_agent_id new_status new_agent new_team",
            str="outcome note note_html emailto emailcc emailsubject",
            bool="hiddenfromuser important sendemail actisbillable dont_do_rules",
            float="timetaken nonbilltime traveltime",
            date="datetime actioncompletiondate",
        ),
        refs={
            "ticket_id": Ref(table="tickets"),
            "outcome_id": Ref(table="outcomes"),
            "who_agentid": Ref(table="agents"),
            "actionby_agent_id": Ref(table="agents"),
            "new_status": Ref(table="statuses"),
            "new_agent": Ref(table="agents"),
            "new_team": Ref(table="teams"),
        },
        computed=("who", "attachment_count"),
        names={"new_status_name": ("new_status", "name")},
        answered_by_name={"new_team": "name"},  # `Actions.new_team` is documented as a string
        required=("ticket_id",),
        filters=(
            Filter(
                param="ticket_id", kind="int", field="ticket_id", unless=("ischildnotes", "isrelatednotes")
            ),
            Filter(param="ischildnotes", kind="hook", hook="ticket_family"),
        ),
        search_fields=("note",),
        compute="action",
        included={
            "who_initials": "action_agent_initials",
            "who_colour": "action_agent_colour",
            "who_imgpath": "action_agent_photo",
            "who_onlinestatus": "action_agent_status",
        },
        on_write="action",
        after_write="action",
        by_name={
            "new_team": ByName(target="new_team", table="teams"),
            "outcome": ByName(target="outcome_id", table="outcomes", attr="outcome", keep=True),
        },
        attachment_links={"ticket_id": "ticket_id", "action_id": "id"},
        read_scope="read:tickets",
        edit_scope="edit:tickets",
        not_implemented=(
            "listing by date range without ticket_id (returns nothing)",
            "/Actions/Review and /Actions/reaction answer with generic behaviour only",
            "the list flag intraticketonly (its description is cut short in Halo's document)",
        ),
        notes="Ids are per ticket; list, get and delete need `ticket_id`.",
    ),
    ResourceSpec(
        name="quotes",
        singular="Quote",
        path="Quotation",
        table="quotes",
        list_key="quotes",
        fields=_types(
            id="id",
            str="title note po_ref ponumber scope risk approvalname approvalemailaddress "
            "approvalnote currency",
            int="ticket_id client_id site_id user_id agent_id status approvalstate",
            date="date expiry_date approvaldatetime",
            bool="requires_approval",
            lines="lines",
            list="customfields",
        ),
        line_fields=_types(
            id="id",
            str="name description productcode note",
            int="item_id sort_seq",
            float="quantity price costprice discount_perc tax",
            bool="optional",
        ),
        refs={
            "ticket_id": Ref(table="tickets"),
            "client_id": Ref(table="clients"),
            "site_id": Ref(table="sites"),
            "user_id": Ref(table="users"),
            "agent_id": Ref(table="agents"),
        },
        computed=("revenue", "tax_total", "total", "margin"),
        names={
            **_CLIENT_NAME,
            **_SITE_NAME,
            "user_name": ("user_id", "name"),
            "assigned_agent_name": ("agent_id", "name"),
        },
        required=("client_id",),
        defaults={"status": 0, "approvalstate": 0},
        filters=(
            Filter(param="client_id", kind="int", field="client_id"),
            Filter(param="ticket_id", kind="int", field="ticket_id"),
            Filter(param="site_id", kind="int", field="site_id"),
            Filter(param="user_id", kind="int", field="user_id"),
            Filter(param="quote_status", kind="csv", field="status"),
            Filter(param="awaiting_approval", kind="flag", field="approvalstate", value=0),
            Filter(param="needsprocessing", kind="hook", hook="quote_needs_processing"),
        ),
        search_fields=("title", "note"),
        compute="quote",
        on_write="quote",
        read_scope="read:quotes",
        edit_scope="edit:quotes",
        not_implemented=(
            "/Quotation/Approval (approve by posting `approvalstate`)",
            "currentclientorall (undescribed, no evident meaning)",
        ),
        notes="`approvalstate`: 0 awaiting approval, 1 approved, 2 rejected (mock's choice). Totals "
        "are computed from `lines` (quantity x price, less discount_perc %, plus tax %).",
    ),
    ResourceSpec(
        name="invoices",
        singular="Invoice",
        path="Invoice",
        table="invoices",
        list_key="invoices",
        count_default=100,
        fields=_types(
            id="id",
            str="invoicenumber thirdpartyinvoicenumber reference internal_note currency",
            int="client_id ticket_id contract_id paymentstatus invoicetype",
            bool="posted is_recurring_invoice requires_approval",
            float="amountpaid",
            date="invoice_date duedate datesent dateposted datepaid",
            lines="lines",
            list="customfields",
        ),
        line_fields=_types(
            id="id",
            str="item_code item_shortdescription item_longdescription nominal_code tax_code",
            int="_itemid ticket_id contract_id asset_id",
            float="qty_order unit_price unit_cost tax_rate",
        ),
        refs={
            "client_id": Ref(table="clients"),
            "ticket_id": Ref(table="tickets"),
            "contract_id": Ref(table="contracts"),
        },
        computed=("revenue", "tax_total", "total", "amountdue"),
        names=_CLIENT_NAME,
        required=("client_id",),
        filters=(
            Filter(param="client_id", kind="int", field="client_id"),
            Filter(param="ticket_id", kind="int", field="ticket_id"),
            Filter(param="contract_id", kind="int", field="contract_id"),
            Filter(param="paymentstatuses", kind="csv", field="paymentstatus"),
            Filter(param="client_ids", kind="csv", field="client_id"),
            Filter(param="rinvoice_type", kind="hook", hook="invoice_type"),
            Filter(param="awaiting_approval", kind="hook", hook="invoice_awaiting_approval"),
        ),
        search_fields=("invoicenumber", "reference"),
        compute="invoice",
        on_write="invoice",
        read_scope="read:invoices",
        edit_scope="edit:invoices",
        not_implemented=(
            "/Invoice/updatelines and /Invoice/PDF/{id} answer with generic behaviour only",
            "ready_for_invoicing, sent_status, quote_status, billing_date, invoicedatestart/invoicedateend "
            "(no field of InvoiceHeader, or no documented value format, gives them a meaning)",
        ),
        notes="Totals are computed from `lines` (qty_order x unit_price plus tax_rate %).",
    ),
    ResourceSpec(
        name="kb_articles",
        singular="KB article",
        path="KBArticle",
        table="kb_articles",
        list_key="articles",
        fields=_types(
            id="id",
            str="name description description_html resolution resolution_html tag_string",
            int="type creator_id ticket_id view_count",
            bool="inactive",
            date="date_created date_edited next_review_date",
        ),
        refs={"ticket_id": Ref(table="tickets"), "creator_id": Ref(table="agents")},
        required=("name",),
        filters=(
            Filter(param="type", kind="int", field="type"),
            Filter(param="needsreview", kind="hook", hook="review_due"),
        ),
        search_fields=("name", "description", "resolution", "tag_string"),
        read_scope="read:kb",
        edit_scope="edit:kb",
        not_implemented=("/KBArticle/vote", "organisation_id, site_id and the language parameters"),
    ),
    ResourceSpec(
        name="assets",
        singular="Asset",
        path="Asset",
        table="assets",
        list_key="assets",
        fields=_types(
            id="id",
            str="inventory_number key_field key_field2 key_field3 username assettype_name",
            int="client_id site_id user_id assettype_id parent_id supplier_id",
            bool="inactive",
            date="warranty_end",
            list="fields customfields",
        ),
        refs={
            "client_id": Ref(table="clients"),
            "site_id": Ref(table="sites"),
            "user_id": Ref(table="users"),
            "parent_id": Ref(table="assets"),
        },
        names={**_CLIENT_NAME, **_SITE_NAME},
        required=("client_id",),
        filters=(
            Filter(param="client_id", kind="int", field="client_id"),
            Filter(param="site_id", kind="int", field="site_id"),
            Filter(param="user_id", kind="int", field="user_id"),
            Filter(param="assettype_id", kind="int", field="assettype_id"),
            Filter(param="assettypes", kind="csv", field="assettype_id"),
            Filter(param="ticket_id", kind="hook", hook="ticket_assets"),
            Filter(param="linked_to_ticket", kind="hook", hook="linked_to_ticket"),
            Filter(param="previously_selected_client_id", kind="hook", hook="selected_for_client"),
            Filter(param="previously_selected_site_id", kind="hook", hook="selected_for_site"),
            Filter(param="previously_selected_user_id", kind="hook", hook="selected_for_user"),
        ),
        search_fields=("inventory_number", "key_field", "key_field2", "username"),
        custom_fields=(CustomField(id=501, name="CFWarrantyRef", label="Warranty reference"),),
        read_scope="read:assets",
        edit_scope="edit:assets",
        not_implemented=("`assettype_name` is stored as sent, not computed from the asset type",),
    ),
    ResourceSpec(
        name="attachments",
        singular="Attachment",
        path="Attachment",
        table="attachments",
        list_key="attachments",
        pageable=False,
        count_default=None,
        fields=_types(
            id="id",
            int="ticket_id action_id type unique_id",
            str="filename note desc data data_base64",
            date="datecreated",
        ),
        refs={"ticket_id": Ref(table="tickets"), "action_id": Ref(table="actions", scoped_by="ticket_id")},
        computed=("filesize", "content_type", "isimage"),
        filters=(
            Filter(param="ticket_id", kind="int", field="ticket_id"),
            Filter(param="action_id", kind="int", field="action_id"),
            Filter(param="type", kind="int", field="type"),
            Filter(param="unique_id", kind="int", field="unique_id"),
        ),
        search_fields=("filename",),
        compute="attachment",
        on_write="attachment",
        raw_get="attachment",
        write_only=("data", "data_base64", "file"),
        read_scope="read:tickets",
        edit_scope="edit:tickets",
        not_implemented=(
            "/Attachment/image (multipart), /Attachment/document, /Attachment/GetS3PresignedURL "
            "answer with generic behaviour only",
        ),
        notes="List rows carry metadata only; `GET /Attachment/{id}` answers with the bytes.",
    ),
)


@dataclass(frozen=True, kw_only=True)
class GenericSpec:
    """A documented resource the table above does not model: served with generic behaviour
    (`mock_halo.generic`: list, get, create/update, delete, typed by the official request schema).
    Only the facts generic code cannot derive from the official document are listed here; every
    other documented path is generic with the defaults (`GENERIC_DEFAULT_SCOPE`, list key rule)."""

    path: str
    list_key: str | None
    """Envelope key of list responses (``None``: bare array)."""
    read_scope: str = "all:standard"
    edit_scope: str = "all:standard"
    source: str = ""


GENERIC_DEFAULT_SCOPE = "all:standard"
"""Scope of generic collections without a Halo scope of their own (``all`` covers it too)."""

GENERIC: tuple[GenericSpec, ...] = (
    # List keys: FIDELITY.md (§5.1 [H1 ResourceType values], §5.3 [P1]). Scopes: §1.2 scope names.
    GenericSpec(
        path="Supplier",
        list_key="suppliers",
        read_scope="read:suppliers",
        edit_scope="edit:suppliers",
        source="§5.1 [H1]",
    ),
    GenericSpec(
        path="Item", list_key="items", read_scope="read:items", edit_scope="edit:items", source="§5.1 [H1]"
    ),
    GenericSpec(
        path="Appointment",
        list_key="appointments",
        read_scope="read:calendar",
        edit_scope="edit:calendar",
        source="§5.1 [H1, M2]",
    ),
    GenericSpec(
        path="Report",
        list_key="reports",
        read_scope="read:reporting",
        edit_scope="edit:reporting",
        source="§5.1 [H1]",
    ),
    GenericSpec(
        path="SalesOrder",
        list_key="salesorders",
        read_scope="read:sos",
        edit_scope="edit:sos",
        source="§5.1 [H1]",
    ),
    GenericSpec(
        path="PurchaseOrder",
        list_key="purchaseorders",
        read_scope="read:pos",
        edit_scope="edit:pos",
        source="§5.1 [H1]",
    ),
    GenericSpec(
        path="SoftwareLicence",
        list_key="licences",
        read_scope="read:softwarelicensing",
        edit_scope="edit:softwarelicensing",
        source="§5.1 [H1]",
    ),
    GenericSpec(path="Release", list_key="releases", source="§5.1 [H1]"),
    GenericSpec(path="Service", list_key="services", source="§5.1 [H1]"),
    GenericSpec(
        path="TopLevel",
        list_key="tree",
        read_scope="read:customers",
        edit_scope="edit:customers",
        source="§5.3 [P1]",
    ),
    GenericSpec(
        path="RecurringInvoice",
        list_key="invoices",
        read_scope="read:invoices",
        edit_scope="edit:invoices",
        source="§5.3 [P1, H1]",
    ),
    GenericSpec(
        path="Timesheet",
        list_key="timesheets",
        read_scope="read:timesheets",
        edit_scope="edit:timesheets",
        source="§4 [H1]",
    ),
)

_GENERIC_BY_PATH = {spec.path.lower(): spec for spec in GENERIC}


def generic_spec(path: str) -> GenericSpec | None:
    """The table's entry for a generic collection path (``Supplier``), if it has one."""
    return _GENERIC_BY_PATH.get(path.lower())


SPECIAL_PATHS: Mapping[tuple[str, str], str] = {
    # Documented paths with behaviour of their own (hooks in `mock_halo.special`, sources in FIDELITY.md).
    ("GET", "/Agent/me"): "agent_me",
    ("GET", "/Users/me"): "user_me",
    ("GET", "/Client/me"): "client_me",
    ("GET", "/Asset/NextTag"): "asset_next_tag",
    ("POST", "/Invoice/{id}/void"): "invoice_void",
    ("POST", "/Attachment/image"): "attachment_upload",
}


TABLES: tuple[str, ...] = tuple(dict.fromkeys(spec.table for spec in RESOURCES))
"""Storage tables in load order (referenced tables before the tables referring to them)."""

_BY_NAME = {spec.name: spec for spec in RESOURCES}
_BY_PATH = {spec.path.lower(): spec for spec in RESOURCES}
_BY_TABLE = {spec.table: spec for spec in RESOURCES if spec.view is None}


def spec_named(name: str) -> ResourceSpec:
    """The spec for a resource name (``tickets``, ``projects``...); raises ``KeyError``."""
    return _BY_NAME[name]


def spec_for_path(path: str) -> ResourceSpec:
    """The spec served at ``/api/<path>`` (case-insensitive); raises `NotFound` otherwise."""
    try:
        return _BY_PATH[path.lower()]
    except KeyError:
        raise NotFound("The specified URL is invalid.") from None


def table_spec(table: str) -> ResourceSpec:
    """The spec that owns a storage table (its un-viewed resource)."""
    return _BY_TABLE[table]
