"""The `halo-sandbox` command."""

from __future__ import annotations

import typer

app = typer.Typer(help="HaloITSM sandbox: a mock Halo tenant and an MCP server in front of it.",
                  no_args_is_help=True)


@app.callback()
def _main() -> None:
    """HaloITSM sandbox: a mock Halo tenant and an MCP server in front of it."""
