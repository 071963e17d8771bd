"""The one engine: `halo-sandbox verify`'s properties run against this project's own MCP server.

`verify_options()` is the one description of that run, shared by `test_verify.py` (in `nox -s
contracts`) and the mutation session (`python -m mutation`, `nox -s mutation`), so every
strengthening of verify's properties strengthens the contracts, and the mutation score measures the
very run the contracts make.

The server is started the way a user starts it (`halo-sandbox mcp --transport stdio`), by this
interpreter, with `PYTHONPATH` set to the folder the imported `halo_sandbox` package lives in: the
stdio client passes only a minimal environment to the server, and the mutation session imports a
mutated copy of the package, which the server under test must be.
"""

from __future__ import annotations

from pathlib import Path

import halo_sandbox
from halo_sandbox.verify import ServerTarget, VerifyOptions

__all__ = ["OUR_SERVER", "package_root", "verify_options"]

OUR_SERVER = (
    '{python} -c "from halo_sandbox.cli import app; app()" mcp --transport stdio '
    "--halo-url {halo_url} --client-id {client_id} --client-secret {client_secret}"
)
"""Our server over stdio, as verify's `--server-command` (placeholders filled by the verify run)."""

EXAMPLES = 3
"""Generated calls per tool in verify's schemas property (the CLI's default is 5; 3 keeps the
contracts inside their two-minute budget, and the contracts' own `test_tool_schemas.py` draws more)."""


def package_root() -> Path:
    """The folder holding the `halo_sandbox` package this process imported."""
    return Path(halo_sandbox.__file__).resolve().parent.parent


def verify_options() -> VerifyOptions:
    """The verify run the contracts make against this project's server."""
    target = ServerTarget(command=OUR_SERVER, env={"PYTHONPATH": str(package_root())})
    return VerifyOptions(target=target, examples=EXAMPLES)
