"""Ids stay one path segment: a get, update or delete tool given an id such as ``.``, ``..``,
``./``, ``%2e%2e``, ``..%2F..``, ``a/b``, ``a?b=1`` or ``a#b`` sends every request on its own
resource's path with the id as ONE segment, escaped (``/api/Priority/%2E%2E``), or refuses the
argument before any request reaches Halo.

Why: every HTTP client resolves dot segments before it sends (RFC 3986, section 5.2.4), so a server
that pastes the id into the path unescaped turns ``..`` into ``/api`` (the API's root), ``.`` into
the resource's collection (a get answers a list; a delete targets the collection), and ``x/../5``
into another record (which a delete then deletes); ``%2e%2e`` sent as it is reaches Halo as ``..``;
``?`` and ``#`` cut the id short. (This project's own server had the first two: ``..`` made
``/api/Priority/..``, i.e. ``/api``.)

Judged from what reached the sandbox: the raw path of each request (its escapes kept, `Exchange.raw_path`),
requests outside ``/api`` included. A request is on the record's path when it is the resource's path
(Halo's documented top-level path in any case, or the one the tool used for a plain id) followed by
one segment that decodes to the id. A request that reached ``/api`` itself or a path outside it, the
collection, the resource's path with another segment (another record) or with the id split into
several, or another resource where the unescaped id leads, fails, named as such. An update may also
write to the collection (Halo's update is a POST of the record, its id in the body), a request to the
collection carrying the whole id as a query value (a search by id) keeps it whole, and requests that
have nothing to do with the id (a read of the parent ticket) are not judged.

Which tools: every get tool, and the update and delete tools of the resources verify already writes
(they have a sample record: tickets, actions, articles, clients); the tenant is reset after the
property. A tool whose schema takes a string id (or does not type it) gets the explicit ids above,
one leading to a seeded record (``0/../<id>``) and one to another resource (``../Client/1``), then
ids drawn by hypothesis from dots, slashes, ``?``, ``#`` and escapes; a tool whose schema types the
id as a number gets the three dot ids only: it refuses them (correct) or must send them safely."""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote, unquote

from halo_sandbox.verify.discovery import MappedTool, resource
from halo_sandbox.verify.probe import CallRecord
from halo_sandbox.verify.properties import Context, fill_arguments, seeded_ticket, store_rows
from halo_sandbox.verify.properties.generative import Failure, explore
from halo_sandbox.verify.served_mock import Exchange

__all__ = ["ids_stay_one_segment", "judge_request", "one_segment"]

EXPLICIT = (".", "..", "./", "%2e%2e", "..%2F..", "a/b", "a?b=1", "a#b", "100%")
"""Ids every tool taking a string id is called with (then ``0/../<id>`` and ``../<Other>/1``)."""
DOT_IDS = (".", "..")
"""Ids a tool whose schema takes only numbers is called with (and ``0/../<id>``)."""
_PIECES = (".", "..", "/", "?", "#", "%", "%2e", "%2E", "%2F", "%2f", "%25", "a", "7", "=", "&", " ", "é")
_WRITES = {"POST", "PUT", "PATCH"}
_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")


@dataclass(kw_only=True)
class _Tally:
    sent: int = 0
    """Calls whose requests all kept the id as one escaped segment."""
    refused: int = 0
    """Calls answered before any request reached Halo."""
    seen: list[str] = field(default_factory=list)


def _accepts_string(prop: Any) -> bool:
    """Whether an id argument's schema lets a string through (an untyped one does)."""
    if not isinstance(prop, Mapping):
        return True
    if "const" in prop or "enum" in prop:
        return any(isinstance(v, str) for v in [prop.get("const"), *(prop.get("enum") or [])])
    kind = prop.get("type")
    if isinstance(kind, str):
        return kind == "string"
    if isinstance(kind, list):
        return "string" in kind
    options = [*(prop.get("anyOf") or []), *(prop.get("oneOf") or [])]
    return any(_accepts_string(o) for o in options) if options else True


def _resolved(path: str) -> str:
    """``path`` cut at ``?``/``#`` with its dot segments removed, as an HTTP client sends it."""
    path = re.split(r"[?#]", path, maxsplit=1)[0]
    segments = path.split("/")[1:]
    out: list[str] = []
    for i, seg in enumerate(segments):
        last = i == len(segments) - 1
        if seg in (".", ".."):
            if seg == ".." and out:
                out.pop()
            if last:
                out.append("")
        else:
            out.append(seg)
    return "/" + "/".join(out)


def _naive(prefix: str, value: str) -> set[str]:
    """Where the id leads when pasted into the path unescaped (or escaped but for ``/``, ``%``)."""
    spellings = {value, quote(value, safe="/%?#"), quote(value, safe="/"), quote(value, safe="/%")}
    return {_resolved(f"{prefix}/{s}").rstrip("/").lower() for s in spellings}


def judge_request(
    exchange: Exchange, value: str, prefixes: list[str], *, write_to_collection: bool
) -> str | None:
    """Why a request of a by-id call with id ``value`` left the record's path, or None when it kept
    the id as one escaped segment of one of ``prefixes`` (``/api/Priority``), or has nothing to do
    with the id."""
    raw = exchange.raw_path or exchange.path
    low = raw.lower()
    where = f"{exchange.method} {raw}"
    if low.startswith("/auth/"):
        return None
    if low.rstrip("/") == "/api":
        return f"{where} reached the API's root"
    if not low.startswith("/api/"):
        return f"{where} reached a path outside Halo's API"
    for prefix in prefixes:
        base = prefix.lower().rstrip("/")
        if low.rstrip("/") == base:
            if write_to_collection and exchange.method.upper() in _WRITES:
                return None  # Halo's update: the record, its id in the body, POSTed to the collection
            if value in (v for _, v in parse_qsl(exchange.query, keep_blank_values=True)):
                return None  # the id as a query value (a search by id), escaped: still the one id
            return f"{where} reached the collection, not the record"
        if not low.startswith(base + "/"):
            continue
        rest = raw[len(base) + 1 :]
        if "/" in rest:
            return f"{where} split the id into {rest.count('/') + 1} path segments"
        if _ESCAPE.search(rest):
            return f"{where} sent a bare '%' (not an escape: Halo cannot read the id)"
        if unquote(rest) != value:
            return f"{where} reached another record (Halo reads the id as {unquote(rest)!r})"
        return None
    if low.rstrip("/") in {p for prefix in prefixes for p in _naive(prefix, value)}:
        return f"{where} reached another resource"
    return None


def one_segment(value: str) -> str:
    """``value`` as one path segment: every reserved character escaped, and a bare ``.`` or ``..``
    (which escaping leaves alone, and a client would resolve) as ``%2E``."""
    text = quote(value, safe="")
    return "%2E" * len(text) if text in (".", "..") else text


def _id_prefix(call: CallRecord, value: str) -> str | None:
    """The path a call's request put a plain id under (``/api/Priority`` for ``.../verify1a2b``)."""
    for exchange in call.exchanges:
        raw = exchange.raw_path or exchange.path
        if raw.lower().startswith("/api/") and raw.rstrip("/").endswith("/" + value):
            return raw.rstrip("/")[: -len(value) - 1]
    return None


def _tools(ctx: Context) -> list[MappedTool]:
    """Get tools, and the update and delete tools of the resources verify writes."""
    chosen = list(ctx.mapped("get"))
    for role in ("update", "delete"):
        chosen += [m for m in ctx.mapped(role) if resource(m.resource).sample]
    return chosen


def _arguments(ctx: Context, mapped: MappedTool) -> tuple[dict[str, Any], list[str], dict[str, str]]:
    """The tool's other arguments (the scope, an update's text): (arguments, unfilled, scope)."""
    spec = resource(mapped.resource)
    scope = {spec.scope: str(seeded_ticket(ctx))} if spec.scope else {}
    values: dict[str, Any] = {k: int(v) for k, v in scope.items()}
    if mapped.role == "update" and spec.text_field:
        values[spec.text_field] = ctx.unique("path")
    args, missing = fill_arguments(ctx.schema(mapped.name), values)
    return args, [m for m in missing if m != mapped.id_arg], scope


def _examples(ctx: Context, mapped: MappedTool, scope: dict[str, str], strings: bool) -> list[str]:
    rows = store_rows(ctx.store, mapped.resource, scope or None)
    existing = str(rows[0]["id"]) if rows else "1"
    if not strings:
        return [*DOT_IDS, f"0/../{existing}"]
    other = "Tickets" if resource(mapped.resource).halo_path.lower() != "tickets" else "Client"
    return [*EXPLICIT, f"0/../{existing}", f"../{other}/1"]


def _strategy() -> Any:
    from hypothesis import strategies as st

    return (
        st.lists(st.sampled_from(_PIECES), min_size=1, max_size=6)
        .map("".join)
        .filter(lambda s: any(c in s for c in "./?#%"))
    )


async def ids_stay_one_segment(ctx: Context) -> list:
    checks = []
    for mapped in _tools(ctx):
        subject = f"{mapped.name} / {mapped.role}"
        base, missing, scope = _arguments(ctx, mapped)
        if missing:
            checks.append(
                ctx.check("paths", subject, "skipped", f"cannot fill {', '.join(missing)}", tool=mapped.name)
            )
            continue
        id_schema = (ctx.schema(mapped.name).get("properties") or {}).get(mapped.id_arg)
        strings = _accepts_string(id_schema)
        prefixes = [f"/api/{resource(mapped.resource).halo_path or mapped.resource}"]
        if strings:
            plain = f"verify{uuid.uuid4().hex[:6]}"
            learned = _id_prefix(await ctx.probe.call(mapped.name, {**base, mapped.id_arg: plain}), plain)
            if learned is not None and learned.lower() != prefixes[0].lower():
                prefixes.append(learned)
        tally = _Tally()
        update = mapped.role == "update"

        async def scenario(
            value: str,
            mapped: MappedTool = mapped,
            base: dict[str, Any] = base,
            prefixes: list[str] = prefixes,
            tally: _Tally = tally,
            update: bool = update,
        ) -> Failure | None:
            call = await ctx.probe.call(mapped.name, {**base, mapped.id_arg: value})
            requests = [*call.exchanges, *call.elsewhere]
            wrong = [
                why
                for e in requests
                if (why := judge_request(e, value, prefixes, write_to_collection=update)) is not None
            ]
            if wrong:
                return Failure(
                    detail=f"{mapped.id_arg}={value!r}: " + "; ".join(dict.fromkeys(wrong)),
                    calls=[call],
                    expected=f"every request on {prefixes[0]}/{{id}} with the id as one escaped segment "
                    f"({prefixes[0]}/{one_segment(value)}), or a refusal before Halo",
                )
            if any(e.path.lower().startswith("/api") for e in requests):
                tally.sent += 1
            else:
                tally.refused += 1
            tally.seen.append(value)
            return None

        explicit = _examples(ctx, mapped, scope, strings)
        found = await explore(
            ctx,
            _strategy() if strings else _constant(explicit[0]),
            scenario,
            describe=f"{mapped.id_arg}={{!r}}".format,
            examples=ctx.examples if strings else 1,
            explicit=explicit,
        )
        unsettled = found.unsettled(ctx, "paths", subject)
        if unsettled is not None:
            unsettled.tool = mapped.name
            checks.append(unsettled)
            continue
        if strings:
            detail = (
                f"{len(tally.seen)} ids with dots, slashes, '?', '#' or '%': {tally.sent} sent as one "
                f"escaped segment of {prefixes[-1]}, {tally.refused} refused before Halo"
            )
        else:
            detail = f"its schema takes a number: the ids {', '.join(map(repr, explicit))} were " + (
                "refused before Halo" if not tally.sent else f"refused or sent safely ({tally.sent} sent)"
            )
        checks.append(ctx.check("paths", subject, "passed", detail, tool=mapped.name))
    if not checks:
        checks.append(ctx.check("paths", "by-id tools", "skipped", "no get, update or delete tool"))
    return checks


def _constant(value: str) -> Any:
    from hypothesis import strategies as st

    return st.just(value)
