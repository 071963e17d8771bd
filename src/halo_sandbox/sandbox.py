"""The whole sandbox as one ASGI app, for `halo-sandbox up`.

    /auth/token, /api/...            the mock Halo tenant (`halo_sandbox.mock.http.app.create_app`)
    /_sandbox/...                    the mock's control plane, plus provisioning's admin API
    /mcp                             the default MCP server (Streamable HTTP), all tools, on the mock
    /sse, /messages/                 the same server over the legacy HTTP+SSE transport
    /mcp/{token}                     provisioned MCP servers (`halo_sandbox.provisioning.routes`)
    /_sandbox/ (exact), /_sandbox/console...   the web console (`halo_sandbox.console`): every MCP tool call
                                     (recorded through `build_mcp_server`'s `on_tool_call`) joined with
                                     the mock's request journal

The MCP server talks to the in-process mock without a socket, as an ordinary OAuth client of the
default tenant: its API requests are ASGI calls of the mock's app (`server.inprocess.InProcess`), its
token requests go through `httpx.ASGITransport`. This module imports `halo_sandbox.mock`: only the
`up` command imports it, lazily, so `halo-sandbox mcp` never depends on the mock.
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from halo_sandbox.console import ControlPlane, ToolCallJournal, console_routes
from halo_sandbox.guard import AdminGuard
from halo_sandbox.provisioning.registry import Registry
from halo_sandbox.provisioning.routes import ProvisioningRoutes, build_routes
from halo_sandbox.provisioning.state_files import ensure_state_dir, private_file
from halo_sandbox.server.mcp_app import build_mcp_server
from halo_sandbox.server.surface.tools import exposure_of
from halo_sandbox.server.transports import (
    WILDCARD_HOSTS,
    mcp_asgi_app,
    security_settings,
    session_manager_factory,
)
from halo_sandbox.server.upstream import HaloClient
from halo_sandbox.server.upstream_log import UpstreamLog
from halo_sandbox.settings import ADMIN_KEY_FILE, Settings

if TYPE_CHECKING:
    from halo_sandbox.mock.config import MockSettings

__all__ = ["base_url", "build_sandbox", "mock_config", "served", "stored_admin_key"]

_MOCK_BASE = "http://halo-sandbox.internal"
MCP_CLIENT_ID = "halo-sandbox-mcp"
"""OAuth client id of the built-in MCP server (its secret is random per process)."""


def base_url(settings: Settings) -> str:
    """Where clients on this machine reach the sandbox (a wildcard bind is shown as 127.0.0.1)."""
    host = "127.0.0.1" if settings.host in WILDCARD_HOSTS else settings.host
    host = f"[{host}]" if ":" in host else host
    return f"http://{host}:{settings.port}"


def _as_on_a_socket(app: ASGIApp) -> ASGIApp:
    """The mock as the in-process MCP server sees it, failing as it would over a socket: an
    exception before the response starts is a 500 (uvicorn's answer), one after it started (a
    ``drop`` fault abandons a started response) reaches httpx as a transport error."""

    async def wrapped(scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def tracking(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await app(scope, receive, tracking)
        except Exception:
            if started:
                raise
            await send(
                {
                    "type": "http.response.start",
                    "status": 500,
                    "headers": [(b"content-type", b"text/plain; charset=utf-8")],
                }
            )
            await send({"type": "http.response.body", "body": b"Internal Server Error"})

    return wrapped


def stored_admin_key(state_dir: Path) -> str:
    """The admin key kept in ``state_dir/admin-key``; generated (and stored, mode 0600 from creation) when
    absent."""
    path = ensure_state_dir(state_dir) / ADMIN_KEY_FILE
    key = secrets.token_urlsafe(24)
    if not private_file(path, (key + "\n").encode()):
        stored = path.read_text(encoding="utf-8").strip()
        if stored:
            return stored
        path.write_text(key + "\n", encoding="utf-8")
    return key


def mock_config(
    settings: Settings,
    *,
    base_url: str | None = None,
    extra_clients: tuple[tuple[str, str], ...] = (),
    allowed_hosts: tuple[str, ...] | None = None,
    allowed_origins: tuple[str, ...] = (),
) -> MockSettings:
    """The mock's own options derived from the command's settings: unset credentials keep the mock's
    defaults, the admin key is the one given, else the one kept in the state dir. The sandbox's fields
    are checked here, once, by `MockSettings` and `RateLimit.parse`: a bad one raises `ValueError`."""
    from halo_sandbox.mock import config

    return config.MockSettings(
        seed=settings.seed,
        tickets=settings.tickets,
        snapshot=settings.snapshot,
        strict=settings.strict,
        rate_limit=config.RateLimit.parse(settings.rate_limit),
        memory_budget_bytes=config.parse_memory_budget(settings.memory_budget),
        admin_key=settings.admin_key or stored_admin_key(settings.resolved_state_dir),
        client_id=config.DEFAULT_CLIENT_ID if settings.client_id is None else settings.client_id,
        client_secret=config.DEFAULT_CLIENT_SECRET
        if settings.client_secret is None
        else settings.client_secret,
        agent_username=config.DEFAULT_AGENT_USERNAME
        if settings.agent_username is None
        else settings.agent_username,
        agent_password=config.DEFAULT_AGENT_PASSWORD
        if settings.agent_password is None
        else settings.agent_password,
        extra_clients=extra_clients,
        base_url=base_url,
        allowed_hosts=allowed_hosts,
        allowed_origins=allowed_origins,
    )


def build_sandbox(options: Settings) -> Starlette:
    """The composed app for `options` (host, port, state dir, admin key, seed, tickets, rate limit,
    credentials, allowed origins, breadth, tool exposure). `app.state.settings` holds the mock's
    settings (credentials to print), `app.state.sandbox` the mock's tenant registry. Raises
    `ValueError` on a bad option."""
    from halo_sandbox.mock.http.app import create_app
    from halo_sandbox.mock.http.hostguard import HostOriginGuard

    exposure = exposure_of(options.tool_exposure)
    # The built-in MCP server is an OAuth client of its own, so it never shares a rate-limit bucket
    # (or a secret) with whoever uses the printed credentials.
    own_client = (MCP_CLIENT_ID, secrets.token_urlsafe(24))
    settings = mock_config(options, base_url=base_url(options), extra_clients=(own_client,))
    mock = create_app(settings)
    mock_on_a_socket = _as_on_a_socket(mock)
    to_mock = httpx.ASGITransport(app=mock_on_a_socket)
    cursor_secret = secrets.token_bytes(32)
    clients: dict[str, HaloClient] = {}

    def halo_for(tenant: str) -> HaloClient:
        if tenant not in clients:
            clients[tenant] = HaloClient(
                base_url=_MOCK_BASE,
                client_id=own_client[0],
                client_secret=own_client[1],
                tenant=tenant,
                transport=UpstreamLog(to_mock),
                app=mock_on_a_socket,
            )
        return clients[tenant]

    tool_calls = ToolCallJournal()

    def build_server(
        *, halo: HaloClient, tools: Any = None, exposure: Any = "all", cache_scope: Any = "private"
    ) -> Any:
        return build_mcp_server(
            halo=halo,
            tools=tools,
            cursor_secret=cursor_secret,
            on_tool_call=tool_calls.record,
            breadth=options.breadth,
            exposure=exposure,
            cache_scope=cache_scope,
        )

    security = security_settings(host=options.host, allowed_origins=options.allowed_origins)
    default = halo_for(settings.default_tenant)
    mcp = mcp_asgi_app(
        lambda: build_server(halo=default, exposure=exposure, cache_scope="public"),
        security=security,
    )
    registry = Registry(options.resolved_state_dir, tool_filter=_tool_filter(breadth=options.breadth))
    guard = AdminGuard(
        settings.admin_key
    )  # one admin check (key, Bearer, console session) for console and provisioning
    provisioning = _provisioning_routes(
        options,
        admin_key=settings.admin_key or "",
        registry=registry,
        halo_for=halo_for,
        build_server=build_server,
        security=security,
        guard=guard,
    )
    control = ControlPlane(base_url=_MOCK_BASE, admin_key=settings.admin_key, transport=to_mock)
    console = console_routes(
        control=control,
        calls=tool_calls,
        guard=guard,
        servers=lambda: [s.to_dict() for s in registry.list_servers()],
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            await stack.enter_async_context(mcp.router.lifespan_context(mcp))
            await stack.enter_async_context(provisioning.lifespan(app))
            try:
                yield
            finally:
                for client in clients.values():
                    await client.aclose()
                await control.aclose()

    # `/mcp`, `/sse` and `/messages/` first: no other route's path overlaps theirs, and an MCP request
    # then skips matching the 27 console and provisioning routes (~2% of a tool call's CPU)
    routes: list[BaseRoute] = [*mcp.routes, *console, *provisioning, Mount("/", app=mock)]
    host_guard = Middleware(
        HostOriginGuard, allowed_hosts=security.allowed_hosts, allowed_origins=security.allowed_origins
    )
    app = Starlette(
        routes=routes, lifespan=lifespan, middleware=[host_guard]
    )  # one Host/Origin policy for every route
    app.state.settings = settings
    app.state.sandbox = mock.state.sandbox
    app.state.tool_calls = tool_calls
    return app


def served(app: Starlette) -> ASGIApp:
    """What to hand to uvicorn: `app` wrapped so the mock's `drop` faults can abort the client's socket
    (the mock is mounted inside this app, so it cannot see uvicorn's connection by itself)."""
    from halo_sandbox.mock.http.app import remember_connection

    return remember_connection(app)


def _tool_filter(*, breadth: bool) -> Any:
    """What provisioned filters select from: the curated tools, plus the generated ones when the
    sandbox runs with breadth or the provisioned server's `config.breadth` asks for them."""
    from halo_sandbox.server.tool_specs import generate_tools, select_tools

    def select(*, methods: Any, tags: Any, breadth: bool = False) -> list[Any]:
        return select_tools(generate_tools(breadth=breadth or default_breadth), methods=methods, tags=tags)

    default_breadth = breadth

    return select


def _provisioning_routes(
    options: Settings,
    *,
    admin_key: str,
    registry: Registry,
    halo_for: Any,
    build_server: Any,
    security: Any,
    guard: AdminGuard,
) -> ProvisioningRoutes:
    """Provisioned servers (`/mcp/{token}` and `/_sandbox/integrated-account/...`), mounted here with the
    same server builder, session managers and Host/Origin checks as `/mcp`; an account with no
    registered Halo is the mock tenant of that name."""
    return build_routes(
        registry,
        admin_key=admin_key,
        halo_for_account=halo_for,
        base_url=base_url(options),
        build_server=build_server,
        session_manager=session_manager_factory(security=security),
        security=security,
        guard=guard,
    )
