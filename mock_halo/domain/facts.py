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
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from halo_sandbox.mock.engine.clock import UNSET_DATE


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
    form: dict[str, str] | None = None
    """A body documented only as ``multipart/form-data``: part name -> type (a file is ``binary``)."""

    @property
    def body_schema(self) -> str | None:
        return self.body.removesuffix("[]") if self.body else None

    @property
    def values_body(self) -> str | None:
        """The type of a body that is not made of objects (``int32[]``, ``uuid[]``, ``string``), else
        ``None`` (a body of objects, a form, or no body)."""
        if not self.body:
            return None
        item = self.body.removesuffix("[]")
        return self.body if item in _JSON_TYPES and item != "object" else None


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
_SEGMENT = {"int32": "-?[0-9]+", "int64": "-?[0-9]+"}
"""Route constraints: an integer path parameter matches ASCII digits only (ASP.NET's ``{id:int}``)."""


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
    for template, ops in facts()["paths"].items():
        kinds = {name: kind for op in ops.values() for name, kind in op.get("path", {}).items()}
        parts = []
        literals = 0
        for segment in template.strip("/").split("/"):
            pieces = _PARAM.split(segment)
            regex = "".join(
                re.escape(p) if i % 2 == 0 else f"(?P<{p}>{_SEGMENT.get(kinds.get(p, ''), '[^/&]+')})"
                for i, p in enumerate(pieces)
            )
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
    ``None`` when no documented path matches. The most literal template documenting the method wins
    (``/Agent/me`` before ``/Agent/{id}``); a path documented only for other methods matches with
    ``operation`` ``None``."""
    path = "/" + path.strip("/")
    first: Match | None = None
    for tpl in _templates().get(path[1:].split("/")[0].lower(), ()):
        found = tpl.pattern.fullmatch(path)
        if found is None:
            continue
        ops = facts()["paths"][tpl.template]
        op = ops.get(method.lower())
        methods = tuple(m.upper() for m in ops)
        if op is not None:
            operation = Operation(
                template=tpl.template,
                method=method.upper(),
                query=op.get("query", {}),
                path_params=op.get("path", {}),
                body=op.get("body"),
                tag=op.get("tag"),
                form=op.get("form"),
            )
            return Match(
                operation=operation, template=tpl.template, params=found.groupdict(), methods=methods
            )
        if first is None:
            first = Match(operation=None, template=tpl.template, params=found.groupdict(), methods=methods)
    return first


def operation(method: str, template: str) -> Operation | None:
    """The documented operation for an exact template (``/Tickets``, ``GET``)."""
    ops = facts()["paths"].get(template)
    op = (ops or {}).get(method.lower())
    if op is None:
        return None
    return Operation(
        template=template,
        method=method.upper(),
        query=op.get("query", {}),
        path_params=op.get("path", {}),
        body=op.get("body"),
        tag=op.get("tag"),
        form=op.get("form"),
    )


@functools.cache
def templates_for(resource_path: str) -> tuple[str, ...]:
    """Documented paths under ``/<resource_path>`` (case-insensitive), e.g. ``/Tickets``,
    ``/Tickets/{id}``."""
    low = "/" + resource_path.lower()
    return tuple(t for t in facts()["paths"] if t.lower() == low or t.lower().startswith(low + "/"))


@functools.cache
def record_schema(resource_path: str) -> str | None:
    """The official schema of a resource's records: the body of ``POST /<resource_path>``."""
    op = operation("POST", "/" + resource_path)
    name = op.body_schema if op else None
    return name if name and schema(name) else None


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


# -- the official document, normalised --------------------------------------------------------------
_JSON_TYPES: dict[str, dict[str, Any]] = {
    "int32": {"type": "integer", "minimum": -(2**31), "maximum": 2**31 - 1},
    "int64": {"type": "integer", "minimum": -(2**63), "maximum": 2**63 - 1},
    "double": {"type": "number"},
    "float": {"type": "number"},
    "string": {"type": "string"},
    "byte": {"type": "string"},
    "boolean": {"type": "boolean"},
    "date-time": {"type": "string", "format": "date-time"},
    "uuid": {"type": "string", "format": "uuid"},
    "object": {"type": "object"},
    "binary": {"type": "string", "format": "binary"},
}


def json_schema(kind: str, *, depth: int = 1) -> dict[str, Any]:
    """The JSON schema of a normalised type (``null`` allowed: Halo's fields are nullable). Nested
    schemas are expanded ``depth`` levels deep, then stand as plain objects."""
    if kind.startswith("array<"):
        inner = json_schema(kind[len("array<") : -1], depth=depth)
        inner.pop("nullable", None)
        return {"type": "array", "items": inner, "nullable": True}
    if kind.startswith("ref:"):
        name = kind[4:]
        if name in facts()["enums"]:
            return {"enum": list(facts()["enums"][name]), "nullable": True}
        if depth <= 0 or not schema(name):
            return {"type": "object", "nullable": True}
        return {
            "type": "object",
            "nullable": True,
            "properties": {f: json_schema(t, depth=depth - 1) for f, t in schema(name).items()},
        }
    return {**_JSON_TYPES.get(kind, {"type": "string"}), "nullable": True}


def official_document(*, templates: Iterable[str] | None = None, depth: int = 1) -> dict[str, Any]:
    """Halo's official OpenAPI document rebuilt from the vendored facts with OpenAPI types (``bool`` ->
    ``boolean``, ``int`` -> ``integer``, ...), paths under ``/api``; ``templates`` limits the paths.
    Nothing is required (Halo marks nothing) and no response is described (Halo describes none).
    ``depth``: how deep nested schemas of request bodies are expanded."""
    chosen = set(templates) if templates is not None else None
    paths: dict[str, Any] = {}
    for template, ops in facts()["paths"].items():
        if chosen is not None and template not in chosen:
            continue
        entry: dict[str, Any] = {}
        for method, op in ops.items():
            params = [
                {
                    "name": name,
                    "in": "path",
                    "required": True,
                    "schema": {k: v for k, v in json_schema(kind).items() if k != "nullable"},
                }
                for name, kind in op.get("path", {}).items()
            ]
            params += [
                {
                    "name": name,
                    "in": "query",
                    "required": False,
                    "schema": {k: v for k, v in json_schema(kind, depth=0).items() if k != "nullable"},
                }
                for name, kind in op["query"].items()
            ]
            operation: dict[str, Any] = {
                "operationId": f"{method}{template}",
                "parameters": params,
                "responses": {"200": {"description": "OK"}},
            }
            body = op.get("body")
            if body:
                name = body.removesuffix("[]")
                item = json_schema(name if name in _JSON_TYPES else "ref:" + name, depth=depth + 1)
                item.pop("nullable", None)
                operation["requestBody"] = {
                    "content": {
                        "application/json": {
                            "schema": {"type": "array", "items": item} if body.endswith("[]") else item
                        }
                    }
                }
            if "form" in op:
                parts = {part: json_schema(kind, depth=depth) for part, kind in op["form"].items()}
                operation["requestBody"] = {
                    "content": {"multipart/form-data": {"schema": {"type": "object", "properties": parts}}}
                }
            entry[method] = operation
        paths["/api" + template] = entry
    return {
        "openapi": "3.0.3",
        "info": {"title": "Halo API v2 (official, normalised)", "version": "v2", "description": source()},
        "paths": paths,
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        "security": [{"bearer": []}],
    }
