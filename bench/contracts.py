"""Contracts: wall time of `nox -s contracts` (target <= 120 s on 2 cores), reusing nox's virtualenv
(`-R`: no reinstall) when it exists; otherwise the same pytest command in this interpreter's venv."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench._support import report, verdict

TARGET_S = 120.0
ROOT = Path(__file__).resolve().parent.parent


def run(*, quick: bool = False) -> dict[str, Any]:
    nox = shutil.which("nox") or str(Path(sys.executable).parent / "nox")
    if (ROOT / ".nox" / "contracts").is_dir() and Path(nox).exists():
        command = [nox, "-R", "-s", "contracts"]
    else:
        # as `nox -s contracts` runs it: the official document's check is `nox -s official`
        command = [
            sys.executable,
            "-m",
            "pytest",
            "contracts",
            "-p",
            "no:cacheprovider",
            "-q",
            "--ignore",
            "contracts/test_official_document.py",
        ]
    start = time.perf_counter()
    completed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    tail = (completed.stdout + completed.stderr).strip().splitlines()[-1:] or [""]
    rows = [
        (
            " ".join(Path(command[0]).name if i == 0 else part for i, part in enumerate(command)),
            f"{elapsed:.1f} s",
            verdict(elapsed, TARGET_S) if completed.returncode == 0 else "[red]suite failed[/red]",
            f"exit {completed.returncode}: {tail[0][:80]}",
        )
    ]
    return report(
        "contracts",
        f"Contracts suite (target <= {TARGET_S:g} s)",
        ["command", "wall", "target", "outcome"],
        rows,
        {"wall_s": elapsed, "exit_code": completed.returncode, "command": command[1:]},
    )
