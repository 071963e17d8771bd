"""A small Halo MCP server of another style (``halo_tickets_list`` with page numbers, a cursor on
``halo_actions_list``, text results), built on the low-level `mcp` Server, with deliberate defects
for `halo-sandbox verify` to catch: one per property class.

    python server.py --halo-url URL --client-id ID --client-secret SECRET [--defect NAME]

Defects (none by default, when the server is honest):
  wrong-envelope      the get tool reads the record from a `result` key Halo does not send
  stale-read          the get tool answers a ticket's summary from an earlier read, not from Halo
  filter-ignored      the tickets list drops its `status_id` filter
  csv-dropped         the tickets list drops its `status` filter (several statuses, an array)
  paging-skip         page n > 1 asks Halo for page n + 1 (records of page 2 are never seen)
  page-cap            offers pages of up to 200 and ends at the first page shorter than asked;
                      Halo caps pages at 100 (records beyond the first 100 are never seen)
  record-count-trust  reads "more pages" only from `record_count`: a list without it ends at page 1
  limit-change        the actions cursor keeps a page number, so a new `limit` skips or repeats
  cursor-unvalidated  the actions cursor carries its ticket and wins over the call's `ticket_id`
  cursor-unbound      the actions cursor of one ticket is accepted for another and continues that
                      ticket's actions from its offset (their first page is skipped)
  more-when-full      offers another tickets page whenever a page is full, although Halo's
                      record_count says the list ended (an exact multiple ends on an empty page)
  drop-error-body     reports only "HTTP <status>" and drops Halo's error body
  message-cut         cuts Halo's error body at 200 characters (a message further in is lost)
  retry-after-null    errors carry a `retry_after` field that is always null
  status-lost         reports Halo's error body without its status
  retry-429           retries a 429 three times at once (ignoring Retry-After)
  unbounded-wait      sleeps whatever Retry-After says (an hour if Halo says so) before retrying
  post-retry          sends a create again after a 5xx or a dropped connection (duplicates)
  write-drops         the create tool drops `client_id` (the ticket lands on Halo's default client)
  create-echo         the create tool answers with the arguments sent, not the ticket Halo saved (no id)
  update-creates      the update tool, told 404 for its id, posts again without it (a new ticket)
  update-id-optional  the update tool's schema lets `ticket_id` go; without it the post creates a ticket
  dot-segments        the get tool takes a string id too and pastes it into the path unescaped: `..`
                      reads `/api`, `.` the tickets list, `0/../5` ticket 5 (RFC 3986 dot segments)
  wrong-annotation    the update tool is hinted read-only
  list-not-read-only  the list tools are hinted `readOnlyHint: false` (they only ever GET)
  schema-lie          the create tool's schema calls `summary` optional and forwards calls without it
  auth-loop           on a 401 fetches new tokens but keeps sending the old one, ten times over
  401-loop            on a 401 refreshes and replays until Halo accepts (50 rounds for revoked credentials)

Not a defect: ``polite-retry`` retries a read twice on 429/5xx/a dropped connection, honouring
Retry-After up to 5 s (and giving up on longer waits); verify's default retry policy accepts it,
``--retry-policy pass-through`` does not. Nor is ``string-ids``: the get tool takes a string id too
and sends it as one escaped path segment (``quote(id, safe="")``, a bare dot segment as ``%2E``).
"""

from __future__ import annotations

import argparse
import base64
import email.utils
import json
import time
from typing import Any
from urllib.parse import quote

import anyio
import httpx
import jsonschema
import mcp_types
from mcp.server.lowlevel import Server
from mcp.server.stdio import stdio_server

DEFECTS = (
    "none",
    "polite-retry",
    "wrong-envelope",
    "stale-read",
    "filter-ignored",
    "csv-dropped",
    "paging-skip",
    "page-cap",
    "record-count-trust",
    "limit-change",
    "cursor-unvalidated",
    "cursor-unbound",
    "more-when-full",
    "drop-error-body",
    "message-cut",
    "retry-after-null",
    "status-lost",
    "retry-429",
    "unbounded-wait",
    "post-retry",
    "write-drops",
    "create-echo",
    "update-creates",
    "update-id-optional",
    "dot-segments",
    "string-ids",
    "wrong-annotation",
    "list-not-read-only",
    "schema-lie",
    "auth-loop",
    "401-loop",
)
HALO_MAX_PAGE = 100


class LostConnection(Exception):
    pass


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    if value is None:
        return None
    if value.strip().isdigit():
        return float(value)
    try:
        return max(email.utils.parsedate_to_datetime(value).timestamp() - time.time(), 0.0)
    except (TypeError, ValueError):
        return None


class Halo:
    def __init__(self, *, url: str, client_id: str, client_secret: str, defect: str) -> None:
        self.http = httpx.AsyncClient(base_url=url, timeout=10)
        self.credentials = {
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": client_secret,
            "scope": "all",
        }
        self.defect = defect
        self.token: str | None = None

    async def _new_token(self) -> str:
        response = await self.http.post("/auth/token", data=self.credentials)
        response.raise_for_status()
        return response.json()["access_token"]

    async def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        if self.token is None:
            self.token = await self._new_token()
        response = await self._send_retrying(method, path, **kwargs)
        if response.status_code == 401:
            if self.defect == "auth-loop":
                for _ in range(10):  # the bug: a fresh token is fetched but never used
                    await self._new_token()
                    response = await self._send(method, path, **kwargs)
                    if response.status_code != 401:
                        break
            elif self.defect == "401-loop":
                for _ in range(50):  # the bug: no real limit on refreshing (revoked credentials)
                    self.token = await self._new_token()
                    response = await self._send(method, path, **kwargs)
                    if response.status_code != 401:
                        break
            else:
                self.token = await self._new_token()
                response = await self._send(method, path, **kwargs)
        return response

    async def _send_retrying(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        defect = self.defect
        for attempt in range(1000):
            try:
                response = await self._send(method, path, **kwargs)
            except httpx.TransportError:
                retry = (defect == "polite-retry" and method == "GET") or defect == "post-retry"
                if retry and attempt < 2:
                    await anyio.sleep(0.1)
                    continue
                raise LostConnection(f"the connection to Halo was lost ({method} {path})") from None
            status = response.status_code
            wait = _retry_after(response)
            if defect == "retry-429" and status == 429 and attempt < 3:
                await anyio.sleep(0.05)
            elif defect == "unbounded-wait" and status in (429, 503) and wait is not None and attempt < 3:
                await anyio.sleep(wait)  # the bug: no cap on the wait (an hour if Halo says so)
            elif defect == "polite-retry" and method == "GET" and status in (429, 500, 502, 503, 504):
                if attempt >= 2 or (wait is not None and wait > 5):
                    return response
                await anyio.sleep(wait if wait is not None else 0.2)
            elif defect == "post-retry" and method == "POST" and status >= 500 and attempt < 2:
                await anyio.sleep(0.1)
            else:
                return response
        return response

    async def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return await self.http.request(
            method, path, headers={"Authorization": f"Bearer {self.token}"}, **kwargs
        )


def _text(value: Any, *, error: bool = False) -> mcp_types.CallToolResult:
    text = value if isinstance(value, str) else json.dumps(value)
    return mcp_types.CallToolResult(content=[mcp_types.TextContent(text=text)], is_error=error)


def _int(maximum: int = 2147483647) -> dict[str, Any]:
    return {"type": "integer", "minimum": 1, "maximum": maximum}


def _hints(*, read_only: bool, destructive: bool = False, idempotent: bool = False) -> Any:
    return mcp_types.ToolAnnotations(
        readOnlyHint=read_only, destructiveHint=destructive, idempotentHint=idempotent
    )


def _ticket_id(defect: str) -> dict[str, Any]:
    """The get tool's id: a number, or (``dot-segments``, ``string-ids``) a number or a string."""
    if defect in ("dot-segments", "string-ids"):
        return {"type": ["integer", "string"], "minimum": 1, "maximum": 2147483647, "minLength": 1}
    return _int()


def _segment(value: Any) -> str:
    """An id as one path segment: escaped, a bare ``.`` or ``..`` as ``%2E`` (else a dot segment)."""
    text = quote(str(value), safe="")
    return "%2E" * len(text) if text in (".", "..") else text


def tools(defect: str) -> list[mcp_types.Tool]:
    create_required = [] if defect == "schema-lie" else ["summary"]
    page_max = 200 if defect == "page-cap" else 50
    read = _hints(read_only=defect != "list-not-read-only", idempotent=True)
    return [
        mcp_types.Tool(
            name="halo_tickets_list",
            description="List Halo tickets, one page at a time.",
            annotations=read,
            input_schema={
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "client_id": _int(),
                    "status_id": _int(),
                    "status": {"type": "array", "items": _int(), "minItems": 1},
                    "agent_id": {"type": "integer", "minimum": 0, "maximum": 2147483647},
                    "open_only": {"type": "boolean"},
                    "page": {**_int(10000), "default": 1},
                    "page_size": {**_int(page_max), "default": 20},
                },
            },
        ),
        mcp_types.Tool(
            name="halo_tickets_get",
            description="Get one Halo ticket.",
            annotations=read,
            input_schema={
                "type": "object",
                "additionalProperties": False,
                "required": ["ticket_id"],
                "properties": {"ticket_id": _ticket_id(defect)},
            },
        ),
        mcp_types.Tool(
            name="halo_tickets_create",
            description="Create a Halo ticket.",
            annotations=_hints(read_only=False),
            input_schema={
                "type": "object",
                "additionalProperties": False,
                "required": create_required,
                "properties": {"summary": {"type": "string", "minLength": 1}, "client_id": _int()},
            },
        ),
        mcp_types.Tool(
            name="halo_tickets_update",
            description="Change the summary of a Halo ticket.",
            annotations=_hints(read_only=True, idempotent=True)
            if defect == "wrong-annotation"
            else _hints(read_only=False, destructive=True, idempotent=True),
            input_schema={
                "type": "object",
                "additionalProperties": False,
                "required": ["summary"] if defect == "update-id-optional" else ["ticket_id", "summary"],
                "properties": {"ticket_id": _int(), "summary": {"type": "string", "minLength": 1}},
            },
        ),
        mcp_types.Tool(
            name="halo_actions_list",
            description="List the actions of a Halo ticket; pass `cursor` back for the next page.",
            annotations=read,
            input_schema={
                "type": "object",
                "additionalProperties": False,
                "required": ["ticket_id"],
                "properties": {
                    "ticket_id": _int(),
                    "limit": {**_int(50), "default": 10},
                    "cursor": {"type": "string", "minLength": 1},
                },
            },
        ),
    ]


def _cursor(data: dict[str, int]) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode()


def _uncursor(text: str) -> dict[str, int]:
    """Raises ValueError for anything this server did not make."""
    data = json.loads(base64.urlsafe_b64decode(text.encode()))
    if not isinstance(data, dict) or not all(isinstance(v, int) for v in data.values()):
        raise ValueError("not a cursor")
    return data


def build(halo: Halo) -> Server[Any]:
    remembered: dict[int, str] = {}
    defect = halo.defect
    listing = mcp_types.ListToolsResult(tools=tools(defect))
    schemas = {t.name: t.input_schema for t in listing.tools}

    async def on_list_tools(ctx: Any, params: Any) -> mcp_types.ListToolsResult:
        return listing

    async def list_tickets(args: dict[str, Any]) -> mcp_types.CallToolResult | httpx.Response:
        page = int(args.get("page", 1))
        size = int(args.get("page_size", 20))
        halo_page = page + 1 if defect == "paging-skip" and page > 1 else page
        query: dict[str, Any] = {"pageinate": "true", "page_size": size, "page_no": halo_page}
        for name in ("client_id", "status_id", "agent_id", "open_only", "status"):
            if name not in args or (defect == "filter-ignored" and name == "status_id"):
                continue
            if defect == "csv-dropped" and name == "status":
                continue
            value = args[name]
            if isinstance(value, bool):
                value = "true" if value else "false"
            elif isinstance(value, list):
                value = ",".join(str(v) for v in value)  # Halo takes several ids comma-separated
            query[name] = value
        response = await halo.request("GET", "/api/Tickets", params=query)
        if not response.is_success:
            return response
        body = response.json()
        rows = body["tickets"]
        total = body.get("record_count")
        if defect == "record-count-trust":
            more = page * size < (total or 0)
        elif defect in ("page-cap", "more-when-full") or total is None:
            more = len(rows) >= size
        else:
            more = (page - 1) * min(size, HALO_MAX_PAGE) + len(rows) < total
        return _text({"page": page, "tickets": rows, "more": more})

    async def list_actions(args: dict[str, Any]) -> mcp_types.CallToolResult | httpx.Response:
        ticket, limit, offset = args["ticket_id"], int(args.get("limit", 10)), 0
        if "cursor" in args:
            try:
                position = _uncursor(args["cursor"])
            except ValueError:
                return _text("Invalid cursor: pass back the `next_cursor` of the previous page", error=True)
            if defect == "cursor-unvalidated":
                ticket = position.get("ticket", ticket)  # the bug: the cursor's ticket wins
            elif position.get("ticket") != ticket and defect != "cursor-unbound":
                return _text("The cursor belongs to another ticket's actions", error=True)
            if defect == "limit-change":
                offset = position.get("page", 0) * limit  # the bug: pages of whatever size is asked now
            else:
                offset = position.get("offset", 0)
        response = await halo.request("GET", "/api/Actions", params={"ticket_id": ticket, "count": 100000})
        if not response.is_success:
            return response
        rows = response.json()["actions"]
        page = rows[offset : offset + limit]
        nxt = None
        if offset + limit < len(rows):
            position = {"ticket": ticket, "offset": offset + limit}
            if defect == "limit-change":
                position = {"ticket": ticket, "page": offset // limit + 1}
            nxt = _cursor(position)
        return _text({"actions": page, "next_cursor": nxt})

    async def on_call_tool(ctx: Any, params: mcp_types.CallToolRequestParams) -> mcp_types.CallToolResult:
        args = dict(params.arguments or {})
        if params.name not in schemas:
            return _text(f"Unknown tool {params.name}", error=True)
        problems = sorted(jsonschema.Draft202012Validator(schemas[params.name]).iter_errors(args), key=str)
        if problems:
            return _text(f"Invalid arguments: {problems[0].message}", error=True)
        try:
            outcome = await call(params.name, args)
        except LostConnection as exc:
            return _text(str(exc), error=True)
        if isinstance(outcome, mcp_types.CallToolResult):
            return outcome
        if defect == "drop-error-body":
            return _text(f"Halo request failed (HTTP {outcome.status_code})", error=True)
        if defect == "status-lost":
            return _text(f"Halo refused the request: {outcome.text}", error=True)
        if defect == "message-cut":
            return _text(f"Halo answered {outcome.status_code}: {outcome.text[:200]}", error=True)
        if defect == "retry-after-null":  # the bug: the field is offered but never filled
            error = {"status": outcome.status_code, "body": outcome.text, "retry_after": None}
            return _text({"error": error}, error=True)
        return _text(f"Halo answered {outcome.status_code}: {outcome.text}", error=True)

    async def call(name: str, args: dict[str, Any]) -> mcp_types.CallToolResult | httpx.Response:
        if name == "halo_tickets_list":
            return await list_tickets(args)
        if name == "halo_actions_list":
            return await list_actions(args)
        if name == "halo_tickets_get":
            ticket = args["ticket_id"]
            # pasted in unescaped: harmless while the schema takes only numbers, the bug of dot-segments
            segment = _segment(ticket) if defect == "string-ids" else ticket
            response = await halo.request("GET", f"/api/Tickets/{segment}")
            if not response.is_success:
                return response
            record = response.json()
            if defect == "wrong-envelope":
                return _text({"ticket": record.get("result")})
            if defect == "stale-read":  # the bug: a cache that never learns of changes
                record["summary"] = remembered.setdefault(args["ticket_id"], f"(cached) {record['summary']}")
            return _text(record)
        if name == "halo_tickets_create":
            body = {k: v for k, v in args.items() if not (defect == "write-drops" and k == "client_id")}
            response = await halo.request("POST", "/api/Tickets", json=[body])
            if defect == "create-echo" and response.is_success:
                return _text({"created": True, "ticket": body})  # the bug: Halo's answer (the id) dropped
        else:  # halo_tickets_update
            body = {"summary": args["summary"]}
            if "ticket_id" in args:  # always, unless the schema lets it go (update-id-optional)
                body["id"] = args["ticket_id"]
            response = await halo.request("POST", "/api/Tickets", json=[body])
            if defect == "update-creates" and response.status_code == 404:
                body.pop("id")  # the bug: an upsert by accident, a mistyped id becomes a new ticket
                response = await halo.request("POST", "/api/Tickets", json=[body])
        return _text(response.json()) if response.is_success else response

    return Server(
        "defective-halo",
        version="0.0.1",
        on_list_tools=on_list_tools,
        on_call_tool=on_call_tool,
        get_tool_input_schema=schemas.get,
    )


async def main(options: argparse.Namespace) -> None:
    halo = Halo(
        url=options.halo_url,
        client_id=options.client_id,
        client_secret=options.client_secret,
        defect=options.defect,
    )
    server = build(halo)
    async with stdio_server() as (read_stream, write_stream):
        await server.run(read_stream, write_stream, server.create_initialization_options())


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--halo-url", required=True)
    parser.add_argument("--client-id", required=True)
    parser.add_argument("--client-secret", required=True)
    parser.add_argument("--defect", choices=DEFECTS, default="none")
    anyio.run(main, parser.parse_args())
