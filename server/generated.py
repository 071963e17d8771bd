"""The breadth catalogue: every other documented Halo resource, as `catalogue.Resource` entries.

Loaded from `generated_catalogue.json`, the checked-in artefact that `python -m
halo_sandbox.server.generate` writes from Halo's official OpenAPI document (see `generate.py` for how
resources, methods and inputs are derived and what is not generated). Loading reads only that file:
nothing at run time reads the OpenAPI document, the network, or the mock.

Generated entries differ from curated ones only in their data: `generated=True` (tool descriptions
say so), tags taken from the document's operation tags plus `generated`, parameters without curated
descriptions, no name lookups and no hooks. The curated catalogue stays the source for the resources
it covers; the generator leaves those out.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from importlib import resources as _files
from types import MappingProxyType
from typing import Any

from halo_sandbox.server.catalogue import CATALOGUE, METHODS, Param, Resource, check_resources

ARTEFACT = "generated_catalogue.json"
GENERATED_TAG = "generated"


def _param(raw: Mapping[str, Any], *, where: str) -> Param:
    name = str(raw["name"])
    json_type = str(raw["type"])
    description = f"Halo's `{name}` {where}."
    if json_type == "array" and where == "query parameter":
        return Param(
            name=name,
            type="array",
            csv=True,
            item_type=str(raw.get("item_type", "integer")),
            description=description,
            required=bool(raw.get("required", False)),
        )
    enum = raw.get("enum")
    return Param(
        name=name,
        type=json_type,
        item_type=str(raw.get("item_type", "integer")),
        description=description,
        required=bool(raw.get("required", False)),
        enum=tuple(enum) if enum else None,
    )


def _resource(raw: Mapping[str, Any]) -> Resource:
    methods = frozenset(raw["methods"])
    path = str(raw["path"])
    missing = {
        m: f"Halo's OpenAPI document declares no such operation on {path}"
        for m in METHODS
        if m not in methods
    }
    tags = [t for t in raw.get("tags", [])]
    summary = f"Halo's `{path}` resource (OpenAPI tag{'s' if len(tags) > 1 else ''} {', '.join(tags)})."
    return Resource(
        name=str(raw["name"]),
        singular=str(raw["singular"]),
        path=path,
        tags=frozenset({*tags, GENERATED_TAG}),
        summary=summary,
        methods=methods,
        not_offered=MappingProxyType(missing),
        pageable=bool(raw.get("pageable", False)),
        id_type=str(raw.get("id_type", "integer")),
        filters=tuple(_param(p, where="query parameter") for p in raw.get("filters", [])),
        get_params=tuple(_param(p, where="query parameter") for p in raw.get("get_params", [])),
        delete_params=tuple(_param(p, where="query parameter") for p in raw.get("delete_params", [])),
        fields=tuple(_param(p, where="record field") for p in raw.get("fields", [])),
        object_as_row=True,
        generated=True,
    )


@cache
def generated_catalogue() -> Mapping[str, Resource]:
    """The generated entries by name (read once from the artefact; a broken artefact raises on load)."""
    text = _files.files(__package__).joinpath(ARTEFACT).read_text(encoding="utf-8")
    entries = tuple(_resource(raw) for raw in json.loads(text)["resources"])
    clash = sorted({e.name for e in entries} & set(CATALOGUE))
    if clash:
        raise ValueError(f"{ARTEFACT}: generated names clash with the curated catalogue: {', '.join(clash)}")
    check_resources((*CATALOGUE.values(), *entries))
    return MappingProxyType({e.name: e for e in entries})


def full_catalogue() -> Mapping[str, Resource]:
    """The curated catalogue followed by the generated one (curated entries first, as listed)."""
    return MappingProxyType({**CATALOGUE, **generated_catalogue()})


__all__ = ["GENERATED_TAG", "full_catalogue", "generated_catalogue"]
