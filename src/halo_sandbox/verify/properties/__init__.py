"""The properties a verify run checks, one module each group; every property is an async function
``(ctx) -> list[Check]`` registered in `PROPERTY_FUNCTIONS` (run in that order, the tenant reset
to its seed before each)."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from halo_sandbox.verify.discovery import Discovery, KitResource, MappedTool, norm, resource
from halo_sandbox.verify.probe import CallRecord, Probe
from halo_sandbox.verify.report import Check, Status

__all__ = ["Context", "fill_arguments", "parameters_for", "store_rows"]

# Other names servers give Halo's fields (matched after `norm`).
FIELD_ALIASES: dict[str, tuple[str, ...]] = {
    "summary": ("subject", "title"),
    "details": ("description", "body"),
    "note": ("text", "comment", "body", "message", "content"),
    "client_id": ("customer_id", "company_id"),
    "ticket_id": ("ticket",),
}


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

    def schema(self, tool: str) -> dict[str, Any]:
        t = self.tools[tool]
        return dict(getattr(t, "input_schema", None) or getattr(t, "inputSchema", None) or {})

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
    """Every row of a resource as the mock lists it (one scope, for scoped resources)."""
    listed = store.list(resource=name, params={"count": "1000000", **(params or {})})
    if isinstance(listed, list):
        return listed
    return next((v for v in listed.values() if isinstance(v, list)), [])


def fill_arguments(schema: Mapping[str, Any], values: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Arguments for a tool from Halo field values, matching parameter names loosely (``clientId``
    for ``client_id``, ``subject`` for ``summary``); returns the arguments and the required
    parameters left unfilled."""
    props = schema.get("properties") or {}
    required = [r for r in schema.get("required") or [] if isinstance(r, str)]
    args: dict[str, Any] = {}
    for field_name, target in parameters_for(schema, values).items():
        args[target] = _coerce(props[target], values[field_name])
    return args, [r for r in required if r not in args]


def parameters_for(schema: Mapping[str, Any], fields: Iterable[str]) -> dict[str, str]:
    """Which tool parameter carries each Halo field (fields no parameter carries are left out)."""
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
