"""Testing code that calls Halo: `mock_halo()` (context manager and decorator) and the pytest
plugin's fixtures (`halo_mock`, `halo_mcp`, `halo_sandbox`, in `pytest_plugin`).

Imports are lazy: the pytest plugin lives in this package and loads in every pytest run."""

from __future__ import annotations

from typing import Any

__all__ = ["HaloMock", "SandboxProcess", "mock_halo"]


def __getattr__(name: str) -> Any:
    if name in ("HaloMock", "mock_halo"):
        from halo_sandbox.testing import halo_mock

        return getattr(halo_mock, name)
    if name == "SandboxProcess":
        from halo_sandbox.testing.process import SandboxProcess

        return SandboxProcess
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
