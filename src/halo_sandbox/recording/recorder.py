"""`record()`: a live tenant's configuration and records as a sandbox tenant snapshot.

What it asks (GETs only, through `client.ReadOnlyHalo`): every lookup (statuses, ticket types,
priorities, SLAs, teams, categories, outcomes, agents) as it is; the record resources page by page with
Halo's own paging (``pageinate=true&page_size=100&page_no=N`` until ``record_count`` rows or an empty
page), up to ``max_records`` each, and the custom field definitions of each from its first record read
by id (they become the served tenant's own); the actions and attachments of the first
``action_tickets`` tickets (``/Actions?ticket_id=N``, ``/Attachment?ticket_id=N``; the attachments'
bytes are `PLACEHOLDER` when anonymising, else downloaded one by one); then every record a recorded
one refers to but the sample missed (``GET /Client/{id}``...), so the snapshot holds no dangling
reference. A reference that still cannot be resolved (budget spent, record gone) is cleared; an action
whose ticket is missing is left out. Generic resources (``Supplier``...) only when named. The result is
checked by loading it into a store (`HaloStore.from_snapshot`) before it is written.

Progress is kept in ``<out>.partial`` (JSON lines, already anonymised), one line per page, so an
interrupted or budget-limited recording continues with ``resume=True``; it is removed once the
snapshot is written.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from halo_sandbox.mock.domain import facts
from halo_sandbox.mock.domain.generic import GenericStore, collection_for
from halo_sandbox.mock.domain.resources import RESOURCES, UNSET_IDS, ResourceSpec, table_spec
from halo_sandbox.mock.domain.store import STORE_SNAPSHOT_FORMAT, HaloStore
from halo_sandbox.mock.engine.clock import SandboxClock
from halo_sandbox.mock.tenants import SNAPSHOT_FORMAT
from halo_sandbox.recording.anonymise import CONFIGURATION_TABLES, Anonymiser
from halo_sandbox.recording.client import ReadOnlyHalo
from halo_sandbox.recording.record_errors import HaloRefused, RecordingError, ResumeMismatch

__all__ = [
    "RECORD_PAGE_SIZE",
    "RECORDABLE",
    "Progress",
    "RecordOptions",
    "Summary",
    "generic_named",
    "record",
    "resources_named",
]

RECORD_PAGE_SIZE = 100
"""Halo caps ``page_size`` at 100 (its swagger; clients observed the cap)."""
_PARTIAL_FORMAT = "halo-sandbox-recording/1"
_SKIPPED = frozenset({"actions", "attachments", "projects"})
"""Recorded otherwise: actions and attachments per ticket, projects with tickets."""

RECORDABLE: tuple[ResourceSpec, ...] = tuple(s for s in RESOURCES if s.name not in _SKIPPED)
"""What ``--resources`` may name (the mock's resource table, by table name), lookups first."""


def resources_named(names: Iterable[str] | None) -> tuple[ResourceSpec, ...]:
    """The modelled resources among ``names`` (all when ``names`` is empty); a name that is neither
    one of them nor a generic resource (`generic_named`) raises `RecordingError`."""
    return _plan(names)[0]


def generic_named(names: Iterable[str] | None) -> tuple[str, ...]:
    """The generic collections among ``names``: documented Halo resources the mock does not model
    (``Supplier``, ``Item``...), as collection paths (``/Supplier``); recorded only when named."""
    return _plan(names)[1]


def _plan(names: Iterable[str] | None) -> tuple[tuple[ResourceSpec, ...], tuple[str, ...]]:
    wanted = [n.strip().strip("/") for n in names or () if n.strip().strip("/")]
    if not wanted:
        return RECORDABLE, ()
    by_name = {s.name: s for s in RECORDABLE} | {s.path.lower(): s for s in RECORDABLE}
    modelled = {s.path.lower() for s in RESOURCES}
    generic: list[str] = []
    unknown: list[str] = []
    for name in wanted:
        if name.lower() in by_name:
            continue
        found = facts.match("GET", f"/{name}")
        if found is None or found.operation is None or "{" in found.template:
            unknown.append(name)
            continue
        collection, _ = collection_for(found)
        if collection.path.strip("/").lower() in modelled:
            unknown.append(name)  # a modelled resource's other path
        elif collection.path not in generic:
            generic.append(collection.path)
    if unknown:
        raise RecordingError(
            f"unknown resource(s) {', '.join(unknown)}; choose from {', '.join(s.name for s in RECORDABLE)} "
            "or a documented Halo resource the sandbox serves generically (e.g. Supplier, Item)"
        )
    chosen = {n.lower() for n in wanted}
    return tuple(s for s in RECORDABLE if s.name in chosen or s.path.lower() in chosen), tuple(generic)


@dataclass(frozen=True, kw_only=True)
class RecordOptions:
    out: Path
    resources: tuple[ResourceSpec, ...] = RECORDABLE
    generic: tuple[str, ...] = ()
    """Generic collections to record too (`generic_named`)."""
    max_records: int | None = None
    """Records per resource (``None``: all); lookups are always recorded whole."""
    action_tickets: int | None = 250
    """Tickets whose actions are recorded (one request each; ``None``: every recorded ticket)."""
    anonymise: bool = True
    anonymise_key: bytes | None = None
    resume: bool = False
    tenant_name: str = "recorded"

    def __post_init__(self) -> None:
        for name in ("max_records", "action_tickets"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise RecordingError(f"--{name.replace('_', '-')} must not be negative, got {value}")


class Progress(Protocol):
    """What the recorder reports as it goes (the CLI draws rich progress bars from it)."""

    def start(self, name: str, total: int | None) -> None: ...
    def advance(self, name: str, rows: int, total: int | None) -> None: ...
    def finish(self, name: str) -> None: ...


class _Silent:
    def start(self, name: str, total: int | None) -> None:
        pass

    def advance(self, name: str, rows: int, total: int | None) -> None:
        pass

    def finish(self, name: str) -> None:
        pass


@dataclass(kw_only=True)
class Summary:
    out: Path
    records: dict[str, int] = field(default_factory=dict)
    requests: int = 0
    waited_seconds: float = 0.0
    cleared_references: int = 0
    dropped_rows: int = 0
    anonymised: bool = True


class _Partial:
    """The JSON-lines progress file: a header, then pages of (anonymised) rows."""

    def __init__(self, path: Path, header: dict[str, Any]) -> None:
        self.path = path
        self.header = header
        self.rows: dict[str, dict[Any, dict[str, Any]]] = {}
        self.pages: dict[str, int] = {}
        self.done: set[str] = set()
        self.totals: dict[str, int | None] = {}
        self.counts: dict[str, int] = {}
        self.fields: dict[str, list[dict[str, Any]]] = {}
        self.blobs: dict[int, str] = {}
        """Attachment bytes (base64) by attachment id, when not anonymising."""
        """Custom field definitions by table, from one detailed record of each."""

    @classmethod
    def open(cls, path: Path, header: dict[str, Any], *, resume: bool) -> _Partial:
        if not resume:
            if path.exists():
                raise ResumeMismatch(
                    f"{path} holds an unfinished recording: pass --resume to continue it, or delete it"
                )
            partial = cls(path, header)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # it may hold real data
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(json.dumps(header) + "\n")
            return partial
        if not path.exists():
            raise ResumeMismatch(f"--resume: there is no unfinished recording at {path}")
        lines = path.read_text(encoding="utf-8").splitlines()
        try:
            saved = json.loads(lines[0])
        except (IndexError, ValueError):
            raise ResumeMismatch(f"--resume: {path} is not a recording in progress") from None
        mismatched = [
            k for k in ("format", "halo_url", "tenant", "anonymise") if saved.get(k) != header.get(k)
        ]
        if mismatched:
            raise ResumeMismatch(
                f"--resume: {path} was started with other options ({', '.join(mismatched)}); "
                "use the same ones, or delete it to start again"
            )
        partial = cls(path, saved)
        for line in lines[1:]:
            try:
                entry = json.loads(line)
            except ValueError:
                break  # the line being written when the recording stopped
            partial._apply(entry)
        return partial

    def _apply(self, entry: dict[str, Any]) -> None:
        kind, source = entry.get("kind"), str(entry.get("source"))
        if kind == "rows":
            table = self.rows.setdefault(entry["table"], {})
            for row in entry["rows"]:
                table[_key(entry["table"], row)] = row
            self.counts[source] = self.counts.get(source, 0) + len(entry["rows"])
            self.blobs.update({int(key): b64 for key, b64 in entry.get("blobs") or ()})
            if entry.get("page") is not None:
                self.pages[source] = int(entry["page"])
            self.totals[source] = entry.get("total")
        elif kind == "fields":
            self.fields[entry["table"]] = entry["definitions"]
        elif kind == "done":
            self.done.add(source)

    def add(self, entry: dict[str, Any]) -> None:
        self._apply(entry)
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(entry) + "\n")
            fh.flush()


_GENERIC = "generic:"
"""Prefix of a generic collection's rows in the progress file (``generic:/Supplier``)."""


def _key(table: str, row: dict[str, Any]) -> Any:
    if table.startswith(_GENERIC):
        return row.get("id")
    spec = table_spec(table)
    if spec.id_scope:
        return f"{row.get(spec.id_scope)}/{row.get('id')}"
    return row.get("id")


def _rows_of(answer: Any, spec: ResourceSpec) -> tuple[list[dict[str, Any]], int | None]:
    """The rows of a list answer (envelope or bare array) and its ``record_count`` if any."""
    if isinstance(answer, list):
        return [r for r in answer if isinstance(r, dict)], None
    if not isinstance(answer, dict):
        raise HaloRefused(f"/{spec.path} answered neither an array nor an object")
    keys = [k for k in (spec.list_key, spec.paged_list_key) if k]
    rows = next((answer[k] for k in keys if isinstance(answer.get(k), list)), None)
    if rows is None:  # an envelope key the mock does not know: the first array (drift tells which)
        rows = next((v for v in answer.values() if isinstance(v, list)), [])
    count = answer.get("record_count")
    return [r for r in rows if isinstance(r, dict)], count if isinstance(count, int) else None


async def record(halo: ReadOnlyHalo, options: RecordOptions, *, progress: Progress | None = None) -> Summary:
    """Record the tenant ``halo`` reaches into ``options.out`` (see the module). Raises
    `RecordingError` (`BudgetExhausted` keeps the partial file for a resumed run)."""
    progress = progress or _Silent()
    out = options.out
    if out.exists() and not options.resume:
        raise RecordingError(f"{out} exists; choose another --out or delete it")
    if not out.parent.is_dir():
        raise RecordingError(f"--out: the folder {out.parent} does not exist")
    await halo.authenticate()  # wrong credentials end here, before anything is written
    anonymiser = Anonymiser(options.anonymise_key) if options.anonymise else None
    header = {
        "format": _PARTIAL_FORMAT,
        "halo_url": halo.credentials.base,
        "tenant": halo.credentials.tenant,
        "anonymise": options.anonymise,
        "key": anonymiser.key.hex() if anonymiser else None,
        "started": datetime.now(UTC).replace(microsecond=0).isoformat(),
    }
    partial = _Partial.open(Path(f"{out}.partial"), header, resume=options.resume)
    if anonymiser is not None and partial.header.get("key"):
        anonymiser = Anonymiser(bytes.fromhex(partial.header["key"]))

    def clean(table: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Rows as kept: without the fields the sandbox computes (names of referenced records, SLA
        state, totals: it derives them again), anonymised unless asked not to."""
        computed = frozenset() if table.startswith(_GENERIC) else table_spec(table).read_only
        rows = [{k: v for k, v in r.items() if k not in computed} for r in rows]
        return [anonymiser.row(table, r) for r in rows] if anonymiser else rows

    wanted = {s.table for s in options.resources}
    for spec in options.resources:
        await _record_resource(halo, spec, options, partial, progress, clean)
        if spec.name == "tickets" and "projects" not in partial.done:
            projects = next(s for s in RESOURCES if s.name == "projects")
            await _record_resource(halo, projects, options, partial, progress, clean)
    if "tickets" in wanted:
        await _record_actions(halo, options, partial, progress, clean)
    for path in options.generic:
        await _record_generic(halo, path, options, partial, progress, clean)
    await _resolve_references(halo, partial, progress, clean)
    summary = Summary(out=out, anonymised=options.anonymise)
    document = _snapshot(partial, summary, options)
    try:  # it must load as the sandbox would load it
        HaloStore.from_snapshot(document["store"], clock=SandboxClock())
        GenericStore.from_snapshot(document["generic"])
    except ValueError as exc:
        raise RecordingError(
            f"the recording does not load into the sandbox: {exc}. The pages are kept in {partial.path}"
        ) from None
    tmp = out.with_name(out.name + ".tmp")
    tmp.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    tmp.replace(out)
    partial.path.unlink()
    summary.requests = halo.requests_sent
    summary.waited_seconds = halo.waited_seconds
    return summary


Clean = Callable[[str, list[dict[str, Any]]], list[dict[str, Any]]]


async def _record_resource(
    halo: ReadOnlyHalo,
    spec: ResourceSpec,
    options: RecordOptions,
    partial: _Partial,
    progress: Progress,
    clean: Clean,
) -> None:
    source = spec.name

    def have() -> int:
        return partial.counts.get(source, 0)

    progress.start(source, partial.totals.get(source))
    if source in partial.done:
        progress.advance(source, have(), partial.totals.get(source))
        progress.finish(source)
        return
    if spec.table in CONFIGURATION_TABLES or spec.name == "agents" or not spec.pageable:
        answer = await halo.get_json(
            f"/{spec.path}", {"includeinactive": "true"} if spec.name == "agents" else None
        )
        rows, _ = _rows_of(answer, spec)
        partial.add(
            {
                "kind": "rows",
                "source": source,
                "table": spec.table,
                "rows": clean(spec.table, rows),
                "total": len(rows),
            }
        )
        partial.add({"kind": "done", "source": source})
        progress.advance(source, len(rows), len(rows))
        progress.finish(source)
        return
    page = partial.pages.get(source, 0)
    total = partial.totals.get(source)
    limit = options.max_records
    seen = have()
    while limit is None or seen < limit:
        page += 1
        answer = await halo.get_json(
            f"/{spec.path}", {"pageinate": "true", "page_size": str(RECORD_PAGE_SIZE), "page_no": str(page)}
        )
        rows, count = _rows_of(answer, spec)
        total = count if count is not None else total
        if limit is not None:
            rows = rows[: limit - seen]
        partial.add(
            {
                "kind": "rows",
                "source": source,
                "table": spec.table,
                "page": page,
                "rows": clean(spec.table, rows),
                "total": total,
            }
        )
        seen = have()
        goal = min(x for x in (total, limit) if x is not None) if (total, limit) != (None, None) else None
        progress.advance(source, seen, goal)
        if not rows or (total is not None and page * RECORD_PAGE_SIZE >= total):
            break
    await _record_definitions(halo, spec, partial)
    partial.add({"kind": "done", "source": source})
    progress.finish(source)


async def _record_definitions(halo: ReadOnlyHalo, spec: ResourceSpec, partial: _Partial) -> None:
    """The custom field definitions of ``spec``'s records, from the first recorded record read by id
    (a detailed record answers every definition of its type: ``customfields[{id, name, label,
    type, ...}]``); its values are not kept (they are the list row's business)."""
    ids = sorted(k for k in partial.rows.get(spec.table, {}) if isinstance(k, int))
    if not ids or spec.table in partial.fields:
        return
    try:
        detail = await halo.get_json(f"/{spec.path}/{ids[0]}")
    except HaloRefused as exc:
        if exc.status in (403, 404):  # not readable one by one: the sandbox keeps its own definitions
            return
        raise
    entries = detail.get("customfields") if isinstance(detail, dict) else None
    if not isinstance(entries, list):
        return
    definitions = [
        {
            "id": e["id"],
            "name": e["name"],
            "label": str(e.get("label") or e["name"]),
            "type": e.get("type", 0),
        }
        for e in entries
        if isinstance(e, dict)
        and type(e.get("id")) is int
        and isinstance(e.get("name"), str)
        and e["name"]
        and type(e.get("type", 0)) is int
    ]
    partial.add({"kind": "fields", "table": spec.table, "definitions": definitions})


async def _record_generic(
    halo: ReadOnlyHalo, path: str, options: RecordOptions, partial: _Partial, progress: Progress, clean: Clean
) -> None:
    """A generic collection: paged like the modelled lists when Halo documents ``pageinate`` for it,
    else its one list answer."""
    source = table = f"{_GENERIC}{path}"
    label = path.strip("/")
    progress.start(label, partial.totals.get(source))
    if source in partial.done:
        progress.advance(label, partial.counts.get(source, 0), partial.totals.get(source))
        progress.finish(label)
        return
    operation = facts.operation("GET", path)
    paged = operation is not None and any(p.lower() == "pageinate" for p in operation.query)
    page, total, limit = partial.pages.get(source, 0), partial.totals.get(source), options.max_records
    while True:
        page += 1
        params = (
            {"pageinate": "true", "page_size": str(RECORD_PAGE_SIZE), "page_no": str(page)} if paged else None
        )
        answer = await halo.get_json(path, params)
        rows: list[Any] = answer if isinstance(answer, list) else []
        if isinstance(answer, dict):
            rows = next((v for v in answer.values() if isinstance(v, list)), [])
            count = answer.get("record_count")
            total = count if isinstance(count, int) else total
        rows = [r for r in rows if isinstance(r, dict) and r.get("id") not in (None, "")]
        seen = partial.counts.get(source, 0)
        if limit is not None:
            rows = rows[: max(0, limit - seen)]
        partial.add(
            {
                "kind": "rows",
                "source": source,
                "table": table,
                "page": page,
                "rows": clean(table, rows),
                "total": total,
            }
        )
        progress.advance(label, partial.counts.get(source, 0), total)
        done = not paged or not rows or (total is not None and page * RECORD_PAGE_SIZE >= total)
        if done or (limit is not None and partial.counts.get(source, 0) >= limit):
            break
    partial.add({"kind": "done", "source": source})
    progress.finish(label)


async def _record_actions(
    halo: ReadOnlyHalo, options: RecordOptions, partial: _Partial, progress: Progress, clean: Clean
) -> None:
    tickets = sorted(partial.rows.get("tickets", {}))
    if options.action_tickets is not None:
        tickets = tickets[: options.action_tickets]
    done = {int(s.split(":", 1)[1]) for s in partial.done if s.startswith("actions:")}
    progress.start("actions", len(tickets))
    for n, ticket_id in enumerate(tickets, 1):
        if ticket_id not in done:
            answer = await halo.get_json("/Actions", {"ticket_id": str(ticket_id), "count": "1000"})
            rows, _ = _rows_of(answer, table_spec("actions"))
            rows = [{**r, "ticket_id": ticket_id} for r in rows]
            partial.add(
                {
                    "kind": "rows",
                    "source": f"actions:{ticket_id}",
                    "table": "actions",
                    "rows": clean("actions", rows),
                }
            )
            await _record_attachments(halo, ticket_id, options, partial, clean)
            partial.add({"kind": "done", "source": f"actions:{ticket_id}"})
        progress.advance("actions", n, len(tickets))
    progress.finish("actions")


PLACEHOLDER = b"This attachment was replaced by halo-sandbox record (anonymised).\n"
"""The bytes every attachment of an anonymised recording answers."""


async def _record_attachments(
    halo: ReadOnlyHalo, ticket_id: int, options: RecordOptions, partial: _Partial, clean: Clean
) -> None:
    """A ticket's attachments (``/Attachment?ticket_id=N``): their records, anonymised like any (the
    file name keeps its extension), and their bytes: `PLACEHOLDER` when anonymising, else each file
    (``GET /Attachment/{id}``, one request each)."""
    answer = await halo.get_json("/Attachment", {"ticket_id": str(ticket_id)})
    rows, _ = _rows_of(answer, table_spec("attachments"))
    rows = [{**r, "ticket_id": ticket_id} for r in rows if type(r.get("id")) is int]
    blobs: list[list[Any]] = []
    if not options.anonymise:
        for row in rows:
            response = await halo.get(f"/Attachment/{row['id']}")
            if response.status_code == 200:
                blobs.append([row["id"], base64.b64encode(response.content).decode("ascii")])
    partial.add(
        {
            "kind": "rows",
            "source": f"attachments:{ticket_id}",
            "table": "attachments",
            "rows": clean("attachments", rows),
            "blobs": blobs,
        }
    )


def _missing(partial: _Partial) -> dict[str, set[Any]]:
    """Records referred to but not recorded, by table (only the tables fetched by id)."""
    missing: dict[str, set[Any]] = {}
    for table, rows in partial.rows.items():
        if table.startswith(_GENERIC):
            continue
        spec = table_spec(table)
        for name, ref in spec.refs.items():
            if ref.table in CONFIGURATION_TABLES or ref.table in ("agents", "actions"):
                continue  # recorded whole (or per ticket)
            present = {r.get(ref.key) for r in partial.rows.get(ref.table, {}).values()}
            for row in rows.values():
                value = row.get(name)
                if value not in UNSET_IDS and isinstance(value, int) and value not in present:
                    missing.setdefault(ref.table, set()).add(value)
    return missing


async def _resolve_references(
    halo: ReadOnlyHalo, partial: _Partial, progress: Progress, clean: Clean
) -> None:
    for _ in range(4):  # a ticket's contract's site's client: a few hops at most
        missing = _missing(partial)
        if not missing:
            return
        total = sum(len(ids) for ids in missing.values())
        progress.start("references", total)
        n = 0
        for table, ids in missing.items():
            spec = table_spec(table)
            for record_id in sorted(ids):
                source = f"ref:{table}:{record_id}"
                if source not in partial.done:
                    try:
                        row = await halo.get_json(f"/{spec.path}/{record_id}")
                    except HaloRefused as exc:
                        if exc.status != 404:
                            raise
                        row = None
                    rows = [row] if isinstance(row, dict) and row.get("id") == record_id else []
                    partial.add(
                        {"kind": "rows", "source": source, "table": table, "rows": clean(table, rows)}
                    )
                    partial.add({"kind": "done", "source": source})
                n += 1
                progress.advance("references", n, total)
        progress.finish("references")
        if all(f"ref:{t}:{i}" in partial.done for t, ids in _missing(partial).items() for i in ids):
            return  # what is still missing was asked for and is gone


def _snapshot(partial: _Partial, summary: Summary, options: RecordOptions) -> dict[str, Any]:
    """The sandbox's tenant snapshot of what was recorded (dangling references cleared)."""
    tables: dict[str, list[dict[str, Any]]] = {}
    present = {
        (table, ref_key): {r.get(ref_key) for r in rows.values()}
        for table, rows in partial.rows.items()
        for ref_key in ("id", "priorityid")
    }
    generic: dict[str, Any] = {}
    for table, rows in partial.rows.items():
        if table.startswith(_GENERIC):
            ids = [i for i in rows if type(i) is int]
            generic[table[len(_GENERIC) :]] = {
                "next_id": max(ids, default=0) + 1,
                "rows": list(rows.values()),
            }
            summary.records[table[len(_GENERIC) :].strip("/")] = len(rows)
            continue
        spec = table_spec(table)
        kept = []
        for row in rows.values():
            row = dict(row)
            keep = True
            for name, ref in spec.refs.items():
                value = row.get(name)
                if value in UNSET_IDS or not isinstance(value, int | str):
                    continue
                if ref.scoped_by:
                    scope = table_spec(ref.table).id_scope or ""
                    found = any(
                        r.get(scope) == row.get(ref.scoped_by) and r.get(ref.key) == value
                        for r in partial.rows.get(ref.table, {}).values()
                    )
                else:
                    found = value in present.get((ref.table, ref.key), set())
                if not found:
                    if name == spec.id_scope:
                        keep = False
                        break
                    row.pop(name)
                    summary.cleared_references += 1
            if keep:
                kept.append(row)
            else:
                summary.dropped_rows += 1
        tables[table] = kept
        summary.records[table] = len(kept)
    placeholder = base64.b64encode(PLACEHOLDER).decode("ascii")
    return {
        "format": SNAPSHOT_FORMAT,
        "tenant": options.tenant_name,
        "clock": {"now": datetime.now(UTC).replace(tzinfo=None, microsecond=0).isoformat(), "frozen": False},
        "ratelimit": {"enabled": True, "limit": 300, "window_seconds": 300},
        "faults": [],
        "store": {
            "format": STORE_SNAPSHOT_FORMAT,
            "tables": tables,
            "next_ids": {},
            "scoped_next_ids": {},
            "blobs": [
                [row["id"], partial.blobs.get(row["id"], placeholder)]
                for row in tables.get("attachments", [])
            ],
            "custom_fields": partial.fields,
        },
        "generic": generic,
        "strict": None,
    }
