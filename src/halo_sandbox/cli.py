"""The `halo-sandbox` command.

`up`, `mock` and `mcp` each build one `Settings` (`Settings.from_env`: defaults, then the environment,
then the options given; an option not given is `None`) and compose from it. The options name their
environment variable in their help; only `Settings.from_env` reads the environment.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from halo_sandbox.console.cli import journal
from halo_sandbox.provisioning.cli import servers_app, tokens_app
from halo_sandbox.recording.cli import drift_command, record_command
from halo_sandbox.settings import ADMIN_KEY_FILE, DEFAULT_MCP_PORT, DEFAULT_PORT, ENV, TRANSPORTS, Settings
from halo_sandbox.verify.cli import verify

app = typer.Typer(
    help="HaloITSM sandbox: a mock Halo tenant and an MCP server in front of it.", no_args_is_help=True
)
app.add_typer(servers_app, name="servers")
app.add_typer(tokens_app, name="tokens")
app.command("journal")(journal)
app.command("verify")(verify)
app.command("record")(record_command)
app.command("drift")(drift_command)


@app.callback()
def _main() -> None:
    """HaloITSM sandbox: a mock Halo tenant and an MCP server in front of it."""


def _env(field: str) -> str:
    """The help's note of the variable `Settings.from_env` reads for `field` (escaped for rich)."""
    return f"\\[env var: {ENV[field]}]"


# Options shared by `mock` and `up`.
_Host = Annotated[str, typer.Option(help="Interface to bind.")]
_Port = Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")]
_Seed = Annotated[
    int | None, typer.Option(help=f"Fixture seed \\[default: 0]. {_env('seed')}", show_default=False)
]
_Tickets = Annotated[int | None, typer.Option(min=0, help="Generate a tenant with this many tickets.")]
_Snapshot = Annotated[
    Path | None,
    typer.Option(
        "--snapshot",
        help="Serve this tenant snapshot (from `halo-sandbox record` or GET /_sandbox/snapshot) as the "
        "default tenant instead of the seed world; a reset goes back to it.",
        show_default=False,
    ),
]
_AdminKey = Annotated[
    str | None,
    typer.Option(
        help=f"Admin key for /_sandbox (default: generated, kept in the state dir). {_env('admin_key')}",
        show_default=False,
    ),
]
_ClientId = Annotated[
    str | None, typer.Option(help=f"OAuth client id. {_env('client_id')}", show_default=False)
]
_ClientSecret = Annotated[
    str | None, typer.Option(help=f"OAuth client secret. {_env('client_secret')}", show_default=False)
]
_StateDir = Annotated[
    Path | None,
    typer.Option(
        "--state-dir",
        help=f"Admin key and provisioned servers (default: the platform's user data directory). "
        f"{_env('state_dir')}",
        show_default=False,
    ),
]
_LogLevel = Annotated[
    str, typer.Option(help="Log level (stderr): critical, error, warning, info, debug, trace.")
]
_Strict = Annotated[
    bool,
    typer.Option(
        "--strict",
        help="Refuse with 400 what real Halo would silently ignore (undocumented body fields and query "
        "parameters, values Halo converts); without it they are reported (journal, X-Sandbox-Ignored).",
    ),
]
_MemoryBudget = Annotated[
    str | None,
    typer.Option(
        "--memory-budget",
        show_default=False,
        help="Resident memory above which new work (writes, new tenants, restores) is refused with 503 and "
        "Retry-After, before the OS would kill the process: e.g. 2G or 1500M, 'auto' (half the machine's "
        f"memory, at most 4G) or 'off' \\[default: auto]. {_env('memory_budget')}",
    ),
]
# Options shared by `up` and `mcp`.
_Breadth = Annotated[
    bool | None,
    typer.Option(
        "--breadth/--no-breadth",
        help="Also offer the tools generated from Halo's official OpenAPI for every resource the curated "
        "catalogue does not cover (about 1,100 more; pair with --tool-exposure discovery). "
        + _env("breadth"),
        show_default=False,
    ),
]
_ToolExposure = Annotated[
    str | None,
    typer.Option(
        "--tool-exposure",
        help="all: tools/list lists every tool (paged); discovery: three meta-tools to search, describe and "
        f"call the tools \\[default: all]. {_env('tool_exposure')}",
        show_default=False,
    ),
]
_AllowOrigin = Annotated[
    list[str] | None,
    typer.Option(
        "--allow-origin",
        help="Browser origin allowed to call the MCP endpoints (repeatable); localhost origins are always "
        "allowed.",
        show_default=False,
    ),
]


@contextlib.contextmanager
def _bad_parameter(hint: str | None = None) -> Iterator[None]:
    """A `ValueError` of the settings or of what is composed from them ends the command (exit 2)."""
    try:
        yield
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint=hint) from None


# ---------------------------------------------------------------- halo-sandbox mock


def shown_admin_key(given: str | None, key: str, state_dir: Path) -> str:
    """What the banner shows for the admin key: a key the user gave (option or environment) is theirs
    already and is never printed; a generated one is shown with where it is kept."""
    if given:
        return "(as given: --admin-key / HALO_SANDBOX_ADMIN_KEY; not shown)"
    return f"{key}  (kept in {state_dir / ADMIN_KEY_FILE})"


def _budget(size: int | None) -> str:
    return "off" if size is None else f"{size / 1024**2:,.0f} MiB resident (503 beyond)"


@app.command("mock")
def mock(
    host: _Host = "127.0.0.1",
    port: _Port = DEFAULT_PORT,
    seed: _Seed = None,
    tickets: _Tickets = None,
    snapshot: _Snapshot = None,
    rate_limit: Annotated[
        str | None,
        typer.Option(
            "--rate-limit",
            show_default=False,
            help="Requests per rolling window per OAuth client, e.g. 300/300s or 50/5m, or 'off' "
            f"\\[default: 300/300s]. {_env('rate_limit')}",
        ),
    ] = None,
    admin_key: _AdminKey = None,
    client_id: _ClientId = None,
    client_secret: _ClientSecret = None,
    state_dir: _StateDir = None,
    strict: _Strict = False,
    memory_budget: _MemoryBudget = None,
    log_level: _LogLevel = "warning",
) -> None:
    """Run the mock Halo tenant alone (REST API, OAuth token endpoint and /_sandbox admin API)."""
    from rich.table import Table

    from halo_sandbox.mock.engine.gil import freeze_after_heavy_work
    from halo_sandbox.mock.exceptions import HaloError
    from halo_sandbox.mock.http.app import create_app
    from halo_sandbox.mock.tenants import TenantRegistry
    from halo_sandbox.sandbox import base_url, mock_config
    from halo_sandbox.server.transports import security_settings
    from halo_sandbox.serving import serve

    with _bad_parameter():
        options = Settings.from_env(
            host=host,
            port=port,
            seed=seed,
            tickets=tickets,
            snapshot=snapshot,
            rate_limit=rate_limit,
            admin_key=admin_key,
            client_id=client_id,
            client_secret=client_secret,
            state_dir=state_dir,
            log_level=log_level,
            strict=strict,
            memory_budget=memory_budget,
        )
        security = security_settings(host=options.host)
        settings = mock_config(
            options,
            allowed_hosts=tuple(security.allowed_hosts),
            allowed_origins=tuple(security.allowed_origins),
        )
        registry = TenantRegistry(settings)
    _log_to_stderr(options.log_level)
    state = options.resolved_state_dir
    key, limit = settings.admin_key or "", settings.rate_limit
    try:  # build the default tenant now: a bad option fails here, and the first request is fast
        tickets_loaded = registry.get().store.counts().get("tickets", 0)
    except (ValueError, HaloError) as exc:
        hint = "--snapshot" if settings.snapshot else "--tickets/--seed"
        raise typer.BadParameter(str(exc), param_hint=hint) from None
    sock = _bind(options.host, options.port)
    base = base_url(options)
    table = Table(title="Mock HaloITSM tenant", show_header=False, title_justify="left")
    for name, value in [
        ("API", f"{base}/api"),
        ("Token URL", f"{base}/auth/token"),
        ("Admin API", f"{base}/_sandbox"),
        ("client_id", settings.client_id),
        ("client_secret", settings.client_secret),
        ("agent login", f"{settings.agent_username} / {settings.agent_password}"),
        ("admin key", shown_admin_key(options.admin_key, key, state)),
        ("default tenant", settings.default_tenant),
        ("rate limit", f"{limit} per OAuth client" if limit else "off"),
        ("memory budget", _budget(settings.memory_budget_bytes)),
        (
            "strict",
            "on: refuses what Halo would ignore"
            if settings.strict
            else "off: reports what Halo would ignore",
        ),
        ("seed", f"{settings.snapshot or settings.seed} ({tickets_loaded} tickets)"),
        ("state dir", str(state)),
    ]:
        table.add_row(name, value)
    console = Console(soft_wrap=True)
    console.print(table)
    console.print(f"Ready on {base}", style="bold green")
    freeze_after_heavy_work()  # a served process: see mock.gil.heavy
    serve(create_app(registry=registry), sock=sock, log_level=options.log_level)


# ---------------------------------------------------------------- halo-sandbox up / halo-sandbox mcp


def _bind(host: str, port: int) -> socket.socket:
    """The listening socket for `host:port`; a busy port ends the command with a clear message (exit 1)."""
    from halo_sandbox.serving import PortInUse, bind

    try:
        return bind(host, port)
    except PortInUse as exc:
        Console(stderr=True, soft_wrap=True).print(f"[red]error:[/red] {exc.strerror}")
        raise typer.Exit(code=1) from None


def _csv(values: list[str] | None) -> list[str] | None:
    """`--tags support,crm --tags billing` -> ["support", "crm", "billing"]; None when not given."""
    if not values:
        return None
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _log_to_stderr(level: str) -> None:
    """The package's own loggers (e.g. each upstream request at debug) to stderr at `level` (uvicorn's
    names)."""
    import logging
    import sys

    logger = logging.getLogger("halo_sandbox")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
        logger.addHandler(handler)
    logger.setLevel(logging.DEBUG if level.lower() == "trace" else level.upper())


def _claude_desktop_snippet(*, base: str, client_id: str, client_secret: str) -> str:
    """A `claude_desktop_config.json` entry: Claude Desktop starts `halo-sandbox mcp` over stdio,
    pointed at the running sandbox's mock API."""
    import json
    import shutil
    import sys

    command = shutil.which("halo-sandbox") or str(Path(sys.argv[0]).resolve())
    entry = {
        "command": command,
        "args": [
            "mcp",
            "--transport",
            "stdio",
            "--halo-url",
            base,
            "--client-id",
            client_id,
            "--client-secret",
            client_secret,
        ],
    }
    return json.dumps({"mcpServers": {"halo": entry}}, indent=2)


@app.command("up")
def up(
    host: _Host = "127.0.0.1",
    port: _Port = DEFAULT_PORT,
    seed: _Seed = None,
    tickets: _Tickets = None,
    snapshot: _Snapshot = None,
    state_dir: _StateDir = None,
    admin_key: _AdminKey = None,
    client_id: _ClientId = None,
    client_secret: _ClientSecret = None,
    allow_origin: _AllowOrigin = None,
    breadth: _Breadth = None,
    tool_exposure: _ToolExposure = None,
    strict: _Strict = False,
    memory_budget: _MemoryBudget = None,
    log_level: _LogLevel = "warning",
) -> None:
    """Run the whole sandbox in one process: mock Halo tenant, MCP server (Streamable HTTP and SSE), admin
    API."""
    from rich.table import Table

    from halo_sandbox.mock.engine.gil import freeze_after_heavy_work
    from halo_sandbox.mock.exceptions import HaloError
    from halo_sandbox.sandbox import base_url, build_sandbox, served
    from halo_sandbox.serving import serve

    with _bad_parameter():
        options = Settings.from_env(
            host=host,
            port=port,
            seed=seed,
            tickets=tickets,
            snapshot=snapshot,
            state_dir=state_dir,
            admin_key=admin_key,
            client_id=client_id,
            client_secret=client_secret,
            log_level=log_level,
            allowed_origins=tuple(_csv(allow_origin) or ()),
            breadth=breadth,
            tool_exposure=tool_exposure,
            strict=strict,
            memory_budget=memory_budget,
        )
    _log_to_stderr(options.log_level)
    try:
        sandbox = build_sandbox(options)
        if options.snapshot is not None:  # load it now: a bad snapshot fails here, not at the first request
            sandbox.state.sandbox.get()
    except (ValueError, HaloError) as exc:
        raise typer.BadParameter(str(exc), param_hint="--snapshot" if options.snapshot else None) from None
    state = options.resolved_state_dir
    settings = sandbox.state.settings
    sock = _bind(options.host, options.port)  # before anything says "Ready"
    key = settings.admin_key
    base = base_url(options)
    console = Console(soft_wrap=True)
    table = Table(title="HaloITSM sandbox", show_header=False, title_justify="left")
    for name, value in [
        ("MCP (Streamable HTTP)", f"{base}/mcp"),
        ("MCP (SSE)", f"{base}/sse"),
        ("Halo API", f"{base}/api"),
        ("Token URL", f"{base}/auth/token"),
        ("Admin API", f"{base}/_sandbox"),
        ("client_id", settings.client_id),
        ("client_secret", settings.client_secret),
        ("agent login", f"{settings.agent_username} / {settings.agent_password}"),
        ("admin key", shown_admin_key(options.admin_key, key, state)),
        ("tenant", settings.default_tenant),
        ("seed", f"snapshot {options.snapshot}" if options.snapshot else str(settings.seed)),
        ("strict", "on" if settings.strict else "off"),
        ("memory budget", _budget(settings.memory_budget_bytes)),
        ("state dir", str(state)),
        (
            "tools",
            f"{'curated + generated (breadth)' if options.breadth else 'curated'}, "
            f"exposure {options.tool_exposure}",
        ),
    ]:
        table.add_row(name, value)
    console.print(table)
    console.print("Claude Code:", style="bold")
    console.print(f"  claude mcp add --transport http halo {base}/mcp", markup=False, highlight=False)
    console.print("MCP Inspector (Node >= 22):", style="bold")
    console.print(
        f"  npx -y @modelcontextprotocol/inspector@1.0.3 --cli {base}/mcp --transport http "
        "--method tools/list",
        markup=False,
        highlight=False,
    )
    console.print(
        "claude_desktop_config.json (Claude Desktop starts `halo-sandbox mcp` over stdio):",
        style="bold",
        markup=False,
    )
    console.print(
        _claude_desktop_snippet(
            base=base, client_id=settings.client_id, client_secret=settings.client_secret
        ),
        markup=False,
        highlight=False,
    )
    console.print(f"Ready on {base}", style="bold green")
    freeze_after_heavy_work()  # a served process: see mock.gil.heavy
    serve(served(sandbox), sock=sock, log_level=options.log_level)


@app.command("mcp")
def mcp(
    halo_url: Annotated[
        str | None,
        typer.Option(
            help=f"Halo instance root, e.g. https://acme.haloitsm.com (required). {_env('halo_url')}",
            show_default=False,
        ),
    ] = None,
    client_id: Annotated[
        str | None,
        typer.Option(help=f"OAuth client id (required). {_env('halo_client_id')}", show_default=False),
    ] = None,
    client_secret: Annotated[
        str | None,
        typer.Option(help=f"OAuth client secret. {_env('halo_client_secret')}", show_default=False),
    ] = None,
    username: Annotated[
        str | None,
        typer.Option(help=f"Agent login (password grant). {_env('halo_username')}", show_default=False),
    ] = None,
    password: Annotated[
        str | None,
        typer.Option(help=f"Agent password (password grant). {_env('halo_password')}", show_default=False),
    ] = None,
    tenant: Annotated[
        str | None,
        typer.Option(help=f"Halo tenant (hosted multi-tenant). {_env('halo_tenant')}", show_default=False),
    ] = None,
    transport: Annotated[
        str, typer.Option(help="stdio, http (Streamable HTTP at /mcp) or sse (/sse).")
    ] = "stdio",
    host: Annotated[str, typer.Option(help="Interface to bind (http, sse).")] = "127.0.0.1",
    port: Annotated[
        int,
        typer.Option(min=1, max=65535, help="Port to listen on (http, sse); not up's 8765, so both can run."),
    ] = DEFAULT_MCP_PORT,
    methods: Annotated[
        list[str] | None,
        typer.Option(
            help="Only these methods: read, write, or list/get/create/update/delete (comma-separated, "
            "repeatable).",
            show_default=False,
        ),
    ] = None,
    tags: Annotated[
        list[str] | None,
        typer.Option(
            help="Only tools with these tags, e.g. support,crm (comma-separated, repeatable).",
            show_default=False,
        ),
    ] = None,
    allowed_file_dir: Annotated[
        Path | None,
        typer.Option(
            help="Directory create_a_halo_itsm_attachment may read file_path from.", show_default=False
        ),
    ] = None,
    allow_origin: Annotated[
        list[str] | None,
        typer.Option(
            "--allow-origin",
            help="Browser origin allowed to call the HTTP endpoints (repeatable).",
            show_default=False,
        ),
    ] = None,
    timeout: Annotated[
        float | None,
        typer.Option(
            min=0.1,
            help=f"Seconds to wait for each Halo request \\[default: 30]. {_env('halo_timeout')}",
            show_default=False,
        ),
    ] = None,
    breadth: _Breadth = None,
    tool_exposure: _ToolExposure = None,
    log_level: Annotated[
        str, typer.Option(help="Log level (stderr); debug logs every upstream request.")
    ] = "warning",
) -> None:
    """Run the MCP server against any Halo (a real tenant or a running sandbox) over stdio, HTTP or SSE."""
    import anyio

    from halo_sandbox.server.transports import run_stdio
    from halo_sandbox.standalone import build_standalone

    if transport not in TRANSPORTS:
        raise typer.BadParameter("choose stdio, http or sse", param_hint="--transport")
    with _bad_parameter():
        options = Settings.from_env(
            halo_url=halo_url,
            halo_client_id=client_id,
            halo_client_secret=client_secret,
            halo_username=username,
            halo_password=password,
            halo_tenant=tenant,
            halo_timeout=timeout,
            transport=transport,
            host=host,
            mcp_port=port,
            log_level=log_level,
            methods=tuple(_csv(methods) or ()) or None,
            tags=tuple(_csv(tags) or ()) or None,
            allowed_file_dir=allowed_file_dir,
            allowed_origins=tuple(_csv(allow_origin) or ()),
            breadth=breadth,
            tool_exposure=tool_exposure,
        )
    _log_to_stderr(options.log_level)
    with _bad_parameter():
        server = build_standalone(options)
    err = Console(stderr=True, soft_wrap=True)
    described = f"{len(server.tools)} tools ({server.exposure})"
    if options.transport == "stdio":
        err.print(
            f"halo-sandbox mcp: {described} over stdio, Halo at {server.halo.base_url}", highlight=False
        )
        anyio.run(run_stdio, server.server())
        return
    from halo_sandbox.serving import serve

    with _bad_parameter("--allow-origin"):
        app = server.asgi_app()
    sock = _bind(options.host, options.mcp_port)
    shown = f"[{options.host}]" if ":" in options.host else options.host
    path = "/mcp" if options.transport == "http" else "/sse"
    err.print(
        f"halo-sandbox mcp: {described} at http://{shown}:{options.mcp_port}{path}, "
        f"Halo at {server.halo.base_url}",
        highlight=False,
    )
    serve(app, sock=sock, log_level=options.log_level)
