"""The admin side's one error family: provisioning, its admin API and the console. `AdminError` is
a sibling of the MCP server's `ServerError` under the leaf `halo_sandbox.error_base.HaloSandboxError`.
Every class has a stable ``code``; each surface maps the family in one place:

- JSON API:    `json_error` here (provisioning and the console's JSON routes)
- page:        the console's `_error_response` (form actions go back to the page with the message)
- shell:       `halo_sandbox.provisioning.cli` (the message, exit 1)

    AdminError                500  internal   something the sandbox did not expect
    ├── BadInput          400  invalid_input       a bad field, form or upload; nothing changed
    │   └── InvalidField  400  invalid_field       names the field (``config.tags``)
    ├── NotAuthorised     401  not_authorised      no admin key / session / API token
    ├── CrossSiteRefused  403  cross_site          a change from another site or without the CSRF token
    ├── RecordNotFound    404  not_found           unknown server, token, account or route
    ├── Conflict          409  conflict            the change would leave records pointing at nothing
    ├── Unavailable       503  unavailable         not servable now (lifespan not entered, caps reached)
    └── ControlPlaneError 4xx/5xx control_plane    the mock's control plane refused (its status kept)
"""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse

from halo_sandbox.error_base import HaloSandboxError

__all__ = [
    "AdminError",
    "BadInput",
    "Conflict",
    "ControlPlaneError",
    "CrossSiteRefused",
    "InvalidField",
    "NotAuthorised",
    "RecordNotFound",
    "Unavailable",
    "json_error",
]


class AdminError(HaloSandboxError):
    """Base of the admin side's errors; ``status_code`` is the HTTP status of the JSON API."""

    code = "internal"
    status_code = 500

    def body(self) -> dict[str, Any]:
        return {"error": {"status": self.status_code, "code": self.code, "message": self.message}}


class BadInput(AdminError):
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


class NotAuthorised(AdminError):
    """A missing or wrong admin key, session or API token. Says nothing about what was presented."""

    code, status_code = "not_authorised", 401


class CrossSiteRefused(AdminError):
    """A state-changing request from another site, or without the session's CSRF token."""

    code, status_code = "cross_site", 403


class RecordNotFound(AdminError):
    """An unknown (or expired) server, token or account, or an unknown admin route."""

    code, status_code = "not_found", 404


class Conflict(AdminError):
    code, status_code = "conflict", 409


class Unavailable(AdminError):
    code, status_code = "unavailable", 503


class ControlPlaneError(AdminError):
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


def json_error(exc: AdminError) -> JSONResponse:
    """The one mapping of the family to a JSON API answer."""
    headers = {"WWW-Authenticate": 'Bearer realm="halo-sandbox"'} if isinstance(exc, NotAuthorised) else None
    return JSONResponse(exc.body(), status_code=exc.status_code, headers=headers)
