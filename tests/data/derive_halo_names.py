"""Regenerate `halo-names.json` from a copy of Halo's official OpenAPI document.

    python tests/data/derive_halo_names.py PATH/TO/halo-swagger.json

The tests read only the derived file: the names Halo gives each catalogue path's query parameters and
POST body fields. Run this when the catalogue gains a path.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from halo_sandbox.server.catalogue import CATALOGUE

SOURCE = (
    "Halo's official OpenAPI document (HaloITSM API, the subset of paths the curated catalogue uses): "
    "for each path, the query parameter names of GET (list), GET/DELETE {id}, and the property names "
    "of the POST body's item schema. Derived with tests/data/derive_halo_names.py."
)


def derive(document: dict) -> dict:
    paths = {p.lower(): ops for p, ops in document["paths"].items()}
    schemas = document["components"]["schemas"]
    out = {}
    for entry in sorted(CATALOGUE.values(), key=lambda e: e.name):
        base = entry.path.lower()
        record = {"list_params": sorted({p["name"] for p in paths[base]["get"].get("parameters", [])})}
        by_id = paths[base + "/{id}"]
        for method in ("get", "delete"):
            if method in by_id:
                record[f"{method}_params"] = sorted({p["name"] for p in by_id[method].get("parameters", [])})
        post = paths[base].get("post")
        if post:
            ref = post["requestBody"]["content"]["application/json"]["schema"]["items"]["$ref"]
            record["body_schema"] = ref.rsplit("/", 1)[1]
            record["body_fields"] = sorted(schemas[record["body_schema"]]["properties"])
        out[entry.path] = record
    return {"source": SOURCE, "paths": out}


if __name__ == "__main__":
    derived = derive(json.loads(Path(sys.argv[1]).read_text(encoding="utf-8")))
    target = Path(__file__).with_name("halo-names.json")
    target.write_text(json.dumps(derived, indent=1, sort_keys=True) + "\n", encoding="utf-8")
