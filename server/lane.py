"""The lean lane of `tools/call`: a tool result goes to the wire in one orjson pass.

The SDK shapes every handler result generically: it validates the `CallToolResult` against the
protocol revision's result model and dumps it (two pydantic walks over the structured content),
then the transport dumps the JSON-RPC envelope again and encodes it with the standard library's
`json`. For a detailed Halo record (about 900 fields) that was most of a tool call's CPU.

- `ToolCallLane`, a server middleware (`Server.middleware`, inside the SDK's OpenTelemetry span):
  a `tools/call` request (not a notification of that name) whose params are plain (`name`,
  `arguments`, `_meta` without a progress token) on a connection that accepts requests is answered
  by the tool surface directly, and the result is given back already in wire form (`wire_result`: the same
  members the SDK's serialization writes,
  `resultType` and the `serverInfo` stamp on 2026-07-28 results). Anything else takes the SDK's path
  unchanged (its validation ladder answers malformed params).
- `Splices`: over HTTP (`transports.RateLimitHeaders` holds every `tools/call` response anyway),
  the text content and the structured content are encoded once with orjson and stand in the SDK's
  envelope as unguessable placeholder strings; the held response body gets the encoded bytes in
  their place. Without splices (stdio, the legacy SSE transport) the wire form carries the values
  themselves and the SDK encodes them as before.
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import orjson
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp_types import SERVER_INFO_META_KEY
from mcp_types.version import MODERN_PROTOCOL_VERSIONS

from halo_sandbox.server.results import EncodedResult, Result, encode

__all__ = ["SPLICES", "Splices", "ToolCallLane", "wire_result"]

SPLICES = "halo_sandbox.splices"
"""ASGI scope key of the `Splices` of one HTTP request (set by `transports.RateLimitHeaders`)."""

_PLAIN_PARAMS = frozenset({"name", "arguments", "_meta"})


class Splices:
    """Encoded JSON values of one HTTP response, each standing in the response as a placeholder
    string until `apply` puts the bytes in its place."""

    def __init__(self) -> None:
        self._pieces: dict[bytes, bytes] = {}

    def __bool__(self) -> bool:
        return bool(self._pieces)

    def add(self, encoded: bytes) -> str:
        """A placeholder for the JSON value `encoded`: a random per-process prefix and a counter,
        ASCII, so any JSON encoder writes it as is, and no client can guess one."""
        placeholder = f"{_PREFIX}{next(_COUNTER)}"
        self._pieces[b'"' + placeholder.encode() + b'"'] = encoded
        return placeholder

    def apply(self, payload: bytes) -> bytes:
        """`payload` with each placeholder string (quotes included) replaced by its encoded value, in
        one pass over `payload` as it was: what an encoded value holds is never searched."""
        found = sorted((at, literal) for literal in self._pieces if (at := payload.find(literal)) != -1)
        if not found:
            return payload
        parts: list[bytes] = []
        end = 0
        for at, literal in found:
            parts += [payload[end:at], self._pieces[literal]]
            end = at + len(literal)
        parts.append(payload[end:])
        return b"".join(parts)


_PREFIX = f"halo-sandbox-splice:{secrets.token_hex(16)}:"
_COUNTER = itertools.count()


def _encoded(value: Any) -> bytes | None:
    """`value` as JSON (`results.encode`); None for what orjson refuses (integers beyond 64 bits, lone
    surrogates): those stay in the envelope for the SDK to encode."""
    try:
        return encode(value)
    except (orjson.JSONEncodeError, TypeError):
        return None


def wire_result(
    result: Result, *, version: str, server_info: Callable[[], dict[str, Any]], splices: Splices | None = None
) -> dict[str, Any]:
    """`result` in the wire form the SDK writes for `tools/call` at protocol `version`; with
    `splices`, the text of the first content block and the structured content are placeholders."""
    blocks: list[dict[str, Any]] = [
        block.model_dump(by_alias=True, mode="json", exclude_none=True) for block in result.content
    ]
    structured = result.structured_content
    if splices is not None:
        first: dict[str, Any] = blocks[0] if blocks else {}
        text = first["text"] if first.get("type") == "text" else None
        if text is not None:
            literal = _encoded(text)
            if literal is not None:
                first["text"] = splices.add(literal)
        if structured is not None:
            # a result built by `results` carries its structured content's JSON as its text already
            encoded = (
                text.encode()
                if isinstance(result, EncodedResult) and text is not None
                else _encoded(structured)
            )
            if encoded is not None:
                structured = splices.add(encoded)
    wire: dict[str, Any] = {"content": blocks, "isError": bool(result.is_error)}
    if structured is not None:
        wire["structuredContent"] = structured
    meta = dict(result.meta) if result.meta else None
    if version in MODERN_PROTOCOL_VERSIONS:
        wire["resultType"] = "complete"
        meta = {**(meta or {}), SERVER_INFO_META_KEY: server_info()}
    if meta is not None:
        wire["_meta"] = meta
    return wire


def _plain(params: Mapping[str, Any] | None) -> bool:
    """`tools/call` params the lane answers exactly as the SDK would: a string `name`, an object or
    no `arguments`, a `_meta` object without a progress token (progress takes the SDK's path), nothing
    else."""
    if (
        not isinstance(params, Mapping)
        or not params.keys() <= _PLAIN_PARAMS
        or type(params.get("name")) is not str
    ):
        return False
    arguments = params.get("arguments")
    if arguments is not None and type(arguments) is not dict:
        return False
    meta = params.get("_meta")
    return meta is None or (type(meta) is dict and "progressToken" not in meta)


class ToolCallLane:
    """Server middleware answering plain `tools/call` requests with `call` (the tool surface) and
    `wire_result`; `server_info` gives the `serverInfo` stamp of 2026-07-28 results."""

    def __init__(
        self,
        call: Callable[[str, Mapping[str, Any] | None], Awaitable[Result]],
        *,
        server_info: Callable[[], dict[str, Any]],
    ) -> None:
        self._call = call
        self._server_info = server_info

    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        params = ctx.params
        # the SDK runs notifications through the same middleware: one named `tools/call` runs nothing
        if (
            ctx.request_id is None
            or ctx.method != "tools/call"
            or not _plain(params)
            or not _accepts_requests(ctx)
        ):
            return await call_next(ctx)
        assert params is not None
        result = await self._call(params["name"], params.get("arguments"))
        scope = getattr(ctx.request, "scope", None)
        splices = scope.get(SPLICES) if isinstance(scope, dict) else None
        return wire_result(
            result,
            version=ctx.protocol_version,
            server_info=self._server_info,
            splices=splices if isinstance(splices, Splices) else None,
        )


def _accepts_requests(ctx: ServerRequestContext[Any, Any]) -> bool:
    """A 2026-07-28 request (born ready), or a handshake-era connection whose `initialize` was
    answered; before that the SDK's gate answers."""
    return ctx.protocol_version in MODERN_PROTOCOL_VERSIONS or ctx.session.client_params is not None
