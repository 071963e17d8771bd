"""The ``/api`` routes: the resource table's resources, then every other documented Halo path.

Four handlers serve the resources of `mock_halo.resources.RESOURCES` (the path segment resolved
case-insensitively); every other path Halo's official document lists (`mock_halo.facts`) is served
by its named hook (`mock_halo.special`) or by generic behaviour (`mock_halo.generic`, marked with the
``X-Sandbox-Generic`` header). A path Halo does not document answers 404 saying so; a documented
path asked with an undocumented method answers 405 with ``Allow``.

Every request is bound against the official contract first (`mock_halo.binding`): what real Halo
would ignore is noted (journal, ``X-Sandbox-Ignored``) or, for a strict tenant, refused with 400
before the store is called. Handlers check the token's scope and call the stores with keyword
arguments; errors propagate as `HaloError` to the app's single handler.
"""

from __future__ import annotations

import collections
import json
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from typing import Any, Literal
from urllib.parse import quote

import anyio.to_thread
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response, StreamingResponse
from starlette.datastructures import UploadFile as StarletteUpload
from starlette.formparsers import MultiPartException

from halo_sandbox.mock.domain import facts
from halo_sandbox.mock.domain.auth import check_scope
from halo_sandbox.mock.domain.binding import (
    GENERIC_HEADER,
    Notes,
    bind_query,
    bind_values,
    check_batch,
    nested_fields,
    refuse_if_strict,
    unknown_fields,
)
from halo_sandbox.mock.domain.generic import RECORD_ID_HEADER, collection_for
from halo_sandbox.mock.domain.generic import list_params as generic_list_params
from halo_sandbox.mock.domain.query import Listing, ListQuery, flag, item_scope, list_params
from halo_sandbox.mock.domain.rendering import envelope
from halo_sandbox.mock.domain.resources import SPECIAL_PATHS, ResourceSpec, spec_for_path, spec_named
from halo_sandbox.mock.domain.special import ACTS_ON, acting_agent, hook_for, linked_user
from halo_sandbox.mock.domain.store import HaloStore
from halo_sandbox.mock.engine import jsonpieces
from halo_sandbox.mock.engine.clock import halo_datetime
from halo_sandbox.mock.engine.gil import heavy, paced
from halo_sandbox.mock.exceptions import MethodNotAllowed, NotFound, UnsupportedMediaType, ValidationError
from halo_sandbox.mock.http.deps import current_tenant
from halo_sandbox.mock.http.responses import JSONResponse
from halo_sandbox.mock.tenants import Tenant

router = APIRouter(prefix="/api", include_in_schema=False)
NOTES_STATE = "sandbox_notes"
"""``request.state`` attribute holding the request's `binding.Notes` (read by the app's middleware)."""
GENERIC_STATE = "sandbox_generic"
"""``request.state`` attribute naming the generic collection serving the request: the middleware
sends it as ``X-Sandbox-Generic`` on every answer, errors (404, 400, 415) included."""

_ITEM_READ = ("includedetails",)
"""What every ``GET /{id}`` acts on: a record read by id is the detailed record (FIDELITY.md,
"Parameters by rule"); a resource's ``details`` hook adds the nested records on top."""


def _notes(request: Request) -> Notes:
    notes = getattr(request.state, NOTES_STATE, None)
    if notes is None:
        notes = Notes()
        setattr(request.state, NOTES_STATE, notes)
    return notes


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


_JSON_TYPES = ("application/json", "text/json", "application/json-patch+json")
OFF_LOOP_BYTES = 256 * 1024
"""Bodies larger than this are parsed in pieces, so one big batch does not hold the GIL for long."""
SMALL_BATCH_BYTES = 4 * 1024
"""Bodies larger than this are parsed and saved in a worker thread and answered in JSON chunks: a
minimal record (``{"summary":"x"}``) is answered with about 21 KB, so a 40 KB body of them is already
an answer of 20 MB; rendered records are never all held as Python objects at once."""


async def _run(store: Any, operation: Callable[[], Any], *, write: bool = False) -> Any:
    """A store operation: now when the store is free, else in a worker thread, so an operation
    holding the store in another thread (a big batch, a snapshot) never blocks the event loop.
    ``write``: the operation writes (it needs the writers' lock too)."""
    if store.hold_if_free(write=write):
        try:
            return operation()
        finally:
            store.release(write=write)
    return await anyio.to_thread.run_sync(operation)


def json_chunks(chunks: list[bytes]) -> StreamingResponse:
    """A JSON answer already encoded in chunks (`jsonpieces.pieces`), sent one chunk at a time: no
    call joins or copies the whole answer while other clients wait."""
    length = sum(len(c) for c in chunks)
    left = collections.deque(chunks)
    chunks.clear()

    async def each() -> AsyncIterator[bytes]:
        while left:  # each chunk is let go once sent: freeing 450 MB at the end was one long stall
            yield left.popleft()

    return StreamingResponse(each(), media_type="application/json", headers={"Content-Length": str(length)})


def _check_json_type(request: Request) -> None:
    """Halo's POST endpoints consume JSON only (``FIDELITY.md``: ``application/json``, ``text/json``,
    ``application/*+json``); ASP.NET answers anything else with 415 before reading the body."""
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if ctype in _JSON_TYPES or (ctype.startswith("application/") and ctype.endswith("+json")):
        return
    raise UnsupportedMediaType(
        f"Unsupported Media Type: the body must be JSON (Content-Type: application/json), "
        f"not {ctype or 'unspecified'!r}."
    )


def _parse_json(raw: bytes) -> Any:
    try:
        if (
            len(raw) > OFF_LOOP_BYTES
        ):  # in a worker thread: in pieces, so the event loop's thread gets the GIL
            return jsonpieces.loads(raw, parse_constant=_no_constants, depth=1)
        return json.loads(raw, parse_constant=_no_constants)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ValidationError({"": [f"The request body is not valid JSON: {str(exc)[:200]}"]}) from None


def _content_disposition(filename: str) -> str:
    plain = "".join(c if 32 <= ord(c) < 127 and c not in '"\\' else "_" for c in filename)
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(filename, safe='')}"


# -- the resource table ---------------------------------------------------------------------------
def _filter_types(spec: ResourceSpec) -> dict[str, str]:
    """How the store reads the table's own filters (bound even where Halo's document lacks them)."""
    kinds = {"int": "int32", "flag": "boolean"}
    types = {f.param: kinds[f.kind] for f in spec.filters if f.kind in kinds}
    if spec.pageable or spec.paged_list_key:
        types.update(pageinate="boolean", page_size="int32", page_no="int32")
    return {**types, "count": "int32", "orderdesc": "boolean"}


def _bind_table(
    request: Request,
    tenant: Tenant,
    spec: ResourceSpec,
    *,
    template: str,
    implemented: Iterable[str],
    always: Mapping[str, str] | None = None,
) -> Notes:
    """Bind the query against the documented operation and refuse in strict mode."""
    notes = _notes(request)
    operation = facts.operation(request.method, template)
    bind_query(
        operation, request.query_params.multi_items(), implemented=implemented, notes=notes, always=always
    )
    return notes


def _item_template(spec: ResourceSpec) -> str:
    for template in facts.templates_for(spec.path):
        if template.count("/") == 2 and template.endswith("}"):
            return template
    return f"/{spec.path}/{{id}}"


def _table_spec(request: Request, resource: str, record_id: str | None = None) -> ResourceSpec | None:
    """The table's spec when it serves this path, else ``None`` (another documented path)."""
    try:
        spec = spec_for_path(resource)
    except NotFound:
        return None
    if record_id is not None and not (record_id.isascii() and record_id.isdigit()):
        found = facts.match(request.method, f"/{resource}/{record_id}")
        if found is None or "{" not in found.template:
            return None  # a documented literal path (/Agent/me, /Tickets/View) or no documented path
    return spec


def _scope(request: Request, needed: str) -> None:
    check_scope(request.state.token.scopes, needed=needed)


@router.get("/{resource}")
async def list_records(resource: str, request: Request, tenant: Tenant = Depends(current_tenant)) -> Response:
    spec = _table_spec(request, resource)
    if spec is None:
        return await documented(request, tenant)
    _scope(request, spec.read_scope)
    notes = _bind_table(
        request,
        tenant,
        spec,
        template=f"/{spec.path}",
        implemented=list_params(spec),
        always=_filter_types(spec),
    )
    refuse_if_strict(notes, strict=tenant.strict)
    store = tenant.store
    me, user = _acting_agent(request, tenant), _acting_user(request, tenant)

    def answer() -> tuple[ListQuery, Listing]:
        now = lambda: halo_datetime(store.clock.now())  # noqa: E731
        query = ListQuery.parse(spec, request.query_params, me=me, user=user, now=now)
        return query, store.list(resource=spec.name, query=query)

    query, listing = await _run(store, answer)
    return JSONResponse(envelope(spec, query, listing))


def _acting_agent(request: Request, tenant: Tenant) -> Callable[[], int | None]:
    """The id of the agent the request's token acts as, looked up when asked (``mine``)."""
    login = request.state.token.username or tenant.agent_username
    return lambda: acting_agent(tenant.store, login)


def _acting_user(request: Request, tenant: Tenant) -> Callable[[], dict[str, Any] | None]:
    """The end-user record linked to the agent the request's token acts as (``GET /Users/me``),
    looked up when asked (``mysite``)."""
    login = request.state.token.username or tenant.agent_username
    return lambda: linked_user(tenant.store, login)


def halo_list(store: HaloStore, resource: str, params: Mapping[str, str] | None = None) -> Any:
    """Halo's answer to ``GET /api/{resource}?<params>`` from ``store``, in-process (what
    `list_records` answers, without the binding, strict mode and scope checks of a request)."""
    spec = spec_named(resource)
    query = ListQuery.parse(spec, params)
    return envelope(spec, query, store.list(resource=spec.name, query=query))


def _item_spec(
    request: Request, tenant: Tenant, resource: str, record_id: str, *, scope: Literal["read", "edit"]
) -> ResourceSpec | None:
    """The table's spec for one record's path (None: not a table resource), after the token's
    ``scope`` ("read" or "edit") is checked and the query bound (refused under strict mode)."""
    spec = _table_spec(request, resource, record_id)
    if spec is None:
        return None
    _scope(request, spec.read_scope if scope == "read" else spec.edit_scope)
    scope_params = (spec.id_scope,) if spec.id_scope else ()
    acted_on = scope_params + (_ITEM_READ if scope == "read" else ())
    notes = _bind_table(
        request,
        tenant,
        spec,
        template=_item_template(spec),
        implemented=acted_on,
        always=dict.fromkeys(scope_params, "int32"),
    )
    refuse_if_strict(notes, strict=tenant.strict)
    return spec


@router.get("/{resource}/{record_id}")
async def get_record(
    resource: str, record_id: str, request: Request, tenant: Tenant = Depends(current_tenant)
) -> Response:
    spec = _item_spec(request, tenant, resource, record_id, scope="read")
    if spec is None:
        return await documented(request, tenant)
    store = tenant.store
    if spec.raw_get:
        content, filename, media_type = await _run(
            store, lambda: store.attachment_content(resource=spec.name, id=record_id)
        )
        return Response(
            content, media_type=media_type, headers={"Content-Disposition": _content_disposition(filename)}
        )
    scope = item_scope(spec, record_id, request.query_params)
    details = flag(request.query_params.get("includedetails"))
    return JSONResponse(
        await _run(store, lambda: store.get(resource=spec.name, id=record_id, scope=scope, details=details))
    )


@router.post("/{resource}")
async def post_records(resource: str, request: Request, tenant: Tenant = Depends(current_tenant)) -> Response:
    spec = _table_spec(request, resource)
    if spec is None:
        return await documented(request, tenant)
    _scope(request, spec.edit_scope)
    notes = _bind_table(request, tenant, spec, template=f"/{spec.path}", implemented=())
    _check_json_type(request)
    raw = await request.body()
    store = tenant.store
    operation = facts.operation("POST", f"/{spec.path}")
    schema_name = operation.body_schema if operation else None

    limit = request.app.state.settings.max_batch_records

    def save(*, encoded: bool = False) -> Any:
        body = _parse_json(raw)
        check_batch(body, limit=limit)
        if schema_name:
            schema = facts.schema(schema_name)
            errors: dict[str, list[str]] = {}
            understood = {"lines": tuple(spec.line_fields)} if spec.line_fields else None
            for i, item in enumerate(paced(body if isinstance(body, list) else [body])):
                if isinstance(item, dict):
                    unknown_fields(schema, item, schema_name=schema_name, prefix=f"[{i}]", notes=notes)
                    nested_fields(schema, item, prefix=f"[{i}]", notes=notes, errors=errors, keep=understood)
            if errors:
                raise ValidationError(errors)
        refuse_if_strict(notes, strict=tenant.strict)
        tenant.check_quota(body)
        return store.post(
            resource=spec.name,
            body=body,
            acting_login=request.state.token.username or tenant.agent_username,
            encoded=encoded,
            lenient=None if tenant.strict else notes.add,
        )

    if len(raw) <= SMALL_BATCH_BYTES:
        return JSONResponse(await _run(store, save, write=True))

    def save_big() -> list[bytes]:
        with heavy():
            return save(encoded=True)

    return json_chunks(await anyio.to_thread.run_sync(save_big))


@router.delete("/{resource}/{record_id}")
async def delete_record(
    resource: str, record_id: str, request: Request, tenant: Tenant = Depends(current_tenant)
) -> Response:
    spec = _item_spec(request, tenant, resource, record_id, scope="edit")
    if spec is None:
        return await documented(request, tenant)
    store = tenant.store
    scope = item_scope(spec, record_id, request.query_params)
    lenient = None if tenant.strict else _notes(request).add
    await _run(
        store,
        lambda: store.delete(resource=spec.name, id=record_id, scope=scope, lenient=lenient),
        write=True,
    )
    return Response(status_code=200)


# -- every other documented path ------------------------------------------------------------------
async def _values_or_form(request: Request, operation: facts.Operation, notes: Notes) -> Any:
    """The body of an operation documented with a body that is not records: a ``multipart/form-data``
    form (part name -> its text, or ``(filename, bytes)`` for a file; a part listed several times
    keeps every value), or values (`binding.bind_values`); ``None`` for any other operation."""
    if operation.form is not None:
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype != _FORM:
            raise UnsupportedMediaType(
                f"Unsupported Media Type: {operation.template} takes a form "
                f"(Content-Type: {_FORM}), not {ctype or 'unspecified'!r}."
            )
        try:
            form = await request.form()
        except (MultiPartException, ValueError) as exc:
            raise ValidationError({"": [f"The request body is not a valid {_FORM} form: {exc}"]}) from None
        parts: dict[str, list[Any]] = {}
        for name, value in form.multi_items():
            read: Any = (
                (value.filename or "", await value.read()) if isinstance(value, StarletteUpload) else value
            )
            parts.setdefault(name, []).append(read)
        (whole, kind), *others = [*operation.form.items(), ("", "")]
        if kind == _FORM_COLLECTION and not others[:-1]:  # the form itself: every field is one pair
            for name, values in parts.items():
                if any(isinstance(v, tuple) for v in values):
                    notes.add(f"body {name}: a file where the form takes text; the mock keeps its filename")
            return {
                whole: [
                    {"key": name, "value": [v[0] if isinstance(v, tuple) else v for v in values]}
                    for name, values in parts.items()
                ]
            }
        for name in parts:
            if name not in operation.form:
                notes.add(f"body {name}: not a part of the documented form; Halo ignores it")
        return {name: values[0] if len(values) == 1 else values for name, values in parts.items()}
    if operation.values_body:
        _check_json_type(request)
        return bind_values(operation.values_body, _parse_json(await request.body()), notes=notes)
    return None


_FORM = "multipart/form-data"
_FORM_COLLECTION = "array<ref:StringStringValuesKeyValuePair>"
"""How the document types an ASP.NET form collection (``IFormCollection``): every field of the
form is one ``{key, value: [...]}`` pair."""


@router.api_route("/{path:path}", methods=["GET", "POST", "DELETE", "PUT", "PATCH"])
async def other_paths(path: str, request: Request, tenant: Tenant = Depends(current_tenant)) -> Response:
    return await documented(request, tenant)


async def documented(request: Request, tenant: Tenant) -> Response:
    """Serve a documented Halo path the resource table does not: its named hook, else generic."""
    path = (
        request.url.path[len("/api") :] if request.url.path.lower().startswith("/api") else request.url.path
    )
    found = facts.match(request.method, path)
    if found is None:
        raise NotFound(f"The specified URL is invalid: {path} is not a path of Halo's documented API.")
    if found.operation is None:
        raise MethodNotAllowed(
            f"The requested resource does not support http method '{request.method}'.",
            headers={"Allow": ", ".join(found.methods)},
        )
    operation = found.operation
    notes = _notes(request)
    hook = hook_for(request.method, found.template)
    if hook is not None:
        owner = spec_for_path(found.template.strip("/").split("/")[0])
        _scope(request, owner.edit_scope if request.method == "POST" else owner.read_scope)
        query = bind_query(
            operation,
            request.query_params.multi_items(),
            implemented=ACTS_ON.get(SPECIAL_PATHS[(request.method, found.template)], ()),
            notes=notes,
        )
        body = await _values_or_form(request, operation, notes)
        refuse_if_strict(notes, strict=tenant.strict)
        username = request.state.token.username or tenant.agent_username
        store = tenant.store
        lenient = None if tenant.strict else notes.add
        return JSONResponse(
            await _run(
                store,
                lambda: hook(
                    store=store,
                    params=found.params,
                    username=username,
                    query=query,
                    body=body,
                    lenient=lenient,
                ),
                write=request.method != "GET",
            )
        )
    collection, record_id = collection_for(found)
    setattr(request.state, GENERIC_STATE, collection.path)
    write = request.method != "GET"
    _scope(request, collection.edit_scope if write else collection.read_scope)
    if request.method == "POST" and (operation.form is not None or operation.values_body):
        bind_query(operation, request.query_params.multi_items(), implemented=(), notes=notes)
        body = await _values_or_form(request, operation, notes)
        refuse_if_strict(notes, strict=tenant.strict)
        return JSONResponse(
            tenant.generic.receive(collection=collection, body=body),
            headers={GENERIC_HEADER: collection.path},
        )
    params = bind_query(
        operation,
        request.query_params.multi_items(),
        implemented=() if write else generic_list_params(collection) if record_id is None else _ITEM_READ,
        notes=notes,
    )
    headers = {GENERIC_HEADER: collection.path}
    if request.method == "GET":
        refuse_if_strict(notes, strict=tenant.strict)
        if record_id is None:
            listed_keys: list[Any] = []
            listed = tenant.generic.list(
                collection=collection,
                params=params,
                me=_acting_agent(request, tenant),
                user=_acting_user(request, tenant),
                lookup=tenant.store.stored,
                keys=listed_keys,
            )
            if not collection.keyed:
                headers[RECORD_ID_HEADER] = ",".join(str(key) for key in listed_keys)
            return JSONResponse(listed, headers=headers)
        return JSONResponse(tenant.generic.get(collection=collection, id=record_id), headers=headers)
    if request.method == "DELETE":
        refuse_if_strict(notes, strict=tenant.strict)
        if record_id is None:
            raise NotFound(f"DELETE {found.template} needs a record id.")
        tenant.generic.delete(collection=collection, id=record_id)
        return Response(status_code=200, headers=headers)
    raw = await request.body()
    if raw.strip():
        _check_json_type(request)
    limit = request.app.state.settings.max_batch_records

    def save() -> Any:
        body = _parse_json(raw) if raw.strip() else {}
        check_batch(body, limit=limit)
        tenant.check_quota(body, at_most=1 if record_id is not None else None)
        return tenant.generic.post(
            collection=collection, body=body, notes=notes, id=record_id, strict=tenant.strict, keys=keys
        )

    keys: list[Any] = []
    if len(raw) <= SMALL_BATCH_BYTES:
        saved = save()
    else:

        def save_big() -> Any:
            with heavy():
                return save()

        saved = await anyio.to_thread.run_sync(save_big)
    if not collection.keyed:
        headers[RECORD_ID_HEADER] = ",".join(str(key) for key in keys)
    return JSONResponse(saved, headers=headers)
