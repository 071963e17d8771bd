"""Tool arguments are checked by a compiled validator first (`executor._valid`, jsonschema_rs) and
by `jsonschema` when it refuses: the compiled check must never accept what `jsonschema` refuses, and
must accept what the schemas allow (else it saves nothing)."""

from typing import Any

import jsonschema
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

from halo_sandbox.server.executor import _valid
from halo_sandbox.server.tool_specs import generate_tools

TOOLS = generate_tools(file_access=True, breadth=True)
SAMPLE = [t for t in TOOLS if not t.name.startswith(("get_", "delete_"))][::25] + [
    t
    for t in TOOLS
    if t.name in {"list_all_halo_itsm_tickets", "create_a_halo_itsm_ticket", "find_halo_itsm_ids"}
]

junk = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=20)
    | st.sampled_from([2**31, -(2**31) - 1, 1e308, "\ud800", ""]),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)


def _python_valid(spec: Any, args: dict[str, Any]) -> bool:
    return not any(jsonschema.Draft202012Validator(spec.tool.input_schema).iter_errors(args))


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data(), index=st.integers(min_value=0, max_value=len(SAMPLE) - 1))
def test_the_compiled_check_agrees_with_jsonschema_on_what_the_schema_allows(
    data: st.DataObject, index: int
) -> None:
    spec = SAMPLE[index]
    args = data.draw(from_schema(spec.tool.input_schema))
    assume(_python_valid(spec, args))  # hypothesis-jsonschema ignores `dependentRequired` (2019-09 and later)
    assert _valid({}, spec, args)


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    index=st.integers(min_value=0, max_value=len(SAMPLE) - 1),
    args=st.dictionaries(
        st.sampled_from(["id", "limit", "search", "client_id", "summary", "cursor", "extra"])
        | st.text(max_size=8),
        junk,
        max_size=5,
    ),
)
def test_the_compiled_check_never_accepts_what_jsonschema_refuses(index: int, args: dict[str, Any]) -> None:
    spec = SAMPLE[index]
    if _valid({}, spec, args):
        assert _python_valid(spec, args)
