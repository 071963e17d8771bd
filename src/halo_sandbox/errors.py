"""One error family for the whole server side: MCP tool calls, the provisioning admin API and the
console. Every class is a `ServerError` (the MCP server's root, `halo_sandbox.server.errors`), with a
stable ``code``; each surface maps the family in one place:

- tool result: `halo_sandbox.server.results.error_result` (``isError`` with ``{"error": {...}}``)
- JSON API:    `json_error` here (provisioning and the console's JSON routes)
- page:        the console's `_error_response` (form actions go back to the page with the message)

    ServerError                               (tool-call errors: see halo_sandbox.server.errors)
    └── SandboxError          500  internal   something the sandbox did not expect
        ├── BadInput          400  invalid_input       a bad field, form or upload; nothing changed
        │   └── InvalidField  400  invalid_field       names the field (``config.tags``)
        ├── NotAuthorised     401  not_authorised      no admin key / session / API token
        ├── CrossSiteRefused  403  cross_site          a change from another site or without the CSRF token
        ├── NotFound          404  not_found           unknown server, token, account or route
        ├── Conflict          409  conflict            the change would leave records pointing at nothing
        ├── Unavailable       503  unavailable         not servable now (lifespan not entered, caps reached)
        └── ControlPlaneError 4xx/5xx control_plane    the mock's control plane refused (its status kept)
"""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse

from halo_sandbox.server.errors import ServerError

__all__ = [
    "BadInput",
    "Conflict",
    "ControlPlaneError",
    "CrossSiteRefused",
    "InvalidField",
    "NotAuthorised",
    "NotFound",
    "SandboxError",
    "Unavailable",
    "json_error",
]


class SandboxError(ServerError):
    """Base of the sandbox's own errors; ``status_code`` is the HTTP status of the JSON API."""

    code = "internal"
    status_code = 500

    def body(self) -> dict[str, Any]:
        return {"error": {"status": self.status_code, "code": self.code, "message": self.message}}


class BadInput(SandboxError):
    code, status_code = "invalid_input", 400


class InvalidField(BadInput):
    """A bad input. ``field`` names it the way the request spells it (``config.tags``)."""

    code = "invalid_field"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field

    def body(self) -> dict[str, Any]:
        body = super().body()
        body["error"]["field"] = self.field
        return body


class NotAuthorised(SandboxError):
    """A missing or wrong admin key, session or API token. Says nothing about what was presented."""

    code, status_code = "not_authorised", 401


class CrossSiteRefused(SandboxError):
    """A state-changing request from another site, or without the session's CSRF token."""

    code, status_code = "cross_site", 403


class NotFound(SandboxError):
    code, status_code = "not_found", 404


class Conflict(SandboxError):
    code, status_code = "conflict", 409


class Unavailable(SandboxError):
    code, status_code = "unavailable", 503


class ControlPlaneError(SandboxError):
    """The mock's control plane refused a request (its status and body are kept)."""

    code = "control_plane"

    def __init__(self, message: str, *, status: int, detail: Any = None) -> None:
        super().__init__(message)
        self.status_code = status if 400 <= status < 600 else 502
        self.detail = detail

    def body(self) -> dict[str, Any]:
        body = super().body()
        body["error"]["detail"] = self.detail
        return body


def json_error(exc: SandboxError) -> JSONResponse:
    """The one mapping of the family to a JSON API answer."""
    headers = {"WWW-Authenticate": 'Bearer realm="halo-sandbox"'} if isinstance(exc, NotAuthorised) else None
    return JSONResponse(exc.body(), status_code=exc.status_code, headers=headers)
