"""The mock's JSON answers: Starlette's `JSONResponse`, encoded by the engine's `wire.encode`."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse as _StarletteJSONResponse

from halo_sandbox.mock.engine.wire import encode

__all__ = ["JSONResponse"]


class JSONResponse(_StarletteJSONResponse):
    """Starlette's `JSONResponse`, encoded by `encode` (orjson)."""

    def render(self, content: Any) -> bytes:
        return encode(content)
