"""`halo-sandbox journal`: what the agent did, in the terminal.

Reads the console's JSON (``/_sandbox/console.json``) of a running ``halo-sandbox up``: each MCP tool
call with the upstream Halo requests it caused, the other upstream requests, and counts per tool and
per status. ``--follow`` keeps printing new calls and requests as the console's SSE stream
(``/_sandbox/console/events``) reports changes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from httpx_sse import connect_sse
from rich.console import Console
from rich.table import Table
from rich.text import Text

from halo_sandbox.protocol import ADMIN_KEY_HEADER
from halo_sandbox.settings import ADMIN_KEY_FILE, ENV, Settings, default_state_dir

__all__ = ["journal"]


def _admin_key(admin_key: str | None, state_dir: Path | None) -> str | None:
    """The given key, else the one `halo-sandbox up` stored in the state directory (never generated here)."""
    if admin_key:
        return admin_key
    path = (state_dir or default_state_dir()) / ADMIN_KEY_FILE
    try:
        return path.read_text(encoding="utf-8").strip() or None
    except OSError:
        return None


def _status(status: Any) -> Text:
    if status is None:
        return Text("dropped", style="bold red")
    style = "green" if 200 <= status < 300 else "yellow" if status < 400 else "bold red"
    return Text(str(status), style=style)


def _upstream(requests: list[dict[str, Any]]) -> Text:
    text = Text()
    for index, entry in enumerate(requests):
        if index:
            text.append("\n")
        path = entry["path"] + (f"?{entry['query']}" if entry.get("query") else "")
        text.append(f"{entry['method']} {path} ")
        text.append_text(_status(entry.get("status")))
        text.append(f" {entry['latency_ms']} ms", style="dim")
        if entry.get("fault"):
            text.append(f" fault {entry['fault']}", style="yellow")
        for note in entry.get("ignored") or ():
            text.append(f"\n  Halo would ignore: {note}", style="magenta")
    return text or Text("no upstream request", style="dim")


def _outcome(call: dict[str, Any]) -> Text:
    if call["ok"]:
        count = call.get("result_count")
        return Text("ok" + (f" ({count} records)" if count is not None else ""), style="green")
    error = call.get("error") or {}
    status = f" {error['status']}" if error.get("status") else ""
    return Text(f"error{status}: {error.get('message') or ''}", style="bold red")


def _calls_table(calls: list[dict[str, Any]]) -> Table:
    table = Table(title="Tool calls", title_justify="left", expand=True)
    for column in ("started", "tool", "arguments", "outcome", "ms", "upstream requests"):
        table.add_column(column, overflow="fold")
    for call in calls:
        table.add_row(
            call["started_at"][11:23],
            call["tool"],
            json.dumps(call["arguments"]),
            _outcome(call),
            str(call["duration_ms"]),
            _upstream(call["upstream"]),
        )
    return table


def _requests_table(requests: list[dict[str, Any]]) -> Table:
    table = Table(title="Other upstream requests", title_justify="left", expand=True)
    for column in ("time", "request", "client", "tool"):
        table.add_column(column, overflow="fold")
    for entry in requests:
        table.add_row(entry["time"], _upstream([entry]), entry.get("client") or "", entry.get("tool") or "")
    return table


def _counts(view: dict[str, Any]) -> Table:
    table = Table(title="Counts", title_justify="left")
    table.add_column("tool / status")
    table.add_column("calls / requests", justify="right")
    table.add_column("errors", justify="right")
    for tool, counts in view["counts"]["tools"].items():
        table.add_row(tool, str(counts["calls"]), str(counts["errors"]))
    for status, count in view["counts"]["statuses"].items():
        table.add_row(
            Text("upstream ").append_text(_status(None if status == "dropped" else int(status))),
            str(count),
            "",
        )
    return table


class _Reader:
    def __init__(self, http: httpx.Client) -> None:
        self.http = http

    def view(self) -> dict[str, Any]:
        try:
            response = self.http.get("/_sandbox/console.json")
        except httpx.HTTPError as exc:
            raise typer.BadParameter(
                f"cannot reach the sandbox at {self.http.base_url}: {exc}", param_hint="--url"
            ) from None
        if response.status_code == 401:
            if ADMIN_KEY_HEADER in self.http.headers:
                raise typer.BadParameter(
                    "the sandbox refused the admin key: it is not the key this sandbox was started with "
                    "(its start banner shows it; or pass --state-dir of the `up` that runs it)",
                    param_hint="--admin-key",
                )
            raise typer.BadParameter(
                "the sandbox needs its admin key (--admin-key or HALO_SANDBOX_ADMIN_KEY)",
                param_hint="--admin-key",
            )
        if response.status_code == 404:
            raise typer.BadParameter(
                f"{self.http.base_url} serves no sandbox console (is it `halo-sandbox up`?)",
                param_hint="--url",
            )
        response.raise_for_status()
        return response.json()


def journal(
    url: Annotated[str, typer.Option(envvar=ENV["url"], help="The running sandbox.")] = Settings().url,
    admin_key: Annotated[
        str | None,
        typer.Option(
            envvar=ENV["admin_key"],
            help="Admin key (default: the one kept in the state dir).",
            show_default=False,
        ),
    ] = None,
    state_dir: Annotated[
        Path | None,
        typer.Option(
            "--state-dir", envvar=ENV["state_dir"], help="Where `up` keeps the admin key.", show_default=False
        ),
    ] = None,
    limit: Annotated[int, typer.Option(min=1, help="Show at most this many tool calls and requests.")] = 20,
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Keep printing new calls as they happen.")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the console's JSON instead of tables.")
    ] = False,
) -> None:
    """Print the request journal of a running sandbox: MCP tool calls with the Halo requests they caused."""
    key = _admin_key(admin_key, state_dir)
    headers = {ADMIN_KEY_HEADER: key} if key else {}
    out = Console(soft_wrap=not follow)
    with httpx.Client(
        base_url=url.rstrip("/"), headers=headers, timeout=httpx.Timeout(30, read=None)
    ) as http:
        reader = _Reader(http)
        view = reader.view()
        if as_json and not follow:
            out.print_json(data=view)
            return
        calls = list(reversed(view["tool_calls"][:limit]))
        requests = list(reversed(view["requests"][:limit]))
        if as_json:
            for item in [*calls, *requests]:
                out.print(json.dumps(item), markup=False, highlight=False, soft_wrap=True)
        else:
            out.print(_counts(view))
            out.print(_calls_table(calls) if calls else Text("No tool calls yet.", style="dim"))
            if requests:
                out.print(_requests_table(requests))
        if not follow:
            return
        seen_call = max((c["seq"] for c in view["tool_calls"]), default=0)
        seen_request = max((r["id"] for r in view["requests"]), default=0)
        if not as_json:
            out.print(Text(f"Following {url} (Ctrl-C to stop)…", style="dim"))
        try:
            with connect_sse(http, "GET", "/_sandbox/console/events") as source:
                for event in source.iter_sse():
                    if event.event != "update":
                        continue
                    view = reader.view()
                    new_calls = [c for c in reversed(view["tool_calls"]) if c["seq"] > seen_call]
                    new_requests = [r for r in reversed(view["requests"]) if r["id"] > seen_request]
                    seen_call = max([seen_call, *(c["seq"] for c in new_calls)])
                    seen_request = max([seen_request, *(r["id"] for r in new_requests)])
                    if as_json:
                        for item in [*new_calls, *new_requests]:
                            out.print(json.dumps(item), markup=False, highlight=False, soft_wrap=True)
                        continue
                    if new_calls:
                        out.print(_calls_table(new_calls))
                    if new_requests:
                        out.print(_requests_table(new_requests))
        except KeyboardInterrupt:
            return
        except httpx.HTTPError as exc:
            raise typer.BadParameter(f"lost the sandbox at {url}: {exc}", param_hint="--url") from None
