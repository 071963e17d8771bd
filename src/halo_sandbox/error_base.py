"""`HaloSandboxError`: the leaf base of the package's two error families, which are siblings under it.

    HaloSandboxError
    ├── ServerError   the MCP server's tool-call errors (`halo_sandbox.server.errors`)
    └── AdminError    provisioning, the console and the admin API (`halo_sandbox.admin_errors`)

The mock has its own tree (`halo_sandbox.mock.exceptions.HaloError`): it describes what Halo answers,
so it stays apart. A leaf (no imports), so the server can import it and stay usable alone.
"""

__all__ = ["HaloSandboxError"]


class HaloSandboxError(Exception):
    """A failure the package reports on purpose; ``code`` is stable, ``message`` is for people."""

    code = "error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
