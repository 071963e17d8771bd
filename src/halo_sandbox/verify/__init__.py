"""`halo-sandbox verify`: contracts for any Halo MCP server.

A verify run serves a fresh mock Halo on 127.0.0.1, starts (or reaches) the MCP server under test
pointed at it, maps its tools to Halo resources and roles (`discovery`), and checks properties
through the MCP SDK's client while counting what reached Halo in the mock's request journal
(`properties`). The outcome is a `report.Report`: scorecard, JSON, JUnit XML, exit code.

    runner.run_verify(options) -> Report
      sandbox.running_sandbox     the mock, uvicorn in the run's event loop, body tap
      target.connect              stdio / Streamable HTTP / SSE client on the server under test
      discovery.discover          tool -> (resource, role)
      properties.*                reads, pagination, writes, attachments, errors, auth, schemas
"""

from halo_sandbox.verify.runner import VerifyOptions, exit_code, run_verify
from halo_sandbox.verify.target import ServerTarget, TargetError

__all__ = ["ServerTarget", "TargetError", "VerifyOptions", "exit_code", "run_verify"]
