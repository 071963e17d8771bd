"""Errors of the console: the sandbox's one family (`halo_sandbox.errors`); `routes._error_response`
maps them to HTTP in one place."""

from __future__ import annotations

from halo_sandbox.errors import BadInput, ControlPlaneError, CrossSiteRefused, NotAuthorised
from halo_sandbox.errors import SandboxError as ConsoleError

__all__ = ["BadInput", "ConsoleError", "ControlPlaneError", "CrossSiteRefused", "NotAuthorised"]
