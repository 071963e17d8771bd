"""The paths property's judgement of one request (`judge_request`), on the requests a server makes
for a by-id call. Halo's official document declares the record paths with the id as a path
parameter, one segment (``GET /Priority/{id}``, ``id`` in path, type string); RFC 3986 section 5.2.4
has every HTTP client remove dot segments before it sends, so an id pasted in unescaped leaves that
segment: ``/api/Priority/..`` is sent as ``/api``, ``/api/Priority/.`` as the collection,
``/api/Tickets/0/../45001`` as ticket 45001. Whole verify runs (our server passing, a server with
the bug failing) are in test_verify.py."""

from __future__ import annotations

import httpx
import pytest

from halo_sandbox.verify.properties.paths import _accepts_string, _resolved, judge_request, one_segment
from halo_sandbox.verify.served_mock import Exchange

PRIORITY = ["/api/Priority"]


def sent(path: str, method: str = "GET") -> Exchange:
    """The request an HTTP client sends for ``path`` (dot segments removed, escapes kept)."""
    raw = httpx.Client(base_url="http://halo.test").build_request(method, path).url.raw_path.decode()
    path_part, _, query = raw.partition("?")
    return Exchange(
        seq=1,
        method=method,
        path=path_part,
        query=query,
        status=200,
        request_body=b"",
        response_body=b"",
        raw_path=path_part,
    )


@pytest.mark.parametrize(
    ("pasted", "value", "says"),
    [
        ("/api/Priority/..", "..", "GET /api reached the API's root"),
        ("/api/Priority/.", ".", "GET /api/Priority reached the collection, not the record"),
        ("/api/Priority/./", "./", "GET /api/Priority/ reached the collection, not the record"),
        ("/api/Priority/../..", "../..", "GET / reached a path outside Halo's API"),
        ("/api/Tickets/0/../45001", "0/../45001", "reached another record (Halo reads the id as '45001')"),
        ("/api/Priority/%2e%2e", "%2e%2e", "reached another record (Halo reads the id as '..')"),
        ("/api/Priority/a?b=1", "a?b=1", "reached another record (Halo reads the id as 'a')"),
        ("/api/Priority/a#b", "a#b", "reached another record (Halo reads the id as 'a')"),
        ("/api/Priority/a/b", "a/b", "split the id into 2 path segments"),
        ("/api/Priority/..%2F..", "..%2F..", "reached another record (Halo reads the id as '../..')"),
        ("/api/Priority/100%", "100%", "sent a bare '%'"),
        ("/api/Priority/../Client/1", "../Client/1", "GET /api/Client/1 reached another resource"),
    ],
)
def test_an_id_pasted_into_the_path_unescaped_is_named_where_it_went(pasted, value, says):
    prefixes = ["/api/Tickets"] if "Tickets" in pasted else PRIORITY
    why = judge_request(sent(pasted), value, prefixes, write_to_collection=False)
    assert why is not None and says in why, why


@pytest.mark.parametrize(
    ("escaped", "value"),
    [
        ("/api/Priority/%2E%2E", ".."),  # this project's server: a bare dot segment as %2E
        ("/api/Priority/%2E", "."),
        ("/api/Priority/.%2F", "./"),
        ("/api/Priority/%252e%252e", "%2e%2e"),
        ("/api/Priority/a%2Fb", "a/b"),
        ("/api/Priority/a%3Fb%3D1", "a?b=1"),
        ("/api/Priority/a%23b", "a#b"),
        ("/api/Priority/100%25", "100%"),
        ("/api/priority/%2e%2e", ".."),  # Halo's paths are case-insensitive; escapes in either case
        ("/api/Priority/0%2F..%2F45001", "0/../45001"),
    ],
)
def test_an_id_sent_as_one_escaped_segment_passes(escaped, value):
    assert judge_request(sent(escaped), value, PRIORITY, write_to_collection=False) is None
    # and what a failure names as expected is such a segment
    ours = sent(f"/api/Priority/{one_segment(value)}")
    assert judge_request(ours, value, PRIORITY, write_to_collection=False) is None


def test_an_update_may_post_the_record_to_the_collection_but_not_read_it():
    """Halo's update is ``POST /Tickets`` with the record (its id in the body)."""
    assert (
        judge_request(sent("/api/Tickets", "POST"), "..", ["/api/Tickets"], write_to_collection=True) is None
    )
    why = judge_request(sent("/api/Tickets/.", "GET"), ".", ["/api/Tickets"], write_to_collection=True)
    assert why is not None and "reached the collection" in why


def test_the_id_as_one_query_value_of_the_collection_is_still_the_one_id():
    """A get that looks the record up by a query parameter keeps the id whole (escaped in the query)."""
    request = sent("/api/Priority?id=..%2F..&includedetails=true")
    assert judge_request(request, "../..", PRIORITY, write_to_collection=False) is None
    why = judge_request(sent("/api/Priority/.?includedetails=true"), ".", PRIORITY, write_to_collection=False)
    assert why is not None and "reached the collection" in why


def test_requests_that_have_nothing_to_do_with_the_id_are_not_judged():
    """A get of an action may read its ticket first; the token request is not Halo's API."""
    assert (
        judge_request(sent("/api/Tickets/45920"), "..", ["/api/Actions"], write_to_collection=False) is None
    )
    assert judge_request(sent("/auth/token", "POST"), "..", PRIORITY, write_to_collection=False) is None


def test_dot_segments_resolve_as_an_http_client_resolves_them():
    for path in ("/api/Priority/..", "/api/Priority/.", "/api/Tickets/0/../45001", "/api/Priority/../.."):
        assert _resolved(path).rstrip("/") == sent(path).raw_path.rstrip("/"), path


def test_which_id_schemas_let_a_string_through():
    assert _accepts_string({"type": "string", "minLength": 1})
    assert _accepts_string({"type": ["integer", "string"]})
    assert _accepts_string({"anyOf": [{"type": "integer"}, {"type": "string"}]})
    assert _accepts_string({"description": "the id"})  # untyped
    assert not _accepts_string({"type": "integer", "minimum": 1})
    assert not _accepts_string({"anyOf": [{"type": "integer"}, {"type": "null"}]})
    assert not _accepts_string({"enum": [1, 2]})
