"""`halo-sandbox verify`: contracts for any Halo MCP server.

A verify run serves a fresh mock Halo on 127.0.0.1, starts (or reaches) the MCP server under test
pointed at it, maps its tools to Halo resources and roles (`discovery`), and checks properties
through the MCP SDK's client while counting what reached Halo in the mock's request journal
(`properties`). The outcome is a `report.Report`: scorecard, JSON, JUnit XML, exit code.

    runner.run_verify(options) -> Report
      served_mock.running_sandbox the mock, uvicorn in the run's event loop, body tap
      target.connect              stdio / Streamable HTTP / SSE client on the server under test
      discovery.discover          tool -> (resource, role)
      properties.*                reads, pagination, writes, paths, attachments, errors, auth, schemas

Imports are lazy: `halo-sandbox` registers the `verify` command in every run, and `mcp` must not load
the mock (which the runner and discovery's vocabulary read) just to start.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from halo_sandbox.verify.runner import VerifyOptions, exit_code, run_verify
    from halo_sandbox.verify.target import ServerTarget, TargetError

__all__ = ["ServerTarget", "TargetError", "VerifyOptions", "exit_code", "run_verify"]

_WHERE = {
    "VerifyOptions": "halo_sandbox.verify.runner",
    "exit_code": "halo_sandbox.verify.runner",
    "run_verify": "halo_sandbox.verify.runner",
    "ServerTarget": "halo_sandbox.verify.target",
    "TargetError": "halo_sandbox.verify.target",
}


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(_WHERE[name]), name)
