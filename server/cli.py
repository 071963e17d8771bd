"""The `halo-sandbox` command."""

from __future__ import annotations

import typer

from server.provisioning_cli import servers_app, tokens_app

app = typer.Typer(help="HaloITSM sandbox: a mock Halo tenant and an MCP server in front of it.",
                  no_args_is_help=True)
app.add_typer(servers_app, name="servers")
app.add_typer(tokens_app, name="tokens")


@app.callback()
def _main() -> None:
    """HaloITSM sandbox: a mock Halo tenant and an MCP server in front of it."""
