"""What the MCP server offers besides tools: resources, prompts, completions and logging.

`context_handlers(halo=...)` returns the `on_*` handlers that `mcp_app.build_mcp_server` merges
into the low-level `Server(...)`:

- **Resources** (read live from Halo through the `HaloClient`): the lookup tables an agent needs
  to turn names into ids, `halo://lookups/{statuses,priorities,teams,agents,ticket_types,slas}`,
  and the template `halo://tickets/{id}` (one ticket).
- **Prompts**: the two seed workflows, `triage_request(client, problem)` and
  `project_health(project)`, as step-by-step instructions naming the tools to call.
- **Completions**: prompt arguments (`client` -> client names, `project` -> project names) and the
  template's `id` (ticket ids) from live data.
- **Logging**: `logging/setLevel` (handshake-era sessions; default level `info`) sets the level per
  connection. `UpstreamLog` (an httpx transport wrapper given to `HaloClient`) logs every upstream
  request at `debug` to Python logging and, when `instrument(server)` was applied, to the MCP client
  as a `notifications/message` on the request's stream (2026-07-28 sessions: only when the request
  opted in through `_meta`, which the SDK enforces).

Not implemented: resource subscriptions (`resources/subscribe`) and list-changed notifications.
"""

from __future__ import annotations

import contextvars
import json
import logging
import time
import warnings
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
import mcp_types as types
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.server.lowlevel import Server
from mcp.shared.exceptions import MCPDeprecationWarning, MCPError
from mcp_types import INVALID_PARAMS
from mcp_types.version import MODERN_PROTOCOL_VERSIONS

from .errors import UpstreamError
from .upstream import HaloClient, parse_body, upstream_error

__all__ = [
    "LOOKUPS",
    "PROMPTS",
    "TICKET_TEMPLATE",
    "Lookup",
    "RequestContextMiddleware",
    "UpstreamLog",
    "context_handlers",
    "instrument",
]

logger = logging.getLogger("halo_sandbox.upstream")

RESOURCE_NOT_FOUND = -32002  # the MCP spec's error code for an unknown resource URI
JSON = "application/json"
LEVELS: tuple[types.LoggingLevel, ...] = ("debug", "info", "notice", "warning", "error", "critical", "alert",
                                          "emergency")
DEFAULT_LEVEL: types.LoggingLevel = "info"
LOG_NAME = "halo.upstream"


# ---------------------------------------------------------------- the declarative tables


@dataclass(frozen=True, kw_only=True)
class Lookup:
    """One lookup-table resource: `halo://lookups/{name}` read from Halo's `path`."""

    name: str
    path: str
    title: str
    description: str

    @property
    def uri(self) -> str:
        return f"halo://lookups/{self.name}"


LOOKUPS: tuple[Lookup, ...] = (
    Lookup(name="statuses", path="/Status", title="Ticket statuses",
           description="Ticket statuses (id, name). Open = not Closed (9) or Cancelled (8)."),
    Lookup(name="priorities", path="/Priority", title="Priorities",
           description="Priorities; a ticket's priority_id refers to `priorityid`."),
    Lookup(name="teams", path="/Team", title="Teams",
           description="Support teams (id, name); a ticket's team_id refers to `id`."),
    Lookup(name="agents", path="/Agent", title="Agents",
           description="Agents (id, name, team); a ticket's agent_id refers to `id`."),
    Lookup(name="ticket_types", path="/TicketType", title="Ticket types",
           description="Ticket types (id, name, use: reqs tickets, prjs projects, opps opportunities)."),
    Lookup(name="slas", path="/SLA", title="SLAs",
           description="Service level agreements; a ticket's sla_id refers to `id`."),
)

TICKET_TEMPLATE = types.ResourceTemplate(
    uri_template="halo://tickets/{id}", name="ticket", title="Ticket by id", mime_type=JSON,
    description="One ticket, read live from Halo (GET /Tickets/{id}), with its status, team, SLA and client.",
)
_TICKET_PREFIX = "halo://tickets/"


@dataclass(frozen=True, kw_only=True)
class _PromptSpec:
    prompt: types.Prompt
    render: Callable[[Mapping[str, str]], str]
    completions: Mapping[str, Callable[[HaloClient, str], Awaitable[list[str]]]]


def _triage(args: Mapping[str, str]) -> str:
    return (
        f"Triage this request from the client \"{args['client']}\": {args['problem']}\n\n"
        "Work in HaloITSM with the tools, step by step:\n"
        f"1. Find the client: list_all_halo_itsm_clients with search=\"{args['client']}\" and note its id.\n"
        "2. Look at the client's open tickets: list_all_halo_itsm_tickets with client_id=<id> and "
        "open_only=true. If one already covers this problem, add to it instead of creating a duplicate.\n"
        "3. Pick the right team: list_all_halo_itsm_teams (or read halo://lookups/teams) and choose the team "
        "whose remit matches the problem (e.g. Identity for sign-in and account problems, Network Operations "
        "for connectivity).\n"
        "4. Create the ticket: create_a_halo_itsm_ticket with client_id, team_id, a short summary and the "
        "problem as details.\n"
        "5. Ask for what is missing: create_a_halo_itsm_action on the new ticket (ticket_id) with a note "
        "asking the user for the exact error code or message they see.\n"
        "6. Report the ticket id, the team and the question you asked.\n"
        "Errors are returned as-is (with status and rate-limit fields) and never retried for you: on a 429, "
        "wait for `retry_after` seconds before trying again."
    )


def _project_health(args: Mapping[str, str]) -> str:
    return (
        f"Report on the health of the project \"{args['project']}\".\n\n"
        "Work in HaloITSM with the tools, step by step:\n"
        "1. Find the project: list_all_halo_itsm_projects with search set to the project name; note its id "
        "and its client (client_id, client_name).\n"
        "2. Confirm the client: get_single_halo_itsm_client_by_id with that client_id.\n"
        "3. Read the latest activity: list_all_halo_itsm_actions with ticket_id=<project id>; summarise the "
        "most recent actions (who, when, what).\n"
        "4. Check billing: list_all_halo_itsm_quotes with awaiting_approval=true and ticket_id=<project id> "
        "(then client_id=<client id> for the client's other quotes); list each unapproved quote with its total.\n"
        "5. Summarise: status, latest progress, open risks, and the quotes awaiting approval."
    )


async def _client_names(halo: HaloClient, value: str) -> list[str]:
    rows = await _rows(halo, "/Client", params={"search": value, "count": 50} if value else {"count": 50})
    return [str(r["name"]) for r in rows if isinstance(r, Mapping) and r.get("name")]


async def _project_names(halo: HaloClient, value: str) -> list[str]:
    rows = await _rows(halo, "/Projects", params={"search": value, "count": 50} if value else {"count": 50})
    return [str(r["summary"]) for r in rows if isinstance(r, Mapping) and r.get("summary")]


PROMPTS: dict[str, _PromptSpec] = {
    spec.prompt.name: spec
    for spec in (
        _PromptSpec(
            prompt=types.Prompt(
                name="triage_request", title="Triage a client's request",
                description="Find the client, check its open tickets, pick the right team, create a ticket and "
                            "ask the user for the error code.",
                arguments=[
                    types.PromptArgument(name="client", required=True,
                                         description="The client's name as it appears in Halo, e.g. "
                                                     "\"Wayne Enterprises\" (completable)."),
                    types.PromptArgument(name="problem", required=True,
                                         description="What the user reported, in their words."),
                ],
            ),
            render=_triage,
            completions={"client": _client_names},
        ),
        _PromptSpec(
            prompt=types.Prompt(
                name="project_health", title="Project health and billing",
                description="Client -> project -> latest actions -> unapproved quotes, summarised.",
                arguments=[
                    types.PromptArgument(name="project", required=True,
                                         description="The project's name (its summary in Halo), e.g. "
                                                     "\"Stark Industries Cloud Migration\" (completable)."),
                ],
            ),
            render=_project_health,
            completions={"project": _project_names},
        ),
    )
}


# ---------------------------------------------------------------- upstream access


def _records(body: Any) -> list[Any]:
    """The rows of a Halo list answer: a bare array, or the one list in an envelope."""
    if isinstance(body, list):
        return body
    if isinstance(body, dict):
        lists = [v for v in body.values() if isinstance(v, list)]
        if len(lists) == 1:
            return lists[0]
    return []


def _body_or_raise(response: httpx.Response) -> Any:
    """The parsed body of a 2xx answer; any other answer is an MCP error carrying Halo's status and body."""
    body = parse_body(response)
    if not response.is_success:
        error = upstream_error(response, body)
        raise MCPError(code=types.INTERNAL_ERROR, message=f"Halo answered {response.status_code}: {error.message}",
                       data={"status": response.status_code, "body": body, "ratelimit": error.ratelimit,
                             "retry_after": error.retry_after})
    return body


async def _request(halo: HaloClient, path: str, *, params: Mapping[str, Any] | None = None) -> httpx.Response:
    """One GET to Halo; Halo unreachable or refusing the credentials is an MCP error saying so."""
    try:
        return await halo.request("GET", path, params=params)
    except UpstreamError as exc:
        raise MCPError(code=types.INTERNAL_ERROR, message=exc.message,
                       data={"status": exc.status, "body": exc.body}) from None


async def _get(halo: HaloClient, path: str, *, params: Mapping[str, Any] | None = None) -> Any:
    return _body_or_raise(await _request(halo, path, params=params))


async def _rows(halo: HaloClient, path: str, *, params: Mapping[str, Any] | None = None) -> list[Any]:
    return _records(await _get(halo, path, params=params))


def _text(uri: str, data: Any) -> types.ReadResourceResult:
    return types.ReadResourceResult(contents=[types.TextResourceContents(uri=uri, mime_type=JSON,
                                                                          text=json.dumps(data, default=str))])


# ---------------------------------------------------------------- logging


_current: contextvars.ContextVar[ServerRequestContext[Any] | None] = contextvars.ContextVar(
    "halo_sandbox_mcp_request", default=None)
_FALLBACK_STATE: dict[str, Any] = {}


def _connection_state(ctx: ServerRequestContext[Any]) -> dict[str, Any]:
    # The SDK keeps per-connection state on `Connection.state`; the session exposes it only privately.
    connection = getattr(ctx.session, "_connection", None)
    state = getattr(connection, "state", None)
    return state if isinstance(state, dict) else _FALLBACK_STATE


def _wants(ctx: ServerRequestContext[Any], level: types.LoggingLevel) -> bool:
    if ctx.protocol_version in MODERN_PROTOCOL_VERSIONS:
        return True  # 2026-07-28+: the request's own `_meta` opt-in decides, enforced by the SDK's session
    minimum = _connection_state(ctx).get("log_level", DEFAULT_LEVEL)
    return LEVELS.index(level) >= LEVELS.index(minimum)


async def _send_log(level: types.LoggingLevel, data: Any) -> None:
    ctx = _current.get()
    if ctx is None or ctx.request_id is None or not _wants(ctx, level):
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", MCPDeprecationWarning)
        try:
            await ctx.session.send_log_message(level, data, logger=LOG_NAME, related_request_id=ctx.request_id)
        except Exception:  # the client went away or the channel closed; logging must never break a call
            logger.debug("could not deliver a log notification", exc_info=True)


class RequestContextMiddleware:
    """Server middleware remembering the MCP request being handled (for `UpstreamLog`)."""

    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        token = _current.set(ctx)
        try:
            return await call_next(ctx)
        finally:
            _current.reset(token)


def instrument(server: Server[Any]) -> Server[Any]:
    """Let `UpstreamLog` reach the MCP client of the request being served; returns `server`."""
    if not any(isinstance(m, RequestContextMiddleware) for m in server.middleware):
        server.middleware.append(RequestContextMiddleware())
    return server


class UpstreamLog(httpx.AsyncBaseTransport):
    """Wraps the transport of a `HaloClient`: logs each upstream request (method, path, status, time)
    at `debug`; never logs headers or bodies (they carry credentials)."""

    def __init__(self, inner: httpx.AsyncBaseTransport | None = None) -> None:
        self._inner = inner or httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        started = time.perf_counter()
        target = request.url.raw_path.decode("ascii", "replace")
        try:
            response = await self._inner.handle_async_request(request)
        except Exception as exc:
            logger.debug("%s %s failed: %s", request.method, target, exc)
            await _send_log("debug", {"method": request.method, "path": target, "error": str(exc) or type(exc).__name__})
            raise
        elapsed = round((time.perf_counter() - started) * 1000, 1)
        logger.debug("%s %s -> %s (%.1f ms)", request.method, target, response.status_code, elapsed)
        await _send_log("debug", {"method": request.method, "path": target, "status": response.status_code,
                                  "elapsed_ms": elapsed})
        return response

    async def aclose(self) -> None:
        await self._inner.aclose()


# ---------------------------------------------------------------- handlers


def context_handlers(*, halo: HaloClient) -> dict[str, Callable[..., Any]]:
    """The resource, prompt, completion and logging handlers for `Server(...)`."""
    lookups = {lookup.uri: lookup for lookup in LOOKUPS}
    listing = types.ListResourcesResult(resources=[
        types.Resource(uri=lookup.uri, name=lookup.name, title=lookup.title, description=lookup.description,
                       mime_type=JSON)
        for lookup in LOOKUPS
    ])
    prompt_listing = types.ListPromptsResult(prompts=[spec.prompt for spec in PROMPTS.values()])

    async def on_list_resources(ctx: ServerRequestContext[Any],
                                params: types.PaginatedRequestParams | None) -> types.ListResourcesResult:
        return listing

    async def on_list_resource_templates(ctx: ServerRequestContext[Any],
                                         params: types.PaginatedRequestParams | None
                                         ) -> types.ListResourceTemplatesResult:
        return types.ListResourceTemplatesResult(resource_templates=[TICKET_TEMPLATE])

    async def on_read_resource(ctx: ServerRequestContext[Any],
                               params: types.ReadResourceRequestParams) -> types.ReadResourceResult:
        uri = str(params.uri)
        lookup = lookups.get(uri)
        if lookup is not None:
            return _text(uri, await _rows(halo, lookup.path))
        if uri.startswith(_TICKET_PREFIX):
            ticket_id = uri.removeprefix(_TICKET_PREFIX)
            if not ticket_id.isdigit():
                raise MCPError(code=INVALID_PARAMS, message=f"ticket id must be a positive integer, got {ticket_id!r}")
            response = await _request(halo, f"/Tickets/{int(ticket_id)}")
            if response.status_code == 404:
                raise MCPError(code=RESOURCE_NOT_FOUND, message=f"ticket {ticket_id} not found", data={"uri": uri})
            return _text(uri, _body_or_raise(response))
        raise MCPError(code=RESOURCE_NOT_FOUND, message=f"unknown resource {uri!r}", data={"uri": uri})

    async def on_list_prompts(ctx: ServerRequestContext[Any],
                              params: types.PaginatedRequestParams | None) -> types.ListPromptsResult:
        return prompt_listing

    async def on_get_prompt(ctx: ServerRequestContext[Any],
                            params: types.GetPromptRequestParams) -> types.GetPromptResult:
        spec = PROMPTS.get(params.name)
        if spec is None:
            raise MCPError(code=INVALID_PARAMS, message=f"unknown prompt {params.name!r}; "
                                                         f"prompts: {', '.join(PROMPTS)}")
        args = dict(params.arguments or {})
        names = [a.name for a in spec.prompt.arguments or []]
        unknown = sorted(set(args) - set(names))
        missing = [n for n in names if not str(args.get(n) or "").strip()]
        if unknown or missing:
            problems = ([f"missing: {', '.join(missing)}"] if missing else []) + (
                [f"unknown: {', '.join(unknown)}"] if unknown else [])
            raise MCPError(code=INVALID_PARAMS, message=f"prompt {params.name!r} arguments {'; '.join(problems)}")
        return types.GetPromptResult(
            description=spec.prompt.description,
            messages=[types.PromptMessage(role="user", content=types.TextContent(text=spec.render(args)))],
        )

    async def on_completion(ctx: ServerRequestContext[Any],
                            params: types.CompleteRequestParams) -> types.CompleteResult:
        value = params.argument.value
        values: list[str] = []
        if isinstance(params.ref, types.PromptReference):
            spec = PROMPTS.get(params.ref.name)
            complete = spec.completions.get(params.argument.name) if spec is not None else None
            if complete is not None:
                values = await complete(halo, value)
        elif params.ref.uri == TICKET_TEMPLATE.uri_template and params.argument.name == "id":
            rows = await _rows(halo, "/Tickets", params={"count": 100, "order": "id", "orderdesc": "true"})
            values = [str(r["id"]) for r in rows if isinstance(r, Mapping) and "id" in r]
        needle = value.casefold()
        matches = [v for v in dict.fromkeys(values) if needle in v.casefold()]
        matches.sort(key=lambda v: (not v.casefold().startswith(needle), v.casefold()))
        return types.CompleteResult(completion=types.Completion(values=matches[:100], total=len(matches),
                                                                has_more=len(matches) > 100))

    async def on_set_logging_level(ctx: ServerRequestContext[Any],
                                   params: types.SetLevelRequestParams) -> types.EmptyResult:
        _connection_state(ctx)["log_level"] = params.level
        return types.EmptyResult()

    return {
        "on_list_resources": on_list_resources,
        "on_list_resource_templates": on_list_resource_templates,
        "on_read_resource": on_read_resource,
        "on_list_prompts": on_list_prompts,
        "on_get_prompt": on_get_prompt,
        "on_completion": on_completion,
        "on_set_logging_level": on_set_logging_level,
    }
