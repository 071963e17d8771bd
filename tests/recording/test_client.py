"""`ReadOnlyHalo`: paces under the rolling window it is given, retries 429 and 5xx with backoff,
counts its budget. The live side is httpx's MockTransport answering like Halo would."""

from __future__ import annotations

import httpx
import pytest

from halo_sandbox.recording.client import Credentials, ReadOnlyHalo
from halo_sandbox.recording.record_errors import BudgetExhausted, HaloRefused

pytestmark = pytest.mark.anyio

CREDS = Credentials(halo_url="https://acme.haloitsm.com", client_id="id", client_secret="secret")


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    def monotonic(self) -> float:
        return self.now


def _halo(statuses: list[int], headers: dict[str, str] | None = None) -> httpx.MockTransport:
    answers = iter(statuses)

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/auth/token":
            return httpx.Response(200, json={"access_token": "t", "expires_in": 3600})
        status = next(answers, 200)
        return httpx.Response(
            status, json={"record_count": 0, "tickets": []}, headers=headers if status == 429 else None
        )

    return httpx.MockTransport(handle)


async def test_it_keeps_under_the_rolling_window() -> None:
    clock = Clock()
    async with ReadOnlyHalo(
        CREDS, rate=(3, 10.0), transport=_halo([]), sleep=clock.sleep, monotonic=clock.monotonic
    ) as halo:
        for _ in range(5):  # the token request, then 5 GETs: the 3rd GET waits until the first 3 age out
            await halo.get("/Tickets")
    assert clock.slept == [10.0]
    assert halo.requests_sent == 6


@pytest.mark.parametrize(("headers", "first_wait"), [({"Retry-After": "7"}, 7.0), ({}, 5.0)])
async def test_429_waits_retry_after_or_backs_off(headers: dict[str, str], first_wait: float) -> None:
    clock = Clock()
    async with ReadOnlyHalo(
        CREDS,
        rate=None,
        transport=_halo([429, 429, 200], headers),
        sleep=clock.sleep,
        monotonic=clock.monotonic,
    ) as halo:
        answer = await halo.get("/Tickets")
    assert answer.status_code == 200
    assert clock.slept == [first_wait, first_wait if headers else 10.0]


async def test_retries_are_capped_and_the_budget_is_counted() -> None:
    clock = Clock()
    async with ReadOnlyHalo(
        CREDS,
        rate=None,
        max_retries=2,
        transport=_halo([503] * 10),
        sleep=clock.sleep,
        monotonic=clock.monotonic,
    ) as halo:
        with pytest.raises(HaloRefused, match="503"):
            await halo.get_json("/Tickets")
    assert halo.requests_sent == 1 + 3
    async with ReadOnlyHalo(CREDS, rate=None, max_requests=2, transport=_halo([])) as halo:
        await halo.get("/Tickets")
        with pytest.raises(BudgetExhausted):
            await halo.get("/Tickets")
