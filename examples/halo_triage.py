"""A small piece of agent code that calls Halo with httpx: list a client's open tickets and add a
triage note to the oldest one. It logs in with the OAuth client-credentials grant, keeps its token
until Halo refuses it (then logs in once more), and retries a 429 once after Halo's Retry-After."""

from __future__ import annotations

import time

import httpx


class HaloUnavailable(Exception):
    """Halo answered an error the code does not handle."""


class Halo:
    def __init__(self, base_url: str, client_id: str, client_secret: str, *, sleep=time.sleep) -> None:
        self.http = httpx.Client(base_url=base_url, timeout=10)
        self.credentials = {
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": client_secret,
            "scope": "all",
        }
        self.token: str | None = None
        self.sleep = sleep

    def _login(self) -> None:
        response = self.http.post("/auth/token", data=self.credentials)
        response.raise_for_status()
        self.token = response.json()["access_token"]

    def request(self, method: str, path: str, **kwargs) -> httpx.Response:
        if self.token is None:
            self._login()
        for attempt in range(2):
            response = self.http.request(
                method, path, headers={"Authorization": f"Bearer {self.token}"}, **kwargs
            )
            if response.status_code == 401 and attempt == 0:
                self._login()
                continue
            if response.status_code == 429 and attempt == 0:
                self.sleep(float(response.headers.get("Retry-After", "1")))
                continue
            break
        if response.is_error:
            raise HaloUnavailable(f"Halo answered {response.status_code}: {response.text}")
        return response


def triage_oldest_open_ticket(halo: Halo, client_id: int, note: str) -> int | None:
    """Add ``note`` to the client's oldest open ticket; returns its id (None when nothing is open)."""
    listed = halo.request(
        "GET",
        "/api/Tickets",
        params={"client_id": client_id, "open_only": "true", "order": "id", "count": 100},
    ).json()
    tickets = listed["tickets"]
    if not tickets:
        return None
    oldest = min(tickets, key=lambda t: t["id"])
    halo.request(
        "POST", "/api/Actions", json=[{"ticket_id": oldest["id"], "note": note, "outcome": "Private Note"}]
    )
    return oldest["id"]
