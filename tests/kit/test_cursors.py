"""verify's cursors property against this project's own server, served in-process, with and without
one deliberate defect: cursors not bound to the tool that issued them (the mutation
`cursor-tool-unbound`). A cursor of one list tool then pages another list tool taking the same
filter from the old cursor's position: that tool's first page is skipped without a word, which
the "other tool, same filter" scenario must fail. It passed silently from 9825886 on: the pair it
picked (tickets' ``client_id`` on KB articles) held none of the records it seeded once KBArticle
``client_id`` filtered through the article's access list, so the reused cursor answered an empty
page and showed nothing."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from contracts.engine import verify_our_server
from halo_sandbox.server import executor
from halo_sandbox.server.cursor import CursorCodec

pytestmark = [pytest.mark.e2e, pytest.mark.anyio, pytest.mark.verify_runs]


class ToolUnboundCodec(CursorCodec):
    """The defect: every cursor names the same tool, so any list tool accepts any other's cursor
    (its filters and signature still checked)."""

    def encode(self, *, tool: str, filters: Mapping[str, Any], position: Mapping[str, int]) -> str:
        return super().encode(tool="any list", filters=filters, position=position)

    def decode(self, cursor: str, *, tool: str, filters: Mapping[str, Any]) -> dict[str, int]:
        return super().decode(cursor, tool="any list", filters=filters)


async def _cursors_run():
    return await verify_our_server(only=("cursors",), examples=1)


async def test_a_cursor_another_list_tool_accepts_fails_cursors(monkeypatch):
    monkeypatch.setattr(executor, "CursorCodec", ToolUnboundCodec)
    report = await _cursors_run()
    assert report.property_status("cursors") == "failed"
    failed = [c for c in report.checks if c.status == "failed"]
    assert any(
        "a cursor of another query was accepted and continued this one" in c.detail
        and "other tool, same filter" in (c.example or "")
        for c in failed
    ), [(c.subject, c.detail, c.example) for c in failed]


async def test_our_server_passes_and_says_where_no_tool_pair_was_found():
    report = await _cursors_run()
    checks = [c for c in report.checks if c.property == "cursors"]
    assert report.property_status("cursors") == "passed", [(c.subject, c.detail) for c in checks]
    assert {c.subject for c in checks if c.status == "passed"} == {
        "list_all_halo_itsm_tickets",
        "list_all_halo_itsm_actions",
        "list_all_halo_itsm_clients",
    }
    # an action's ticket_id selects no seeded records in another cursor-paged list: skipped, with why
    [skipped] = [c for c in checks if c.status == "skipped"]
    assert skipped.subject == "list_all_halo_itsm_actions / other tool, same filter"
    assert "not run: no other cursor-paged list tool taking ticket_id" in skipped.detail
