"""Which tool lists, reads, creates, updates or deletes which Halo resource, found from tool names
(``list_all_halo_itsm_tickets``, ``halo_tickets_list``, ``listTickets``, ``get-ticket``, ...),
descriptions and input schemas; a mapping file overrides. Tools it cannot place are listed as
unmapped, never guessed: two tools claiming one resource and role, or one tool naming two resources
it could be about, are reported as ambiguous.

The vocabulary covers every resource of Halo's official document (the vendored facts,
`halo_sandbox.mock.domain.facts`: each top-level path, ``/Supplier``, ``/TicketRules``,
``/Opportunities``, named by its words, singular and plural), plus this module's own table of how
people name the resources the sandbox models (`_CURATED`: ``customer`` for clients, ``incident``
for tickets) and the sample values a verify run writes.

An id argument is a record's id only when it is that resource's own id (``id``, ``ticket_id``,
``ticketId`` for tickets): ``create_ticket(client_id=...)`` is a create, never an update of a client.
"""

from __future__ import annotations

import functools
import json
import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

__all__ = [
    "VOCABULARY",
    "Discovery",
    "KitResource",
    "MappedTool",
    "discover",
    "guard_arguments",
    "load_mapping",
    "norm",
    "resource",
]

Role = Literal["list", "get", "create", "update", "delete"]
ROLES: tuple[Role, ...] = ("list", "get", "create", "update", "delete")


def norm(name: str) -> str:
    """``"ticket_id"``, ``"ticketId"``, ``"Ticket-ID"`` -> ``"ticketid"``."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


@dataclass(frozen=True, kw_only=True)
class KitResource:
    """A Halo resource as the kit names it."""

    name: str
    """The sandbox's name for it (``store.list(resource=...)``) for the resources it models
    (``tickets``), else Halo's documented path (``Supplier``)."""
    aliases: tuple[str, ...]
    """Token sequences naming it, singular and plural (``"kb article"``, ``"kbarticle"``)."""
    halo_path: str = ""
    """Its top-level path in Halo's official document (``Tickets``, ``Client``, ``Supplier``)."""
    scope: str | None = None
    """A parent field every list/get needs (``ticket_id`` for actions)."""
    sample: Mapping[str, Any] = field(default_factory=dict)
    """Fields of a record a verify run creates; ``"@client"``/``"@ticket"`` is a seeded record's id,
    ``"@text"`` a unique text."""
    text_field: str | None = None
    """A free-text field an update can change."""

    @property
    def modelled(self) -> bool:
        """Whether the sandbox models it with its own rules (else it serves it generically)."""
        return self.name in _CURATED_NAMES

    def id_names(self) -> set[str]:
        """`norm`-ed argument names that carry this resource's own id (``id`` aside)."""
        names = set()
        for alias in self.aliases:
            word = norm(alias)
            names |= {f"{word}id", f"{word}number", f"{word}no"}
        names.add(f"{norm(self.name)}id")
        return names


_CURATED: tuple[KitResource, ...] = (
    KitResource(
        name="ticket_types",
        halo_path="TicketType",
        aliases=("ticket type", "ticket types", "tickettype", "tickettypes"),
    ),
    KitResource(
        name="tickets",
        halo_path="Tickets",
        aliases=("ticket", "tickets", "incident", "incidents", "case", "cases"),
        sample={"summary": "@text", "client_id": "@client", "details": "@text"},
        text_field="summary",
    ),
    KitResource(
        name="actions",
        halo_path="Actions",
        aliases=("action", "actions", "ticket action", "ticket actions", "note", "notes"),
        scope="ticket_id",
        sample={"ticket_id": "@ticket", "note": "@text"},
        text_field="note",
    ),
    KitResource(
        name="attachments",
        halo_path="Attachment",
        aliases=("attachment", "attachments", "file", "files"),
        scope="ticket_id",
    ),
    KitResource(
        name="kb_articles",
        halo_path="KBArticle",
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
    KitResource(name="teams", halo_path="Team", aliases=("team", "teams")),
    KitResource(name="agents", halo_path="Agent", aliases=("agent", "agents", "technician", "technicians")),
    KitResource(name="statuses", halo_path="Status", aliases=("status", "statuses")),
    KitResource(name="priorities", halo_path="Priority", aliases=("priority", "priorities")),
    KitResource(name="slas", halo_path="SLA", aliases=("sla", "slas")),
    KitResource(name="categories", halo_path="Category", aliases=("category", "categories")),
    KitResource(name="outcomes", halo_path="Outcome", aliases=("outcome", "outcomes")),
    KitResource(
        name="clients",
        halo_path="Client",
        aliases=("client", "clients", "customer", "customers", "company", "companies"),
        sample={"name": "@text"},
        text_field="name",
    ),
    KitResource(name="sites", halo_path="Site", aliases=("site", "sites")),
    KitResource(
        name="users",
        halo_path="Users",
        aliases=("user", "users", "contact", "contacts", "end user", "end users"),
    ),
    KitResource(name="projects", halo_path="Projects", aliases=("project", "projects")),
    KitResource(name="quotes", halo_path="Quotation", aliases=("quote", "quotes", "quotation", "quotations")),
    KitResource(name="invoices", halo_path="Invoice", aliases=("invoice", "invoices")),
    KitResource(
        name="contracts",
        halo_path="ClientContract",
        aliases=("contract", "contracts", "client contract", "client contracts"),
    ),
    KitResource(
        name="assets",
        halo_path="Asset",
        aliases=("asset", "assets", "device", "devices", "configuration item"),
    ),
)


def _words(name: str) -> list[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    spaced = re.sub(r"([A-Z]+)([A-Z][a-z])", r"\1 \2", spaced)
    return [w for w in re.split(r"[^a-zA-Z0-9]+", spaced.lower()) if w]


def _singular(word: str) -> str:
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "xes", "ches", "shes", "uses")):
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) > 3:
        return word[:-1]
    return word


def _plural(word: str) -> str:
    if word.endswith("y") and len(word) > 2 and word[-2] not in "aeiou":
        return word[:-1] + "ies"
    if word.endswith(("s", "x", "ch", "sh")):
        return word + "es"
    return word + "s"


_NOT_RESOURCES = {"search", "test1", "test3", "test4", "testerror", "example", "lookup"}
"""Documented top-level paths that name no record (a verb, test fixtures of the document)."""


def _documented() -> tuple[KitResource, ...]:
    """A resource for every top-level path of Halo's official document the curated table lacks."""
    from halo_sandbox.mock.domain import facts

    curated = {norm(r.halo_path) for r in _CURATED}
    tops = dict.fromkeys(p.strip("/").split("/")[0] for p in facts.facts()["paths"])
    out = []
    for top in tops:
        if not top or "{" in top or norm(top) in curated or norm(top) in _NOT_RESOURCES:
            continue
        words = _words(top)
        last = words[-1]
        forms = {_singular(last), _plural(_singular(last)), last}
        aliases: list[str] = []
        for form in sorted(forms, key=lambda f: (f != _singular(last), f)):
            spaced = " ".join([*words[:-1], form])
            aliases += [spaced, spaced.replace(" ", "")]
        out.append(KitResource(name=top, halo_path=top, aliases=tuple(dict.fromkeys(aliases))))
    return tuple(out)


_CURATED_NAMES = {r.name for r in _CURATED}
VOCABULARY: tuple[KitResource, ...] = _CURATED + _documented()
_BY_NAME = {r.name: r for r in VOCABULARY}
_BY_LOWER = {
    **{r.halo_path.lower(): r for r in VOCABULARY if r.halo_path},
    **{r.name.lower(): r for r in VOCABULARY},
}
_PLURALS = {
    alias
    for r in VOCABULARY
    for alias in r.aliases
    if alias.endswith("s") and alias[:-1] in r.aliases or alias.endswith("ies") or alias.endswith("ses")
}
_ALIASES: dict[str, list[tuple[KitResource, tuple[str, ...]]]] = {}
for _r in VOCABULARY:
    for _alias in _r.aliases:
        _ALIASES.setdefault(_alias.split()[0], []).append((_r, tuple(_alias.split())))

_VERBS: dict[str, Role] = {
    "list": "list",
    "search": "list",
    "find": "list",
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
    "lookup": "get",
    "create": "create",
    "add": "create",
    "new": "create",
    "post": "create",
    "log": "create",
    "open": "create",
    "raise": "create",
    "submit": "create",
    "insert": "create",
    "upsert": "create",
    "save": "create",
    "update": "update",
    "edit": "update",
    "modify": "update",
    "patch": "update",
    "change": "update",
    "set": "update",
    "assign": "update",
    "delete": "delete",
    "remove": "delete",
    "destroy": "delete",
}
_NOISE = {"halo", "itsm", "psa", "servicedesk", "a", "an", "the", "single", "by", "of", "for", "one", "tool"}
_BODY_NAMES = {"data", "body", "record", "fields", "payload", "attributes", "values", "properties", "item"}
_GUARD_TRUE = {
    "confirm",
    "confirmed",
    "confirmation",
    "force",
    "yes",
    "acknowledge",
    "acknowledged",
    "iunderstand",
    "approve",
    "approved",
    "proceed",
}
_GUARD_FALSE = {"dryrun", "preview", "validateonly", "simulate", "whatif"}


def tokens(name: str) -> list[str]:
    return _words(name)


@dataclass(frozen=True, kw_only=True)
class MappedTool:
    name: str
    resource: str
    role: Role
    id_param: str | None = None
    scope_param: str | None = None
    body_param: str | None = None
    """The object argument a write's record goes in (``data: {...}``), when not at the top level."""
    fixed: Mapping[str, Any] = field(default_factory=dict)
    """Arguments sent with every call (a guard like ``confirm: true``; the mapping file's ``fixed``)."""
    source: str = "name"
    """How it was mapped: ``name``, ``description`` or ``mapping file``."""

    def public(self) -> dict[str, Any]:
        return {
            "tool": self.name,
            "resource": self.resource,
            "role": self.role,
            "id_param": self.id_param,
            "scope_param": self.scope_param,
            "body_param": self.body_param,
            "fixed": dict(self.fixed),
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
    ambiguous: dict[str, list[str]] = field(default_factory=dict)
    """``resource.role`` (or a tool name) -> the candidates discovery would not choose between."""

    def tool(self, resource: str, role: Role) -> MappedTool | None:
        return self.mapped.get((resource, role))

    def by_name(self) -> dict[str, MappedTool]:
        return {m.name: m for m in self.mapped.values()}


def _named(words: Sequence[str]) -> list[tuple[KitResource, str, int, int]]:
    """Every resource named by consecutive words: (resource, alias, length, start), keeping only
    the longest match at each place (``ticket rules`` hides ``ticket``)."""
    hits: list[tuple[KitResource, str, int, int]] = []
    for start, word in enumerate(words):
        for res, parts in _ALIASES.get(word, ()):
            if tuple(words[start : start + len(parts)]) == parts:
                hits.append((res, " ".join(parts), len(parts), start))
    # one alias, two documented resources (``Notification``, ``Notifications``): the one it spells
    exact = {(h[3], h[2]) for h in hits if norm(h[1]) == norm(h[0].halo_path or h[0].name)}
    hits = [h for h in hits if (h[3], h[2]) not in exact or norm(h[1]) == norm(h[0].halo_path or h[0].name)]
    kept = []
    for hit in hits:
        covered = any(
            other[2] > hit[2] and other[3] <= hit[3] and hit[3] + hit[2] <= other[3] + other[2]
            for other in hits
        )
        if not covered:
            kept.append(hit)
    return kept


def _find_resource(words: Sequence[str]) -> tuple[KitResource, str] | None:
    """The longest alias found as consecutive words; among equals the last (``add_ticket_note`` is
    about notes, ``list_client_sites`` about sites)."""
    hits = _named(words)
    if not hits:
        return None
    best = max(hits, key=lambda h: (h[2], h[3]))
    return best[0], best[1]


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


def _own_id_param(resource: KitResource, schema: Mapping[str, Any]) -> str | None:
    """The argument carrying the resource's own id by a specific name (``ticket_id``, ``ticketId``)."""
    props, _ = _props(schema)
    names = resource.id_names() - ({norm(resource.scope)} if resource.scope else set())
    return next((name for name in props if norm(name) in names), None)


def _id_param(resource: KitResource, schema: Mapping[str, Any]) -> str | None:
    """``id``, else the resource's own id argument; never another resource's id (``client_id`` of
    a ticket create is the ticket's client, not the record)."""
    props, _ = _props(schema)
    plain = next((name for name in props if norm(name) == "id"), None)
    return plain or _own_id_param(resource, schema)


def _scope_param(resource: KitResource, schema: Mapping[str, Any]) -> str | None:
    if not resource.scope:
        return None
    props, _ = _props(schema)
    return next((name for name in props if norm(name) == norm(resource.scope)), None)


def _object(prop: Any, root: Mapping[str, Any], depth: int = 0) -> bool:
    """Whether an argument takes an object (through a local ``$ref`` and ``anyOf`` with ``null``)."""
    if not isinstance(prop, Mapping) or depth > 8:
        return False
    ref = prop.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        target: Any = root
        for part in ref[2:].split("/"):
            target = target.get(part) if isinstance(target, Mapping) else None
        return _object(target, root, depth + 1)
    kinds = prop.get("type")
    if kinds == "object" or (isinstance(kinds, list) and "object" in kinds) or "properties" in prop:
        return True
    return any(
        _object(option, root, depth + 1)
        for option in [*(prop.get("anyOf") or []), *(prop.get("allOf") or [])]
    )


def _body_param(resource: KitResource, schema: Mapping[str, Any]) -> str | None:
    """The object argument a write's record goes in: one named like a body (``data``, ``fields``)
    or like the resource (``ticket``), or the only object argument when no field of the record is
    an argument of its own."""
    props, _ = _props(schema)
    objects = [name for name, prop in props.items() if _object(prop, schema)]
    if not objects:
        return None
    named = {norm(a) for a in resource.aliases} | _BODY_NAMES
    for name in objects:
        if norm(name) in named:
            return name
    sample = {norm(k) for k in resource.sample}
    if len(objects) == 1 and not sample & {norm(p) for p in props}:
        return objects[0]
    return None


def guard_arguments(schema: Mapping[str, Any]) -> dict[str, Any]:
    """Required arguments a write needs set to proceed: a ``const`` (or one-value ``enum``), a
    confirmation guard (``confirm: true``, ``force: true``), a dry-run switch (``dry_run: false``)."""
    props, required = _props(schema)
    out: dict[str, Any] = {}
    for name in required:
        prop = props.get(name)
        if not isinstance(prop, Mapping):
            continue
        if "const" in prop:
            out[name] = prop["const"]
        elif isinstance(prop.get("enum"), list) and len(prop["enum"]) == 1:
            out[name] = prop["enum"][0]
        elif prop.get("type") == "boolean" and norm(name) in _GUARD_TRUE:
            out[name] = True
        elif prop.get("type") == "boolean" and norm(name) in _GUARD_FALSE:
            out[name] = False
    return out


def _classify(name: str, description: str, schema: Mapping[str, Any]) -> tuple[KitResource, Role, str] | str:
    raw = tokens(name)
    words = [w for w in raw if w not in _NOISE]
    role = _role(words)
    hits = _named(raw)  # with "halo": Halo's own HaloNews, HaloDeviceInfo
    source = "name"
    if not hits and role is not None:
        first = re.split(r"[.\n]", description or "", maxsplit=1)[0]
        named = {h[0].name: h for h in _named(tokens(first))}
        if len(named) == 1:
            hits = list(named.values())
            source = "description"
        elif len(named) > 1:
            return f"ambiguous: its description names {', '.join(sorted(named))}; name one in a mapping file"
    if not hits:
        return "no Halo resource in its name" + (" or description" if role else "")
    if role is None:
        return f"names {hits[-1][0].name} but no action (list/get/create/update/delete)"
    longest = max(h[2] for h in hits)
    candidates = {h[0].name: h for h in hits if h[2] == longest}
    if len(candidates) > 1 and role in ("get", "update", "delete"):
        # the record is the resource whose own id the tool takes (get_client_site(site_id) is a
        # site); two such resources (set_ticket_status(ticket_id, status_id)) are not guessed between
        _, required = _props(schema)
        owners = {n: h for n, h in candidates.items() if _own_id_param(h[0], schema) in required}
        if len(owners) > 1:
            return (
                f"ambiguous: it names {' and '.join(sorted(owners))} and takes the id of each; "
                "name its resource in a mapping file"
            )
        if owners:
            candidates = owners
    resource, alias = max(candidates.values(), key=lambda h: h[3])[:2]
    id_param = _id_param(resource, schema)
    _, required = _props(schema)
    plural = alias in _PLURALS
    if role == "get" and (plural or "all" in words) and not (id_param and id_param in required):
        role = "list"
    if role == "list" and not plural and id_param and id_param in required and "all" not in words:
        role = "get"
    if role == "create" and id_param and id_param in required:
        role = "update"  # saving a record named by its own required id
    return resource, role, source


_STRENGTH = {"mapping file": 2, "name": 1, "description": 0}


def _qualifiers(name: str) -> list[str]:
    """The words of a tool name beyond its action, its resource and noise (``my``, ``assigned`` of
    ``halo_list_my_assigned_tickets``): a tool so named narrows the plain one."""
    words = [w for w in tokens(name) if w not in _NOISE]
    covered: set[int] = set()
    for hit in _named(words):
        covered |= set(range(hit[3], hit[3] + hit[2]))
    return [w for i, w in enumerate(words) if i not in covered and w not in _VERBS and w != "all"]


def discover(tools: Iterable[Any], mapping: Mapping[str, Any] | None = None) -> Discovery:
    """Map `mcp.types.Tool`-like objects (``name``, ``description``, ``input_schema``)."""
    overrides: Mapping[str, Any] = (mapping or {}).get("tools", {})
    ignored = set((mapping or {}).get("ignore", []))
    found = Discovery()
    claims: dict[tuple[str, Role], list[MappedTool]] = {}
    for tool in tools:
        schema = getattr(tool, "input_schema", None) or getattr(tool, "inputSchema", None) or {}
        if tool.name in ignored:
            found.unmapped[tool.name] = "ignored by the mapping file"
            continue
        verdict = _classify(tool.name, tool.description or "", schema)
        if tool.name in overrides:
            mapped_or_why = _from_mapping(tool.name, overrides[tool.name], schema, verdict)
        else:
            mapped_or_why = _from_discovery(tool.name, schema, verdict)
        if isinstance(mapped_or_why, str):
            found.unmapped[tool.name] = mapped_or_why
            if mapped_or_why.startswith("ambiguous"):
                found.ambiguous[tool.name] = [tool.name]
            continue
        claims.setdefault((mapped_or_why.resource, mapped_or_why.role), []).append(mapped_or_why)
    for key, tools_for in claims.items():
        top = max(_STRENGTH[m.source] for m in tools_for)
        strongest = [m for m in tools_for if _STRENGTH[m.source] == top]
        label = f"{key[0]}.{key[1]}"
        plain = [m for m in strongest if not _qualifiers(m.name)]
        if len(strongest) > 1 and len(plain) == 1:
            # list_tickets beside list_my_tickets, list_assigned_tickets: the plainly named one
            found.mapped[key] = plain[0]
            for m in strongest:
                if m is not plain[0]:
                    found.unmapped[m.name] = (
                        f"{label} is {plain[0].name} (named only by its action and resource); this one "
                        f"narrows it ({', '.join(_qualifiers(m.name))})"
                    )
        elif len(strongest) > 1:
            names = [m.name for m in strongest]
            found.ambiguous[label] = names
            for m in strongest:
                others = ", ".join(n for n in names if n != m.name)
                found.unmapped[m.name] = (
                    f"ambiguous: {label} could be this tool or {others}; name one in a mapping file "
                    "(or ignore the others)"
                )
        else:
            found.mapped[key] = strongest[0]
        for m in tools_for:
            if _STRENGTH[m.source] < top:
                found.unmapped[m.name] = (
                    f"{label} is {', '.join(s.name for s in strongest)} (by its {strongest[0].source}); "
                    f"this one only by its {m.source}"
                )
    return found


def _from_discovery(name: str, schema: Mapping[str, Any], verdict: Any) -> MappedTool | str:
    if isinstance(verdict, str):
        return verdict
    res, role, source = verdict
    id_param = _id_param(res, schema) if role in ("get", "update", "delete") else None
    if role in ("get", "update", "delete") and id_param is None:
        return f"looks like {res.name}.{role} but has no id argument of its own (id, {res.name}'s id)"
    writes = role in ("create", "update")
    return MappedTool(
        name=name,
        resource=res.name,
        role=role,
        id_param=id_param,
        scope_param=_scope_param(res, schema),
        body_param=_body_param(res, schema) if writes else None,
        fixed=guard_arguments(schema),
        source=source,
    )


def _from_mapping(
    name: str, entry: Mapping[str, Any], schema: Mapping[str, Any], verdict: Any
) -> MappedTool | str:
    named = _find_resource(tokens(name))
    if "resource" in entry:
        res = _BY_LOWER[str(entry["resource"]).lower()]
    elif not isinstance(verdict, str):
        res = verdict[0]
    elif named is not None:
        res = named[0]
    else:
        return f"the mapping file names its role but not its resource, and discovery found none ({verdict})"
    role = entry.get("role") or (verdict[1] if not isinstance(verdict, str) else None)
    if role is None:
        return "the mapping file names its resource but not its role, and discovery found none"
    props, _ = _props(schema)
    for key in ("id_param", "scope_param", "body_param"):
        if key in entry and props and entry[key] not in props:
            return f"the mapping file's {key} {entry[key]!r} is not an argument of {name}"
    id_param = entry.get("id_param", _id_param(res, schema))
    if role in ("get", "update", "delete") and id_param is None:
        return (
            f"mapped to {res.name}.{role} by the mapping file, but no id argument was found: "
            "give its id_param"
        )
    writes = role in ("create", "update")
    return MappedTool(
        name=name,
        resource=res.name,
        role=role,
        id_param=id_param,
        scope_param=entry.get("scope_param", _scope_param(res, schema)),
        body_param=entry.get("body_param", _body_param(res, schema) if writes else None),
        fixed={**guard_arguments(schema), **dict(entry.get("fixed", {}))},
        source="mapping file",
    )


_ENTRY_KEYS = {"resource", "role", "id_param", "scope_param", "body_param", "fixed"}


def load_mapping(path: Path) -> dict[str, Any]:
    """A mapping file (JSON, or TOML by extension)::

        {"tools": {"fetch_case": {"resource": "tickets", "role": "get", "id_param": "case_no"},
                   "save_case": {"role": "create", "body_param": "data", "fixed": {"confirm": true}}},
         "ignore": ["ping"]}

    ``resource`` is the kit's name (``tickets``) or Halo's path (``Tickets``, ``Supplier``); either
    it or ``role`` may be left to discovery. Raises ``ValueError`` naming what is wrong."""
    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text) if path.suffix.lower() == ".toml" else json.loads(text)
    except (OSError, ValueError) as exc:
        raise ValueError(f"cannot read mapping file {path}: {exc}") from None
    if not isinstance(data, dict) or not set(data) <= {"tools", "ignore"}:
        raise ValueError(
            "a mapping file holds 'tools' (name -> {resource, role, id_param, scope_param, body_param, "
            "fixed}) and 'ignore' (names)"
        )
    tools = data.get("tools", {})
    if not isinstance(tools, dict):
        raise ValueError("'tools' must map tool names to {resource, role, ...}")
    for name, entry in tools.items():
        if not isinstance(entry, dict) or not ({"resource", "role"} & set(entry)):
            raise ValueError(f"tool {name!r}: give at least its resource or its role")
        unknown = set(entry) - _ENTRY_KEYS
        if unknown:
            raise ValueError(
                f"tool {name!r}: unknown keys {', '.join(sorted(unknown))} "
                f"(known: {', '.join(sorted(_ENTRY_KEYS))})"
            )
        if "resource" in entry and str(entry["resource"]).lower() not in _BY_LOWER:
            close = [r.name for r in VOCABULARY if norm(r.name).startswith(norm(str(entry["resource"]))[:4])][
                :8
            ]
            raise ValueError(
                f"tool {name!r}: unknown resource {entry['resource']!r}: give the kit's name (tickets, "
                "clients, kb_articles, ...) or Halo's documented path (Supplier, TicketRules, ...)"
                + (f"; close: {', '.join(close)}" if close else "")
            )
        if "role" in entry and entry["role"] not in ROLES:
            raise ValueError(f"tool {name!r}: role must be one of {', '.join(ROLES)}")
        for key in ("id_param", "scope_param", "body_param"):
            if key in entry and not isinstance(entry[key], str):
                raise ValueError(f"tool {name!r}: {key} must be an argument name")
        if "fixed" in entry and not isinstance(entry["fixed"], dict):
            raise ValueError(f"tool {name!r}: fixed must map argument names to values")
    ignore = data.get("ignore", [])
    if not isinstance(ignore, list) or not all(isinstance(n, str) for n in ignore):
        raise ValueError("'ignore' must be a list of tool names")
    return data


@functools.cache
def resource(name: str) -> KitResource:
    """The kit's resource by its name; raises ``KeyError``."""
    return _BY_NAME[name]
