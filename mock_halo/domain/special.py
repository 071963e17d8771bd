"""Documented Halo paths with behaviour of their own, named in `resources.SPECIAL_PATHS`.

Each hook takes keyword arguments (the tenant's `HaloStore`, the matched path parameters, the
username the token acts as, ``lenient`` as for `HaloStore.post`, the bound query parameters,
``query``, and the body, ``body``: a form as part name -> value, a file part as
``(filename, bytes)``) and answers with the response body; it uses the store's public
operations only. Sources and choices are in FIDELITY.md ("Named paths").
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable, Mapping
from typing import Any

from halo_sandbox.mock.domain import facts
from halo_sandbox.mock.domain.query import ListQuery
from halo_sandbox.mock.domain.resources import SPECIAL_PATHS
from halo_sandbox.mock.exceptions import NotFound, ValidationError

Hook = Callable[..., Any]
_TRAILING_NUMBER = re.compile(r"(\d+)\s*$")
_EVERY = ListQuery(limit=None)
"""Every record of a resource without a view, in key order."""


def _agent_id(store: Any, username: str) -> int:
    for row in store.list(resource="agents", query=ListQuery(search=username.strip().lower())).rows:
        if str(row.get("email", "")).lower() == username.lower():
            return int(row["id"])
    raise NotFound(f"No agent has the login {username!r} the token acts as.")


def acting_agent(store: Any, username: str) -> int | None:
    """The id of the agent with the login ``username`` (the one a token acts as), if any."""
    try:
        return _agent_id(store, username)
    except NotFound:
        return None


def agent_me(*, store: Any, params: Mapping[str, str], username: str, **_: Any) -> Any:
    """``GET /Agent/me``: the agent the token acts as (the password grant's user, else the agent a
    client-credentials application logs in as), as ``GET /Agent/{id}`` renders it."""
    return store.get(resource="agents", id=_agent_id(store, username))


def linked_user(store: Any, username: str) -> dict[str, Any] | None:
    """The end-user record linked to the agent with the login ``username`` (``linked_agent_id``);
    ``None`` when there is none, or no such agent."""
    try:
        return _linked_user(store, username)
    except NotFound:
        return None


def _linked_user(store: Any, username: str) -> dict[str, Any] | None:
    agent = _agent_id(store, username)
    for row in store.list(resource="users", query=_EVERY).rows:
        if row.get("linked_agent_id") == agent:
            return store.get(resource="users", id=row["id"])
    return None


def user_me(*, store: Any, params: Mapping[str, str], username: str, **_: Any) -> Any:
    """``GET /Users/me``: the end-user record linked to the token's agent (``linked_agent_id``); an
    agent without one gets an empty ``Users`` record (every field unset, ``id`` 0)."""
    return _linked_user(store, username) or {**facts.full_record("Users"), "id": 0}


def client_me(*, store: Any, params: Mapping[str, str], username: str, **_: Any) -> Any:
    """``GET /Client/me``: the client of `user_me`'s user; otherwise an empty ``Area`` record."""
    user = _linked_user(store, username)
    if user and user.get("client_id"):
        return store.get(resource="clients", id=user["client_id"])
    return {**facts.full_record("Area"), "id": 0}


def asset_next_tag(*, store: Any, params: Mapping[str, str], username: str, **_: Any) -> Any:
    """``GET /Asset/NextTag``: ``{"last_tag", "next_tag"}``, the shape a live tenant answered
    (FIDELITY.md, "Named paths"): the highest number that ends an ``inventory_number`` and one more."""
    highest = 0
    for row in store.list(resource="assets", query=_EVERY).rows:
        found = _TRAILING_NUMBER.search(str(row.get("inventory_number") or ""))
        if found:
            highest = max(highest, int(found.group(1)))
    return {"last_tag": highest, "next_tag": highest + 1}


def invoice_void(*, store: Any, params: Mapping[str, str], username: str, **_: Any) -> Any:
    """``POST /Invoice/{id}/void``: marks the invoice ``voided`` (the ``InvoiceHeader`` field) and
    answers the saved invoice; 404 for an unknown invoice."""
    store.get(resource="invoices", id=params["id"])
    return store.post(resource="invoices", body={"id": int(params["id"]), "voided": True})


_UPLOAD_QUERY = {
    "ticket_id": "ticket_id",
    "action_id": "action_id",
    "attype": "type",
    "atuniqueid": "unique_id",
}
"""``POST /Attachment/image``'s documented query parameters the upload acts on -> the attachment's
field (the ``at``-prefixed names are the attachment's own columns: ``attype`` its ``type``)."""


def attachment_upload(
    *,
    store: Any,
    params: Mapping[str, str],
    username: str,
    query: Mapping[str, Any],
    body: Any,
    lenient: Callable[[str], None] | None = None,
    **_: Any,
) -> Any:
    """``POST /Attachment/image`` (``multipart/form-data``, the file in the part ``file``): stores
    the file as an attachment, as ``POST /Attachment`` with its bytes would, linked by the query's
    ``ticket_id``/``action_id`` (or ``attype``/``atuniqueid``), and answers the saved attachment."""
    upload = body.get("file") if isinstance(body, Mapping) else None
    if not isinstance(upload, tuple):
        raise ValidationError({"file": ["The file content is required: send it as the form part 'file'."]})
    filename, content = upload
    item = {field: query[name] for name, field in _UPLOAD_QUERY.items() if query.get(name) is not None}
    item.update(filename=filename or "image", data_base64=base64.b64encode(content).decode("ascii"))
    return store.post(resource="attachments", body=item, acting_login=username, lenient=lenient)


ACTS_ON: Mapping[str, tuple[str, ...]] = {"attachment_upload": tuple(_UPLOAD_QUERY)}
"""Per hook, the documented query parameters it acts on (the others are noted as not acted on)."""


HOOKS: dict[str, Hook] = {
    "attachment_upload": attachment_upload,
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
