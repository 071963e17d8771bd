"""The seeded defects of `nox -s mutation` (mutation/defects.py) still apply to `server/`: each one's
code occurs exactly once in its file, and the patched file is still Python. A refactor of `server/`
that moves such code fails here, not silently in the mutation session."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from mutation.defects import DEFECTS

SERVER = Path(__file__).resolve().parent.parent / "server"


def test_defect_names_are_unique():
    names = [d.name for d in DEFECTS]
    assert len(names) == len(set(names))
    assert 20 <= len(names) <= 40


@pytest.mark.parametrize("defect", DEFECTS, ids=lambda d: d.name)
def test_each_defect_applies_once_and_parses(defect):
    text = (SERVER / defect.file).read_text(encoding="utf-8")
    assert text.count(defect.old) == 1, f"{defect.name}: update mutation/defects.py to the new code"
    mutated = text.replace(defect.old, defect.new)
    assert mutated != text
    ast.parse(mutated)
