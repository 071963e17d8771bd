"""Testing `halo_triage` with the halo_mock fixture (installed with halo-mcp-sandbox as a pytest
plugin): no Halo tenant, no server, no network. Run: pytest examples/"""

from __future__ import annotations

import pytest
from halo_triage import Halo, HaloUnavailable, triage_oldest_open_ticket

WAYNE = 104  # a seeded client with open tickets


@pytest.fixture
def halo(halo_mock):
    return Halo(halo_mock.url, halo_mock.client_id, halo_mock.client_secret, sleep=lambda seconds: None)


def test_adds_the_note_to_the_oldest_open_ticket(halo, halo_mock):
    ticket = triage_oldest_open_ticket(halo, WAYNE, "Looking into it")

    open_ids = [t["id"] for t in halo_mock.rows("tickets", client_id=WAYNE, open_only=True, count=1000)]
    assert ticket == min(open_ids)
    notes = halo_mock.rows("actions", ticket_id=ticket)
    assert notes[-1]["note"] == "Looking into it"
    halo_mock.assert_called_once("POST", "/auth/token")
    halo_mock.assert_called_once("POST", "/api/actions")


def test_retries_a_rate_limit_once(halo, halo_mock):
    halo_mock.faults.add(
        method="GET",
        path="/api/tickets",
        status=429,
        times=1,
        headers={"Retry-After": "0"},
        body="Rate Limit Reached",
    )

    assert triage_oldest_open_ticket(halo, WAYNE, "note") is not None
    assert [r.status for r in halo_mock.requests("GET", "/api/tickets")] == [429, 200]


def test_a_persistent_outage_is_reported_not_retried_forever(halo, halo_mock):
    halo_mock.faults.add(path="/api/tickets", status=503, body={"message": "Service Unavailable"})

    with pytest.raises(HaloUnavailable, match="503"):
        triage_oldest_open_ticket(halo, WAYNE, "note")
    halo_mock.assert_called("GET", "/api/tickets", times=1)
    halo_mock.assert_not_called("POST", "/api/actions")


def test_an_expired_token_costs_one_login(halo, halo_mock):
    triage_oldest_open_ticket(halo, WAYNE, "first")
    halo_mock.clock.advance(2 * 3600)  # the access token (one hour) has expired

    triage_oldest_open_ticket(halo, WAYNE, "second")
    assert [r.status for r in halo_mock.requests("POST", "/auth/token")] == [200, 200]
    assert [r.status for r in halo_mock.requests("GET", "/api/tickets")] == [200, 401, 200]


def test_a_client_with_nothing_open_is_left_alone(halo, halo_mock):
    client = halo_mock.store.post(resource="clients", body=[{"name": "Quiet Ltd"}])["id"]

    assert triage_oldest_open_ticket(halo, client, "note") is None
    halo_mock.assert_not_called("POST", "/api/actions")
