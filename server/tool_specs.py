"""MCP tools generated from the resource catalogue, and selection of tools by method and tag.

Names follow `list_all_halo_itsm_{plural}`, `get_single_halo_itsm_{singular}_by_id`,
`create_a_halo_itsm_{singular}`, `update_a_halo_itsm_{singular}_by_id`,
`delete_a_halo_itsm_{singular}_by_id`, plus the name resolver `find_halo_itsm_ids`.
Every input schema is flat (one namespace) with `additionalProperties: false`.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import mcp_types

from halo_sandbox.server.catalogue import CATALOGUE, METHODS, READ_METHODS, WRITE_METHODS, Param, Resource
from halo_sandbox.server.lean import FIELDS_ARGUMENT, FULL_ARGUMENT

LOOKUP_TOOL = "find_halo_itsm_ids"
LOOKUP_METHOD = "lookup"
ALL_METHODS = (*METHODS, LOOKUP_METHOD)
METHOD_KIND = {
    "list": "read",
    "get": "read",
    LOOKUP_METHOD: "read",
    "create": "write",
    "update": "write",
    "delete": "write",
}
DEFAULT_LIMIT = 50
KNOWN_TAGS = frozenset({"lookups"}).union(*(entry.tags for entry in CATALOGUE.values()))
MAX_LIMIT = 100

# Arguments that named executor hooks add to a tool (the hook consumes them; they never reach Halo).
HOOK_ARGUMENTS: Mapping[str, tuple[Param, ...]] = {
    "attachment_upload": (
        Param(
            name="content_base64",
            type="string",
            description="The file's bytes, base64-encoded. Give exactly one of `content_base64`, "
            "`content_text` or `file_path` (when offered).",
        ),
        Param(
            name="content_text",
            type="string",
            description="The file's content as text (stored UTF-8 encoded).",
        ),
        Param(
            name="file_path",
            type="string",
            description="Path of a file inside the server's allowed directory (relative to it or absolute).",
        ),
    ),
}
FILE_ACCESS_ARGUMENTS = frozenset({"file_path"})
"""Hook arguments offered only when the server was started with an allowed file directory."""

_ERROR_OUTPUT = {"type": "object"}


def admits_error(success: Mapping[str, Any]) -> dict[str, Any]:
    """An `outputSchema` that a success (`success`'s required members) and an error result
    (`{"error": {...}}`, `results.error_result`) both validate against, so every client SDK shows a
    tool's error, including those that check an `isError` result's structured content."""
    return {
        "type": "object",
        "properties": {**success["properties"], "error": _ERROR_OUTPUT},
        "anyOf": [{"required": list(success["required"])}, {"required": ["error"]}],
    }


_LIST_OUTPUT = admits_error(
    {
        "properties": {
            "result": {"type": "array", "items": {"type": "object"}},
            "next_cursor": {"type": ["string", "null"]},
        },
        "required": ["result", "next_cursor"],
    }
)
_RECORD_OUTPUT = admits_error({"properties": {"result": {"type": "object"}}, "required": ["result"]})
_MATCH = {
    "type": "object",
    "properties": {
        "id": {"type": ["integer", "string"]},
        "name": {"type": "string"},
        "score": {"type": "number"},
    },
    "required": ["id", "name"],
}
_LOOKUP_OUTPUT = admits_error(
    {
        "properties": {
            "result": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "kind": {"type": "string"},
                        "name": {"type": "string"},
                        "matches": {"type": "array", "items": _MATCH},
                        "candidates": {"type": "array", "items": _MATCH},
                    },
                    "required": ["kind", "name", "matches", "candidates"],
                },
            },
        },
        "required": ["result"],
    }
)

_ANNOTATIONS = {
    # method: (readOnly, destructive, idempotent)
    "list": (True, False, True),
    "get": (True, False, True),
    LOOKUP_METHOD: (True, False, True),
    "create": (False, False, False),
    "update": (False, True, True),
    "delete": (False, True, True),
}


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """One generated tool: what it does (resource, method), how it is filtered (kind, tags), the MCP Tool."""

    name: str
    resource: str
    method: str
    kind: str
    tags: frozenset[str]
    tool: mcp_types.Tool
    entry: Resource | None = field(default=None, compare=False, repr=False)
    """The catalogue entry the tool was generated from (None for `find_halo_itsm_ids`)."""
    file_access: bool = False
    sources: tuple[Resource, ...] = field(default=(), compare=False, repr=False)
    """For `find_halo_itsm_ids`: the catalogue entries it resolves names of."""

    @property
    def input_schema(self) -> dict[str, Any]:
        return self.tool.input_schema


def tool_name(resource: Resource, method: str) -> str:
    return {
        "list": f"list_all_halo_itsm_{resource.plural}",
        "get": f"get_single_halo_itsm_{resource.singular}_by_id",
        "create": f"create_a_halo_itsm_{resource.singular}",
        "update": f"update_a_halo_itsm_{resource.singular}_by_id",
        "delete": f"delete_a_halo_itsm_{resource.singular}_by_id",
    }[method]


def generate_tools(
    catalogue: Mapping[str, Resource] | None = None, *, file_access: bool = False, breadth: bool = False
) -> list[ToolSpec]:
    """Every tool the catalogue describes, in catalogue order, then `find_halo_itsm_ids`.

    `catalogue` defaults to the curated one; `breadth` adds the tools generated from Halo's OpenAPI
    document (`generated.py`) after the curated ones. `file_access` adds `file_path` to tools whose
    hooks read local files (the server then needs an allowed directory).
    """
    if catalogue is None:
        return list(_default_tools(file_access=file_access, breadth=breadth))
    return _generate(catalogue, file_access=file_access, breadth=breadth)


@functools.cache
def _default_tools(*, file_access: bool, breadth: bool) -> tuple[ToolSpec, ...]:
    """The tools of the built-in catalogues, built once per process (every server build reuses them)."""
    return tuple(_generate(CATALOGUE, file_access=file_access, breadth=breadth))


def _generate(catalogue: Mapping[str, Resource], *, file_access: bool, breadth: bool) -> list[ToolSpec]:
    if breadth:
        from halo_sandbox.server.generated import generated_catalogue

        catalogue = {**catalogue, **generated_catalogue()}
    specs = [
        _resource_tool(entry, method, file_access=file_access)
        for entry in catalogue.values()
        for method in METHODS
        if method in entry.methods
    ]
    lookups = [entry for entry in catalogue.values() if entry.lookup is not None]
    if lookups:
        specs.append(_lookup_tool(lookups))
    return specs


def with_file_access(spec: ToolSpec) -> ToolSpec:
    """The same tool with `file_path` offered where its hook accepts local files."""
    if spec.entry is None or spec.file_access:
        return spec
    return _resource_tool(spec.entry, spec.method, file_access=True)


def select_tools(
    tools: Sequence[ToolSpec],
    *,
    methods: Iterable[str] | None = None,
    tags: Iterable[str] | None = None,
) -> list[ToolSpec]:
    """The tools matching any of `methods` (`read`, `write` or a method name) and any of `tags`.

    `None` or an empty iterable means no restriction. Unknown methods or tags raise `ValueError`
    naming them.
    """
    wanted_methods: set[str] | None = None
    if methods is not None:
        methods = list(methods)
        unknown = sorted(m for m in methods if m not in {"read", "write", *ALL_METHODS})
        if unknown:
            raise ValueError(
                f"unknown method(s): {', '.join(unknown)} (known: read, write, {', '.join(ALL_METHODS)})"
            )
        if methods:
            wanted_methods = set()
            for m in methods:
                if m == "read":
                    wanted_methods |= {*READ_METHODS, LOOKUP_METHOD}
                elif m == "write":
                    wanted_methods |= WRITE_METHODS
                else:
                    wanted_methods.add(m)
    wanted_tags: set[str] | None = None
    if tags is not None:
        tags = list(tags)
        known = set(KNOWN_TAGS).union(*(t.tags for t in tools))
        unknown = sorted(t for t in tags if t not in known)
        if unknown:
            raise ValueError(f"unknown tag(s): {', '.join(unknown)} (known: {', '.join(sorted(known))})")
        wanted_tags = set(tags) or None
    return [
        t
        for t in tools
        if (wanted_methods is None or t.method in wanted_methods)
        and (wanted_tags is None or t.tags & wanted_tags)
    ]


# --- schema generation -------------------------------------------------------------------------


def _ref_hint(ref: str) -> str:
    target = CATALOGUE.get(ref)
    if target is None:
        return ""
    hint = f" Ids come from `list_all_halo_itsm_{target.plural}`"
    if target.lookup is not None:
        hint += f" or `{LOOKUP_TOOL}` (kind `{target.lookup.kind}`)"
    return hint + "."


_INT32 = {"minimum": -(2**31), "maximum": 2**31 - 1}
"""Halo's integers (ids, levels, counts) are 32-bit; larger values are refused by Halo with a 400."""


def property_schema(param: Param) -> dict[str, Any]:
    """JSON Schema of one flat argument."""
    description = param.description + (_ref_hint(param.ref) if param.ref else "")
    schema: dict[str, Any]
    if param.type == "array":
        schema = {
            "type": "array",
            "items": {"type": param.item_type, **(_INT32 if param.item_type == "integer" else {})},
        }
        if param.csv:
            schema["minItems"] = 1
            description += " Pass a JSON array; it is sent to Halo comma-separated."
    else:
        schema = {"type": param.type, **(_INT32 if param.type == "integer" else {})}
    if param.enum is not None:
        schema["enum"] = list(param.enum)
    if param.minimum is not None:
        schema["minimum"] = param.minimum
    if param.maximum is not None:
        schema["maximum"] = param.maximum
    schema["description"] = description
    return schema


def _object(params: Iterable[tuple[str, dict[str, Any]]], required: Iterable[str]) -> dict[str, Any]:
    props = dict(params)
    schema: dict[str, Any] = {"type": "object", "properties": props, "additionalProperties": False}
    req = [r for r in dict.fromkeys(required) if r in props]
    if req:
        schema["required"] = req
    return schema


def _id_schema(entry: Resource, what: str) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": entry.id_type}
    if entry.id_type == "integer":
        schema["minimum"] = 1
        schema["maximum"] = _INT32["maximum"]
    else:
        schema["minLength"] = 1
    schema["description"] = f"{what} Ids come from `list_all_halo_itsm_{entry.plural}`." + (
        f" {entry.id_note}" if entry.id_note else ""
    )
    return schema


def _hook_params(entry: Resource, method: str, *, file_access: bool) -> tuple[Param, ...]:
    hook = entry.hooks.get(method)
    params = HOOK_ARGUMENTS.get(hook, ()) if hook else ()
    return tuple(p for p in params if file_access or p.name not in FILE_ACCESS_ARGUMENTS)


_RESULT_PROPERTIES = (
    (
        FIELDS_ARGUMENT,
        {
            "type": "array",
            "items": {"type": "string"},
            "minItems": 1,
            "description": "Only these fields (+ id).",
        },
    ),
    (
        FULL_ARGUMENT,
        {
            "type": "boolean",
            "description": "Whole records: by default unset fields are left out (`omitted`).",
        },
    ),
)
"""The server's own result options of get, list, create and update tools (`lean.shape`)."""


def _input_schema(entry: Resource, method: str, *, file_access: bool) -> dict[str, Any]:
    schema = _arguments_schema(entry, method, file_access=file_access)
    if method != "delete":
        schema["properties"].update(_RESULT_PROPERTIES)
    return schema


def _arguments_schema(entry: Resource, method: str, *, file_access: bool) -> dict[str, Any]:
    if method == "list":
        props = [(p.name, property_schema(p)) for p in entry.filters]
        props.append(
            (
                "limit",
                {
                    "type": "integer",
                    "minimum": 1,
                    "maximum": MAX_LIMIT,
                    "default": DEFAULT_LIMIT,
                    "description": f"Records per page, 1-{MAX_LIMIT} (default {DEFAULT_LIMIT}). "
                    "With `next_cursor` the first call's page size is kept.",
                },
            )
        )
        props.append(
            (
                "next_cursor",
                {
                    "type": "string",
                    "minLength": 1,
                    "description": "The `next_cursor` of the previous page, passed back "
                    "unchanged with the same filters.",
                },
            )
        )
        return _object(props, [p.name for p in entry.filters if p.required])
    if method in ("get", "delete"):
        params = entry.get_params if method == "get" else entry.delete_params
        props = [("id", _id_schema(entry, f"Id of the {entry.singular}."))]
        props += [(p.name, property_schema(p)) for p in params]
        return _object(props, ["id", *(p.name for p in params if p.required)])
    # create / update
    hook_params = _hook_params(entry, method, file_access=file_access)
    what = (
        f"Id of an existing {entry.singular}: updates it instead of creating one."
        if method == "create"
        else f"Id of the {entry.singular} to update."
    )
    props = [("id", _id_schema(entry, what))]
    props += [(p.name, property_schema(p)) for p in (*entry.fields, *hook_params)]
    required = [p.name for p in entry.fields if p.required]
    if method == "update":
        required.insert(0, "id")
    return _object(props, required)


_GENERATED_NOTE = (
    " Generated from Halo's official OpenAPI document (breadth catalogue): inputs are Halo's "
    "documented parameters and record fields, without curated descriptions."
)


def _description(entry: Resource, method: str, *, file_access: bool) -> str:
    text = _curated_description(entry, method, file_access=file_access)
    return text + _GENERATED_NOTE if entry.generated else text


def _curated_description(entry: Resource, method: str, *, file_access: bool) -> str:
    s, summary = entry.singular.replace("_", " "), entry.summary
    reasons: dict[str, list[str]] = {}
    for m, why in entry.not_offered.items():
        reasons.setdefault(why, []).append(m)
    not_offered = "".join(f" Not offered: {', '.join(ms)} ({why})." for why, ms in reasons.items())
    if method == "list":
        text = (
            f"List Halo {entry.plural.replace('_', ' ')}: {summary} Returns "
            f'{{"result": [records], "next_cursor": string|null}}. `limit` is 1-{MAX_LIMIT} '
            f"(default {DEFAULT_LIMIT}). To get the next page pass `next_cursor` back unchanged, "
            "with the same filters; null means this was the last page."
        )
        if not entry.pageable:
            text += " Halo returns this list unpaged: the server fetches it once per call and slices it."
        required = [p.name for p in entry.filters if p.required]
        if required:
            text += f" Requires {', '.join(f'`{r}`' for r in required)}."
        return text + not_offered
    if method == "get":
        text = f'Get one Halo {s} by `id`. Returns {{"result": record}}. {summary}'
        if entry.hooks.get("get") == "attachment_download":
            text += (
                " The result holds the file's metadata; the bytes come back as an embedded resource "
                "with the file's MIME type."
            )
        return text + (f" {entry.id_note}" if entry.id_note else "")
    if method == "delete":
        return f'Delete one Halo {s} by `id`. This cannot be undone. Returns {{"result": ...}}.' + (
            f" {entry.id_note}" if entry.id_note else ""
        )
    if method == "create":
        text = (
            f"Create a Halo {s}. {summary} Passing `id` of an existing {s} updates it instead "
            '(only the fields you pass change), as Halo\'s POST does. Returns {"result": record}.'
        )
        if entry.create_required:
            text += f" Required when creating: {', '.join(f'`{r}`' for r in entry.create_required)}."
    else:
        text = f'Update one Halo {s} by `id`: only the fields you pass change. Returns {{"result": record}}.'
    if entry.hooks.get(method) == "attachment_upload":
        sources = ["`content_base64`", "`content_text`"] + (["`file_path`"] if file_access else [])
        text += f" Give the file as exactly one of {', '.join(sources)}."
    if entry.id_note:
        text += f" {entry.id_note}"
    return text


def _annotations(method: str, title: str) -> mcp_types.ToolAnnotations:
    read_only, destructive, idempotent = _ANNOTATIONS[method]
    return mcp_types.ToolAnnotations(
        title=title,
        read_only_hint=read_only,
        destructive_hint=destructive,
        idempotent_hint=idempotent,
        open_world_hint=False,
    )


def _resource_tool(entry: Resource, method: str, *, file_access: bool) -> ToolSpec:
    name = tool_name(entry, method)
    noun = entry.plural if method == "list" else entry.singular
    title = f"{method.capitalize()} Halo {noun.replace('_', ' ')}"
    tool = mcp_types.Tool(
        name=name,
        title=title,
        description=_description(entry, method, file_access=file_access),
        input_schema=_input_schema(entry, method, file_access=file_access),
        output_schema=_LIST_OUTPUT if method == "list" else _RECORD_OUTPUT,
        annotations=_annotations(method, title),
    )
    return ToolSpec(
        name=name,
        resource=entry.name,
        method=method,
        kind=METHOD_KIND[method],
        tags=entry.tags,
        tool=tool,
        entry=entry,
        file_access=file_access and bool(_hook_params(entry, method, file_access=True)),
    )


def _lookup_tool(entries: Sequence[Resource]) -> ToolSpec:
    kinds = [e.lookup.kind for e in entries if e.lookup]
    query: dict[str, Any] = {
        "type": "object",
        "properties": {
            "kind": {"type": "string", "enum": kinds, "description": "What the name is of."},
            "name": {
                "type": "string",
                "minLength": 1,
                "description": "The name to resolve (case-insensitive).",
            },
        },
        "required": ["kind", "name"],
        "additionalProperties": False,
    }
    schema = {
        "type": "object",
        "properties": {
            "kind": {**query["properties"]["kind"]},
            "name": {**query["properties"]["name"]},
            "queries": {
                "type": "array",
                "items": query,
                "minItems": 1,
                "maxItems": 20,
                "description": "Several names at once: objects with `kind` and `name`.",
            },
        },
        "dependentRequired": {"kind": ["name"], "name": ["kind"]},
        "additionalProperties": False,
    }
    title = "Find Halo ids by name"
    tool = mcp_types.Tool(
        name=LOOKUP_TOOL,
        title=title,
        description=(
            'Resolve names to Halo ids in one call, e.g. {"kind": "client", "name": "Wayne"}, or '
            "several at once with `queries`. Kinds: " + ", ".join(kinds) + ". Returns "
            '{"result": [{kind, name, matches: [{id, name}], candidates: [{id, name, score}]}]}: '
            "`matches` are exact (case-insensitive) matches; when there is none or several, `candidates` "
            "ranks similar names. Priority ids are the integer `priorityid` tickets use."
        ),
        input_schema=schema,
        output_schema=_LOOKUP_OUTPUT,
        annotations=_annotations(LOOKUP_METHOD, title),
    )
    tags = frozenset({"lookups"})
    return ToolSpec(
        name=LOOKUP_TOOL,
        resource="lookups",
        method=LOOKUP_METHOD,
        kind="read",
        tags=tags,
        tool=tool,
        entry=None,
        sources=tuple(entries),
    )


__all__ = [
    "ALL_METHODS",
    "admits_error",
    "DEFAULT_LIMIT",
    "LOOKUP_TOOL",
    "MAX_LIMIT",
    "ToolSpec",
    "generate_tools",
    "select_tools",
    "tool_name",
    "with_file_access",
]
