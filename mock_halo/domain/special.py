"""Documented Halo paths with behaviour of their own, named in `resources.SPECIAL_PATHS`.

Each hook takes keyword arguments (the tenant's `HaloStore`, the matched path parameters, the
username the token acts as) and answers with the response body; it uses the store's public
operations only. Sources and choices are in FIDELITY.md ("Named paths").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from halo_sandbox.mock.domain import facts
from halo_sandbox.mock.domain.query import ListQuery
from halo_sandbox.mock.domain.resources import SPECIAL_PATHS
from halo_sandbox.mock.exceptions import NotFound

Hook = Callable[..., Any]
_TRAILING_NUMBER = re.compile(r"(\d+)\s*$")
_EVERY = ListQuery(limit=None)
"""Every record of a resource without a view, in key order."""


def _agent_id(store: Any, username: str) -> int:
    for row in store.list(resource="agents", query=ListQuery(search=username.strip().lower())).rows:
        if str(row.get("email", "")).lower() == username.lower():
            return int(row["id"])
    raise NotFound(f"No agent has the login {username!r} the token acts as.")


def agent_me(*, store: Any, params: Mapping[str, str], username: str) -> Any:
    """``GET /Agent/me``: the agent the token acts as (the password grant's user, else the agent a
    client-credentials application logs in as), as ``GET /Agent/{id}`` renders it."""
    return store.get(resource="agents", id=_agent_id(store, username))


def _linked_user(store: Any, username: str) -> dict[str, Any] | None:
    agent = _agent_id(store, username)
    for row in store.list(resource="users", query=_EVERY).rows:
        if row.get("linked_agent_id") == agent:
            return store.get(resource="users", id=row["id"])
    return None


def user_me(*, store: Any, params: Mapping[str, str], username: str) -> Any:
    """``GET /Users/me``: the end-user record linked to the token's agent (``linked_agent_id``); an
    agent without one gets an empty ``Users`` record (every field unset, ``id`` 0)."""
    return _linked_user(store, username) or {**facts.full_record("Users"), "id": 0}


def client_me(*, store: Any, params: Mapping[str, str], username: str) -> Any:
    """``GET /Client/me``: the client of `user_me`'s user; otherwise an empty ``Area`` record."""
    user = _linked_user(store, username)
    if user and user.get("client_id"):
        return store.get(resource="clients", id=user["client_id"])
    return {**facts.full_record("Area"), "id": 0}


def asset_next_tag(*, store: Any, params: Mapping[str, str], username: str) -> Any:
    """``GET /Asset/NextTag``: the next asset tag number (one more than the highest number that ends
    an ``inventory_number``), as a bare JSON integer."""
    highest = 0
    for row in store.list(resource="assets", query=_EVERY).rows:
        found = _TRAILING_NUMBER.search(str(row.get("inventory_number") or ""))
        if found:
            highest = max(highest, int(found.group(1)))
    return highest + 1


def invoice_void(*, store: Any, params: Mapping[str, str], username: str) -> Any:
    """``POST /Invoice/{id}/void``: marks the invoice ``voided`` (the ``InvoiceHeader`` field) and
    answers the saved invoice; 404 for an unknown invoice."""
    store.get(resource="invoices", id=params["id"])
    return store.post(resource="invoices", body={"id": int(params["id"]), "voided": True})


HOOKS: dict[str, Hook] = {
    "agent_me": agent_me,
    "user_me": user_me,
    "client_me": client_me,
    "asset_next_tag": asset_next_tag,
    "invoice_void": invoice_void,
}


def hook_for(method: str, template: str) -> Hook | None:
    name = SPECIAL_PATHS.get((method.upper(), template))
    return HOOKS[name] if name else None


for _key, _name in SPECIAL_PATHS.items():  # every named hook exists (fails at import, not per request)
    if _name not in HOOKS:
        raise AssertionError(f"{_key}: unknown special-path hook {_name!r}")
