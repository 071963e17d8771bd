"""Build-time generator of the breadth catalogue: `python -m halo_sandbox.server.generate`.

Reads Halo's official OpenAPI document (`--source`, default `../shared/halo-swagger.json` next to the
repository) and writes `generated_catalogue.json` (`--output`) beside this module: one entry per
documented Halo resource the curated catalogue (`catalogue.CURATED`) does not cover. The server
never runs this at run time: it loads the checked-in JSON (`generated.py`), so starts stay fast, need no
network, and every change to the generated tools is a reviewable diff. `--check` exits 1 when the
checked-in file differs from what the document gives (for CI).

A resource is a top-level path segment `/X` whose collection (`/X`) or item (`/X/{id}`) path the
document declares. Methods, following the curated convention:

- `list`   GET `/X`              (paged with `pageinate`/`page_size`/`page_no` when `/X` declares them)
- `get`    GET `/X/{id}`
- `create` POST `/X`             (Halo's POST takes an array; an `id` makes it an update)
- `update` POST `/X` with `id`   (only when `/X/{id}` exists, so there is something to update)
- `delete` DELETE `/X/{id}`

Inputs are flat: the operations' query parameters (deduplicated by name, case-insensitively; the
paging parameters are driven by the cursor instead) and the top-level properties of the POST body's
record schema (`readOnly` ones left out). Halo's informal types are normalised: `bool`/`boolean` to
boolean, `int`/`integer` to integer, `double`/`float`/`number` to number, `List<int>` to an array of
integers sent comma-separated, dates/uuids/other strings to string, nested records to objects, references
to enumerations (`WebhookSubscriptionAction`: 0-3) to the enumeration's type and values.

Not generated (the entry's `skipped` note or the module-level `not_generated` list says which):
operations under other sub-paths (`/Actions/reaction`, `/Report/print`, ...: actions, not resources),
query parameters no query string can carry (objects, arrays of records), and parameters named like
the server's own arguments (`limit`, `next_cursor`, `id`).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from halo_sandbox.server.catalogue import CURATED

CATALOGUE_FILE = Path(__file__).with_name("generated_catalogue.json")
UNSET_OUTPUT = Path(__file__).with_name("unset_values.json")
UNSET_DATETIME = "1900-01-01T00:00:00"
"""Halo's unset date (FIDELITY.md: "unset dates answer `1900-01-01T00:00:00`")."""
NIL_UUID = "00000000-0000-0000-0000-000000000000"
DEFAULT_SOURCE = Path(__file__).resolve().parents[1].parent / "shared" / "halo-swagger.json"
"""`../shared/halo-swagger.json` beside the repository (pass `--source` for another copy)."""
PAGING = frozenset({"pageinate", "page_size", "page_no"})
RESERVED = frozenset({"limit", "next_cursor", "id"})
MAX_NAME = 64
"""MCP tool names are at most 64 characters."""

_SCALARS: Mapping[str, str] = {
    "bool": "boolean",
    "boolean": "boolean",
    "int": "integer",
    "integer": "integer",
    "long": "integer",
    "double": "number",
    "float": "number",
    "number": "number",
    "decimal": "number",
    "string": "string",
    "datetime": "string",
    "guid": "string",
}
_LIST = re.compile(r"^(?:List|IEnumerable|array)<\s*(\w+)\s*>$", re.IGNORECASE)


def snake(segment: str) -> str:
    """`AdobeAcrobatDetails` -> `adobe_acrobat_details`, `KBArticle` -> `kb_article`."""
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", segment)
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def plural(word: str) -> str:
    """English plural of a snake-case noun; words Halo already names in the plural (`details`) stay."""
    if word.endswith(("ss", "us", "x", "z", "ch", "sh")):
        return word + "es"
    if word.endswith("s"):
        return word
    if word.endswith("y") and len(word) > 1 and word[-2] not in "aeiou":
        return word[:-1] + "ies"
    return word + "s"


def query_type(schema: Mapping[str, Any]) -> tuple[str, str | None] | None:
    """(JSON type, csv item type) of a query parameter, or None when a query string cannot carry it."""
    raw = schema.get("type")
    if raw is None:
        return ("string", None)
    if not isinstance(raw, str):
        return None
    listed = _LIST.match(raw)
    if listed:
        item = _SCALARS.get(listed.group(1).lower())
        return ("array", item) if item in ("integer", "string", "number") else None
    if raw == "array":
        items = schema.get("items", {})
        item = _SCALARS.get(str(items.get("type", "")).lower()) if "$ref" not in items else None
        return ("array", item) if item else None
    json_type = _SCALARS.get(raw.lower())
    return (json_type, None) if json_type else None


def field_type(schema: Mapping[str, Any], schemas: Mapping[str, Any] | None = None) -> tuple[str, str | None]:
    """(JSON type, item type) of a body property (a `$ref` to an enum is the enum's scalar type)."""
    ref = schema.get("$ref")
    target = (schemas or {}).get(ref.rsplit("/", 1)[-1], {}) if ref else {}
    if "enum" in target:
        return (_SCALARS.get(str(target.get("type", "string")).lower(), "string"), None)
    if ref or schema.get("type") == "object" or "allOf" in schema:
        return ("object", None)
    raw = str(schema.get("type") or "string")
    if raw == "array":
        items = schema.get("items", {})
        if "$ref" in items or items.get("type") in (None, "object", "array"):
            return ("array", "object")
        return ("array", _SCALARS.get(str(items["type"]).lower(), "string"))
    return (_SCALARS.get(raw.lower(), "string"), None)


def _params(
    operation: Mapping[str, Any] | None, skipped: list[str], *, drop: Iterable[str] = ()
) -> list[dict[str, Any]]:
    if not operation:
        return []
    out: dict[str, dict[str, Any]] = {}
    for param in operation.get("parameters", []):
        if param.get("in") != "query":
            continue
        name = param["name"]
        if name in drop or name.lower() in {k.lower() for k in out}:
            continue
        if name in RESERVED:
            skipped.append(f"query parameter {name!r} (the server's own argument)")
            continue
        typed = query_type(param.get("schema", {}))
        if typed is None:
            skipped.append(
                f"query parameter {name!r} (type {param.get('schema', {}).get('type')!r} has no "
                "query-string form)"
            )
            continue
        entry: dict[str, Any] = {"name": name, "type": typed[0]}
        if typed[1]:
            entry["item_type"] = typed[1]
        if param.get("required"):
            entry["required"] = True
        out[name] = entry
    return list(out.values())


def _body_fields(
    operation: Mapping[str, Any] | None, schemas: Mapping[str, Any]
) -> list[dict[str, Any]] | None:
    if not operation:
        return None
    content = (operation.get("requestBody") or {}).get("content", {})
    schema = content.get("application/json") or next(iter(content.values()), None)
    if schema is None:
        return []
    schema = schema.get("schema", {})
    if schema.get("type") == "array":
        schema = schema.get("items", {})
    ref = schema.get("$ref")
    if ref:
        schema = schemas.get(ref.rsplit("/", 1)[-1], {})
    fields: dict[str, dict[str, Any]] = {}
    for name, prop in (schema.get("properties") or {}).items():
        if prop.get("readOnly") or name.lower() == "id" or name.lower() in {k.lower() for k in fields}:
            continue
        json_type, item_type = field_type(prop, schemas)
        entry: dict[str, Any] = {"name": name, "type": json_type}
        if item_type:
            entry["item_type"] = item_type
        ref = prop.get("$ref")
        enum = schemas.get(ref.rsplit("/", 1)[-1], {}).get("enum") if ref else None
        if enum:
            entry["enum"] = list(enum)
        fields[name] = entry
    return list(fields.values())


def _id_type(item: Mapping[str, Any]) -> str:
    for operation in item.values():
        for param in operation.get("parameters", []):
            if param.get("in") == "path" and param.get("name") == "id":
                return "integer" if param.get("schema", {}).get("type") in ("integer", "int") else "string"
    return "integer"


def generate(document: Mapping[str, Any]) -> dict[str, Any]:
    """The breadth catalogue for `document` (Halo's OpenAPI): `{"source", "resources", "not_generated"}`."""
    paths: Mapping[str, Mapping[str, Any]] = document["paths"]
    schemas = document.get("components", {}).get("schemas", {})
    curated_paths = {r.path.lower() for r in CURATED}
    taken = {r.name for r in CURATED} | {r.singular for r in CURATED}
    segments: dict[str, list[str]] = {}
    for path in paths:
        segments.setdefault(path.strip("/").split("/")[0], []).append(path)
    resources: list[dict[str, Any]] = []
    not_generated: list[str] = []
    for segment in sorted(segments, key=str.lower):
        collection_path, item_path = f"/{segment}", f"/{segment}/{{id}}"
        others = [p for p in segments[segment] if p not in (collection_path, item_path)]
        if collection_path.lower() in curated_paths:
            continue
        collection = {m.lower(): op for m, op in paths.get(collection_path, {}).items()}
        item = {m.lower(): op for m, op in paths.get(item_path, {}).items()}
        if not collection and not item:
            not_generated.append(f"{segment}: no collection or item path (only {', '.join(sorted(others))})")
            continue
        singular = snake(segment)
        name = plural(singular)
        if name in taken or singular in taken:
            singular, name = f"{singular}_resource", f"{singular}_resources"
        taken |= {name, singular}
        if (
            len(f"get_single_halo_itsm_{singular}_by_id") > MAX_NAME
            or len(f"update_a_halo_itsm_{singular}_by_id") > MAX_NAME
        ):
            not_generated.append(f"{segment}: tool names would exceed {MAX_NAME} characters")
            continue
        skipped: list[str] = []
        methods: list[str] = []
        entry: dict[str, Any] = {"name": name, "singular": singular, "path": collection_path}
        first = next(iter((collection or item).values()))
        tags = sorted(
            {snake(t) for op in (*collection.values(), *item.values()) for t in op.get("tags", [])} - {""}
        )
        entry["tags"] = tags
        summary = (collection.get("get") or item.get("get") or first).get("summary") or ""
        entry["summary"] = summary.strip()
        if "get" in collection:
            methods.append("list")
            declared = {p["name"] for p in collection["get"].get("parameters", []) if p.get("in") == "query"}
            entry["pageable"] = PAGING <= declared
            entry["filters"] = _params(collection["get"], skipped, drop=PAGING if entry["pageable"] else ())
        if "get" in item:
            methods.append("get")
            entry["get_params"] = _params(item["get"], skipped)
        if "post" in collection:
            methods.append("create")
            if item:
                methods.append("update")
            entry["fields"] = _body_fields(collection["post"], schemas) or []
        if "delete" in item:
            methods.append("delete")
            entry["delete_params"] = _params(item["delete"], skipped)
        if item:
            entry["id_type"] = _id_type(item)
        entry["methods"] = methods
        if others:
            skipped.append(
                f"operations on {', '.join(sorted(others))} (not the resource's collection or item)"
            )
        if skipped:
            entry["skipped"] = sorted(set(skipped))
        entry["tags"] = tags or [singular]
        resources.append(entry)
    info = document.get("info", {})
    return {
        "source": " ".join(part for part in (info.get("title", "Halo API"), info.get("version", "")) if part),
        "generated_by": "python -m halo_sandbox.server.generate",
        "resources": resources,
        "not_generated": not_generated,
    }


def _unset_of(prop: Mapping[str, Any]) -> str | None:
    """The JSON text of the value Halo's document gives a field of this type when it is unset, or
    None when only `null` is (listed under `null`): nested records and enumerations (an
    enumeration's `0` names a member, so it carries information)."""
    if "$ref" in prop or "allOf" in prop or prop.get("type") in (None, "object"):
        return None
    kind, fmt = prop.get("type"), prop.get("format")
    if kind == "array":
        return "[]"
    if kind == "boolean":
        return "false"
    if kind in ("integer", "number"):
        return "0"
    if kind == "string":
        return json.dumps(UNSET_DATETIME if fmt == "date-time" else NIL_UUID if fmt == "uuid" else "")
    return None


def unset_values(document: Mapping[str, Any], resource_paths: Iterable[str]) -> dict[str, Any]:
    """Per resource path (`/Client`): its record schema (the body of `POST <path>`, as for
    `fields`) and, grouped by the JSON text of the unset value, the fields whose value then carries no
    information (`null` is unset for every field listed: Halo leaves nested records `null` until set,
    and a scalar field is `null` only when it holds nothing). Fields the schema does not declare are
    never listed (results keep them)."""
    paths: Mapping[str, Mapping[str, Any]] = document["paths"]
    schemas = document.get("components", {}).get("schemas", {})
    out: dict[str, Any] = {}
    for path in sorted(set(resource_paths), key=str.lower):
        post = {m.lower(): op for m, op in paths.get(path, {}).items()}.get("post")
        content = ((post or {}).get("requestBody") or {}).get("content", {})
        media = content.get("application/json") or next(iter(content.values()), None)
        schema = (media or {}).get("schema", {})
        if schema.get("type") == "array":
            schema = schema.get("items", {})
        ref = schema.get("$ref")
        if not ref:
            continue
        name = ref.rsplit("/", 1)[-1]
        by_value: dict[str, list[str]] = {}
        for field, prop in (schemas.get(name, {}).get("properties") or {}).items():
            if field == "id":
                continue
            by_value.setdefault(_unset_of(prop) or "null", []).append(field)
        out[path] = {"schema": name, "unset": by_value}
    return out


def render_unset(document: Mapping[str, Any], catalogue: Mapping[str, Any]) -> str:
    """`unset_values.json`: the unset values of every curated and generated resource's records."""
    paths = [r.path for r in CURATED] + [r["path"] for r in catalogue["resources"]]
    info = document.get("info", {})
    data = {
        "source": " ".join(part for part in (info.get("title", "Halo API"), info.get("version", "")) if part),
        "generated_by": "python -m halo_sandbox.server.generate",
        "resources": unset_values(document, paths),
    }
    return json.dumps(data, separators=(",", ":"), sort_keys=False, ensure_ascii=False) + "\n"


def render(catalogue: Mapping[str, Any]) -> str:
    """The artefact's text: stable key order, one resource per block, so diffs stay reviewable."""
    return json.dumps(catalogue, indent=1, sort_keys=False, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m halo_sandbox.server.generate", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="Halo's OpenAPI document (JSON)")
    parser.add_argument(
        "--output", type=Path, default=CATALOGUE_FILE, help="where to write the generated catalogue"
    )
    parser.add_argument(
        "--unset-output", type=Path, default=UNSET_OUTPUT, help="where to write the unset values"
    )
    parser.add_argument(
        "--check", action="store_true", help="exit 1 if the output differs instead of writing it"
    )
    options = parser.parse_args(argv)
    try:
        document = json.loads(options.source.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        print(f"cannot read {options.source}: {exc}", file=sys.stderr)
        return 2
    if not isinstance(document, dict) or not isinstance(document.get("paths"), dict):
        print(f"{options.source} is not an OpenAPI document (no `paths` object)", file=sys.stderr)
        return 2
    catalogue = generate(document)
    text = render(catalogue)
    unset = render_unset(document, catalogue)
    if options.check:
        for output, wanted in ((options.output, text), (options.unset_output, unset)):
            current = output.read_text(encoding="utf-8") if output.exists() else ""
            if current != wanted:
                print(f"{output} is out of date: run python -m halo_sandbox.server.generate", file=sys.stderr)
                return 1
        return 0
    options.output.write_text(text, encoding="utf-8")
    options.unset_output.write_text(unset, encoding="utf-8")
    count = len(json.loads(text)["resources"])
    print(f"wrote {options.output} ({count} resources, {len(text)} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
