"""`halo-sandbox verify` end to end: this project's server scores 100% over stdio and Streamable
HTTP; each deliberately defective server (tests/kit/defective/server.py) fails exactly the
property its defect breaks; reports and exit codes."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from xml.etree import ElementTree

import pytest
from typer.testing import CliRunner

from halo_sandbox.cli import app
from halo_sandbox.verify import ServerTarget, TargetError, VerifyOptions, exit_code, run_verify
from halo_sandbox.verify.report import PROPERTIES

pytestmark = [pytest.mark.e2e, pytest.mark.anyio, pytest.mark.verify_runs]

DEFECTIVE = Path(__file__).parent / "defective" / "server.py"
CREDENTIALS = "--halo-url {halo_url} --client-id {client_id} --client-secret {client_secret}"
OURS_STDIO = f"halo-sandbox mcp --transport stdio {CREDENTIALS}"
OURS_HTTP = f"halo-sandbox mcp --transport http --port {{port}} {CREDENTIALS}"


def defective(defect: str) -> str:
    return f"{{python}} {DEFECTIVE} --defect {defect} {CREDENTIALS}"


def statuses(report) -> dict[str, str]:
    return {p: report.property_status(p) for p in PROPERTIES}


def failures(report) -> str:
    return "\n".join(
        f"{c.property}/{c.subject}: {c.detail} {c.calls}" for c in report.checks if c.status == "failed"
    )


async def test_our_server_scores_100_percent_over_stdio():
    report = await run_verify(VerifyOptions(target=ServerTarget(command=_cli(OURS_STDIO)), examples=3))
    assert not report.failed, failures(report)
    assert statuses(report) == dict.fromkeys(PROPERTIES, "passed")
    assert report.score()["percent"] == 100.0
    assert list(report.unmapped) == ["find_halo_itsm_ids"]


async def test_our_server_scores_100_percent_over_streamable_http():
    target = ServerTarget(command=_cli(OURS_HTTP), url="http://127.0.0.1:{port}/mcp")
    report = await run_verify(VerifyOptions(target=target, examples=2))
    assert not report.failed, failures(report)
    assert statuses(report) == dict.fromkeys(PROPERTIES, "passed")


async def test_our_server_over_legacy_sse():
    target = ServerTarget(
        command=_cli(OURS_HTTP.replace("--transport http", "--transport sse")),
        url="http://127.0.0.1:{port}/sse",
    )
    report = await run_verify(VerifyOptions(target=target, only=("reads", "errors", "auth")))
    assert not report.failed, failures(report)
    assert {p: s for p, s in statuses(report).items() if p in ("reads", "errors", "auth")} == dict.fromkeys(
        ("reads", "errors", "auth"), "passed"
    )


async def test_a_server_already_running_is_verified_by_url():
    from halo_sandbox.harness import free_port, start

    sandbox_port = free_port()
    with start(
        "mcp",
        "--transport",
        "http",
        "--halo-url",
        f"http://127.0.0.1:{sandbox_port}",
        "--client-id",
        "halo-sandbox",
        "--client-secret",
        "halo-sandbox-secret",
    ) as server:
        report = await run_verify(
            VerifyOptions(
                target=ServerTarget(url=server.mcp_url), sandbox_port=sandbox_port, only=("reads", "auth")
            )
        )
    assert not report.failed, failures(report)
    assert report.property_status("reads") == report.property_status("auth") == "passed"


async def test_an_honest_server_of_another_style_passes():
    report = await run_verify(VerifyOptions(target=ServerTarget(command=defective("none")), examples=3))
    assert not report.failed, failures(report)
    assert report.property_status("pagination") == "passed"
    assert report.property_status("attachments") == "skipped"  # not offered: skipped, not failed
    assert exit_code(report) == 0


DEFECTS = [
    # (defect, the property that catches it, what its failure says)
    ("wrong-envelope", "reads", "in the result for tickets"),
    ("stale-read", "reads", "summary: server said"),
    ("filter-ignored", "filters", "record(s) that do not match"),
    ("csv-dropped", "filters", "status=["),
    ("paging-skip", "pagination", "never returned"),
    ("page-cap", "pagination", "never returned"),
    ("record-count-trust", "pagination", "never returned"),
    ("limit-change", "pagination", "returned more than once"),
    ("cursor-unvalidated", "cursors", "other filter cursor: answered"),
    ("cursor-unbound", "cursors", "a cursor of another query was accepted and continued this one"),
    ("more-when-full", "pagination", "followed the server's promise of more records and returned none"),
    ("drop-error-body", "errors", "does not carry Halo's message"),
    ("message-cut", "errors", "does not carry Halo's message (it starts at character"),
    ("retry-after-null", "errors", "retry-after passed as None"),
    ("status-lost", "errors", "does not carry the status"),
    ("retry-429", "retries", "ignores Retry-After"),
    ("unbounded-wait", "retries", "waits without end"),
    ("post-retry", "retries", "a create was sent 3 times"),
    ("write-drops", "writes", "client_id: sent"),
    ("create-echo", "writes", "does not carry the new record's id"),
    ("update-creates", "updates", "which Halo does not hold, created tickets"),
    ("update-id-optional", "updates", "called without ticket_id (its schema lets it go)"),
    ("dot-segments", "paths", "ticket_id='.': GET /api/Tickets reached the collection, not the record"),
    ("wrong-annotation", "annotations", "hinted read-only, sent POST /api/Tickets"),
    ("list-not-read-only", "annotations", "hinted not read-only (readOnlyHint: false)"),
    ("schema-lie", "schemas", "the schema calls 'summary' optional, Halo refused the create without it"),
    ("auth-loop", "auth", "token requests"),
    ("401-loop", "auth", "50 token requests after Halo's 401"),
]


@pytest.mark.parametrize(("defect", "caught_by", "says"), DEFECTS, ids=[d[0] for d in DEFECTS])
async def test_each_defect_is_caught_by_its_property(defect, caught_by, says):
    # examples=1: every property's explicit examples (each status, filter, edge) run regardless
    report = await run_verify(VerifyOptions(target=ServerTarget(command=defective(defect)), examples=1))
    failed = {p for p, s in statuses(report).items() if s == "failed"}
    assert failed == {caught_by}, failures(report)
    failure = next(c for c in report.checks if c.status == "failed")
    assert says in failure.detail
    assert failure.calls and failure.calls[0]["upstream"], (
        "a failure shows the call and its upstream requests"
    )
    if defect == "post-retry":  # Halo saved the create, its answer was lost, the retries duplicated it
        assert any("Halo saved each one (3 records, duplicates)" in c.detail for c in report.checks)
    if caught_by in ("filters", "pagination", "cursors", "errors", "updates", "paths"):
        assert failure.example, "a generated scenario's failure names its (shrunk) example"
    assert exit_code(report) == 1


async def test_ids_with_dot_segments_sent_unescaped_fail_and_sent_escaped_pass():
    """The bug this project's server had (`..` made `/api/Priority/..`, which every HTTP client sends
    as `/api`), in a server of another style: its get tool takes a string id and pastes it into the
    path. Each way it leaves the record is named; the same server escaping the id passes."""
    only = ("paths", "reads")
    broken = await run_verify(
        VerifyOptions(target=ServerTarget(command=defective("dot-segments")), examples=1, only=only)
    )
    assert broken.property_status("paths") == "failed" and broken.property_status("reads") == "passed"
    [failure] = [c for c in broken.checks if c.status == "failed"]
    assert failure.subject == "halo_tickets_get / get", failure
    assert failure.calls[0]["arguments"] == {"ticket_id": "."}
    assert failure.calls[0]["upstream"] == ["GET /api/Tickets -> 200"]  # the list, not a ticket
    assert "'.'" in failure.example and "a refusal before Halo" in failure.expected

    escaped = await run_verify(
        VerifyOptions(target=ServerTarget(command=defective("string-ids")), examples=5, only=only)
    )
    assert not escaped.failed, failures(escaped)
    held = next(c for c in escaped.checks if c.subject == "halo_tickets_get / get")
    assert held.status == "passed" and "sent as one escaped segment of /api/Tickets" in held.detail
    assert escaped.property_status("reads") == "passed"  # a numeric id still reads the ticket


async def test_bounded_retries_honouring_retry_after_are_a_finding_not_a_failure():
    target = ServerTarget(command=defective("polite-retry"))
    lenient = await run_verify(VerifyOptions(target=target, only=("retries",)))
    assert not lenient.failed, failures(lenient)
    assert any(
        "429, Retry-After 1" in f and "retries 2 times honouring Retry-After" in f for f in lenient.findings
    )
    assert any("429, Retry-After 3600" in f and "passes through once" in f for f in lenient.findings)
    strict = await run_verify(VerifyOptions(target=target, only=("retries",), retry_policy="pass-through"))
    failed = {c.subject for c in strict.checks if c.status == "failed"}
    assert failed == {
        "halo_tickets_get / 429, Retry-After 1",
        "halo_tickets_get / 429, Retry-After as an HTTP date",
        "halo_tickets_get / 503, Retry-After 1",
        "halo_tickets_get / 500",
        "halo_tickets_get / a dropped connection",
    }, failures(strict)


def test_cli_writes_json_and_junit_and_exits_1_on_a_failure(tmp_path):
    result = CliRunner().invoke(
        app,
        [
            "verify",
            "--server-command",
            defective("retry-429"),
            "--examples",
            "2",
            "--only",
            "retries",
            "--json",
            str(tmp_path / "r.json"),
            "--junit",
            str(tmp_path / "r.xml"),
        ],
    )
    assert result.exit_code == 1, result.output
    assert "FAILED retries" in result.output
    data = json.loads((tmp_path / "r.json").read_text())
    assert any("ignoring Retry-After" in finding for finding in data["findings"])
    errors = next(p for p in data["properties"] if p["name"] == "retries")
    assert errors["status"] == "failed"
    failed = [c for c in errors["checks"] if c["status"] == "failed"]
    assert sum(line.startswith("GET /api/Tickets") for line in failed[0]["calls"][0]["upstream"]) == 4
    suites = {s.get("name"): s for s in ElementTree.parse(tmp_path / "r.xml").getroot()}
    assert int(suites["retries"].get("failures")) == len(failed)
    assert suites["attachments"].find("testcase/skipped") is not None


def test_cli_exits_2_for_a_server_that_never_answers():
    result = CliRunner().invoke(
        app,
        [
            "verify",
            "--server-command",
            f"{sys.executable} -c 'import sys; print(\"no such tenant\", file=sys.stderr); sys.exit(3)'",
            "--startup-timeout",
            "10",
        ],
    )
    assert result.exit_code == 2
    assert "did not complete the MCP handshake" in result.output
    assert "no such tenant" in result.output  # the tail of its stderr
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["--server-command", "x", "--env", "NOEQUALS"],
        ["--server-url", "ftp://x"],
        ["--server-command", "x", "--only", "vibes"],
        ["--server-command", "x", "--retry-policy", "forever"],
    ],
)
def test_cli_usage_errors_exit_2(args):
    assert CliRunner().invoke(app, ["verify", *args]).exit_code == 2


async def test_unreachable_url_is_a_target_error():
    from halo_sandbox.harness import free_port

    with pytest.raises(TargetError):
        await run_verify(
            VerifyOptions(target=ServerTarget(url=f"http://127.0.0.1:{free_port()}/mcp", startup_timeout=3))
        )


def _cli(command: str) -> str:
    """Our server through the installed console script of this interpreter's environment."""
    script = Path(sys.executable).with_name("halo-sandbox")
    return command.replace("halo-sandbox", str(script), 1)


def test_cli_mapping_file_places_and_ignores_tools(tmp_path):
    mapping = tmp_path / "tools.toml"
    mapping.write_text(
        'ignore = ["halo_tickets_create"]\n\n[tools.halo_tickets_get]\nresource = "tickets"\n'
        'role = "get"\nid_param = "ticket_id"\n'
    )
    result = CliRunner().invoke(
        app,
        [
            "verify",
            "--server-command",
            defective("none"),
            "--mapping",
            str(mapping),
            "--only",
            "writes",
            "--only",
            "reads",
            "--json",
            str(tmp_path / "r.json"),
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "r.json").read_text())
    assert {"tool": "halo_tickets_create", "reason": "ignored by the mapping file"} in data["unmapped"]
    assert next(t for t in data["tools"] if t["tool"] == "halo_tickets_get")["source"] == "mapping file"
    writes = next(p for p in data["properties"] if p["name"] == "writes")
    assert writes["status"] == "skipped"


PING_ONLY = """
from mcp.server.mcpserver import MCPServer

server = MCPServer("ping-only")


@server.tool()
def ping() -> str:
    return "pong"


server.run("stdio")
"""


def test_a_server_with_nothing_to_verify_exits_3_not_passed(tmp_path):
    script = tmp_path / "ping.py"
    script.write_text(PING_ONLY)
    result = CliRunner().invoke(
        app, ["verify", "--server-command", f"{{python}} {script}", "--json", str(tmp_path / "r.json")]
    )
    assert result.exit_code == 3, result.output
    assert "NOTHING VERIFIED" in result.output
    assert "PASSED" not in result.output
    assert json.loads((tmp_path / "r.json").read_text())["verdict"] == "nothing verified"


def test_an_http_server_that_fails_to_start_gets_one_clear_message():
    result = CliRunner().invoke(
        app,
        [
            "verify",
            "--server-command",
            f"{sys.executable} -c 'import sys; print(\"{{port}} refused\", file=sys.stderr); sys.exit(4)'",
            "--server-url",
            "http://127.0.0.1:{port}/mcp",
            "--startup-timeout",
            "10",
        ],
    )
    assert result.exit_code == 2
    assert "exited with 4" in result.output and "refused" in result.output
    assert "Traceback" not in result.output


def test_a_mistyped_placeholder_is_a_usage_error_naming_the_known_ones():
    result = CliRunner().invoke(app, ["verify", "--server-command", "srv --url {halourl} --id {client_id}"])
    assert result.exit_code == 2
    assert "{halourl}" in result.output
    assert "{halo_url}" in result.output and "{auth_url}" in result.output


async def test_auth_url_is_the_token_endpoint():
    """Halo's token endpoint is POST {host}/auth/token (client credentials as a form)."""
    import httpx

    from halo_sandbox.verify.served_mock import running_sandbox

    async with running_sandbox() as sandbox:
        values = sandbox.placeholders()
        async with httpx.AsyncClient() as http:
            answer = await http.post(
                values["auth_url"],
                data={
                    "grant_type": "client_credentials",
                    "client_id": values["client_id"],
                    "client_secret": values["client_secret"],
                    "scope": "all",
                },
            )
            assert answer.status_code == 200, answer.text
            token = answer.json()["access_token"]
            tickets = await http.get(
                f"{values['api_url']}/Tickets", headers={"Authorization": f"Bearer {token}"}
            )
            assert tickets.status_code == 200
            assert (await http.post(f"{values['auth_server']}/token", data={})).status_code != 404


def test_an_internal_error_exits_2_with_one_line_and_a_log(monkeypatch, tmp_path):
    import halo_sandbox.verify.runner as runner

    async def broken(options):
        raise KeyError("the kit itself broke")

    monkeypatch.setattr(runner, "run_verify", broken)
    result = CliRunner().invoke(app, ["verify", "--server-command", "srv"])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "internal error" in lines[0] and "the kit itself broke" in lines[0]
    log = Path(lines[0].rsplit("full log: ", 1)[1].rstrip(")"))
    assert "Traceback" in log.read_text() and "the kit itself broke" in log.read_text()
    log.unlink()


def test_a_property_that_crashes_is_an_error_not_a_failure(monkeypatch, tmp_path):
    import halo_sandbox.verify.runner as runner

    async def crashing(ctx):
        raise RuntimeError("property bug")

    monkeypatch.setitem(runner.PROPERTY_FUNCTIONS, "reads", crashing)
    result = CliRunner().invoke(
        app, ["verify", "--server-command", defective("none"), "--only", "reads", "--only", "auth"]
    )
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert "RuntimeError: property bug (full log: " in result.output
    assert "pass" in result.output  # the other property still ran


HONEST = Path(__file__).parent / "honest" / "server.py"


async def test_an_honest_server_with_a_breaker_guards_nested_writes_and_str_tools_passes():
    """tests/kit/honest/server.py: MCPServer tools declared -> str, a circuit breaker, confirm=true
    on every write, records in a nested `data` object, reads with includedetails=true, priorities
    by priorityid only. No mapping file."""
    report = await run_verify(
        VerifyOptions(target=ServerTarget(command=f"{{python}} {HONEST} {CREDENTIALS}"), examples=3)
    )
    assert not report.failed, failures(report)
    assert report.verdict == "passed" and report.exit_code == 0
    ran = [p for p in PROPERTIES if p != "discovery" and report.property_status(p) != "skipped"]
    assert report.server["server_starts"] >= len(ran)  # a fresh process per property at least
    tools = {t["tool"]: t for t in report.tools}
    assert tools["create_ticket"]["body_param"] == "data"
    assert tools["create_ticket"]["fixed"] == {"confirm": True}
    held = {(c.property, c.subject) for c in report.checks if c.status == "passed"}
    assert ("writes", "create_ticket / create") in held  # the write really ran, through data + confirm
    assert ("writes", "update_ticket / update") in held
    assert ("writes", "delete_ticket / delete") in held
    assert ("reads", "get_client") in held and ("reads", "list_priorities") in held
    # third-party shapes: the plain list chosen over "my"; a priority read by its number; a list
    # sized by count alone asked for its largest; the bytes inside a free-form data body
    assert tools["list_tickets"]["role"] == "list" and "list_my_tickets" in report.unmapped
    assert ("reads", "get_priority") in held
    assert ("pagination", "list_ticket_actions") in held
    assert ("attachments", "create_attachment / upload") in held
    assert {
        p for p in ("reads", "pagination", "errors", "auth") if report.property_status(p) == "passed"
    } == {
        "reads",
        "pagination",
        "errors",
        "auth",
    }


DOCUMENTED = """
import json, sys
import httpx
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError

url, client_id, secret = sys.argv[1:4]
server = MCPServer("documented-surface")
http = httpx.Client(base_url=url, timeout=10)


def get(path, **params):
    token = http.post("/auth/token", data={"grant_type": "client_credentials", "client_id": client_id,
                                           "client_secret": secret, "scope": "all"}).json()["access_token"]
    answer = http.get(path, params=params, headers={"Authorization": f"Bearer {token}"})
    if not answer.is_success:
        raise ToolError(f"Halo answered {answer.status_code}: {answer.text}")
    return answer.json()


@server.tool()
def list_appointments() -> str:
    return json.dumps(get("/api/Appointment"))


@server.tool()
def get_supplier(supplier_id: int) -> str:
    return json.dumps(get(f"/api/Supplier/{supplier_id}"))


@server.tool()
def list_ticket_rules() -> str:
    return json.dumps(get("/api/TicketRules"))


@server.tool()
def get_ticket(ticket_id: int) -> str:
    return json.dumps(get(f"/api/Tickets/{ticket_id}"))


server.run("stdio")
"""


async def test_documented_resources_the_sandbox_serves_generically_are_mapped_and_never_crash(tmp_path):
    script = tmp_path / "documented.py"
    script.write_text(DOCUMENTED)
    report = await run_verify(
        VerifyOptions(
            target=ServerTarget(command=f"{{python}} {script} {{halo_url}} {{client_id}} {{client_secret}}"),
            examples=2,
            only=("reads", "errors", "writes", "filters", "annotations"),
        )
    )
    roles = {t["tool"]: (t["resource"], t["role"]) for t in report.tools}
    assert roles == {
        "list_appointments": ("Appointment", "list"),
        "get_supplier": ("Supplier", "get"),
        "list_ticket_rules": ("TicketRules", "list"),
        "get_ticket": ("tickets", "get"),
    }
    assert not [c for c in report.checks if c.status == "error"], [c.detail for c in report.checks]
    assert not report.failed, failures(report)
    assert report.verdict == "passed"
