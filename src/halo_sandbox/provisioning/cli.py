"""`halo-sandbox servers ...` and `halo-sandbox tokens ...`: provisioned servers and API tokens
from the shell. Both talk to the SQLite registry in the state directory directly, so they work
with or without a running `halo-sandbox up` (which sees the changes on its next request)."""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from halo_sandbox.admin_errors import AdminError
from halo_sandbox.provisioning.registry import Registry
from halo_sandbox.settings import ENV, Settings, default_state_dir

__all__ = ["servers_app", "tokens_app"]

servers_app = typer.Typer(
    help="Provisioned MCP servers: filtered, expiring URLs for one account.", no_args_is_help=True
)
tokens_app = typer.Typer(
    help="API tokens checked by servers created with --require-api-token-auth.", no_args_is_help=True
)

_out = Console(highlight=False, soft_wrap=True)
_err = Console(stderr=True, highlight=False, soft_wrap=True)

StateDir = Annotated[
    Path | None,
    typer.Option(
        "--state-dir",
        envvar=ENV["state_dir"],
        help="Where the registry lives (default: the platform's user data directory).",
    ),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def _registry(state_dir: Path | None) -> Registry:
    return Registry(state_dir or default_state_dir())


def _fail(exc: AdminError) -> typer.Exit:
    _err.print(f"[red]error:[/red] {exc.message}", markup=True)
    return typer.Exit(code=1)


def _csv(values: list[str] | None) -> list[str] | None:
    if not values:
        return None
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _dump(data: Any) -> None:
    _out.print(json.dumps(data, indent=2), markup=False)


def _table(*columns: str) -> Table:
    """A table that folds long cells instead of cutting them (ids and dates must stay whole)."""
    table = Table()
    for column in columns:
        if column == "id":  # ids are copied into `revoke`: never split them
            table.add_column(column, no_wrap=True, min_width=20)
        else:
            table.add_column(column, overflow="fold")
    return table


def claude_config(name: str, url: str) -> tuple[str, str]:
    """The `claude mcp add` line and a `claude_desktop_config.json` snippet for ``url``."""
    command = f"claude mcp add --transport http {shlex.quote(name)} {url}"
    desktop = json.dumps({"mcpServers": {name: {"type": "http", "url": url}}}, indent=2)
    return command, desktop


# ---------------------------------------------------------------- servers


@servers_app.command("create")
def create_server(
    name: Annotated[str, typer.Argument(help="A name for the server (also used in the Claude config).")],
    account: Annotated[
        str, typer.Option(help="Integrated account: a mock tenant name or a registered Halo.")
    ] = "sandbox",
    methods: Annotated[
        list[str] | None,
        typer.Option(
            "--methods",
            "-m",
            help="read, write, or list/get/create/update/delete (comma-separated or repeated).",
        ),
    ] = None,
    tags: Annotated[
        list[str] | None,
        typer.Option(
            "--tags",
            "-t",
            help="support, crm, billing, projects, assets, lookups (comma-separated or repeated).",
        ),
    ] = None,
    tool_exposure: Annotated[
        str,
        typer.Option(
            "--tool-exposure",
            help="all (every allowed tool listed) or discovery (three meta-tools reach them).",
        ),
    ] = "all",
    breadth: Annotated[
        bool,
        typer.Option(
            "--breadth",
            help="Offer the tools generated from Halo's OpenAPI document too (the breadth catalogue).",
        ),
    ] = False,
    expires_at: Annotated[
        str | None, typer.Option(help="ISO 8601 date-time, e.g. 2030-01-31T17:00:00Z.")
    ] = None,
    require_api_token_auth: Annotated[
        bool, typer.Option("--require-api-token-auth", help="Calls need Authorization: Bearer <api token>.")
    ] = False,
    base_url: Annotated[
        str, typer.Option(envvar=ENV["url"], help="Where halo-sandbox up listens.")
    ] = Settings().url,
    state_dir: StateDir = None,
    as_json: AsJson = False,
) -> None:
    """Provision a server; prints its URL (shown once) and the Claude config for it."""
    registry = _registry(state_dir)
    try:
        server, token = registry.create_server(
            name=name,
            account=account,
            config={
                "methods": _csv(methods),
                "tags": _csv(tags),
                "tool_exposure": tool_exposure,
                "breadth": breadth,
            },
            expires_at=expires_at,
            require_api_token_auth=require_api_token_auth,
        )
    except AdminError as exc:
        raise _fail(exc) from None
    finally:
        registry.close()
    url = f"{base_url.rstrip('/')}/mcp/{token}"
    command, desktop = claude_config(server.name, url)
    if as_json:
        _dump({**server.to_dict(), "url": url})
        return
    _out.print(
        f"[green]Created[/green] {server.id} ({server.name}) for account {server.account}", markup=True
    )
    _out.print(
        f"methods: {', '.join(server.methods or ['all'])}   tags: {', '.join(server.tags or ['all'])}   "
        f"tool exposure: {server.tool_exposure}   "
        f"expires: {server.to_dict()['expires_at'] or 'never'}   "
        f"api token required: {'yes' if server.require_api_token_auth else 'no'}",
        markup=False,
    )
    _out.print("\nURL (shown once; keep it secret):", markup=False)
    _out.print(url, markup=False)
    _out.print("\nClaude Code:", markup=False)
    _out.print(command, markup=False)
    _out.print("\nclaude_desktop_config.json:", markup=False)
    _out.print(desktop, markup=False)


@servers_app.command("list")
def list_servers(
    account: Annotated[str | None, typer.Option(help="Only this account's servers.")] = None,
    state_dir: StateDir = None,
    as_json: AsJson = False,
) -> None:
    """Live provisioned servers (never their URLs)."""
    registry = _registry(state_dir)
    try:
        servers = [s for s in registry.list_servers() if account is None or s.account == account]
    finally:
        registry.close()
    if as_json:
        _dump([s.to_dict() for s in servers])
        return
    table = _table("name", "account", "methods", "tags", "exposure", "expires", "api token", "id")
    for s in servers:
        record = s.to_dict()
        table.add_row(
            s.name,
            s.account,
            ", ".join(s.methods or ["all"]),
            ", ".join(s.tags or ["all"]),
            s.tool_exposure,
            record["expires_at"] or "never",
            "yes" if s.require_api_token_auth else "no",
            s.id,
        )
    _out.print(table)


@servers_app.command("show")
def show_server(
    server_id: Annotated[str, typer.Argument(help="The server id (srv_...).")],
    state_dir: StateDir = None,
) -> None:
    """One provisioned server, as JSON (its URL is not stored, so it cannot be shown again)."""
    registry = _registry(state_dir)
    try:
        _dump(registry.get_server(server_id).to_dict())
    except AdminError as exc:
        raise _fail(exc) from None
    finally:
        registry.close()


@servers_app.command("revoke")
def revoke_server(
    server_id: Annotated[str, typer.Argument(help="The server id (srv_...).")],
    state_dir: StateDir = None,
) -> None:
    """Delete a provisioned server; its URL answers 404 from the next request on."""
    registry = _registry(state_dir)
    try:
        registry.delete_server(server_id)
    except AdminError as exc:
        raise _fail(exc) from None
    finally:
        registry.close()
    _out.print(f"Revoked {server_id}", markup=False)


# ---------------------------------------------------------------- API tokens


@tokens_app.command("create")
def create_token(
    name: Annotated[str, typer.Argument(help="Who or what the token is for.")],
    expires_at: Annotated[
        str | None, typer.Option(help="ISO 8601 date-time, e.g. 2030-01-31T17:00:00Z.")
    ] = None,
    state_dir: StateDir = None,
    as_json: AsJson = False,
) -> None:
    """Mint an API token; prints it once."""
    registry = _registry(state_dir)
    try:
        api_token, secret = registry.create_api_token(name=name, expires_at=expires_at)
    except AdminError as exc:
        raise _fail(exc) from None
    finally:
        registry.close()
    if as_json:
        _dump({**api_token.to_dict(), "token": secret})
        return
    _out.print(f"[green]Created[/green] {api_token.id} ({api_token.name})", markup=True)
    _out.print("Token (shown once; send it as Authorization: Bearer <token>):", markup=False)
    _out.print(secret, markup=False)


@tokens_app.command("list")
def list_tokens(state_dir: StateDir = None, as_json: AsJson = False) -> None:
    """Live API tokens (never the tokens themselves)."""
    registry = _registry(state_dir)
    try:
        tokens = registry.list_api_tokens()
    finally:
        registry.close()
    if as_json:
        _dump([t.to_dict() for t in tokens])
        return
    table = _table("name", "created", "expires", "id")
    for t in tokens:
        record = t.to_dict()
        table.add_row(t.name, record["created_at"], record["expires_at"] or "never", t.id)
    _out.print(table)


@tokens_app.command("revoke")
def revoke_token(
    token_id: Annotated[str, typer.Argument(help="The token id (tok_...).")],
    state_dir: StateDir = None,
) -> None:
    """Revoke an API token; servers requiring one refuse it from the next request on."""
    registry = _registry(state_dir)
    try:
        registry.revoke_api_token(token_id)
    except AdminError as exc:
        raise _fail(exc) from None
    finally:
        registry.close()
    _out.print(f"Revoked {token_id}", markup=False)
