"""The one engine: `halo-sandbox verify`'s properties run against this project's own MCP server.

`verify_our_server()` is the one description of that run, shared by `test_verify.py` (in `nox -s
contracts`) and the mutation session (`python -m mutation`, `nox -s mutation`), so every
strengthening of verify's properties strengthens the contracts, and the mutation score measures the
very run the contracts make.

The server runs in-process: the MCP server of the imported `halo_sandbox` package (a mutated copy,
in the mutation session), served over Streamable HTTP by uvicorn in the verify run's event loop,
pointed at the sandbox verify starts on a port chosen here. verify reaches it by URL, as it reaches
any server already running: no process start per property (verify restarts only servers it starts
itself), which keeps the contracts inside their two-minute budget. Our server keeps no state between
calls but its token, so one instance for every property decides nothing a fresh one would not.
`tests/kit/test_verify.py` runs the same server as a user does (`halo-sandbox mcp`, stdio and HTTP).
"""

from __future__ import annotations

from pathlib import Path

import halo_sandbox
from halo_sandbox.harness import free_port, serving
from halo_sandbox.mock.config import MockSettings
from halo_sandbox.server.mcp_app import build_mcp_server
from halo_sandbox.server.transports import mcp_asgi_app
from halo_sandbox.server.upstream import HaloClient
from halo_sandbox.verify import ServerTarget, VerifyOptions, run_verify
from halo_sandbox.verify.report import Report

__all__ = ["EXAMPLES", "package_root", "verify_our_server"]

EXAMPLES = 3
"""Generated calls per tool in verify's schemas property (the CLI's default is 5; the contracts' own
`test_tool_schemas.py` draws more per tool)."""


def package_root() -> Path:
    """The folder holding the `halo_sandbox` package this process imported."""
    return Path(halo_sandbox.__file__).resolve().parent.parent


async def verify_our_server(*, only: tuple[str, ...] = (), examples: int = EXAMPLES) -> Report:
    """verify's run against our MCP server (every curated tool), served in-process: every property,
    or ``only`` those."""
    sandbox_port = free_port()
    credentials = MockSettings()
    halo = HaloClient(
        base_url=f"http://127.0.0.1:{sandbox_port}",
        client_id=credentials.client_id,
        client_secret=credentials.client_secret,
    )
    app = mcp_asgi_app(lambda: build_mcp_server(halo=halo), sse_path=None)
    try:
        async with serving(app, log_level="critical") as port:
            target = ServerTarget(url=f"http://127.0.0.1:{port}/mcp")
            return await run_verify(
                VerifyOptions(target=target, sandbox_port=sandbox_port, only=only, examples=examples)
            )
    finally:
        await halo.aclose()
