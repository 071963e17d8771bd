"""The MCP server's error tree.

Every failure of a tool call is one of these (a sibling of the admin side's `AdminError` under the
leaf `halo_sandbox.error_base.HaloSandboxError`); `executor` turns any of them into an
`isError` tool result in exactly one place (`results.error_result`). Each class has a
stable `code` that appears as `error.code` in the result's structured content.

    ServerError
    ├── ToolInputError          bad arguments: caught before any upstream request
    │   ├── UnknownToolError    no such tool (or hidden by the server's filters)
    │   ├── CursorError         tampered, truncated, foreign or malformed `next_cursor`
    │   └── FileAccessError     `file_path` outside the allowed directory, missing, not a file
    ├── UpstreamError           Halo answered non-2xx, or 2xx with something that is not an API answer
    │   └── UpstreamUnavailable Halo could not be reached or timed out (status is None)
    └── InternalError           anything else that went wrong inside a tool call (a bug); logged
"""

from __future__ import annotations

from typing import Any

from halo_sandbox.error_base import HaloSandboxError


class ServerError(HaloSandboxError):
    """Base class of every error a tool call can end with."""

    code = "server_error"


class ToolInputError(ServerError):
    """The arguments are wrong; nothing was sent upstream."""

    code = "invalid_arguments"


class UnknownToolError(ToolInputError):
    code = "unknown_tool"


class CursorError(ToolInputError):
    code = "invalid_cursor"


class FileAccessError(ToolInputError):
    code = "file_access_denied"


class UpstreamError(ServerError):
    """Halo answered with a non-2xx status. Passed through, never retried."""

    code = "upstream_error"

    def __init__(
        self,
        message: str,
        *,
        status: int | None,
        body: Any = None,
        ratelimit: dict[str, int | None] | None = None,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body = body
        self.ratelimit = ratelimit
        self.retry_after = retry_after


class UpstreamUnavailable(UpstreamError):
    """Halo could not be reached (connection refused, DNS, TLS, timeout)."""

    code = "upstream_unavailable"

    def __init__(self, message: str) -> None:
        super().__init__(message, status=None)


class InternalError(ServerError):
    """An unexpected exception inside a tool call. The agent gets it as a tool error (never a
    protocol error) and the traceback goes to the log."""

    code = "internal_error"
