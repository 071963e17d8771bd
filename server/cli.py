"""The `halo-sandbox` command."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Annotated

import typer

from server.provisioning import default_state_dir
from server.provisioning_cli import servers_app, tokens_app

app = typer.Typer(help="HaloITSM sandbox: a mock Halo tenant and an MCP server in front of it.",
                  no_args_is_help=True)
app.add_typer(servers_app, name="servers")
app.add_typer(tokens_app, name="tokens")


@app.callback()
def _main() -> None:
    """HaloITSM sandbox: a mock Halo tenant and an MCP server in front of it."""


# ---------------------------------------------------------------- halo-sandbox mock

ADMIN_KEY_FILE = "admin-key"


def stored_admin_key(state_dir: Path) -> str:
    """The admin key kept in ``state_dir/admin-key``; generated (and stored, mode 0600) when absent."""
    path = state_dir / ADMIN_KEY_FILE
    if path.exists():
        key = path.read_text(encoding="utf-8").strip()
        if key:
            return key
    state_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(24)
    path.write_text(key + "\n", encoding="utf-8")
    path.chmod(0o600)
    return key


@app.command("mock")
def mock(
    host: Annotated[str, typer.Option(help="Interface to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8765,
    seed: Annotated[int, typer.Option(envvar="HALO_SANDBOX_SEED", help="Fixture seed.")] = 0,
    tickets: Annotated[int | None, typer.Option(min=0, help="Generate a tenant with this many tickets.")] = None,
    rate_limit: Annotated[str, typer.Option(
        "--rate-limit", envvar="HALO_SANDBOX_RATE_LIMIT",
        help="Requests per rolling window per OAuth client, e.g. 300/300s or 50/5m, or 'off'.")] = "300/300s",
    admin_key: Annotated[str | None, typer.Option(
        envvar="HALO_SANDBOX_ADMIN_KEY", help="Admin key for /_sandbox (default: generated, kept in the state dir).",
        show_default=False)] = None,
    client_id: Annotated[str | None, typer.Option(envvar="HALO_SANDBOX_CLIENT_ID", help="OAuth client id.",
                                                  show_default=False)] = None,
    client_secret: Annotated[str | None, typer.Option(envvar="HALO_SANDBOX_CLIENT_SECRET",
                                                      help="OAuth client secret.", show_default=False)] = None,
    state_dir: Annotated[Path | None, typer.Option(
        "--state-dir", envvar="HALO_SANDBOX_STATE_DIR", help="Where the admin key is kept.",
        show_default=False)] = None,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "warning",
) -> None:
    """Run the mock Halo tenant alone (REST API, OAuth token endpoint and /_sandbox admin API)."""
    import uvicorn
    from rich.console import Console
    from rich.table import Table

    from mock_halo.app import create_app
    from mock_halo.settings import MockSettings, RateLimit

    try:
        limit = RateLimit.parse(rate_limit)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--rate-limit") from None
    state = state_dir or default_state_dir()
    key = admin_key or stored_admin_key(state)
    try:
        settings = MockSettings.from_env(seed=seed, tickets=tickets, admin_key=key, client_id=client_id,
                                         client_secret=client_secret).replace(rate_limit=limit)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None
    base = f"http://{host}:{port}"
    table = Table(title="Mock HaloITSM tenant", show_header=False, title_justify="left")
    for name, value in [
        ("API", f"{base}/api"), ("Token URL", f"{base}/auth/token"), ("Admin API", f"{base}/_sandbox"),
        ("client_id", settings.client_id), ("client_secret", settings.client_secret),
        ("agent login", f"{settings.agent_username} / {settings.agent_password}"),
        ("admin key", key), ("default tenant", settings.default_tenant),
        ("rate limit", f"{limit} per OAuth client" if limit else "off"), ("seed", str(settings.seed)),
        ("state dir", str(state)),
    ]:
        table.add_row(name, value)
    Console(soft_wrap=True).print(table)
    uvicorn.run(create_app(settings), host=host, port=port, log_level=log_level)
