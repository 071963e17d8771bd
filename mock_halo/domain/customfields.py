"""Custom fields as stored: ``[{"id", "value"}]`` per record, by the resource table's definitions
(`ResourceSpec.custom_fields`); rendering adds ``name``, ``label``, ``type`` and ``display``."""

from __future__ import annotations

from typing import Any

from halo_sandbox.mock.domain.resources import CustomField, ResourceSpec
from halo_sandbox.mock.engine.rows import Row
from halo_sandbox.mock.exceptions import FieldErrors

__all__ = ["custom_values"]


def custom_values(
    spec: ResourceSpec,
    sent: list[Any],
    old: Row | None,
    prefix: str,
    errors: FieldErrors,
    *,
    definitions: tuple[CustomField, ...] | None = None,
) -> list[Row]:
    """Stored ``customfields``: ``[{"id", "value"}]`` by definition id, the sent values (each naming its
    field by ``id`` or ``name``) over the record's current ones. ``definitions``: the store's own, when
    it has them (`Records.definitions`), else the resource table's."""
    defined = spec.custom_fields if definitions is None else definitions
    by_id = {f.id: f for f in defined}
    by_name = {f.name.lower(): f for f in defined}
    values = {
        entry["id"]: entry.get("value")
        for entry in (old or {}).get("customfields") or []
        if isinstance(entry, dict) and entry.get("id") in by_id
    }
    for j, entry in enumerate(sent):
        where = f"{prefix}.customfields[{j}]"
        if not isinstance(entry, dict):
            errors.add(where, "Each custom field must be an object with id (or name) and value.")
            continue
        key = entry.get("id")
        field = by_id.get(key) if isinstance(key, int) and not isinstance(key, bool) else None
        if field is None and isinstance(entry.get("name"), str):
            field = by_name.get(entry["name"].lower())
        if field is None:
            errors.choice(
                where, f"Custom field {key if key is not None else entry.get('name')!r} does not exist."
            )
            continue
        values[field.id] = entry.get("value")
    return [{"id": k, "value": v} for k, v in sorted(values.items())]
