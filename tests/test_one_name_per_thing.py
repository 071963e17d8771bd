"""One name per thing: across the installed package (`halo_sandbox`, through its links to `server/`,
`mock_halo/` and `fixtures/`), no two modules share a file name, no two public classes, type aliases
or module constants share a name, and no class is given a second name (``ProvisioningError =
SandboxError``). An editor's "go to file" and `git grep` then land on the one thing meant.

A feature package's entry points keep their role names (`cli.py`, `routes.py`, `__init__.py`): their
package says whose they are.
"""

from __future__ import annotations

import ast
import os
from collections import defaultdict
from pathlib import Path

import halo_sandbox

ROOT = Path(halo_sandbox.__file__).parent
ROLE_MODULES = {"__init__.py", "cli.py", "routes.py"}


def _modules() -> list[Path]:
    """Every module of the package, following its links (the wheel holds the same files)."""
    found = []
    for folder, dirs, files in os.walk(ROOT, followlinks=True):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        found += [Path(folder) / f for f in files if f.endswith(".py")]
    return sorted(found)


def _shown(paths: list[Path]) -> list[str]:
    return [str(p.relative_to(ROOT)) for p in paths]


def _public_names(path: Path) -> list[tuple[str, str]]:
    """``(kind, name)`` of what the module defines at its top level for others to import: classes,
    class aliases and type aliases (``Name = Other``), constants (``NAME = ...``)."""
    names = []
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            names.append(("class", node.name))
            continue
        targets = (
            node.targets
            if isinstance(node, ast.Assign)
            else [node.target]
            if isinstance(node, ast.AnnAssign)
            else []
        )
        for target in targets:
            if not isinstance(target, ast.Name) or target.id.startswith("_") or target.id == "__all__":
                continue
            if target.id.isupper():
                names.append(("constant", target.id))
            elif target.id[:1].isupper():
                names.append(("alias", target.id))
    return names


def test_no_two_modules_share_a_file_name():
    by_name: dict[str, list[Path]] = defaultdict(list)
    for path in _modules():
        if path.name not in ROLE_MODULES:
            by_name[path.name].append(path)
    shared = {name: _shown(paths) for name, paths in by_name.items() if len(paths) > 1}
    assert shared == {}


def test_no_module_is_named_like_a_package():
    packages = {path.parent.name for path in _modules() if path.name == "__init__.py"}
    clashes = [str(p.relative_to(ROOT)) for p in _modules() if p.stem in packages]  # testing/mock.py
    assert clashes == []


def test_no_two_public_classes_aliases_or_constants_share_a_name():
    by_name: dict[str, list[str]] = defaultdict(list)
    for path in _modules():
        for kind, name in _public_names(path):
            by_name[name].append(f"{path.relative_to(ROOT)} ({kind})")
    shared = {name: where for name, where in by_name.items() if len(where) > 1}
    assert shared == {}


def test_no_class_has_a_second_name():
    aliases = []
    for path in _modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        classes = {n.name for n in ast.walk(tree) if isinstance(n, ast.ClassDef)}
        imported = {a.asname or a.name for n in tree.body if isinstance(n, ast.ImportFrom) for a in n.names}
        for node in tree.body:
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Name):
                value = node.value.id
                if value[:1].isupper() and (value in classes or value in imported) and value != "Any":
                    aliases.append(f"{path.relative_to(ROOT)}: {ast.unparse(node)}")
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("halo_sandbox"):
                aliases += [
                    f"{path.relative_to(ROOT)}: {a.name} as {a.asname}"
                    for a in node.names
                    if a.asname and a.asname != a.name and a.name[:1].isupper() and not a.name.isupper()
                ]
    assert aliases == []
