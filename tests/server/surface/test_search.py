"""Discovery search finds the tool an agent names: for every resource of the curated and the breadth
catalogue, its own name (plural or singular, as words) puts its list tool in the top three, and an
unknown tool name gets the closest names (and, for a breadth tool on a curated server, how to enable
it)."""

from __future__ import annotations

import pytest

from halo_sandbox.server.catalogue import CATALOGUE
from halo_sandbox.server.executor import Executor
from halo_sandbox.server.generated import generated_catalogue
from halo_sandbox.server.surface.tools import ToolSurface
from halo_sandbox.server.tool_specs import generate_tools
from halo_sandbox.server.upstream import HaloClient

pytestmark = pytest.mark.anyio


@pytest.fixture
async def halo():
    client = HaloClient(base_url="http://halo.test", client_id="cid", client_secret="secret")
    yield client
    await client.aclose()


def _surface(halo: HaloClient, *, breadth: bool) -> ToolSurface:
    return ToolSurface(Executor(halo=halo, tools=generate_tools(breadth=breadth)), exposure="discovery")


async def _top(surface: ToolSurface, query: str, limit: int = 3) -> list[str]:
    result = await surface.call("search_halo_itsm_tools", {"query": query, "limit": limit})
    assert not result.is_error, result.content[0].text
    return [r["name"] for r in result.structured_content["result"]]


async def test_every_resources_list_tool_is_in_the_top_three_for_its_own_name(halo):
    surface = _surface(halo, breadth=True)
    entries = [*CATALOGUE.values(), *generated_catalogue().values()]
    misses = []
    for entry in entries:
        if "list" not in entry.methods:
            continue
        wanted = f"list_all_halo_itsm_{entry.plural}"
        for query in {entry.plural.replace("_", " "), entry.singular.replace("_", " ")}:
            if wanted not in await _top(surface, query):
                misses.append((query, wanted))
    assert len(entries) > 200 and not misses, misses[:10]


async def test_supplier_and_suppliers_find_the_supplier_list_first(halo):
    surface = _surface(halo, breadth=True)
    for query in ("supplier", "suppliers", "Suppliers"):
        top = await _top(surface, query, limit=5)
        assert top[0] == "list_all_halo_itsm_suppliers", (query, top)
        # then the resource's own operations, before related resources (item suppliers)
        assert top[1:3] == ["get_single_halo_itsm_supplier_by_id", "create_a_halo_itsm_supplier"]


async def test_an_unknown_tool_names_the_closest_tools(halo):
    surface = _surface(halo, breadth=True)
    result = await surface.call("list_all_halo_itsm_supplier", {})
    error = result.structured_content["error"]
    assert error["code"] == "unknown_tool"
    assert "Closest: list_all_halo_itsm_suppliers" in error["message"]
    assert "breadth" not in error["message"]  # this server has the breadth catalogue


async def test_a_breadth_tool_on_a_curated_server_says_how_to_enable_it(halo):
    surface = _surface(halo, breadth=False)
    for call in (
        surface.call("list_all_halo_itsm_suppliers", {}),
        surface.call("call_halo_itsm_tool", {"name": "list_all_halo_itsm_suppliers"}),
    ):
        error = (await call).structured_content["error"]
        assert error["code"] == "unknown_tool" and "--breadth" in error["message"], error
    nonsense = (await surface.call("zzz_no_such_tool", {})).structured_content["error"]["message"]
    assert nonsense == "Unknown tool: zzz_no_such_tool."
