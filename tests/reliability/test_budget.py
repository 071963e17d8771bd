"""The memory budget of a real `halo-sandbox up` (README "Memory budget"): record quotas per tenant,
the cap on tenants created with the public default credentials, the process-wide `--memory-budget`.
Memory is the process's resident set (``/proc/<pid>/status``), time the worst wait of another client.

The documented figures the tests hold the sandbox to (tests/reliability/README.md): 50,000 records
added per tenant (`max_records`), 32 tenants created with credentials (`max_public_tenants`), over the
budget 503 with ``Retry-After``."""

from __future__ import annotations

import sys
from pathlib import Path

import httpx
import pytest

from tests._sandbox import ADMIN_KEY, CLIENT_ID, CLIENT_SECRET, Sandbox, start_sandbox, stop_sandbox
from tests.reliability._abuse import other_client, rss_mib, token

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/<pid>/status")

QUOTA = 50_000
"""Records the API may add to one tenant (README)."""
BATCH = 1_000
"""Records per POST: the most a request may carry (`max_batch_records`, README)."""
PUBLIC_TENANTS = 32
"""Tenants the default credentials may create (README)."""
ADMIN = {"X-Admin-Key": ADMIN_KEY}


def _bearer(base: str, tenant: str | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(base, tenant=tenant)}"}


def test_records_stop_at_the_tenant_quota_generic_and_modelled_alike(up: Sandbox) -> None:
    up.admin("PUT", "/ratelimit", json={"enabled": False})
    auth = _bearer(up.base)
    before = rss_mib(up.proc.pid)
    refused = None
    with (
        httpx.Client(base_url=up.base, headers=auth, timeout=120) as client,
        other_client(lambda c: c.get(f"{up.base}/api/Tickets", params={"count": 1}, headers=auth)) as waits,
    ):
        for _ in range(QUOTA // BATCH + 5):
            answer = client.post("/api/Supplier", json=[{"name": "s"} for _ in range(BATCH)])
            if answer.status_code != 200:
                refused = answer
                break
    grown = rss_mib(up.proc.pid) - before
    assert refused is not None, "no quota: more than 50,000 generic records were taken"
    assert refused.status_code == 403, refused.text
    assert "max_records" in refused.json()["message"] and "50,000" in refused.json()["message"]
    stored = client_count = httpx.get(
        f"{up.base}/api/Supplier", params={"pageinate": "true", "page_size": 1}, headers=auth
    ).json()["record_count"]
    assert stored == QUOTA  # the refused batch stored nothing
    # the modelled resources share the quota
    ticket = httpx.post(
        f"{up.base}/api/Tickets", json={"summary": "one more", "client_id": 104}, headers=auth
    )
    assert ticket.status_code == 403 and "max_records" in ticket.text
    # deleting makes room again (the quota counts what is held, net of deletes)
    assert httpx.delete(f"{up.base}/api/Supplier/1", headers=auth).status_code == 200
    ticket = httpx.post(
        f"{up.base}/api/Tickets", json={"summary": "one more", "client_id": 104}, headers=auth
    )
    assert ticket.status_code == 200, ticket.text
    print(
        f"\nfigures: quota: RSS +{grown:.0f} MiB for {client_count:,} records, worst wait {waits.worst:.2f} s"
    )
    assert grown < 400, f"RSS grew {grown:.0f} MiB for {client_count:,} records"
    assert set(waits.statuses) == {200} and not waits.errors
    assert waits.worst < 5, f"another client waited {waits.worst:.2f} s"


def test_tenants_of_the_public_credentials_never_block_the_admin(up: Sandbox) -> None:
    before = rss_mib(up.proc.pid)
    statuses = []
    last = None
    with httpx.Client(base_url=up.base, timeout=60) as client:
        for i in range(PUBLIC_TENANTS + 40):
            answer = client.post(
                "/auth/token",
                data={
                    "grant_type": "client_credentials",
                    "client_id": CLIENT_ID,
                    "client_secret": CLIENT_SECRET,
                    "tenant": f"flood{i}",
                },
            )
            statuses.append(answer.status_code)
            if answer.status_code != 200:
                last = answer
    assert statuses.count(200) == PUBLIC_TENANTS, statuses
    assert (
        last is not None
        and last.status_code == 400
        and "max_public_tenants" in last.json()["error_description"]
    )
    grown = rss_mib(up.proc.pid) - before
    print(f"\nfigures: public tenants: RSS +{grown:.0f} MiB for {PUBLIC_TENANTS} tenants")
    created = httpx.post(f"{up.base}/_sandbox/tenants", json={"name": "admins-own"}, headers=ADMIN)
    assert created.status_code == 201, created.text
    assert "admins-own" in created.json()["tenants"]
    assert grown < 300, f"RSS grew {grown:.0f} MiB for {PUBLIC_TENANTS} tenants"


def test_over_the_memory_budget_new_work_is_refused_with_503(tmp_path: Path) -> None:
    budget = 320
    up = start_sandbox(tmp_path / "state", "--memory-budget", f"{budget}M")
    try:
        up.admin("PUT", "/ratelimit", json={"enabled": False})
        refused = None
        peak = 0.0
        headers: dict[str, str] = {}
        for n in range(40):
            tenant = f"big{n}"
            created = httpx.post(f"{up.base}/_sandbox/tenants", json={"name": tenant}, headers=ADMIN)
            peak = max(peak, rss_mib(up.proc.pid))
            if created.status_code != 201:
                refused = created
                break
            headers = {**_bearer(up.base, tenant), "X-Sandbox-Tenant": tenant}
            httpx.put(
                f"{up.base}/_sandbox/ratelimit",
                json={"enabled": False},
                headers={**ADMIN, "X-Sandbox-Tenant": tenant},
            ).raise_for_status()
            for _ in range(QUOTA // BATCH - 1):
                answer = httpx.post(
                    f"{up.base}/api/Supplier",
                    json=[{"name": f"{n}-{i}-" + "x" * 4_000} for i in range(BATCH)],
                    headers=headers,
                    timeout=120,
                )
                peak = max(peak, rss_mib(up.proc.pid))
                if answer.status_code != 200:
                    refused = answer
                    break
            if refused is not None:
                break
        assert refused is not None, f"nothing refused; RSS {peak:.0f} MiB"
        print(f"\nfigures: budget {budget} MiB: refused at RSS peak {peak:.0f} MiB")
        assert refused.status_code == 503, refused.text
        assert int(refused.headers["Retry-After"]) > 0
        assert "--memory-budget" in refused.json()["message"]
        assert peak < budget + 100, f"RSS reached {peak:.0f} MiB with a {budget} MiB budget"
        # writes and new tenants are refused alike; reads go on; the process is alive
        more = httpx.post(f"{up.base}/_sandbox/tenants", json={"name": "one-more"}, headers=ADMIN)
        assert more.status_code == 503 and "Retry-After" in more.headers
        write = httpx.post(f"{up.base}/api/Supplier", json={"name": "one more"}, headers=headers)
        assert write.status_code == 503 and "Retry-After" in write.headers
        listing = httpx.get(f"{up.base}/api/Supplier", params={"count": 5}, headers={**headers}, timeout=30)
        assert listing.status_code == 200
        assert up.proc.poll() is None
    finally:
        stop_sandbox(up)


def test_a_tenant_with_its_own_credentials_is_isolated_by_secret(sandbox: Sandbox) -> None:
    """`PUT /_sandbox/credentials` (README): only the tenant's own secret gets its tokens from then on;
    tokens of the default credentials stop working there; other tenants keep the default ones."""
    base, tenant = sandbox.base, "own-secret"
    default_token = token(base, tenant=tenant)  # the public credentials create it
    own = {"client_id": "team-a", "client_secret": "a-long-secret-of-team-a"}
    try:
        changed = httpx.put(
            f"{base}/_sandbox/credentials", json=own, headers={**ADMIN, "X-Sandbox-Tenant": tenant}
        )
        assert changed.status_code == 200, changed.text
        assert changed.json()["own_credentials"] is True and own["client_secret"] not in changed.text
        stale = httpx.get(
            f"{base}/api/Tickets",
            headers={"Authorization": f"Bearer {default_token}", "X-Sandbox-Tenant": tenant},
        )
        assert stale.status_code == 401
        refused = httpx.post(
            f"{base}/auth/token",
            data={"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
            | {"tenant": tenant},
        )
        assert refused.status_code == 401 and refused.json()["error"] == "invalid_client"
        issued = httpx.post(
            f"{base}/auth/token", data={"grant_type": "client_credentials", "tenant": tenant, **own}
        )
        assert issued.status_code == 200, issued.text
        tickets = httpx.get(
            f"{base}/api/Tickets", headers={"Authorization": f"Bearer {issued.json()['access_token']}"}
        )
        assert tickets.status_code == 200
        read = httpx.get(f"{base}/_sandbox/credentials", headers={**ADMIN, "X-Sandbox-Tenant": tenant})
        assert read.json() == {"tenant": tenant, "client_id": "team-a", "own_credentials": True}
        assert token(base)  # the default tenant still takes the default credentials
        weak = httpx.put(
            f"{base}/_sandbox/credentials",
            json={"client_id": "x", "client_secret": "short"},
            headers={**ADMIN, "X-Sandbox-Tenant": tenant},
        )
        assert weak.status_code == 400 and "client_secret" in weak.text
    finally:
        httpx.delete(f"{base}/_sandbox/tenants/{tenant}", headers=ADMIN)
