"""A small Halo MCP server of another style (``halo_tickets_list`` with page numbers, text results),
built on the low-level `mcp` Server, with deliberate defects for `halo-sandbox verify` to catch.

    python server.py --halo-url URL --client-id ID --client-secret SECRET [--defect NAME]

Defects (none by default, when the server is honest):
  retry-429        retries a 429 three times (a retry storm on a rate limit)
  drop-error-body  reports only "HTTP <status>" and drops Halo's error body
  paging-skip      page n > 1 asks Halo for page n + 1 (records of page 2 are never seen)
  schema-lie       the create tool's schema calls `summary` optional and forwards calls without it
  auth-loop        on a 401 fetches new tokens but keeps sending the old one, ten times over
  stale-read       the get tool answers a ticket's summary from an earlier read, not from Halo
  write-drops      the create tool drops `client_id` (the ticket lands on Halo's default client)
"""

from __future__ import annotations

import argparse
import json
from typing import Any

import anyio
import httpx
import jsonschema
import mcp_types
from mcp.server.lowlevel import Server
from mcp.server.stdio import stdio_server

DEFECTS = (
    "none",
    "retry-429",
    "drop-error-body",
    "paging-skip",
    "schema-lie",
    "auth-loop",
    "stale-read",
    "write-drops",
)


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
        response = await self._send(method, path, **kwargs)
        if response.status_code == 401:
            if self.defect == "auth-loop":
                for _ in range(10):  # the bug: a fresh token is fetched but never used
                    await self._new_token()
                    response = await self._send(method, path, **kwargs)
                    if response.status_code != 401:
                        break
            else:
                self.token = await self._new_token()
                response = await self._send(method, path, **kwargs)
        if response.status_code == 429 and self.defect == "retry-429":
            for _ in range(3):
                await anyio.sleep(0.05)
                response = await self._send(method, path, **kwargs)
                if response.status_code != 429:
                    break
        return response

    async def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return await self.http.request(
            method, path, headers={"Authorization": f"Bearer {self.token}"}, **kwargs
        )


def _text(value: Any, *, error: bool = False) -> mcp_types.CallToolResult:
    text = value if isinstance(value, str) else json.dumps(value)
    return mcp_types.CallToolResult(content=[mcp_types.TextContent(text=text)], is_error=error)


def tools(defect: str) -> list[mcp_types.Tool]:
    create_required = [] if defect == "schema-lie" else ["summary"]
    return [
        mcp_types.Tool(
            name="halo_tickets_list",
            description="List Halo tickets, one page at a time.",
            input_schema={
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "client_id": {"type": "integer", "minimum": 1, "maximum": 2147483647},
                    "page": {"type": "integer", "minimum": 1, "maximum": 10000, "default": 1},
                    "page_size": {"type": "integer", "minimum": 1, "maximum": 50, "default": 20},
                },
            },
        ),
        mcp_types.Tool(
            name="halo_tickets_get",
            description="Get one Halo ticket.",
            input_schema={
                "type": "object",
                "additionalProperties": False,
                "required": ["ticket_id"],
                "properties": {"ticket_id": {"type": "integer", "minimum": 1, "maximum": 2147483647}},
            },
        ),
        mcp_types.Tool(
            name="halo_tickets_create",
            description="Create a Halo ticket.",
            input_schema={
                "type": "object",
                "additionalProperties": False,
                "required": create_required,
                "properties": {
                    "summary": {"type": "string", "minLength": 1},
                    "client_id": {"type": "integer", "minimum": 1, "maximum": 2147483647},
                },
            },
        ),
    ]


def build(halo: Halo) -> Server[Any]:
    remembered: dict[int, str] = {}
    listing = mcp_types.ListToolsResult(tools=tools(halo.defect))
    schemas = {t.name: t.input_schema for t in listing.tools}

    async def on_list_tools(ctx: Any, params: Any) -> mcp_types.ListToolsResult:
        return listing

    async def on_call_tool(ctx: Any, params: mcp_types.CallToolRequestParams) -> mcp_types.CallToolResult:
        args = dict(params.arguments or {})
        if params.name in schemas:
            problems = sorted(
                jsonschema.Draft202012Validator(schemas[params.name]).iter_errors(args), key=str
            )
            if problems:
                return _text(f"Invalid arguments: {problems[0].message}", error=True)
        if params.name == "halo_tickets_list":
            page = int(args.get("page", 1))
            size = int(args.get("page_size", 20))
            halo_page = page + 1 if halo.defect == "paging-skip" and page > 1 else page
            query = {"pageinate": "true", "page_size": size, "page_no": halo_page}
            if "client_id" in args:
                query["client_id"] = args["client_id"]
            response = await halo.request("GET", "/api/Tickets", params=query)
            if response.is_success:
                return _text({"page": page, "tickets": response.json()["tickets"]})
        elif params.name == "halo_tickets_get":
            response = await halo.request("GET", f"/api/Tickets/{args['ticket_id']}")
            if response.is_success:
                record = response.json()
                if halo.defect == "stale-read":  # the bug: a cache that never learns of changes
                    record["summary"] = remembered.setdefault(
                        args["ticket_id"], f"(cached) {record['summary']}"
                    )
                return _text(record)
        elif params.name == "halo_tickets_create":
            body = {k: v for k, v in args.items() if not (halo.defect == "write-drops" and k == "client_id")}
            response = await halo.request("POST", "/api/Tickets", json=[body])
            if response.is_success:
                return _text(response.json())
        else:
            return _text(f"Unknown tool {params.name}", error=True)
        if halo.defect == "drop-error-body":
            return _text(f"Halo request failed (HTTP {response.status_code})", error=True)
        return _text(f"Halo answered {response.status_code}: {response.text}", error=True)

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
