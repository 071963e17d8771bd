"""Regenerate ``halo_openapi_facts.json`` from Halo's official OpenAPI document.

    python -m halo_sandbox.mock.domain._build_facts path/to/halo-swagger.json

The input is Halo's published "Halo API v2" document (886 paths; the copy published in the public
repository ssmanji89/halopsa-workflows-mcp as ``docs/v2_swagger.json``). The output keeps only the facts
the mock needs, normalised:

- every path and method with its query and path parameters, each with one OpenAPI type (Halo writes
  ``bool``/``int``/``double``/``List<int>``/``DateTime``/``obj``; a parameter listed twice keeps its
  first declaration), the request body's schema name (``"Faults[]"`` for an array of ``Faults``) and
  the operation's first tag (the schema of the record it concerns, e.g. ``Uname`` for ``/Agent/me``);
  a body documented only as ``multipart/form-data`` is kept as ``form`` (part name -> type, a file
  part ``binary``) instead of a body schema;
- every schema reachable from a request body or a tag, as field -> type (``int32``, ``int64``, ``double``,
  ``float``, ``string``, ``boolean``, ``date-time``, ``uuid``, ``byte``, ``object``, ``ref:Name``,
  ``array<type>``), and the enum schemas' values.

The document marks nothing required and has no response schemas (except ``Attachment_View``), so
neither appears here. The output is deterministic (sorted keys) and checked in.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any

FACTS_FILE = Path(__file__).with_name("halo_openapi_facts.json")
SOURCE = (
    "Halo API v2 official OpenAPI document (886 paths, 1,331 operations, 703 schemas), as published in "
    "the public repository ssmanji89/halopsa-workflows-mcp at docs/v2_swagger.json"
)

_PARAM_TYPES = {
    "bool": "boolean",
    "boolean": "boolean",
    "int": "int32",
    "integer": "int32",
    "double": "double",
    "number": "double",
    "string": "string",
    "DateTime": "date-time",
    "List<int>": "array<int32>",
    "obj": "object",
}


def param_type(schema: dict[str, Any] | None) -> str:
    """One normalised type for a parameter's (possibly non-OpenAPI) schema."""
    if not schema:
        return "string"
    if "$ref" in schema:
        return "object"
    kind, fmt = schema.get("type"), schema.get("format")
    if kind == "integer":
        return "int64" if fmt == "int64" else "int32"
    if kind == "string" and fmt in ("date-time", "uuid", "byte"):
        return str(fmt)
    if kind == "array":
        return "array<object>" if "$ref" in (schema.get("items") or {}) else "array<string>"
    return _PARAM_TYPES.get(str(kind), "string")


def field_type(schema: dict[str, Any]) -> str:
    """One normalised type for a schema property."""
    if "$ref" in schema:
        return "ref:" + schema["$ref"].rsplit("/", 1)[-1]
    kind, fmt = schema.get("type"), schema.get("format")
    if kind == "integer":
        return "int64" if fmt == "int64" else "int32"
    if kind == "number":
        return "float" if fmt == "float" else "double"
    if kind == "string":
        return str(fmt) if fmt in ("date-time", "uuid", "byte") else "string"
    if kind == "boolean":
        return "boolean"
    if kind == "array":
        return f"array<{field_type(schema.get('items') or {})}>"
    return "object"


FORM = "multipart/form-data"


def form_fields(op: dict[str, Any]) -> dict[str, str] | None:
    """Field -> type of a body documented only as ``multipart/form-data`` (a file part is
    ``binary``); ``None`` for any other body."""
    content: dict[str, Any] = (op.get("requestBody") or {}).get("content") or {}
    if set(content) != {FORM}:
        return None
    props: dict[str, Any] = (content[FORM].get("schema") or {}).get("properties") or {}
    return {
        name: "binary" if prop.get("format") == "binary" else field_type(prop) for name, prop in props.items()
    }


def _body_schema(op: dict[str, Any]) -> str | None:
    body: dict[str, Any] = op.get("requestBody") or {}
    content: dict[str, Any] = body.get("content") or {}
    if form_fields(op) is not None:
        return None
    media: dict[str, Any] = content.get("application/json") or next(iter(content.values()), {})
    schema = media.get("schema")
    if not schema:
        return None
    if schema.get("type") == "array":
        return field_type(schema.get("items") or {}).removeprefix("ref:") + "[]"
    return field_type(schema).removeprefix("ref:")


def build(document: dict[str, Any]) -> dict[str, Any]:
    schemas = document["components"]["schemas"]
    paths: dict[str, Any] = {}
    wanted: list[str] = []
    for path, ops in document["paths"].items():
        entry: dict[str, Any] = {}
        for method, op in ops.items():
            query: dict[str, str] = {}
            path_params: dict[str, str] = {}
            for param in op.get("parameters") or []:
                target = path_params if param["in"] == "path" else query
                target.setdefault(param["name"], param_type(param.get("schema")))
            item: dict[str, Any] = {"query": query}
            if op.get("tags"):
                item["tag"] = op["tags"][0]
                wanted.append(op["tags"][0])
            if path_params:
                item["path"] = path_params
            body = _body_schema(op)
            if body:
                item["body"] = body
                wanted.append(body.removesuffix("[]"))
            form = form_fields(op)
            if form is not None:
                item["form"] = form
                wanted += [k.removeprefix("array<").rstrip(">")[4:] for k in form.values() if "ref:" in k]
            entry[method] = item
        paths[path] = entry
    kept: dict[str, Any] = {}
    enums: dict[str, list[Any]] = {}
    while wanted:
        name = wanted.pop()
        if name in kept or name in enums or name not in schemas:
            continue
        schema = schemas[name]
        if "enum" in schema:
            enums[name] = schema["enum"]
            continue
        fields = {field: field_type(prop) for field, prop in (schema.get("properties") or {}).items()}
        kept[name] = fields
        for kind in fields.values():
            inner = kind.removeprefix("array<").rstrip(">")
            if inner.startswith("ref:"):
                wanted.append(inner[4:])
    return {
        "source": SOURCE,
        "generated_by": "python -m halo_sandbox.mock.domain._build_facts <halo-swagger.json>",
        "paths": paths,
        "schemas": dict(sorted(kept.items())),
        "enums": dict(sorted(enums.items())),
    }


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    raw = Path(argv[0]).read_bytes()
    facts = build(json.loads(raw))
    facts["source_sha256"] = hashlib.sha256(raw).hexdigest()
    FACTS_FILE.write_text(json.dumps(facts, sort_keys=True, separators=(",", ":")) + "\n", encoding="utf-8")
    ops = sum(len(v) for v in facts["paths"].values())
    print(
        f"{FACTS_FILE.name}: {len(facts['paths'])} paths, {ops} operations, {len(facts['schemas'])} schemas, "
        f"{FACTS_FILE.stat().st_size} bytes"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
