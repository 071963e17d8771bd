"""Outcomes of a verify run and their renderings: the scorecard (rich), JSON and JUnit XML.

Everything the server under test said (tool names, messages, arguments) passes `clean` before it
reaches the terminal or the JUnit XML: control characters (terminal escape codes, bidi overrides)
and characters XML 1.0 cannot hold are shown as ``\\xNN`` / ``\\uNNNN`` escapes."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal
from xml.etree import ElementTree

__all__ = ["EXIT_CODES", "PROPERTIES", "Check", "Report", "Verdict", "clean"]

Status = Literal["passed", "failed", "skipped", "error"]
Verdict = Literal["passed", "failed", "error", "nothing verified"]
PROPERTIES = (
    "discovery",
    "schemas",
    "reads",
    "filters",
    "pagination",
    "cursors",
    "errors",
    "retries",
    "writes",
    "updates",
    "paths",
    "auth",
    "annotations",
    "attachments",
)
_STATUSES: tuple[Status, ...] = ("passed", "failed", "skipped", "error")
_MARK = {
    "passed": "[green]pass[/]",
    "failed": "[red]FAIL[/]",
    "skipped": "[dim]skip[/]",
    "error": "[red]ERROR[/]",
}
EXIT_CODES: dict[Verdict, int] = {"passed": 0, "failed": 1, "error": 2, "nothing verified": 3}
"""0: every applicable property holds; 1: a property failed; 2: verify could not run (usage, a server
that never answers, an internal error); 3: nothing verified (every check skipped)."""

_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2066-\u2069"
    "\ufeff\ufffe\uffff\ud800-\udfff]"
)


def clean(text: str) -> str:
    """``text`` safe for a terminal and for XML 1.0: control, bidi-override and non-XML characters
    escaped (``\\x1b``), newlines and tabs kept."""
    return _UNSAFE.sub(lambda m: _escape(m.group(0)), text)


def _escape(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


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
    ambiguous: dict[str, list[str]] = field(default_factory=dict)
    """``resource.role`` (or a tool) -> the tools discovery would not choose between."""
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)
    """Seconds each property took (its server start included)."""
    findings: list[str] = field(default_factory=list)
    """What the run learned about the server that is no verdict (e.g. its retry policy)."""

    def add(self, checks: Iterable[Check]) -> None:
        self.checks.extend(checks)

    def property_status(self, name: str) -> Status:
        statuses = {c.status for c in self.checks if c.property == name}
        for status in ("failed", "error", "passed"):
            if status in statuses:
                return status
        return "skipped"

    @property
    def failed(self) -> bool:
        return any(c.status == "failed" for c in self.checks)

    @property
    def verified(self) -> bool:
        """Whether any check held or failed about Halo: discovery only names tools, and the schemas
        property on a tool discovery could not place (``ping``) says nothing about Halo."""
        mapped = {entry["tool"] for entry in self.tools}
        return any(
            c.status in ("passed", "failed")
            for c in self.checks
            if c.property != "discovery" and (c.property != "schemas" or c.tool in mapped)
        )

    @property
    def verdict(self) -> Verdict:
        """``failed`` when a check failed, else ``error`` when one could not run, else ``nothing
        verified`` when every check was skipped, else ``passed``."""
        if self.failed:
            return "failed"
        if any(c.status == "error" for c in self.checks):
            return "error"
        return "passed" if self.verified else "nothing verified"

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.verdict]

    def score(self) -> dict[str, Any]:
        applicable = [
            p for p in PROPERTIES if p != "discovery" and self.property_status(p) in ("passed", "failed")
        ]
        held = [p for p in applicable if self.property_status(p) == "passed"]
        return {
            "verdict": self.verdict,
            "properties_held": len(held),
            "properties_applicable": len(applicable),
            "percent": round(100 * len(held) / len(applicable), 1) if applicable else None,
            "checks": {s: sum(1 for c in self.checks if c.status == s) for s in _STATUSES},
        }

    def public(self) -> dict[str, Any]:
        return {
            "server": self.server,
            "verdict": self.verdict,
            "exit_code": self.exit_code,
            "score": self.score(),
            "seconds": round(self.seconds, 2),
            "timings": {name: round(value, 2) for name, value in self.timings.items()},
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
            "ambiguous": [{"subject": k, "tools": v} for k, v in self.ambiguous.items()],
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
                errors=str(sum(c.status == "error" for c in checks)),
                skipped=str(sum(c.status == "skipped" for c in checks)),
            )
            for check in checks:
                case = ElementTree.SubElement(
                    suite, "testcase", classname=f"verify.{prop}", name=clean(check.subject)
                )
                if check.status in ("failed", "error"):
                    failure = ElementTree.SubElement(
                        case,
                        "failure" if check.status == "failed" else "error",
                        message=clean(check.detail[:500]),
                    )
                    failure.text = clean(_failure_text(check))
                elif check.status == "skipped":
                    ElementTree.SubElement(case, "skipped", message=clean(check.detail[:500]))
        ElementTree.ElementTree(suites).write(path, encoding="utf-8", xml_declaration=True)

    def render(self, console: Any) -> None:
        from rich.table import Table
        from rich.text import Text

        score = self.score()
        table = Table(
            title=Text(
                clean(
                    f"halo-sandbox verify: {self.server.get('transport')} "
                    f"{self.server.get('url') or self.server.get('command')}"
                )
            ),
            title_justify="left",
        )
        for column in ("property", "verdict", "passed", "failed", "skipped", "s", "note"):
            table.add_column(column)
        for prop in PROPERTIES:
            checks = [c for c in self.checks if c.property == prop]
            counts = {s: sum(c.status == s for c in checks) for s in _STATUSES}
            note = next((c.detail for c in checks if c.status in ("failed", "error")), "") or (
                next((c.detail for c in checks if c.status == "skipped"), "") if counts["passed"] == 0 else ""
            )
            table.add_row(
                prop,
                _MARK[self.property_status(prop)],
                str(counts["passed"]),
                str(counts["failed"]),
                str(counts["skipped"]),
                f"{self.timings[prop]:.1f}" if prop in self.timings else "",
                Text(clean(note[:90])),
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
                mark = next((s for s in ("failed", "error", "passed") if s in statuses), None)
                cells.append(_MARK[mark] if mark else "[dim]-[/]")
            tools.add_row(Text(clean(name)), Text(clean(f"{entry['resource']}.{entry['role']}")), *cells)
        console.print(tools)
        if self.unmapped:
            console.print("[bold]Unmapped tools[/] (not verified; map them with --mapping FILE):")
            for name, reason in self.unmapped.items():
                console.print(clean(f"  {name}: {reason}"), markup=False, highlight=False)
        if self.findings:
            console.print("[bold]Findings[/] (not verdicts):")
            for finding in self.findings:
                console.print(clean(f"  {finding}"), markup=False, highlight=False)
        for check in self.checks:
            if check.status in ("failed", "error"):
                console.print(
                    Text.assemble(
                        ("\nFAILED " if check.status == "failed" else "\nERROR ", "red bold"),
                        clean(f"{check.property} / {check.subject}"),
                    )
                )
                console.print(clean(_failure_text(check)), markup=False, highlight=False)
        counts = score["checks"]
        tally = (
            f"checks: {counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped"
            + (f", {counts['error']} could not run" if counts["error"] else "")
            + f" in {self.seconds:.1f} s"
        )
        held = f"{score['properties_held']}/{score['properties_applicable']} applicable properties hold"
        verdict = self.verdict
        if verdict == "nothing verified":
            console.print(
                f"\n[yellow bold]NOTHING VERIFIED[/]: no check about Halo could run (see the notes above); "
                f"{tally} (exit {self.exit_code})"
            )
        elif verdict == "error":
            console.print(
                f"\n[red bold]ERROR[/]: {counts['error']} check(s) could not run; {held}; {tally} "
                f"(exit {self.exit_code})"
            )
        else:
            headline = "[red bold]FAILED[/]" if verdict == "failed" else "[green bold]PASSED[/]"
            console.print(f"\n{headline}: {held} ({score['percent']}%); {tally}")


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
