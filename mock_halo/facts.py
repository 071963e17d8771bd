"""Facts about Halo's documented API: which paths, methods, parameters and fields exist.

Read from ``halo_openapi_facts.json``, a compact, normalised extract of Halo's official OpenAPI
document ("Halo API v2"; its source and the command regenerating it are stated in the file and in
`mock_halo._build_facts`). The mock uses these facts to answer every documented path, to parse every
documented parameter with its official type and to report what real Halo would ignore; it never
describes behaviour (that is the resource table's and `FIDELITY.md`'s job).

Types are normalised: ``int32``, ``int64``, ``double``, ``float``, ``string``, ``boolean``,
``date-time``, ``uuid``, ``byte``, ``object``, ``ref:Schema``, ``array<type>``.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

UNSET_DATE = "1900-01-01T00:00:00"


@dataclass(frozen=True, kw_only=True)
class Operation:
    """One documented path + method."""

    template: str
    """The documented path, e.g. ``/Tickets/{id}``."""
    method: str
    query: dict[str, str]
    """Query parameter name (as documented) -> normalised type."""
    path_params: dict[str, str] = field(default_factory=dict)
    body: str | None = None
    """Request schema name; ``Name[]`` for an array of them."""
    tag: str | None = None
    """The operation's first tag: the schema of the record it concerns (``Uname`` for ``/Agent/me``)."""

    @property
    def body_schema(self) -> str | None:
        return self.body.removesuffix("[]") if self.body else None


@dataclass(frozen=True, kw_only=True)
class Match:
    operation: Operation | None
    """``None`` when the path is documented but not for this method."""
    template: str
    params: dict[str, str]
    methods: tuple[str, ...]
    """Documented methods of the matched path (upper case)."""


@functools.cache
def facts() -> dict[str, Any]:
    """The vendored document (loaded once)."""
    text = resources.files(__package__).joinpath("halo_openapi_facts.json").read_text(encoding="utf-8")
    return json.loads(text)


def schema(name: str) -> dict[str, str]:
    """Field -> type of a request schema (empty for an unknown name)."""
    return facts()["schemas"].get(name, {})


def source() -> str:
    return facts()["source"]


_PARAM = re.compile(r"\{([^}]+)\}")


@dataclass(frozen=True)
class _Template:
    template: str
    pattern: re.Pattern[str]
    literals: int
    """Literal segments (more literals win: ``/Agent/me`` before ``/Agent/{id}``)."""


@functools.cache
def _templates() -> dict[str, tuple[_Template, ...]]:
    """Templates grouped by their first segment (lower case), most literal first."""
    out: list[_Template] = []
    for template in facts()["paths"]:
        parts = []
        literals = 0
        for segment in template.strip("/").split("/"):
            pieces = _PARAM.split(segment)
            regex = "".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>[^/&]+)" for i, p in enumerate(pieces))
            literals += 0 if len(pieces) > 1 else 1
            parts.append(regex)
        out.append(_Template(template, re.compile("/" + "/".join(parts), re.IGNORECASE), literals))
    out.sort(key=lambda t: (-t.literals, t.template))
    groups: dict[str, list[_Template]] = {}
    for tpl in out:
        groups.setdefault(tpl.template.strip("/").split("/")[0].lower(), []).append(tpl)
    return {first: tuple(tpls) for first, tpls in groups.items()}


def match(method: str, path: str) -> Match | None:
    """The documented operation for ``method`` on ``path`` (relative to ``/api``, case-insensitive);
    ``None`` when no documented path matches."""
    path = "/" + path.strip("/")
    for tpl in _templates().get(path[1:].split("/")[0].lower(), ()):
        found = tpl.pattern.fullmatch(path)
        if found is None:
            continue
        ops = facts()["paths"][tpl.template]
        op = ops.get(method.lower())
        operation = None
        if op is not None:
            operation = Operation(template=tpl.template, method=method.upper(), query=op.get("query", {}),
                                  path_params=op.get("path", {}), body=op.get("body"), tag=op.get("tag"))
        return Match(operation=operation, template=tpl.template, params=found.groupdict(),
                     methods=tuple(m.upper() for m in ops))
    return None


def operation(method: str, template: str) -> Operation | None:
    """The documented operation for an exact template (``/Tickets``, ``GET``)."""
    ops = facts()["paths"].get(template)
    op = (ops or {}).get(method.lower())
    if op is None:
        return None
    return Operation(template=template, method=method.upper(), query=op.get("query", {}),
                     path_params=op.get("path", {}), body=op.get("body"), tag=op.get("tag"))


@functools.cache
def templates_for(resource_path: str) -> tuple[str, ...]:
    """Documented paths under ``/<resource_path>`` (case-insensitive), e.g. ``/Tickets``, ``/Tickets/{id}``."""
    low = "/" + resource_path.lower()
    return tuple(t for t in facts()["paths"] if t.lower() == low or t.lower().startswith(low + "/"))


def default_for(kind: str) -> Any:
    """Halo's value for an unset field of this type (unset dates are ``1900-01-01T00:00:00``)."""
    if kind in ("int32", "int64"):
        return 0
    if kind in ("double", "float"):
        return 0.0
    if kind == "boolean":
        return False
    if kind == "date-time":
        return UNSET_DATE
    if kind == "uuid":
        return "00000000-0000-0000-0000-000000000000"
    if kind in ("string", "byte"):
        return ""
    if kind.startswith("array<"):
        return []
    return None  # nested objects (``ref:``, ``object``) are absent until set


def full_record(schema_name: str) -> dict[str, Any]:
    """Every field of a schema with its unset value (a fresh dict each call)."""
    return dict(_defaults(schema_name))


@functools.cache
def _defaults(schema_name: str) -> tuple[tuple[str, Any], ...]:
    out = []
    for name, kind in schema(schema_name).items():
        value = default_for(kind)
        out.append((name, value))
    return tuple(out)
