"""The sandbox console in a real browser (headless Chromium driven by Playwright) against a real
`halo-sandbox up`: a tool call from an MCP client appears with its upstream request, a 429 fault
added from the page fails the next tool call, reset empties it all. Screenshots go to
`test-artifacts/`. Skips when Playwright or Debian's chromium is missing."""

from __future__ import annotations

import concurrent.futures
import shutil
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client

from tests._sandbox import ADMIN_KEY, Sandbox

pytestmark = [pytest.mark.e2e, pytest.mark.browser]

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
LIST_TICKETS = "list_all_halo_itsm_tickets"

sync_api = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed (the 'browser' extra)"
)
if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
    pytest.skip("Debian's chromium is not installed (apt-get install chromium)", allow_module_level=True)


def _call_tool(url: str, name: str, arguments: dict[str, Any]) -> Any:
    """One MCP tool call over Streamable HTTP, run in its own thread and event loop (Playwright's sync
    API owns this thread's loop)."""

    async def call() -> Any:
        async with Client(url) as client:
            return await client.call_tool(name, arguments)

    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(anyio.run, call).result(timeout=60)


@pytest.fixture
def page(sandbox: Sandbox):
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium") or CHROMIUM, args=ARGS)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            yield context.new_page()
        finally:
            browser.close()


def test_console_shows_tool_calls_scripts_a_fault_and_resets(sandbox: Sandbox, page: Any):
    expect = sync_api.expect
    page.goto(f"{sandbox.base}/_sandbox/")
    page.fill("input[name=key]", ADMIN_KEY)
    page.click("text=Sign in")
    expect(page.locator("h1")).to_have_text("Halo sandbox console")
    expect(page.locator("#connection")).to_have_text("live")
    assert ADMIN_KEY not in page.content()
    # the sandbox process is shared by the e2e tests: start from the fixtures and an empty console
    page.locator("#reset-form button").click()
    expect(page.locator("article.call")).to_have_count(0)

    # a tool call from an MCP client appears live, with the upstream request it caused
    ok = _call_tool(sandbox.mcp_url, LIST_TICKETS, {"limit": 3})
    assert not ok.is_error
    call = page.locator(f"article.call[data-tool={LIST_TICKETS}]")
    expect(call).to_have_count(1)
    expect(call.locator(".outcome")).to_contain_text("3 records")
    expect(call.locator(".upstream li")).to_contain_text("/api/Tickets")
    expect(call.locator(".upstream .status")).to_have_text("200")
    expect(page.locator("#tool-counts")).to_contain_text(LIST_TICKETS)
    page.screenshot(path=str(ARTIFACTS / "console-1-tool-call.png"), full_page=True)

    # "the next call to /api/Tickets answers 429", scripted from the page
    form = page.locator("#fault-form")
    form.locator("input[name=path]").fill("/api/Tickets*")
    form.locator("input[name=status]").fill("429")
    form.locator("input[name=times]").fill("1")
    form.locator("button[type=submit]").click()
    expect(page.locator(".flash.notice")).to_contain_text("added")
    expect(page.locator("#fault-rules tbody tr")).to_have_count(1)
    expect(page.locator("#fault-rules")).to_contain_text("/api/Tickets*")

    failed = _call_tool(sandbox.mcp_url, LIST_TICKETS, {"limit": 3})
    assert failed.is_error and failed.structured_content["error"]["status"] == 429
    failed_call = page.locator("article.call.failed")
    expect(failed_call).to_have_count(1)
    expect(failed_call.locator(".outcome")).to_have_text("error 429")
    expect(failed_call.locator(".upstream .status")).to_have_text("429")
    expect(failed_call.locator(".fault")).to_be_visible()
    expect(page.locator("#fault-rules")).to_contain_text("1 / 1")
    page.screenshot(path=str(ARTIFACTS / "console-2-fault.png"), full_page=True)

    # reset: no calls, no faults, and the journal is empty
    page.locator("#reset-form button").click()
    expect(page.locator(".flash.notice")).to_contain_text("Reset")
    expect(page.locator("article.call")).to_have_count(0)
    expect(page.locator("#fault-rules")).to_have_count(0)
    assert sandbox.journal() == []
    page.screenshot(path=str(ARTIFACTS / "console-3-reset.png"), full_page=True)
    assert ADMIN_KEY not in page.content()
