"""Which tool lists, reads, creates, updates or deletes which Halo resource, found from tool names
(``list_all_halo_itsm_tickets``, ``halo_tickets_list``, ``listTickets``, ``get-ticket``, ...),
descriptions and input schemas; a mapping file overrides. Tools it cannot place are listed as
unmapped, never guessed.

The vocabulary is this module's own table (`RESOURCES`): how people name Halo's resources, the
mock's name for each, and the sample values a verify run writes.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

__all__ = ["RESOURCES", "Discovery", "KitResource", "MappedTool", "discover", "load_mapping", "norm"]

Role = Literal["list", "get", "create", "update", "delete"]
ROLES: tuple[Role, ...] = ("list", "get", "create", "update", "delete")


@dataclass(frozen=True, kw_only=True)
class KitResource:
    """A Halo resource as the kit names it."""

    name: str
    """The mock's resource name (``store.list(resource=...)``)."""
    aliases: tuple[str, ...]
    """Token sequences naming it, singular and plural (``"kb article"``, ``"kbarticle"``)."""
    scope: str | None = None
    """A parent field every list/get needs (``ticket_id`` for actions)."""
    sample: Mapping[str, Any] = field(default_factory=dict)
    """Fields of a record a verify run creates; ``"@client"``/``"@ticket"`` is a seeded record's id,
    ``"@text"`` a unique text."""
    text_field: str | None = None
    """A free-text field an update can change."""


RESOURCES: tuple[KitResource, ...] = (
    KitResource(name="ticket_types", aliases=("ticket type", "ticket types", "tickettype", "tickettypes")),
    KitResource(
        name="tickets",
        aliases=("ticket", "tickets", "incident", "incidents", "case", "cases"),
        sample={"summary": "@text", "client_id": "@client", "details": "@text"},
        text_field="summary",
    ),
    KitResource(
        name="actions",
        aliases=("action", "actions", "ticket action", "ticket actions", "note", "notes"),
        scope="ticket_id",
        sample={"ticket_id": "@ticket", "note": "@text"},
        text_field="note",
    ),
    KitResource(
        name="attachments", aliases=("attachment", "attachments", "file", "files"), scope="ticket_id"
    ),
    KitResource(
        name="kb_articles",
        aliases=(
            "kb article",
            "kb articles",
            "kbarticle",
            "kbarticles",
            "kb",
            "knowledge base",
            "knowledgebase",
            "article",
            "articles",
        ),
        sample={"name": "@text", "description": "@text"},
        text_field="name",
    ),
    KitResource(name="teams", aliases=("team", "teams")),
    KitResource(name="agents", aliases=("agent", "agents", "technician", "technicians")),
    KitResource(name="statuses", aliases=("status", "statuses")),
    KitResource(name="priorities", aliases=("priority", "priorities")),
    KitResource(name="slas", aliases=("sla", "slas")),
    KitResource(name="categories", aliases=("category", "categories")),
    KitResource(name="outcomes", aliases=("outcome", "outcomes")),
    KitResource(
        name="clients",
        aliases=("client", "clients", "customer", "customers", "company", "companies"),
        sample={"name": "@text"},
        text_field="name",
    ),
    KitResource(name="sites", aliases=("site", "sites")),
    KitResource(name="users", aliases=("user", "users", "contact", "contacts", "end user", "end users")),
    KitResource(name="projects", aliases=("project", "projects")),
    KitResource(name="quotes", aliases=("quote", "quotes", "quotation", "quotations")),
    KitResource(name="invoices", aliases=("invoice", "invoices")),
    KitResource(name="contracts", aliases=("contract", "contracts", "client contract", "client contracts")),
    KitResource(name="assets", aliases=("asset", "assets", "device", "devices", "configuration item")),
)
_BY_NAME = {r.name: r for r in RESOURCES}
_PLURALS = {
    alias
    for r in RESOURCES
    for alias in r.aliases
    if alias.endswith("s") and alias[:-1] in r.aliases or alias.endswith("ies") or alias.endswith("ses")
}

_VERBS: dict[str, Role] = {
    "list": "list",
    "search": "list",
    "query": "list",
    "browse": "list",
    "enumerate": "list",
    "get": "get",
    "read": "get",
    "fetch": "get",
    "retrieve": "get",
    "show": "get",
    "view": "get",
    "describe": "get",
    "create": "create",
    "add": "create",
    "new": "create",
    "post": "create",
    "log": "create",
    "open": "create",
    "update": "update",
    "edit": "update",
    "modify": "update",
    "patch": "update",
    "change": "update",
    "delete": "delete",
    "remove": "delete",
    "destroy": "delete",
}
_NOISE = {"halo", "itsm", "psa", "servicedesk", "a", "an", "the", "single", "by", "of", "for", "one", "tool"}


def norm(name: str) -> str:
    """``"ticket_id"``, ``"ticketId"``, ``"Ticket-ID"`` -> ``"ticketid"``."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


def tokens(name: str) -> list[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    return [t for t in re.split(r"[^a-zA-Z0-9]+", spaced.lower()) if t]


@dataclass(frozen=True, kw_only=True)
class MappedTool:
    name: str
    resource: str
    role: Role
    id_param: str | None = None
    scope_param: str | None = None
    source: str = "name"
    """How it was mapped: ``name``, ``description`` or ``mapping file``."""

    def public(self) -> dict[str, Any]:
        return {
            "tool": self.name,
            "resource": self.resource,
            "role": self.role,
            "id_param": self.id_param,
            "scope_param": self.scope_param,
            "source": self.source,
        }

    @property
    def id_arg(self) -> str:
        """The id argument of a get, update or delete tool (discovery maps none without one)."""
        if self.id_param is None:
            raise LookupError(f"{self.name} ({self.resource}.{self.role}) has no id argument")
        return self.id_param


@dataclass(kw_only=True)
class Discovery:
    mapped: dict[tuple[str, Role], MappedTool] = field(default_factory=dict)
    unmapped: dict[str, str] = field(default_factory=dict)
    """Tool name -> why it was not mapped."""

    def tool(self, resource: str, role: Role) -> MappedTool | None:
        return self.mapped.get((resource, role))

    def by_name(self) -> dict[str, MappedTool]:
        return {m.name: m for m in self.mapped.values()}


def _find_resource(words: Sequence[str]) -> tuple[KitResource, str] | None:
    """The longest alias found as consecutive words; among equals the last (``add_ticket_note`` is
    about notes, ``list_client_sites`` about sites)."""
    best: tuple[tuple[int, int], KitResource, str] | None = None
    for resource in RESOURCES:
        for alias in resource.aliases:
            parts = alias.split()
            for start in range(len(words) - len(parts) + 1):
                rank = (len(parts), start)
                if list(words[start : start + len(parts)]) == parts and (best is None or rank > best[0]):
                    best = (rank, resource, alias)
    return (best[1], best[2]) if best else None


def _role(words: Sequence[str]) -> Role | None:
    for word in words:
        if word in _VERBS:
            return _VERBS[word]
    return None


def _props(schema: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    props = schema.get("properties") if isinstance(schema, Mapping) else None
    required = schema.get("required") if isinstance(schema, Mapping) else None
    return (dict(props) if isinstance(props, Mapping) else {}), [
        r for r in (required or []) if isinstance(r, str)
    ]


def _id_param(resource: KitResource, schema: Mapping[str, Any]) -> str | None:
    props, required = _props(schema)
    singular = norm(resource.aliases[0])
    for candidate in ("id", f"{singular}id", f"{norm(resource.name)}id"):
        for name in props:
            if norm(name) == candidate:
                return name
    scope = norm(resource.scope) if resource.scope else None
    for name in required:
        if norm(name).endswith("id") and norm(name) != scope:
            return name
    return None


def _scope_param(resource: KitResource, schema: Mapping[str, Any]) -> str | None:
    if not resource.scope:
        return None
    props, _ = _props(schema)
    return next((name for name in props if norm(name) == norm(resource.scope)), None)


def _classify(name: str, description: str, schema: Mapping[str, Any]) -> tuple[KitResource, Role, str] | str:
    words = [w for w in tokens(name) if w not in _NOISE]
    role = _role(words)
    found = _find_resource(words)
    source = "name"
    if found is None and role is not None:
        first = re.split(r"[.\n]", description or "", maxsplit=1)[0]
        candidates = {
            r.name: (r, a) for w in [tokens(first)] for r, a in [_find_resource(w) or (None, "")] if r
        }
        if len(candidates) == 1:
            found = next(iter(candidates.values()))
            source = "description"
    if found is None:
        return "no Halo resource in its name" + (" or description" if role else "")
    resource, alias = found
    if role is None:
        return f"names {resource.name} but no action (list/get/create/update/delete)"
    id_param = _id_param(resource, schema)
    _, required = _props(schema)
    plural = alias in _PLURALS
    if role == "get" and (plural or "all" in words) and not (id_param and id_param in required):
        role = "list"
    if role == "list" and not plural and id_param and id_param in required and "all" not in words:
        role = "get"
    if (
        role == "create"
        and id_param
        and id_param in required
        and norm(id_param) != norm(resource.scope or "")
    ):
        role = "update"
    return resource, role, source


def discover(tools: Iterable[Any], mapping: Mapping[str, Any] | None = None) -> Discovery:
    """Map `mcp.types.Tool`-like objects (``name``, ``description``, ``input_schema``)."""
    overrides: Mapping[str, Any] = (mapping or {}).get("tools", {})
    ignored = set((mapping or {}).get("ignore", []))
    found = Discovery()
    for tool in tools:
        schema = getattr(tool, "input_schema", None) or getattr(tool, "inputSchema", None) or {}
        if tool.name in ignored:
            found.unmapped[tool.name] = "ignored by the mapping file"
            continue
        if tool.name in overrides:
            entry = overrides[tool.name]
            resource = _BY_NAME[entry["resource"]]
            mapped = MappedTool(
                name=tool.name,
                resource=resource.name,
                role=entry["role"],
                id_param=entry.get("id_param", _id_param(resource, schema)),
                scope_param=entry.get("scope_param", _scope_param(resource, schema)),
                source="mapping file",
            )
            if mapped.role in ("get", "update", "delete") and mapped.id_param is None:
                found.unmapped[tool.name] = (
                    f"mapped to {mapped.resource}.{mapped.role} by the mapping file, but no id argument"
                    " was found: give its id_param"
                )
                continue
        else:
            verdict = _classify(tool.name, tool.description or "", schema)
            if isinstance(verdict, str):
                found.unmapped[tool.name] = verdict
                continue
            resource, role, source = verdict
            id_param = _id_param(resource, schema) if role in ("get", "update", "delete") else None
            if role in ("get", "update", "delete") and id_param is None:
                found.unmapped[tool.name] = f"looks like {resource.name}.{role} but has no id argument"
                continue
            mapped = MappedTool(
                name=tool.name,
                resource=resource.name,
                role=role,
                id_param=id_param,
                scope_param=_scope_param(resource, schema),
                source=source,
            )
        key = (mapped.resource, mapped.role)
        if key in found.mapped and found.mapped[key].source != "mapping file":
            if mapped.source == "mapping file":
                found.unmapped[found.mapped[key].name] = (
                    f"{key[0]}.{key[1]} is mapped to {tool.name} by the mapping file"
                )
                found.mapped[key] = mapped
            else:
                found.unmapped[tool.name] = f"{key[0]}.{key[1]} is already {found.mapped[key].name}"
            continue
        if key in found.mapped:
            found.unmapped[tool.name] = f"{key[0]}.{key[1]} is already {found.mapped[key].name}"
            continue
        found.mapped[key] = mapped
    return found


def load_mapping(path: Path) -> dict[str, Any]:
    """A mapping file (JSON, or TOML by extension)::

        {"tools": {"fetch_case": {"resource": "tickets", "role": "get", "id_param": "case_no"}},
         "ignore": ["ping"]}

    Raises ``ValueError`` naming what is wrong."""
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text) if path.suffix.lower() == ".toml" else json.loads(text)
    except (OSError, ValueError) as exc:
        raise ValueError(f"cannot read mapping file {path}: {exc}") from None
    if not isinstance(data, dict) or not set(data) <= {"tools", "ignore"}:
        raise ValueError(
            "a mapping file holds 'tools' (name -> {resource, role, id_param?, scope_param?}) "
            "and 'ignore' (names)"
        )
    tools = data.get("tools", {})
    if not isinstance(tools, dict):
        raise ValueError("'tools' must map tool names to {resource, role}")
    for name, entry in tools.items():
        if (
            not isinstance(entry, dict)
            or entry.get("resource") not in _BY_NAME
            or entry.get("role") not in ROLES
        ):
            raise ValueError(
                f"tool {name!r}: resource must be one of {', '.join(sorted(_BY_NAME))} and role one "
                f"of {', '.join(ROLES)}"
            )
        unknown = set(entry) - {"resource", "role", "id_param", "scope_param"}
        if unknown:
            raise ValueError(f"tool {name!r}: unknown keys {', '.join(sorted(unknown))}")
    ignore = data.get("ignore", [])
    if not isinstance(ignore, list) or not all(isinstance(n, str) for n in ignore):
        raise ValueError("'ignore' must be a list of tool names")
    return data


def resource(name: str) -> KitResource:
    return _BY_NAME[name]
