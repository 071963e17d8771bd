"""Provider contract: the mock against its own OpenAPI document (`mock_halo.openapi`), with schemathesis.

Every operation with positive and negative data: no 5xx, responses conform to their schemas, status
codes are documented, bad input is a 4xx with a Halo-style body. The stateful test follows the
document's links (save ticket -> get it -> save action on it -> list its actions -> delete).
"""

from __future__ import annotations

import uuid

import schemathesis
from hypothesis import settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    ensure_resource_availability,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
    use_after_free,
)

from contracts._shared import MOCK_APP, TENANT_HEADER, token_headers

CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance, negative_data_rejection]

schema = schemathesis.openapi.from_asgi("/_sandbox/openapi.json", MOCK_APP)
schema.config.generation.update(
    modes=["positive", "negative"],
    deterministic=True,
    database="none",
    no_shrink=True,
    # Halo ignores unknown query parameters; the token is sent by the test
    allow_extra_parameters=False,
    with_security_parameters=False,
)


@schema.parametrize()
@settings(max_examples=15)
def test_every_operation_keeps_its_contract(case, api_headers):
    case.call_and_validate(headers=api_headers, checks=CHECKS)


# --- stateful: follow the document's links, verify the state they lead to ---------------------

_STATEFUL = schemathesis.openapi.from_asgi("/_sandbox/openapi.json", MOCK_APP).include(
    path_regex=r"^/api/(Tickets|Actions)(/\{id\})?$"
)
_STATEFUL.config.generation.update(modes=["positive"], deterministic=True, database="none", no_shrink=True)
_STATEFUL.config.phases.stateful.inference.algorithms = []  # only the document's own links
FOLLOWED: dict[str, int] = {}
_KEEP = {"Tickets": ("summary", "details"), "Actions": ("ticket_id", "note", "hiddenfromuser")}


@_STATEFUL.hook("map_body")
def _saveable(context, body):
    """Random references rarely exist, so chains would never start: the stateful run saves tickets
    and actions from their plain fields (the per-operation tests above cover every field)."""
    resource = context.operation.path.split("/")[2]
    items = body if isinstance(body, list) else [body]
    out = []
    for n, item in enumerate(items if items else [{}]):
        item = item if isinstance(item, dict) else {}
        kept = {k: v for k, v in item.items() if k in _KEEP[resource] and v not in (None, "")}
        if resource == "Tickets":
            kept["summary"] = str(kept.get("summary") or f"contract ticket {n}")
        out.append(kept)
    return out


class TicketLifecycle(_STATEFUL.as_state_machine()):  # type: ignore[misc]
    """Saved tickets and actions are remembered; every later read must agree with what was saved,
    and a deleted ticket (with its actions) must be gone."""

    headers: dict[str, str] = {}

    def setup(self) -> None:
        # every scenario starts from the seeded tenant, so a failing scenario replays identically
        MOCK_APP.state.sandbox.reset(self.headers[TENANT_HEADER])
        self.saved: dict[tuple[str, tuple], dict] = {}
        self.deleted: set[tuple[str, tuple]] = set()

    def get_call_kwargs(self, case):
        return {"headers": self.headers}

    def validate_response(self, response, case, additional_checks=None, **kwargs) -> None:
        # Request schemas are supersets of what the mock accepts (a random client_id is a 400), so
        # "positive data accepted" is not a property here; the links' own checks are.
        case.validate_response(
            response,
            checks=[*CHECKS, use_after_free, ensure_resource_availability],
            transport_kwargs=kwargs or None,
            recorder=self.recorder,
        )

    def after_call(self, response, case) -> None:
        resource = case.path.split("/")[2]
        label = f"{case.method} {case.path}"
        FOLLOWED[label] = FOLLOWED.get(label, 0) + (response.status_code == 200)
        if response.status_code != 200:
            return
        if case.method == "POST":
            body = response.json()
            for record in body if isinstance(body, list) else [body]:
                key = (
                    resource,
                    (record.get("ticket_id"), record["id"]) if resource == "Actions" else (record["id"],),
                )
                self.saved[key] = record
                self.deleted.discard(key)
        elif case.method == "GET" and "id" in (case.path_parameters or {}):
            key = self._key(resource, case)
            assert key not in self.deleted, f"{key} was deleted but GET answered 200"
            if key in self.saved:
                got = response.json()
                for name in ("summary", "note", "client_id", "status_id"):
                    if name in self.saved[key]:
                        assert got.get(name) == self.saved[key][name], (
                            name,
                            got.get(name),
                            self.saved[key][name],
                        )
        elif (
            case.method == "GET"
            and resource == "Actions"
            and (case.query or {}).get("ticket_id") not in (None, "")
            and not {k for k, v in case.query.items() if v not in (None, "")} & {"search", "count"}
        ):
            ticket = int(case.query["ticket_id"])
            listed = {row["id"] for row in response.json()["actions"]}
            expected = {k[1][1] for k in self.saved if k[0] == "Actions" and k[1][0] == ticket}
            assert expected <= listed, f"saved actions {expected - listed} of ticket {ticket} are not listed"
        elif case.method == "DELETE":
            key = self._key(resource, case)
            self.deleted.add(key)
            self.saved.pop(key, None)
            if resource == "Tickets":
                for child in [k for k in self.saved if k[0] == "Actions" and k[1][0] == key[1][0]]:
                    self.saved.pop(child)
                    self.deleted.add(child)

    @staticmethod
    def _key(resource: str, case) -> tuple[str, tuple]:
        record_id = int(case.path_parameters["id"])
        if resource == "Actions":
            return (resource, (int(case.query["ticket_id"]), record_id))
        return (resource, (record_id,))


def test_links_lead_to_consistent_state():
    TicketLifecycle.headers = token_headers(MOCK_APP, f"contracts-links-{uuid.uuid4().hex[:8]}")  # own tenant
    TicketLifecycle.run(settings=settings(max_examples=40, stateful_step_count=8))
    print(FOLLOWED)
    assert FOLLOWED.get("POST /api/Tickets") and FOLLOWED.get("GET /api/Tickets/{id}"), FOLLOWED
