"""`resources/list`, `resources/templates/list` and `resources/read`: what an agent reads to turn names into
ids.

- `LOOKUPS`: the lookup tables `halo://lookups/{statuses,priorities,teams,agents,ticket_types,slas}`,
  each read live from its Halo path.
- `TICKET_TEMPLATE`: `halo://tickets/{id}`, one ticket (`GET /Tickets/{id}`); its `id` is completed
  from the newest tickets (`TEMPLATE_COMPLETIONS`, used by `.completions`).

An unknown URI or a ticket Halo does not have is the spec's resource-not-found error (-32002); a
non-numeric ticket id is INVALID_PARAMS; other upstream failures are described in `.reads`.

Not implemented: resource subscriptions (`resources/subscribe`) and list-changed notifications.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import mcp_types as types
from mcp.server.context import ServerRequestContext
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS

from halo_sandbox.server.surface.completions import Completer, ticket_ids
from halo_sandbox.server.surface.halo_reads import body_or_raise, request, rows
from halo_sandbox.server.upstream import HaloClient

__all__ = ["LOOKUPS", "TEMPLATE_COMPLETIONS", "TICKET_TEMPLATE", "LookupResource", "resource_handlers"]

RESOURCE_NOT_FOUND = -32002  # the MCP spec's error code for an unknown resource URI
JSON = "application/json"


@dataclass(frozen=True, kw_only=True)
class LookupResource:
    """One lookup-table resource: `halo://lookups/{name}` read from Halo's `path`."""

    name: str
    path: str
    title: str
    description: str

    @property
    def uri(self) -> str:
        return f"halo://lookups/{self.name}"


LOOKUPS: tuple[LookupResource, ...] = (
    LookupResource(
        name="statuses",
        path="/Status",
        title="Ticket statuses",
        description="Ticket statuses (id, name). Open = not Closed (9) or Cancelled (8).",
    ),
    LookupResource(
        name="priorities",
        path="/Priority",
        title="Priorities",
        description="Priorities; a ticket's priority_id refers to `priorityid`.",
    ),
    LookupResource(
        name="teams",
        path="/Team",
        title="Teams",
        description="Support teams (id, name); a ticket's team_id refers to `id`.",
    ),
    LookupResource(
        name="agents",
        path="/Agent",
        title="Agents",
        description="Agents (id, name, team); a ticket's agent_id refers to `id`.",
    ),
    LookupResource(
        name="ticket_types",
        path="/TicketType",
        title="Ticket types",
        description="Ticket types (id, name, use: reqs tickets, prjs projects, opps opportunities).",
    ),
    LookupResource(
        name="slas",
        path="/SLA",
        title="SLAs",
        description="Service level agreements; a ticket's sla_id refers to `id`.",
    ),
)

TICKET_TEMPLATE = types.ResourceTemplate(
    uri_template="halo://tickets/{id}",
    name="ticket",
    title="Ticket by id",
    mime_type=JSON,
    description="One ticket, read live from Halo (GET /Tickets/{id}), with its status, team, SLA and client.",
)
_TICKET_PREFIX = "halo://tickets/"


TEMPLATE_COMPLETIONS: Mapping[str, Mapping[str, Completer]] = {
    TICKET_TEMPLATE.uri_template: {"id": ticket_ids}
}


def _text(uri: str, data: Any) -> types.ReadResourceResult:
    return types.ReadResourceResult(
        contents=[types.TextResourceContents(uri=uri, mime_type=JSON, text=json.dumps(data, default=str))]
    )


def resource_handlers(*, halo: HaloClient) -> dict[str, Any]:
    """`on_list_resources`, `on_list_resource_templates` and `on_read_resource` for `Server(...)`."""
    lookups = {lookup.uri: lookup for lookup in LOOKUPS}
    listing = types.ListResourcesResult(
        resources=[
            types.Resource(
                uri=lookup.uri,
                name=lookup.name,
                title=lookup.title,
                description=lookup.description,
                mime_type=JSON,
            )
            for lookup in LOOKUPS
        ]
    )
    templates = types.ListResourceTemplatesResult(resource_templates=[TICKET_TEMPLATE])

    async def on_list_resources(
        ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None
    ) -> types.ListResourcesResult:
        return listing

    async def on_list_resource_templates(
        ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None
    ) -> types.ListResourceTemplatesResult:
        return templates

    async def on_read_resource(
        ctx: ServerRequestContext[Any], params: types.ReadResourceRequestParams
    ) -> types.ReadResourceResult:
        uri = str(params.uri)
        lookup = lookups.get(uri)
        if lookup is not None:
            return _text(uri, await rows(halo, lookup.path))
        if uri.startswith(_TICKET_PREFIX):
            ticket_id = uri.removeprefix(_TICKET_PREFIX)
            if not ticket_id.isdigit():
                raise MCPError(
                    code=INVALID_PARAMS, message=f"ticket id must be a positive integer, got {ticket_id!r}"
                )
            response = await request(halo, f"/Tickets/{int(ticket_id)}")
            if response.status_code == 404:
                raise MCPError(
                    code=RESOURCE_NOT_FOUND, message=f"ticket {ticket_id} not found", data={"uri": uri}
                )
            return _text(uri, body_or_raise(response))
        raise MCPError(code=RESOURCE_NOT_FOUND, message=f"unknown resource {uri!r}", data={"uri": uri})

    return {
        "on_list_resources": on_list_resources,
        "on_list_resource_templates": on_list_resource_templates,
        "on_read_resource": on_read_resource,
    }
