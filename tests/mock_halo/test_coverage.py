"""`mock_halo.http.coverage`: the share of Halo's documented list parameters the mock acts on, measured
through its own answers (FIDELITY.md, "Parameters by rule", states the figures this guards)."""

from __future__ import annotations

import pytest

from halo_sandbox.mock.domain import facts
from halo_sandbox.mock.http.coverage import TEN, measure

pytestmark = pytest.mark.anyio

TEN_ACTED_AT_LEAST = 479
"""FIDELITY.md's figure for the ten resources' list operations (of 587 documented parameters)."""


async def test_the_ten_resources_parameters_are_measured_and_acted_on() -> None:
    coverage = await measure(TEN)
    documented = {(t, name) for t in TEN for name in facts.facts()["paths"][t]["get"]["query"]}
    assert set(coverage.results) == documented  # every documented parameter was asked about
    acted, total = coverage.share(TEN)
    assert total == len(documented) == 587
    assert acted >= TEN_ACTED_AT_LEAST, coverage.not_acted("/Tickets")
    # Halo's generic list parameters act everywhere the document lists them
    for template in TEN:
        for name in ("pageinate", "page_size", "page_no", "count", "order2", "orderdesc2"):
            if (template, name) in coverage.results:
                assert coverage.results[template, name], (template, name)
