"""The executor: runs one tool call against Halo.

For every call: find the tool (unknown or hidden tools are the same error), validate the flat
arguments against the tool's JSON Schema (Draft 2020-12), route each argument to the path, query
string or JSON body as the catalogue says, make exactly one upstream request (plus the one
re-authentication `HaloClient` does on 401) and shape the result:

- list   -> `{"result": [records], "next_cursor": str | None}`
- others -> `{"result": record}`
- errors -> `isError` with `{"error": {"status", "message", "body", "ratelimit", "retry_after", "code"}}`

as structured content plus the same JSON as text content (encoded once, with orjson; the observer's
`ToolCallRecord.result_json` is a slice of that text, not another encoding). Rate-limit fields upstream sent
are also
put in the result's `_meta` under `RATELIMIT_META` (for the HTTP transports' `ratelimit-*` headers).

Pagination: pageable resources drive Halo's `pageinate=true&page_size&page_no`; unpaged ones
(bare-array lookups, actions, attachments) are fetched once per call and sliced. The cursor keeps
the first call's page size.
"""

from __future__ import annotations

import base64
import binascii
import difflib
import functools
import logging
import math
import mimetypes
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import Message
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import jsonschema_rs
import mcp_types
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from halo_sandbox.protocol import CALL_ID_HEADER, TOOL_HEADER
from halo_sandbox.server.catalogue import Param, Resource
from halo_sandbox.server.cursor import CursorCodec
from halo_sandbox.server.errors import (
    FileAccessError,
    InternalError,
    ServerError,
    ToolInputError,
    UnknownToolError,
    UpstreamError,
)
from halo_sandbox.server.lean import FIELDS_ARGUMENT, FULL_ARGUMENT, RESULT_ARGUMENTS, shape
from halo_sandbox.server.results import Result, error_result, result_json, success
from halo_sandbox.server.tool_specs import DEFAULT_LIMIT, ToolSpec, generate_tools
from halo_sandbox.server.upstream import HaloClient, parse_body, upstream_error

MAX_FILE_BYTES = 50 * 1024 * 1024
LOOKUP_PAGE_SIZE = 100
MAX_CANDIDATES = 5
MIN_CANDIDATE_SCORE = 0.5
_TEXT_MIME = ("application/json", "application/xml", "application/javascript", "application/x-yaml")

logger = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class ToolCallRecord:
    """What an `on_tool_call` observer receives after each tool call (success or error)."""

    call_id: str
    """The `X-Sandbox-Call-Id` sent on the call's upstream requests (also set when none was made)."""
    tool: str
    arguments: Mapping[str, Any]
    started_at: datetime
    duration_ms: float
    is_error: bool
    structured: dict[str, Any] | None
    """The result's structured content (`{"result": ...}` or `{"error": ...}`)."""
    result_json: str | None = None
    """`structured["result"]` as JSON, as sent in the text content (None for errors)."""


ToolCallObserver = Callable[[ToolCallRecord], object]


def _query_value(param: Param, value: Any) -> Any:
    if param.csv:
        return ",".join(str(v).lower() if isinstance(v, bool) else str(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if param.type == "integer" and isinstance(value, float):
        return int(value)
    return value


def _query(params: Sequence[Param], args: Mapping[str, Any]) -> dict[str, Any]:
    return {p.name: _query_value(p, args[p.name]) for p in params if p.name in args}


def _record_path(entry: Resource, record_id: Any) -> str:
    if isinstance(record_id, float):
        record_id = int(record_id)
    segment = quote(str(record_id), safe="")
    # a bare `.` or `..` would be read as a dot segment (`/Application/..` is `/`): send it escaped
    return f"{entry.path}/{'%2E' * len(segment) if segment in ('.', '..') else segment}"


def _single(body: Any) -> Any:
    """Halo answers a one-item POST with the object or a one-element array."""
    if isinstance(body, list) and len(body) == 1:
        return body[0]
    return body


def _describe(error: ValidationError, properties: Mapping[str, Any], args: Mapping[str, Any]) -> str:
    if error.validator == "additionalProperties" and not error.path:
        unknown = sorted(k for k in args if k not in properties)
        shown = ", ".join(unknown[:10]) + (f" and {len(unknown) - 10} more" if len(unknown) > 10 else "")
        return (
            f"unknown argument(s): {shown[:500]} (this tool takes: {', '.join(properties) or 'no arguments'})"
        )
    if error.validator == "required" and not error.path:
        return error.message.replace(" is a required property", " is required")
    where = ".".join(str(p) for p in error.absolute_path)
    return f"argument {where!r}: {error.message}" if where else error.message


class Executor:
    """Runs tool calls for one MCP server (its tools, cursor secret and file directory)."""

    def __init__(
        self,
        *,
        halo: HaloClient,
        tools: Sequence[ToolSpec],
        cursor_secret: bytes | None = None,
        allowed_file_dir: Path | None = None,
        on_tool_call: ToolCallObserver | None = None,
    ) -> None:
        self._halo = halo
        self._on_tool_call = on_tool_call
        self._tools = {t.name: t for t in tools}
        self._validators: dict[str, Draft202012Validator] = {}  # built on a tool's first call
        self._compiled: dict[str, Any] = {}  # jsonschema_rs validators, likewise
        self._cursors = CursorCodec(cursor_secret)
        self._file_dir = allowed_file_dir.resolve() if allowed_file_dir is not None else None
        self._methods: dict[str, Callable[[ToolSpec, dict[str, Any], dict[str, str]], Awaitable[Result]]] = {
            "list": self._list,
            "get": self._get,
            "create": self._save,
            "update": self._save,
            "delete": self._delete,
            "lookup": self._lookup,
        }
        self._hooks: dict[str, Callable[..., Any]] = {
            "attachment_upload": self._attachment_upload,
            "attachment_download": self._attachment_download,
        }

    @property
    def tools(self) -> list[ToolSpec]:
        return list(self._tools.values())

    def spec(self, name: str) -> ToolSpec:
        """The tool called `name`; raises `UnknownToolError` (also for tools this server hides)."""
        try:
            return self._tools[name]
        except KeyError:
            raise UnknownToolError(self._unknown(name)) from None

    def _unknown(self, name: str) -> str:
        """`Unknown tool: NAME`, the closest names among this server's tools, and for a tool of the
        breadth catalogue on a server without it, how to enable it."""
        message = f"Unknown tool: {name}."
        closest = difflib.get_close_matches(name, list(self._tools), n=3, cutoff=0.6)
        if closest:
            message += f" Closest: {', '.join(closest)}."
        breadth = any(t.entry is not None and t.entry.generated for t in self._tools.values())
        if not breadth and name in _breadth_names():
            message += (
                f" {name} is generated from Halo's OpenAPI document (the breadth catalogue), which this "
                "server does not offer: start it with --breadth (halo-sandbox up/mcp), or provision "
                'the URL with config {"breadth": true}.'
            )
        return message

    async def call(self, name: str, arguments: Mapping[str, Any] | None) -> Result:
        """Run one tool call; every failure comes back as an `isError` result, never an exception.
        The `on_tool_call` observer (if any) then gets a `ToolCallRecord`."""
        call_id = uuid.uuid4().hex
        started_at, started = datetime.now(UTC), time.perf_counter()
        try:
            spec = self.spec(name)
            args = self._validate(spec, arguments)
            headers = {TOOL_HEADER: name, CALL_ID_HEADER: call_id}
            result = await self._methods[spec.method](spec, args, headers)
        except ServerError as exc:
            result = error_result(exc)
        except Exception as exc:  # boundary: every failure of a tool call is a tool error result
            logger.exception("tool call %s failed inside the server", name)
            result = error_result(
                InternalError(f"The tool call failed inside the server: {type(exc).__name__}: {exc}"[:500])
            )
        if self._on_tool_call is not None:
            record = ToolCallRecord(
                call_id=call_id,
                tool=name,
                arguments=dict(arguments or {}),
                started_at=started_at,
                duration_ms=round((time.perf_counter() - started) * 1000, 1),
                is_error=bool(result.is_error),
                structured=result.structured_content,
                result_json=result_json(result),
            )
            try:
                self._on_tool_call(record)
            except Exception:  # an observer never breaks a tool call
                logger.exception("on_tool_call observer failed for %s", name)
        return result

    def _validate(self, spec: ToolSpec, arguments: Mapping[str, Any] | None) -> dict[str, Any]:
        args = dict(arguments or {})
        bad = _non_finite(args)
        if bad is not None:
            raise ToolInputError(
                f"Invalid arguments for {spec.name}: argument {bad!r} is not a finite number "
                "(NaN and Infinity are not JSON)"
            )
        if _valid(self._compiled, spec, args):
            return args
        # refused (or too big for the compiled validator): jsonschema says why, in the words the messages use
        validator = self._validators.get(spec.name)
        if validator is None:
            validator = self._validators[spec.name] = Draft202012Validator(spec.tool.input_schema)
        errors = sorted(
            validator.iter_errors(args), key=lambda e: (len(e.path), e.validator != "additionalProperties")
        )
        if errors:
            props = spec.tool.input_schema.get("properties", {})
            messages = list(dict.fromkeys(_describe(e, props, args) for e in errors))
            raise ToolInputError(f"Invalid arguments for {spec.name}: " + "; ".join(messages))
        return args

    async def _request(
        self,
        method: str,
        path: str,
        headers: dict[str, str],
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        raw: bool = False,
    ) -> tuple[httpx.Response, Any]:
        try:
            response = await self._halo.request(method, path, params=params, json=json_body, headers=headers)
        except httpx.InvalidURL as exc:  # e.g. a filter value of 70,000 characters
            raise ToolInputError(
                f"Invalid arguments: they make a request Halo cannot be sent ({exc})"
            ) from None
        body = parse_body(response)
        if not response.is_success:
            raise upstream_error(response, body)
        if not raw and method == "GET" and body is None:
            raise UpstreamError(
                f"Halo answered GET {path} with {response.status_code} and no body",
                status=response.status_code,
            )
        if not raw and isinstance(body, str) and _is_html(response, body):
            raise UpstreamError(
                f"Halo answered {method} {path} with {response.status_code} and an HTML page, not "
                "an API answer (a login page, a proxy or the wrong base URL?)",
                status=response.status_code,
                body=body[:500],
            )
        return response, body

    # --- list -----------------------------------------------------------------------------------

    @staticmethod
    def _rows(entry: Resource, response: httpx.Response, body: Any) -> tuple[list[Any], int | None]:
        if isinstance(body, list):
            return body, None
        if isinstance(body, dict):
            total = body.get("record_count")
            total = total if isinstance(total, int) and not isinstance(total, bool) else None
            if entry.list_key is not None and isinstance(body.get(entry.list_key), list):
                return body[entry.list_key], total
            # Tolerate Halo's other envelopes (e.g. /Agent?pageinate=true -> "results").
            lists = [v for v in body.values() if isinstance(v, list)]
            if len(lists) == 1:
                return lists[0], total
            if entry.object_as_row and not lists:
                return [body], None
        raise UpstreamError(
            f"Halo answered {entry.path} with an unexpected list shape "
            f"(expected {'key ' + repr(entry.list_key) if entry.list_key else 'a JSON array'})",
            status=response.status_code,
            body=body,
        )

    async def _list(self, spec: ToolSpec, args: dict[str, Any], headers: dict[str, str]) -> Result:
        entry = spec.entry
        assert entry is not None
        filters = {k: v for k, v in args.items() if k not in ("limit", "next_cursor", *RESULT_ARGUMENTS)}
        limit = args.get("limit", DEFAULT_LIMIT)
        position = None
        if "next_cursor" in args:
            position = self._cursors.decode(args["next_cursor"], tool=spec.name, filters=filters)
        query = _query(entry.filters, filters)
        if entry.pageable:
            size = position.get("size", limit) if position else limit
            page = position.get("page", 1) if position else 1
            query.update(pageinate="true", page_size=size, page_no=page)
            response, body = await self._request("GET", entry.path, headers, params=query)
            rows, total = self._rows(entry, response, body)
            more = page * size < total if total is not None else len(rows) >= size
            nxt = {"page": page + 1, "size": size} if more and rows else None
        else:
            size = position.get("size", limit) if position else limit
            offset = position.get("offset", 0) if position else 0
            query.update(entry.unpaged_params)
            response, body = await self._request("GET", entry.path, headers, params=query)
            everything, _ = self._rows(entry, response, body)
            rows = everything[offset : offset + size]
            nxt = {"offset": offset + size, "size": size} if offset + size < len(everything) else None
        cursor = self._cursors.encode(tool=spec.name, filters=filters, position=nxt) if nxt else None
        return _shaped(entry, rows, args, response, next_cursor=cursor)

    # --- get / save / delete --------------------------------------------------------------------

    async def _get(self, spec: ToolSpec, args: dict[str, Any], headers: dict[str, str]) -> Result:
        entry = spec.entry
        assert entry is not None
        hook = entry.hooks.get("get")
        if hook:
            return await self._hooks[hook](entry, args, headers)
        response, body = await self._request(
            "GET", _record_path(entry, args["id"]), headers, params=_query(entry.get_params, args)
        )
        return _shaped(entry, _single(body), args, response)

    async def _save(self, spec: ToolSpec, args: dict[str, Any], headers: dict[str, str]) -> Result:
        entry = spec.entry
        assert entry is not None
        if "id" not in args:
            missing = [f for f in entry.create_required if f not in args]
            if missing:
                raise ToolInputError(
                    f"Invalid arguments for {spec.name}: creating a {entry.singular} needs "
                    f"{', '.join(missing)} (or pass `id` to update an existing one)"
                )
        field_names = {f.name for f in entry.fields}
        record = {k: v for k, v in args.items() if k in field_names or k == "id"}
        hook = entry.hooks.get(spec.method)
        if hook:
            record = self._hooks[hook](args, record)
        response, body = await self._request("POST", entry.path, headers, json_body=[record])
        return _shaped(entry, _single(body) if body is not None else record, args, response)

    async def _delete(self, spec: ToolSpec, args: dict[str, Any], headers: dict[str, str]) -> Result:
        entry = spec.entry
        assert entry is not None
        response, body = await self._request(
            "DELETE", _record_path(entry, args["id"]), headers, params=_query(entry.delete_params, args)
        )
        body = _single(body)
        result = body if isinstance(body, dict) and body else {"id": args["id"], "deleted": True}
        return success({"result": result}, response)

    # --- attachments (named hooks) --------------------------------------------------------------

    def _attachment_upload(self, args: Mapping[str, Any], record: dict[str, Any]) -> dict[str, Any]:
        sources = [k for k in ("content_base64", "content_text", "file_path") if k in args]
        if len(sources) != 1:
            offered = "content_base64, content_text" + (" or file_path" if self._file_dir else "")
            raise ToolInputError(
                f"give the file as exactly one of {offered} (got {', '.join(sources) or 'none'})"
            )
        source = sources[0]
        if source == "content_base64":
            text = "".join(args["content_base64"].split())
            try:
                base64.b64decode(text, validate=True)
            except (binascii.Error, ValueError):
                raise ToolInputError("content_base64 is not valid base64") from None
            data_base64 = text
        elif source == "content_text":
            data_base64 = base64.b64encode(args["content_text"].encode("utf-8")).decode("ascii")
        else:
            data_base64 = base64.b64encode(self._read_allowed_file(args["file_path"])).decode("ascii")
        return {**record, "data_base64": data_base64}

    def _read_allowed_file(self, file_path: str) -> bytes:
        root = self._file_dir
        if root is None:
            raise FileAccessError("file_path is not enabled on this server (no allowed directory)")
        # One refusal for every reason (missing, outside, not a file, unreadable), so an agent cannot
        # probe which paths exist on the machine.
        refused = FileAccessError(
            f"file_path {file_path!r} is not a readable regular file inside the allowed directory"
        )
        candidate = Path(file_path)
        if not candidate.is_absolute():
            candidate = root / candidate
        try:
            real = candidate.resolve(strict=True)
            if not real.is_relative_to(root) or not real.is_file():
                raise refused
            size = real.stat().st_size
        except (OSError, RuntimeError, ValueError):
            raise refused from None
        if size > MAX_FILE_BYTES:
            raise FileAccessError(f"file_path {file_path!r} is larger than {MAX_FILE_BYTES} bytes")
        return real.read_bytes()

    async def _attachment_download(
        self, entry: Resource, args: Mapping[str, Any], headers: dict[str, str]
    ) -> Result:
        record_id = args["id"]
        response, body = await self._request(
            "GET", _record_path(entry, record_id), headers, params=_query(entry.get_params, args), raw=True
        )
        ctype = response.headers.get("content-type", "").split(";")[0].strip().lower()
        metadata: dict[str, Any] = {"id": record_id}
        if isinstance(body, dict) and ("data_base64" in body or "data" in body):
            encoded = body.get("data_base64") or body.get("data") or ""
            try:
                data = base64.b64decode(encoded)
            except (binascii.Error, ValueError, TypeError):
                raise UpstreamError(
                    "Halo sent attachment data that is not base64",
                    status=response.status_code,
                    body={k: v for k, v in body.items() if k not in ("data", "data_base64")},
                ) from None
            metadata.update({k: v for k, v in body.items() if k not in ("data", "data_base64")})
            filename = str(body.get("filename") or f"attachment-{record_id}")
            ctype = str(body.get("content_type") or "")
        else:
            data = response.content
            disposition = Message()
            disposition["content-disposition"] = response.headers.get("content-disposition", "")
            filename = disposition.get_filename() or f"attachment-{record_id}"
        if not ctype or ctype in ("application/octet-stream", "binary/octet-stream"):
            ctype = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        metadata.update({"filename": filename, "content_type": ctype, "filesize": len(data)})
        uri = f"halo://attachments/{quote(str(record_id), safe='')}/{quote(filename)}"
        resource: mcp_types.TextResourceContents | mcp_types.BlobResourceContents
        text = None
        if (
            ctype.startswith("text/")
            or ctype in _TEXT_MIME
            or ctype.endswith("+json")
            or ctype.endswith("+xml")
        ):
            try:
                text = data.decode("utf-8")
            except UnicodeDecodeError:
                text = None
        if text is not None:
            resource = mcp_types.TextResourceContents(uri=uri, mime_type=ctype, text=text)
        else:
            resource = mcp_types.BlobResourceContents(
                uri=uri, mime_type=ctype, blob=base64.b64encode(data).decode("ascii")
            )
        return success({"result": metadata}, response, extra=[mcp_types.EmbeddedResource(resource=resource)])

    # --- name lookups ---------------------------------------------------------------------------

    async def _lookup(self, spec: ToolSpec, args: dict[str, Any], headers: dict[str, str]) -> Result:
        by_kind = {e.lookup.kind: e for e in spec.sources if e.lookup is not None}
        queries = list(args.get("queries", []))
        if "kind" in args:
            queries.insert(0, {"kind": args["kind"], "name": args["name"]})
        if not queries:
            raise ToolInputError(f"Invalid arguments for {spec.name}: give `kind` and `name`, or `queries`")
        fetched: dict[tuple[str, str | None], list[Any]] = {}
        response = None
        results = []
        for q in queries:
            entry = by_kind[q["kind"]]
            lookup = entry.lookup
            assert lookup is not None
            key = (entry.name, q["name"] if lookup.search_param else None)
            if key not in fetched:
                params: dict[str, Any] = {}
                if lookup.search_param:
                    params[lookup.search_param] = q["name"]
                if entry.pageable:
                    params.update(pageinate="true", page_size=LOOKUP_PAGE_SIZE, page_no=1)
                else:
                    params.update(entry.unpaged_params)
                response, body = await self._request("GET", entry.path, headers, params=params)
                rows, _ = self._rows(entry, response, body)
                if not rows and lookup.search_param:  # nothing contains the name: rank the first page
                    params.pop(lookup.search_param)
                    response, body = await self._request("GET", entry.path, headers, params=params)
                    rows, _ = self._rows(entry, response, body)
                fetched[key] = rows
            results.append(_rank(q["kind"], q["name"], fetched[key], lookup.name_field, lookup.id_field))
        return success({"result": results}, response)


@functools.cache
def _breadth_names() -> frozenset[str]:
    """The names of the tools generated from Halo's document (loaded on the first unknown tool only)."""
    return frozenset(
        t.name for t in generate_tools(breadth=True) if t.entry is not None and t.entry.generated
    )


def _shaped(
    entry: Resource, value: Any, args: Mapping[str, Any], response: httpx.Response, **members: Any
) -> Result:
    """A success whose records are lean, selected or whole as the arguments ask (`lean.shape`)."""
    shaped = shape(entry.path, value, fields=args.get(FIELDS_ARGUMENT), full=args.get(FULL_ARGUMENT, False))
    return success({"result": shaped.result, **members, **shaped.members()}, response)


def _valid(cache: dict[str, Any], spec: ToolSpec, args: dict[str, Any]) -> bool:
    """Whether `args` satisfy the tool's input schema, by a compiled validator (jsonschema_rs, Draft
    2020-12 like `jsonschema`, built once per tool). False also when it cannot tell (a schema or a
    value it does not take): the caller then asks `jsonschema`, which has the last word and the words."""
    validator: Any = cache.get(spec.name)  # a compiled validator, or False: it cannot tell
    if validator is None:
        try:
            validator = jsonschema_rs.validator_for(spec.tool.input_schema)
        except Exception:  # a schema the compiled validator refuses: jsonschema alone decides
            validator = False
        cache[spec.name] = validator
    if validator is False:
        return False
    try:
        return bool(validator.is_valid(args))
    except Exception:  # e.g. an integer beyond what it represents
        return False


def _non_finite(value: Any, where: str = "") -> str | None:
    """The path of the first NaN/Infinity in ``value`` (JSON-RPC parsers accept them), else ``None``."""
    if isinstance(value, float) and not math.isfinite(value):
        return where or "arguments"
    if isinstance(value, Mapping):
        for key, item in value.items():
            found = _non_finite(item, f"{where}.{key}" if where else str(key))
            if found is not None:
                return found
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found = _non_finite(item, f"{where}[{index}]")
            if found is not None:
                return found
    return None


def _is_html(response: httpx.Response, body: str) -> bool:
    ctype = response.headers.get("content-type", "").split(";")[0].strip().lower()
    return ctype in ("text/html", "application/xhtml+xml") or body.lstrip()[:15].lower().startswith(
        ("<!doctype html", "<html")
    )


def _rank(kind: str, name: str, rows: Sequence[Any], name_field: str, id_field: str) -> dict[str, Any]:
    target = name.strip().casefold()
    seen: set[tuple[Any, str]] = set()
    matches: list[dict[str, Any]] = []
    scored: list[dict[str, Any]] = []
    for row in rows:
        if not isinstance(row, dict) or row.get(id_field) is None:
            continue
        label = str(row.get(name_field) or "")
        key = (row[id_field], label)
        if key in seen:
            continue
        seen.add(key)
        folded = label.strip().casefold()
        if folded == target:
            matches.append({"id": row[id_field], "name": label})
            continue
        score = difflib.SequenceMatcher(None, target, folded).ratio()
        if target and target in folded:
            score = max(score, 0.6 + 0.4 * len(target) / max(len(folded), 1))
        if score >= MIN_CANDIDATE_SCORE:
            scored.append({"id": row[id_field], "name": label, "score": round(score, 3)})
    scored.sort(key=lambda c: (-c["score"], c["name"]))
    candidates = scored[:MAX_CANDIDATES] if len(matches) != 1 else []
    return {"kind": kind, "name": name, "matches": matches, "candidates": candidates}
