"""The mock's own OpenAPI 3.1 document, generated from the resource table (`mock_halo.resources`).

The provider describing itself: every ``/api`` resource with its list parameters (paging, order,
search and the table's filters), its envelope or bare array, its by-id reads and deletes, its POST
body (one object or an array of them, typed by the table's ``fields``) and, stricter than Halo's
published document, a schema for every response, success and error alike. The contracts suite
(`contracts/`) runs schemathesis against this document and checks the MCP server's catalogue
against it; nothing in ``server/`` reads it.

Served at ``/_sandbox/openapi.json`` (`.app.create_app`).

Not described: ``/_sandbox`` (the control plane is not Halo's API) and the Halo paths listed in
each resource's ``not_implemented`` entry.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from halo_sandbox.mock.domain import facts
from halo_sandbox.mock.domain.params import Action
from halo_sandbox.mock.domain.query import MAX_PAGE_SIZE, list_plan
from halo_sandbox.mock.domain.resources import RESOURCES, FieldType, Filter, ResourceSpec

DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$"
INT32 = {"minimum": -(2**31), "maximum": 2**31 - 1}

_FIELD_SCHEMAS: Mapping[FieldType, dict[str, Any]] = {
    "int": {"type": "integer", **INT32},
    "float": {"type": "number"},
    "str": {"type": "string"},
    "bool": {"type": "boolean"},
    "date": {"type": "string", "pattern": DATE_PATTERN},
    "list": {"type": "array"},
    "object": {"type": "object"},
}

_INPUT_TYPES: Mapping[FieldType, list[str]] = {
    # What a POST body field may be (the mock coerces like Halo's JSON binder: digit strings to ints,
    # numbers to strings, "true"/1 to booleans; null unsets). Request schemas are supersets of what the
    # mock accepts, so anything outside them must be refused with 400.
    "int": ["integer", "number", "string", "null"],
    "float": ["number", "string", "null"],
    "bool": ["boolean", "integer", "string", "null"],
    "str": ["string", "number", "null"],
    "date": ["string", "null"],
    "list": ["array", "null"],
    "object": ["object", "null"],
}

_FLAG = {"type": ["boolean", "integer"], "description": "true/false (or 1/0)"}
_HOOK_PARAMS: Mapping[str, Mapping[str, dict[str, Any]]] = {
    # Query parameters read by each named filter hook of `rules.PREDICATES`.
    "breached": {
        "includebreached": {
            "type": ["boolean", "integer", "string"],
            "description": "Halo documents an array of int; any value but false/0/empty "
            "lists only breached tickets",
        }
    },
    "ticket_assets": {"ticket_id": {"type": "integer", **INT32, "description": "the ticket's linked assets"}},
    "linked_to_ticket": {"linked_to_ticket": dict(_FLAG)},
    "invoice_type": {
        "rinvoice_type": {
            "type": "string",
            "description": "contracts: invoices naming a contract; invoices: the others; both (or any "
            "other value, case aside): all",
        }
    },
    "invoice_awaiting_approval": {"awaiting_approval": dict(_FLAG)},
    "quote_needs_processing": {"needsprocessing": dict(_FLAG)},
    **{
        f"selected_for_{who}": {
            f"previously_selected_{who}_id": {
                "type": "integer",
                **INT32,
                "description": f"the assets a ticket of that {who} links",
            }
        }
        for who in ("client", "site", "user")
    },
    "stock_locations": {
        "stocklocation": {
            "type": "string",
            "description": "comma-separated site ids: only the stock-location sites among them",
        }
    },
    "review_due": {
        "needsreview": {
            "type": ["boolean", "string"],
            "description": "Halo documents a string; true/1: only articles past their next review date",
        }
    },
    "daterange": {
        "datesearch": {
            "type": "string",
            "enum": [
                "dateoccured",
                "dateoccurred",
                "datecleared",
                "dateclosed",
                "lastactiondate",
                "fixbydate",
                "respondbydate",
                "deadlinedate",
                "startdate",
                "targetdate",
            ],
        },
        "startdate": {"type": "string", "description": "ISO-8601 date or date-time"},
        "enddate": {
            "type": "string",
            "description": "ISO-8601 date or date-time (a bare date includes the day)",
        },
    },
    "closed_states": {
        "includeclosed": {"type": "string", "description": "comma list: 1 closed, 0 not closed"}
    },
    "project_states": {
        "includeprojects": {
            "type": "string",
            "description": "comma list: 1 opportunities, 2 projects, 0 neither",
        }
    },
    "child_states": {
        "includechildren": {
            "type": "string",
            "description": "comma list: 0 no children and not a child, 1 has children, 2 is a child",
        }
    },
    "attached": {"withattachments": _FLAG},
    "ticket_family": {
        "ischildnotes": {**_FLAG, "description": "true/1: the actions of ticket_id's child tickets"},
        "isrelatednotes": {**_FLAG, "description": "true/1: the actions of ticket_id's related tickets"},
    },
    "submitted": {
        "includesubmittedonly": {
            "type": "string",
            "description": "comma list of agent ids: tickets whose first action's agent is one of them",
        }
    },
    "submitted_or_assigned": {
        "submittedandagents": {
            "type": "string",
            "description": "comma list of agent ids: tickets logged by, or assigned to, one of them",
        }
    },
    "linked_asset": {"asset_id": {"type": "integer", **INT32}},
    "related_ticket": {"related_id": {"type": "integer", **INT32}},
    "calendar": {
        "calendar_startdate": {"type": "string", "description": "ISO-8601: an action after it"},
        "calendar_enddate": {
            "type": "string",
            "description": "ISO-8601: an action before it (a bare date includes the day)",
        },
    },
}

_CSV = {"type": "string", "x-csv-of": "integer", "description": "comma-separated integer ids"}
_FILTER_SCHEMAS: Mapping[str, dict[str, Any]] = {
    "int": {"type": "integer", **INT32},
    "csv": _CSV,
    "flag": _FLAG,
    "str": {"type": "string"},
}

_MESSAGE = {"type": "object", "properties": {"message": {"type": "string"}}, "required": ["message"]}
_FIELD_ERRORS = {
    "type": "object",
    "minProperties": 1,
    "additionalProperties": {"type": "array", "items": {"type": "string"}, "minItems": 1},
}
_OAUTH_ERROR = {
    "type": "object",
    "properties": {"error": {"type": "string"}, "error_description": {"type": "string"}},
    "required": ["error", "error_description"],
}
_RATELIMIT_HEADERS = {name: {"schema": {"type": "string"}} for name in ("Retry-After",)}


def _json(schema: dict[str, Any], description: str, **extra: Any) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}, **extra}


def _errors(*statuses: int) -> dict[str, Any]:
    """Halo-style error responses: ``{"message"}``, or for 400 the ASP.NET field map."""
    texts: dict[int, tuple[str, dict[str, Any]]] = {
        400: ("Invalid parameters or body: the field map names each bad field", _FIELD_ERRORS),
        401: ("Missing, unknown or expired Bearer token", _MESSAGE),
        403: ("The token's scopes do not cover this resource", _MESSAGE),
        404: ("Unknown record id", _MESSAGE),
        413: ("Request body over the size limit", _MESSAGE),
        415: ("The body is not JSON (Content-Type)", _MESSAGE),
        429: ("Rate limit reached (rolling window)", _MESSAGE),
    }
    out = {}
    for status in statuses:
        text, schema = texts[status]
        out[str(status)] = _json(schema, text, **({"headers": _RATELIMIT_HEADERS} if status == 429 else {}))
    return out


def field_schema(kind: FieldType, spec: ResourceSpec) -> dict[str, Any]:
    """JSON Schema of one stored field as the mock writes it in responses (and wants it in bodies)."""
    if kind == "id":
        return {"type": "string", "minLength": 1} if spec.id_kind == "uuid" else {"type": "integer", **INT32}
    if kind == "lines":
        line = record_schema(spec.line_fields, spec, computed=(), names=())
        return {"type": "array", "items": line}
    return dict(_FIELD_SCHEMAS[kind])


def record_schema(
    fields: Mapping[str, FieldType],
    spec: ResourceSpec,
    *,
    computed: Iterable[str],
    names: Iterable[str],
    required: Iterable[str] = (),
) -> dict[str, Any]:
    props: dict[str, Any] = {name: field_schema(kind, spec) for name, kind in fields.items()}
    for name in names:
        props[name] = {"type": "string"}
    for name in computed:
        props.setdefault(name, {})
    schema: dict[str, Any] = {"type": "object", "properties": props, "additionalProperties": True}
    if required:
        schema["required"] = list(required)
    return schema


def response_record(spec: ResourceSpec) -> dict[str, Any]:
    """A record as the mock renders it: every table field typed, computed names as strings, ``id`` present."""
    names = (*spec.names, *spec.answered_by_name)
    return record_schema(spec.fields, spec, computed=spec.computed, names=names, required=("id",))


def input_schema(kind: FieldType, spec: ResourceSpec, *, lines: bool = False) -> dict[str, Any]:
    """JSON Schema of what a POST body field may hold (see `_INPUT_TYPES`)."""
    if kind == "id":
        types = ["string", "null"] if spec.id_kind == "uuid" and not lines else _INPUT_TYPES["int"]
        return {"type": list(types), "x-stored-as": field_schema("id", spec)["type"]}
    if kind == "lines":
        item = {
            "type": "object",
            "additionalProperties": True,
            "properties": {name: input_schema(k, spec, lines=True) for name, k in spec.line_fields.items()},
        }
        return {"type": ["array", "null"], "items": item, "x-stored-as": "array"}  # null: unset
    return {"type": list(_INPUT_TYPES[kind]), "x-stored-as": _FIELD_SCHEMAS[kind]["type"]}


def body_item(spec: ResourceSpec) -> dict[str, Any]:
    """One item of a POST body: the table's fields (computed ones are ignored by the mock), other
    properties kept as sent. ``x-stored-as`` names the type the mock stores and answers with."""
    props = {name: input_schema(kind, spec) for name, kind in spec.fields.items()}
    return {"type": "object", "properties": props, "additionalProperties": True}


def list_parameters(spec: ResourceSpec) -> list[dict[str, Any]]:
    """Query parameters of ``GET /api/{path}``: paging, count, order, search and the table's filters."""
    operation = facts.operation("GET", f"/{spec.path}")
    official = {k.lower(): v for k, v in operation.query.items()} if operation else {}
    params: dict[str, dict[str, Any]] = {}
    if spec.pageable or spec.paged_list_key:
        params["pageinate"] = _FLAG
        params["page_size"] = {
            "type": "integer",
            **INT32,
            "description": f"Records per page, clamped to 1-{MAX_PAGE_SIZE}",
        }
        params["page_no"] = {"type": "integer", **INT32, "description": "Page number (from 1; lower means 1)"}
    params["count"] = {
        "type": "integer",
        **INT32,
        "description": "Rows when not paging (a negative count is unset)",
    }
    params["order"] = {
        "type": "string",
        "description": "Field to sort by (unknown fields leave the order as is)",
        "examples": sorted({"id", *spec.fields, *spec.names, *spec.computed}),
    }
    params["orderdesc"] = _FLAG
    params["search"] = {"type": "string"}
    for flt in spec.filters:
        params.update(filter_parameters(flt, official=official))
    for name, action in list_plan(spec).actions.items():  # the documented parameters the rules act on
        params.setdefault(name, rule_schema(action, official.get(name, "string")))
    if spec.list_requires:  # Halo lists nothing without it (not an error)
        params[spec.list_requires] = {
            **params[spec.list_requires],
            "description": "Without it the list is empty, as in Halo",
        }
    return [_query(name, schema) for name, schema in params.items()]


def filter_parameters(flt: Filter, *, official: Mapping[str, str] | None = None) -> dict[str, dict[str, Any]]:
    """The schema of a filter's parameters; an int filter Halo documents as a string takes any
    string (values that are not integers filter nothing)."""
    if flt.kind == "hook":
        return {name: dict(schema) for name, schema in _HOOK_PARAMS[flt.hook].items()}
    if flt.kind == "int" and (official or {}).get(flt.param) == "string":
        return {
            flt.param: {"type": "string", "description": "an integer filters; other values filter nothing"}
        }
    return {flt.param: dict(_FILTER_SCHEMAS[flt.kind])}


_SWITCHES = frozenset(
    {
        "inactive",
        "active",
        "idonly",
        "flag",
        "include",
        "me",
        "present",
        "first",
        "shown",
        "searchin",
        "hidden",
        "searchonly",
    }
)
"""Rules read as true/false, whatever type Halo's document gives the parameter."""


def rule_schema(action: Action, official: str) -> dict[str, Any]:
    """The schema of a documented parameter the rules act on (`params.RULES`): a switch takes
    true/false (also as Halo's documented string), a list of ids comma-separated integers, else the
    official type."""
    if action.rule.act in _SWITCHES:
        return dict(_FLAG) if official == "boolean" else {"type": ["boolean", "integer", "string"]}
    if action.rule.act == "field" and action.kind in ("int32", "int64") and official != "int32":
        return dict(_CSV)
    if official == "int32":
        return {"type": "integer", **INT32}
    if official in ("double", "float"):
        return {"type": "number"}
    return {"type": "string"}


_EMPTY = {"type": "string", "maxLength": 0, "description": "an empty value is the same as leaving it out"}


def _query(name: str, schema: dict[str, Any], *, required: bool = False) -> dict[str, Any]:
    if schema.get("type") != "string":  # `client_id=` is unset, as in ASP.NET binding
        schema = {"anyOf": [schema, _EMPTY]}
    return {"name": name, "in": "query", "required": required, "schema": schema}


def _list_response(spec: ResourceSpec) -> dict[str, Any]:
    rows = {"type": "array", "items": response_record(spec)}
    envelopes = []
    for key in (spec.list_key, spec.paged_list_key):
        if key is None:
            continue
        props: dict[str, Any] = {
            "record_count": {"type": "integer", "minimum": 0},
            key: rows,
            "page_no": {"type": "integer", "minimum": 1},
            "page_size": {"type": "integer", "minimum": 0},
        }
        props.update({k: {"const": v} for k, v in spec.envelope_extras.items()})
        envelopes.append({"type": "object", "properties": props, "required": ["record_count", key]})
    if spec.list_key is None:
        envelopes.insert(0, rows)
    return envelopes[0] if len(envelopes) == 1 else {"anyOf": envelopes}


def _op_id(verb: str, spec: ResourceSpec) -> str:
    return f"{verb}{spec.path}"


def _id_parameters(spec: ResourceSpec) -> list[dict[str, Any]]:
    params = [{"name": "id", "in": "path", "required": True, "schema": field_schema("id", spec)}]
    if spec.id_scope:
        params.append(_query(spec.id_scope, {"type": "integer", **INT32}, required=True))
    return params


def _resource_paths(spec: ResourceSpec) -> dict[str, Any]:
    tag = [spec.name]
    security: list[dict[str, list[str]]] = [{"bearer": []}]
    collection = {
        "get": {
            "operationId": _op_id("list", spec),
            "tags": tag,
            "security": security,
            "summary": f"List {spec.name}" + (" (bare array)" if spec.list_key is None else ""),
            "parameters": list_parameters(spec),
            "responses": {
                "200": _json(_list_response(spec), f"The {spec.name}"),
                **_errors(400, 401, 403, 429),
            },
        },
        "post": {
            "operationId": _op_id("save", spec),
            "tags": tag,
            "security": security,
            "summary": f"Create or update {spec.name} (items with an existing `id` update it)",
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "anyOf": [
                                body_item(spec),
                                {"type": "array", "items": body_item(spec)},  # [] saves nothing
                            ]
                        }
                    }
                },
            },
            "responses": {
                "200": _json(
                    {"anyOf": [response_record(spec), {"type": "array", "items": response_record(spec)}]},
                    "The saved record (an array for several items)",
                ),
                **_errors(400, 401, 403, 404, 413, 415, 429),
            },
        },
    }
    if spec.raw_get:
        read_ok = {
            "description": "The stored bytes",
            "content": {"application/octet-stream": {"schema": {}}},
            "headers": {"Content-Disposition": {"schema": {"type": "string"}, "required": True}},
        }
    else:
        read_ok = _json(response_record(spec), "The record with its computed fields")
    item = {
        "get": {
            "operationId": _op_id("get", spec),
            "tags": tag,
            "security": security,
            "summary": f"One of the {spec.name}",
            "parameters": [*_id_parameters(spec), _query("includedetails", dict(_FLAG))],
            "responses": {"200": read_ok, **_errors(400, 401, 403, 404, 429)},
        },
        "delete": {
            "operationId": _op_id("delete", spec),
            "tags": tag,
            "security": security,
            "summary": f"Delete one of the {spec.name} (and the records it owns)",
            "parameters": _id_parameters(spec),
            "responses": {"200": {"description": "Deleted (empty body)"}, **_errors(400, 401, 403, 404, 429)},
        },
    }
    return {f"/api/{spec.path}": collection, f"/api/{spec.path}/{{id}}": item}


def _auth_paths() -> dict[str, Any]:
    token = {
        "type": "object",
        "properties": {
            "access_token": {"type": "string"},
            "token_type": {"const": "Bearer"},
            "expires_in": {"type": "integer"},
            "scope": {"type": "string"},
            "refresh_token": {"type": "string"},
        },
        "required": ["access_token", "token_type", "expires_in"],
    }
    form = {
        "type": "object",
        "properties": {
            "grant_type": {"type": "string", "enum": ["client_credentials", "password", "refresh_token"]},
            **{
                name: {"type": "string"}
                for name in (
                    "client_id",
                    "client_secret",
                    "username",
                    "password",
                    "refresh_token",
                    "scope",
                    "tenant",
                )
            },
        },
        "required": ["grant_type", "client_id"],
    }
    return {
        "/auth/token": {
            "post": {
                "operationId": "token",
                "tags": ["auth"],
                "summary": "OAuth2 token endpoint",
                "requestBody": {
                    "required": True,
                    "content": {"application/x-www-form-urlencoded": {"schema": form}},
                },
                "responses": {
                    "200": _json(token, "A Bearer token"),
                    "400": _json(_OAUTH_ERROR, "Bad grant, scope or request"),
                    "401": _json(_OAUTH_ERROR, "Unknown client or wrong secret"),
                    **_errors(413),
                },
            }
        },
        "/api/authinfo": {
            "get": {
                "operationId": "authinfo",
                "tags": ["auth"],
                "summary": "Where to get tokens",
                "responses": {
                    "200": _json(
                        {
                            "type": "object",
                            "properties": {"auth_url": {"type": "string"}, "tenant_id": {"type": "string"}},
                            "required": ["auth_url", "tenant_id"],
                        },
                        "The authorisation server",
                    )
                },
            }
        },
    }


def openapi_document(
    *, resources: Iterable[ResourceSpec] = RESOURCES, title: str = "Mock HaloITSM API", version: str = "v2"
) -> dict[str, Any]:
    """The OpenAPI 3.1 document of the mock's ``/api`` and ``/auth`` surface."""
    specs = list(resources)
    paths: dict[str, Any] = _auth_paths()
    for spec in specs:
        paths.update(_resource_paths(spec))
    _add_links(paths, specs)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": title,
            "version": version,
            "description": "Generated from the mock's resource table (mock_halo/domain/resources.py).",
        },
        "paths": paths,
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
    }


def _add_links(paths: dict[str, Any], specs: list[ResourceSpec]) -> None:
    """OpenAPI links for stateful testing: a saved record -> read it, delete it; and for every
    resource whose records are scoped by another (actions by ticket), saved parent -> list and save
    children with the parent's id."""
    for spec in specs:
        saved = paths[f"/api/{spec.path}"]["post"]["responses"]["200"]
        item_params = {"id": "$response.body#/id"}
        if spec.id_scope:
            item_params[spec.id_scope] = f"$response.body#/{spec.id_scope}"
            item_params_list = {spec.id_scope: f"$response.body#/{spec.id_scope}"}
        links: dict[str, dict[str, Any]] = {
            f"Get{spec.path}": {"operationId": _op_id("get", spec), "parameters": dict(item_params)},
            f"Delete{spec.path}": {"operationId": _op_id("delete", spec), "parameters": dict(item_params)},
        }
        if spec.id_scope:
            links[f"List{spec.path}"] = {"operationId": _op_id("list", spec), "parameters": item_params_list}
        for child in specs:
            if not child.id_scope or child.refs.get(child.id_scope) is None:
                continue
            if child.refs[child.id_scope].table != spec.table or spec.view:
                continue
            links[f"Save{child.path}"] = {
                "operationId": _op_id("save", child),
                "requestBody": [{child.id_scope: "$response.body#/id"}],
            }
            links[f"List{child.path}"] = {
                "operationId": _op_id("list", child),
                "parameters": {child.id_scope: "$response.body#/id"},
            }
        saved["links"] = links
