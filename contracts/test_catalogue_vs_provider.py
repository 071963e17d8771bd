"""Catalogue vs provider: every resource, method, filter and body field the MCP server's catalogue
expects exists in the mock's OpenAPI document with a compatible type."""

from __future__ import annotations

from typing import Any

import pytest

from contracts.provider_document import DOCUMENT, NOT_OFFERED, operation
from halo_sandbox.server.catalogue import CURATED, Param, Resource

_OPS = {
    "list": ("GET", ""),
    "get": ("GET", "/1"),
    "create": ("POST", ""),
    "update": ("POST", ""),
    "delete": ("DELETE", "/1"),
}
_JSON = {
    "integer": "integer",
    "number": "number",
    "string": "string",
    "boolean": "boolean",
    "array": "array",
    "object": "object",
}


def _types(schema: dict[str, Any]) -> set[str]:
    if "anyOf" in schema:
        return set().union(*(_types(s) for s in schema["anyOf"]))
    t = schema.get("type", [])
    return {t} if isinstance(t, str) else set(t)


def compatible(param: Param, schema: dict[str, Any]) -> str | None:
    """None when the provider takes what the consumer sends for ``param``; else why not."""
    offered = _types(schema)
    if param.csv:
        if schema.get("x-csv-of") != param.item_type:
            return f"{param.name}: consumer sends comma-separated {param.item_type}s, provider takes {schema}"
        return None
    wanted = _JSON[param.type]
    if wanted not in offered and not (wanted == "integer" and "number" in offered):
        return f"{param.name}: consumer sends {wanted}, provider takes {sorted(offered)}"
    if param.enum is not None and "enum" in schema:
        missing = [v for v in param.enum if v not in schema["enum"]]
        if missing:
            return f"{param.name}: consumer may send {missing}, provider's enum is {schema['enum']}"
    return None


def _gaps(entry: Resource) -> list[str]:
    gaps = []
    for method in sorted(entry.methods):
        verb, suffix = _OPS[method]
        try:
            op, _ = operation(verb, f"/api{entry.path}{suffix}")
        except AssertionError as exc:
            gaps.append(f"{method}: {exc}")
            continue
        declared = {p["name"]: p["schema"] for p in op.spec.get("parameters", [])}
        params = {"list": entry.filters, "get": entry.get_params, "delete": entry.delete_params}.get(
            method, ()
        )
        for param in params:
            if param.name not in declared:
                gaps.append(f"{method}: query parameter {param.name!r} is not offered by the provider")
            elif problem := compatible(param, declared[param.name]):
                gaps.append(f"{method}: {problem}")
        if method in ("create", "update"):
            item = op.body_schema["anyOf"][0]["properties"]
            for param in entry.fields:
                if param.name not in item:
                    gaps.append(f"{method}: body field {param.name!r} is not a field the provider knows")
                elif problem := compatible(param, item[param.name]):
                    gaps.append(f"{method}: {problem}")
    return gaps


def _ledger(entry: Resource) -> set[str]:
    listed = set()
    for method, names in NOT_OFFERED.get(entry.name, {}).items():
        for name in names.split():
            if method == "body":
                listed |= {
                    f"{m}: body field {name!r} is not a field the provider knows"
                    for m in ("create", "update")
                    if m in entry.methods
                }
            else:
                listed.add(f"{method}: query parameter {name!r} is not offered by the provider")
    return listed


@pytest.mark.parametrize("entry", CURATED, ids=lambda e: e.name)
def test_the_consumer_expects_only_what_the_provider_offers(entry: Resource):
    gaps, listed = set(_gaps(entry)), _ledger(entry)
    new, closed = sorted(gaps - listed), sorted(listed - gaps)
    assert not new, (
        f"{entry.name} ({entry.path}) expects what the provider does not offer:\n  " + "\n  ".join(new)
    )
    assert not closed, f"{entry.name}: the provider now offers {closed}; remove them from NOT_OFFERED"


def test_the_document_covers_every_catalogue_path():
    paths = {p.lower() for p in DOCUMENT["paths"]}
    assert {f"/api{e.path}".lower() for e in CURATED} <= paths
