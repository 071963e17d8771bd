"""`halo-sandbox verify` works from a plain `pip install .`: every module it can import, at any depth
and inside any function, comes from the standard library, from this package, or from a
distribution the package's main dependencies ([project].dependencies) install; nothing only an
extra (`[test]`, `[lint]`) brings in."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "halo_sandbox"


def _name(requirement: str) -> str:
    return re.split(r"[\s\[<>=!~;(]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def _main_dependencies() -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return {_name(r) for r in project["dependencies"]}


def _installed_closure(names: set[str]) -> set[str]:
    """The distributions the given ones install (their requirements without extras, transitively)."""
    seen: set[str] = set()
    todo = list(names)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = importlib.metadata.requires(name) or []
        except importlib.metadata.PackageNotFoundError:
            continue
        for requirement in requires:
            if "extra ==" in requirement.replace('extra=="', 'extra == "'):
                continue
            todo.append(_name(requirement))
    return seen


def _module_file(module: str) -> Path | None:
    parts = module.split(".")[1:]
    base = PACKAGE.joinpath(*parts)
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


def _imports(path: Path) -> set[str]:
    """Every module `path` imports, at module level or inside functions."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def _third_party_imports_of(roots: list[str]) -> dict[str, str]:
    """Top-level third-party module -> the first of this package's modules importing it."""
    todo = list(roots)
    seen: set[str] = set()
    third: dict[str, str] = {}
    while todo:
        module = todo.pop()
        if module in seen:
            continue
        seen.add(module)
        path = _module_file(module)
        if path is None:
            continue
        if path.name == "__init__.py" and module.count(".") >= 1:
            todo += [f"{module}.{p.stem}" for p in path.parent.glob("*.py") if p.stem != "__init__"]
        for name in _imports(path):
            top = name.split(".")[0]
            if top == "halo_sandbox":
                todo.append(name)
            elif top not in sys.stdlib_module_names and top != "__future__":
                third.setdefault(top, module)
    return third


def test_verify_imports_only_what_the_main_dependencies_install():
    third = _third_party_imports_of(["halo_sandbox.verify", "halo_sandbox.cli"])
    assert {"hypothesis", "hypothesis_jsonschema", "mcp", "jsonschema"} <= set(third), third
    installed = _installed_closure(_main_dependencies())
    distributions = importlib.metadata.packages_distributions()
    missing = {
        module: (by, distributions.get(module))
        for module, by in third.items()
        if not {_name(d) for d in distributions.get(module, [module])} & installed
    }
    assert not missing, (
        f"imported by verify but installed only by an extra (or not at all): {missing}; "
        "add them to [project].dependencies"
    )


@pytest.mark.parametrize("name", ["hypothesis", "hypothesis-jsonschema"])
def test_the_test_extra_pins_what_the_main_dependencies_pin(name):
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    main = [r for r in project["dependencies"] if _name(r) == name]
    test = [r for r in project["optional-dependencies"]["test"] if _name(r) == name]
    assert main, f"{name} is not a main dependency"
    assert not test or test == main, f"[test] pins {test}, the main dependencies {main}"
