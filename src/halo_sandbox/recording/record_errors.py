"""The recorder's and the drift check's one error family (`RecordingError`, a sibling of the server's
and the admin side's families under `halo_sandbox.error_base.HaloSandboxError`)."""

from __future__ import annotations

from halo_sandbox.error_base import HaloSandboxError

__all__ = ["BudgetExhausted", "HaloRefused", "RecordingError", "ResumeMismatch"]


class RecordingError(HaloSandboxError):
    """Anything that stops `record` or `drift`; the message says what to do."""


class HaloRefused(RecordingError):
    """The live Halo answered a request with an error (after the retries 429 and 5xx get)."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class BudgetExhausted(RecordingError):
    """The request budget (``--max-requests``) is spent; what was recorded so far is kept for ``--resume``."""


class ResumeMismatch(RecordingError):
    """``--resume`` found no partial recording, or one of another tenant or other options."""
