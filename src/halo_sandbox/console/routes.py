"""The console's HTTP face, all under ``/_sandbox`` (mount these routes before the mock):

    GET  /_sandbox/                         the page (or a login form, 401, when the admin key is needed)
    POST /_sandbox/console/login            form ``key`` -> session cookie (HttpOnly, SameSite=Strict)
    POST /_sandbox/console/logout
    GET  /_sandbox/console.json             the page's data (`timeline.build_view`)
    GET  /_sandbox/console/live             the page's live part as an HTML fragment
    GET  /_sandbox/console/events           SSE: an ``update`` event whenever the data changes
    POST /_sandbox/console/faults           add a fault rule (form)      POST .../faults/clear,
    .../faults/{id}/delete
    POST /_sandbox/console/ratelimit        change the rate limit (form)
    POST /_sandbox/console/reset            back to the fixtures (and an empty tool-call journal)
    GET  /_sandbox/console/snapshot         download a snapshot          POST (file upload) restore it
    GET  /_sandbox/console/static/...       CSS

When an admin key is configured every route but the login and the CSS needs it: the session cookie,
``X-Admin-Key`` or ``Authorization: Bearer``. The key is never written into a page or JSON. Form
actions answer ``303`` back to the page with a ``notice`` or ``error``; errors map to HTTP in one
place, `_error_response`.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sse_starlette import EventSourceResponse
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from halo_sandbox.admin_errors import AdminError, BadInput, CrossSiteRefused, NotAuthorised
from halo_sandbox.console.control import ControlPlane
from halo_sandbox.console.timeline import build_view
from halo_sandbox.console.tool_calls import ToolCallJournal
from halo_sandbox.guard import COOKIE, MAX_FORM_BYTES, AdminGuard

__all__ = ["COOKIE", "PAGE", "console_routes"]

PAGE = "/_sandbox/"
_HERE = Path(__file__).parent
_templates = Environment(
    loader=FileSystemLoader(_HERE / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)
_FAULT_INTS = ("status", "times", "after", "latency_ms")

_Handler = Callable[[Request], Awaitable[Response]]
ServersSource = Callable[[], Sequence[dict[str, Any]]]


_FRAMING = {
    "Content-Security-Policy": "frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
}
"""Sent with every console response: no other site may frame the console (clickjacking)."""


def _error_response(exc: AdminError, *, form: bool) -> Response:
    """The one mapping from console errors to HTTP: form actions go back to the page with the message."""
    if isinstance(exc, NotAuthorised) and form:
        return _login_page(status=401)
    if form and not isinstance(exc, CrossSiteRefused):
        return _back(error=exc.message)
    return JSONResponse(exc.body(), status_code=exc.status_code)


def _back(**message: str) -> RedirectResponse:
    return RedirectResponse(f"{PAGE}?{urlencode(message)}" if message else PAGE, status_code=303)


def _login_page(*, status: int, error: str | None = None) -> HTMLResponse:
    return HTMLResponse(
        _templates.get_template("login.html").render(page=PAGE, error=error), status_code=status
    )


class _Console:
    def __init__(
        self,
        *,
        control: ControlPlane,
        calls: ToolCallJournal,
        guard: AdminGuard,
        servers: ServersSource,
        tenant: str | None,
        poll_interval: float,
    ) -> None:
        self.control = control
        self.calls = calls
        self.guard = guard
        self.servers = servers
        self.tenant = tenant
        self.poll_interval = poll_interval

    # -- data
    async def view(self) -> dict[str, Any]:
        requests, faults, ratelimit = await asyncio.gather(
            self.control.requests(tenant=self.tenant),
            self.control.faults(tenant=self.tenant),
            self.control.ratelimit(tenant=self.tenant),
        )
        servers = await asyncio.to_thread(lambda: list(self.servers()))
        return build_view(
            calls=self.calls.calls(),
            requests=requests,
            faults=faults,
            ratelimit=ratelimit,
            servers=servers,
            tenant=ratelimit.get("tenant") or self.tenant or "",
        )


def _framed(handler: _Handler) -> _Handler:
    async def endpoint(request: Request) -> Response:
        response = await handler(request)
        for name, value in _FRAMING.items():
            response.headers.setdefault(name, value)
        return response

    return endpoint


def _guarded(console: _Console, handler: _Handler, *, form: bool = False) -> _Handler:
    async def endpoint(request: Request) -> Response:
        try:
            request.state.session = await console.guard.check(request)
            return await handler(request)
        except AdminError as exc:
            return _error_response(exc, form=form)

    return _framed(endpoint)


def _int(form: Any, name: str) -> int | None:
    raw = str(form.get(name) or "").strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        raise BadInput(f"{name} must be a whole number, not {raw!r}") from None


def _fault_rule(form: Any) -> dict[str, Any]:
    """A fault rule from the page's form; empty fields are left to the mock's defaults."""
    rule: dict[str, Any] = {}
    for name in ("method", "path", "tool"):
        text = str(form.get(name) or "").strip()
        if text:
            rule[name] = text
    for name in _FAULT_INTS:
        number = _int(form, name)
        if number is not None:
            rule[name] = number
    body = str(form.get("body") or "").strip()
    if body:
        try:
            rule["body"] = json.loads(body)
        except ValueError:
            rule["body"] = body
    if form.get("drop"):
        rule["drop"] = True
    return rule


def console_routes(
    *,
    control: ControlPlane,
    calls: ToolCallJournal,
    admin_key: str | None = None,
    guard: AdminGuard | None = None,
    servers: ServersSource = tuple,
    tenant: str | None = None,
    poll_interval: float = 0.5,
) -> list[BaseRoute]:
    """The console's routes. ``guard`` is the sandbox's admin guard (default: one for ``admin_key``);
    ``servers()`` lists provisioned servers (public fields only, no tokens); ``tenant`` is the mock
    tenant shown (None: the mock's default)."""
    guard = guard or AdminGuard(admin_key)
    console = _Console(
        control=control, calls=calls, guard=guard, servers=servers, tenant=tenant, poll_interval=poll_interval
    )

    async def page(request: Request) -> Response:
        try:
            session = await guard.check(request)
        except NotAuthorised:
            return _login_page(status=401)
        try:
            view = await console.view()
        except AdminError as exc:
            return _error_response(exc, form=False)
        html = _templates.get_template("console.html").render(
            view=view,
            page=PAGE,
            notice=request.query_params.get("notice"),
            error=request.query_params.get("error"),
            login=guard.enabled,
            csrf=session.csrf if session else "",
        )
        return HTMLResponse(html)

    async def login(request: Request) -> Response:
        if not guard.enabled:
            return _back()
        form = await request.form()
        try:
            session = guard.login(str(form.get("key") or ""))
        except NotAuthorised as exc:
            return _login_page(status=401, error=exc.message)
        response = _back()
        response.set_cookie(COOKIE, session.id, httponly=True, samesite="strict", path="/_sandbox")
        return response

    async def logout(request: Request) -> Response:
        guard.revoke(getattr(request.state, "session", None) and request.state.session.id)
        response = _back()
        response.delete_cookie(COOKIE, path="/_sandbox")
        return response

    async def data(request: Request) -> Response:
        return JSONResponse(await console.view())

    async def live(request: Request) -> Response:
        session = request.state.session
        return HTMLResponse(
            _templates.get_template("_live.html").render(
                view=await console.view(), page=PAGE, csrf=session.csrf if session else ""
            )
        )

    async def events(request: Request) -> Response:
        async def stream() -> Any:
            last = None
            while True:
                try:
                    view = await console.view()
                except AdminError as exc:
                    yield {"event": "error", "data": json.dumps(exc.body())}
                else:
                    digest = hashlib.sha256(
                        json.dumps(view, sort_keys=True, default=str).encode()
                    ).hexdigest()
                    if digest != last:
                        last = digest
                        yield {
                            "event": "update",
                            "id": digest[:16],
                            "data": json.dumps({"version": digest[:16], "counts": view["counts"]}),
                        }
                await asyncio.sleep(console.poll_interval)

        return EventSourceResponse(stream(), ping=15)

    async def add_fault(request: Request) -> Response:
        rules = await control.add_fault(_fault_rule(await request.form()), tenant=tenant)
        return _back(notice=f"Fault rule {rules[0]['id']} added.")

    async def clear_faults(request: Request) -> Response:
        removed = (await control.clear_faults(tenant=tenant)).get("removed")
        return _back(notice=f"Fault rules cleared ({removed}).")

    async def delete_fault(request: Request) -> Response:
        rule_id = request.path_params["rule_id"]
        await control.remove_fault(rule_id, tenant=tenant)
        return _back(notice=f"Fault rule {rule_id} removed.")

    async def set_ratelimit(request: Request) -> Response:
        form = await request.form()
        update: dict[str, Any] = {"enabled": bool(form.get("enabled"))}
        for name in ("limit", "window_seconds"):
            value = _int(form, name)
            if value is not None:
                update[name] = value
        state = await control.set_ratelimit(update, tenant=tenant)
        shown = f"{state['limit']} per {state['window_seconds']} s" if state.get("enabled") else "off"
        return _back(notice=f"Rate limit: {shown}.")

    async def reset(request: Request) -> Response:
        await control.reset(tenant=tenant)
        calls.clear()
        return _back(notice="Reset to the fixtures.")

    async def download(request: Request) -> Response:
        snapshot = await control.snapshot(tenant=tenant)
        name = f"halo-sandbox-{snapshot.get('tenant', 'tenant')}-snapshot.json"
        return Response(
            json.dumps(snapshot),
            media_type="application/json",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    async def restore(request: Request) -> Response:
        form = await request.form(max_part_size=MAX_FORM_BYTES)
        upload = form.get("snapshot")
        if not isinstance(upload, UploadFile):
            raise BadInput("Choose a snapshot file to restore.")
        raw = await upload.read()
        if not raw.strip():
            raise BadInput("The snapshot file is empty.")
        try:
            json.loads(raw)
        except ValueError as exc:
            raise BadInput(f"The snapshot is not JSON: {exc}") from None
        await control.restore(raw, tenant=tenant)
        return _back(notice=f"Snapshot {upload.filename or ''} restored.".replace("  ", " "))

    def route(path: str, handler: _Handler, *, methods: list[str], form: bool = False) -> Route:
        return Route(path, _guarded(console, handler, form=form), methods=methods)

    return [
        Route(PAGE, _framed(page), methods=["GET"]),
        Route("/_sandbox/console/login", _framed(login), methods=["POST"]),
        route("/_sandbox/console/logout", logout, methods=["POST"], form=True),
        route("/_sandbox/console.json", data, methods=["GET"]),
        route("/_sandbox/console/live", live, methods=["GET"]),
        route("/_sandbox/console/events", events, methods=["GET"]),
        route("/_sandbox/console/faults", add_fault, methods=["POST"], form=True),
        route("/_sandbox/console/faults/clear", clear_faults, methods=["POST"], form=True),
        route("/_sandbox/console/faults/{rule_id:int}/delete", delete_fault, methods=["POST"], form=True),
        route("/_sandbox/console/ratelimit", set_ratelimit, methods=["POST"], form=True),
        route("/_sandbox/console/reset", reset, methods=["POST"], form=True),
        route("/_sandbox/console/snapshot", download, methods=["GET"]),
        route("/_sandbox/console/snapshot/restore", restore, methods=["POST"], form=True),
        Mount("/_sandbox/console/static", app=StaticFiles(directory=_HERE / "static"), name="console-static"),
    ]
