"""Documented list parameters acting as Halo's do, from the document outward.

`RULES` is a declarative table: each rule matches a documented query parameter by its name (a regular
expression over the lower-cased name) and its documented type, and says what the parameter does to
a list. `plan` resolves the parameters an operation documents against the official schema of its
records (`facts`), once per operation: a parameter whose rule finds no field of the record is not
acted on (the binding reports it, ``X-Sandbox-Ignored``). `Plan.read` turns one request's values
into a `ParamQuery`, which the table's store and the generic collections apply the same way: row
predicates, secondary orders, fields added to list rows, ids only.

Where the naming rule finds a field: the parameter itself (``supplier_id``), with ``_id``
(``agent`` -> ``agent_id``), a plural of it (``client_ids``, ``assettypes``, ``paymentstatuses``).
Each rule's ``source`` says whether Halo's document states the meaning (its parameter description)
or the mock infers it from the name (FIDELITY.md, "Parameters by rule"). No web imports.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from halo_sandbox.mock.domain import facts
from halo_sandbox.mock.engine.sorting import sort_key

Act = Literal[
    "order",
    "orderdesc",
    "inactive",
    "active",
    "activeinactive",
    "idonly",
    "exclude",
    "contains",
    "flag",
    "include",
    "field",
    "daterange",
    "me",
    "present",
    "first",
    "shown",
    "states",
    "omit",
    "which",
    "searchin",
    "offset",
    "hidden",
    "integration",
    "searchonly",
    "past",
    "searchrelated",
]

RecordLookup = Callable[[str, Any], Mapping[str, Any] | None]
"""``lookup(path, id)``: the stored record of the resource at Halo's ``path`` (``Client``) with that
id, ``None`` when there is none."""
ParamPredicate = Callable[[Mapping[str, Any]], bool]

_INTS = frozenset({"int32", "int64"})
_LISTS = frozenset({"string", "array<int32>"})


@dataclass(frozen=True, kw_only=True)
class ParamRule:
    """One kind of documented parameter: which names and types it matches and what it does."""

    pattern: str
    """Regular expression the lower-cased parameter name must match whole; its first group (when it
    has one) is the name the field is looked for by (``search_(.+)`` -> ``summary``)."""
    types: frozenset[str]
    """Documented types (`facts` normalised) the rule applies to."""
    act: Act
    fields: tuple[str, ...] = ()
    """Fixed candidate fields (the first the record has is used); empty: the naming rule."""
    target: str = ""
    """A field name built from the match (``categoryid_\\1`` for ``category_1``), tried before the
    naming rule."""
    value: bool = True
    """For ``flag``: the value the boolean field must have when the parameter is true; for
    ``present``: whether the fields are set (false: unset) in the records kept; for ``shown``: the
    value (set or not, with ``fields``) of the records a false parameter leaves out."""
    via: str = ""
    """``key>Path``: the field is looked for on the record ``key`` refers to (``client_id>Client``:
    the client's ``toplevel_id``), by the official schema of ``Path``'s records; the rule applies
    only to records that have ``key``."""
    withheld: bool = False
    """For ``include``: list rows carry the fields only when asked (the description says the
    parameter adds them to the response); by-id reads still carry them."""
    needs: str = ""
    """For ``include``: another parameter the description says must be given at the same time
    (Asset ``includeassetfields`` needs ``assettype_id``); without it the fields are not added."""
    choices: tuple[tuple[str, tuple[str, ...]], ...] = ()
    """For ``which``: each documented value and the fields (any set) a record it keeps has; the rule
    applies only when the record has a field for every value. For ``me``: each documented value and
    the field compared (``extraportalfilter``: ``myticketsonly`` the ticket's ``user_id``)."""
    mine: str = ""
    """For ``me`` on another field than the agent's id: ``user``, the field's value on the end-user
    record linked to the agent the token acts as (``linked_agent_id``, as ``GET /Users/me``)."""
    refers: str = ""
    """For ``me`` with ``mine``: the record field that refers to the linked record itself (tickets'
    ``user_id``), compared with that record's ``id`` rather than with a field of the same name."""
    own_id: bool = False
    """The parameter names the record's own id (``site_id`` on ``Site``): its first group is the
    record schema's name."""
    every: bool = False
    """For ``present``: every one of ``fields`` must be set (else any one)."""
    item: str = ""
    """With ``fields`` naming a list of objects: the items' field the parameter's ids are matched
    against (KBArticle ``client_id``: ``kbentryclientaccess`` items' ``client_id``)."""
    within: str = ""
    """A list field of the record whose items carry the field the parameter names (by the naming
    rule): records with such an item match (Invoice ``asset_id``: a line's ``asset_id``)."""
    among: frozenset[int] = frozenset()
    """For ``hidden`` on an int field: the values that mark the records left out unless asked
    (the Unassigned agent: ``id`` 1)."""
    on: frozenset[str] = frozenset()
    """The record schemas the rule applies to (empty: any): a relation that holds for one kind of
    record only (an invoice's site is its ticket's; a KB article's ticket is where it came from)."""
    related: str = ""
    """For ``searchrelated``: ``Path.key``, the records of Halo's ``Path`` whose ``key`` is this
    record's id (``Actions.ticket_id``: a ticket's actions); ``search`` also matches a record one of
    them matches on ``fields``."""
    alternative: bool = False
    """The parameter adds an OR condition: the records its predicate keeps are listed even when the
    other filters (the table's, ``search``, the other parameters) leave them out (``allapprovers``)."""
    source: str
    """Where the meaning comes from: Halo's document (its parameter description) or ``inferred``."""


RULES: tuple[ParamRule, ...] = (
    ParamRule(
        pattern=r"order[2-5]",
        types=frozenset({"string"}),
        act="order",
        source="S2: 'The name of the field to order by second' (third, ...)",
    ),
    ParamRule(
        pattern=r"orderdesc[2-5]",
        types=frozenset({"boolean"}),
        act="orderdesc",
        source="S2: 'Whether to order ascending or descending on second order'",
    ),
    ParamRule(
        pattern=r"includeinactive|includedisabled",
        types=frozenset({"boolean", "string"}),
        act="inactive",
        fields=("inactive", "isdisabled"),
        source="S2: 'Include clients that are inactive in the response' (sites, users, assets, KB, agents)",
    ),
    ParamRule(
        pattern=r"includeactive|includeenabled",
        types=frozenset({"boolean", "string"}),
        act="active",
        fields=("inactive", "isdisabled"),
        source="S2: 'Include clients that are active in the response'",
    ),
    ParamRule(
        pattern=r"activeinactive",
        types=frozenset({"string"}),
        act="activeinactive",
        fields=("inactive", "isdisabled"),
        source="S2: 'Takes two comma separated values, the first sets includeactive and the second sets "
        "includeinactive'",
    ),
    ParamRule(
        pattern=r"idonly",
        types=frozenset({"boolean"}),
        act="idonly",
        fields=("id",),
        source="S2: 'Returns only the ID field (Area ID) of the Clients'",
    ),
    ParamRule(
        pattern=r"ticketidonly",
        types=frozenset({"boolean"}),
        act="idonly",
        fields=("id", "sla_id", "status_id", "client_id", "client_name", "lastincomingemail"),
        source="S1/P1: 'returns only id fields (id, sla_id, status_id, client_id, client_name, "
        "lastincomingemail)'",
    ),
    ParamRule(
        pattern=r"alerttype",
        types=frozenset({"string"}),
        act="include",
        fields=("fninjaalertid",),
        source="S2: 'Includes fninjaalertid field in the response'",
    ),
    ParamRule(
        pattern=r"excludethese",
        types=_LISTS,
        act="exclude",
        fields=("id",),
        source="S2: 'Returns tickets based on the exclusion of these fault ID's'",
    ),
    ParamRule(
        pattern=r"articletype",
        types=frozenset({"string"}),
        act="field",
        fields=("type",),
        source="S2: 'Filter on article type, comma seperated'",
    ),
    ParamRule(
        pattern=r"excludeprivate",
        types=frozenset({"boolean"}),
        act="flag",
        value=False,
        fields=("hiddenfromuser",),
        source="S2: 'Only get public actions'",
    ),
    ParamRule(
        pattern=r"agentonly",
        types=frozenset({"boolean"}),
        act="present",
        fields=("who_agentid", "actionby_agent_id"),
        source="S2: 'Only get actions done by Agents'",
    ),
    ParamRule(
        pattern=r"withemail",
        types=frozenset({"boolean"}),
        act="present",
        fields=("email",),
        source="S2: 'Filters on Agents that have an email'",
    ),
    ParamRule(
        pattern=r"exclude_agents",
        types=frozenset({"boolean"}),
        act="present",
        value=False,
        fields=("linked_agent_id",),
        source="S2: 'Exclude users that are also an agent in the response'",
    ),
    ParamRule(
        pattern=r"mine",
        types=frozenset({"boolean"}),
        act="me",
        fields=("agent_id",),
        source="S2: 'Include only the tickets that belong to yourself in the response'",
    ),
    ParamRule(
        pattern=r"thisagentonly",
        types=frozenset({"boolean"}),
        act="me",
        fields=("id",),
        source="S2: 'Only include your agent in the response'",
    ),
    ParamRule(
        pattern=r"ticketids|searchthisticketid",
        types=frozenset({"string", "int32"}),
        act="field",
        fields=("id",),
        source="S2: 'Returns tickets based on ticket IDs' (ticketids); searchthisticketid inferred",
    ),
    ParamRule(
        pattern=r"category_([1-4])",
        types=frozenset({"string"}),
        act="field",
        target=r"categoryid_\1",
        source="S2: 'Returns tickets based on category 1 ID's in the array'",
    ),
    ParamRule(
        pattern=r"search_id",
        types=frozenset({"string"}),
        act="contains",
        fields=("id",),
        source="S2: 'Returns tickets based on ids matching the search'",
    ),
    # -- Actions, Client, Site, Users and the families every resource shares ------------------------
    ParamRule(
        pattern=r"lastupdate(?:from|to)date",
        types=frozenset({"boolean"}),
        act="include",
        fields=("alastupdate", "slastupdate", "ulastupdate", "dlastupdate", "last_update", "last_updated"),
        withheld=True,
        source="S2: 'Include the field lastupdatefromdate in the response'; that the field is the "
        "record's last-update date is inferred",
    ),
    ParamRule(
        pattern=r"toplevel_id",
        types=frozenset({"int32"}),
        act="field",
        via="client_id>Client",
        source="S2: '(int) Filters by the specified top level', 'Filter by Users belonging to a "
        "particular top level'; a record's top level is its client's (inferred)",
    ),
    ParamRule(
        pattern=r"(.+)_id",
        types=frozenset({"int32"}),
        act="field",
        fields=("id",),
        own_id=True,
        source="inferred: Site's site_id names the site itself",
    ),
    ParamRule(
        pattern=r"actoutcome",
        types=frozenset({"string"}),
        act="field",
        fields=("outcome",),
        source="S2: '(string) Filter on the name of the action'",
    ),
    ParamRule(
        pattern=r"actoutcomenum",
        types=frozenset({"int32"}),
        act="field",
        fields=("systemid",),
        via="outcome_id>Outcome",
        source="S2: '(int) Filter on the system field ID'; the outcome's systemid (inferred)",
    ),
    ParamRule(
        pattern=r"excludesys",
        types=frozenset({"boolean"}),
        act="present",
        value=False,
        fields=("systemid",),
        via="outcome_id>Outcome",
        source="S2: 'Exclude system actions'; a system action's outcome has a systemid (inferred)",
    ),
    ParamRule(
        pattern=r"excludebilling",
        types=frozenset({"boolean"}),
        act="flag",
        value=False,
        fields=("isbillingaction",),
        source="S2: 'Excludes any actions associated with billing (e.g. Send Invoice by Email)'",
    ),
    ParamRule(
        pattern=r"exclude(.+)",
        types=frozenset({"boolean"}),
        act="flag",
        value=False,
        target=r"is\1",
        source="S2: 'Excludes any action marked at action level to be hidden from Agents with Client "
        "Group set' (excludehiddenfrominternalit: ishiddenfrominternalit)",
    ),
    ParamRule(
        pattern=r"importanttop",
        types=frozenset({"boolean"}),
        act="first",
        fields=("important",),
        source="S2: 'Orders the response by important actions first'",
    ),
    ParamRule(
        pattern=r"listagentuserfirst",
        types=frozenset({"boolean"}),
        act="first",
        fields=("linked_agent_id",),
        source="S2: 'Order by users that are also agents first in the response'",
    ),
    ParamRule(
        pattern=r"supplieronly",
        types=frozenset({"boolean"}),
        act="present",
        fields=("action_supplier_id", "new_supplier_id"),
        source="S2: 'Only get actions relating to Suppliers'; the fields are inferred",
    ),
    ParamRule(
        pattern=r"timeentriesonly",
        types=frozenset({"boolean"}),
        act="present",
        fields=("timetaken",),
        source="inferred (no description): actions with time taken",
    ),
    ParamRule(
        pattern=r"conversationonly",
        types=frozenset({"boolean"}),
        act="present",
        fields=("emailto", "emailfrom"),
        source="S2: 'Only get actions relating to the Agent to End User conversation'; that these are "
        "the emailed actions is inferred",
    ),
    ParamRule(
        pattern=r"includehtmlemail",
        types=frozenset({"boolean"}),
        act="include",
        withheld=True,
        fields=("emailbody_html",),
        source="S2: 'Include the action email HTML as part of the response'",
    ),
    ParamRule(
        pattern=r"include(facebook|twitter|qbo)fields",
        types=frozenset({"boolean"}),
        act="include",
        withheld=True,
        source="S2: 'Include Twitter fields in the response'; includefacebookfields, includeqbofields "
        "inferred",
    ),
    ParamRule(
        pattern=r"includenotes",
        types=frozenset({"boolean"}),
        act="include",
        withheld=True,
        fields=("notes",),
        source="S2: 'Include client notes in the response', 'Include site notes in the response'",
    ),
    ParamRule(
        pattern=r"includehtmlnote",
        types=frozenset({"boolean"}),
        act="include",
        withheld=True,
        fields=("note_html",),
        source="S2: 'Include the action note HTML as part of the response'",
    ),
    ParamRule(
        pattern=r"includeaddress",
        types=frozenset({"boolean"}),
        act="include",
        withheld=True,
        fields=("delivery_address", "invoice_address"),
        source="S2: 'Include site address in the response'",
    ),
    ParamRule(
        pattern=r"includeinvoicetemplatename",
        types=frozenset({"boolean"}),
        act="include",
        withheld=True,
        fields=("invoicetemplate",),
        source="S2: 'Include invoice template names in the response'",
    ),
    ParamRule(
        pattern=r"includenon(stocklocations|serviceaccount)",
        types=frozenset({"boolean"}),
        act="shown",
        value=False,
        source="S2: 'Include sites that are not a stock location in the response', 'Include users that "
        "are a non-service account'; shown unless false (inferred)",
    ),
    ParamRule(
        pattern=r"include(stocklocations|serviceaccount)",
        types=frozenset({"boolean"}),
        act="shown",
        source="S2: 'Include sites that are a stock location in the response', 'Include users that are "
        "a service account'; shown unless false (inferred)",
    ),
    ParamRule(
        pattern=r"accountmanageronly",
        types=frozenset({"boolean"}),
        act="me",
        fields=("accountmanagertech",),
        source="S2: 'Include only clients that you are an account manager of in the response'",
    ),
    ParamRule(
        pattern=r"approvers_only",
        types=frozenset({"boolean"}),
        act="present",
        fields=("ischangeapprover", "ispoapprover"),
        source="S2: 'Include only users that are an approver in the response'; the fields are inferred",
    ),
    ParamRule(
        pattern=r"azure(?:clients|sites)",
        types=frozenset({"boolean"}),
        act="present",
        fields=("azure_tenant_id", "azuretenantid"),
        source="S2: 'Include only azure clients in the response'; the field is inferred",
    ),
    ParamRule(
        pattern=r"gfi(?:clients|sites)",
        types=frozenset({"boolean"}),
        act="present",
        fields=("gficlientid", "gfisiteid"),
        source="S2: 'Include only GFI clients in the response'; the field is inferred",
    ),
    ParamRule(
        pattern=r"snowclients",
        types=frozenset({"boolean"}),
        act="present",
        fields=("snow_id",),
        source="S2: 'Include only snow clients in the response'; the field is inferred",
    ),
    ParamRule(
        pattern=r"issentinel",
        types=frozenset({"boolean"}),
        act="present",
        fields=("sentinel_tenant_id",),
        source="S2: 'Include only sentinel clients in the response'; the field is inferred",
    ),
    ParamRule(
        pattern=r"isjira",
        types=frozenset({"boolean"}),
        act="present",
        fields=("jira_url",),
        source="inferred (no description): clients linked to a Jira instance",
    ),
    ParamRule(
        pattern=r"isservicenow",
        types=frozenset({"boolean"}),
        act="present",
        fields=("servicenow_url",),
        source="inferred (no description): clients linked to a ServiceNow instance",
    ),
    ParamRule(
        pattern=r"sentinelid",
        types=frozenset({"int32"}),
        act="field",
        fields=("sentinel_tenant_id",),
        source="S2: '(int) Filter by sentinel id'; the field is inferred",
    ),
    ParamRule(
        pattern=r"snowaccountid",
        types=frozenset({"int32"}),
        act="field",
        fields=("snow_id",),
        source="inferred (no description)",
    ),
    ParamRule(
        pattern=r"search_phonenumbers",
        types=frozenset({"boolean"}),
        act="searchin",
        fields=("phonenumber", "mobilenumber", "phonenumber_preferred", "sitephonenumber"),
        source="S2: '(bool) Filter by Users with a phone number like your search'; the phone fields are "
        "inferred",
    ),
    ParamRule(
        pattern=r"integration_type",
        types=frozenset({"string"}),
        act="which",
        choices=(("okta", ("okta_id", "oktaid")), ("azure", ("azure_id", "azureoid"))),
        source="S2: '(string) Filter on Users that belong to an integration - Possible values are 'okta' "
        "and 'azure''; the fields are inferred",
    ),
    ParamRule(
        pattern=r"mysite",
        types=frozenset({"boolean"}),
        act="me",
        fields=("site_id",),
        mine="user",
        source="S2: 'Include only Users that belong to your site in the response'; your site is the "
        "site of the user linked to your agent (inferred)",
    ),
    ParamRule(
        pattern=r"myarea",
        types=frozenset({"boolean"}),
        act="me",
        fields=("client_id",),
        mine="user",
        source="S2: 'Include only Users that belong to your area in the response' (area: client); "
        "through the user linked to your agent (inferred)",
    ),
    ParamRule(
        pattern=r"mytoplevel",
        types=frozenset({"boolean"}),
        act="me",
        fields=("toplevel_id",),
        mine="user",
        via="client_id>Client",
        source="S2: 'Include only Users that belong to your top level in the response'; through the "
        "user linked to your agent and the clients' top levels (inferred)",
    ),
    ParamRule(
        pattern=r"opp_id",
        types=frozenset({"int32"}),
        act="field",
        fields=("opportunity_id",),
        source="S2: '(int) Filter by Users assigned to a particular opportunity'",
    ),
    ParamRule(
        pattern=r"slaonly",
        types=frozenset({"boolean"}),
        act="present",
        fields=("slaholdischecked", "slareleaseischecked"),
        via="outcome_id>Outcome",
        source="S2: '(bool) Only get SLA hold and release actions.'; that these are the actions whose "
        "outcome holds or releases the SLA is inferred",
    ),
    ParamRule(
        pattern=r"includeagentdetails",
        types=frozenset({"boolean"}),
        act="include",
        withheld=True,
        fields=("who_initials", "who_colour", "who_imgpath", "who_onlinestatus"),
        source="S2: '(bool) Include agent details in the response.'; that the details are the who_ "
        "fields of the agent who wrote the action is inferred",
    ),
    ParamRule(
        pattern=r"mydepartment",
        types=frozenset({"boolean"}),
        act="me",
        fields=("departments",),
        item="department_id",
        mine="user",
        source="S2: 'Include only Users that belong to your department in the response'; your "
        "departments are those of the user linked to your agent (inferred)",
    ),
    ParamRule(
        pattern=r"mysitecontact",
        types=frozenset({"boolean"}),
        act="me",
        fields=("maincontact_id",),
        mine="user",
        via="site_id>Site",
        source="S2: 'Include only Users that belong to your site contact in the response'; your site "
        "contact is the main contact of the site of the user linked to your agent (inferred)",
    ),
    ParamRule(
        pattern=r"allapprovers",
        types=frozenset({"boolean"}),
        act="present",
        fields=("ischangeapprover", "ispoapprover"),
        alternative=True,
        source="S2: '(bool) Adds an or condition to show all Users that are approvers in the "
        "response.'; the approver fields are inferred (as approvers_only)",
    ),
    ParamRule(
        pattern=r"licence_id",
        types=frozenset({"int32"}),
        act="field",
        fields=("software",),
        item="licence_id",
        on=frozenset({"Users"}),
        source="inferred (Users; undescribed): users with a software licence (their software items' "
        "licence_id)",
    ),
    # -- end of Actions, Client, Site, Users ----------------------------------------------------------
    # -- more tickets and clients ------------------------------------------------------------------
    ParamRule(
        pattern=r"sitepostcode",
        types=frozenset({"boolean"}),
        act="include",
        withheld=True,
        fields=("sitepostcode",),
        source="S2: 'Include site postcode details in the response' (Faults' sitepostcode)",
    ),
    ParamRule(
        pattern=r"includeinactivetechs",
        types=frozenset({"string"}),
        act="states",
        fields=("isdisabled",),
        via="agent_id>Agent",
        source="S2: 'Returns tickets based on inactive tech ID's in the array' (the ticket's agent); "
        "1 = inactive, 0 = active inferred, as includeinactiveusers",
    ),
    ParamRule(
        pattern=r"callplan",
        types=frozenset({"boolean"}),
        act="past",
        fields=("calldate",),
        source="S2: 'Include only clients that have the field acalldate in the past in the response'; "
        "acalldate is the client's calldate, an unset date is none (inferred)",
    ),
    ParamRule(
        pattern=r"searchactions",
        types=frozenset({"boolean"}),
        act="searchrelated",
        fields=("note",),
        related="Actions.ticket_id",
        source="S2: '(bool) Whether to search actions when using search'; that the action's note is "
        "searched is inferred",
    ),
    # -- end of more tickets and clients -----------------------------------------------------------
    ParamRule(
        pattern=r"startdate|enddate|datesearch",
        types=frozenset({"string"}),
        act="daterange",
        fields=("datetime", "dateoccurred", "date_created", "invoice_date", "date", "start_date"),
        source="S2: 'datesearch: the date field to search against', 'enddate: for use with the "
        "datesearch parameter'; the field searched when datesearch is absent is inferred",
    ),
    # -- tickets' own parameters (Faults records) -------------------------------------------------
    ParamRule(
        pattern=r"flagged|showonroadmap|include(read)",
        types=frozenset({"string"}),
        act="states",
        source="S2: 'Filter on roadmap visibility in the array - 1 = visible - 0 = Not visible', "
        "'Returns tickets based on flagged (read) ticket ID's in the array'; 1/0 for flagged, read inferred",
    ),
    ParamRule(
        pattern=r"includehold",
        types=frozenset({"string"}),
        act="states",
        fields=("onhold",),
        source="S2: 'Returns tickets based on on-hold ticket ID's in the array'; 1/0 inferred",
    ),
    ParamRule(
        pattern=r"includeinactiveusers",
        types=frozenset({"string"}),
        act="states",
        fields=("inactive",),
        via="user_id>Users",
        source="S2: 'Filter on inactive users in the array - 1 = inactive - 0 = active' (the ticket's user)",
    ),
    ParamRule(
        pattern=r"requesttypegroup",
        types=frozenset({"string"}),
        act="field",
        fields=("group_id",),
        via="tickettype_id>TicketType",
        source="S2: 'Returns tickets based on request type group ID's in the array' (the ticket type's "
        "group_id)",
    ),
    ParamRule(
        pattern=r"utcoffset",
        types=frozenset({"double"}),
        act="offset",
        source="S2: '(double) Adds an offset to the UTC date'; the offset read as hours (inferred)",
    ),
    ParamRule(
        pattern=r"search_release1",
        types=frozenset({"string"}),
        act="contains",
        fields=("release_name",),
        source="S2: 'Returns tickets based on release 1 matching the search'",
    ),
    ParamRule(
        pattern=r"search_(release[23]|version)",
        types=frozenset({"string"}),
        act="contains",
        target=r"\1_name",
        source="S2: 'Returns tickets based on release 2 matching the search', 'based on the software "
        "version matching the search'",
    ),
    ParamRule(
        pattern=r"ticketcontract_id",
        types=_INTS,
        act="field",
        fields=("contract_id",),
        source="S2: '(int) Filters by the specified ticket contract'",
    ),
    ParamRule(
        pattern=r"project_ids",
        types=frozenset({"string"}),
        act="field",
        fields=("parent_id",),
        source="inferred: the projects whose tasks are listed (undescribed in S2)",
    ),
    ParamRule(
        pattern=r"client_ref",
        types=frozenset({"string"}),
        act="field",
        fields=("client_reference",),
        source="inferred: the ticket's client reference (undescribed in S2)",
    ),
    ParamRule(
        pattern=r"unlinked_only",
        types=frozenset({"boolean"}),
        act="present",
        value=False,
        fields=("parent_id",),
        source="S2: 'Returns only unlinked tickets in the response'; unlinked = no parent ticket inferred",
    ),
    ParamRule(
        pattern=r"startandendset",
        types=frozenset({"boolean"}),
        act="present",
        every=True,
        fields=("startdate", "targetdate"),
        source="S2: 'Filter on tickets that have a project start and end date set'",
    ),
    ParamRule(
        pattern=r"(startdatetime|enddatetime)",
        types=frozenset({"boolean"}),
        act="include",
        source="S2: 'Include project start (end) date and time details in the response'; taken from the "
        "project's startdate and targetdate (inferred)",
    ),
    ParamRule(
        pattern=r"includechildids",
        types=frozenset({"boolean"}),
        act="include",
        fields=("child_ticket_ids",),
        source="S2: 'Include child ticket IDs in the response'",
    ),
    ParamRule(
        pattern=r"inlcludeopenchildcount",
        types=frozenset({"boolean"}),
        act="include",
        fields=("child_count_open",),
        source="S2: 'Include open child ticket count in the response' (the document's spelling)",
    ),
    ParamRule(
        pattern=r"includesupplier",
        types=frozenset({"boolean"}),
        act="include",
        fields=("supplier_id", "supplier_name", "supplier_reference", "supplier_status"),
        source="S2: 'Include supplier details in the response'; which fields inferred",
    ),
    ParamRule(
        pattern=r"includerelease1",
        types=frozenset({"boolean"}),
        act="include",
        fields=("release_id", "release_name", "release_note"),
        source="S2: 'Include release 1 details in the response'; which fields inferred",
    ),
    ParamRule(
        pattern=r"includerelatedservices",
        types=frozenset({"boolean"}),
        act="include",
        fields=("related_service_descriptions", "related_service_category_names"),
        source="S2: 'Include related services in the response'",
    ),
    ParamRule(
        pattern=r"includeservicecategory",
        types=frozenset({"boolean"}),
        act="include",
        fields=("related_service_category_names",),
        source="S2: 'Include service category in the response'; the field inferred",
    ),
    ParamRule(
        pattern=r"includeapproval",
        types=frozenset({"string"}),
        act="states",
        fields=("faultapprovalexists",),
        source="S2: 'Filter on approval tickets in the array. 1 = approval - 0 = not approval'; "
        "the field inferred",
    ),
    ParamRule(
        pattern=r"followedandagents",
        types=frozenset({"string"}),
        act="field",
        fields=("agent_id",),
        source="S2: 'Returns tickets based on agent and follower ID's in the array'; followers are not "
        "modelled, so the agent part only",
    ),
    ParamRule(
        pattern=r"excludeslacalcs",
        types=frozenset({"boolean"}),
        act="omit",
        fields=("slastate", "slatimeleft", "slapercused", "slatimeelapsed", "slatimeremaining"),
        source="S2: 'Exclude sla calculation details in the response'; which fields inferred",
    ),
    ParamRule(
        pattern=r"includemyuseronly",
        types=frozenset({"string"}),
        act="field",
        fields=("user_id",),
        source="S2: '(array of int) Returns tickets based on my user ID in the array.' (the ticket's "
        "user_id)",
    ),
    ParamRule(
        pattern=r"includetimetaken",
        types=frozenset({"boolean"}),
        act="include",
        withheld=True,
        fields=("timetaken",),
        source="S2: '(bool) Include time taken in the response.'",
    ),
    ParamRule(
        pattern=r"onlytime",
        types=frozenset({"boolean"}),
        act="present",
        fields=("timetaken",),
        source="inferred (undescribed): tickets with time taken",
    ),
    ParamRule(
        pattern=r"notime",
        types=frozenset({"boolean"}),
        act="present",
        value=False,
        fields=("timetaken",),
        source="inferred (undescribed): tickets without time taken",
    ),
    ParamRule(
        pattern=r"ismilestone",
        types=frozenset({"boolean"}),
        act="present",
        fields=("milestone_id",),
        source="inferred (undescribed): tickets in a project milestone (milestone_id)",
    ),
    ParamRule(
        pattern=r"prepayorcontractonly",
        types=frozenset({"boolean"}),
        act="present",
        fields=("contract_id",),
        source="inferred (undescribed): tickets billed against a contract; prepay is not modelled, so "
        "the contract part only",
    ),
    ParamRule(
        pattern=r"billingcontractid",
        types=_INTS,
        act="field",
        fields=("contract_id",),
        source="inferred (undescribed): the contract the ticket is billed against (contract_id)",
    ),
    ParamRule(
        pattern=r"extraportalfilter",
        types=frozenset({"string"}),
        act="me",
        mine="user",
        refers="user_id",
        choices=(("myticketsonly", ("user_id",)), ("myclienttickets", ("client_id",))),
        source="S2: '(string) Filter on the extraportalfilter field - 'MyTicketsOnly' for my tickets - "
        "'MyClientTickets' for my client tickets.'; you are the end user linked to your agent (inferred)",
    ),
    ParamRule(
        pattern=r"includuserdepartments",
        types=frozenset({"boolean"}),
        act="include",
        fields=("userdepartments",),
        source="inferred (undescribed; the document's spelling): the departments of the ticket's user",
    ),
    # -- agents, assets, invoices, quotes and KB articles ------------------------------------------
    ParamRule(
        pattern=r"excludeagent",
        types=frozenset({"int32", "string"}),
        act="exclude",
        fields=("id",),
        source="S2 (Agent): '(int) Exclude agent with id.'",
    ),
    ParamRule(
        pattern=r"linemanagedonly",
        types=frozenset({"boolean"}),
        act="present",
        fields=("linemanager",),
        source="S2 (Agent): '(bool) Filters on Agents that have a line manager.'",
    ),
    ParamRule(
        pattern=r"domotzagents",
        types=frozenset({"boolean"}),
        act="present",
        fields=("domotz_agentid", "domotz_agent"),
        source="S2 (Asset): '(bool) Include only Assets with a linked Domotz agent in the response.'",
    ),
    ParamRule(
        pattern=r"consignable",
        types=frozenset({"boolean"}),
        act="flag",
        value=False,
        fields=("non_consignable",),
        source="S2 (Asset): '(bool) Include only the Assets that are consignable in the response.'",
    ),
    ParamRule(
        pattern=r"exchangecalendars",
        types=frozenset({"boolean"}),
        act="flag",
        fields=("exchange_authorized",),
        source="S2 (Agent): '(bool) Filters on Agents that have exchange calendars synced.'; the field "
        "inferred",
    ),
    ParamRule(
        pattern=r"includenamedcount",
        types=frozenset({"boolean"}),
        act="include",
        fields=("named_licences_in_use",),
        on=frozenset({"Uname"}),
        source="S2 (Agent): '(bool) Include the count of the number of Agents in the response.'; that "
        "the count is Uname's named_licences_in_use, of the enabled agents, is inferred",
    ),
    ParamRule(
        pattern=r"shiftagentsonly",
        types=frozenset({"boolean"}),
        act="flag",
        fields=("enableshifts",),
        source="inferred (Agent; undescribed): agents with shifts enabled",
    ),
    ParamRule(
        pattern=r"includeapiagents",
        types=frozenset({"boolean"}),
        act="hidden",
        fields=("isapiagent",),
        source="inferred (Agent; undescribed): API agents are listed only when asked for",
    ),
    ParamRule(
        pattern=r"showcounts",
        types=frozenset({"boolean"}),
        act="include",
        fields=("ticket_count",),
        on=frozenset({"Uname"}),
        source="S2 (Agent): '(bool) Include Agents ticket counts in the response.'; the count of the "
        "agent's open tickets (inferred)",
    ),
    ParamRule(
        pattern=r"includeunassigned",
        types=frozenset({"boolean", "string"}),
        act="hidden",
        fields=("id",),
        among=frozenset({1}),
        source="S2 (Agent): '(bool) Include the unassigned Agent in the response.'; that it is left "
        "out otherwise, and that it is agent 1, inferred",
    ),
    ParamRule(
        pattern=r"includestatus",
        types=frozenset({"boolean"}),
        act="include",
        fields=("onlinestatus", "onlinestatus_actual"),
        source="S2 (Agent): '(bool) Include Agent status in the response.'; the status fields inferred",
    ),
    ParamRule(
        pattern=r"integration_type",
        types=frozenset({"string"}),
        act="integration",
        source="S2 (Asset): 'Filter on which integration the Asset was imported through - 'aterarmm', "
        "'ninjarmm', ...'; (Agent) 'Possible values are 'okta''; the id field an integration sets "
        "inferred",
    ),
    ParamRule(
        pattern=r"search_(.+)_only",
        types=frozenset({"boolean"}),
        act="searchonly",
        source="S2 (Asset): '(bool) Whether to search only on inventory number in the search string.'",
    ),
    ParamRule(
        pattern=r"assetstatuses",
        types=frozenset({"string"}),
        act="field",
        fields=("status_id",),
        source="S2 (Asset): '(string) Filter Assets on asset statuses, comma seperated ids.'",
    ),
    ParamRule(
        pattern=r"consignment_id",
        types=frozenset({"int32"}),
        act="field",
        fields=("issue_consignment_id",),
        source="S2 (Asset): '(int) Filter by Assets consignment id.'; the field inferred",
    ),
    ParamRule(
        pattern=r"salesorder_id",
        types=frozenset({"int32"}),
        act="field",
        fields=("reserved_salesorder_id",),
        source="S2 (Asset): '(int) Filter by Assets sales order id.'; the field inferred",
    ),
    ParamRule(
        pattern=r"salesorder_line",
        types=frozenset({"int32"}),
        act="field",
        fields=("reserved_salesorder_line_id",),
        source="S2 (Asset): '(int) Filter by Assets sales order line id.'; the field inferred",
    ),
    ParamRule(
        pattern=r"linkedto_id",
        types=frozenset({"int32"}),
        act="field",
        fields=("parent_id",),
        source="S2 (Asset): '(int) Filter by Assets linked to a particular Asset.'; the field inferred",
    ),
    ParamRule(
        pattern=r"related_to_ticket",
        types=frozenset({"int32"}),
        act="field",
        fields=("ticket_id",),
        source="S2 (KBArticle): '(int) Filters response based on the related ticket.'",
    ),
    ParamRule(
        pattern=r"related_to",
        types=frozenset({"int32"}),
        act="field",
        fields=("related_articles",),
        item="id",
        source="S2 (KBArticle): '(int) Filters response based on the related Knowledge Base Article.'",
    ),
    ParamRule(
        pattern=r"client_id",
        types=frozenset({"int32"}),
        act="field",
        fields=("kbentryclientaccess",),
        item="client_id",
        source="S2 (KBArticle): '(int) Filters by the specified client.'; the access list inferred",
    ),
    ParamRule(
        pattern=r"includelines",
        types=frozenset({"boolean"}),
        act="include",
        withheld=True,
        fields=("lines",),
        source="S2 (Invoice): '(bool) Include invoice lines in the response.'; Quotation's undescribed",
    ),
    ParamRule(
        pattern=r"noicon",
        types=frozenset({"boolean"}),
        act="omit",
        fields=("icon",),
        source="S2 (Asset): '(bool) Exclude the Asset icon in the response.'",
    ),
    ParamRule(
        pattern=r"mine",
        types=frozenset({"boolean"}),
        act="me",
        fields=("users",),
        item="id",
        mine="user",
        refers="users",
        on=frozenset({"Device"}),
        source="S2 (Asset): '(bool) Include only the Assets that belong to yourself in the response.'; "
        "yourself is the end user linked to your agent, the asset's users (inferred)",
    ),
    ParamRule(
        pattern=r"assets",
        types=frozenset({"string"}),
        act="field",
        fields=("id",),
        on=frozenset({"Device"}),
        source="inferred (Asset; undescribed): a comma list of the assets' ids",
    ),
    ParamRule(
        pattern=r"includeassetfields",
        types=frozenset({"boolean"}),
        act="include",
        withheld=True,
        needs="assettype_id",
        fields=("fields",),
        source="S2 (Asset): '(bool) Include asset fields in the response - must also specify the URL "
        "parameter 'assettype_id' at the same time.'",
    ),
    ParamRule(
        pattern=r"assetgroup_id|assetgroups",
        types=frozenset({"int32", "string"}),
        act="field",
        fields=("assetgroup_id",),
        via="assettype_id>AssetType",
        source="S2 (Asset): '(int) Filter by Assets belonging to a particular Asset group.', '(string) "
        "Filter Assets on asset groups, comma seperated ids.'; an asset's group is its asset type's "
        "(Xtype assetgroup_id: inferred)",
    ),
    ParamRule(
        pattern=r"my_approvals",
        types=frozenset({"boolean"}),
        act="me",
        fields=("approvalagentid", "internal_approvalagentid"),
        source="inferred (Invoice, Quotation; undescribed): the records awaiting the approval of the "
        "agent asking",
    ),
    ParamRule(
        pattern=r"includecredits",
        types=frozenset({"boolean"}),
        act="hidden",
        fields=("creditlinkedtoinvoiceid",),
        source="S2 (Invoice): '(bool) Include invoice type credits in the response.'; that a credit "
        "names the invoice it credits, and is left out unless asked, inferred",
    ),
    ParamRule(
        pattern=r"includeinvoices",
        types=frozenset({"boolean"}),
        act="shown",
        value=False,
        fields=("creditlinkedtoinvoiceid",),
        source="S2 (Invoice): '(bool) Include invoice type invoice in the response.'; false leaves out "
        "the invoices (records crediting no invoice), listed otherwise (inferred)",
    ),
    ParamRule(
        pattern=r"includepoinvoices",
        types=frozenset({"boolean"}),
        act="hidden",
        fields=("purchaseorder_id",),
        source="inferred (Invoice; undescribed): invoices raised from a purchase order are left out "
        "unless asked, as credits are",
    ),
    ParamRule(
        pattern=r"stripeautopaymentrequired",
        types=frozenset({"boolean"}),
        act="flag",
        fields=("take_auto_payment",),
        source="inferred (Invoice; undescribed): the invoices an automatic card payment is to be taken for",
    ),
    ParamRule(
        pattern=r"open",
        types=frozenset({"boolean"}),
        act="present",
        value=False,
        fields=("approvalstate",),
        on=frozenset({"QuotationHeader"}),
        source="inferred (Quotation; undescribed): the quotes still awaiting the customer's decision "
        "(no approvalstate recorded)",
    ),
    ParamRule(
        pattern=r"closed",
        types=frozenset({"boolean"}),
        act="present",
        fields=("approvalstate",),
        on=frozenset({"QuotationHeader"}),
        source="inferred (Quotation; undescribed): the quotes the customer has decided on (approved "
        "or rejected)",
    ),
    ParamRule(
        pattern=r"processed",
        types=frozenset({"boolean"}),
        act="present",
        fields=("salesorder_id",),
        on=frozenset({"QuotationHeader"}),
        source="inferred (Quotation; undescribed): the quotes turned into a sales order",
    ),
    ParamRule(
        pattern=r"search_(.+)",
        types=frozenset({"string"}),
        act="contains",
        source="S2: 'Returns tickets based on the details matching the search'; other fields inferred",
    ),
    ParamRule(
        pattern=r"not(.+?)_?only",
        types=frozenset({"boolean"}),
        act="flag",
        value=False,
        source="S2: 'Filter on invoices that have not been posted' (notpostedonly); others inferred",
    ),
    ParamRule(
        pattern=r"(.+?)_?only",
        types=frozenset({"boolean"}),
        act="flag",
        source="S2: 'Filter on invoices that have been posted', 'Only get important actions'; "
        "others inferred",
    ),
    ParamRule(
        pattern=r"include(.+)",
        types=frozenset({"boolean"}),
        act="include",
        source="S2: 'Include X details in the response'; which fields X names is inferred",
    ),
    ParamRule(
        pattern=r"(.+)",
        types=frozenset({"int32", "int64", "string", "array<int32>", "boolean"}),
        act="field",
        source="S2: '(int) Filters by the specified client', '(array of int) Returns tickets based on "
        "client ID's in the array'; the field a name maps to is inferred",
    ),
    ParamRule(
        pattern=r"(.+)",
        types=frozenset({"int32", "int64", "string", "array<int32>"}),
        act="field",
        within="lines",
        source="S2 (Invoice): '(int) Filters by the specified asset.'; that the lines carry it inferred",
    ),
    ParamRule(
        pattern=r"(site_id|user_id)",
        types=_INTS,
        act="field",
        via="ticket_id>Tickets",
        on=frozenset({"InvoiceHeader"}),
        source="S2 (Invoice): '(int) Filters by the specified site.', '(int) Filters by the specified "
        "user.'; the invoice's site and user are those of the ticket it bills (inferred)",
    ),
)
_COMPILED = tuple((re.compile(rule.pattern), rule) for rule in RULES)


@dataclass(frozen=True, kw_only=True)
class Action:
    """What one documented parameter of one operation does."""

    param: str
    """The lower-cased parameter name."""
    rule: ParamRule
    field: str = ""
    """The record field it acts on (``""`` for orders)."""
    kind: str = ""
    """The field's official type."""
    param_type: str = ""
    fields: tuple[str, ...] = ()
    """For ``include``: the fields added to list rows."""
    item: str = ""
    """For a comma list naming a list field of objects (Agent ``teams``: ``UnameSection`` items): the
    items' id field (``team_id``) the list's ids are matched against."""
    alt: str = ""
    """For a string parameter naming a string field that has an id beside it (Agent ``team`` names
    ``team``, and the record has ``team_id``): the id field, matched by the comma list's ids."""
    level: int = 0
    """For ``order``/``orderdesc``: 2..5."""
    choices: Mapping[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)
    """For ``which``: each documented value (lower-cased) and the record's fields it names."""
    via: tuple[str, str] | tuple[()] = ()
    """(key field, Halo path): ``field`` is the field of the record ``key`` refers to (`ParamRule.via`)."""


@dataclass(frozen=True)
class Plan:
    """The documented parameters of one list operation the rules act on."""

    actions: Mapping[str, Action]
    schema: Mapping[str, str]
    inactive_field: str | None
    """The field telling inactive records (when the operation documents ``includeinactive``): such
    records are left out unless asked for."""
    withheld: tuple[str, ...] = ()
    """Fields list rows carry only when an ``include`` parameter asks for them (`ParamRule.withheld`)."""
    hidden: tuple[tuple[str, str, frozenset[int]], ...] = ()
    """(parameter, field, values): records whose boolean field is true (or, with values, whose field
    is one of them) are left out unless the parameter is true (``includeapiagents``:
    ``isapiagent``; ``includeunassigned``: ``id`` 1)."""

    def read(
        self,
        params: Mapping[str, Any],
        *,
        me: Callable[[], int | None] | None = None,
        user: Callable[[], Mapping[str, Any] | None] | None = None,
        now: Callable[[], str] | None = None,
    ) -> ParamQuery:
        """One request's values (lower-cased names; raw strings or values already typed by the
        binding) as a `ParamQuery`. Values that do not read as their type filter nothing (the
        binding refuses what the document types strictly). ``me``: the id of the agent the token
        acts as (asked only when a parameter about who asks is set; ``None``: no such agent, and
        such a parameter then matches nothing); ``user``: the end-user record linked to that
        agent, likewise; ``now``: the sandbox time as Halo writes it (``callplan``'s "in the
        past"; none: the wall clock)."""
        predicates: list[ParamPredicate] = []
        either: list[ParamPredicate] = []
        relations: list[Callable[[RecordLookup], ParamPredicate]] = []
        first: list[str] = []
        search_also: list[str] = []
        related: list[tuple[str, str, tuple[str, ...]]] = []
        orders: dict[int, list[Any]] = {}
        include: list[str] = []
        omit: list[str] = []
        offset = 0.0
        keep: tuple[str, ...] = ()
        active, inactive = True, False
        dates: dict[str, str] = {}
        date_field = ""
        for name, action in self.actions.items():
            if name not in params or params[name] in (None, ""):
                continue
            raw = params[name]
            act = action.rule.act
            if act == "order":
                orders.setdefault(action.level, [None, False])[0] = str(raw).strip().lower() or None
            elif act == "orderdesc":
                orders.setdefault(action.level, [None, False])[1] = _bool(raw) is True
            elif act == "inactive":
                inactive = _bool(raw) is True
            elif act == "active":
                active = _bool(raw) is not False
            elif act == "activeinactive":
                parts = [_bool(p) for p in str(raw).split(",")] + [None, None]
                active = parts[0] is not False
                inactive = parts[1] is True
            elif act == "idonly":
                keep = action.rule.fields if _bool(raw) is True else keep
            elif act == "include":
                needed = action.rule.needs
                if _bool(raw) is True and (not needed or params.get(needed) not in (None, "")):
                    include.extend(action.fields)
            elif act == "omit":
                if _bool(raw) is True:
                    omit.extend(action.fields)
            elif act == "me" and action.choices:
                chosen = action.choices.get(str(raw).strip().lower(), ())
                if chosen:  # another value than the documented ones filters nothing
                    picked = dataclasses.replace(action, field=chosen[0])
                    relations.append(_mine_through(picked, user() if user is not None else None))
            elif act == "me" and action.rule.mine:
                if _bool(raw) is True:
                    relations.append(_mine_through(action, user() if user is not None else None))
            elif act == "offset":
                offset = _hours(raw)
            elif act == "me":
                if _bool(raw) is True:
                    agent = me() if me is not None else None
                    predicates.append(_mine(action.field, agent))
            elif act == "daterange":
                dates[name] = str(raw)
                date_field = action.field
            elif act == "first":
                if _bool(raw) is True:
                    first.extend(action.fields)
            elif act == "searchin":
                if _bool(raw) is True:
                    search_also.extend(action.fields)
            elif act == "searchrelated":
                if _bool(raw) is True:
                    path = action.rule.related.split(".")[0]
                    related.append((path, action.field, action.fields))
            elif act == "hidden":
                pass  # read below, absent or not
            elif act == "integration":
                predicates.append(_integration(action.fields, str(raw)))
            elif act == "searchonly":
                needle = str(params.get("search") or "").strip().lower()
                if _bool(raw) is True and needle:
                    predicates.append(_contains(action.field, needle))
            elif act == "past":
                if _bool(raw) is True:
                    predicates.append(_before(action.field, now() if now is not None else _wall_clock()))
            else:
                predicate = _predicate(action, raw)
                if predicate is not None and action.rule.alternative:
                    either.append(predicate)
                elif predicate is not None and action.via:
                    relations.append(_through(action.via, predicate))
                elif predicate is not None:
                    predicates.append(predicate)
        if dates.keys() - {"datesearch"}:
            found = _date_range(dates, date_field, self.schema)
            if found is not None:
                predicates.append(found)
        for name, field, among in self.hidden:
            if _bool(params.get(name)) is not True:
                predicates.append(_outside(field, among) if among else _without(field))
        if self.inactive_field is not None and not (active and inactive):
            predicates.append(_activity(self.inactive_field, active=active, inactive=inactive))
        then = tuple(
            (str(orders[level][0]), bool(orders[level][1]))
            for level in sorted(orders)
            if orders[level][0] is not None
        )
        return ParamQuery(
            predicates=tuple(predicates),
            then=then,
            include=tuple(dict.fromkeys(include)),
            keep=keep,
            relations=tuple(relations),
            first=tuple(dict.fromkeys(first)),
            search_also=tuple(dict.fromkeys(search_also)),
            search_related=tuple(related),
            drop=tuple(f for f in self.withheld if f not in include) + tuple(dict.fromkeys(omit)),
            offset=offset,
            either=tuple(either),
        )


@dataclass(frozen=True)
class ParamQuery:
    """What one request's rule-driven parameters ask of a list."""

    predicates: tuple[Callable[[Mapping[str, Any]], bool], ...] = ()
    then: tuple[tuple[str, bool], ...] = ()
    """Secondary orders (``order2``..``order5``): (field, descending)."""
    include: tuple[str, ...] = ()
    """Fields added to each list row (with their unset value when the record has none)."""
    keep: tuple[str, ...] = ()
    """``idonly``/``ticketidonly``: the only fields list rows keep (none: every field)."""
    relations: tuple[Callable[[RecordLookup], ParamPredicate], ...] = ()
    """Row predicates on another record (``toplevel_id``: the client's), each built from the
    store's `RecordLookup` (`bind`)."""
    first: tuple[str, ...] = ()
    """Fields whose records come first (set or true: ``importanttop``), before every order level."""
    search_also: tuple[str, ...] = ()
    """Fields ``search`` also looks in (``search_phonenumbers``: the phone numbers)."""
    search_related: tuple[tuple[str, str, tuple[str, ...]], ...] = ()
    """(Halo path, key field, fields): ``search`` also matches a record when a record of that path
    whose key field is its id matches on those fields (``searchactions``: the ticket's actions'
    notes)."""
    drop: tuple[str, ...] = ()
    """Fields list rows leave out (withheld unless an ``include`` parameter asks for them; those an
    ``omit`` parameter names: ``excludeslacalcs``)."""
    offset: float = 0.0
    """``utcoffset``: hours added to every date of list rows (Halo answers UTC)."""
    either: tuple[ParamPredicate, ...] = ()
    """OR conditions (`ParamRule.alternative`): a record any of these keeps is listed even when the
    other filters leave it out (``allapprovers``)."""

    @property
    def shapes(self) -> bool:
        """Whether list rows need `shape`."""
        return bool(self.include or self.keep or self.drop or self.offset)

    @property
    def filters(self) -> bool:
        return bool(self.predicates or self.relations)

    def bind(self, lookup: RecordLookup) -> tuple[ParamPredicate, ...]:
        """Every row predicate, those on another record reading it through ``lookup``."""
        return self.predicates + tuple(relation(lookup) for relation in self.relations)

    def put_first(self, rows: list[Any], value: Callable[[Any, str], Any]) -> None:
        """Move the rows with a ``first`` field set or true before the others (a stable sort: each
        group keeps its order); ``value(row, field)`` reads a row's value."""
        if self.first:
            rows.sort(key=lambda row: not any(_set(value(row, name)) for name in self.first))

    def shape(self, row: dict[str, Any], full: Mapping[str, Any]) -> dict[str, Any]:
        """A list row as asked: only the ``keep`` fields (``idonly``), else without the ``drop``
        fields and with the included fields (from ``full``, the record's unset values, where the row
        lacks them)."""
        if self.offset:
            row = {name: _shifted(value, self.offset) for name, value in row.items()}
        if self.keep:
            return {name: row[name] for name in self.keep if name in row}
        for name in self.drop:
            row.pop(name, None)
        for name in self.include:
            if name not in row:
                row[name] = full.get(name)
        return row


NO_PARAMS = ParamQuery()


def plan(
    operation: facts.Operation | None,
    schema_name: str | None,
    *,
    taken: frozenset[str],
    lean: frozenset[str] = frozenset(),
) -> Plan:
    """The rules resolved for ``operation``'s documented parameters against the official record
    schema ``schema_name``; ``taken``: parameters something else acts on (lower-cased); ``lean``:
    the fields list rows always carry (an ``include<x>`` adding only those changes nothing, so it
    is not acted on)."""
    if operation is None:
        return Plan(actions={}, schema={}, inactive_field=None)
    return _plan(operation.template, operation.method, schema_name or "", taken, lean)


@functools.cache
def _plan(template: str, method: str, schema_name: str, taken: frozenset[str], lean: frozenset[str]) -> Plan:
    operation = facts.operation(method, template)
    query = operation.query if operation else {}
    schema = facts.schema(schema_name) if schema_name else {}
    lowered = {name.lower(): name for name in schema}
    actions: dict[str, Action] = {}
    inactive_field = None
    withheld: list[str] = []
    hidden: list[tuple[str, str, frozenset[int]]] = []
    for documented, kind in query.items():
        name = documented.lower()
        if name in taken:
            continue
        for pattern, rule in _COMPILED:
            found = pattern.fullmatch(name)
            if found is None or kind not in rule.types:
                continue
            action = _resolve(rule, name, kind, found, schema, lowered, schema_name)
            if action is not None and rule.act == "include" and not rule.withheld:
                added = tuple(f for f in action.fields if f not in lean)
                action = dataclasses.replace(action, fields=added) if added else None
            if action is not None:
                actions[name] = action
                if rule.act == "inactive":
                    inactive_field = action.field
                if rule.withheld:
                    withheld.extend(action.fields)
                if rule.act == "hidden":
                    hidden.append((name, action.field, rule.among))
                break
    return Plan(
        actions=actions,
        schema=schema,
        inactive_field=inactive_field,
        withheld=tuple(dict.fromkeys(withheld)),
        hidden=tuple(hidden),
    )


def _resolve(
    rule: ParamRule,
    name: str,
    kind: str,
    found: re.Match[str],
    schema: Mapping[str, str],
    lowered: Mapping[str, str],
    schema_name: str,
) -> Action | None:
    if rule.on and schema_name not in rule.on:
        return None
    if rule.via:
        key, path = rule.via.split(">")
        other_name = facts.record_schema(path) or ""
        other = facts.schema(other_name)
        if key not in lowered or not other:
            return None
        plain = dataclasses.replace(rule, via="", on=frozenset())
        inner = _resolve(plain, name, kind, found, other, {f.lower(): f for f in other}, other_name)
        return dataclasses.replace(inner, rule=rule, via=(lowered[key], path)) if inner else None
    if rule.related:
        path, key = rule.related.split(".")
        other = facts.schema(facts.record_schema(path) or "")
        fields = tuple(f for f in rule.fields if f in other)
        known = key in other and bool(fields)
        return Action(param=name, rule=rule, fields=fields, param_type=kind, field=key) if known else None
    if rule.own_id:
        own = found.group(1) == schema_name.lower()
        return Action(param=name, rule=rule, field="id", kind="int32", param_type=kind) if own else None
    if rule.act in ("which", "me") and rule.choices:
        named = {value: tuple(lowered[f] for f in fields if f in lowered) for value, fields in rule.choices}
        every = all(named.values())
        return Action(param=name, rule=rule, choices=named, param_type=kind) if every else None
    if rule.act == "shown" and not rule.fields:
        stem = found.group(1)
        shown = _field_named("is" + stem, schema, lambda k: k == "boolean")
        return Action(param=name, rule=rule, field=shown, kind="boolean", param_type=kind) if shown else None
    if rule.act in ("order", "orderdesc"):
        return Action(param=name, rule=rule, level=int(name[-1]), param_type=kind)
    if rule.act == "offset":
        return Action(param=name, rule=rule, param_type=kind)
    if rule.fields and rule.act in ("present", "first", "omit", "searchin"):
        fields = tuple(lowered[f] for f in rule.fields if f in lowered)
        return Action(param=name, rule=rule, fields=fields, param_type=kind) if fields else None
    if rule.fields and rule.act == "include":
        fields = tuple(lowered[f] for f in rule.fields if f in lowered)
        return Action(param=name, rule=rule, fields=fields, param_type=kind) if fields else None
    if rule.fields and rule.item:
        found_list = next((lowered[f] for f in rule.fields if f in lowered), None)
        if found_list is None or _item_schema(schema[found_list]).get(rule.item) not in _INTS:
            return None
        return Action(
            param=name, rule=rule, field=found_list, kind=schema[found_list], param_type=kind, item=rule.item
        )
    if rule.act == "integration":
        fields = tuple(f for f in schema if _INTEGRATION_ID.fullmatch(f.lower()))
        return Action(param=name, rule=rule, fields=fields, param_type=kind) if fields else None
    if rule.within:
        return _within(rule, name, kind, found.group(1) if found.groups() else name, schema, lowered)
    if rule.fields:
        target = next((lowered[f] for f in rule.fields if f in lowered), None)
        if target is None and rule.fields != ("id",):
            return None
        target = target or "id"
        return Action(param=name, rule=rule, field=target, kind=schema.get(target, "int32"), param_type=kind)
    stem = (found.group(1) if found.groups() else None) or name
    if rule.act == "include":
        return _include(rule, name, kind, stem, lowered)

    def on_items(items: tuple[str, str]) -> Action:
        return Action(
            param=name, rule=rule, field=items[0], kind=schema[items[0]], param_type=kind, item=items[1]
        )

    items = _item_ids(stem, schema, lowered) if rule.act == "field" and kind in _LISTS else None
    if items is not None:
        return on_items(items)

    def usable(field_kind: str) -> bool:
        if rule.act in ("flag", "states"):
            return field_kind == "boolean"
        if rule.act in ("contains", "searchonly"):
            return field_kind == "string"
        return _compatible(kind, field_kind)

    built = found.expand(rule.target).lower() if rule.target else ""
    target = lowered.get(built) if built in lowered and usable(schema[lowered[built]]) else None
    target = target or _field_named(stem, schema, usable)
    items = (
        _item_of(stem, schema, lowered)
        if target is None and rule.act == "field" and kind in _INTS | _LISTS
        else None
    )
    if items is not None:
        return on_items(items)
    if target is None:
        return None
    field_kind = schema[target]
    alt = ""
    if rule.act == "field" and kind == "string" and field_kind == "string":
        alt = lowered.get(target.lower() + "_id", "")
        alt = alt if alt and schema[alt] in _INTS else ""
    return Action(param=name, rule=rule, field=target, kind=field_kind, param_type=kind, alt=alt)


def _item_ids(stem: str, schema: Mapping[str, str], lowered: Mapping[str, str]) -> tuple[str, str] | None:
    """(list field, the id field of its items) when ``stem`` names a list of objects whose schema has
    ``<singular>_id`` (``teams`` -> ``teams`` items' ``team_id``)."""
    field_name = lowered.get(stem)
    if field_name is None or not stem.endswith("s") or not schema[field_name].startswith("array<"):
        return None
    wanted = stem[:-1] + "_id"
    return (field_name, wanted) if _item_schema(schema[field_name]).get(wanted) in _INTS else None


def _item_of(stem: str, schema: Mapping[str, str], lowered: Mapping[str, str]) -> tuple[str, str] | None:
    """(list field, the id field of its items) when ``stem`` names one item of a list of objects:
    ``department_id`` or ``role`` -> the ``departments`` (``roles``) items' ``department_id``
    (``role_id``), else their ``id`` (``id_int`` where ``id`` is a string: Agent ``roles``); the list
    itself (KBArticle ``faqlists``); or a nested object: ``supplier_id`` -> ``supplier``'s ``id``."""
    base = stem.removesuffix("_id")
    field_name = lowered.get(base + "s", "")
    if not schema.get(field_name, "").startswith("array<") and schema.get(
        lowered.get(stem, ""), ""
    ).startswith("array<"):
        field_name, base = lowered[stem], stem.removesuffix("s")  # the list itself (KBArticle ``faqlists``)
    elif not schema.get(field_name, "").startswith("array<"):
        field_name = lowered.get(base, "") if base != stem else ""
    inner = _item_schema(schema.get(field_name, ""))
    wanted = next((f for f in (base + "_id", "id", "id_int") if inner.get(f) in _INTS), None)
    return (field_name, wanted) if field_name and wanted else None


def _item_schema(kind: str) -> Mapping[str, str]:
    """The schema of the objects a field holds (``array<ref:X>`` or ``ref:X``); empty otherwise."""
    inner = kind.removeprefix("array<").removesuffix(">") if kind.startswith("array<") else kind
    return facts.schema(inner.removeprefix("ref:")) if inner.startswith("ref:") else {}


def _within(
    rule: ParamRule, name: str, kind: str, stem: str, schema: Mapping[str, str], lowered: Mapping[str, str]
) -> Action | None:
    """A parameter naming an id field of the items of the record's ``rule.within`` list (Invoice
    ``asset_id``: its lines' ``asset_id``), by the naming rule."""
    found_list = lowered.get(rule.within)
    if found_list is None:
        return None
    inner = _item_schema(schema[found_list])
    item = _field_named(stem, inner, lambda field_kind: field_kind in _INTS) if inner else None
    if item is None or kind not in _INTS | _LISTS:
        return None
    return Action(
        param=name, rule=rule, field=found_list, kind=schema[found_list], param_type=kind, item=item
    )


_INTEGRATION_ID = re.compile(r"[a-z]{4,}_?id")
"""The record fields an integration's import sets (``ninjarmm_id``, ``okta_id``, ``ateraid``)."""


_MAX_INCLUDED = 8


def _include(rule: ParamRule, name: str, kind: str, stem: str, lowered: Mapping[str, str]) -> Action | None:
    """``include<x>``: the record's fields named ``x`` (underscores aside: ``includeworkflowstage`` ->
    ``workflow_stage``, ``workflow_stage_id``, ...), with ``_id``, ``_name`` or a plural."""
    flat = stem.replace("_", "")
    fields = tuple(
        lowered[f]
        for f in lowered
        if f in (stem, stem + "_id", stem + "_name", stem + "s") or f.replace("_", "").startswith(flat)
    )
    if not fields or len(fields) > _MAX_INCLUDED:
        return None
    return Action(param=name, rule=rule, fields=fields, param_type=kind)


def _field_named(stem: str, schema: Mapping[str, str], usable: Callable[[str], bool]) -> str | None:
    """The record field a parameter's name stands for, by the document's own naming: the name, with
    ``_id``, or the singular of a plural (``client_ids``, ``assettypes``, ``paymentstatuses``),
    underscores aside (``username`` -> ``user_name``); the first whose type ``usable`` takes."""
    candidates = [stem, stem + "_id"]
    if stem.endswith("_ids"):
        candidates += [stem[:-1], stem[:-4]]
    for suffix, singular in (("ies", "y"), ("es", ""), ("s", "")):
        if stem.endswith(suffix) and len(stem) > len(suffix) + 1:
            base = stem[: -len(suffix)] + singular
            candidates += [base, base + "_id"]
    flat: dict[str, str] = {}
    for field_name in schema:
        flat.setdefault(field_name.replace("_", "").lower(), field_name)
    for candidate in candidates:
        found = flat.get(candidate.replace("_", ""))
        if found is not None and usable(schema[found]):
            return found
    return None


def _compatible(param_type: str, field_kind: str) -> bool:
    if param_type in _INTS or param_type == "array<int32>":
        return field_kind in _INTS
    if param_type == "boolean":
        return field_kind == "boolean"
    return field_kind in _INTS or field_kind == "string"  # a string: a comma list of ids, or a value


def _predicate(action: Action, raw: Any) -> Callable[[Mapping[str, Any]], bool] | None:
    name, kind = action.field, action.kind
    unset = facts.default_for(kind)
    act = action.rule.act

    def value(row: Mapping[str, Any]) -> Any:
        found = row.get(name)
        return unset if found is None else found

    if act == "flag":
        if _bool(raw) is not True:
            return None
        wanted = action.rule.value
        return lambda row: bool(value(row)) is wanted
    if act == "shown":
        if _bool(raw) is not False:
            return None
        hidden = action.rule.value
        return lambda row: bool(value(row)) is not hidden
    if act == "which":
        wanted_fields = action.choices.get(str(raw).strip().lower(), ())
        return lambda row: any(_set(row.get(n)) for n in wanted_fields)
    if act == "present":
        if _bool(raw) is not True:
            return None
        names, wanted, every = action.fields, action.rule.value, all if action.rule.every else any
        return lambda row: every(_set(row.get(n)) for n in names) is wanted
    if act == "states":
        states = _ints(raw) & {0, 1}
        return (lambda row: int(bool(value(row))) in states) if states else None
    if action.item:
        ids, item = _ints(raw), action.item
        return (lambda row: any(_int(i.get(item)) in ids for i in _objects(row.get(name)))) if ids else None
    if act == "contains":
        needle = str(raw).strip().lower()
        return lambda row: needle in str(value(row)).lower()
    if act == "exclude":
        ids = _ints(raw)
        return (lambda row: _int(row.get("id")) not in ids) if ids else None
    # act == "field"
    if kind in _INTS:
        ids = _ints(raw)
        if not ids:
            return None
        return lambda row: _int(value(row)) in ids
    if kind == "boolean":
        flag = _bool(raw)
        return None if flag is None else (lambda row: bool(value(row)) is flag)
    texts = {str(p).strip().lower() for p in (raw if isinstance(raw, list) else str(raw).split(","))}
    if action.alt:
        alt, ids = action.alt, _ints(raw)
        return lambda row: str(value(row)).strip().lower() in texts or _int(row.get(alt)) in ids
    return lambda row: str(value(row)).strip().lower() in texts


_DATE_ALIASES = {"dateoccured": "dateoccurred", "datecleared": "dateclosed"}
"""Halo's database spellings its document gives as ``datesearch`` examples (FIDELITY.md)."""


def _date_range(
    dates: Mapping[str, str], default: str, schema: Mapping[str, str]
) -> Callable[[Mapping[str, Any]], bool] | None:
    """``startdate``..``enddate`` on the field ``datesearch`` names (a date field of the record),
    else on ``default``; a bare ``enddate`` date takes in that whole day. Unreadable dates or a
    ``datesearch`` naming no date field filter nothing."""
    wanted = dates.get("datesearch", "").strip().lower()
    wanted = _DATE_ALIASES.get(wanted, wanted)
    name = (
        next((f for f in schema if f.lower() == wanted and schema[f] == "date-time"), "")
        if wanted
        else default
    )
    start, end = _when(dates.get("startdate")), _when(dates.get("enddate"), end=True)
    if not name or (start is None and end is None):
        return None

    def within(row: Mapping[str, Any]) -> bool:
        value = str(row.get(name) or "")[:19]
        return bool(value) and (start is None or value >= start) and (end is None or value <= end)

    return within


def _when(raw: str | None, *, end: bool = False) -> str | None:
    """An ISO date or date-time as the mock stores dates (``YYYY-MM-DDTHH:MM:SS``); ``None`` when
    absent or unreadable."""
    text = (raw or "").strip()
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    stamp = moment.strftime("%Y-%m-%dT%H:%M:%S")
    return stamp[:10] + "T23:59:59" if end and "T" not in text and " " not in text else stamp


def _objects(value: Any) -> list[Mapping[str, Any]]:
    """The objects of a list field, or the one object of an object field."""
    items = value if isinstance(value, list) else [value]
    return [i for i in items if isinstance(i, dict)]


def _wall_clock() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S")


def _before(name: str, now: str) -> ParamPredicate:
    """Records whose date field ``name`` is set and before ``now`` (``callplan``)."""
    return lambda row: _dated(row.get(name)) and str(row.get(name))[:19] < now


def _dated(value: Any) -> bool:
    """A date field with a date (not unset: ``None``, empty, Halo's ``1900-01-01``/``1899`` sentinels)."""
    return bool(value) and not str(value).startswith(("1899", "1900-01-01"))


def _set(value: Any) -> bool:
    """A field with a value (not unset: ``None``, ``""``, ``0``, ``-1``, false)."""
    return value not in (None, "", 0, -1)


def _through(via: tuple[str, str], predicate: ParamPredicate) -> Callable[[RecordLookup], ParamPredicate]:
    """``predicate`` tested on the record ``via``'s key field refers to (an empty record when none)."""
    key, path = via

    def bind(lookup: RecordLookup) -> ParamPredicate:
        return lambda row: predicate(lookup(path, row.get(key)) or {})

    return bind


def _mine_through(action: Action, user: Mapping[str, Any] | None) -> Callable[[RecordLookup], ParamPredicate]:
    """Records whose ``action.field`` (on the record ``action.via`` refers to, when set) equals the
    linked ``user``'s (its ``id`` when the field is the rule's ``refers``: tickets' ``user_id``; for a
    list of objects, ``action.item``: the records sharing an item id with the user's:
    ``mydepartment``); none when there is no such user or it has no value."""
    name, item = action.field, action.item

    def bind(lookup: RecordLookup) -> ParamPredicate:
        def values(row: Mapping[str, Any]) -> frozenset[int | None]:
            if action.via:
                key, path = action.via
                row = lookup(path, row.get(key)) or {}
            found = [_int(i.get(item)) for i in _objects(row.get(name))] if item else [_int(row.get(name))]
            return frozenset(found) - {None, 0}

        if user is None:
            mine: frozenset[int | None] = frozenset()
        elif name == action.rule.refers:  # the record refers to the linked user itself
            mine = frozenset({_int(user.get("id"))}) - {None, 0}
        else:
            mine = values(user)
        return lambda row: bool(mine & values(row))

    return bind


_STAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}")


def _hours(raw: Any) -> float:
    """``utcoffset`` as hours (0 when unreadable or beyond a day either way)."""
    try:
        hours = float(raw)
    except (TypeError, ValueError):
        return 0.0
    return hours if -24 <= hours <= 24 else 0.0


def _shifted(value: Any, hours: float) -> Any:
    """A date of a list row moved by ``hours`` (other values, and unset dates, as they are)."""
    if not isinstance(value, str) or not _STAMP.match(value) or value.startswith("1900-01-01"):
        return value
    moment = datetime.fromisoformat(value[:19]) + timedelta(hours=hours)
    return moment.strftime("%Y-%m-%dT%H:%M:%S") + value[19:]


def _mine(name: str, agent: int | None) -> Callable[[Mapping[str, Any]], bool]:
    return lambda row: agent is not None and _int(row.get(name)) == agent


def _without(name: str) -> Callable[[Mapping[str, Any]], bool]:
    return lambda row: not row.get(name)


def _outside(name: str, among: frozenset[int]) -> Callable[[Mapping[str, Any]], bool]:
    return lambda row: _int(row.get(name)) not in among


def _contains(name: str, needle: str) -> Callable[[Mapping[str, Any]], bool]:
    return lambda row: needle in str(row.get(name) or "").lower()


def _integration(fields: tuple[str, ...], raw: str) -> Callable[[Mapping[str, Any]], bool]:
    """Records imported through the integration ``raw`` names: its id field set. The field is the
    record's integration id whose name the value contains, the longest (``aterarmm`` -> ``atera_id``,
    ``connectwiseautomate`` -> ``automate_id``, ``okta`` -> ``okta_id``, ``oktaid``); a value naming
    no integration of the record matches nothing."""
    value = raw.strip().lower()
    stems = {f: re.sub(r"_?id$", "", f.lower()) for f in fields}
    contained = [f for f in fields if stems[f] in value]
    longest = max((len(stems[f]) for f in contained), default=0)
    chosen = tuple(f for f in contained if len(stems[f]) == longest)
    return lambda row: any(row.get(f) not in (None, "", 0, -1) for f in chosen)


def _activity(name: str, *, active: bool, inactive: bool) -> Callable[[Mapping[str, Any]], bool]:
    def keep(row: Mapping[str, Any]) -> bool:
        return inactive if bool(row.get(name)) else active

    return keep


def _bool(raw: Any) -> bool | None:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in ("true", "1"):
        return True
    if text in ("false", "0"):
        return False
    return None


def _ints(raw: Any) -> frozenset[int]:
    parts = raw if isinstance(raw, list) else str(raw).split(",")
    out = set()
    for part in parts:
        number = _int(part)
        if number is not None:
            out.add(number)
    return frozenset(out)


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    text = str(value).strip()
    if text.lstrip("+-").isascii() and text.lstrip("+-").isdigit():
        return int(text)
    return None


def sort_rows(
    rows: list[Any], levels: tuple[tuple[str, bool], ...], value: Callable[[Any, str], Any]
) -> None:
    """Sort ``rows`` in place by ``levels`` (field, descending), the first level first: rows equal
    on every level keep their current order; ``value(row, field)`` reads a row's value."""
    for name, desc in reversed(levels):
        rows.sort(key=lambda row: sort_key(value(row, name)), reverse=desc)
