"""Provider contract: the mock against its own OpenAPI document (`mock_halo.openapi`), with schemathesis.

Every operation with positive and negative data: no 5xx, responses conform to their schemas, status
codes are documented, bad input is a 4xx with a Halo-style body. The stateful test follows the
document's links (save ticket -> get it -> save action on it -> list its actions -> delete).
"""

from __future__ import annotations

import schemathesis
from hypothesis import settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from contracts.conftest import MOCK_APP

CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance, negative_data_rejection]

schema = schemathesis.openapi.from_asgi("/_sandbox/openapi.json", MOCK_APP)
schema.config.generation.update(modes=["positive", "negative"], deterministic=True, database="none")


@schema.parametrize()
@settings(max_examples=15)
def test_every_operation_keeps_its_contract(case, api_headers):
    case.call_and_validate(headers=api_headers, checks=CHECKS)
