"""Tool results on the wire: successes (`{"result": ...}`) and the one mapping from the server's
error tree to an `isError` result (`{"error": {"status", "message", "body", "ratelimit",
"retry_after", "code", "next"}}`), each as structured content; a success's text content is the same
JSON (encoded once with orjson), an error's text says the status, the message and what to do next
before that JSON. Rate-limit fields Halo sent ride in the result's `_meta` under `RATELIMIT_META`
(for the HTTP transports' `ratelimit-*` headers)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import httpx
import mcp_types
import orjson

from halo_sandbox.protocol import RATELIMIT_META
from halo_sandbox.server.errors import ServerError, UpstreamError
from halo_sandbox.server.ratelimit import normalise

__all__ = [
    "EncodedResult",
    "Result",
    "dumps",
    "encode",
    "error_result",
    "next_step",
    "ratelimit_fields",
    "success",
    "result_json",
    "wire_safe",
]

Result = mcp_types.CallToolResult


class EncodedResult(mcp_types.CallToolResult):
    """A success built here (`success`): the text of its first content block is the
    JSON of its structured content, so a transport can send that text as the structured content too."""


_RESULT_PREFIX = '{"result":'


def encode(value: Any, *, default: Callable[[Any], Any] | None = None) -> bytes:
    """Compact JSON of `value` in UTF-8 by orjson, keys that are not strings included (orjson's option
    for them costs a third more, so it is only tried when the plain encoding refuses). Raises
    `orjson.JSONEncodeError` (a `TypeError`) for what orjson refuses: integers beyond 64 bits, lone
    surrogates."""
    try:
        return orjson.dumps(value, default=default)
    except (orjson.JSONEncodeError, TypeError):
        return orjson.dumps(value, default=default, option=orjson.OPT_NON_STR_KEYS)


def dumps(value: Any, *, strict: bool = False) -> str:
    """Compact JSON text of `value` (`encode`; unless `strict`, the standard library for what orjson
    refuses, such as integers beyond 64 bits). Objects JSON has no type for are written as `str(obj)`."""
    try:
        return encode(value, default=str).decode()
    except (orjson.JSONEncodeError, TypeError):
        if strict:
            raise
        return json.dumps(value, default=str, separators=(",", ":"), ensure_ascii=False)


def _text(structured: Mapping[str, Any], *, strict: bool = False) -> str:
    """The text content: `structured` as JSON, each member encoded once."""
    return (
        "{"
        + ",".join(f"{dumps(key)}:{dumps(value, strict=strict)}" for key, value in structured.items())
        + "}"
    )


def result_json(result: Result) -> str | None:
    """`structuredContent["result"]` as JSON, sliced out of the text content `_text` wrote."""
    structured = result.structured_content
    if (
        result.is_error
        or not isinstance(structured, dict)
        or "result" not in structured
        or not result.content
    ):
        return None
    text = getattr(result.content[0], "text", None)
    if not isinstance(text, str) or not text.startswith(_RESULT_PREFIX):
        return None
    tail = "".join(f",{dumps(key)}:{dumps(value)}" for key, value in list(structured.items())[1:]) + "}"
    return text[len(_RESULT_PREFIX) : -len(tail)] if text.endswith(tail) else None


_NEXT_BY_STATUS = {
    400: "Halo refused the arguments: correct what the message names and call again.",
    401: "Halo refused the server's credentials: check the server's Halo client id, secret and tenant.",
    403: "The server's Halo credentials lack the permission or scope this needs: use another tool "
    "or ask the Halo admin for the scope.",
    404: "No such record: check the id (the resource's list tool returns the ids that exist).",
    409: "Halo refused the change as a conflict: read the record again, then retry with its current state.",
    413: "The request is too large for Halo: send less (fewer records, a smaller file).",
    429: "Halo is rate limiting: wait `retry_after` seconds (or a minute when it is null), then call again.",
}
_NEXT_BY_CODE = {
    "invalid_arguments": "Correct the arguments as the message says (the tool's inputSchema lists them) "
    "and call again; nothing was sent to Halo.",
    "unknown_tool": "Call a tool this server lists (tools/list, or the search tool in discovery mode).",
    "invalid_cursor": "Pass `next_cursor` back exactly as returned, with the same filters, or start the "
    "listing again without it.",
    "file_access_denied": "Give a file inside the server's allowed directory, or the content as "
    "`content_base64` / `content_text`.",
    "upstream_unavailable": "Halo could not be reached: retry in a moment; if it persists the server's "
    "Halo URL or the network is wrong.",
    "internal_error": "A fault inside the MCP server, not in your arguments: retry once, then report it.",
}


def next_step(exc: ServerError) -> str:
    """What an agent should do about `exc`: by Halo's status for Halo's answers, else by error code."""
    status = getattr(exc, "status", None)
    if exc.code == "upstream_error" and isinstance(status, int):
        if status in _NEXT_BY_STATUS:
            return _NEXT_BY_STATUS[status]
        if status >= 500:
            return "Halo failed on its side: retry in a moment; do not repeat a write before checking it."
        return "Halo refused the request: read Halo's message and body, change the call, then retry."
    return _NEXT_BY_CODE.get(exc.code, "Read the message, change the call, then retry.")


def _headline(error: Mapping[str, Any]) -> str:
    status, message = error["status"], error["message"]
    if error["code"] in ("upstream_error", "upstream_unavailable"):
        return f"Error: Halo answered {status}: {message}" if status is not None else f"Error: {message}"
    return f"Error ({error['code']}): {message}"


def error_result(exc: ServerError) -> Result:
    """The one mapping from the server error tree to an `isError` tool result: structured content
    `{"error": {...}}` (every tool's `outputSchema` admits it: `tool_specs.admits_error`), and a text that
    says the status, Halo's message and what to do next, then the same JSON."""
    if isinstance(exc, UpstreamError):
        error = {
            "status": exc.status,
            "message": exc.message,
            "body": exc.body,
            "ratelimit": exc.ratelimit,
            "retry_after": exc.retry_after,
        }
    else:
        error = {"status": None, "message": exc.message, "body": None, "ratelimit": None, "retry_after": None}
    error["code"] = exc.code
    error["next"] = next_step(exc)
    structured, text = wire_safe({"error": error})
    meta = None
    if error["ratelimit"] is not None or error["retry_after"] is not None:
        meta = {RATELIMIT_META: {"ratelimit": error["ratelimit"], "retry_after": error["retry_after"]}}
    readable = _headline(structured["error"]) + "\nNext: " + error["next"] + "\n" + text
    return mcp_types.CallToolResult(
        content=[mcp_types.TextContent(text=readable)],
        structured_content=structured,
        is_error=True,
        _meta=meta,
    )


_SURROGATE = re.compile("[\ud800-\udfff]")


def _scrub(value: Any) -> Any:
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {_scrub(k): _scrub(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v) for v in value]
    return value


def wire_safe(structured: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """``structured`` and its JSON text (`_text`), with lone surrogates (valid JSON escapes that cannot
    be sent as UTF-8, so they would break the whole response) replaced by U+FFFD. orjson refuses
    them (and integers beyond 64 bits): only then is the structure walked and encoded again."""
    try:
        return structured, _text(structured, strict=True)
    except (orjson.JSONEncodeError, TypeError):
        structured = _scrub(structured)
        return structured, _text(structured)


def ratelimit_fields(result: Result) -> dict[str, Any] | None:
    """`{"ratelimit": {...} | None, "retry_after": int | None}` of a tool result, or None when upstream
    sent no rate-limit information (for the HTTP transports' `ratelimit-*` / `retry-after` headers)."""
    meta = result.meta or {}
    fields = meta.get(RATELIMIT_META)
    return dict(fields) if isinstance(fields, Mapping) else None


def success(
    structured: dict[str, Any], response: httpx.Response | None, extra: Sequence[mcp_types.ContentBlock] = ()
) -> Result:
    meta = None
    if response is not None:
        info = normalise(response.headers, status=response.status_code)
        if info.ratelimit is not None or info.retry_after is not None:
            meta = {RATELIMIT_META: info.as_dict()}
    structured, text = wire_safe(structured)
    return EncodedResult(
        content=[mcp_types.TextContent(text=text), *extra],
        structured_content=structured,
        _meta=meta,
    )
