"""The verdicts of a verify run and what reaches the terminal and the JUnit XML: exit codes per
verdict, "nothing verified" never a pass, and whatever a server under test names its tools or says
in its messages, no escape code reaches the terminal and the XML stays well-formed."""

from __future__ import annotations

import io
from xml.etree import ElementTree

import pytest
from rich.console import Console

from halo_sandbox.verify.report import EXIT_CODES, Check, Report, clean

HOSTILE = "evil\x1b[2J\x1b]0;pwned\x07\x00\x0c\u202etxt.exe\ud800\ufffe[red]markup[/]"


def report(*statuses: tuple[str, str]) -> Report:
    out = Report(server={"transport": "stdio", "command": "srv"})
    out.add(Check(property=p, subject=f"{p} check", status=s) for p, s in statuses)  # type: ignore[misc]
    return out


@pytest.mark.parametrize(
    ("statuses", "verdict", "code"),
    [
        ((("discovery", "passed"), ("reads", "passed"), ("writes", "skipped")), "passed", 0),
        ((("reads", "passed"), ("writes", "failed")), "failed", 1),
        ((("reads", "error"), ("writes", "passed")), "error", 2),
        ((("reads", "error"), ("writes", "failed")), "failed", 1),
        ((("discovery", "passed"), ("reads", "skipped"), ("writes", "skipped")), "nothing verified", 3),
        ((("discovery", "skipped"),), "nothing verified", 3),
    ],
)
def test_verdicts_and_exit_codes(statuses, verdict, code):
    r = report(*statuses)
    assert (r.verdict, r.exit_code) == (verdict, code)
    assert EXIT_CODES[verdict] == code


def test_nothing_verified_is_never_printed_as_a_pass():
    r = report(("discovery", "passed"), ("reads", "skipped"), ("pagination", "skipped"))
    out = io.StringIO()
    r.render(Console(file=out, width=200, force_terminal=False))
    text = out.getvalue()
    assert "NOTHING VERIFIED" in text
    assert "PASSED" not in text and "100" not in text
    assert r.score()["percent"] is None


def test_hostile_names_and_messages_reach_the_terminal_escaped():
    r = Report(server={"transport": "stdio", "command": HOSTILE})
    r.tools = [{"tool": HOSTILE, "resource": "tickets", "role": "get"}]
    r.unmapped = {HOSTILE: HOSTILE}
    r.add(
        [
            Check(property="reads", subject=HOSTILE, tool=HOSTILE, status="failed", detail=HOSTILE),
            Check(property="writes", subject=HOSTILE, status="skipped", detail=HOSTILE),
        ]
    )
    out = io.StringIO()
    r.render(Console(file=out, width=300, force_terminal=True, color_system="standard"))
    text = out.getvalue()
    # rich's own colours are escape sequences too; none of the server's reach the terminal raw
    assert "\x1b]0;" not in text and "\x1b[2J" not in text and "\x07" not in text
    assert "\u202e" not in text and "\x00" not in text
    assert "\\x1b[2J" in text  # shown, escaped
    assert "[red]markup[/]" in text  # the server's brackets are text, not rich markup


def test_junit_stays_well_formed_whatever_the_names(tmp_path):
    r = report(("reads", "passed"))
    r.add(
        [
            Check(property="reads", subject=HOSTILE, status="failed", detail=HOSTILE, expected=HOSTILE),
            Check(property="writes", subject=HOSTILE, status="skipped", detail=HOSTILE),
            Check(property="auth", subject=HOSTILE, status="error", detail=HOSTILE),
        ]
    )
    path = tmp_path / "r.xml"
    r.write_junit(path)
    root = ElementTree.parse(path).getroot()  # raises on invalid XML
    names = [case.get("name") for case in root.iter("testcase")]
    assert clean(HOSTILE) in names
    assert root.find("testsuite[@name='auth']").get("errors") == "1"


def test_clean_keeps_ordinary_text():
    text = "Ticket 45920: résumé — 日本語\n\ttab"
    assert clean(text) == text


def test_a_failure_behind_halos_own_403_is_not_verified_not_failed():
    # A server whose token lacks a scope gets Halo's 403: its configuration, not its code, decided
    # the check. A scripted 403 (a fault) is the errors property's own scenario and stays judged.
    from halo_sandbox.verify.runner import not_granted

    def check(status, line):
        calls = [
            {"tool": "t", "arguments": {}, "outcome": "ok", "upstream": ["POST /auth/token -> 200", line]}
        ]
        return Check(property="reads", subject="t", status=status, detail="no record", calls=calls)

    refused: set[str] = set()
    out = not_granted(
        [
            check("failed", "GET /api/Projects?client_id=1 -> 403"),
            check("failed", "GET /api/Tickets/5 -> 403 (fault 2)"),
            check("passed", "GET /api/Invoice -> 403"),
            check("failed", "GET /api/Tickets -> 404"),
        ],
        refused,
    )
    assert [c.status for c in out] == ["skipped", "failed", "passed", "failed"]
    assert "Halo refused the server's own token (403) for GET /api/Projects" in out[0].detail
    assert "Was: no record" in out[0].detail
    assert refused == {"GET /api/Projects"}
