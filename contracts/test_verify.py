"""verify's properties against this project's own MCP server (`engine.verify_our_server`): one
verify run, then one verdict per property. Every property must hold, none may be skipped: our
server offers every role verify knows (a property it cannot apply here is a gap of the engine, not a
pass)."""

from __future__ import annotations

import anyio
import pytest

from contracts.engine import verify_our_server
from halo_sandbox.verify.report import PROPERTIES


@pytest.fixture(scope="module")
def report():
    return anyio.run(verify_our_server)


def _failures(checks) -> str:
    return "\n".join(
        f"{c.subject}: {c.detail}\n    expected: {c.expected}\n    example: {c.example}\n    calls: {c.calls}"
        for c in checks
    )


@pytest.mark.parametrize("prop", PROPERTIES)
def test_verify_property_holds_for_our_server(report, prop):
    checks = [c for c in report.checks if c.property == prop]
    failed = [c for c in checks if c.status in ("failed", "error")]
    assert not failed, f"verify's {prop} property fails on our server:\n{_failures(failed)}"
    assert any(c.status == "passed" for c in checks), (
        f"verify checked nothing of {prop} on our server: "
        + "; ".join(f"{c.subject}: {c.detail}" for c in checks)
    )
