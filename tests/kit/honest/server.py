"""An honest Halo MCP server written the way many real ones are, for `halo-sandbox verify` to pass
without a mapping file. Built on the `mcp` SDK's `MCPServer` (tools declared ``-> str`` that return
JSON text: structured content ``{"result": "<json text>"}``), talking to Halo with httpx, with
what trips naive oracles:

- a circuit breaker: three failed upstream requests in a row (5xx, 429, a dropped connection) open
  it for a minute, and calls then fail at once without calling Halo;
- a ``confirm: true`` guard every write requires (refused before Halo without it);
- writes whose record sits in a nested ``data`` object (a Pydantic model, a ``$ref`` in the schema);
- reads with ``includedetails=true``; priorities listed by ``priorityid`` only (no ``id`` field);
- Halo's status and message passed through once (no retries); one token refresh and one replay on
  a 401;
- shapes seen in third-party servers: a "my tickets" list beside the plain one; a priority read by
  a number (Halo's priority ids are uuids; ``/Priority/{n}`` reads ``priorityid``); ticket actions
  listed by Halo's ``count`` alone (at most 200, no page argument); an attachment upload whose record
  is a free-form ``data`` object (``data_base64`` inside).

    python server.py --halo-url URL --client-id ID --client-secret SECRET [--port PORT]
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Annotated, Any

import httpx
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, Field

BREAKER_THRESHOLD = 3
BREAKER_SECONDS = 60.0


class NewTicket(BaseModel):
    summary: str = Field(min_length=1, max_length=200)
    client_id: int = Field(ge=1, le=2147483647)
    details: str | None = None


class TicketChanges(BaseModel):
    summary: str | None = Field(default=None, min_length=1, max_length=200)
    details: str | None = None


class Halo:
    def __init__(self, *, url: str, client_id: str, client_secret: str) -> None:
        self.http = httpx.AsyncClient(base_url=url, timeout=15)
        self.credentials = {
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": client_secret,
            "scope": "all",
        }
        self.token: str | None = None
        self.failures = 0
        self.open_until = 0.0

    async def _new_token(self) -> str:
        response = await self.http.post("/auth/token", data=self.credentials)
        if response.status_code != 200:
            raise ToolError(f"Halo refused the credentials ({response.status_code}): {response.text}")
        return str(response.json()["access_token"])

    async def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return await self.http.request(
            method, path, headers={"Authorization": f"Bearer {self.token}"}, **kwargs
        )

    async def request(self, method: str, path: str, **kwargs: Any) -> Any:
        if time.monotonic() < self.open_until:
            raise ToolError("circuit open: Halo failed repeatedly, not calling it for a minute")
        try:
            if self.token is None:
                self.token = await self._new_token()
            response = await self._send(method, path, **kwargs)
            if response.status_code == 401:  # one refresh, one replay
                self.token = await self._new_token()
                response = await self._send(method, path, **kwargs)
        except httpx.TransportError as exc:
            self._failed()
            raise ToolError(f"Halo could not be reached: {exc}") from None
        if response.status_code >= 500 or response.status_code == 429:
            self._failed()
        else:
            self.failures = 0
        if not response.is_success:
            retry = response.headers.get("Retry-After")
            raise ToolError(
                f"Halo answered {response.status_code}"
                + (f" (Retry-After: {retry})" if retry else "")
                + f": {response.text}"
            )
        return response.json() if response.content else None

    def _failed(self) -> None:
        self.failures += 1
        if self.failures >= BREAKER_THRESHOLD:
            self.open_until = time.monotonic() + BREAKER_SECONDS


def _guard(confirm: bool) -> None:
    if confirm is not True:
        raise ToolError("refused: this tool changes Halo; call it again with confirm=true")


def build(halo: Halo) -> MCPServer:
    server = MCPServer("honest-halo")

    @server.tool(description="List Halo tickets a page at a time, optionally for one client.")
    async def list_tickets(
        client_id: int | None = Field(default=None, ge=1),
        page: int = Field(default=1, ge=1),
        page_size: int = Field(default=25, ge=1, le=100),
    ) -> str:
        query: dict[str, Any] = {"pageinate": "true", "page_no": page, "page_size": page_size}
        if client_id is not None:
            query["client_id"] = client_id
        answer = await halo.request("GET", "/api/Tickets", params=query)
        return json.dumps(
            {"page": page, "record_count": answer.get("record_count"), "tickets": answer["tickets"]}
        )

    @server.tool(description="Get one Halo ticket with its details.")
    async def get_ticket(ticket_id: int = Field(ge=1)) -> str:
        return json.dumps(
            await halo.request("GET", f"/api/Tickets/{ticket_id}", params={"includedetails": "true"})
        )

    @server.tool(description="Create a Halo ticket. Requires confirm=true.")
    async def create_ticket(data: NewTicket, confirm: bool) -> str:
        _guard(confirm)
        created = await halo.request("POST", "/api/Tickets", json=[data.model_dump(exclude_none=True)])
        return json.dumps(created)

    @server.tool(description="Change a Halo ticket's summary or details. Requires confirm=true.")
    async def update_ticket(
        ticket_id: Annotated[int, Field(ge=1)], data: TicketChanges, confirm: bool
    ) -> str:
        _guard(confirm)
        body = {"id": ticket_id, **data.model_dump(exclude_none=True)}
        return json.dumps(await halo.request("POST", "/api/Tickets", json=[body]))

    @server.tool(description="Delete a Halo ticket. Requires confirm=true.")
    async def delete_ticket(ticket_id: int, confirm: bool) -> str:
        _guard(confirm)
        await halo.request("DELETE", f"/api/Tickets/{ticket_id}")
        return json.dumps({"deleted": ticket_id})

    @server.tool(description="List Halo clients a page at a time.")
    async def list_clients(
        search: str | None = None,
        page: int = Field(default=1, ge=1),
        page_size: int = Field(default=50, ge=1, le=100),
    ) -> str:
        query: dict[str, Any] = {"pageinate": "true", "page_no": page, "page_size": page_size}
        if search:
            query["search"] = search
        answer = await halo.request("GET", "/api/Client", params=query)
        return json.dumps(
            {"page": page, "clients": answer["clients"], "record_count": answer.get("record_count")}
        )

    @server.tool(description="Get one Halo client with its details.")
    async def get_client(client_id: int = Field(ge=1)) -> str:
        return json.dumps(
            await halo.request("GET", f"/api/Client/{client_id}", params={"includedetails": "true"})
        )

    @server.tool(description="List the Halo tickets assigned to me, a page at a time.")
    async def list_my_tickets(page: int = Field(default=1, ge=1)) -> str:
        query = {"pageinate": "true", "page_no": page, "page_size": 50, "agent_id": 1}
        return json.dumps(await halo.request("GET", "/api/Tickets", params=query))

    @server.tool(description="Get one Halo priority by its number.")
    async def get_priority(id: int = Field(ge=1)) -> str:
        return json.dumps(await halo.request("GET", f"/api/Priority/{id}"))

    @server.tool(description="List a Halo ticket's actions (notes), newest first.")
    async def list_ticket_actions(
        ticket_id: int = Field(ge=1), count: int = Field(default=50, ge=1, le=200)
    ) -> str:
        return json.dumps(
            await halo.request("GET", "/api/Actions", params={"ticket_id": ticket_id, "count": count})
        )

    @server.tool(description="Upload a Halo attachment. Requires confirm=true.")
    async def create_attachment(data: dict[str, Any], confirm: bool) -> str:
        _guard(confirm)
        return json.dumps(await halo.request("POST", "/api/Attachment", json=[data]))

    @server.tool(description="List Halo's ticket priorities.")
    async def list_priorities() -> str:
        answer = await halo.request("GET", "/api/Priority")
        rows = answer if isinstance(answer, list) else answer.get("priorities", [])
        return json.dumps([{"priorityid": r["priorityid"], "name": r.get("name")} for r in rows])

    return server


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--halo-url", required=True)
    parser.add_argument("--client-id", required=True)
    parser.add_argument("--client-secret", required=True)
    parser.add_argument("--port", type=int, default=None, help="serve Streamable HTTP on 127.0.0.1:PORT")
    options = parser.parse_args()
    server = build(
        Halo(url=options.halo_url, client_id=options.client_id, client_secret=options.client_secret)
    )
    if options.port is None:
        server.run("stdio")
    else:
        server.run("streamable-http", host="127.0.0.1", port=options.port)


if __name__ == "__main__":
    main()
