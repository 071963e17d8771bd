"""`record()` against a sandbox playing the live Halo: read-only, paged, rate-limited, resumable,
anonymised, and loadable as the sandbox's default tenant with the same records."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

from halo_sandbox.mock.config import MockSettings
from halo_sandbox.mock.exceptions import ValidationError
from halo_sandbox.mock.http.routes import halo_list
from halo_sandbox.mock.tenants import TenantRegistry
from halo_sandbox.recording.record_errors import BudgetExhausted, RecordingError, ResumeMismatch
from halo_sandbox.recording.recorder import RecordOptions, generic_named, record, resources_named
from tests.recording._helpers import Live

pytestmark = pytest.mark.anyio

KEY = b"k" * 32


async def _record(live: Live, out: Path, **options: Any) -> Any:
    client_options = {k: options.pop(k) for k in ("max_requests", "sleep", "rate") if k in options}
    async with live.client(**client_options) as halo:
        return await record(halo, RecordOptions(out=out, anonymise_key=KEY, **options))


async def test_it_sends_only_the_token_request_and_gets_and_pages_with_halos_paging(
    live: Live, tmp_path: Path
) -> None:
    await _record(live, tmp_path / "t.json", max_records=150, action_tickets=5)
    journal = await live.journal()
    api = [e for e in journal if not e["path"].startswith("/_sandbox")]
    assert {(e["method"], e["path"]) for e in api if e["method"] != "GET"} == {("POST", "/auth/token")}
    ticket_pages = [e["query"] for e in api if e["path"].lower() == "/api/tickets"]
    assert ticket_pages == [
        "pageinate=true&page_size=100&page_no=1",
        "pageinate=true&page_size=100&page_no=2",
    ]


async def test_the_snapshot_serves_the_same_records_with_the_same_ids(live: Live, tmp_path: Path) -> None:
    out = tmp_path / "tenant.snapshot.json"
    summary = await _record(live, out, action_tickets=3)
    served = TenantRegistry(MockSettings(snapshot=out)).get().store
    for resource in ("tickets", "clients", "users", "statuses", "ticket_types", "assets", "invoices"):
        want = {r["id"] for r in live.rows(resource)}
        got = {r["id"] for r in _rows(halo_list(served, resource, {"count": "100000"}))}
        assert got == want, resource
    some = live.rows("tickets")[0]
    recorded = served.get(resource="tickets", id=some["id"])
    for name in ("status_id", "client_id", "tickettype_id", "priority_id", "dateoccurred"):
        assert recorded[name] == some[name]
    assert recorded["summary"] != some["summary"]  # anonymised text
    assert summary.records["tickets"] == len(live.rows("tickets"))


def _rows(answer: Any) -> list[dict[str, Any]]:
    return list(
        answer if isinstance(answer, list) else next(v for v in answer.values() if isinstance(v, list))
    )


async def test_no_original_name_email_or_phone_is_left_and_the_fakes_are_deterministic(
    live: Live, tmp_path: Path
) -> None:
    await _record(live, tmp_path / "a.json", action_tickets=20)
    await _record(live, tmp_path / "b.json", action_tickets=20)
    text = (tmp_path / "a.json").read_text(encoding="utf-8")
    originals: set[str] = set()
    for resource, fields in {
        "users": ("name", "emailaddress", "phonenumber"),
        "clients": ("name",),
        "agents": ("name", "email"),
        "sites": ("name", "phonenumber"),
    }.items():
        for row in live.rows(resource):
            originals |= {str(row[f]) for f in fields if isinstance(row.get(f), str) and len(row[f]) > 3}
    assert originals
    leaked = sorted(o for o in originals if json.dumps(o)[1:-1] in text)
    assert leaked == []
    emails = set(re.findall(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", text))
    assert emails and all(e.endswith("@example.com") for e in emails)
    a, b = (json.loads((tmp_path / n).read_text())["store"] for n in ("a.json", "b.json"))
    assert a == b  # same tenant, same key: the same fakes


async def test_429_with_retry_after_is_waited_out_and_retried(make_live: Any, tmp_path: Path) -> None:
    live = make_live(rate_limit=None)
    from halo_sandbox.mock.config import RateLimit

    live.tenant.limiter.configure(RateLimit(limit=10, window_seconds=60))
    waits: list[float] = []

    async def sleep(seconds: float) -> None:  # the live tenant's clock moves instead of the test waiting
        waits.append(seconds)
        live.tenant.clock.advance(seconds + 1)

    summary = await _record(
        live,
        tmp_path / "t.json",
        sleep=sleep,
        resources=resources_named(["statuses", "clients", "tickets"]),
        action_tickets=15,
    )
    journal = await live.journal()
    assert any(e["status"] == 429 for e in journal)
    assert waits and all(0 < w <= 60 for w in waits)
    assert summary.records["actions"] > 0


async def test_the_budget_stops_a_recording_that_resume_finishes_identically(
    live: Live, tmp_path: Path
) -> None:
    out = tmp_path / "t.json"
    with pytest.raises(BudgetExhausted):
        await _record(live, out, max_requests=12, action_tickets=10)
    assert not out.exists() and Path(f"{out}.partial").exists()
    with pytest.raises(ResumeMismatch, match="--resume"):
        await _record(live, out, action_tickets=10)
    sent_before = len(await live.journal())
    await _record(live, out, action_tickets=10, resume=True)
    resumed_requests = len(await live.journal()) - sent_before
    assert not Path(f"{out}.partial").exists()
    await _record(live, tmp_path / "whole.json", action_tickets=10)
    whole_requests = len(await live.journal()) - sent_before - resumed_requests
    assert json.loads(out.read_text())["store"] == json.loads((tmp_path / "whole.json").read_text())["store"]
    assert resumed_requests < whole_requests  # the pages already recorded were not asked again


async def test_no_anonymise_keeps_the_text(live: Live, tmp_path: Path) -> None:
    out = tmp_path / "t.json"
    await _record(live, out, anonymise=False, resources=resources_named(["clients"]))
    names = {c["name"] for c in json.loads(out.read_text())["store"]["tables"]["clients"]}
    assert names == {c["name"] for c in live.rows("clients")}


async def test_a_plugin_test_runs_against_the_recorded_tenant(live: Live, tmp_path: Path) -> None:
    from halo_sandbox.testing import mock_halo

    out = tmp_path / "t.json"
    await _record(live, out, action_tickets=0)
    ticket = live.rows("tickets")[0]
    async with mock_halo(snapshot=out) as halo:
        async with httpx.AsyncClient(base_url=halo.url) as http:
            token = (
                await http.post(
                    "/auth/token",
                    data={
                        "grant_type": "client_credentials",
                        "client_id": halo.client_id,
                        "client_secret": halo.client_secret,
                    },
                )
            ).json()["access_token"]
            got = await http.get(f"/api/Tickets/{ticket['id']}", headers={"Authorization": f"Bearer {token}"})
    assert got.status_code == 200
    assert got.json()["client_id"] == ticket["client_id"]


async def test_the_live_tenants_custom_fields_are_the_ones_the_served_tenant_validates(
    live: Live, tmp_path: Path
) -> None:
    snapshot = live.registry.snapshot()
    snapshot["store"]["custom_fields"] = {
        "tickets": [{"id": 900, "name": "CFRegion", "label": "Region", "type": 0}]
    }
    live.registry.restore(None, snapshot)  # the live tenant defines its own ticket custom fields
    out = tmp_path / "t.json"
    await _record(live, out, resources=resources_named(["statuses", "clients", "tickets"]), action_tickets=0)
    served = TenantRegistry(MockSettings(snapshot=out)).get().store
    made = served.post(
        resource="tickets",
        body=[{"summary": "Region test", "customfields": [{"name": "CFRegion", "value": "EMEA"}]}],
    )
    ticket = served.get(resource="tickets", id=_rows(made)[0]["id"] if isinstance(made, list) else made["id"])
    assert [(f["name"], f["value"]) for f in ticket["customfields"]] == [("CFRegion", "EMEA")]
    with pytest.raises(
        ValidationError, match="CFCostCentre"
    ):  # the sandbox's seeded definition is not this tenant's
        served.post(
            resource="tickets",
            body=[{"summary": "x", "customfields": [{"name": "CFCostCentre", "value": "1"}]}],
        )


async def test_a_generic_resource_is_recorded_when_named(live: Live, tmp_path: Path) -> None:
    async with httpx.AsyncClient(transport=live.transport, base_url="http://live-halo.test") as http:
        form = {
            "grant_type": "client_credentials",
            "client_id": "halo-sandbox",
            "client_secret": "halo-sandbox-secret",
        }
        token = (await http.post("/auth/token", data=form)).json()["access_token"]
        made = await http.post(
            "/api/Supplier",
            json=[{"name": "Wayne Supplies Ltd"}, {"name": "Kord Industries"}],
            headers={"Authorization": f"Bearer {token}"},
        )
        assert made.status_code in (200, 201), made.text
    out = tmp_path / "t.json"
    summary = await _record(
        live, out, resources=resources_named(["statuses"]), generic=generic_named(["Supplier"])
    )
    assert summary.records["Supplier"] == 2
    served = TenantRegistry(MockSettings(snapshot=out)).get()
    rows = served.generic.snapshot()["/Supplier"]["rows"]
    assert len(rows) == 2
    assert not {"Wayne Supplies Ltd", "Kord Industries"} & {r.get("name") for r in rows}
    with pytest.raises(RecordingError, match="unknown resource"):
        generic_named(["NoSuchThing"])


@pytest.mark.parametrize("anonymise", [True, False])
async def test_attachments_come_with_their_tickets(live: Live, tmp_path: Path, anonymise: bool) -> None:
    from halo_sandbox.recording.recorder import PLACEHOLDER

    originals = live.registry.snapshot()["store"]["tables"]["attachments"]
    assert originals
    out = tmp_path / "t.json"
    await _record(live, out, anonymise=anonymise, action_tickets=None)
    served = TenantRegistry(MockSettings(snapshot=out)).get().store
    for original in originals:
        content, filename, _ = served.attachment_content(resource="attachments", id=original["id"])
        want, _, _ = live.tenant.store.attachment_content(resource="attachments", id=original["id"])
        if anonymise:
            assert content == PLACEHOLDER
            assert filename != original["filename"]
            assert filename.rsplit(".", 1)[-1] == original["filename"].rsplit(".", 1)[-1]
        else:
            assert (content, filename) == (want, original["filename"])
