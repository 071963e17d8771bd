"""`tools/list` and `tools/call`: the generated tools (`..tools`) served by one `Executor`, exposed
`all` (every tool in `tools/list`, paged) or `discovery`.

`discovery` keeps a large catalogue usable: `tools/list` shows three meta-tools and the rest are
reached through them.

- `search_halo_itsm_tools`: words (matched against names, titles, descriptions and tags), `methods`
  (`read`, `write` or method names) and `tags` -> names with one-line summaries, best match first:
  the resource the words name exactly (`supplier` or `suppliers`) first, its list tool first, then its
  other operations; then tools matching more of the words (names and tags weigh more than
  descriptions; curated tools before generated ones on a tie).
- `get_halo_itsm_tool_schema`: one tool's full definition (description, `inputSchema`,
  `outputSchema`, annotations).
- `call_halo_itsm_tool`: call a tool by name with its arguments; the result is that tool's result.

The meta-tools only ever see the server's own tools (its method/tag filter already applied), so a
tool the server hides is unknown to all three, exactly as to `tools/call`. Tools can also be called
directly by name in discovery mode (they are allowed, just not listed).

`tools/list` is paged (`PAGE_SIZE` tools per page, an opaque `nextCursor`) and carries the cache
hints of MCP 2026-07-28 (`ttlMs`, `cacheScope`): the listing of a server never changes while it runs.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import mcp_types
from jsonschema import Draft202012Validator
from mcp.server.context import ServerRequestContext
from mcp.shared.exceptions import MCPError

from halo_sandbox.server.errors import InternalError, ToolInputError, UnknownToolError
from halo_sandbox.server.executor import Executor
from halo_sandbox.server.results import Result, error_result
from halo_sandbox.server.tool_specs import ALL_METHODS, ToolSpec, admits_error, select_tools

logger = logging.getLogger(__name__)

Exposure = Literal["all", "discovery"]
EXPOSURES: tuple[Exposure, ...] = ("all", "discovery")


def exposure_of(value: str) -> Exposure:
    """``value`` as an `Exposure`; anything else raises `ValueError` naming the choices."""
    for exposure in EXPOSURES:
        if value == exposure:
            return exposure
    raise ValueError(f"unknown tool exposure {value!r} (choose {', '.join(EXPOSURES)})")


PAGE_SIZE = 100
"""Tools per `tools/list` page (the curated catalogue fits on one)."""
LIST_TTL_MS = 300_000
SEARCH_TOOL = "search_halo_itsm_tools"
SCHEMA_TOOL = "get_halo_itsm_tool_schema"
CALL_TOOL = "call_halo_itsm_tool"
DEFAULT_RESULTS = 20
MAX_RESULTS = 100
SUMMARY_CHARS = 160

_METHOD_CHOICES = ["read", "write", *ALL_METHODS]
_SEARCH_INPUT = {
    "type": "object",
    "properties": {
        "query": {
            "type": "string",
            "maxLength": 500,
            "description": "Words to look for in tool names, titles, descriptions and tags, e.g. "
            '"supplier contract". Empty lists every tool the filters allow.',
        },
        "methods": {
            "type": "array",
            "items": {"type": "string", "enum": _METHOD_CHOICES},
            "uniqueItems": True,
            "description": "Only these methods: read, write, or list/get/create/update/delete/lookup.",
        },
        "tags": {
            "type": "array",
            "items": {"type": "string", "minLength": 1},
            "uniqueItems": True,
            "description": "Only tools with any of these tags (e.g. support, crm, billing).",
        },
        "limit": {
            "type": "integer",
            "minimum": 1,
            "maximum": MAX_RESULTS,
            "default": DEFAULT_RESULTS,
            "description": f"Results per call, 1-{MAX_RESULTS} (default {DEFAULT_RESULTS}).",
        },
        "offset": {
            "type": "integer",
            "minimum": 0,
            "maximum": 100_000,
            "default": 0,
            "description": "Skip this many results (pass the previous `next_offset`).",
        },
    },
    "additionalProperties": False,
}
_SEARCH_OUTPUT = admits_error(
    {
        "properties": {
            "result": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "name": {"type": "string"},
                        "summary": {"type": "string"},
                        "method": {"type": "string"},
                        "tags": {"type": "array", "items": {"type": "string"}},
                    },
                    "required": ["name", "summary", "method", "tags"],
                },
            },
            "total": {"type": "integer"},
            "next_offset": {"type": ["integer", "null"]},
        },
        "required": ["result", "total", "next_offset"],
    }
)
_NAME = {
    "type": "string",
    "minLength": 1,
    "maxLength": 128,
    "description": f"A tool name, as `{SEARCH_TOOL}` returns it.",
}
_SCHEMA_INPUT = {
    "type": "object",
    "properties": {"name": _NAME},
    "required": ["name"],
    "additionalProperties": False,
}
_SCHEMA_OUTPUT = admits_error({"properties": {"result": {"type": "object"}}, "required": ["result"]})
_CALL_INPUT = {
    "type": "object",
    "properties": {
        "name": _NAME,
        "arguments": {
            "type": "object",
            "default": {},
            "description": f"The tool's arguments, as its `inputSchema` (from `{SCHEMA_TOOL}`) says.",
        },
    },
    "required": ["name"],
    "additionalProperties": False,
}


def _meta_tools(tools: Sequence[ToolSpec]) -> list[mcp_types.Tool]:
    writes = any(t.kind == "write" for t in tools)
    read = mcp_types.ToolAnnotations(
        read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False
    )
    tags = sorted(set().union(*(t.tags for t in tools)))
    shown_tags = ", ".join(tags[:12]) + (f", ... ({len(tags)} tags)" if len(tags) > 12 else "")
    return [
        mcp_types.Tool(
            name=SEARCH_TOOL,
            title="Search the Halo tools",
            description=(
                f"Search this server's {len(tools)} HaloITSM tools by words, methods and tags; returns "
                "names with one-line summaries, best match first. Then get a tool's full schema with "
                f"{SCHEMA_TOOL} and call it with {CALL_TOOL}. Tags: {shown_tags}."
            ),
            input_schema=_SEARCH_INPUT,
            output_schema=_SEARCH_OUTPUT,
            annotations=read.model_copy(update={"title": "Search the Halo tools"}),
        ),
        mcp_types.Tool(
            name=SCHEMA_TOOL,
            title="Get a Halo tool's schema",
            description=(
                "Get one tool's full definition by name: description, inputSchema (its arguments), "
                'outputSchema and annotations. Returns {"result": tool}.'
            ),
            input_schema=_SCHEMA_INPUT,
            output_schema=_SCHEMA_OUTPUT,
            annotations=read.model_copy(update={"title": "Get a Halo tool's schema"}),
        ),
        mcp_types.Tool(
            name=CALL_TOOL,
            title="Call a Halo tool",
            description=(
                "Call one of this server's HaloITSM tools by name with its arguments, e.g. "
                '{"name": "list_all_halo_itsm_tickets", "arguments": {"open_only": true}}. '
                "Returns exactly what that tool returns (errors included, never retried)."
            ),
            input_schema=_CALL_INPUT,
            annotations=mcp_types.ToolAnnotations(
                title="Call a Halo tool",
                read_only_hint=not writes,
                destructive_hint=writes,
                idempotent_hint=not writes,
                open_world_hint=False,
            ),
        ),
    ]


def _declares_headers(schema: Any) -> bool:
    """Whether `x-mcp-header` is a key anywhere in `schema` (where the SDK looks for it, or anywhere
    else: then the SDK is given the schema and decides)."""
    if isinstance(schema, dict):
        return "x-mcp-header" in schema or any(_declares_headers(v) for v in schema.values())
    if isinstance(schema, list):
        return any(_declares_headers(v) for v in schema)
    return False


def summary(spec: ToolSpec) -> str:
    """The first sentence of a tool's description (at most `SUMMARY_CHARS` characters)."""
    text = spec.tool.description or spec.tool.title or spec.name
    first = re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0]
    return first if len(first) <= SUMMARY_CHARS else first[: SUMMARY_CHARS - 3].rstrip() + "..."


_WORD = re.compile(r"[a-z0-9]+")


def _words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def _stem(word: str) -> str:
    """A crude singular, so `notes`/`note` and `categories`/`category` match."""
    if word.endswith(("sses", "xes", "ches", "shes", "uses")):
        return word[:-2]
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("s") and not word.endswith(("ss", "us")) and len(word) > 3:
        return word[:-1]
    return word


_METHOD_RANK = {"list": 0, "get": 1, "lookup": 2, "create": 3, "update": 4, "delete": 5}


def _resource_words(tool: ToolSpec) -> tuple[str, ...]:
    """The (singular) words of the resource a tool works on: `item_suppliers` -> (item, supplier)."""
    noun = tool.entry.singular if tool.entry is not None else tool.resource
    return tuple(_stem(w) for w in _words(noun.replace("_", " ")))


class ToolSurface:
    """What `tools/list` and `tools/call` see of an executor's tools under one exposure."""

    def __init__(
        self,
        executor: Executor,
        *,
        exposure: Exposure = "all",
        page_size: int = PAGE_SIZE,
        cache_scope: Literal["public", "private"] = "public",
    ) -> None:
        self._executor = executor
        self.exposure = exposure_of(exposure)
        self._page_size = page_size
        self._cache_scope = cache_scope
        tools = executor.tools
        self._meta = _meta_tools(tools) if exposure == "discovery" else []
        self.listed: list[mcp_types.Tool] = self._meta or [t.tool for t in tools]
        self._meta_validators = {t.name: Draft202012Validator(t.input_schema) for t in self._meta}
        self._specs = {t.name: t for t in tools}
        self._header_schemas: dict[str, dict[str, Any] | None] = {}
        self._index_cache: dict[str, tuple[set[str], set[str]]] | None = None

    @property
    def _index(self) -> dict[str, tuple[set[str], set[str]]]:
        """Per tool: the (singular) words of its name, title, tags and resource; of its description.
        Built on the first search."""
        if self._index_cache is None:
            self._index_cache = {
                t.name: (
                    {_stem(w) for w in _words(" ".join([t.name, t.tool.title or "", *t.tags, t.resource]))},
                    {_stem(w) for w in _words(t.tool.description or "")},
                )
                for t in self._executor.tools
            }
        return self._index_cache

    def input_schema(self, name: str) -> dict[str, Any] | None:
        """The SDK's `get_tool_input_schema`, which it reads only to check a `tools/call`'s
        `Mcp-Param-*` headers against the properties the schema declares as headers (`x-mcp-header`):
        the input schema of the tool called `name` (meta-tools included) when it declares any, else
        None. A schema without declarations has nothing to check (the SDK would walk it twice per call
        to find that out); an unknown tool has none either. Decided once per tool."""
        if name in self._header_schemas:
            return self._header_schemas[name]
        schema = next((t.input_schema for t in self._meta if t.name == name), None)
        if schema is None and name in self._specs:
            schema = self._specs[name].input_schema
        if schema is None:
            return None
        declared = schema if _declares_headers(schema) else None
        self._header_schemas[name] = declared
        return declared

    # --- tools/list -------------------------------------------------------------------------------

    def page(self, cursor: str | None) -> mcp_types.ListToolsResult:
        """One page of `tools/list`; a cursor this server did not issue is an invalid-params error."""
        start = 0 if cursor is None else self._decode(cursor)
        end = start + self._page_size
        more = end < len(self.listed)
        return mcp_types.ListToolsResult(
            tools=self.listed[start:end],
            next_cursor=self._encode(end) if more else None,
            ttl_ms=LIST_TTL_MS,
            cache_scope=self._cache_scope,
        )

    def _encode(self, offset: int) -> str:
        return base64.urlsafe_b64encode(f"tools:{offset}:{len(self.listed)}".encode()).decode().rstrip("=")

    def _decode(self, cursor: str) -> int:
        try:
            text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
            kind, offset, total = text.split(":")
            start = int(offset)
            if kind != "tools" or int(total) != len(self.listed) or not 0 < start < len(self.listed):
                raise ValueError(text)
        except (ValueError, binascii.Error, UnicodeDecodeError):
            raise MCPError(
                code=mcp_types.INVALID_PARAMS,
                message="invalid tools/list cursor: pass back a nextCursor this server returned",
            ) from None
        return start

    # --- tools/call -------------------------------------------------------------------------------

    async def call(self, name: str, arguments: Mapping[str, Any] | None) -> Result:
        handler = {SEARCH_TOOL: self._search, SCHEMA_TOOL: self._schema, CALL_TOOL: self._call}.get(name)
        if handler is None or not self._meta:
            return await self._executor.call(name, arguments)
        args = dict(arguments or {})
        errors = list(self._meta_validators[name].iter_errors(args))
        if errors:
            where = ".".join(str(p) for p in errors[0].absolute_path)
            detail = f"argument {where!r}: {errors[0].message}" if where else errors[0].message
            return error_result(ToolInputError(f"Invalid arguments for {name}: {detail}"))
        try:
            return await handler(args)
        except (ToolInputError, UnknownToolError) as exc:
            return error_result(exc)
        except Exception as exc:  # boundary: a meta-tool failure is a tool error too, never a protocol error
            logger.exception("meta-tool %s failed", name)
            return error_result(
                InternalError(f"The tool call failed inside the server: {type(exc).__name__}")
            )

    async def _search(self, args: dict[str, Any]) -> Result:
        try:
            tools = select_tools(self._executor.tools, methods=args.get("methods"), tags=args.get("tags"))
        except ValueError as exc:
            raise ToolInputError(f"Invalid arguments for {SEARCH_TOOL}: {exc}") from None
        words = [_stem(w) for w in _words(args.get("query", ""))]
        wanted = tuple(words)
        scored: list[tuple[int, float, float, int, ToolSpec]] = []
        for order, tool in enumerate(tools):
            if words:
                strong, weak = self._index[tool.name]
                matched = [w for w in words if w in strong or w in weak or w in tool.name]
                if not matched:
                    continue
                score = 10.0 * len(matched)  # tools matching more of the words first
                score += sum(2.0 if w in strong else 1.0 if w in weak else 0.0 for w in matched)
                score += sum(0.5 for w in matched if w in tool.name)  # parts of compound names
                curated = 0.25 if tool.entry is None or not tool.entry.generated else 0.0
                # the resource the words name exactly (singular or plural) first, its list tool first;
                # then the resource's own operations and related ones, by score
                rank = _METHOD_RANK.get(tool.method, 9)
                if _resource_words(tool) == wanted:
                    scored.append((0, rank, -(score + curated), order, tool))
                else:
                    scored.append((1, -(score + curated), rank, order, tool))
            else:
                scored.append((1, 0.0, 0, order, tool))
        scored.sort(key=lambda item: item[:4])
        offset, limit = args.get("offset", 0), args.get("limit", DEFAULT_RESULTS)
        chosen = scored[offset : offset + limit]
        result = [
            {"name": t.name, "summary": summary(t), "method": t.method, "tags": sorted(t.tags)}
            for *_, t in chosen
        ]
        next_offset = offset + limit if offset + limit < len(scored) else None
        return _structured({"result": result, "total": len(scored), "next_offset": next_offset})

    async def _schema(self, args: dict[str, Any]) -> Result:
        spec = self._executor.spec(args["name"])
        tool = spec.tool.model_dump(by_alias=True, exclude_none=True, mode="json")
        tool["tags"] = sorted(spec.tags)
        tool["method"] = spec.method
        return _structured({"result": tool})

    async def _call(self, args: dict[str, Any]) -> Result:
        if args["name"] in (SEARCH_TOOL, SCHEMA_TOOL, CALL_TOOL):
            raise ToolInputError(f"{CALL_TOOL} calls Halo tools, not {args['name']}: call it directly")
        return await self._executor.call(args["name"], args.get("arguments") or {})


def _structured(structured: dict[str, Any]) -> Result:
    return Result(
        content=[mcp_types.TextContent(text=json.dumps(structured, default=str))],
        structured_content=structured,
    )


def tool_handlers(surface: ToolSurface) -> dict[str, Any]:
    """`on_list_tools` and `on_call_tool` for `Server(...)`."""

    async def on_list_tools(
        ctx: ServerRequestContext[Any], params: mcp_types.PaginatedRequestParams | None
    ) -> mcp_types.ListToolsResult:
        return surface.page(params.cursor if params is not None else None)

    async def on_call_tool(
        ctx: ServerRequestContext[Any], params: mcp_types.CallToolRequestParams
    ) -> mcp_types.CallToolResult:
        return await surface.call(params.name, params.arguments)

    return {"on_list_tools": on_list_tools, "on_call_tool": on_call_tool}


__all__ = [
    "CALL_TOOL",
    "EXPOSURES",
    "Exposure",
    "PAGE_SIZE",
    "SCHEMA_TOOL",
    "SEARCH_TOOL",
    "ToolSurface",
    "exposure_of",
    "summary",
    "tool_handlers",
]
