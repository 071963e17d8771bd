"""The mock against Halo's *official* OpenAPI document (normalised from the vendored facts,
`halo_sandbox.mock.domain.facts.official_document`), with schemathesis.

Requests valid by Halo's own document must never meet: a 5xx, a 405, a 404 saying the path is not
Halo's, or a 400 whose reason FIDELITY.md does not source (`SOURCED_REFUSALS`). A CI-sized run: every
operation of the table's resources and of the named paths, every operation whose body is not records
(ids, a string, a multipart form), and a deterministic sample of the generic ones, one example each.

The long run (not in CI): `OFFICIAL_WHOLE=1` takes every operation of the document,
`OFFICIAL_SHARD=i/n` keeps every n-th path from the i-th (to split it over processes),
`OFFICIAL_EXAMPLES=n` generates n examples per operation, `OFFICIAL_STRICT=1` runs against a strict
mock (which may refuse, saying why: the check then only tallies), and `OFFICIAL_TALLY=<file>` writes
the answers counted by status and by reason as JSON (the figures FIDELITY.md states).
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import settings

from contracts._shared import MOCK_APP, token_headers
from halo_sandbox.mock.config import MockSettings
from halo_sandbox.mock.domain import facts
from halo_sandbox.mock.domain.resources import RESOURCES, SPECIAL_PATHS
from halo_sandbox.mock.http.app import create_app

SOURCED_REFUSALS = re.compile(
    "|".join(
        (
            # Projects/Opportunities views hold tickets of their domain's type: FIDELITY "Filters"
            # (halo-api.md §7.16)
            r"is not a \w+ ticket type",
            # an attachment's bytes: FIDELITY "Attachments" (S3; the documented form part `file`)
            r"base64|file content is required",
            # actions are numbered per ticket: FIDELITY "Actions" (halo-api.md §3.2)
            r"numbered per ticket|cannot move to another ticket|is required to update an action",
            # past .NET's DateTime (year 9999, also after an offset): FIDELITY "Integrity and errors"
            r"Could not convert string to DateTime",
        )
    )
)
"""Why a request valid by Halo's document may be refused in default mode, each with its source. The
mock's own checks (unknown references, fields it requires, referenced deletes, empty bodies, dates
before 1753) are no longer among them: outside strict mode they accept and report
(`FieldErrors.choice`)."""


WHOLE = os.environ.get("OFFICIAL_WHOLE") == "1"
EXAMPLES = int(os.environ.get("OFFICIAL_EXAMPLES", "1"))
STRICT = os.environ.get("OFFICIAL_STRICT") == "1"
TALLY = os.environ.get("OFFICIAL_TALLY")
TALLIED: Counter[str] = Counter()
"""Answers of the run by status, and 4xx by reason (numbers and quoted values masked)."""


def _sample() -> list[str]:
    if WHOLE:
        index, count = (int(n) for n in os.environ.get("OFFICIAL_SHARD", "0/1").split("/"))
        return list(facts.facts()["paths"])[index::count]
    table = {f"/{spec.path}".lower() for spec in RESOURCES}
    special = {template for _method, template in SPECIAL_PATHS}
    chosen = []
    for n, (template, ops) in enumerate(facts.facts()["paths"].items()):
        collection = template.lower().removesuffix("/{id}")
        # and every operation whose body is not records (ids, a string, a form)
        values = any("form" in op or _values_body(op.get("body")) for op in ops.values())
        if collection in table or template in special or values or n % 60 == 0:
            chosen.append(template)
    return chosen


def _values_body(body: str | None) -> bool:
    return bool(body) and body.removesuffix("[]") in ("int32", "int64", "uuid", "string")


schema = schemathesis.openapi.from_dict(facts.official_document(templates=_sample(), depth=0))
# the long run adds more records to its tenant than the sandbox's quota (`max_records`, its own limit,
# not Halo's) lets one tenant hold: it is lifted there, so that only Halo's answers are counted
schema.app = (
    create_app(MockSettings(rate_limit=None, strict=STRICT, max_records=10_000_000))
    if WHOLE or STRICT
    else MOCK_APP
)
schema.config.generation.update(
    modes=["positive"],
    deterministic=True,
    database="none",
    no_shrink=True,
    allow_x00=False,
    with_security_parameters=False,
)


def _reasons(status: int, text: str) -> list[str]:
    try:
        body = json.loads(text)
    except ValueError:
        return [text[:120]]
    if isinstance(body, dict) and status == 400:
        messages = [f"{field}: {m}" for field, ms in body.items() for m in ms]
    else:
        messages = [str(body.get("message", body) if isinstance(body, dict) else body)]
    return [re.sub(r"\[\d+\]|'[^']*'|[0-9a-f-]{36}|\d+", "#", m)[:160] for m in messages]


@pytest.fixture(scope="module", autouse=True)
def _tally():
    yield
    if TALLY:
        with open(TALLY, "w", encoding="utf-8") as out:
            json.dump(dict(TALLIED.most_common()), out, indent=1)


@schemathesis.check
def refused_only_for_sourced_reasons(ctx, response, case) -> None:
    status, text = response.status_code, response.text
    TALLIED[f"status {status}"] += 1
    if 400 <= status < 500:
        TALLIED.update(f"{status} {reason}" for reason in set(_reasons(status, text)))
    if STRICT and status < 500:
        return
    assert status < 500 and status != 405 and not (status == 404 and "documented API" in text), (
        f"valid request refused with {status}: {text[:300]}"
    )
    if status == 400:
        body = response.json()
        messages = [m for ms in body.values() for m in ms] if isinstance(body, dict) else [text]
        unsourced = [str(m) for m in messages if not SOURCED_REFUSALS.search(str(m))]
        assert not unsourced, (
            f"valid request refused with 400 for a reason FIDELITY.md does not source: {unsourced}"
        )


@pytest.fixture(scope="module")
def headers(api_headers, tenant):
    return api_headers if schema.app is MOCK_APP else token_headers(schema.app, tenant)


@pytest.fixture
def fresh(headers):
    """The long run resets its tenant before each operation: a tenant grown by every operation before
    it (100,000s of records) slowed each list scan until the run could not end."""
    if WHOLE:
        with TestClient(schema.app) as client:
            client.post("/_sandbox/reset", headers=headers).raise_for_status()


@schema.parametrize()
@settings(max_examples=EXAMPLES)
def test_valid_requests_are_not_refused_without_a_source(case, headers, fresh):
    case.call_and_validate(headers=headers, checks=[refused_only_for_sourced_reasons])
