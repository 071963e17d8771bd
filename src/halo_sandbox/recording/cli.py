"""`halo-sandbox record` and `halo-sandbox drift` (typer; rich progress, tables and summary)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from halo_sandbox.recording.record_errors import BudgetExhausted, RecordingError
from halo_sandbox.settings import ENV

__all__ = ["drift_command", "record_command"]

_HaloUrl = Annotated[
    str,
    typer.Option("--halo-url", envvar=ENV["halo_url"], help="The live Halo, e.g. https://acme.haloitsm.com."),
]
_ClientId = Annotated[
    str, typer.Option("--client-id", envvar=ENV["halo_client_id"], help="Its API application's client id.")
]
_ClientSecret = Annotated[
    str,
    typer.Option(
        "--client-secret", envvar=ENV["halo_client_secret"], help="Its client secret.", show_default=False
    ),
]
_Tenant = Annotated[
    str | None,
    typer.Option(
        "--tenant", envvar=ENV["halo_tenant"], help="Hosted tenant name, when the URL does not imply it."
    ),
]
_MaxRequests = Annotated[
    int | None,
    typer.Option(
        "--max-requests", min=1, help="Request budget of this run (token requests and retries count)."
    ),
]


class _Bars:
    """`recorder.Progress` drawn as one rich progress bar per resource."""

    def __init__(self, progress: Progress) -> None:
        self._progress = progress
        self._tasks: dict[str, TaskID] = {}

    def start(self, name: str, total: int | None) -> None:
        if name not in self._tasks:
            self._tasks[name] = self._progress.add_task(name, total=total)

    def advance(self, name: str, rows: int, total: int | None) -> None:
        self._progress.update(self._tasks[name], completed=rows, total=total)

    def finish(self, name: str) -> None:
        task = self._progress.tasks[self._tasks[name]]
        self._progress.update(self._tasks[name], total=task.completed)


def record_command(
    out: Annotated[Path, typer.Option("--out", help="The snapshot file to write.")],
    halo_url: _HaloUrl,
    client_id: _ClientId,
    client_secret: _ClientSecret,
    tenant: _Tenant = None,
    resources: Annotated[
        list[str] | None,
        typer.Option(
            "--resources",
            help="Resources to record, comma-separated (default: all the sandbox models), e.g. "
            "tickets,clients,statuses; documented Halo resources the sandbox serves generically (Supplier, "
            "Item, ...) only when named.",
            show_default=False,
        ),
    ] = None,
    max_records: Annotated[
        int | None, typer.Option("--max-records", min=0, help="Records per resource (default: all).")
    ] = None,
    action_tickets: Annotated[
        int,
        typer.Option(
            "--action-tickets",
            min=0,
            help="Tickets whose actions and attachments are recorded (two requests each).",
        ),
    ] = 250,
    max_requests: _MaxRequests = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue an interrupted recording of --out.")
    ] = False,
    no_anonymise: Annotated[
        bool,
        typer.Option(
            "--no-anonymise", help="Keep names, e-mails, phones and text as they are (your own test tenant)."
        ),
    ] = False,
) -> None:
    """Record a live Halo (read-only: the token request and GETs) into a sandbox tenant snapshot,
    anonymised by default; serve it with `halo-sandbox up --snapshot FILE`."""
    from halo_sandbox.recording.client import Credentials, ReadOnlyHalo
    from halo_sandbox.recording.recorder import RecordOptions, generic_named, record, resources_named

    console = Console(stderr=True, soft_wrap=True)
    try:
        names = [p for value in resources or () for p in value.split(",")]
        options = RecordOptions(
            out=out,
            resources=resources_named(names),
            generic=generic_named(names),
            max_records=max_records,
            action_tickets=action_tickets,
            anonymise=not no_anonymise,
            resume=resume,
        )
        credentials = Credentials(
            halo_url=halo_url, client_id=client_id, client_secret=client_secret, tenant=tenant
        )
    except RecordingError as exc:
        raise typer.BadParameter(str(exc)) from None
    columns = (TextColumn("{task.description:<12}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as bars:

        def waiting(seconds: float, why: str) -> None:
            if seconds >= 1:
                bars.console.print(f"[yellow]waiting {seconds:.0f} s ({why})[/yellow]")

        async def run() -> object:
            async with ReadOnlyHalo(credentials, max_requests=max_requests, on_wait=waiting) as halo:
                return await record(halo, options, progress=_Bars(bars))

        try:
            summary = asyncio.run(run())
        except BudgetExhausted as exc:
            console.print(f"[yellow]{exc}[/yellow]: run again with --resume to continue ({out}.partial kept)")
            raise typer.Exit(code=3) from None
        except RecordingError as exc:
            console.print(f"[red]error:[/red] {exc}")
            raise typer.Exit(code=1) from None
        except KeyboardInterrupt:
            console.print(f"interrupted: run again with --resume to continue ({out}.partial kept)")
            raise typer.Exit(code=130) from None
    from halo_sandbox.recording.recorder import Summary

    assert isinstance(summary, Summary)
    table = Table(title=f"Recorded into {out}", title_justify="left")
    table.add_column("table")
    table.add_column("records", justify="right")
    for name, count in summary.records.items():
        table.add_row(name, str(count))
    Console(soft_wrap=True).print(table)
    Console(soft_wrap=True).print(
        f"{summary.requests} requests, {summary.waited_seconds:.0f} s waited for the rate limit; "
        f"{'anonymised' if summary.anonymised else 'NOT anonymised (--no-anonymise)'}; "
        f"{summary.cleared_references} unresolvable references cleared, "
        f"{summary.dropped_rows} rows left out. "
        f"Serve it: halo-sandbox up --snapshot {out}",
        highlight=False,
    )


def drift_command(
    halo_url: _HaloUrl,
    client_id: _ClientId,
    client_secret: _ClientSecret,
    tenant: _Tenant = None,
    json_path: Annotated[
        Path | None,
        typer.Option("--json", help="Also write the report as JSON to this file.", show_default=False),
    ] = None,
    max_requests: _MaxRequests = None,
) -> None:
    """Ask a live Halo and the sandbox's mock the same read-only questions and report where their
    answers differ in shape (envelopes, fields, types, paging, status codes). Exit 0 when they agree,
    1 when they drift."""
    import json

    from halo_sandbox.mock.config import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET
    from halo_sandbox.recording.client import Credentials, ReadOnlyHalo
    from halo_sandbox.recording.drift import DriftReport, drift, sandbox_mock

    console = Console(soft_wrap=True)
    try:
        live_creds = Credentials(
            halo_url=halo_url, client_id=client_id, client_secret=client_secret, tenant=tenant
        )
    except RecordingError as exc:
        raise typer.BadParameter(str(exc)) from None
    mock_creds = Credentials(
        halo_url="http://sandbox.invalid", client_id=DEFAULT_CLIENT_ID, client_secret=DEFAULT_CLIENT_SECRET
    )

    async def run() -> DriftReport:
        async with (
            ReadOnlyHalo(live_creds, max_requests=max_requests) as live,
            ReadOnlyHalo(mock_creds, transport=sandbox_mock(), rate=None) as mock,
        ):
            with console.status("asking") as status:
                return await drift(live, mock, progress=lambda name: status.update(f"asking about {name}"))

    try:
        report = asyncio.run(run())
    except RecordingError as exc:
        Console(stderr=True, soft_wrap=True).print(f"[red]error:[/red] {exc}")
        raise typer.Exit(code=2) from None
    for name in report.resources:
        findings = [f for f in report.findings if f.resource == name]
        if not findings:
            continue
        table = Table(title=f"{name}: {len(findings)} difference(s)", title_justify="left")
        for column in ("where", "aspect", "name", "live Halo", "mock"):
            table.add_column(column)
        for f in findings:
            table.add_row(f.where, f.aspect, f.name, f.live, f.mock)
        console.print(table)
    if json_path is not None:
        json_path.write_text(json.dumps(report.to_json(), indent=2), encoding="utf-8")
    agreeing = [n for n in report.resources if not any(f.resource == n for f in report.findings)]
    console.print(f"agree: {', '.join(agreeing) or '(none)'}", highlight=False)
    if report.agree:
        console.print("No drift: the mock answers in the live tenant's shapes.", style="green")
        return
    console.print(
        f"{len(report.findings)} difference(s) in {len(report.resources) - len(agreeing)} resource(s); "
        "mock_halo/FIDELITY.md says how to turn them into fixes.",
        style="yellow",
    )
    raise typer.Exit(code=1)
