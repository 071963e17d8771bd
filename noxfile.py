"""Sessions: `nox` runs lint, tests and contracts (the whole suite); `nox -s bench` the benchmarks."""

from __future__ import annotations

import nox

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = ["lint", "tests", "contracts"]

PYTHON = "3.11"
# pytest exits 5 when it collected nothing; a session with no tests is not a failure of the suite.
PYTEST_OK = [0, 5]


@nox.session(python=PYTHON)
def lint(session: nox.Session) -> None:
    session.install("ruff>=0.6")
    session.run("ruff", "check", "mock_halo", "server", "fixtures", "contracts", "tests", "bench", "noxfile.py")


@nox.session(python=PYTHON)
def tests(session: nox.Session) -> None:
    session.install("-e", ".[test]")
    session.run("pytest", "tests", *session.posargs, success_codes=PYTEST_OK)


@nox.session(python=PYTHON)
def contracts(session: nox.Session) -> None:
    session.install("-e", ".[test]")
    session.run("pytest", "contracts", "-p", "no:cacheprovider", *session.posargs, success_codes=PYTEST_OK)


@nox.session(python=PYTHON)
def bench(session: nox.Session) -> None:
    session.install("-e", ".[test]")
    session.run("python", "-m", "bench", *session.posargs)
