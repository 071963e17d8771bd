"""Consumer contract, tool schemas: arguments generated from each tool's `inputSchema` are accepted
by the server's validator; every request the executor then sends upstream is one the mock's OpenAPI
declares (path, method, query names and types, body); every successful result validates against the
tool's `outputSchema`. Arguments outside the schema are refused before any upstream request."""

from __future__ import annotations

import json
import uuid
from urllib.parse import unquote

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema
from jsonschema import Draft202012Validator

from contracts._shared import ALL_TOOLS, TOOLS
from contracts.provider_document import check_request, free_object_arrays

_PRE_UPSTREAM = {"invalid_arguments", "invalid_cursor", "file_access_denied"}
_SCHEMA_REFUSALS = ("unknown argument", "argument '", "is required", "is not valid under", "is not of type")


@pytest.fixture(scope="module")
def tenant() -> str:
    return f"contracts-tools-{uuid.uuid4().hex[:8]}"


@pytest.mark.parametrize("tool", TOOLS, ids=lambda t: t.name)
@settings(max_examples=6)
@given(data=st.data())
def test_generated_arguments_make_only_declared_requests(tool, env, data):
    transport, call, _ = env
    args = data.draw(from_schema(tool.input_schema), label="arguments")
    before = len(transport.api_requests)
    result = call(tool.name, args)
    sent = transport.api_requests[before:]
    error = (result.structured_content or {}).get("error") if result.is_error else None
    if error and error["code"] in _PRE_UPSTREAM:
        assert not any(m in error["message"] for m in _SCHEMA_REFUSALS), (
            f"schema-valid arguments refused: {error}"
        )
        assert sent == [], "a call refused before Halo still reached Halo"
        return
    assert sent, result
    if tool.method != "lookup":
        assert len(sent) == 1, [f"{r.method} {r.url}" for r in sent]
    for request in sent:
        check_request(
            request,
            resource=tool.resource,
            method=tool.method,
            generated=tool.entry is not None and tool.entry.generated,
            untyped=free_object_arrays(tool.input_schema)
            if tool.entry is not None and tool.entry.generated
            else frozenset(),
        )
    if tool.method != "lookup":
        lost = sorted(set(args) - _NOT_FORWARDED - _forwarded(sent[0], args))
        assert not lost, f"{tool.name}: arguments {lost} never reached Halo ({sent[0].method} {sent[0].url})"
    if error:
        assert error["status"] is not None and 400 <= error["status"] < 500, (
            f"the mock failed on our request: {error}"
        )
    else:
        errors = list(Draft202012Validator(tool.tool.output_schema).iter_errors(result.structured_content))
        assert not errors, f"result does not fit outputSchema: {errors[0].message}"


_NOT_FORWARDED = {
    *("limit", "next_cursor", "content_base64", "content_text", "file_path"),
    *("result_fields", "full_result"),
}
"""Arguments that reach Halo under another name: paging (`page_size`, `page_no`, or a slice the server
makes) and an attachment's content (`data_base64`); or not at all: `result_fields` and `full_result`
shape the answer the server gives (which fields of Halo's records it keeps)."""


def _forwarded(request: httpx.Request, args: dict) -> set[str]:
    """The argument names a request carries: query names, `id` when the path ends in it, body fields."""
    names = set(request.url.params.keys())
    record_id = args.get("id")
    if isinstance(record_id, float) and record_id.is_integer():
        record_id = int(record_id)
    if "id" in args and unquote(request.url.raw_path.decode().split("?")[0].rsplit("/", 1)[-1]) == str(
        record_id
    ):
        names.add("id")
    try:
        body = json.loads(request.content or b"null")
    except ValueError:
        body = None
    for item in body if isinstance(body, list) else [body]:
        if isinstance(item, dict):
            names |= set(item)
    return names


@pytest.mark.parametrize("tool", [t for t in TOOLS if t.method == "create"], ids=lambda t: t.name)
@settings(max_examples=4)
@given(data=st.data())
def test_a_create_answers_the_new_records_id(tool, env, data):
    """The caller needs the id of what it created (to read, update or delete it)."""
    _, call, _ = env
    args = data.draw(from_schema(tool.input_schema), label="arguments")
    args.pop("id", None)
    result = call(tool.name, args)
    if result.is_error:
        return  # refused (by the server or Halo): nothing was created
    saved = result.structured_content["result"]
    assert isinstance(saved, dict) and saved.get("id") not in (None, "", 0), (
        f"{tool.name} created a record but did not answer its id: {str(saved)[:200]}"
    )


def _wrong_type(schema: dict) -> st.SearchStrategy:
    wrong = {
        "integer": st.text(max_size=3),
        "number": st.text(max_size=3),
        "string": st.integers(),
        "boolean": st.integers(2, 9),
        "array": st.integers(),
        "object": st.text(max_size=3),
    }
    return wrong.get(schema.get("type"), st.just(object))


@pytest.mark.parametrize("tool", TOOLS, ids=lambda t: t.name)
@settings(max_examples=4)
@given(data=st.data())
def test_arguments_outside_the_schema_never_reach_halo(tool, env, data):
    transport, call, _ = env
    schema = tool.input_schema
    args = data.draw(from_schema(schema), label="valid arguments")
    props = schema.get("properties", {})
    typed = [name for name, p in props.items() if isinstance(p.get("type"), str)]
    if typed and data.draw(st.booleans(), label="wrong type (else unknown name)"):
        name = data.draw(st.sampled_from(typed), label="argument")
        args[name] = data.draw(_wrong_type(props[name]), label="wrong value")
    else:
        unknown = data.draw(
            st.text("abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=12).filter(lambda n: n not in props),
            label="unknown name",
        )
        args[unknown] = 1
    before = len(transport.api_requests)
    result = call(tool.name, args)
    assert result.is_error and result.structured_content["error"]["code"] == "invalid_arguments", result
    assert transport.api_requests[before:] == []


def test_generated_tools_leave_documented_items_untyped():
    # The known gap `free_object_arrays` exempts: Halo's document types AiSuggestion's
    # condition_entities as KeyPair4 items ({id, name}); the generated tool still takes free objects.
    # Once the generator types such items, this fails and the exemption goes with it.
    from halo_sandbox.mock.domain.facts import facts

    official = facts()["schemas"]
    assert official["AiSuggestion"]["condition_entities"] == "array<ref:KeyPair4>"
    assert set(official["KeyPair4"]) == {"id", "name"}
    [tool] = [t for t in ALL_TOOLS if t.name == "create_a_halo_itsm_ai_suggestion"]
    assert "condition_entities" in free_object_arrays(tool.input_schema)
