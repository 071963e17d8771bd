"""List queries: Halo's query string to a typed, validated `ListQuery`, and the `Listing` a store
answers one with (moto's split: the HTTP wing parses and shapes the answer, the store takes typed
values and returns rows).

`ListQuery.parse` reads the resource's filters (``ResourceSpec.filters``), its paging
(``pageinate``/``page_size``/``page_no`` or ``count``) and ordering (``order``/``orderdesc``),
collecting every bad parameter into one `ValidationError` before anything is read. Hook filters
(``kind="hook"``) are read into typed `records.RowFilter` values by the parsers of `rules.FILTERS`.
Parameter names are matched case-insensitively, as ASP.NET does.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from halo_sandbox.mock.domain import facts
from halo_sandbox.mock.domain.coercion import INT_MAX, INT_MIN
from halo_sandbox.mock.domain.params import NO_PARAMS, ParamQuery, Plan, plan
from halo_sandbox.mock.domain.records import RowFilter
from halo_sandbox.mock.domain.resources import ResourceSpec
from halo_sandbox.mock.domain.rules import FILTERS
from halo_sandbox.mock.engine.rows import Row
from halo_sandbox.mock.exceptions import FieldErrors

MAX_PAGE_SIZE = 100
ROUTE_INT = re.compile(r"-?[0-9]{1,10}")
"""What ASP.NET's ``{id:int}`` route takes (then an int32): plain ASCII digits, not 45_920, not ٤٥."""
DEFAULT_PAGE_SIZE = 50
_NOTHING = object()


def param(params: Mapping[str, str], name: str, kind: Literal["int", "bool"], errors: FieldErrors) -> Any:
    """A typed query parameter (int32, or ``true``/``false``/``1``/``0``); ``None`` when absent or
    empty; a bad value is added to ``errors`` (and ``None`` returned)."""
    raw = params.get(name)
    if raw is None or raw == "":
        return None
    if kind == "bool":
        lowered = raw.strip().lower()
        if lowered in ("true", "1"):
            return True
        if lowered in ("false", "0"):
            return False
    else:
        try:
            value = int(raw.strip())
            if INT_MIN <= value <= INT_MAX:
                return value
        except ValueError:
            pass
    errors.add(name, f"The value '{raw}' is not valid.")
    return None


@dataclass(frozen=True, kw_only=True)
class ListQuery:
    """One validated list request against one resource."""

    eq: Mapping[str, Any] = field(default_factory=dict)
    """Indexed field -> the (normal-form) value it must equal."""
    anyof: Mapping[str, frozenset[Any]] = field(default_factory=dict)
    """Indexed field -> the values it may take."""
    filters: tuple[RowFilter, ...] = ()
    """Hook filters (time- or range-dependent rules), tested against each row the indexes select."""
    search: str = ""
    """Lower-cased substring looked for in the resource's ``search_fields``."""
    order: str | None = None
    """Field to sort by (lower-cased); ``None``: key order."""
    desc: bool = False
    paged: bool = False
    """Answer one page (``page_no``/``page_size`` in the envelope) rather than the first ``limit``."""
    page_no: int = 1
    page_size: int = DEFAULT_PAGE_SIZE
    limit: int | None = None
    """Rows returned when not paged (``None``: all)."""
    matches_nothing: bool = False
    """The constraints contradict each other (``open_only`` with ``closed_only``)."""
    missing_required: str | None = None
    """The parameter without which the resource lists nothing (``list_requires``), when absent:
    the answer is then an empty, unpaged list."""
    rules: ParamQuery = NO_PARAMS
    """What the documented parameters the table does not name do (`params.RULES`): row predicates,
    secondary orders, fields added to rows, ids only."""

    @classmethod
    def parse(
        cls,
        spec: ResourceSpec,
        params: Mapping[str, str] | None = None,
        *,
        me: Callable[[], int | None] | None = None,
        user: Callable[[], Mapping[str, Any] | None] | None = None,
        now: Callable[[], str] | None = None,
    ) -> ListQuery:
        """Parse ``params`` (a query string's parameters; none: what ``GET /{resource}`` alone lists)
        for ``spec``; raises `ValidationError` naming every bad parameter. ``me``: the id of the
        agent the token acts as, for the parameters about who asks (``mine``); ``now``: the sandbox
        time (`params.Plan.read`)."""
        params = {k.lower(): v for k, v in (params or {}).items()}
        errors = FieldErrors()
        pageinate = param(params, "pageinate", "bool", errors) or False
        page_size = param(params, "page_size", "int", errors)
        page_no = param(params, "page_no", "int", errors)
        count = param(params, "count", "int", errors)
        desc = param(params, "orderdesc", "bool", errors) or False
        eq: dict[str, Any] = {}
        anyof: dict[str, frozenset[Any]] = {}
        filters: list[RowFilter] = []
        if spec.view:
            eq[spec.view[0]] = spec.view[1]
        for flt in spec.filters:
            if flt.kind == "hook":  # read when any of its parameters is given
                if any(params.get(p) is not None for p in HOOK_PARAMS.get(flt.hook, (flt.param,))):
                    found = FILTERS[flt.hook](params, errors)
                    if found is not None:
                        filters.append(found)
                continue
            raw = params.get(flt.param)
            if raw is None or raw == "" or any(flag(params.get(p)) for p in flt.unless):
                continue
            if flt.kind == "int":
                # a value that is not an int32 filters nothing: documented int parameters are refused
                # earlier by the binding (routes); what reaches here is undocumented or a string in
                # Halo's document (`/Status?type=abc`), which Halo ignores
                value = param(params, flt.param, "int", FieldErrors())
                if value is not None:
                    eq[flt.field] = value
            elif flt.kind == "csv":
                values = _csv_ints(raw, flt.param, errors)
                if values:
                    anyof[flt.field] = values & anyof[flt.field] if flt.field in anyof else values
            elif flt.kind == "flag":
                if param(params, flt.param, "bool", errors):
                    eq[flt.field] = _NOTHING if flt.field in eq and eq[flt.field] != flt.value else flt.value
            else:
                eq[flt.field] = raw.strip().lower()
        if count is not None and count < 0:
            count = None  # Halo documents no meaning for a negative count: read as unset
        errors.raise_if_any()
        missing = spec.list_requires if spec.list_requires and spec.list_requires not in params else None
        paged = bool(pageinate and (spec.pageable or spec.paged_list_key))
        return cls(
            eq={f: v for f, v in eq.items() if v is not _NOTHING},
            anyof=anyof,
            filters=tuple(filters),
            search=(params.get("search") or "").strip().lower(),
            order=(params.get("order") or "").lower() or None,
            desc=desc,
            paged=paged,
            page_no=max(page_no or 1, 1),
            page_size=min(max(page_size or DEFAULT_PAGE_SIZE, 1), MAX_PAGE_SIZE),
            limit=count if count is not None else spec.count_default,
            matches_nothing=_NOTHING in eq.values(),
            missing_required=missing,
            rules=list_plan(spec).read(params, me=me, user=user, now=now),
        )


PAGING_PARAMS = ("pageinate", "page_size", "page_no")
HOOK_PARAMS: Mapping[str, tuple[str, ...]] = {
    "daterange": ("datesearch", "startdate", "enddate"),
    "breached": ("includebreached",),
    "calendar": ("calendar_startdate", "calendar_enddate"),
    "ticket_assets": ("ticket_id",),
    "linked_to_ticket": ("linked_to_ticket",),
    "review_due": ("needsreview",),
    "ticket_family": ("ischildnotes", "isrelatednotes"),
    "selected_for_client": ("previously_selected_client_id",),
    "selected_for_site": ("previously_selected_site_id",),
    "selected_for_user": ("previously_selected_user_id",),
    "stock_locations": ("stocklocation",),
}
"""The parameters each hook filter reads (``Filter(kind="hook")``)."""


def table_params(spec: ResourceSpec) -> frozenset[str]:
    """Query parameters the table itself acts on when listing this resource (its filters, paging,
    ``count``, ``order``, ``orderdesc``, ``search``)."""
    params = {"count", "order", "orderdesc", "search"} | {f.param for f in spec.filters}
    params |= {p for f in spec.filters if f.kind == "hook" for p in HOOK_PARAMS.get(f.hook, (f.param,))}
    if spec.pageable or spec.paged_list_key:
        params |= set(PAGING_PARAMS)
    return frozenset(params)


def list_plan(spec: ResourceSpec) -> Plan:
    """The rule-driven parameters of the resource's documented list operation (`params.plan`),
    resolved once per resource."""
    found = _PLANS.get(spec.name)
    if found is None:
        lean = frozenset({"id", *spec.fields, *spec.names, *spec.computed})
        operation = facts.operation("GET", "/" + spec.path)
        found = plan(operation, facts.record_schema(spec.path), taken=table_params(spec), lean=lean)
        _PLANS[spec.name] = found
    return found


_PLANS: dict[str, Plan] = {}


def list_params(spec: ResourceSpec) -> frozenset[str]:
    """Every query parameter a list of this resource acts on: the table's and the rules'."""
    return table_params(spec) | frozenset(list_plan(spec).actions)


@dataclass(frozen=True, slots=True)
class Listing:
    """What a store found for a `ListQuery`: the ``rows`` it answers (rendered, the page or the first
    ``limit``) and the ``total`` of matching records (Halo's ``record_count``)."""

    rows: list[Row]
    total: int


def item_scope(spec: ResourceSpec, record_id: str, params: Mapping[str, str]) -> int | None:
    """The scope of one record's path (``ticket_id`` of ``/Actions/{id}``) read from its query string:
    ``None`` for a resource without one, when absent (the store then asks for it) or when the id is not
    a record id (the store refuses the path first). A bad value raises `ValidationError`."""
    if not spec.id_scope or not ROUTE_INT.fullmatch(record_id):
        return None
    errors = FieldErrors()
    scope = param({k.lower(): v for k, v in params.items()}, spec.id_scope, "int", errors)
    errors.raise_if_any()
    return scope


def flag(value: str | None) -> bool:
    """A boolean query parameter as Halo reads it (``true``/``1``, any case; anything else is false)."""
    return value is not None and value.strip().lower() in ("true", "1")


def _csv_ints(raw: str, name: str, errors: FieldErrors) -> frozenset[int]:
    """The integer ids of a comma-separated list; parts that are not ASCII integers are skipped
    (Halo documents these parameters as strings)."""
    values = set()
    for part in raw.split(","):
        part = part.strip()
        if part.lstrip("+-").isascii() and part.lstrip("+-").isdigit():
            value = int(part)
            if INT_MIN <= value <= INT_MAX:
                values.add(value)
    return frozenset(values)
