"""Writes land (a create through the server appears in the mock with the fields sent; an update
and a delete take effect; arguments outside the schema never reach Halo) and attachments (bytes
round-trip)."""

from __future__ import annotations

import base64
import json
import os
import re
from typing import Any

from halo_sandbox.verify.discovery import VOCABULARY, norm
from halo_sandbox.verify.probe import find_record
from halo_sandbox.verify.properties import (
    Context,
    fill_arguments,
    parameters_for,
    same,
    sample_values,
    seeded_ticket,
    store_record,
    store_rows,
)


def _mentions(text: str, record_id: Any) -> bool:
    """Whether ``text`` names ``record_id`` as a whole token (``"id": 45921``, ``ticket 45921
    created``), not as part of a longer number or word."""
    return re.search(rf"(?<![\w.-]){re.escape(str(record_id))}(?!\w|\.\d)", text) is not None


def _new_ids(before: set[Any], ctx: Context, name: str, scope: dict[str, str]) -> list[Any]:
    return [r["id"] for r in store_rows(ctx.store, name, scope) if r["id"] not in before]


async def writes_land(ctx: Context) -> list:
    checks = []
    for spec in VOCABULARY:
        create = ctx.discovery.tool(spec.name, "create")
        if create is None or not spec.sample:
            continue
        marker = ctx.unique()
        values = sample_values(ctx, spec, marker)
        args, missing = fill_arguments(ctx.schema(create.name), values)
        if missing:
            checks.append(
                ctx.check(
                    "writes", create.name, "skipped", f"cannot fill {', '.join(missing)}", tool=create.name
                )
            )
            continue
        scope = {spec.scope: str(values[spec.scope])} if spec.scope else {}
        before = {r["id"] for r in store_rows(ctx.store, spec.name, scope)}
        call = await ctx.probe.call(create.name, args)
        new = _new_ids(before, ctx, spec.name, scope)
        problems = []
        if not call.ok:
            problems.append("the create failed")
        if len(new) != 1:
            problems.append(f"{len(new)} new {spec.name} in Halo")
        else:
            row = store_record(ctx.store, spec.name, new[0], scope)
            sent = parameters_for(ctx.schema(create.name), values)
            wrong = [
                f"{k}: sent {values[k]!r} as {param}, Halo holds {row.get(k)!r}"
                for k, param in sent.items()
                if not same(row.get(k), values[k])
            ]
            problems += wrong
            got = find_record(call.payload())
            if call.ok and got is not None and str(got.get("id")) != str(new[0]):
                problems.append(f"the result names id {got.get('id')!r}, Halo saved {new[0]}")
            elif call.ok and got is None and not _mentions(call.text(), new[0]):
                problems.append(
                    f"the result does not carry the new record's id ({new[0]}, the one Halo assigned): "
                    "an agent cannot act on the record it created"
                )
        checks.append(
            ctx.check(
                "writes",
                f"{create.name} / create",
                "failed" if problems else "passed",
                "; ".join(problems) or f"created {spec.name} {new[0]} with the fields sent",
                tool=create.name,
                calls=[call] if problems else [],
                expected="one new record holding the fields sent",
            )
        )
        if problems:
            continue
        record_id = new[0]
        checks += await _invalid_never_reaches_halo(ctx, create.name, args)
        checks += await _update_and_delete(ctx, spec, record_id, scope, marker)
    if not checks:
        checks.append(
            ctx.check(
                "writes",
                "create tools",
                "skipped",
                "no create tool for tickets, actions, clients or kb articles",
            )
        )
    return checks


def _violation(schema: dict[str, Any], args: dict[str, Any]) -> tuple[str, Any] | None:
    """An argument value the schema refuses: a string where a string is typed gets a list of
    numbers, an integer gets a string of letters."""
    props = schema.get("properties") or {}
    for name in args:
        kind = (props.get(name) or {}).get("type")
        if kind == "string":
            return name, [1, 2, 3]
        if kind == "integer":
            return name, "not-a-number"
    return None


async def _invalid_never_reaches_halo(ctx: Context, tool: str, args: dict[str, Any]) -> list:
    bad = _violation(ctx.schema(tool), args)
    if bad is None:
        return [
            ctx.check(
                "writes", f"{tool} / invalid arguments", "skipped", "no typed argument to violate", tool=tool
            )
        ]
    sent = {**args, bad[0]: bad[1]}
    call = await ctx.probe.call(tool, sent)
    problems = []
    if call.writes:
        problems.append(f"{len(call.writes)} write request(s) reached Halo with {bad[0]}={bad[1]!r}")
    if call.ok:
        problems.append("the call succeeded")
    return [
        ctx.check(
            "writes",
            f"{tool} / invalid arguments",
            "failed" if problems else "passed",
            "; ".join(problems) or f"{bad[0]}={bad[1]!r} refused before Halo",
            tool=tool,
            calls=[call] if problems else [],
            expected="a tool or protocol error and no request to Halo",
            example=str(sent),
        )
    ]


async def _update_and_delete(
    ctx: Context, spec: Any, record_id: Any, scope: dict[str, str], marker: str
) -> list:
    checks = []
    update = ctx.discovery.tool(spec.name, "update")
    if update is not None and spec.text_field:
        new_text = f"{marker} updated"
        args, missing = fill_arguments(
            ctx.schema(update.name), {**{k: int(v) for k, v in scope.items()}, spec.text_field: new_text}
        )
        args[update.id_arg] = record_id
        missing = [m for m in missing if m != update.id_arg]
        if missing:
            checks.append(
                ctx.check(
                    "writes", f"{update.name} / update", "skipped", f"cannot fill {missing}", tool=update.name
                )
            )
        else:
            call = await ctx.probe.call(update.name, args)
            row = store_record(ctx.store, spec.name, record_id, scope)
            ok = call.ok and row.get(spec.text_field) == new_text
            checks.append(
                ctx.check(
                    "writes",
                    f"{update.name} / update",
                    "passed" if ok else "failed",
                    "" if ok else f"{spec.text_field} is {row.get(spec.text_field)!r} in Halo",
                    tool=update.name,
                    calls=[] if ok else [call],
                    expected=f"{spec.text_field} = {new_text!r} in Halo",
                )
            )
    delete = ctx.discovery.tool(spec.name, "delete")
    if delete is not None:
        args, missing = fill_arguments(ctx.schema(delete.name), {k: int(v) for k, v in scope.items()})
        args[delete.id_arg] = record_id
        missing = [m for m in missing if m != delete.id_arg]
        if not missing:
            call = await ctx.probe.call(delete.name, args)
            gone = record_id not in {r["id"] for r in store_rows(ctx.store, spec.name, scope)}
            ok = call.ok and gone
            checks.append(
                ctx.check(
                    "writes",
                    f"{delete.name} / delete",
                    "passed" if ok else "failed",
                    "" if ok else ("the record is still in Halo" if not gone else "the delete failed"),
                    tool=delete.name,
                    calls=[] if ok else [call],
                    expected="the record is gone from Halo",
                )
            )
    return checks


_BYTES_PARAMS = {"contentbase64", "database64", "base64", "filebase64", "content", "data", "file", "filedata"}


def _takes_text(prop: Any) -> bool:
    """Whether an argument takes a string (``data: {...}``, an object, does not)."""
    kinds = prop.get("type") if isinstance(prop, dict) else None
    return kinds in (None, "string") or (isinstance(kinds, list) and "string" in kinds)


async def attachments(ctx: Context) -> list:
    create = ctx.discovery.tool("attachments", "create")
    if create is None:
        return [ctx.check("attachments", "attachments", "skipped", "the server offers no attachment upload")]
    schema = ctx.schema(create.name)
    props = schema.get("properties") or {}
    # a text argument for the bytes; else, in a record body (``data: {...}``), Halo's own field
    content = next((p for p in props if norm(p) in _BYTES_PARAMS and _takes_text(props[p])), None)
    body = getattr(schema, "body_param", None)
    if content is None and body is None:
        return [
            ctx.check("attachments", create.name, "skipped", "no base64 content argument", tool=create.name)
        ]
    payload = b"\x00\xff verify \xe2\x82\xac " + os.urandom(48)
    encoded = base64.b64encode(payload).decode()
    ticket = seeded_ticket(ctx)
    values: dict[str, Any] = {"ticket_id": ticket, "filename": "verify.bin"}
    if content is None:
        values["data_base64"] = encoded
    args, missing = fill_arguments(schema, values)
    if content is not None:
        args[content] = encoded
    elif encoded not in json.dumps(args.get(body or "")):
        return [
            ctx.check("attachments", create.name, "skipped", "no base64 content argument", tool=create.name)
        ]
    missing = [m for m in missing if m != content]
    if missing:
        return [ctx.check("attachments", create.name, "skipped", f"cannot fill {missing}", tool=create.name)]
    before = {r["id"] for r in store_rows(ctx.store, "attachments", {"ticket_id": str(ticket)})}
    call = await ctx.probe.call(create.name, args)
    new = _new_ids(before, ctx, "attachments", {"ticket_id": str(ticket)})
    checks = []
    if not call.ok or len(new) != 1:
        return [
            ctx.check(
                "attachments",
                create.name,
                "failed",
                f"upload failed ({len(new)} new attachments)",
                tool=create.name,
                calls=[call],
            )
        ]
    stored, _, _ = ctx.store.attachment_content(resource="attachments", id=new[0])
    ok = stored == payload
    checks.append(
        ctx.check(
            "attachments",
            f"{create.name} / upload",
            "passed" if ok else "failed",
            "" if ok else f"Halo holds {len(stored)} bytes that differ from the {len(payload)} sent",
            tool=create.name,
            calls=[] if ok else [call],
            expected="the bytes sent",
        )
    )
    get = ctx.discovery.tool("attachments", "get")
    if get is not None:
        read = await ctx.probe.call(get.name, {get.id_arg: new[0]})
        ok = read.ok and payload in read.blobs()
        checks.append(
            ctx.check(
                "attachments",
                f"{get.name} / download",
                "passed" if ok else "failed",
                "" if ok else "the bytes read back differ from the bytes uploaded",
                tool=get.name,
                calls=[] if ok else [read],
                expected="the bytes uploaded",
            )
        )
    return checks
