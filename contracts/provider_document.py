"""The provider's OpenAPI document as the consumer contracts use it: find the operation an HTTP
request hits and check the request against it (path, method, query names and types, body)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

import httpx
from jsonschema import Draft202012Validator

from halo_sandbox.mock.domain.facts import official_document
from halo_sandbox.mock.http.openapi import openapi_document

DOCUMENT = openapi_document()
GENERIC = official_document()
"""What the provider serves beyond its table: every path of Halo's official document, answered by its
generic collections (the mock's vendored facts, normalised). Generated tools of resources the table
does not model are held to this document."""

NOT_OFFERED: dict[str, dict[str, str]] = {
    "tickets": {"body": "dont_do_rules", "delete": "reason", "get": "includelastaction"},
    "teams": {"get": "includeagents", "list": "showcounts type"},
    "statuses": {"list": "excludeclosed showcounts tickettype_id"},
    "slas": {"list": "showpriorities"},
    "ticket_types": {"get": "includeconfig", "list": "client_id showinactive"},
    "categories": {"list": "team_id tickettype_id"},
    "clients": {"list": "search_name_only"},
    "projects": {"body": "dont_do_rules", "delete": "reason"},
    "invoices": {"delete": "bypass_accounts_sync"},
    "contracts": {"list": "excluderenewed includeinactive"},
}
"""The ledger of what the server's catalogue sends but the mock does not implement (it ignores
unknown query parameters and keeps unknown body fields as sent: FIDELITY.md "Unknown query parameters
are ignored" and each resource's ``not_implemented`` entry). Keyed by catalogue resource, then
``list``/``get``/``delete`` (query parameters) or ``body`` (fields). `test_catalogue_vs_provider`
fails on any gap not listed here *and* on any listed gap the mock has since closed, so the ledger
stays exact; requests using these names pass `check_request` without a type check."""


UNTYPED_IN_CATALOGUE = frozenset({"lines"})
"""Body fields the catalogue leaves as free objects (``lines``: ``{"type": "object"}`` items) while the
mock types their members (``qty_order`` a number, ...): the server may forward line members the mock
refuses with 400. A known gap: body errors inside these fields are not held against the consumer."""


def free_object_arrays(input_schema: dict[str, Any]) -> frozenset[str]:
    """Arguments a tool types as arrays of free objects (``{"type": "object"}`` items, no members).
    Generated tools type this way every documented array of a schema (``condition_entities``:
    ``KeyPair4[]``, ``{id, name}``), while the mock checks the members (FIDELITY.md, nested values):
    a known gap, held by `test_tool_schemas.test_generated_tools_leave_documented_items_untyped`;
    body errors inside these arrays are not held against the tool."""
    return frozenset(
        name
        for name, prop in (input_schema.get("properties") or {}).items()
        if prop.get("type") == "array"
        and (prop.get("items") or {}).get("type") == "object"
        and not (prop.get("items") or {}).get("properties")
    )


def not_offered(resource: str, method: str) -> frozenset[str]:
    return frozenset(NOT_OFFERED.get(resource, {}).get(method, "").split())


@dataclass(frozen=True)
class Operation:
    template: str
    method: str
    spec: dict[str, Any]

    @property
    def parameters(self) -> dict[str, dict[str, Any]]:
        return {p["name"]: p for p in self.spec.get("parameters", [])}

    @property
    def body_schema(self) -> dict[str, Any] | None:
        body = self.spec.get("requestBody")
        return body["content"]["application/json"]["schema"] if body else None


def _pattern(template: str) -> re.Pattern[str]:
    parts = [f"(?P<{p[1:-1]}>[^/]+)" if p.startswith("{") else re.escape(p) for p in template.split("/")]
    return re.compile("^" + "/".join(parts) + "$", re.IGNORECASE)  # Halo paths are case-insensitive


_TEMPLATES = [(_pattern(t), t) for t in DOCUMENT["paths"]]


def _loose_pattern(template: str) -> re.Pattern[str]:
    """`_pattern` for templates whose placeholders are not plain names (Halo documents `{id}&{seq}`)."""
    parts = [
        (f"(?P<{p[1:-1]}>[^/]+)" if p[1:-1].isidentifier() else "[^/]+") if "{" in p else re.escape(p)
        for p in template.split("/")
    ]
    return re.compile("^" + "/".join(parts) + "$", re.IGNORECASE)


_GENERIC_TEMPLATES = sorted(
    ((_loose_pattern(t), t) for t in GENERIC["paths"]), key=lambda pt: pt[1].count("{")
)


def operation(
    method: str, path: str, *, document: dict[str, Any] = DOCUMENT
) -> tuple[Operation, dict[str, str]]:
    """The documented operation for ``method path`` and its path parameters; AssertionError if none."""
    templates = _TEMPLATES if document is DOCUMENT else _GENERIC_TEMPLATES
    for pattern, template in templates:
        match = pattern.match(path)
        if match and not (template.endswith("}") is False and "{" in path):
            ops = document["paths"][template]
            assert method.lower() in ops, (
                f"{method} {path}: the provider documents only {sorted(ops)} on {template}"
            )
            return Operation(template, method.lower(), ops[method.lower()]), match.groupdict()
    raise AssertionError(f"{method} {path}: no such path in the provider's OpenAPI document")


def _in_table(path: str) -> bool:
    return any(pattern.match(path) for pattern, _ in _TEMPLATES)


_REQUESTS = {
    "list": ("get", ""),
    "get": ("get", "/{id}"),
    "create": ("post", ""),
    "update": ("post", ""),
    "delete": ("delete", "/{id}"),
}


def declares(tool: Any) -> bool:
    """Whether the provider's document declares the operation a catalogue tool calls (by its resource's
    path, case-insensitively, and its method)."""
    if tool.entry is None or tool.method not in _REQUESTS:
        return False
    verb, suffix = _REQUESTS[tool.method]
    wanted = f"/api{tool.entry.path}{suffix}".lower()
    return any(
        template.lower() == wanted and verb in ops
        for document in (DOCUMENT, GENERIC)
        for template, ops in document["paths"].items()
    )


def _typed(raw: str, schema: dict[str, Any]) -> Any:
    """A query/path string as the JSON value it stands for under ``schema`` (Halo parses them so)."""
    types = [
        t
        for branch in schema.get("anyOf", [schema])
        for t in ([branch.get("type")] if isinstance(branch.get("type"), str) else branch.get("type", []))
    ]
    if "boolean" in types and raw in ("true", "false"):
        return raw == "true"
    if ("integer" in types or "number" in types) and re.fullmatch(r"-?\d+", raw):
        return int(raw)
    return raw


def check_value(where: str, raw: str, schema: dict[str, Any]) -> None:
    errors = list(Draft202012Validator(schema).iter_errors(_typed(raw, schema)))
    assert not errors, f"{where}={raw!r} does not fit the provider's schema {schema}: {errors[0].message}"


def check_request(
    request: httpx.Request,
    *,
    resource: str = "",
    method: str = "",
    generated: bool = False,
    untyped: frozenset[str] = frozenset(),
) -> Operation:
    """Assert that ``request`` is one the provider's document declares; return its operation.
    ``resource``/``method`` (catalogue names) admit the query names of the `NOT_OFFERED` ledger.
    ``generated`` (a tool generated from Halo's official document): on a resource of the provider's table it
    admits query names the table does not declare (such a tool offers every parameter Halo documents, the
    mock implements some and ignores the rest, FIDELITY.md; declared ones are still type-checked, path,
    method and body are not relaxed); elsewhere the request is held to `GENERIC`, strictly. ``untyped``:
    the tool's arrays of free objects (`free_object_arrays`), whose members are not checked."""
    # matched as sent (percent-encoded), so that an id holding a `/` (`%2F`) stays one segment
    path = request.url.raw_path.split(b"?", 1)[0].decode("ascii")
    if generated and not _in_table(path):
        generated = False
        op, path_params = operation(request.method, path, document=GENERIC)
    else:
        op, path_params = operation(request.method, path)
    where = f"{request.method} {request.url.path}"
    declared = op.parameters
    for name, value in path_params.items():
        check_value(f"{where} path {name}", unquote(value), declared[name]["schema"])
    ignored = not_offered(resource, "list" if method == "list" else method)
    for name, value in request.url.params.multi_items():
        if (name in ignored or generated) and name not in declared:
            continue
        assert name in declared, (
            f"{where}: query parameter {name!r} is not declared (declared: {sorted(declared)})"
        )
        check_value(f"{where} query {name}", value, declared[name]["schema"])
    for name, param in declared.items():
        if param.get("required") and param["in"] == "query":
            assert name in request.url.params, f"{where}: required query parameter {name!r} missing"
    if request.content:
        schema = op.body_schema
        assert schema is not None, f"{where}: a body was sent, the operation takes none"
        body = json.loads(request.content)
        branches = [
            b
            for b in schema.get("anyOf", [schema])
            if b.get("type") == ("array" if isinstance(body, list) else "object")
        ] or [schema]
        errors = [
            e
            for e in _leaf_errors(Draft202012Validator(branches[0]).iter_errors(body))
            if not (UNTYPED_IN_CATALOGUE | untyped) & {str(p) for p in e.absolute_path}
        ]
        assert not errors, f"{where}: body does not fit the provider's schema: {errors[0].message}"
    return op


def _leaf_errors(errors):
    """The innermost errors (``anyOf`` branches), so each names the offending field's path."""
    for error in errors:
        if error.context:
            yield from _leaf_errors(error.context)
        else:
            yield error
