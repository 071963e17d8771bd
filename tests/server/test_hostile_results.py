"""Whatever a tool call runs into, the agent gets a tool error result and the console an entry:
unexpected exceptions, HTML pages answered with 2xx, lone surrogates, non-finite arguments, huge
argument objects, and file_path refusals that do not reveal which files exist."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from halo_sandbox.console.tool_calls import ARGUMENTS_CHARS, ToolCallJournal
from halo_sandbox.server.executor import Executor
from halo_sandbox.server.tool_specs import generate_tools, with_file_access

pytestmark = pytest.mark.anyio


@pytest.fixture
def journal() -> ToolCallJournal:
    return ToolCallJournal()


@pytest.fixture
def run(halo, journal):
    executor = Executor(halo=halo, tools=generate_tools(), cursor_secret=b"test", on_tool_call=journal.record)
    return executor.call


def _console_json(journal: ToolCallJournal) -> str:
    """What console.json sends: strict JSON (no NaN) encodable as UTF-8."""
    return (
        json.dumps([c.public() for c in journal.calls()], allow_nan=False, ensure_ascii=False)
        .encode()
        .decode()
    )


async def test_an_unexpected_exception_is_a_tool_error_and_a_console_entry(mock, run, journal):
    mock.get("/api/Tickets/1").mock(
        side_effect=UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogates not allowed")
    )
    result = await run("get_single_halo_itsm_ticket_by_id", {"id": 1})
    assert result.is_error
    assert result.structured_content["error"]["code"] == "internal_error"
    assert "UnicodeEncodeError" in result.structured_content["error"]["message"]
    [entry] = journal.calls()
    assert not entry.ok and entry.error["code"] == "internal_error"


@pytest.mark.parametrize("body", ["<!DOCTYPE html><html><body>Sign in</body></html>", "  <html>proxy</html>"])
async def test_a_2xx_html_page_is_a_tool_error(mock, run, body):
    mock.get("/api/Tickets/1").respond(200, text=body, headers={"Content-Type": "text/html; charset=utf-8"})
    result = await run("get_single_halo_itsm_ticket_by_id", {"id": 1})
    assert result.is_error
    assert result.structured_content["error"]["status"] == 200
    assert "HTML page" in result.structured_content["error"]["message"]


async def test_an_html_attachment_is_still_downloaded(mock, run):
    mock.get("/api/Attachment/5").respond(
        200,
        content=b"<html>report</html>",
        headers={"Content-Type": "text/html", "Content-Disposition": 'attachment; filename="r.html"'},
    )
    result = await run("get_single_halo_itsm_attachment_by_id", {"id": 5})
    assert not result.is_error


async def test_lone_surrogates_from_upstream_become_replacement_characters(mock, run, journal):
    mock.get("/api/Tickets/1").respond(
        200, content=b'{"id": 1, "summary": "a\\ud800b"}', headers={"Content-Type": "application/json"}
    )
    result = await run("get_single_halo_itsm_ticket_by_id", {"id": 1})
    assert result.structured_content == {"result": {"id": 1, "summary": "a\ufffdb"}}
    result.model_dump_json()  # the SDK can put it on the wire
    result.content[0].text.encode("utf-8")
    _console_json(journal)


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
async def test_non_finite_arguments_are_refused_and_keep_the_console_valid(mock, run, journal, value):
    result = await run("list_all_halo_itsm_tickets", {"client_id": value})
    assert result.is_error and result.structured_content["error"]["code"] == "invalid_arguments"
    assert "finite" in result.structured_content["error"]["message"]
    assert not mock.calls
    assert json.loads(_console_json(journal))[0]["arguments"]["client_id"] in ("nan", "inf", "-inf")


async def test_a_huge_argument_object_costs_the_journal_a_few_kilobytes(mock, run, journal):
    arguments = {f"k{i}": i for i in range(300_000)}
    result = await run("list_all_halo_itsm_tickets", arguments)
    assert result.is_error
    kept = len(_console_json(journal))
    assert kept < ARGUMENTS_CHARS + 3000, kept
    assert "more arguments not kept" in _console_json(journal)


async def test_file_path_refusals_do_not_reveal_what_exists(mock, halo, tmp_path: Path):
    allowed = tmp_path / "files"
    allowed.mkdir()
    (tmp_path / "exists.txt").write_text("x")
    (allowed / "dir").mkdir()
    os.symlink(tmp_path / "exists.txt", allowed / "link.txt")
    executor = Executor(
        halo=halo, tools=[with_file_access(t) for t in generate_tools()], allowed_file_dir=allowed
    )
    messages = set()
    for path in (
        "../exists.txt",
        "../missing.txt",
        str(tmp_path / "exists.txt"),
        str(tmp_path / "missing.txt"),
        "dir",
        "link.txt",
        "nothing-here",
    ):
        result = await executor.call(
            "create_a_halo_itsm_attachment", {"ticket_id": 1, "filename": "x", "file_path": path}
        )
        assert result.structured_content["error"]["code"] == "file_access_denied"
        messages.add(result.structured_content["error"]["message"].replace(repr(path), "PATH"))
    assert len(messages) == 1, messages
    assert not [c for c in mock.calls if c.request.url.path.startswith("/api/")]


async def test_a_2xx_without_a_body_on_a_read_is_a_tool_error(mock, run):
    mock.get("/api/Tickets/1").respond(200)
    result = await run("get_single_halo_itsm_ticket_by_id", {"id": 1})
    assert result.is_error and "no body" in result.structured_content["error"]["message"]


async def test_an_argument_too_long_for_a_url_is_an_argument_error(mock, run):
    result = await run("list_all_halo_itsm_tickets", {"search": "x" * 70_000})
    assert result.is_error and result.structured_content["error"]["code"] == "invalid_arguments"
    assert not [c for c in mock.calls if c.request.url.path.startswith("/api/")]
