"""`python -m mutation.verify_one OUT.json`: the contracts' verify run (`contracts.engine`) against the
in-process server of the `halo_sandbox` package this interpreter imports (the mutation session points
`PYTHONPATH` at a mutated copy); writes which package ran and the failed checks."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import anyio

from contracts.engine import package_root, verify_our_server
from halo_sandbox.verify import TargetError
from halo_sandbox.verify.report import PROPERTIES


def main(out: Path) -> int:
    try:
        report = anyio.run(verify_our_server)
    except TargetError as exc:
        out.write_text(json.dumps({"package": str(package_root()), "error": str(exc)}))
        return 0
    failed = [
        {"property": c.property, "subject": c.subject, "detail": c.detail[:300]}
        for c in report.checks
        if c.status == "failed"
    ]
    errors = [f"{c.property}: {c.subject}: {c.detail[:200]}" for c in report.checks if c.status == "error"]
    statuses = {p: report.property_status(p) for p in PROPERTIES}
    out.write_text(
        json.dumps({"package": str(package_root()), "failed": failed, "errors": errors, "statuses": statuses})
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main(Path(sys.argv[1])))
