"""The engine's two shapes: a stored row (field name -> value) and the key a table files it under
(an int id, a uuid string, or a ``(scope, id)`` pair for scoped resources)."""

from __future__ import annotations

from typing import Any

__all__ = ["Key", "Row"]

Key = Any
Row = dict[str, Any]
