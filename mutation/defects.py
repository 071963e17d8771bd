"""The seeded defects: each a small, plausible source patch to `server/` (a bug a careful engineer
could write and a reviewer could miss), named and described.

A defect is applied to a temporary copy of the package by replacing `old` with `new` in `file`
(relative to `server/`); `old` must occur exactly once, so a defect whose code has moved on fails
loudly (`StaleDefect`) instead of silently testing the unmutated server.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DEFECTS", "Defect"]


@dataclass(frozen=True, kw_only=True)
class Defect:
    name: str
    file: str
    old: str
    new: str
    what: str


def _d(name: str, file: str, old: str, new: str, what: str) -> Defect:
    return Defect(name=name, file=file, old=old, new=new, what=what)


DEFECTS: tuple[Defect, ...] = (
    # -- retries, authentication ----------------------------------------------------------------
    _d(
        "retry-429",
        "upstream.py",
        "        if response.status_code == 401:\n",
        "        if response.status_code in (401, 429):\n",
        "a 429 is treated like an expired token: re-authenticate and resend at once",
    ),
    _d(
        "retry-5xx",
        "upstream.py",
        "            response = await self._send(method, path, token, params, json, headers)\n        return",
        "            response = await self._send(method, path, token, params, json, headers)\n"
        "        if response.status_code >= 500:  # transient: one more try\n"
        "            response = await self._send(method, path, token, params, json, headers)\n"
        "        return",
        "every request (POSTs included) is resent once after a 5xx: writes can duplicate",
    ),
    _d(
        "refresh-loop",
        "upstream.py",
        "        if response.status_code == 401:\n",
        "        while response.status_code == 401:\n",
        "re-authenticates and replays for as long as Halo answers 401 (revoked credentials loop)",
    ),
    _d(
        "no-reauth",
        "upstream.py",
        "        if response.status_code == 401:\n",
        "        if response.status_code == 401 and not token:\n",
        "an expired token is not refreshed: the 401 goes back to the caller",
    ),
    _d(
        "stale-token-reused",
        "upstream.py",
        "            token = await self._access_token(stale=token)\n",
        "            token = await self._access_token()\n",
        "after a 401 the cached token (still fresh by its own clock) is replayed instead of a new one",
    ),
    # -- error pass-through ---------------------------------------------------------------------
    _d(
        "message-generic",
        "upstream.py",
        "        for key in _MESSAGE_KEYS:\n",
        "        for key in _MESSAGE_KEYS[3:]:\n",
        "Halo's `message` key is not read: the error says 'Halo answered 404 Not Found' only",
    ),
    _d(
        "text-body-truncated",
        "upstream.py",
        '        return content.decode(response.encoding or "utf-8")\n',
        '        return content.decode(response.encoding or "utf-8")[:200]\n',
        "text error bodies are cut at 200 characters",
    ),
    _d(
        "status-5xx-as-502",
        "upstream.py",
        "        status=response.status_code,\n        body=body,\n        ratelimit=info.ratelimit,",
        "        status=502 if response.status_code >= 500 else response.status_code,\n"
        "        body=body,\n        ratelimit=info.ratelimit,",
        "every upstream 5xx is reported as 502 (a gateway's habit): Halo's status is lost",
    ),
    _d(
        "error-body-dropped",
        "results.py",
        '            "body": exc.body,\n',
        '            "body": None,\n',
        "the error keeps the message but drops Halo's body (field errors lost)",
    ),
    _d(
        "error-status-dropped",
        "results.py",
        '            "status": exc.status,\n',
        '            "status": exc.status if exc.status != 429 else None,\n',
        "a 429's status is not reported (the caller cannot tell rate limiting from other errors)",
    ),
    _d(
        "retry-after-dropped",
        "ratelimit.py",
        '    retry_after = _delta(headers.get("retry-after"), now)\n',
        "    retry_after = None\n",
        "Retry-After is never read",
    ),
    _d(
        "retry-after-date-ignored",
        "ratelimit.py",
        "    if value is None:\n        return _seconds_until_date(text, now)\n",
        "    if value is None:\n        return None\n",
        "Retry-After (and resets) given as an HTTP date are dropped",
    ),
    _d(
        "x-ratelimit-ignored",
        "ratelimit.py",
        '_FAMILIES = ("ratelimit-", "x-ratelimit-", "x-rate-limit-")',
        '_FAMILIES = ("ratelimit-",)',
        "only the IETF RateLimit-* headers are read; Halo's X-RateLimit-* are ignored",
    ),
    _d(
        "epoch-reset-as-delta",
        "ratelimit.py",
        "    elif value >= _EPOCH_THRESHOLD:\n        value = value - now\n",
        "",
        "a reset given as epoch seconds is passed on as a delta of ~1.7 billion seconds",
    ),
    # -- pagination and cursors -----------------------------------------------------------------
    _d(
        "unpaged-off-by-one",
        "executor.py",
        '            nxt = {"offset": offset + size, "size": size}',
        '            nxt = {"offset": offset + size + 1, "size": size}',
        "the sliced (unpaged) list skips one record at every page boundary",
    ),
    _d(
        "page-no-zero-based",
        "executor.py",
        '            query.update(pageinate="true", page_size=size, page_no=page)\n            response',
        '            query.update(pageinate="true", page_size=size, page_no=page - 1)\n            response',
        "Halo's page_no is sent 0-based (Halo reads 0 as 1: the first page comes twice)",
    ),
    _d(
        "more-at-exact-multiple",
        "executor.py",
        "            more = page * size < total if total is not None",
        "            more = page * size <= total if total is not None",
        "a total that is a multiple of the page size ends on a cursor to an empty page",
    ),
    _d(
        "record-count-ignored",
        "executor.py",
        "            more = page * size < total if total is not None else len(rows) >= size\n",
        "            more = len(rows) > size\n",
        "more pages only when a page is over-full: every list stops after its first page",
    ),
    _d(
        "limit-overrides-cursor",
        "executor.py",
        '            size = position.get("size", limit) if position else limit\n            page =',
        "            size = limit\n            page =",
        "a later call's `limit` replaces the cursor's page size: records are skipped or repeated",
    ),
    _d(
        "paging-param-name",
        "executor.py",
        '            query.update(pageinate="true", page_size=size, page_no=page)\n            response',
        '            query.update(pageinate="true", pagesize=size, page_no=page)\n            response',
        "`pagesize` instead of Halo's `page_size`: Halo pages by its default size",
    ),
    _d(
        "limit-above-cap",
        "tool_specs.py",
        "MAX_LIMIT = 100\n",
        "MAX_LIMIT = 500\n",
        "limit allowed above Halo's page-size cap (100): pages are clamped, traversal truncates",
    ),
    _d(
        "cursor-signature-unchecked",
        "cursor.py",
        "        if len(sig) != _SIG_BYTES or not hmac.compare_digest(sig, self._sign(payload)):\n",
        "        if len(sig) != _SIG_BYTES:\n",
        "only the signature's length is checked: an edited cursor is accepted",
    ),
    _d(
        "cursor-unsigned",
        "cursor.py",
        "        return hmac.new(self._secret, payload, hashlib.sha256).digest()[:_SIG_BYTES]\n",
        "        return hashlib.sha256(payload).digest()[:_SIG_BYTES]\n",
        "the 'signature' is a plain hash: anyone can forge a cursor",
    ),
    _d(
        "cursor-filters-unbound",
        "cursor.py",
        '        if data.get("f") != filters_hash(filters):\n',
        '        if not data.get("f"):\n',
        "a cursor is accepted with other filters than it was issued for",
    ),
    _d(
        "cursor-tool-unbound",
        "cursor.py",
        '        if data.get("t") != tool:\n',
        '        if not data.get("t"):\n',
        "a cursor of one list tool is accepted by another",
    ),
    # -- reads, filters -------------------------------------------------------------------------
    _d(
        "csv-filters-dropped",
        "executor.py",
        "        query = _query(entry.filters, filters)\n        if entry.pageable:",
        "        query = _query([p for p in entry.filters if not p.csv], filters)\n"
        "        if entry.pageable:",
        "array filters (several ids) are not forwarded: the list is not narrowed",
    ),
    _d(
        "filter-false-dropped",
        "executor.py",
        "    return {p.name: _query_value(p, args[p.name]) for p in params if p.name in args}\n",
        "    return {p.name: _query_value(p, args[p.name]) for p in params if args.get(p.name)}\n",
        "falsy filter values (0, false, '') are not forwarded",
    ),
    _d(
        "get-params-dropped",
        "executor.py",
        '            "GET", _record_path(entry, args["id"]), headers, params=_query(entry.get_params, args)\n'
        "        )\n        return _shaped",
        '            "GET", _record_path(entry, args["id"]), headers\n        )\n        return _shaped',
        "a get's query parameters (includedetails, ticket_id of an action) are not forwarded",
    ),
    _d(
        "envelope-first-list",
        "executor.py",
        "            if entry.list_key is not None and isinstance(body.get(entry.list_key), list):\n"
        "                return body[entry.list_key], total\n",
        "            if any(isinstance(v, list) for v in body.values()):\n"
        "                return next(v for v in body.values() if isinstance(v, list)), total\n",
        "the list reads the envelope's first array, not its documented key",
    ),
    _d(
        "id-dot-segments",
        "executor.py",
        "    return f\"{entry.path}/{'%2E' * len(segment) if segment in ('.', '..') else segment}\"\n",
        '    return f"{entry.path}/{segment}"\n',
        "a string id of `.` or `..` goes into the path unescaped: `/api/Priority/..` is `/api`, "
        "`/api/Priority/.` the collection (the bug of c7c7f03)",
    ),
    # -- writes ---------------------------------------------------------------------------------
    _d(
        "update-id-dropped",
        "executor.py",
        '        record = {k: v for k, v in args.items() if k in field_names or k == "id"}\n',
        "        record = {k: v for k, v in args.items() if k in field_names}\n",
        "the record id is not sent: every update creates a new record",
    ),
    _d(
        "update-id-optional",
        "tool_specs.py",
        '    if method == "update":\n        required.insert(0, "id")\n',
        "",
        "an update without `id` is accepted (and Halo's POST then creates)",
    ),
    _d(
        "create-echoes-arguments",
        "executor.py",
        "        return _shaped(entry, _single(body) if body is not None else record, args, response)\n",
        "        return _shaped(entry, record, args, response)\n",
        "a create answers with the arguments sent, not the record Halo saved (no id)",
    ),
    _d(
        "create-required-dropped",
        "catalogue.py",
        '        create_required=("name", "client_id"),\n',
        '        create_required=("name",),\n',
        "a site without client_id reaches Halo (which refuses it with 400)",
    ),
    _d(
        "attachment-padding-stripped",
        "executor.py",
        "            data_base64 = text\n",
        '            data_base64 = text.rstrip("=")\n',
        "uploads strip base64 padding: Halo stores other bytes",
    ),
    _d(
        "attachment-download-undecoded",
        "executor.py",
        "                data = base64.b64decode(encoded)\n",
        "                data = str(encoded).encode()\n",
        "downloads return Halo's base64 text instead of the file's bytes",
    ),
    # -- annotations ----------------------------------------------------------------------------
    _d(
        "delete-not-destructive",
        "tool_specs.py",
        '    "delete": (False, True, True),\n',
        '    "delete": (False, False, True),\n',
        "deletes are annotated non-destructive",
    ),
    _d(
        "update-not-destructive",
        "tool_specs.py",
        '    "update": (False, True, True),\n',
        '    "update": (False, False, True),\n',
        "updates are annotated non-destructive (they overwrite fields)",
    ),
    _d(
        "create-idempotent",
        "tool_specs.py",
        '    "create": (False, False, False),\n',
        '    "create": (False, False, True),\n',
        "creates are annotated idempotent (a client may then retry them: duplicates)",
    ),
    _d(
        "list-not-read-only",
        "tool_specs.py",
        '    "list": (True, False, True),\n',
        '    "list": (False, False, True),\n',
        "lists are not annotated read-only",
    ),
)
