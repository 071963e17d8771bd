"""Tool errors every client shows: against a real `halo-sandbox up --breadth`, a curated and a
generated tool's 404, 429 and 400 come back as `isError` results whose structured content fits the
tool's own `outputSchema` (so clients that validate even error results, such as the TypeScript SDK
release the pinned MCP Inspector 1.0.3 allows, show the error instead of "-32602 Structured content
does not match") and whose text says the status, Halo's message and what to do next.

The TypeScript half runs `tests/node/call_tools.mjs` with the SDK `tests/node/package.json` pins
(`npm ci --prefix tests/node`); it is skipped when node or that install is missing."""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from mcp import Client

from tests._sandbox import Sandbox, start_sandbox, stop_sandbox

pytestmark = [pytest.mark.e2e, pytest.mark.anyio]

NODE_DIR = Path(__file__).parent.parent / "node"
CURATED_GET = "get_single_halo_itsm_client_by_id"
GENERATED_GET = "get_single_halo_itsm_appointment_by_id"
CURATED_LIST = "list_all_halo_itsm_tickets"
GENERATED_LIST = "list_all_halo_itsm_appointments"
HALO_429 = "Rate Limit Reached - 300 Requests per rolling 5 minute window"


@pytest.fixture(scope="module")
def broad(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    sandbox = start_sandbox(tmp_path_factory.mktemp("broad-state"), "--breadth")
    try:
        yield sandbox
    finally:
        stop_sandbox(sandbox)


def _script_429(sandbox: Sandbox, path: str) -> None:
    sandbox.admin(
        "POST",
        "/faults",
        json={"method": "GET", "path": path, "status": 429, "body": HALO_429, "times": 1},
    )


CALLS: list[dict[str, Any]] = [
    {"name": CURATED_GET, "arguments": {"id": 999999}},  # 404
    {"name": GENERATED_GET, "arguments": {"id": 999999}},  # 404
    {"name": CURATED_LIST, "arguments": {}},  # 429 (scripted)
    {"name": GENERATED_LIST, "arguments": {}},  # 429 (scripted)
    {"name": CURATED_GET, "arguments": {"id": "not a number"}},  # 400: refused before Halo
    {"name": GENERATED_GET, "arguments": {"id": 1, "no_such_argument": 1}},  # 400: refused before Halo
]
EXPECTED = [
    (404, "upstream_error"),
    (404, "upstream_error"),
    (429, "upstream_error"),
    (429, "upstream_error"),
    (None, "invalid_arguments"),
    (None, "invalid_arguments"),
]


def _check(result: dict[str, Any], schema: dict[str, Any], status: int | None, code: str) -> None:
    assert result["isError"] is True
    structured = result["structuredContent"]
    assert not list(Draft202012Validator(schema).iter_errors(structured))
    error = structured["error"]
    assert (error["status"], error["code"]) == (status, code)
    text = result["content"][0]["text"]
    headline, next_line = text.split("\n")[:2]
    assert error["message"] in headline and next_line.startswith("Next: ")
    if status is not None:
        assert f"Halo answered {status}" in headline


async def test_python_sdk_client_sees_each_tool_error_and_it_fits_the_schema(broad: Sandbox) -> None:
    broad.reset()
    _script_429(broad, "/api/Tickets")
    _script_429(broad, "/api/Appointment")
    async with Client(broad.mcp_url) as client:
        schemas = await _schemas(client)
        for call, (status, code) in zip(CALLS, EXPECTED, strict=True):
            result = await client.call_tool(call["name"], call["arguments"])
            # the SDK skips error results; its validation, asked directly, must pass as well
            await client.session.validate_tool_result(call["name"], result)
            _check(result.model_dump(by_alias=True, mode="json"), schemas[call["name"]], status, code)


def _node_ready() -> bool:
    return shutil.which("node") is not None and (NODE_DIR / "node_modules/@modelcontextprotocol/sdk").is_dir()


@pytest.mark.skipif(not _node_ready(), reason="needs node and `npm ci --prefix tests/node`")
def test_typescript_sdk_client_shows_each_tool_error(broad: Sandbox) -> None:
    broad.reset()
    _script_429(broad, "/api/Tickets")
    _script_429(broad, "/api/Appointment")
    done = subprocess.run(
        ["node", str(NODE_DIR / "call_tools.mjs"), broad.mcp_url, json.dumps(CALLS)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert [line["name"] for line in lines] == [c["name"] for c in CALLS]
    schemas = _listed(broad)
    for line, (status, code) in zip(lines, EXPECTED, strict=True):
        assert "sdk_error" not in line, line  # e.g. "Structured content does not match"
        _check(line["result"], schemas[line["name"]], status, code)


async def _schemas(client: Client) -> dict[str, Any]:
    """Every tool's `outputSchema`, over all `tools/list` pages."""
    schemas: dict[str, Any] = {}
    cursor = None
    while True:
        page = await client.list_tools(cursor=cursor)
        schemas.update((t.name, t.output_schema) for t in page.tools)
        cursor = page.next_cursor
        if cursor is None:
            return schemas


def _listed(sandbox: Sandbox) -> dict[str, Any]:
    import anyio

    async def listing() -> dict[str, Any]:
        async with Client(sandbox.mcp_url) as client:
            return await _schemas(client)

    return anyio.run(listing)
