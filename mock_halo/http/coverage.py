"""How many of the query parameters Halo's official document lists the mock acts on, measured from
the vendored facts through the mock's own answers.

    python -m halo_sandbox.mock.http.coverage

For every documented ``GET`` operation (the official document as vendored, `facts`) and each of its
query parameters, one request to an in-process mock with that parameter alone, set to a valid value
of its documented type: a parameter the mock does not act on is reported in ``X-Sandbox-Ignored``
(``documented, but the mock does not act on it``); every other one is acted on. Printed: the share for
the list operations of the ten resources of issue 23 (tickets, actions, clients, sites, users, agents,
assets, invoices, quotes, KB articles) and over the whole document. FIDELITY.md states the figures.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass

import httpx

from halo_sandbox.mock.config import MockSettings
from halo_sandbox.mock.domain import facts
from halo_sandbox.mock.http.app import create_app

TEN = (
    "/Tickets",
    "/Actions",
    "/Client",
    "/Site",
    "/Users",
    "/Agent",
    "/Asset",
    "/Invoice",
    "/Quotation",
    "/KBArticle",
)
"""The list operations issue 23 measures."""

_VALUES = {"boolean": "true", "int32": "1", "int64": "1", "double": "1", "float": "1", "uuid": ""}
_DATE = "2024-01-01T00:00:00"
_NOT_ACTED = "documented, but the mock does not act on it"
_BASE = "http://coverage.test"


@dataclass(frozen=True)
class Coverage:
    """Per operation and parameter: acted on (True) or reported as not acted on (False)."""

    results: dict[tuple[str, str], bool]

    def share(self, templates: tuple[str, ...] | None = None) -> tuple[int, int]:
        """(acted on, documented) over ``templates`` (``None``: every GET operation)."""
        chosen = [
            acted
            for (template, _p), acted in self.results.items()
            if templates is None or template in templates
        ]
        return sum(chosen), len(chosen)

    def not_acted(self, template: str) -> list[str]:
        return sorted(p for (t, p), acted in self.results.items() if t == template and not acted)


def value_for(kind: str) -> str:
    """A valid value of a documented parameter type."""
    if kind == "date-time":
        return _DATE
    if kind == "uuid":
        return "00000000-0000-0000-0000-000000000001"
    return _VALUES.get(kind, "1")


def _path(template: str, kinds: dict[str, str]) -> str:
    def fill(found: re.Match[str]) -> str:
        return "1" if kinds.get(found.group(1), "int32") in ("int32", "int64") else "x1"

    return "/api" + re.sub(r"\{([^}]+)\}", fill, template)


async def measure(templates: tuple[str, ...] | None = None) -> Coverage:
    """Ask the mock about every query parameter of the documented GET operations (``templates``:
    only those)."""
    app = create_app(MockSettings(rate_limit=None))
    results: dict[tuple[str, str], bool] = {}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=_BASE) as client:
        token = await client.post(
            "/auth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": "halo-sandbox",
                "client_secret": "halo-sandbox-secret",
            },
        )
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        for template, ops in facts.facts()["paths"].items():
            op = ops.get("get")
            if op is None or (templates is not None and template not in templates):
                continue
            path = _path(template, op.get("path", {}))
            for name, kind in op.get("query", {}).items():
                answer = await client.get(path, params={name: value_for(kind)}, headers=headers)
                noted = answer.headers.get("X-Sandbox-Ignored", "")
                results[(template, name)] = f"query {name}: {_NOT_ACTED}" not in noted
    return Coverage(results)


def main() -> None:
    coverage = asyncio.run(measure())
    acted, total = coverage.share(TEN)
    print(f"ten resources' list operations: {acted} of {total} acted on ({acted / total:.0%})")
    for template in TEN:
        print(f"  {template}: not acted on: {', '.join(coverage.not_acted(template))}")
    acted, total = coverage.share()
    print(f"whole document (GET operations): {acted} of {total} acted on ({acted / total:.0%})")


if __name__ == "__main__":
    main()
