"""The properties a verify run checks, one module each group; every property is an async function
``(ctx) -> list[Check]`` registered in `PROPERTY_FUNCTIONS` (run in that order, the tenant reset
to its seed before each)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from halo_sandbox.verify.discovery import (
    Discovery,
    KitResource,
    MappedTool,
    guard_arguments,
    norm,
    resource,
)
from halo_sandbox.verify.probe import CallRecord, Probe
from halo_sandbox.verify.report import Check, Status

__all__ = ["Context", "ToolSchema", "fill_arguments", "parameters_for", "store_rows"]

# Other names servers give Halo's fields (matched after `norm`).
FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "summary": ("subject", "title"),
    "details": ("description", "body"),
    "note": ("text", "comment", "body", "message", "content"),
    "client_id": ("customer_id", "company_id"),
    "ticket_id": ("ticket",),
}


class ToolSchema(dict[str, Any]):
    """A tool's input schema (the plain JSON Schema, as a dict) with how to fill it: the object
    argument a write's record goes in and the arguments every call carries (``confirm: true``)."""

    def __init__(
        self,
        schema: Mapping[str, Any],
        *,
        body_param: str | None = None,
        fixed: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(schema)
        self.body_param = body_param
        self.fixed: dict[str, Any] = dict(fixed or {})


@dataclass(kw_only=True)
class Context:
    probe: Probe
    discovery: Discovery
    tools: dict[str, Any]
    """`mcp.types.Tool` by name."""
    examples: int = 5
    """Generated examples per hypothesis-driven scenario (`--examples`)."""
    seed: int = 0
    """The run's seed: hypothesis derives its examples from it (same seed, same scenarios)."""
    retry_policy: str = "harm-only"
    notes: dict[str, Any] = field(default_factory=dict)
    findings: list[str] = field(default_factory=list)
    """What a property learned about the server that is not a verdict (its retry policy)."""
    restart: Callable[[], Awaitable[bool]] | None = None
    """Set by the runner: a fresh server process (see `fresh_server`)."""

    async def fresh_server(self) -> bool:
        """Restart the server under test (a new process and MCP session; `probe` follows it), so
        state an earlier check left (an open circuit breaker, a cache) cannot decide the next one.
        False when the run cannot (a server it did not start: ``--server-url`` alone)."""
        return await self.restart() if self.restart is not None else False

    @property
    def sandbox(self) -> Any:
        return self.probe.sandbox

    @property
    def store(self) -> Any:
        return self.probe.sandbox.store

    def schema(self, tool: str) -> ToolSchema:
        """The tool's input schema, carrying what discovery or the mapping file says about filling
        it (`ToolSchema.body_param`, `ToolSchema.fixed`), which `fill_arguments` follows."""
        t = self.tools[tool]
        mapped = self.discovery.by_name().get(tool)
        return ToolSchema(
            getattr(t, "input_schema", None) or getattr(t, "inputSchema", None) or {},
            body_param=mapped.body_param if mapped else None,
            fixed=dict(mapped.fixed) if mapped else guard_arguments(getattr(t, "input_schema", None) or {}),
        )

    def mapped(self, role: str) -> list[MappedTool]:
        return [m for (r, ro), m in self.discovery.mapped.items() if ro == role]

    def unique(self, label: str = "verify") -> str:
        return f"{label} {uuid.uuid4().hex[:10]}"

    def check(
        self,
        prop: str,
        subject: str,
        status: Status,
        detail: str = "",
        *,
        tool: str | None = None,
        calls: Sequence[CallRecord] = (),
        expected: str = "",
        example: str = "",
    ) -> Check:
        return Check(
            property=prop,
            subject=subject,
            status=status,
            detail=detail,
            tool=tool,
            expected=expected,
            calls=[c.summary() for c in calls],
            example=example,
        )


def store_rows(store: Any, name: str, params: Mapping[str, str] | None = None) -> list[dict[str, Any]]:
    """Every row of a resource as the mock lists it (one scope, for scoped resources); none for a
    documented resource the sandbox serves only generically (``Supplier``: it holds no seeded rows)."""
    if not resource(name).modelled:
        return []
    from halo_sandbox.mock.domain.query import ListQuery
    from halo_sandbox.mock.domain.resources import spec_named

    query = ListQuery.parse(spec_named(name), {"count": "1000000", **(params or {})})
    rows: list[dict[str, Any]] = store.list(resource=name, query=query).rows
    return rows


def store_record(store: Any, name: str, id: Any, scope: Mapping[str, Any]) -> dict[str, Any]:
    """One record as the mock reads it; ``scope``: ``{}`` or the one scope parameter of a scoped
    resource (``{"ticket_id": 10}``)."""
    record: dict[str, Any] = store.get(
        resource=name, id=id, scope=int(next(iter(scope.values()))) if scope else None
    )
    return record


def fill_arguments(schema: Mapping[str, Any], values: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Arguments for a tool from Halo field values, matching parameter names loosely (``clientId``
    for ``client_id``, ``subject`` for ``summary``), into nested object arguments too (``data:
    {summary, ...}``, the `ToolSchema.body_param` first; a free-form body gets every field left),
    with the arguments every call carries (`ToolSchema.fixed`, guards such as ``confirm: true``);
    returns the arguments and the required parameters left unfilled (``data.summary`` inside)."""
    args, missing = _fill(schema, schema, values, body=getattr(schema, "body_param", None))
    args.update({**guard_arguments(schema), **getattr(schema, "fixed", {})})
    return args, [m for m in missing if m not in args]


def _fill(
    root: Mapping[str, Any],
    schema: Mapping[str, Any],
    values: Mapping[str, Any],
    *,
    body: str | None,
    depth: int = 0,
) -> tuple[dict[str, Any], list[str]]:
    props = schema.get("properties") or {}
    required = [r for r in schema.get("required") or [] if isinstance(r, str)]
    args: dict[str, Any] = {}
    chosen = _top_parameters(schema, values)
    for field_name, target in chosen.items():
        args[target] = _coerce(_resolve(root, props[target]), values[field_name])
    rest = {k: v for k, v in values.items() if k not in chosen}
    missing: list[str] = []
    objects: list[str] = [body] if body is not None and body in props else []
    objects += [n for n in props if n not in objects and n not in args and _object_schema(root, props[n])]
    for name in objects:
        if not rest or depth > 3:
            break
        inner_schema = _object_schema(root, props[name])
        if inner_schema is None:
            continue
        if inner_schema.get("properties"):
            inner, inner_missing = _fill(root, inner_schema, rest, body=None, depth=depth + 1)
            carried = set(_top_parameters(inner_schema, rest))
            if carried:
                args[name] = inner
                missing += [f"{name}.{m}" for m in inner_missing]
                rest = {k: v for k, v in rest.items() if k not in carried}
        elif name == body and inner_schema.get("additionalProperties", True) is not False:
            args[name] = dict(rest)  # a free-form record: every field left goes in
            rest = {}
    for name in required:
        if name not in args and name in props:
            value = _schema_value(name, _resolve(root, props[name]))
            if value is not None:
                args[name] = value
    return args, missing + [r for r in required if r not in args]


def _schema_value(name: str, prop: Any) -> Any:
    """A value the tool's own schema asks for, for a required argument no Halo field carries: its
    default, its first enum value, a text or number within its bounds. None for an id (another
    record's id cannot be made up: the call would fail for a reason of verify's making) and for
    anything else it cannot satisfy."""
    if not isinstance(prop, Mapping):
        return None
    if "default" in prop and prop["default"] is not None:
        return prop["default"]
    if "const" in prop:
        return prop["const"]
    if isinstance(prop.get("enum"), list) and prop["enum"]:
        return prop["enum"][0]
    kind = prop.get("type")
    if norm(name).endswith("id") or norm(name).endswith("ids"):
        return None
    if kind == "string":
        fmt = prop.get("format")
        if fmt == "email":
            return "verify@example.com"
        if fmt in ("date-time", "date"):
            return "2026-01-15T09:00:00" if fmt == "date-time" else "2026-01-15"
        if fmt in ("uri", "url") or "pattern" in prop:
            return "https://example.com/verify" if fmt in ("uri", "url") else None
        text = f"verify {name}"
        low, high = prop.get("minLength", 0), prop.get("maxLength")
        if isinstance(high, int) and len(text) > high:
            text = text[:high]
        return text if len(text) >= (low if isinstance(low, int) else 0) else None
    if kind in ("integer", "number"):
        low = prop.get("minimum", prop.get("exclusiveMinimum"))
        value = low + (1 if "exclusiveMinimum" in prop else 0) if isinstance(low, (int, float)) else 1
        high = prop.get("maximum")
        return value if not isinstance(high, (int, float)) or value <= high else None
    if kind == "boolean":
        return False
    return None


def _resolve(root: Mapping[str, Any], prop: Any) -> Any:
    """``prop`` with a local ``$ref`` (``#/$defs/TicketData``, Pydantic models) followed."""
    for _ in range(8):
        ref = prop.get("$ref") if isinstance(prop, Mapping) else None
        if not isinstance(ref, str) or not ref.startswith("#/"):
            return prop
        target: Any = root
        for part in ref[2:].split("/"):
            target = target.get(part) if isinstance(target, Mapping) else None
        prop = target
    return prop


def _object_schema(root: Mapping[str, Any], prop: Any) -> dict[str, Any] | None:
    """The object schema of an argument (through ``$ref`` and ``anyOf``/``oneOf`` with ``null``)."""
    prop = _resolve(root, prop)
    if not isinstance(prop, Mapping):
        return None
    kind = prop.get("type")
    if kind == "object" or (isinstance(kind, list) and "object" in kind) or "properties" in prop:
        return dict(prop)
    for option in [*(prop.get("anyOf") or []), *(prop.get("oneOf") or []), *(prop.get("allOf") or [])]:
        found = _object_schema(root, option)
        if found is not None:
            return found
    return None


def parameters_for(schema: Mapping[str, Any], fields: Iterable[str]) -> dict[str, str]:
    """Which tool parameter carries each Halo field, as `fill_arguments` fills it (``data.summary``
    for a field inside an object argument); fields no parameter carries are left out."""
    fields = list(fields)
    args, _ = _fill(schema, schema, dict.fromkeys(fields, ""), body=getattr(schema, "body_param", None))
    out = dict(_top_parameters(schema, fields))
    for name, value in args.items():
        if name in out.values() or not isinstance(value, dict):
            continue
        inner_schema = _object_schema(schema, (schema.get("properties") or {}).get(name)) or {}
        if inner_schema.get("properties"):
            out.update(
                {f: f"{name}.{p}" for f, p in _top_parameters(inner_schema, fields).items() if f not in out}
            )
        else:
            out.update({f: f"{name}.{f}" for f in value if f not in out})
    return out


def _top_parameters(schema: Mapping[str, Any], fields: Iterable[str]) -> dict[str, str]:
    """Which top-level parameter of ``schema`` carries each field."""
    props = schema.get("properties") or {}
    chosen: dict[str, str] = {}
    for field_name in fields:
        wanted = {norm(field_name), *(norm(a) for a in FIELD_ALIASES.get(field_name, ()))}
        exact = [p for p in props if norm(p) == norm(field_name) and p not in chosen.values()]
        loose = [p for p in props if norm(p) in wanted and p not in chosen.values()]
        target = (exact or loose or [None])[0]
        if target is not None:
            chosen[field_name] = target
    return chosen


def _coerce(prop: Any, value: Any) -> Any:
    kind = prop.get("type") if isinstance(prop, Mapping) else None
    if kind == "string" and isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if kind == "integer" and isinstance(value, str) and value.isdigit():
        return int(value)
    return value


def sample_values(ctx: Context, spec: KitResource, marker: str) -> dict[str, Any]:
    """A record to create: the resource's sample with ``@text`` and seeded ids filled in."""
    out: dict[str, Any] = {}
    for key, value in spec.sample.items():
        if value == "@text":
            out[key] = f"{marker} {key}"
        elif value == "@client":
            out[key] = store_rows(ctx.store, "clients")[0]["id"]
        elif value == "@ticket":
            out[key] = seeded_ticket(ctx)
        else:
            out[key] = value
    return out


def seeded_ticket(ctx: Context) -> int:
    """A seeded ticket with actions (the fixtures' 45920 when present)."""
    ids = [row["id"] for row in store_rows(ctx.store, "tickets")]
    return 45920 if 45920 in ids else ids[0]


def same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return float(a) == float(b)
    return a == b or str(a) == str(b)


def scalar_mismatches(got: Mapping[str, Any], truth: Mapping[str, Any]) -> list[str]:
    return [
        f"{key}: server said {got[key]!r}, Halo holds {truth[key]!r}"
        for key in got
        if key in truth
        and isinstance(got[key], (str, int, float, bool))
        and isinstance(truth[key], (str, int, float, bool))
        and not same(got[key], truth[key])
    ]


__all__ += ["resource", "sample_values", "same", "scalar_mismatches", "seeded_ticket"]
