"""Errors of the console; `routes._error_response` maps them to HTTP in one place."""

from __future__ import annotations

from typing import Any


class ConsoleError(Exception):
    """Base class; ``status_code`` is the HTTP status the console answers with."""

    status_code = 500

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def body(self) -> dict[str, Any]:
        return {"error": self.message}


class NotAuthorised(ConsoleError):
    """The admin key is configured and the request did not carry it."""

    status_code = 401


class BadInput(ConsoleError):
    """A form or upload the console cannot use (nothing was changed)."""

    status_code = 400


class ControlPlaneError(ConsoleError):
    """The mock's control plane refused a request (its status and body are kept)."""

    def __init__(self, message: str, *, status: int, detail: Any = None) -> None:
        super().__init__(message)
        self.status_code = status if 400 <= status < 600 else 502
        self.detail = detail

    def body(self) -> dict[str, Any]:
        return {"error": self.message, "detail": self.detail}
