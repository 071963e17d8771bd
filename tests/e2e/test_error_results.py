"""Tool errors every client shows: against a real `halo-sandbox up --breadth`, a curated and a
generated tool's 404, 429 and 400 come back as `isError` results whose structured content fits the
tool's own `outputSchema` (so clients that validate even error results, such as the TypeScript SDK
release the pinned MCP Inspector 1.0.3 allows, show the error instead of "-32602 Structured content
does not match") and whose text says the status, Halo's message and what to do next.

The TypeScript half runs `tests/node/call_tools.mjs` with the SDK `tests/node/package.json` pins
(`npm ci --prefix tests/node`); it is skipped when node or that install is missing. The Inspector
half runs the pinned MCP Inspector's own CLI (`mcp-inspector --cli`, installed by the same `npm ci`)
on Node >= 22 (the system's, or the one `nox` fetches into the user cache for the conformance and
tests sessions); it is skipped when neither is there."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from mcp import Client
from platformdirs import user_cache_path

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


# -- the pinned MCP Inspector's own CLI (README: `npx -y @modelcontextprotocol/inspector@1.0.3 --cli`)

INSPECTOR = NODE_DIR / "node_modules/.bin/mcp-inspector"
NODE22_CACHE = user_cache_path("halo-sandbox") / "node22" / "package" / "bin"
"""Where the noxfile's `_node22` unpacks Node 22 when the system's is older."""
CURATED_CREATE = "create_a_halo_itsm_client"
# Generated tools from the first `tools/list` page: the Inspector CLI lists one page before it calls, and
# its SDK validates structured content only against the schemas it has listed.
GENERATED_FIRST_PAGE_GET = "get_single_halo_itsm_agent_check_in_by_id"
GENERATED_FIRST_PAGE_LIST = "list_all_halo_itsm_agent_check_ins"
GENERATED_FIRST_PAGE_CREATE = "create_a_halo_itsm_agent_check_in"
UNBINDABLE_CUSTOM_FIELD = [{"id": "not a number", "value": "x"}]  # an id Halo cannot bind: 400
# (tool, Inspector `--tool-arg`s, the status, the request Halo answers it with; None: the 429 scripted)
INSPECTOR_CALLS: list[tuple[str, dict[str, str], int, tuple[str, str, Any] | None]] = [
    (CURATED_GET, {"id": "999999"}, 404, ("GET", "/Client/999999", None)),
    (GENERATED_FIRST_PAGE_GET, {"id": "999999"}, 404, ("GET", "/AgentCheckIn/999999", None)),
    (CURATED_LIST, {}, 429, None),
    (GENERATED_FIRST_PAGE_LIST, {}, 429, None),
    (
        CURATED_CREATE,
        {"name": "Acme", "customfields": json.dumps(UNBINDABLE_CUSTOM_FIELD)},
        400,
        ("POST", "/Client", [{"name": "Acme", "customfields": UNBINDABLE_CUSTOM_FIELD}]),
    ),
    (
        GENERATED_FIRST_PAGE_CREATE,
        {"timestamp": "not a date"},
        400,
        ("POST", "/AgentCheckIn", [{"timestamp": "not a date"}]),
    ),
]


def _node22_bin() -> Path | None:
    """A directory whose `node` is Node >= 22: the system's, else the noxfile's cached one."""
    for candidate in (shutil.which("node"), NODE22_CACHE / "node"):
        if candidate is None or not Path(candidate).exists():
            continue
        version = subprocess.run(
            [str(candidate), "--version"], capture_output=True, text=True, check=False
        ).stdout
        major = version.strip().lstrip("v").split(".")[0]
        if major.isdigit() and int(major) >= 22:
            return Path(candidate).parent
    return None


def _halo_messages(body: Any) -> list[str]:
    """Every message string of a Halo error body (`{"message"}`, a field map of lists, or text)."""
    if isinstance(body, str):
        return [body]
    if isinstance(body, dict):
        return [m for value in body.values() for m in _halo_messages(value)]
    if isinstance(body, list):
        return [m for value in body for m in _halo_messages(value)]
    return []


@pytest.mark.skipif(
    _node22_bin() is None, reason="the MCP Inspector needs Node >= 22 (`nox -s tests` fetches it)"
)
@pytest.mark.skipif(
    not INSPECTOR.exists(), reason="needs `npm ci --prefix tests/node` (the pinned Inspector)"
)
def test_pinned_inspector_cli_shows_each_tool_error(broad: Sandbox) -> None:
    broad.reset()
    first_page = _first_page(broad)
    assert {GENERATED_FIRST_PAGE_GET, GENERATED_FIRST_PAGE_LIST, GENERATED_FIRST_PAGE_CREATE} <= set(
        first_page
    )
    node_bin = _node22_bin()
    assert node_bin is not None
    # The Inspector starts its CLI with whatever `node` is first on PATH.
    env = {**os.environ, "PATH": f"{node_bin}{os.pathsep}{os.environ.get('PATH', '')}"}
    for tool, arguments, status, halo_request in INSPECTOR_CALLS:
        if halo_request is None:
            expected = [HALO_429]
            path = "/api/Tickets" if tool == CURATED_LIST else "/api/AgentCheckIn"
            _script_429(broad, path)
        else:
            method, path, body = halo_request
            answer = broad.api_request(method, path, json=body)  # what Halo itself says to that request
            assert answer.status_code == status, answer.text
            expected = _halo_messages(answer.json())
            assert expected
        command = [str(INSPECTOR), "--cli", broad.mcp_url, "--transport", "http"]
        command += ["--method", "tools/call", "--tool-name", tool]
        for name, value in arguments.items():
            command += ["--tool-arg", f"{name}={value}"]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False, env=env)
        # An SDK that rejected the result exits 1 with "MCP error -32602: Structured content does not match".
        assert done.returncode == 0, (tool, done.stdout, done.stderr)
        shown = json.loads(done.stdout)
        assert shown["isError"] is True, (tool, shown)
        headline = shown["content"][0]["text"].split("\n")[0]
        assert f"Halo answered {status}" in headline, (tool, headline)
        for message in expected:
            assert message in headline, (tool, message, headline)
        error = shown["structuredContent"]["error"]
        assert error["status"] == status
        assert not list(Draft202012Validator(first_page[tool]).iter_errors(shown["structuredContent"]))


def _first_page(sandbox: Sandbox) -> dict[str, Any]:
    """The first `tools/list` page's tools and their `outputSchema`."""
    import anyio

    async def listing() -> dict[str, Any]:
        async with Client(sandbox.mcp_url) as client:
            page = await client.list_tools()
            return {t.name: t.output_schema for t in page.tools}

    return anyio.run(listing)
