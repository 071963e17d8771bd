"""`run_verify(options)`: start the sandbox, reach the server under test, discover its tools, run
the properties and return the `Report` (and `exit_code` for it)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import anyio

from halo_sandbox.verify.discovery import discover
from halo_sandbox.verify.probe import Probe
from halo_sandbox.verify.properties import Context
from halo_sandbox.verify.properties.errors import auth, error_pass_through
from halo_sandbox.verify.properties.reads import pagination, reads_are_true
from halo_sandbox.verify.properties.schemas import schemas
from halo_sandbox.verify.properties.writes import attachments, writes_land
from halo_sandbox.verify.report import PROPERTIES, Check, Report
from halo_sandbox.verify.sandbox import running_sandbox
from halo_sandbox.verify.target import ServerTarget, TargetError, connect

__all__ = ["RETRY_POLICIES", "VerifyOptions", "exit_code", "run_verify"]

RetryPolicy = Literal["harm-only", "bounded", "pass-through"]
RETRY_POLICIES: tuple[RetryPolicy, ...] = ("harm-only", "bounded", "pass-through")

PROPERTY_FUNCTIONS = {
    "reads": reads_are_true,
    "pagination": pagination,
    "writes": writes_land,
    "attachments": attachments,
    "errors": error_pass_through,
    "auth": auth,
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


async def _run(options: VerifyOptions) -> Report:
    started = time.monotonic()
    async with running_sandbox(port=options.sandbox_port, seed=options.seed) as sandbox:
        values = sandbox.placeholders()
        report = Report(server=options.target.describe(values))
        async with connect(options.target, values, timeout=options.timeout) as client:
            try:
                with anyio.fail_after(options.timeout):
                    listing = await client.list_tools()
            except Exception as exc:  # noqa: BLE001
                raise TargetError(f"tools/list failed: {exc!r}") from None
            tools = {t.name: t for t in listing.tools}
            found = discover(tools.values(), options.mapping)
            report.tools = [m.public() for m in found.mapped.values()]
            report.unmapped = dict(found.unmapped)
            report.add(_discovery_checks(found, tools))
            ctx = Context(
                probe=Probe(client, sandbox, timeout=options.timeout),
                discovery=found,
                tools=tools,
                examples=options.examples,
                seed=options.seed,
                retry_policy=options.retry_policy,
            )
            for name, function in PROPERTY_FUNCTIONS.items():
                if options.only and name not in options.only:
                    report.add(
                        [Check(property=name, subject=name, status="skipped", detail="not selected (--only)")]
                    )
                    continue
                sandbox.registry.reset(sandbox.settings.default_tenant)
                report.add(await function(ctx))
            report.findings = list(ctx.findings)
    report.seconds = time.monotonic() - started
    return report


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
                status="failed",
                detail=f"none of the {len(tools)} tools could be mapped to a Halo resource; "
                "give a mapping file (--mapping)",
            )
        )
    return checks


def exit_code(report: Report) -> int:
    return 1 if report.failed else 0


def write_reports(report: Report, *, json_path: Path | None, junit_path: Path | None) -> None:
    if json_path is not None:
        report.write_json(json_path)
    if junit_path is not None:
        report.write_junit(junit_path)
