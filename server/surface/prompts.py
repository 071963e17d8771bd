"""`prompts/list` and `prompts/get`: the two seed workflows as step-by-step instructions naming the tools.

- `triage_request(client, problem)`: find the client, check its open tickets, pick the team, create a
  ticket and ask the user for the error code.
- `project_health(project)`: client -> project -> latest actions -> unapproved quotes.

`PROMPTS` is the table: one `PromptSpec` per prompt (the listing, the renderer, the completers of
its arguments, used by `.completions`). `prompts/get` refuses unknown prompts, missing or blank
arguments and unknown arguments with INVALID_PARAMS.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import mcp_types as types
from mcp.server.context import ServerRequestContext
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS

from halo_sandbox.server.surface.completions import Completer, client_names, project_names

__all__ = ["PROMPTS", "PromptSpec", "prompt_handlers"]


@dataclass(frozen=True, kw_only=True)
class PromptSpec:
    """One prompt: what `prompts/list` shows, how `prompts/get` renders it, and its arguments' completers."""

    prompt: types.Prompt
    render: Callable[[Mapping[str, str]], str]
    completions: Mapping[str, Completer]


def _triage(args: Mapping[str, str]) -> str:
    return (
        f'Triage this request from the client "{args["client"]}": {args["problem"]}\n\n'
        "Work in HaloITSM with the tools, step by step:\n"
        f'1. Find the client: list_all_halo_itsm_clients with search="{args["client"]}" and note its id.\n'
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
        f'Report on the health of the project "{args["project"]}".\n\n'
        "Work in HaloITSM with the tools, step by step:\n"
        "1. Find the project: list_all_halo_itsm_projects with search set to the project name; note its id "
        "and its client (client_id, client_name).\n"
        "2. Confirm the client: get_single_halo_itsm_client_by_id with that client_id.\n"
        "3. Read the latest activity: list_all_halo_itsm_actions with ticket_id=<project id>; summarise the "
        "most recent actions (who, when, what).\n"
        "4. Check billing: list_all_halo_itsm_quotes with awaiting_approval=true and ticket_id=<project id> "
        "(then client_id=<client id> for the client's other quotes); list each unapproved quote with its "
        "total.\n"
        "5. Summarise: status, latest progress, open risks, and the quotes awaiting approval."
    )


PROMPTS: dict[str, PromptSpec] = {
    spec.prompt.name: spec
    for spec in (
        PromptSpec(
            prompt=types.Prompt(
                name="triage_request",
                title="Triage a client's request",
                description="Find the client, check its open tickets, pick the right team, create a "
                "ticket and "
                "ask the user for the error code.",
                arguments=[
                    types.PromptArgument(
                        name="client",
                        required=True,
                        description="The client's name as it appears in Halo, e.g. "
                        '"Wayne Enterprises" (completable).',
                    ),
                    types.PromptArgument(
                        name="problem", required=True, description="What the user reported, in their words."
                    ),
                ],
            ),
            render=_triage,
            completions={"client": client_names},
        ),
        PromptSpec(
            prompt=types.Prompt(
                name="project_health",
                title="Project health and billing",
                description="Client -> project -> latest actions -> unapproved quotes, summarised.",
                arguments=[
                    types.PromptArgument(
                        name="project",
                        required=True,
                        description="The project's name (its summary in Halo), e.g. "
                        '"Stark Industries Cloud Migration" (completable).',
                    ),
                ],
            ),
            render=_project_health,
            completions={"project": project_names},
        ),
    )
}


def prompt_handlers() -> dict[str, Any]:
    """`on_list_prompts` and `on_get_prompt` for `Server(...)`."""
    listing = types.ListPromptsResult(prompts=[spec.prompt for spec in PROMPTS.values()])

    async def on_list_prompts(
        ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None
    ) -> types.ListPromptsResult:
        return listing

    async def on_get_prompt(
        ctx: ServerRequestContext[Any], params: types.GetPromptRequestParams
    ) -> types.GetPromptResult:
        spec = PROMPTS.get(params.name)
        if spec is None:
            raise MCPError(
                code=INVALID_PARAMS, message=f"unknown prompt {params.name!r}; prompts: {', '.join(PROMPTS)}"
            )
        args = dict(params.arguments or {})
        names = [a.name for a in spec.prompt.arguments or []]
        unknown = sorted(set(args) - set(names))
        missing = [n for n in names if not str(args.get(n) or "").strip()]
        if unknown or missing:
            problems = ([f"missing: {', '.join(missing)}"] if missing else []) + (
                [f"unknown: {', '.join(unknown)}"] if unknown else []
            )
            raise MCPError(
                code=INVALID_PARAMS, message=f"prompt {params.name!r} arguments {'; '.join(problems)}"
            )
        return types.GetPromptResult(
            description=spec.prompt.description,
            messages=[types.PromptMessage(role="user", content=types.TextContent(text=spec.render(args)))],
        )

    return {"on_list_prompts": on_list_prompts, "on_get_prompt": on_get_prompt}
