"""The MCP server alone, for `halo-sandbox mcp`: composed from the command's one `Settings` as
`sandbox.build_sandbox` composes `up`, against any Halo (a real tenant or a running sandbox).

Never imports the mock: `mcp` runs where only the server is wanted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from halo_sandbox.server.mcp_app import build_mcp_server
from halo_sandbox.server.surface.tools import Exposure, exposure_of
from halo_sandbox.server.tool_specs import ToolSpec, generate_tools, select_tools
from halo_sandbox.server.transports import mcp_asgi_app
from halo_sandbox.server.upstream import HaloClient
from halo_sandbox.server.upstream_log import UpstreamLog
from halo_sandbox.settings import ENV, Settings

if TYPE_CHECKING:
    from mcp.server.lowlevel import Server
    from starlette.applications import Starlette

__all__ = ["Standalone", "build_standalone"]


@dataclass(frozen=True, kw_only=True)
class Standalone:
    """What `mcp` serves: the selected `tools` against `halo`, built per session by `server()`."""

    settings: Settings
    tools: Sequence[ToolSpec]
    halo: HaloClient
    exposure: Exposure

    def server(self) -> Server[Any]:
        return build_mcp_server(
            halo=self.halo,
            tools=self.tools,
            allowed_file_dir=self.settings.allowed_file_dir,
            exposure=self.exposure,
        )

    def asgi_app(self) -> Starlette:
        """Streamable HTTP at ``/mcp`` (``transport="http"``) or HTTP+SSE at ``/sse`` (``"sse"``), with
        the `Host`/`Origin` checks for the bound host. Raises `ValueError` on a bad allowed origin."""
        return mcp_asgi_app(
            self.server,
            host=self.settings.host,
            allowed_origins=self.settings.allowed_origins,
            sse_path="/sse" if self.settings.transport == "sse" else None,
        )


def build_standalone(settings: Settings) -> Standalone:
    """The server `settings` describe. Raises `ValueError` naming the option on a bad one (no Halo URL
    or client id, a file directory that is not one, filters that match no tool, an unknown exposure)."""
    if not settings.halo_url:
        raise ValueError(f"the Halo URL is required (--halo-url or {ENV['halo_url']})")
    if not settings.halo_client_id:
        raise ValueError(f"the OAuth client id is required (--client-id or {ENV['halo_client_id']})")
    directory = settings.allowed_file_dir
    if directory is not None and not directory.is_dir():
        raise ValueError(f"allowed_file_dir: {directory} is not a directory")
    exposure = exposure_of(settings.tool_exposure)
    tools = select_tools(
        generate_tools(file_access=directory is not None, breadth=settings.breadth),
        methods=settings.methods,
        tags=settings.tags,
    )
    if not tools:
        raise ValueError("the --methods/--tags filters match no tool")
    halo = HaloClient(
        base_url=settings.halo_url,
        client_id=settings.halo_client_id,
        client_secret=settings.halo_client_secret,
        username=settings.halo_username,
        password=settings.halo_password,
        tenant=settings.halo_tenant,
        timeout=settings.halo_timeout,
        transport=UpstreamLog(),
    )
    return Standalone(settings=settings, tools=tools, halo=halo, exposure=exposure)
