"""Every code block of README.md is checked, so a command or an import it shows can never drift:

- Python blocks run as written (a block of test functions must be, verbatim, part of the example
  test module CI runs, `examples/test_halo_triage.py`);
- the TOML block loads as a `verify --mapping` file;
- the `/_sandbox` shell block runs against a real `halo-sandbox up` (with `set -e`, each curl
  failing on an HTTP error; its `K=...; B=...` line filled in; needs curl), and the
  `servers`/`tokens` block against a state directory;
- every `halo-sandbox up` line starts a sandbox that issues a token and answers a ticket list (on a
  free port; `--tickets 100000` built at 1,000);
- the blocks aimed at a real tenant run against a sandbox standing in for it (its URL and
  credentials in place of `https://acme.haloitsm.com`, `ID`, `S`, `...`): `record` (read-only),
  `up --snapshot` of what it wrote, `drift` (none between a sandbox and itself), and both `mcp`
  lines (stdio and Streamable HTTP answer `tools/list`);
- every shell block (the rest need the network, Node or a real install: CI runs the first block
  itself) has each `halo-sandbox` command checked against the CLI: the subcommand exists and takes
  every option shown.

A new block with none of these checks fails the test until it is given one."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import httpx
import pytest

from halo_sandbox.harness import clean_env, cli_path, start
from halo_sandbox.mock.config import MockSettings
from halo_sandbox.verify.discovery import load_mapping
from tests._jsonrpc import ACCEPT, initialize

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = [(m.group(1), m.group(2)) for m in re.finditer(r"^```(\w*)\n(.*?)^```", README, re.M | re.S)]
CLI = cli_path()
ADMIN_KEY = "readme-admin-key"


def _blocks(language: str, needle: str = "") -> list[str]:
    return [code for lang, code in BLOCKS if lang == language and needle in code]


CONTROL = _blocks("bash", "/_sandbox/faults")
SERVERS = _blocks("bash", "halo-sandbox servers create")
PYTHON = _blocks("python")
TOML = _blocks("toml")
OTHER_SHELL = [code for code in _blocks("bash") if code not in CONTROL + SERVERS]


def test_every_block_has_a_check():
    checked = len(CONTROL) + len(SERVERS) + len(PYTHON) + len(TOML) + len(OTHER_SHELL)
    assert len(BLOCKS) == checked and len(CONTROL) == 1 and len(SERVERS) == 1 and TOML, [
        lang for lang, _ in BLOCKS
    ]


@pytest.mark.parametrize("code", PYTHON, ids=[f"python-{i}" for i in range(len(PYTHON))])
def test_python_blocks_run_as_written(code: str, tmp_path, monkeypatch):
    if "def test_" in code:
        example = (ROOT / "examples" / "test_halo_triage.py").read_text(encoding="utf-8")
        for function in code.strip().split("\n\n\n"):
            assert function in example, f"not the example CI runs:\n{function}"
        return
    monkeypatch.chdir(tmp_path)
    exec(compile(code, "README.md", "exec"), {"__name__": "readme"})


def test_the_toml_block_is_a_valid_mapping_file(tmp_path):
    for code in TOML:
        path = tmp_path / "tools.toml"
        path.write_text(code, encoding="utf-8")
        mapping = load_mapping(path)
        assert mapping["tools"] and mapping["ignore"]


def _commands(code: str) -> list[str]:
    """The shell commands of a block: comments dropped, continuation lines joined."""
    joined = re.sub(r"\\\n\s*", " ", code)
    return [
        line.split("  #")[0].strip()
        for line in joined.splitlines()
        if line.strip() and not line.startswith("#")
    ]


def _help(subcommand: list[str]) -> str:
    done = subprocess.run(
        [CLI, *subcommand, "--help"],
        capture_output=True,
        text=True,
        timeout=120,
        env=clean_env(COLUMNS="200"),
    )
    assert done.returncode == 0, (subcommand, done.stderr)
    return done.stdout


def test_other_shell_blocks_use_real_commands_and_options():
    helps: dict[tuple[str, ...], str] = {}
    seen = 0
    for code in OTHER_SHELL:
        for command in _commands(code):
            words = shlex.split(command.replace("...", "x"))
            if not words or words[0] != "halo-sandbox":
                continue
            sub = [w for w in words[1:3] if not w.startswith("-")][
                : 2 if words[1] in ("servers", "tokens") else 1
            ]
            text = helps.setdefault(tuple(sub), _help(sub))
            for option in (w.split("=")[0] for w in words if w.startswith("--")):
                assert option in text, f"`{command}`: halo-sandbox {' '.join(sub)} has no {option}"
            seen += 1
    assert seen >= 8


@pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")
def test_the_sandbox_scripting_block_runs_against_a_real_up(tmp_path):
    [code] = CONTROL
    first, _, rest = code.partition("\n")
    assert first.startswith("K=<admin key printed at start>; B=")
    with start("up", state_dir=tmp_path / "state", admin_key=ADMIN_KEY) as sandbox:
        script = f"set -e\nK={ADMIN_KEY}; B={sandbox.base}\n" + rest.replace("curl ", "curl -fsS ")
        done = subprocess.run(
            ["bash", "-c", script], capture_output=True, text=True, timeout=300, cwd=tmp_path
        )
        assert done.returncode == 0, (done.stdout[-500:], done.stderr[-500:])
        assert (tmp_path / "state.json").stat().st_size > 1000  # the exported snapshot


def test_the_servers_block_runs_against_a_state_dir(tmp_path):
    [code] = SERVERS
    env = clean_env(HALO_SANDBOX_STATE_DIR=str(tmp_path))
    ids: dict[str, str] = {}
    for line in _commands(code):
        words = shlex.split(line)
        words = [ids.get(w, w) for w in words]
        done = subprocess.run(
            [CLI, *words[1:], *(["--json"] if words[2] == "create" else [])],
            capture_output=True,
            text=True,
            timeout=120,
            env=env,
        )
        assert done.returncode == 0, (line, done.stderr[-500:])
        if words[1:3] == ["servers", "create"]:
            ids["srv_..."] = re.search(r'"id":\s*"(srv_\w+)"', done.stdout).group(1)
        if words[1:3] == ["tokens", "create"]:
            ids["tok_..."] = re.search(r'"id":\s*"(tok_\w+)"', done.stdout).group(1)
    assert set(ids) == {"srv_...", "tok_..."}


def _token(base: str, client_id: str, client_secret: str) -> str:
    """An access token of a running sandbox (client credentials)."""
    answer = httpx.post(
        f"{base}/auth/token",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": client_secret},
        timeout=30,
    )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


UP_LINES = [
    command
    for code in OTHER_SHELL
    for command in _commands(code)
    if command.startswith("halo-sandbox up") and "--snapshot" not in command
]
"""The README's `halo-sandbox up` lines (a recorded snapshot aside: `tests/test_record.py` serves one)."""


@pytest.mark.parametrize("command", UP_LINES)
def test_the_up_lines_start_a_sandbox_that_answers(command: str, tmp_path):
    # as written, but on a free port, and a 100,000-ticket world built at 1,000 (the same code path)
    words, args = iter(shlex.split(command)[2:]), []
    for word in words:
        if word == "--port":
            next(words)
        elif word == "--tickets":
            args += [word, str(min(int(next(words)), 1000))]
        else:
            args.append(word)
    credentials = MockSettings()
    with start("up", *args, state_dir=tmp_path / "state", timeout=180) as up:
        token = _token(up.base, credentials.client_id, credentials.client_secret)
        origin = next((w for w in args if w.startswith("https://")), None)
        listing = httpx.get(
            f"{up.base}/api/Tickets",
            params={"pageinate": "true", "page_size": 1},
            headers={
                "Authorization": f"Bearer {token}",
                **({"Origin": origin} if origin else {}),
            },
            timeout=30,
        )
        assert listing.status_code == 200, listing.text
        assert listing.json()["record_count"] >= (1000 if "--tickets" in args else 1)
        if origin:  # a browser page of the allowed origin is served (above), any other refused
            other = httpx.get(
                f"{up.base}/api/Tickets", headers={"Origin": "https://else.example"}, timeout=30
            )
            assert other.status_code == 403, other.text


def _tenant_lines(needle: str) -> list[list[str]]:
    """The README's commands that talk to a real tenant (``needle``), as words."""
    return [
        shlex.split(command)
        for code in OTHER_SHELL
        for command in _commands(code)
        if command.startswith(f"halo-sandbox {needle}")
    ]


def _as_tenant(words: list[str], url: str, client_id: str, secret: str) -> list[str]:
    """A README command aimed at a stand-in tenant (without `halo-sandbox`): its URL and the
    credential placeholders after `--client-id`/`--client-secret` replaced."""
    out = []
    for previous, word in zip(words, words[1:], strict=False):
        if previous == "--client-id" and word in ("ID", "..."):
            word = client_id
        elif previous == "--client-secret" and word in ("S", "..."):
            word = secret
        elif word == "https://acme.haloitsm.com":
            word = url
        out.append(word)
    return out


def test_the_record_block_records_serves_and_finds_no_drift(tmp_path, monkeypatch):
    # the block as written, with a sandbox of this version standing in for acme.haloitsm.com
    from typer.testing import CliRunner

    from halo_sandbox.cli import app
    from halo_sandbox.recording.client import ReadOnlyHalo
    from halo_sandbox.testing import mock_halo

    monkeypatch.chdir(tmp_path)
    # the stand-in tenant has no rate limit, so the recorder need not pace itself to Halo's 300
    # requests per 5 minutes (which makes this block take 5 minutes against a real tenant)
    monkeypatch.setitem(ReadOnlyHalo.__init__.__kwdefaults__, "rate", None)
    record = next(w for w in _tenant_lines("record"))
    drift = next(w for w in _tenant_lines("drift"))
    [serve] = [w for w in _tenant_lines("up") if "--snapshot" in w]
    with mock_halo(rate_limit=None) as halo:
        done = CliRunner().invoke(app, _as_tenant(record, halo.url, halo.client_id, halo.client_secret))
        assert done.exit_code == 0, done.output
        assert {e.method for e in halo.requests()} == {"POST", "GET"}  # read-only: the token, then GETs
        snapshot = tmp_path / serve[serve.index("--snapshot") + 1]
        assert snapshot.stat().st_size > 1000
        done = CliRunner().invoke(app, _as_tenant(drift, halo.url, halo.client_id, halo.client_secret))
        assert done.exit_code == 0, done.output  # a sandbox of this version does not drift from itself
        assert (tmp_path / drift[drift.index("--json") + 1]).exists()
    recorded = json.loads(snapshot.read_text(encoding="utf-8"))
    with start("up", *serve[2:], state_dir=tmp_path / "state", timeout=180) as up:
        token = _token(up.base, halo.client_id, halo.client_secret)
        served = httpx.get(f"{up.base}/api/Tickets", headers={"Authorization": f"Bearer {token}"}, timeout=30)
        assert served.status_code == 200, served.text
        assert served.json()["tickets"], recorded.keys()


def test_the_mcp_lines_serve_tools_from_a_stand_in_tenant(tmp_path):
    credentials = MockSettings()
    with start("mock", state_dir=tmp_path / "state", timeout=120) as tenant:
        for words in _tenant_lines("mcp"):
            args = _as_tenant(words, tenant.base, credentials.client_id, credentials.client_secret)
            if "--transport" in args and args[args.index("--transport") + 1] == "http":
                args += ["--halo-url", tenant.base, "--client-id", credentials.client_id]
                args += ["--client-secret", credentials.client_secret]
                with start(*args, timeout=120) as server:
                    assert "tools" in _tools_over_http(server.mcp_url)
            else:
                done = subprocess.run(
                    [CLI, *args],
                    input=_STDIO_LIST,
                    capture_output=True,
                    text=True,
                    timeout=120,
                    env=clean_env(),
                )
                assert '"tools"' in done.stdout, (done.stdout[-500:], done.stderr[-500:])


_STDIO_LIST = (
    '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18",'
    '"capabilities":{},"clientInfo":{"name":"readme","version":"0"}}}\n'
    '{"jsonrpc":"2.0","method":"notifications/initialized"}\n'
    '{"jsonrpc":"2.0","id":2,"method":"tools/list"}\n'
)


def _tools_over_http(url: str) -> dict:
    headers = ACCEPT
    init = httpx.post(url, headers=headers, json=initialize("2025-06-18", client="readme"), timeout=30)
    assert init.status_code == 200, init.text
    session = init.headers.get("mcp-session-id")
    more = {
        **headers,
        **({"mcp-session-id": session} if session else {}),
        "mcp-protocol-version": "2025-06-18",
    }
    httpx.post(url, headers=more, json={"jsonrpc": "2.0", "method": "notifications/initialized"}, timeout=30)
    listing = httpx.post(
        url, headers=more, json={"jsonrpc": "2.0", "id": 2, "method": "tools/list"}, timeout=30
    )
    assert listing.status_code == 200, listing.text
    text = listing.text
    return json.loads(text[text.index("{") :].splitlines()[0])["result"]
