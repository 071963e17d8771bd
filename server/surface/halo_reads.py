"""The GETs to Halo behind resources and completions: a 2xx body, or an `MCPError` saying what Halo answered.

Tools report upstream failures as error results (`..executor`); resources and completions have no
result to carry them, so an upstream failure is a JSON-RPC error whose `data` holds Halo's status,
body and normalised rate-limit fields.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
import mcp_types as types
from mcp.shared.exceptions import MCPError

from halo_sandbox.server.errors import UpstreamError
from halo_sandbox.server.upstream import HaloClient, parse_body, upstream_error

__all__ = ["body_or_raise", "get", "records", "request", "rows"]


def records(body: Any) -> list[Any]:
    """The rows of a Halo list answer: a bare array, or the one list in an envelope."""
    if isinstance(body, list):
        return body
    if isinstance(body, dict):
        lists = [v for v in body.values() if isinstance(v, list)]
        if len(lists) == 1:
            return lists[0]
    return []


def body_or_raise(response: httpx.Response) -> Any:
    """The parsed body of a 2xx answer; any other answer is an MCP error carrying Halo's status and body."""
    body = parse_body(response)
    if not response.is_success:
        error = upstream_error(response, body)
        raise MCPError(
            code=types.INTERNAL_ERROR,
            message=f"Halo answered {response.status_code}: {error.message}",
            data={
                "status": response.status_code,
                "body": body,
                "ratelimit": error.ratelimit,
                "retry_after": error.retry_after,
            },
        )
    return body


async def request(halo: HaloClient, path: str, *, params: Mapping[str, Any] | None = None) -> httpx.Response:
    """One GET to Halo; Halo unreachable or refusing the credentials is an MCP error saying so."""
    try:
        return await halo.request("GET", path, params=params)
    except UpstreamError as exc:
        raise MCPError(
            code=types.INTERNAL_ERROR, message=exc.message, data={"status": exc.status, "body": exc.body}
        ) from None


async def get(halo: HaloClient, path: str, *, params: Mapping[str, Any] | None = None) -> Any:
    """The body of a successful GET (see `body_or_raise`)."""
    return body_or_raise(await request(halo, path, params=params))


async def rows(halo: HaloClient, path: str, *, params: Mapping[str, Any] | None = None) -> list[Any]:
    """The rows of a successful list GET (see `records`)."""
    return records(await get(halo, path, params=params))
