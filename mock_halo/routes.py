"""The ``/api`` resource routes, generated from the resource table.

Four generic handlers serve every resource in `mock_halo.resources.RESOURCES`; the path segment
is resolved case-insensitively through the table (unknown -> 404). Handlers check the token's
scope and call the tenant's store with keyword arguments; errors propagate as `HaloError` to
the app's single handler. Body-size limits are enforced by the app's middleware.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import anyio.to_thread
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from .auth import check_scope
from .exceptions import UnsupportedMediaType, ValidationError
from .resources import ResourceSpec, spec_for_path
from .tenants import Tenant, current_tenant

router = APIRouter(prefix="/api", include_in_schema=False)


def _spec(request: Request, resource: str, *, write: bool) -> ResourceSpec:
    spec = spec_for_path(resource)
    check_scope(request.state.token.scopes, needed=spec.edit_scope if write else spec.read_scope)
    return spec


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


_JSON_TYPES = ("application/json", "text/json", "application/json-patch+json")
OFF_LOOP_BYTES = 256 * 1024
"""Bodies larger than this are parsed and saved in a worker thread, so one big batch does not stall
every other client of the event loop."""


def _check_json_type(request: Request) -> None:
    """Halo's POST endpoints consume JSON only (halo-api.md §2: ``application/json``, ``text/json``,
    ``application/*+json``); ASP.NET answers anything else with 415 before reading the body."""
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype in _JSON_TYPES or (ctype.startswith("application/") and ctype.endswith("+json")):
        return
    raise UnsupportedMediaType(f"Unsupported Media Type: the body must be JSON (Content-Type: application/json), "
                               f"not {ctype or 'unspecified'!r}.")


def _parse_json(raw: bytes) -> Any:
    try:
        return json.loads(raw, parse_constant=_no_constants)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ValidationError({"": [f"The request body is not valid JSON: {str(exc)[:200]}"]}) from None


def _content_disposition(filename: str) -> str:
    plain = "".join(c if 32 <= ord(c) < 127 and c not in '"\\' else "_" for c in filename)
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(filename, safe='')}"


@router.get("/{resource}")
async def list_records(resource: str, request: Request, tenant: Tenant = Depends(current_tenant)) -> JSONResponse:
    spec = _spec(request, resource, write=False)
    return JSONResponse(tenant.store.list(resource=spec.name, params=request.query_params))


@router.get("/{resource}/{record_id}")
async def get_record(resource: str, record_id: str, request: Request,
                     tenant: Tenant = Depends(current_tenant)) -> Response:
    spec = _spec(request, resource, write=False)
    if spec.raw_get:
        content, filename, media_type = tenant.store.attachment_content(resource=spec.name, id=record_id)
        return Response(content, media_type=media_type,
                        headers={"Content-Disposition": _content_disposition(filename)})
    return JSONResponse(tenant.store.get(resource=spec.name, id=record_id, params=request.query_params))


@router.post("/{resource}")
async def post_records(resource: str, request: Request, tenant: Tenant = Depends(current_tenant)) -> JSONResponse:
    spec = _spec(request, resource, write=True)
    _check_json_type(request)
    raw = await request.body()
    store = tenant.store

    def save() -> Any:
        return store.post(resource=spec.name, body=_parse_json(raw))

    return JSONResponse(save() if len(raw) <= OFF_LOOP_BYTES else await anyio.to_thread.run_sync(save))


@router.delete("/{resource}/{record_id}")
async def delete_record(resource: str, record_id: str, request: Request,
                        tenant: Tenant = Depends(current_tenant)) -> Response:
    spec = _spec(request, resource, write=True)
    tenant.store.delete(resource=spec.name, id=record_id, params=request.query_params)
    return Response(status_code=200)
