"""Outcomes of a verify run and their renderings: the scorecard (rich), JSON and JUnit XML."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal
from xml.etree import ElementTree

__all__ = ["PROPERTIES", "Check", "Report"]

Status = Literal["passed", "failed", "skipped"]
PROPERTIES = ("discovery", "schemas", "reads", "pagination", "errors", "writes", "auth", "attachments")
_MARK = {"passed": "[green]pass[/]", "failed": "[red]FAIL[/]", "skipped": "[dim]skip[/]"}


@dataclass(kw_only=True)
class Check:
    """One verdict: a property applied to one subject (a tool, or a tool and a scenario)."""

    property: str
    subject: str
    status: Status
    detail: str = ""
    tool: str | None = None
    expected: str = ""
    calls: list[dict[str, Any]] = field(default_factory=list)
    """`CallRecord.summary()` of the calls behind the verdict (tool, arguments, outcome, upstream)."""
    example: str = ""
    """How to reproduce: the generated arguments (the hypothesis example)."""

    def public(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(kw_only=True)
class Report:
    server: dict[str, Any]
    checks: list[Check] = field(default_factory=list)
    tools: list[dict[str, Any]] = field(default_factory=list)
    unmapped: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0
    findings: list[str] = field(default_factory=list)
    """What the run learned about the server that is no verdict (e.g. its retry policy)."""

    def add(self, checks: Iterable[Check]) -> None:
        self.checks.extend(checks)

    def property_status(self, name: str) -> Status:
        statuses = {c.status for c in self.checks if c.property == name}
        if "failed" in statuses:
            return "failed"
        return "passed" if "passed" in statuses else "skipped"

    @property
    def failed(self) -> bool:
        return any(c.status == "failed" for c in self.checks)

    def score(self) -> dict[str, Any]:
        applicable = [p for p in PROPERTIES if self.property_status(p) != "skipped"]
        held = [p for p in applicable if self.property_status(p) == "passed"]
        return {
            "properties_held": len(held),
            "properties_applicable": len(applicable),
            "percent": round(100 * len(held) / len(applicable), 1) if applicable else 0.0,
            "checks": {
                s: sum(1 for c in self.checks if c.status == s) for s in ("passed", "failed", "skipped")
            },
        }

    def public(self) -> dict[str, Any]:
        return {
            "server": self.server,
            "score": self.score(),
            "seconds": round(self.seconds, 2),
            "properties": [
                {
                    "name": p,
                    "status": self.property_status(p),
                    "checks": [c.public() for c in self.checks if c.property == p],
                }
                for p in PROPERTIES
            ],
            "tools": self.tools,
            "unmapped": [{"tool": n, "reason": r} for n, r in self.unmapped.items()],
            "findings": self.findings,
        }

    def write_json(self, path: Path) -> None:
        path.write_text(
            json.dumps(self.public(), indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8"
        )

    def write_junit(self, path: Path) -> None:
        suites = ElementTree.Element("testsuites", name="halo-sandbox verify")
        for prop in PROPERTIES:
            checks = [c for c in self.checks if c.property == prop]
            suite = ElementTree.SubElement(
                suites,
                "testsuite",
                name=prop,
                tests=str(len(checks)),
                failures=str(sum(c.status == "failed" for c in checks)),
                skipped=str(sum(c.status == "skipped" for c in checks)),
            )
            for check in checks:
                case = ElementTree.SubElement(
                    suite, "testcase", classname=f"verify.{prop}", name=check.subject
                )
                if check.status == "failed":
                    failure = ElementTree.SubElement(case, "failure", message=check.detail[:500])
                    failure.text = _failure_text(check)
                elif check.status == "skipped":
                    ElementTree.SubElement(case, "skipped", message=check.detail[:500])
        ElementTree.ElementTree(suites).write(path, encoding="utf-8", xml_declaration=True)

    def render(self, console: Any) -> None:
        from rich.table import Table

        score = self.score()
        table = Table(
            title=f"halo-sandbox verify: {self.server.get('transport')} "
            f"{self.server.get('url') or self.server.get('command')}",
            title_justify="left",
        )
        for column in ("property", "verdict", "passed", "failed", "skipped", "note"):
            table.add_column(column)
        for prop in PROPERTIES:
            checks = [c for c in self.checks if c.property == prop]
            counts = {s: sum(c.status == s for c in checks) for s in ("passed", "failed", "skipped")}
            note = next((c.detail for c in checks if c.status == "failed"), "") or (
                next((c.detail for c in checks if c.status == "skipped"), "") if counts["passed"] == 0 else ""
            )
            table.add_row(
                prop,
                _MARK[self.property_status(prop)],
                str(counts["passed"]),
                str(counts["failed"]),
                str(counts["skipped"]),
                note[:90],
            )
        console.print(table)
        tools = Table(title="per tool", title_justify="left")
        tools.add_column("tool")
        tools.add_column("role")
        for prop in PROPERTIES[1:]:
            tools.add_column(prop)
        for entry in self.tools:
            name = entry["tool"]
            cells = []
            for prop in PROPERTIES[1:]:
                statuses = {c.status for c in self.checks if c.property == prop and c.tool == name}
                cells.append(
                    _MARK["failed"]
                    if "failed" in statuses
                    else _MARK["passed"]
                    if "passed" in statuses
                    else "[dim]-[/]"
                )
            tools.add_row(name, f"{entry['resource']}.{entry['role']}", *cells)
        console.print(tools)
        if self.unmapped:
            console.print("[bold]Unmapped tools[/] (not verified; map them with --mapping FILE):")
            for name, reason in self.unmapped.items():
                console.print(f"  {name}: {reason}", markup=False)
        if self.findings:
            console.print("[bold]Findings[/] (not verdicts):")
            for finding in self.findings:
                console.print(f"  {finding}", markup=False, highlight=False)
        for check in self.checks:
            if check.status == "failed":
                console.print(f"\n[red bold]FAILED[/] {check.property} / {check.subject}")
                console.print(_failure_text(check), markup=False, highlight=False)
        verdict = "[red bold]FAILED[/]" if self.failed else "[green bold]PASSED[/]"
        console.print(
            f"\n{verdict}: {score['properties_held']}/{score['properties_applicable']} applicable "
            f"properties hold ({score['percent']}%); checks: {score['checks']['passed']} passed, "
            f"{score['checks']['failed']} failed, {score['checks']['skipped']} skipped "
            f"in {self.seconds:.1f} s"
        )


def _failure_text(check: Check) -> str:
    lines = [check.detail]
    if check.expected:
        lines.append(f"  expected: {check.expected}")
    for call in check.calls:
        lines.append(
            f"  call: {call['tool']}({json.dumps(call['arguments'], ensure_ascii=False, default=str)})"
        )
        lines.append(f"    -> {call['outcome']}")
        upstream = call.get("upstream") or []
        lines.append(
            f"    upstream requests ({len(upstream)}):" if upstream else "    upstream requests: none"
        )
        lines += [f"      {line}" for line in upstream[:12]]
        if len(upstream) > 12:
            lines.append(f"      ... {len(upstream) - 12} more")
    if check.example:
        lines.append(f"  reproduce: {check.example}")
    return "\n".join(lines)
