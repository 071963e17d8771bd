"""Every code block of README.md runs, so a command or an import it shows can never drift:

- Python blocks run as written (a block of test functions must be, verbatim, part of the example
  test module CI runs, `examples/test_halo_triage.py`); the agent snippet (`from mcp import Client`)
  against a real `halo-sandbox up` (its URL in place of `http://127.0.0.1:8765`);
- the Claude Desktop JSON starts its stdio server (the `halo-sandbox` of this install in place of
  `/path/to/...`) against a real `up` and reads client 104 through it with the credentials shown;
- the TOML block loads as a `verify --mapping` file;
- the `/_sandbox` shell blocks run against a real `halo-sandbox up` (with `set -e`, each curl
  failing on an HTTP error; `K` and `B` filled in; needs curl): the scripting block, and the
  credentials block (its tenant then takes only its own secret); the `servers`/`tokens` block
  against a state directory;
- every `halo-sandbox up` line starts a sandbox that issues a token and answers a ticket list (on a
  free port; `--tickets 100000` built at 1,000);
- the blocks aimed at a real tenant run against a sandbox standing in for it (its URL and
  credentials in place of `https://acme.haloitsm.com`, `ID`, `S`, `...`): `record` (read-only),
  `up --snapshot` of what it wrote, `drift` (none between a sandbox and itself), and both `mcp`
  lines (stdio and Streamable HTTP answer `tools/list`);
- the install block, without network, in a copy of this checkout: the venv it names (made by this
  Python), `pip install -e .` offline (`--no-index --no-build-isolation`, the dependencies found among
  this test run's packages, which the venv sees; nox and uv, the suite's runners, are not installed)
  and the installed `halo-sandbox up` answering; its second line, `nox`, is this suite itself: CI
  (`.ci/run`) runs it verbatim;
- the `pip install halo-mcp-sandbox` block, without network: a wheel of this checkout built offline and
  installed under that name from a local folder in place of PyPI (`--no-index --find-links`), then
  `pytest examples/` and `pytest -n 4` (as `python -m pytest`, the venv's interpreter) in a project
  holding a copy of examples/;
- the `verify` block, marked `verify_runs` (whole verify runs, `nox -s kit`): its Node line against
  a small Node Halo MCP server (tests/node/readme_server.mjs as `dist/index.js`; needs node and
  `npm ci --prefix tests/node`), which scores 100%, this project's server over stdio and Streamable
  HTTP (100%), and the report and mapping lines with that Node server for `...`.

No block is only checked against the CLI; a new block with none of these checks fails
`test_every_block_has_a_check`, a new command in a checked block fails the test of its block."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import sysconfig
import textwrap
import threading
from pathlib import Path

import httpx
import pytest

from halo_sandbox.harness import clean_env, cli_path, start
from halo_sandbox.mock.config import MockSettings
from halo_sandbox.verify.discovery import load_mapping
from tests._jsonrpc import ACCEPT, initialize

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCKS = [
    (m.group(2), textwrap.dedent(m.group(3)))
    for m in re.finditer(r"^( *)```(\w*)\n(.*?)^\1```", README, re.M | re.S)
]
"""Every fenced block, those indented in a list item included (dedented)."""
CLI = cli_path()
ADMIN_KEY = "readme-admin-key"
README_URL = "http://127.0.0.1:8765"
"""The sandbox's default address, which blocks use as written: a test puts its own `up`'s there."""


def _blocks(language: str, needle: str = "") -> list[str]:
    return [code for lang, code in BLOCKS if lang == language and needle in code]


CONTROL = _blocks("bash", "/_sandbox/faults")
CREDENTIALS = _blocks("bash", "/_sandbox/credentials")
SERVERS = _blocks("bash", "halo-sandbox servers create")
INSTALL = _blocks("bash", "-m venv .venv")
PACKAGE = _blocks("bash", "pip install halo-mcp-sandbox")
VERIFY = _blocks("bash", "halo-sandbox verify")
AGENT = _blocks("python", f"{README_URL}/mcp")
PYTHON = [code for code in _blocks("python") if code not in AGENT]
DESKTOP = _blocks("json", "mcpServers")
TOML = _blocks("toml")
OTHER_SHELL = [
    code
    for code in _blocks("bash")
    if code not in CONTROL + CREDENTIALS + SERVERS + INSTALL + PACKAGE + VERIFY
]
"""The `up`, `mcp` and `record` blocks: each of their commands is run by a test below."""


def test_every_block_has_a_check():
    singles = (CONTROL, CREDENTIALS, SERVERS, INSTALL, PACKAGE, VERIFY, AGENT, DESKTOP)
    checked = sum(map(len, singles)) + len(PYTHON) + len(TOML) + len(OTHER_SHELL)
    assert len(BLOCKS) == checked and all(len(found) == 1 for found in singles) and TOML, [
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


def test_every_command_of_the_up_mcp_and_record_blocks_is_run():
    run = {" ".join(shlex.split(c)) for c in UP_LINES} | {
        " ".join(words)
        for needle in ("record", "drift", "mcp", "up --snapshot")
        for words in _tenant_lines(needle)
    }
    commands = [c for code in OTHER_SHELL for c in _commands(code)]
    assert len(commands) >= 7
    assert [c for c in commands if " ".join(shlex.split(c)) not in run] == []


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


@pytest.mark.skipif(shutil.which("curl") is None, reason="needs curl")
def test_the_credentials_block_gives_a_tenant_its_own_secret(tmp_path):
    [code] = CREDENTIALS
    body = json.loads(re.search(r"-d '(\{.*?\})'", code).group(1))
    tenant = re.search(r"X-Sandbox-Tenant: ([\w-]+)", code).group(1)
    default = MockSettings()
    with start("up", state_dir=tmp_path / "state", admin_key=ADMIN_KEY) as sandbox:
        script = f"set -e\nK={ADMIN_KEY}; B={sandbox.base}\n" + code.replace("curl ", "curl -fsS ")
        done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, (done.stdout[-500:], done.stderr[-500:])

        def token(client_id: str, secret: str) -> httpx.Response:
            form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}
            return httpx.post(f"{sandbox.base}/auth/token", data={**form, "tenant": tenant}, timeout=30)

        assert token(body["client_id"], body["client_secret"]).status_code == 200
        assert token(default.client_id, default.client_secret).status_code != 200
        # the other tenants keep the printed credentials
        other = httpx.post(
            f"{sandbox.base}/auth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": default.client_id,
                "client_secret": default.client_secret,
                "tenant": "another",
            },
            timeout=30,
        )
        assert other.status_code == 200, other.text


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


def test_the_agent_snippet_calls_a_tool_of_a_real_up(tmp_path, capsys):
    [code] = AGENT
    with start("up", state_dir=tmp_path / "state") as up:
        exec(compile(code.replace(README_URL, up.base), "README.md", "exec"), {"__name__": "readme"})
    printed = capsys.readouterr().out
    assert "'client_id': 104" in printed and "'error'" not in printed, printed[:500]


_STDIO_CALL = _STDIO_LIST.replace(
    '"method":"tools/list"}',
    '"method":"tools/call","params":{"name":"get_single_halo_itsm_client_by_id","arguments":{"id":104}}}',
)


def test_the_desktop_config_starts_a_server_that_reads_the_sandbox(tmp_path):
    [code] = DESKTOP
    server = json.loads(code)["mcpServers"]["halo"]
    assert server["command"].endswith("/.venv/bin/halo-sandbox")
    with start("up", state_dir=tmp_path / "state") as up:
        args = [up.base if a == README_URL else a for a in server["args"]]
        answer = _stdio_answer([CLI, *args], _STDIO_CALL)
    result = answer["result"] if "result" in answer else pytest.fail(str(answer))
    assert not result.get("isError"), result
    assert result["structuredContent"]["result"]["id"] == 104, result


def _stdio_answer(argv: list[str], requests: str) -> dict:
    """The answer to the last request (id 2) of `requests`, sent to a stdio server kept open until then."""
    proc = subprocess.Popen(
        argv,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=clean_env(),
    )
    timer = threading.Timer(120, proc.kill)  # a server that never answers ends the read
    timer.start()
    try:
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(requests)
        proc.stdin.flush()
        for line in proc.stdout:
            message = json.loads(line)
            if message.get("id") == 2:
                return message
        raise AssertionError("the server closed stdout without answering")
    finally:
        timer.cancel()
        proc.kill()
        proc.wait()


# -- the install blocks, offline ----------------------------------------------------------------------

INSTALLED_BY_CI = {"nox", "uv"}
"""What the install block's `pip install` adds beside the checkout: the suite's runners, which CI's
`.ci/run` installs from PyPI (this test, offline, does not)."""


@pytest.fixture(scope="module")
def checkout(tmp_path_factory) -> Path:
    """A copy of this checkout's files (tracked and new, not ignored; links kept), to install from."""
    if shutil.which("git") is None:
        pytest.skip("needs git to list the checkout's files")
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT, capture_output=True
    )
    if listed.returncode != 0:
        pytest.skip("not a git checkout: the install blocks copy its files")
    copy = tmp_path_factory.mktemp("checkout")
    for name in filter(None, listed.stdout.decode().split("\0")):
        source, target = ROOT / name, copy / name
        if not source.is_symlink() and not source.exists():
            continue  # deleted, not yet staged
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():
            target.symlink_to(os.readlink(source))
        else:
            shutil.copy2(source, target)
    return copy


def _venv(where: Path, command: str) -> Path:
    """The venv `command` (`python3.11 -m venv .venv`) makes in `where`, made by this Python, with this
    test run's third-party packages importable (offline, nothing can be downloaded): a .pth naming a
    folder of links to them, this project's own install and pip left out; the venv's bundled setuptools
    (older than pyproject's build requirement on Python 3.11) removed so that this run's builds it."""
    words = shlex.split(command)
    assert words[1:3] == ["-m", "venv"] and re.fullmatch(r"python3(\.\d+)?", words[0]), command
    done = subprocess.run(
        [sys.executable, *words[1:]], cwd=where, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    venv = where / words[-1]
    links = where.parent / f"{where.name}-test-run-packages"  # outside `where`: pytest there never sees it
    links.mkdir()
    ours = ("halo_sandbox", "halo_mcp_sandbox", "__editable__", "pip", "_virtualenv")
    for folder in {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]}:
        for entry in Path(folder).iterdir():
            if entry.name.endswith(".pth") or entry.name.split("-")[0].startswith(ours):
                continue
            if not (links / entry.name).exists():
                (links / entry.name).symlink_to(entry)
    [site] = (venv / "lib").glob("python3*/site-packages")
    (site / "test-run-packages.pth").write_text(f"{links}\n", encoding="utf-8")
    for bundled in ("setuptools", "pkg_resources", "_distutils_hack", "distutils-precedence.pth"):
        for path in site.glob(f"{bundled}*"):
            shutil.rmtree(path) if path.is_dir() else path.unlink()
    return venv


def _offline(pip_install: str) -> str:
    """A `pip install` line that runs without network: nothing from an index, no build isolation."""
    assert pip_install.startswith("pip install ")
    return pip_install.replace("pip install ", "pip install --no-index --no-build-isolation -q ", 1)


def _bash(script: str, cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in clean_env().items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    return subprocess.run(
        ["bash", "-c", f"set -e\n{script}"], cwd=cwd, capture_output=True, text=True, timeout=timeout, env=env
    )


def test_the_install_block_installs_a_sandbox_that_answers(checkout, tmp_path):
    [code] = INSTALL
    [first, second] = _commands(code)
    make, activate, install, up = first.split(" && ")
    venv = _venv(checkout, make)
    assert activate == f". {venv.name}/bin/activate" and second == f"{activate} && nox"
    words = shlex.split(install)
    assert words[:4] == ["pip", "install", "-e", "."] and set(words[4:]) == INSTALLED_BY_CI, install
    done = _bash(
        f"{activate} && {_offline('pip install -e .')}\n"
        "python -c 'import halo_sandbox; print(halo_sandbox.__file__)'",
        checkout,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().startswith(str(checkout / "src")), done.stdout  # the clone's, editable
    assert shlex.split(up)[:2] == ["halo-sandbox", "up"]
    credentials = MockSettings()
    with start(*shlex.split(up)[1:], cli=str(venv / "bin" / "halo-sandbox"), timeout=180) as sandbox:
        token = _token(sandbox.base, credentials.client_id, credentials.client_secret)
        tickets = httpx.get(
            f"{sandbox.base}/api/Tickets", headers={"Authorization": f"Bearer {token}"}, timeout=30
        )
        assert tickets.status_code == 200 and tickets.json()["tickets"], tickets.text


def test_the_package_block_installs_the_wheel_and_runs_the_example_tests(checkout, tmp_path):
    """`pip install halo-mcp-sandbox` is PyPI's: offline, this checkout's wheel is built and installed
    under that name from a local folder (`--find-links`) in place of the index; its dependencies are
    resolved against this test run's packages (nothing downloaded)."""
    [code] = PACKAGE
    install, *tests = _commands(code)
    assert shlex.split(install) == ["pip", "install", "halo-mcp-sandbox"], install
    project = tmp_path / "project"
    project.mkdir()
    shutil.copytree(ROOT / "examples", project / "examples", ignore=shutil.ignore_patterns("__pycache__"))
    venv = _venv(project, "python3.11 -m venv .venv")
    wheels = tmp_path / "wheels"
    script = (
        f". .venv/bin/activate\n"
        f"pip wheel -q --no-index --no-deps --no-build-isolation -w {wheels} {checkout}\n"
        f"{_offline(install)} --find-links {wheels}\n"
        "python -c 'import halo_sandbox; print(halo_sandbox.__file__)'"
    )
    done = _bash(script, project)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().startswith(str(venv / "lib")), done.stdout  # the wheel's, not this checkout
    assert [shlex.split(t)[0] for t in tests] == ["pytest", "pytest"], tests
    for line in tests:
        done = _bash(f". .venv/bin/activate\npython -m {line} -p no:cacheprovider", project)
        assert done.returncode == 0, (line, done.stdout[-2000:], done.stderr[-1000:])
        assert re.search(r"\b[1-9]\d* passed", done.stdout) and "skipped" not in done.stdout, done.stdout[
            -500:
        ]


# -- the verify block: whole verify runs (`nox -s kit`) -------------------------------------------------

NODE_DIR = ROOT / "tests" / "node"
PROPERTIES = ("schemas", "reads", "filters", "pagination", "cursors", "errors", "retries", "writes")
PROPERTIES += ("updates", "paths", "auth", "annotations", "attachments")


def _verify_lines() -> dict[str, str]:
    """The verify block's commands by the server they name: node, stdio, http, and `...` (one each)."""
    [code] = VERIFY
    lines: dict[str, str] = {}
    for command in _commands(code):
        server = shlex.split(command)[shlex.split(command).index("--server-command") + 1]
        if server == "...":
            kind = "... mapping" if "--mapping" in command else "..."
        else:
            kind = "node" if server.startswith("node ") else server.split()[3]  # mcp --transport KIND
        assert kind not in lines, command
        lines[kind] = command
    assert set(lines) == {"node", "stdio", "http", "...", "... mapping"}, lines
    return lines


def _verify(command: str, cwd: Path) -> tuple[int, dict[str, str], str]:
    """Runs a README verify line with this install's `halo-sandbox` (first on PATH, as for its server
    commands): exit status, scorecard (property -> pass/fail/skip) and output."""
    words = shlex.split(command)
    assert words[:2] == ["halo-sandbox", "verify"]
    path = f"{Path(CLI).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    done = subprocess.run(
        [CLI, *words[1:]], cwd=cwd, capture_output=True, text=True, timeout=900, env=clean_env(PATH=path)
    )
    card = dict(re.findall(r"^│ (\w+) +│ (pass|fail|skip) +│", done.stdout, re.M))
    return done.returncode, card, done.stdout + done.stderr


def _node_ready() -> bool:
    return shutil.which("node") is not None and (NODE_DIR / "node_modules/@modelcontextprotocol/sdk").is_dir()


NODE_ENV = ("HALO_API_URL", "HALO_AUTH_URL", "HALO_CLIENT_ID", "HALO_CLIENT_SECRET", "HALO_TENANT")


@pytest.mark.verify_runs
@pytest.mark.skipif(not _node_ready(), reason="needs node and `npm ci --prefix tests/node`")
def test_the_node_verify_line_and_the_report_and_mapping_lines(tmp_path):
    """The Node line as written, in a folder whose `dist/index.js` is tests/node/readme_server.mjs
    (the TypeScript SDK resolved from tests/node's install): an honest server of four tools, so every
    property that applies holds; it pages by number (no cursor), has no update tool and no upload.
    Then the lines whose server is `...` (any server), with that server for `...`, its variables
    given by `env` in the command: the reports of two properties, and a mapping (`tools.json`, the
    README's TOML keys in JSON) that places one tool by hand and leaves the create out."""
    (tmp_path / "dist").mkdir()
    shutil.copy(NODE_DIR / "readme_server.mjs", tmp_path / "dist" / "index.js")
    (tmp_path / "package.json").write_text('{"type": "module", "private": true}\n', encoding="utf-8")
    (tmp_path / "node_modules").symlink_to(NODE_DIR / "node_modules")
    lines = _verify_lines()
    status, card, output = _verify(lines["node"], tmp_path)
    assert status == 0, output[-3000:]
    skipped = {"cursors", "updates", "attachments"}
    assert card == {"discovery": "pass"} | {p: "skip" if p in skipped else "pass" for p in PROPERTIES}, output
    assert "PASSED: 10/10 applicable properties hold (100.0%)" in output

    words = shlex.split(lines["node"])
    variables = [words[i + 1] for i, w in enumerate(words) if w == "--env"]
    assert [v.split("=")[0] for v in variables] == list(NODE_ENV)
    server = shlex.quote(shlex.join(["env", *variables, *shlex.split(words[3])]))
    status, card, output = _verify(lines["..."].replace('"..."', server), tmp_path)
    assert status == 0, output[-3000:]
    assert {p for p, verdict in card.items() if verdict != "skip"} == {"discovery", "errors", "auth"}, card
    report = json.loads((tmp_path / "verify.json").read_text(encoding="utf-8"))
    assert report["exit_code"] == 0, report.keys()
    assert "<testsuite" in (tmp_path / "verify.xml").read_text(encoding="utf-8")

    mapping = {
        "tools": {"halo_clients_get": {"resource": "Client", "role": "get", "id_param": "client_id"}},
        "ignore": ["halo_tickets_create"],
    }
    (tmp_path / "tools.json").write_text(json.dumps(mapping), encoding="utf-8")
    status, card, output = _verify(lines["... mapping"].replace('"..."', server), tmp_path)
    assert status == 0, output[-3000:]
    assert card["reads"] == "pass" and card["writes"] == "skip", output  # the create left out
    assert "halo_tickets_create: ignored by the mapping file" in output, output[-3000:]


@pytest.mark.verify_runs
@pytest.mark.parametrize("transport", ["stdio", "http"])
def test_the_verify_lines_of_this_projects_server_score_100_percent(transport, tmp_path):
    status, card, output = _verify(_verify_lines()[transport], tmp_path)
    assert status == 0, output[-3000:]
    assert card == dict.fromkeys(("discovery", *PROPERTIES), "pass"), output
    assert "(100.0%)" in output
