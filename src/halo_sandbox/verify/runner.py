"""`run_verify(options)`: start the sandbox, reach the server under test, discover its tools, run
the properties and return the `Report` (and `exit_code` for it)."""

from __future__ import annotations

import dataclasses
import os
import re
import tempfile
import time
import traceback
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import anyio
from anyio.abc import TaskGroup

from halo_sandbox.harness import free_port
from halo_sandbox.verify.discovery import discover
from halo_sandbox.verify.probe import Probe
from halo_sandbox.verify.properties import Context
from halo_sandbox.verify.properties.annotations import hints_agree
from halo_sandbox.verify.properties.cursors import cursors
from halo_sandbox.verify.properties.failures import auth, error_pass_through
from halo_sandbox.verify.properties.filters import filters
from halo_sandbox.verify.properties.paging import pagination
from halo_sandbox.verify.properties.paths import ids_stay_one_segment
from halo_sandbox.verify.properties.reads import reads_are_true
from halo_sandbox.verify.properties.retries import retries
from halo_sandbox.verify.properties.schemas import schemas
from halo_sandbox.verify.properties.updates import updates
from halo_sandbox.verify.properties.writes import attachments, writes_land
from halo_sandbox.verify.report import PROPERTIES, Check, Report
from halo_sandbox.verify.served_mock import running_sandbox
from halo_sandbox.verify.target import ServerTarget, TargetError, connect

__all__ = ["RETRY_POLICIES", "VerifyOptions", "crash_log", "exit_code", "run_verify"]

RetryPolicy = Literal["harm-only", "bounded", "pass-through"]
RETRY_POLICIES: tuple[RetryPolicy, ...] = ("harm-only", "bounded", "pass-through")

PROPERTY_FUNCTIONS = {
    "reads": reads_are_true,
    "filters": filters,
    "pagination": pagination,
    "cursors": cursors,
    "writes": writes_land,
    "updates": updates,
    "paths": ids_stay_one_segment,
    "attachments": attachments,
    "errors": error_pass_through,
    "retries": retries,
    "auth": auth,
    "annotations": hints_agree,
    "schemas": schemas,  # last: its generated calls write and delete at random
}


@dataclass(frozen=True, kw_only=True)
class VerifyOptions:
    target: ServerTarget
    mapping: dict[str, Any] | None = None
    examples: int = 5
    """Generated calls per tool in the schemas property."""
    timeout: float = 20.0
    """Seconds one tool call may take."""
    sandbox_port: int = 0
    seed: int = 0
    only: Sequence[str] = field(default_factory=tuple)
    """Run only these properties (default: all)."""
    retry_policy: RetryPolicy = "harm-only"
    """How the retries property judges a server's retries on 429/5xx (`properties.retries`):
    ``harm-only`` fails only what harms the caller, ``bounded`` also retries of reads beyond three or
    after a 4xx, ``pass-through`` any retry at all."""

    def __post_init__(self) -> None:
        unknown = set(self.only) - set(PROPERTIES)
        if unknown:
            raise ValueError(
                f"unknown properties {', '.join(sorted(unknown))}; choose from {', '.join(PROPERTIES)}"
            )
        if self.examples < 1:
            raise ValueError("examples must be at least 1")
        if self.retry_policy not in RETRY_POLICIES:
            raise ValueError(
                f"unknown retry policy {self.retry_policy!r}; choose from {', '.join(RETRY_POLICIES)}"
            )


async def run_verify(options: VerifyOptions) -> Report:
    """Raises `TargetError` when the server under test cannot be started or reached."""
    try:
        return await _run(options)
    except BaseExceptionGroup as group:  # the sandbox's task group wraps what its body raised
        found: TargetError | BaseExceptionGroup[TargetError] | None = group.subgroup(TargetError)
        while isinstance(found, BaseExceptionGroup):
            found = found.exceptions[0]
        if found is None:
            raise
        raise found from None


class _Server:
    """One process of the server under test and the MCP session on it, held by one task of the
    run's task group (its context is entered and left in that task, as anyio requires)."""

    def __init__(self, target: ServerTarget, values: dict[str, str], *, timeout: float) -> None:
        self.target, self.values, self.timeout = target, values, timeout
        self.client: Any = None
        self.error: BaseException | None = None
        self.ready = anyio.Event()
        self.release = anyio.Event()
        self.done = anyio.Event()

    async def hold(self) -> None:
        try:
            async with connect(self.target, self.values, timeout=self.timeout) as client:
                self.client = client
                self.ready.set()
                await self.release.wait()
        except Exception as exc:  # noqa: BLE001 - handed to whoever waits for this server
            self.error = exc
        finally:
            self.ready.set()
            self.done.set()

    async def wait(self) -> Any:
        await self.ready.wait()
        if self.error is not None:
            raise self.error
        return self.client


class _Session:
    """The server under test for one property: a fresh process (when the run starts it) and an MCP
    session on it; `restart` gives the property another fresh one (a server's circuit breaker, cache
    or other state left by earlier calls then cannot decide a later check). `restart` may be awaited
    from any task (the properties call it from tasks of their own: hypothesis examples reach the
    loop through `anyio.from_thread`).

    The next process is started before the current one stops (on a port of its own when the
    command takes ``{port}``); the current one stops in the background. No process is started
    ahead of need: a server that calls Halo while starting would have its requests counted
    against the check running meanwhile."""

    def __init__(
        self, target: ServerTarget, values: dict[str, str], *, timeout: float, group: TaskGroup
    ) -> None:
        self.target, self.values, self.timeout = target, values, timeout
        self.client: Any = None
        self.probe: Probe | None = None
        self.starts = 0
        self._group = group
        self._current: _Server | None = None
        self._lock = anyio.Lock()

    def _launch(self, *, first: bool = False) -> _Server:
        values = dict(self.values)
        if not first and self.target.url and "{port}" in (self.target.command or ""):
            values["port"] = str(free_port())  # the current process still holds the first port
        server = _Server(self.target, values, timeout=self.timeout)
        self._group.start_soon(server.hold)
        self.starts += 1
        return server

    def _use(self, server: _Server) -> Any:
        self._current = server
        self.client = server.client
        if self.probe is not None:
            self.probe.client = server.client
        return server.client

    async def open(self) -> Any:
        server = self._launch(first=True)
        try:
            await server.wait()
        except BaseException:
            server.release.set()
            raise
        return self._use(server)

    async def restart(self) -> bool:
        """A fresh server process; False (and the same session) when the run did not start it."""
        if not self.target.restartable:
            return False
        async with self._lock:
            fresh = self._launch()
            try:
                await fresh.wait()
            except BaseException:
                fresh.release.set()
                raise
            old = self._current
            self._use(fresh)
            if old is not None:
                old.release.set()
        return True

    async def close(self) -> None:
        server, self._current = self._current, None
        if server is not None:
            server.release.set()
            with anyio.move_on_after(30):
                await server.done.wait()


async def _run(options: VerifyOptions) -> Report:
    started = time.monotonic()
    async with running_sandbox(port=options.sandbox_port, seed=options.seed) as sandbox:
        values = sandbox.placeholders()
        report = Report(server=options.target.describe(values))
        if not options.target.restartable:
            report.server["isolation"] = (
                "none: the run did not start the server (--server-url alone), so state it keeps "
                "(circuit breakers, caches) carries over from property to property"
            )
        else:
            report.server["isolation"] = "a fresh server process per property"
        async with anyio.create_task_group() as group:
            session = _Session(options.target, values, timeout=options.timeout, group=group)
            await _with_session(options, sandbox, report, session)
        report.server["server_starts"] = session.starts
    report.seconds = time.monotonic() - started
    return report


async def _with_session(options: VerifyOptions, sandbox: Any, report: Report, session: _Session) -> None:
    try:
        client = await session.open()
        try:
            with anyio.fail_after(options.timeout):
                listing = await client.list_tools()
        except Exception as exc:  # noqa: BLE001
            raise TargetError(f"tools/list failed: {exc!r}") from None
        tools = {t.name: t for t in listing.tools}
        found = discover(tools.values(), options.mapping)
        report.tools = [m.public() for m in found.mapped.values()]
        report.unmapped = dict(found.unmapped)
        report.ambiguous = {k: list(v) for k, v in found.ambiguous.items()}
        report.add(_discovery_checks(found, tools))
        probe = Probe(client, sandbox, timeout=options.timeout)
        session.probe = probe
        ctx = Context(
            probe=probe,
            discovery=found,
            tools=tools,
            examples=options.examples,
            seed=options.seed,
            retry_policy=options.retry_policy,
            restart=session.restart,
        )
        first = True
        refused: set[str] = set()
        for name, function in PROPERTY_FUNCTIONS.items():
            if options.only and name not in options.only:
                report.add(
                    [Check(property=name, subject=name, status="skipped", detail="not selected (--only)")]
                )
                continue
            began = time.monotonic()
            sandbox.registry.reset(sandbox.settings.default_tenant)
            sandbox.tenant.faults.clear()
            if not first:
                await session.restart()
            first = False
            ctx.notes.clear()
            try:
                report.add(not_granted(await function(ctx), refused))
                report.timings[name] = time.monotonic() - began
            except TargetError:
                raise
            except Exception as exc:  # noqa: BLE001 - one property's crash is reported, the rest run
                log = crash_log(exc, context=f"property {name}")
                report.add(
                    [
                        Check(
                            property=name,
                            subject=name,
                            status="error",
                            detail=f"verify could not run this property: {type(exc).__name__}: "
                            f"{_first_line(exc)} (full log: {log})",
                        )
                    ]
                )
                await session.restart()
        report.findings = list(ctx.findings)
        if refused:
            report.findings.append(
                f"Halo refused the server's own token (403) for {', '.join(sorted(refused)[:6])}"
                f"{' ...' if len(refused) > 6 else ''}: the scopes the server asks for (or its API "
                "application's permissions) do not cover them, so checks that needed them were not "
                "verified; give the server wider scopes (e.g. --env HALO_SCOPES=all) to verify them"
            )
    finally:
        await session.close()


_REFUSED = re.compile(r"^(?P<method>[A-Z]+) (?P<path>[^?\s]+)\S* -> 403$")
"""An upstream line of a request the sandbox itself refused with 403 (no `(fault N)` mark): the
token the server obtained lacks the scope or permission."""


def not_granted(checks: Sequence[Check], refused: set[str]) -> list[Check]:
    """Failed checks behind which Halo refused the server's own token (a 403 no fault scripted) are
    not verified, not failed: the server's configuration (the OAuth scopes it requests, its API
    application's permissions) decided them, not its code. ``refused`` collects the requests."""
    out = []
    for check in checks:
        lines = [line for call in check.calls for line in call.get("upstream", [])]
        hits = sorted({f"{m['method']} {m['path']}" for line in lines if (m := _REFUSED.match(line))})
        if check.status == "failed" and hits:
            refused.update(hits)
            check = dataclasses.replace(
                check,
                status="skipped",
                detail=f"not verified: Halo refused the server's own token (403) for {', '.join(hits[:3])}; "
                "its scopes or permissions do not cover it (the server's configuration). "
                f"Was: {check.detail}",
            )
        out.append(check)
    return out


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:300] if text else ""


def crash_log(exc: BaseException, *, context: str) -> Path:
    """Write ``exc``'s full traceback to a new file in the temporary directory; its path."""
    fd, name = tempfile.mkstemp(prefix="halo-verify-", suffix=".log")
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(f"halo-sandbox verify: internal error in {context}\n\n")
        out.write("".join(traceback.format_exception(exc)))
    return Path(name)


def _discovery_checks(found: Any, tools: dict[str, Any]) -> list:
    checks = [
        Check(
            property="discovery",
            subject=m.name,
            tool=m.name,
            status="passed",
            detail=f"{m.resource}.{m.role} (from its {m.source})",
        )
        for m in found.mapped.values()
    ]
    checks += [
        Check(property="discovery", subject=name, tool=name, status="skipped", detail=f"unmapped: {why}")
        for name, why in found.unmapped.items()
    ]
    if not found.mapped:
        checks.append(
            Check(
                property="discovery",
                subject="tools",
                status="skipped",
                detail=f"none of the {len(tools)} tools could be mapped to a Halo resource; "
                "give a mapping file (--mapping)",
            )
        )
    return checks


def exit_code(report: Report) -> int:
    """0 passed, 1 a property failed, 2 a check could not run, 3 nothing verified (`report.EXIT_CODES`)."""
    return report.exit_code


def write_reports(report: Report, *, json_path: Path | None, junit_path: Path | None) -> None:
    if json_path is not None:
        report.write_json(json_path)
    if junit_path is not None:
        report.write_junit(junit_path)
