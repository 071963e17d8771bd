"""Reads are true (get and list tools return what the mock holds, nothing invented) and pagination
(every matching record exactly once, following the server's own paging)."""

from __future__ import annotations

from typing import Any

from halo_sandbox.verify.discovery import norm, resource
from halo_sandbox.verify.probe import CallRecord, find_record, find_records, record_id
from halo_sandbox.verify.properties import (
    Context,
    fill_arguments,
    scalar_mismatches,
    seeded_ticket,
    store_record,
    store_rows,
)

_SIZE = {"limit", "pagesize", "perpage", "count", "top", "maxresults", "size", "pagelimit", "maxitems"}
_CURSOR = {"nextcursor", "cursor", "pagetoken", "nextpagetoken", "continuationtoken", "after", "nexttoken"}
_PAGE = {"page", "pageno", "pagenumber", "pagenum", "pageindex"}
_OFFSET = {"offset", "skip", "start", "startat"}


def _scope_rows(ctx: Context, name: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    spec = resource(name)
    if spec.scope:
        parent = seeded_ticket(ctx)
        return store_rows(ctx.store, name, {spec.scope: str(parent)}), {spec.scope: parent}
    return store_rows(ctx.store, name), {}


async def reads_are_true(ctx: Context) -> list:
    checks = []
    for mapped in ctx.mapped("get"):
        if mapped.resource == "attachments":
            continue  # bytes: the attachments property
        rows, scope = _scope_rows(ctx, mapped.resource)
        if not rows:
            checks.append(
                ctx.check(
                    "reads", mapped.name, "skipped", "the tenant holds no such record", tool=mapped.name
                )
            )
            continue
        picks = [rows[0], rows[len(rows) // 2], rows[-1]]
        failures, calls = [], []
        id_schema = (ctx.schema(mapped.name).get("properties") or {}).get(mapped.id_arg)
        for row in {r["id"]: r for r in picks}.values():
            args, missing = fill_arguments(
                ctx.schema(mapped.name), {**scope, **{k: v for k, v in row.items() if k.endswith("_id")}}
            )
            key = _number_key(mapped.resource, row, id_schema)
            if key is not None:
                # a tool taking a number for a resource with uuid ids (priorities): Halo reads
                # /Priority/{n} by the record's number (priorityid): the record Halo answers is the truth
                row = next(r for r in rows if r.get(key) == row[key])
            args[mapped.id_arg] = row[key] if key is not None else row["id"]
            missing = [m for m in missing if m != mapped.id_arg]
            if missing:
                checks.append(
                    ctx.check(
                        "reads", mapped.name, "skipped", f"cannot fill {', '.join(missing)}", tool=mapped.name
                    )
                )
                break
            call = await ctx.probe.call(mapped.name, args)
            calls.append(call)
            if key is not None:
                row = next((r for r in call.answered_records() if r.get(key) == row[key]), row)
            # the truth is what the mock answered to the very request the server sent (its query,
            # e.g. includedetails=true, included); the stored record when the server sent none
            expected = _answered(call, row["id"]) or store_record(
                ctx.store, mapped.resource, row["id"], scope
            )
            got = find_record(call.payload()) if call.ok else None
            if got is None and call.ok:
                got = find_record(call.payload(), id_keys=_id_fields(call.payload()))
            if not call.ok:
                failures.append(
                    f"reading {mapped.resource} {row['id']} failed"
                    + ("" if call.reached_halo else " before any request reached Halo")
                )
            elif got is None:
                failures.append(f"no record in the result for {mapped.resource} {row['id']}")
            elif "id" in got and str(got["id"]) != str(row["id"]):
                failures.append(f"asked for id {row['id']}, got id {got.get('id')!r}")
            else:
                failures += scalar_mismatches(got, expected)
                if failures and not call.reached_halo:
                    failures.append("no request reached Halo: the server answered from its own cache")
        else:
            checks.append(
                ctx.check(
                    "reads",
                    mapped.name,
                    "failed" if failures else "passed",
                    "; ".join(failures[:5]),
                    tool=mapped.name,
                    calls=calls if failures else [],
                    expected="the record the mock holds, field for field",
                )
            )
    for mapped in ctx.mapped("list"):
        rows, scope = _scope_rows(ctx, mapped.resource)
        args, missing = fill_arguments(ctx.schema(mapped.name), scope)
        if missing:
            checks.append(
                ctx.check(
                    "reads", mapped.name, "skipped", f"cannot fill {', '.join(missing)}", tool=mapped.name
                )
            )
            continue
        call = await ctx.probe.call(mapped.name, args)
        records = find_records(call.payload(), list_keys=[mapped.resource]) if call.ok else None
        # what the mock answered to the server's own requests (their query included), else the tenant
        answered = call.answered_records()
        truth = answered if answered else rows
        by_id = {str(r["id"]): r for r in truth if "id" in r}
        stored = {str(r["id"]): r for r in rows if "id" in r}
        failures = []
        without_id = 0
        if not call.ok:
            failures.append(
                "the list call failed" + ("" if call.reached_halo else " before any request reached Halo")
            )
        elif records is None:
            failures.append("no list of records in the result")
        elif not records and (answered or (rows and not call.answers())):
            failures.append(
                f"listed nothing; Halo answered {len(answered)} record(s)"
                if answered
                else f"listed nothing, the tenant holds {len(rows)}"
            )
        else:
            for record in records:
                try:
                    key = str(record_id(record))
                except LookupError:
                    without_id += 1  # e.g. priorities projected by priorityid: "no id field", not invented
                    match = _match_without_id(record, truth)
                    if match is not None:
                        failures += [
                            f"{m} (a record with no id field)" for m in scalar_mismatches(record, match)
                        ]
                    continue
                if key in by_id:
                    failures += [f"id {key}: {m}" for m in scalar_mismatches(record, by_id[key])]
                elif key in stored:
                    failures += [f"id {key}: {m}" for m in scalar_mismatches(record, stored[key])]
                else:
                    failures.append(f"record id {record.get('id')!r} is not in the tenant (invented)")
        checks.append(
            ctx.check(
                "reads",
                mapped.name,
                "failed" if failures else "passed",
                "; ".join(failures[:5]),
                tool=mapped.name,
                calls=[call] if failures else [],
                expected="only records the mock holds, with their values",
            )
        )
        if without_id and not failures:
            checks[-1].detail = f"{without_id} record(s) with no id field (matched by their other id fields)"
    return checks


def _number_key(name: str, row: dict[str, Any], id_schema: Any) -> str | None:
    """The record's number field (``priorityid`` of a priority) when the tool's id argument takes
    only numbers and the record's own id is not one (a uuid); None otherwise."""
    kinds = id_schema.get("type") if isinstance(id_schema, dict) else None
    kinds = set(kinds) if isinstance(kinds, list) else {kinds}
    if not kinds or not kinds <= {"integer", "number", "null"} or str(row["id"]).lstrip("-").isdigit():
        return None
    spec = resource(name)
    for field_name in (f"{norm(spec.halo_path)}id", *(f"{norm(a)}id" for a in spec.aliases)):
        value = row.get(field_name)
        if isinstance(value, int) and not isinstance(value, bool):
            return field_name
    return None


def _answered(call: CallRecord, record_id_value: Any) -> dict[str, Any] | None:
    """The record with this id in the mock's answers to the call's own requests (the last one)."""
    found = None
    for record in call.answered_records():
        if "id" in record and str(record["id"]) == str(record_id_value):
            found = record
    return found


def _id_fields(payload: Any) -> list[str]:
    """Fields named like ids (``priorityid``) of the objects in a payload, for a record with no ``id``."""
    names: list[str] = []
    for value in [payload, *(payload.values() if isinstance(payload, dict) else [])]:
        if isinstance(value, dict):
            names += [k for k in value if norm(str(k)).endswith("id") and norm(str(k)) != "id"]
    return names


def _match_without_id(record: dict[str, Any], truth: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The one truth row sharing one of the record's id-like fields (``priorityid``), if any."""
    for key, value in record.items():
        if not norm(str(key)).endswith("id") or isinstance(value, (dict, list)) or value is None:
            continue
        hits = [row for row in truth if key in row and str(row[key]) == str(value)]
        if len(hits) == 1:
            return hits[0]
    return None
