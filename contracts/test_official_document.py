"""The mock against Halo's *official* OpenAPI document (normalised from the vendored facts,
`halo_sandbox.mock.domain.facts.official_document`), with schemathesis.

Requests valid by Halo's own document must never meet: a 5xx, a 405, a 404 saying the path is not
Halo's, or a 400 whose reason FIDELITY.md does not source (`SOURCED_REFUSALS`). A CI-sized run: every
operation of the table's resources and of the named paths, every operation whose body is not records
(ids, a string, a multipart form), and a deterministic sample of the generic ones, a few examples each.
"""

from __future__ import annotations

import re

import schemathesis
from hypothesis import settings

from contracts._shared import MOCK_APP
from halo_sandbox.mock.domain import facts
from halo_sandbox.mock.domain.resources import RESOURCES, SPECIAL_PATHS

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


def _sample() -> list[str]:
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
schema.app = MOCK_APP
schema.config.generation.update(
    modes=["positive"],
    deterministic=True,
    database="none",
    no_shrink=True,
    allow_x00=False,
    with_security_parameters=False,
)


@schemathesis.check
def refused_only_for_sourced_reasons(ctx, response, case) -> None:
    status, text = response.status_code, response.text
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


@schema.parametrize()
@settings(max_examples=1)
def test_valid_requests_are_not_refused_without_a_source(case, api_headers):
    case.call_and_validate(headers=api_headers, checks=[refused_only_for_sourced_reasons])
