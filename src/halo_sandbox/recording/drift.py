"""`drift()`: where a live Halo's answers and the mock's differ in shape (never in values).

The same read-only questions go to both (through `client.ReadOnlyHalo`): for every resource the mock
models, page 1 of its list (``pageinate=true&page_size=100``; lookups: the bare list), the same list
asked for 250 rows (the page-size cap), the first listed record by id, and an id that does not exist
(the 404). Each answer is reduced to its shape: status code, envelope keys and their JSON types,
``record_count``, the fields of the list rows and of the record with their JSON types (``null`` is an
unset value and matches any type), the keys of an error body. Shapes are compared resource by
resource; every difference is a `Finding`. A resource the live tenant has no records of is compared
on its envelope only (said in the report).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import httpx

from halo_sandbox.mock.domain.resources import RESOURCES, ResourceSpec
from halo_sandbox.recording.client import ReadOnlyHalo

__all__ = ["DRIFT_RESOURCES", "MISSING_ID", "DriftReport", "Finding", "Shape", "drift", "shape_of"]

MISSING_ID = 999_999_999
"""An id no tenant has (Halo's ids are int32)."""
_CAP_PROBE = 250
DRIFT_RESOURCES: tuple[ResourceSpec, ...] = tuple(s for s in RESOURCES if s.name != "attachments")
"""Attachments answer bytes, not JSON: left out."""


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _fields(rows: list[Any]) -> dict[str, set[str]]:
    """Field -> the JSON types it has across ``rows`` (``null`` left out)."""
    out: dict[str, set[str]] = {}
    for row in rows:
        if isinstance(row, dict):
            for name, value in row.items():
                kinds = out.setdefault(name, set())
                if value is not None:
                    kinds.add(_kind(value))
    return out


@dataclass(kw_only=True)
class Shape:
    """One resource's answers, reduced to what is compared."""

    list_status: int | None = None
    envelope: str = ""
    """``array`` (a bare list) or ``object``."""
    envelope_keys: dict[str, str] = field(default_factory=dict)
    list_key: str | None = None
    record_count: int | None = None
    rows: int = 0
    cap: int | None = None
    """Rows a page holds at most (only known when the resource has more records than a page)."""
    list_fields: dict[str, set[str]] = field(default_factory=dict)
    record_status: int | None = None
    record_fields: dict[str, set[str]] = field(default_factory=dict)
    missing_status: int | None = None
    missing_body: list[str] = field(default_factory=list)
    first_id: Any = None


def _rows(answer: Any, spec: ResourceSpec) -> tuple[str | None, list[Any]]:
    if isinstance(answer, list):
        return None, answer
    if isinstance(answer, dict):
        for key in (spec.list_key, spec.paged_list_key):
            if key and isinstance(answer.get(key), list):
                return key, answer[key]
        for key, value in answer.items():
            if isinstance(value, list):
                return key, value
    return None, []


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


async def shape_of(
    halo: ReadOnlyHalo, spec: ResourceSpec, *, scope: Mapping[str, str] | None = None
) -> Shape:
    """Ask ``halo`` the drift questions about ``spec`` (``scope``: extra parameters, e.g. an action's
    ``ticket_id``)."""
    shape = Shape()
    scope = dict(scope or {})
    paged = spec.pageable
    params = {**scope, **({"pageinate": "true", "page_size": "100", "page_no": "1"} if paged else {})}
    response = await halo.get(f"/{spec.path}", params)
    shape.list_status = response.status_code
    answer = _json(response)
    shape.envelope = "array" if isinstance(answer, list) else "object" if isinstance(answer, dict) else "none"
    if isinstance(answer, dict):
        shape.envelope_keys = {k: _kind(v) for k, v in answer.items()}
        count = answer.get("record_count")
        shape.record_count = count if isinstance(count, int) and not isinstance(count, bool) else None
    shape.list_key, rows = _rows(answer, spec)
    shape.rows = len(rows)
    shape.list_fields = _fields(rows)
    if paged and shape.record_count is not None and shape.record_count > len(rows):
        shape.cap = len(rows)
    if paged and shape.record_count is not None and shape.record_count > 100:
        more = await halo.get(f"/{spec.path}", {**params, "page_size": str(_CAP_PROBE)})
        shape.cap = len(_rows(_json(more), spec)[1])
    first = next((r for r in rows if isinstance(r, dict) and r.get("id") not in (None, "")), None)
    if first is not None:
        shape.first_id = first["id"]
        one = await halo.get(f"/{spec.path}/{first['id']}", scope or None)
        shape.record_status = one.status_code
        shape.record_fields = _fields([_json(one)]) if one.status_code == 200 else {}
    missing = await halo.get(f"/{spec.path}/{MISSING_ID}", scope or None)
    shape.missing_status = missing.status_code
    body = _json(missing)
    shape.missing_body = sorted(body) if isinstance(body, dict) else [_kind(body)]
    return shape


@dataclass(frozen=True, kw_only=True)
class Finding:
    resource: str
    aspect: str
    """``status``, ``envelope``, ``list key``, ``record_count``, ``page size cap``, ``field``,
    ``type``, ``error body``."""
    where: str
    """The envelope, ``list`` rows, the ``record``, the ``404``."""
    name: str
    live: str
    mock: str

    def describe(self) -> str:
        return f"{self.where} {self.aspect} {self.name}: live {self.live}, mock {self.mock}".strip()


@dataclass(kw_only=True)
class DriftReport:
    halo_url: str
    findings: list[Finding] = field(default_factory=list)
    notes: dict[str, list[str]] = field(default_factory=dict)
    resources: list[str] = field(default_factory=list)

    @property
    def agree(self) -> bool:
        return not self.findings

    def to_json(self) -> dict[str, Any]:
        return {
            "halo_url": self.halo_url,
            "agree": self.agree,
            "resources": {
                name: {
                    "findings": [asdict(f) for f in self.findings if f.resource == name],
                    "notes": self.notes.get(name, []),
                }
                for name in self.resources
            },
        }


def _absent(kinds: set[str] | None) -> str:
    return "absent" if kinds is None else "/".join(sorted(kinds)) or "null"


def _compare_fields(
    report: DriftReport, name: str, where: str, live: dict[str, set[str]], mock: dict[str, set[str]]
) -> None:
    for field_name in sorted(set(live) | set(mock)):
        a, b = live.get(field_name), mock.get(field_name)
        if a is None or b is None:
            report.findings.append(
                Finding(
                    resource=name,
                    aspect="field",
                    where=where,
                    name=field_name,
                    live=_absent(a),
                    mock=_absent(b),
                )
            )
        elif a and b and not a & b:
            report.findings.append(
                Finding(
                    resource=name,
                    aspect="type",
                    where=where,
                    name=field_name,
                    live=_absent(a),
                    mock=_absent(b),
                )
            )


def compare(report: DriftReport, name: str, live: Shape, mock: Shape, *, pageable: bool = True) -> None:
    """Every difference of shape between ``live`` and ``mock`` for resource ``name``."""

    def add(aspect: str, where: str, what: str, a: object, b: object) -> None:
        report.findings.append(
            Finding(resource=name, aspect=aspect, where=where, name=what, live=str(a), mock=str(b))
        )

    report.resources.append(name)
    notes = report.notes.setdefault(name, [])
    if live.list_status != mock.list_status:
        add("status", "list", "", live.list_status, mock.list_status)
        return
    if live.envelope != mock.envelope:
        add("envelope", "list", "", live.envelope, mock.envelope)
    if live.list_key != mock.list_key and live.rows and mock.rows:
        add("list key", "list", "", live.list_key, mock.list_key)
    for key in sorted(set(live.envelope_keys) | set(mock.envelope_keys)):
        if key in (live.list_key, mock.list_key):
            continue
        a, b = live.envelope_keys.get(key), mock.envelope_keys.get(key)
        if a != b and "null" not in (a, b):
            add("envelope", "list", key, a or "absent", b or "absent")
    if (live.record_count is None) != (mock.record_count is None):
        add(
            "record_count",
            "list",
            "",
            "absent" if live.record_count is None else "present",
            "absent" if mock.record_count is None else "present",
        )
    if live.cap is not None and mock.cap is not None and live.cap != mock.cap:
        add("page size cap", "list", "", live.cap, mock.cap)
    elif pageable and (live.cap is None or mock.cap is None):
        notes.append("page size cap not compared (a page held every record)")
    if live.rows and mock.rows:
        _compare_fields(report, name, "list", live.list_fields, mock.list_fields)
    else:
        notes.append("list fields not compared (no records on one side)")
    if live.first_id is not None and mock.first_id is not None:
        if live.record_status != mock.record_status:
            add("status", "record", "", live.record_status, mock.record_status)
        else:
            _compare_fields(report, name, "record", live.record_fields, mock.record_fields)
    if live.missing_status != mock.missing_status:
        add("status", "404", "", live.missing_status, mock.missing_status)
    elif live.missing_body != mock.missing_body:
        add("error body", "404", "", ",".join(live.missing_body), ",".join(mock.missing_body))


async def drift(
    live: ReadOnlyHalo,
    mock: ReadOnlyHalo,
    *,
    resources: tuple[ResourceSpec, ...] = DRIFT_RESOURCES,
    progress: Callable[[str], None] | None = None,
) -> DriftReport:
    """Ask both the drift questions and compare (see the module); ``progress`` hears each resource's
    name before it is asked about."""
    report = DriftReport(halo_url=live.credentials.base)
    await live.authenticate()
    await mock.authenticate()
    tickets: dict[str, Any] = {}
    for spec in resources:
        if progress is not None:
            progress(spec.name)
        if spec.id_scope:  # actions: of the first ticket each side lists
            live_scope = {spec.id_scope: str(tickets.get("live"))} if tickets.get("live") else None
            mock_scope = {spec.id_scope: str(tickets.get("mock"))} if tickets.get("mock") else None
            if live_scope is None or mock_scope is None:
                report.resources.append(spec.name)
                report.notes.setdefault(spec.name, []).append("not compared (no ticket to ask about)")
                continue
            a, b = await shape_of(live, spec, scope=live_scope), await shape_of(mock, spec, scope=mock_scope)
        else:
            a, b = await shape_of(live, spec), await shape_of(mock, spec)
        if spec.name == "tickets":
            tickets = {"live": a.first_id, "mock": b.first_id}
        compare(report, spec.name, a, b, pageable=spec.pageable)
    return report


def sandbox_mock(*, seed: int = 0) -> httpx.AsyncBaseTransport:
    """The mock this package serves, in-process (no socket), as an httpx transport: what `drift`
    compares a live Halo with. Its rate limit is off (only this process asks it)."""
    from halo_sandbox.mock.config import MockSettings
    from halo_sandbox.mock.http.app import create_app

    return httpx.ASGITransport(app=create_app(MockSettings(seed=seed, rate_limit=None)))
