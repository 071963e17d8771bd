"""The mock's error hierarchy. Every failure the mock reports is one of these; the HTTP
mapping lives in one handler (`.app`), never in the routes.

    HaloError                 500  something the mock itself did not expect
    ├── OAuthError            400/401  token endpoint refusals, OAuth JSON body
    │                              {"error": "invalid_client", "error_description": "..."}
    ├── Unauthorized          401  missing, unknown, expired or foreign Bearer token on /api
    ├── Forbidden             403  the token's scopes do not cover the resource
    ├── NotFound              404  unknown record id, unknown path
    ├── MethodNotAllowed      405  a documented path asked with an undocumented method (``Allow``)
    ├── ValidationError       400  bad field values / unknown references; body names the
    │   │                          field the way ASP.NET model binding does: {"[0].client_id": ["..."]}
    │   └── StrictRefusal     400  strict mode: the request carries what real Halo would ignore
    ├── QuotaExceeded         403  a write past the tenant's record quota (the sandbox's, not Halo's)
    ├── RequestTimeout        408  the request body did not arrive in time (the server's body deadline)
    ├── PayloadTooLarge       413  an attachment, a request body or a batch over the configured limit
    ├── UnsupportedMediaType  415  a POST body that is not JSON (Content-Type)
    ├── RateLimited           429  the rolling-window limiter refused the request
    └── OverBudget            503  the process is over its memory budget (``Retry-After``)

Lookups in the store raise these; they never return ``None``. `FieldErrors` collects the
field messages of one request and raises them together as one `ValidationError`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class HaloError(Exception):
    """Base class. Raised directly only for an internal inconsistency (HTTP 500)."""

    status_code: int = 500

    def __init__(self, message: str = "An error occurred", *, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.headers: dict[str, str] = dict(headers or {})

    def body(self) -> Any:
        """The JSON body Halo would answer with."""
        return {"message": self.message}


class OAuthError(HaloError):
    """Raised by `/auth/token`: bad client (401 ``invalid_client``), bad user/refresh token
    (400 ``invalid_grant``), unknown scope (400 ``invalid_scope``), unsupported grant (400
    ``unsupported_grant_type``), missing fields (400 ``invalid_request``)."""

    def __init__(self, error: str, description: str, *, status_code: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.status_code = status_code

    def body(self) -> Any:
        return {"error": self.error, "error_description": self.message}


class Unauthorized(HaloError):
    """Raised when an /api call carries no Bearer token, an unknown one, an expired one, or
    one issued for another tenant."""

    status_code = 401

    def __init__(self, message: str = "Authorization has been denied for this request.") -> None:
        super().__init__(message, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})

    def body(self) -> Any:
        return {"message": self.message}


class Forbidden(HaloError):
    """Raised when the token is valid but its scopes do not cover the resource/method."""

    status_code = 403


class NotFound(HaloError):
    """Raised for an unknown record id (GET/DELETE/update) or an unknown path."""

    status_code = 404


class MethodNotAllowed(HaloError):
    """Raised for a documented path asked with a method Halo does not document for it."""

    status_code = 405


class ValidationError(HaloError):
    """Raised for wrong types, missing required fields and unknown referenced ids. Carries the
    ASP.NET-style field map, e.g. ``{"[0].client_id": ["Client 999 does not exist."]}``."""

    status_code = 400

    def __init__(self, errors: dict[str, list[str]]) -> None:
        first = next(iter(errors.items()), ("", ["invalid request"]))
        super().__init__(f"{first[0]}: {first[1][0]}" if first[0] else first[1][0])
        self.errors = errors

    def body(self) -> Any:
        return self.errors


class FieldErrors:
    """Collects ASP.NET-style field errors for one request (``"[0].client_id"`` -> messages).

    ``lenient``: where the mock's own checks go when they accept (`choice`); ``None`` refuses them."""

    def __init__(self, lenient: Callable[[str], None] | None = None) -> None:
        self.map: dict[str, list[str]] = {}
        self.lenient = lenient

    def add(self, key: str, message: str) -> None:
        self.map.setdefault(key, []).append(message)

    def choice(self, key: str, message: str) -> bool:
        """A check that is the mock's own choice (no source says Halo refuses it, FIDELITY.md):
        with ``lenient`` the request is accepted and the check reported through it (a strict
        tenant refuses it then); without, refused, saying why. Returns whether it was accepted."""
        if self.lenient is not None:
            where = f"body {key}" if key else "body"
            self.lenient(f"{where}: {message} Accepted: the mock's own check, not Halo's")
            return True
        self.add(key, f"{message} (The mock's own check, applied in strict mode; Halo's is unknown.)")
        return False

    def raise_if_any(self) -> None:
        """Raise `ValidationError` with every collected message, if there is any."""
        if self.map:
            raise ValidationError(self.map)


class StrictRefusal(ValidationError):
    """Raised in strict mode when a request carries anything real Halo would ignore (unknown body
    fields, undocumented or unimplemented query parameters, values Halo's binder would convert)."""


class RequestTimeout(HaloError):
    """Raised when the request body stops arriving (the serving layer's body deadline, or a client that
    left mid-body): answered 408 rather than a dropped connection or a 500."""

    status_code = 408


class PayloadTooLarge(HaloError):
    """Raised when an attachment's decoded bytes (or a request body) exceed the configured limit."""

    status_code = 413


class UnsupportedMediaType(HaloError):
    """Raised for a request body whose ``Content-Type`` is not one of the JSON types Halo's API
    accepts (``application/json``, ``text/json``, ``application/*+json``)."""

    status_code = 415


class RateLimited(HaloError):
    """Raised by the rolling-window limiter; carries ``Retry-After`` and rate-limit headers."""

    status_code = 429


class QuotaExceeded(HaloError):
    """Raised for a write that would take a tenant past its record quota (``max_records``), or a
    token request that would create a tenant past the cap on tenants created with credentials."""

    status_code = 403


class OverBudget(HaloError):
    """Raised when the process's resident memory is over its budget: new work is refused, with
    ``Retry-After``, until memory is freed (tenants deleted or reset)."""

    status_code = 503

    def __init__(self, message: str, *, retry_after: int = 30) -> None:
        super().__init__(message, headers={"Retry-After": str(retry_after)})
