"""`completion/complete`: prompt arguments and resource-template variables completed from live Halo data.

The completers are declared next to what they complete: each prompt's `completions` field
(`.prompts.PROMPTS`) and the template table (`.resources.TEMPLATE_COMPLETIONS`). A reference or
argument with no completer completes to nothing. Values are de-duplicated, filtered by the typed
prefix anywhere in the value (case-insensitive), prefix matches first, at most 100 returned.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import mcp_types as types
from mcp.server.context import ServerRequestContext

from halo_sandbox.server.surface.halo_reads import rows
from halo_sandbox.server.upstream import HaloClient

__all__ = ["Completer", "client_names", "completion_handlers", "project_names", "ticket_ids"]

Completer = Callable[[HaloClient, str], Awaitable[list[str]]]
"""`(halo, typed value) -> candidate values` (filtering and ordering are done by the handler)."""

MAX_VALUES = 100  # the MCP spec's cap on `completion.values`


def _search(value: str) -> dict[str, Any]:
    return {"search": value, "count": 50} if value else {"count": 50}


async def client_names(halo: HaloClient, value: str) -> list[str]:
    """Client names matching `value` (Halo's `search`)."""
    found = await rows(halo, "/Client", params=_search(value))
    return [str(r["name"]) for r in found if isinstance(r, Mapping) and r.get("name")]


async def project_names(halo: HaloClient, value: str) -> list[str]:
    """Project names (their `summary`) matching `value` (Halo's `search`)."""
    found = await rows(halo, "/Projects", params=_search(value))
    return [str(r["summary"]) for r in found if isinstance(r, Mapping) and r.get("summary")]


async def ticket_ids(halo: HaloClient, value: str) -> list[str]:
    """The ids of the 100 newest tickets."""
    found = await rows(halo, "/Tickets", params={"count": 100, "order": "id", "orderdesc": "true"})
    return [str(r["id"]) for r in found if isinstance(r, Mapping) and "id" in r]


def completion_handlers(
    *,
    halo: HaloClient,
    prompts: Mapping[str, Mapping[str, Completer]],
    templates: Mapping[str, Mapping[str, Completer]],
) -> dict[str, Any]:
    """`on_completion` for `Server(...)`: `prompts` maps prompt name -> argument -> completer,
    `templates` maps URI template -> variable -> completer."""

    async def on_completion(
        ctx: ServerRequestContext[Any], params: types.CompleteRequestParams
    ) -> types.CompleteResult:
        if isinstance(params.ref, types.PromptReference):
            completers = prompts.get(params.ref.name, {})
        else:
            completers = templates.get(params.ref.uri, {})
        complete = completers.get(params.argument.name)
        value = params.argument.value
        values = await complete(halo, value) if complete is not None else []
        needle = value.casefold()
        matches = [v for v in dict.fromkeys(values) if needle in v.casefold()]
        matches.sort(key=lambda v: (not v.casefold().startswith(needle), v.casefold()))
        return types.CompleteResult(
            completion=types.Completion(
                values=matches[:MAX_VALUES], total=len(matches), has_more=len(matches) > MAX_VALUES
            )
        )

    return {"on_completion": on_completion}
