"""`python -m mutation [--only NAME ...] [--jobs N] [--engine verify|contracts] [--no-baseline] [--json PATH]
[--list] [--keep]`: the kill rates of verify and of the contracts on the seeded defects of `server/`.

For each defect: copy the package (`src/halo_sandbox`, links resolved) into a temporary folder, patch
the copy, then, with `PYTHONPATH` pointing at it,

- **verify**: `python -m mutation.verify_one` (the contracts' verify run, `contracts.engine`: our
  server over stdio, started from the mutated copy); killed when any check fails;
- **contracts**: `pytest contracts -x` without the suites that never import the server
  (`test_provider.py`, `test_official_document.py`, `test_required_fields.py`: the mock
  alone) and without `test_verify.py`
  (the verify run just made: its verdict is counted for the contracts too, not run twice); killed
  when a test fails.

A run that times out counts as killed (a hang is caught: the harness notices it); a run that cannot
start, or a verify run that never reaches the server, is an error and counts as neither. The
unmutated copy runs first (the baseline): both engines must pass it, else no rate means anything.
Exit 0 when both rates reach `--goal` (80%), 1 otherwise, 2 when the baseline fails or a defect no
longer applies to the source.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from mutation.defects import DEFECTS, Defect

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "src" / "halo_sandbox"
MOCK_ONLY = (
    "contracts/test_provider.py",
    "contracts/test_official_document.py",
    "contracts/test_required_fields.py",
)
TIMEOUT = 1800.0
"""Seconds one engine may take on one defect before it counts as a hang (the contracts of a surviving
defect take one to two minutes on idle cores, several times that on busy ones; verify's calls time
out after 20 s each, so only a server that hangs a whole run comes near)."""


class StaleDefect(Exception):
    """A defect's `old` text does not occur exactly once in its file any more."""


@dataclass(kw_only=True)
class Outcome:
    defect: str
    engine: str
    verdict: str = "error"
    """killed | survived | timeout | error"""
    by: list[str] = field(default_factory=list)
    seconds: float = 0.0


def _copy(defect: Defect | None, into: Path) -> Path:
    root = into / "src"
    shutil.copytree(PACKAGE, root / "halo_sandbox")  # links followed: the copy is self-contained
    if defect is not None:
        path = root / "halo_sandbox" / "server" / defect.file
        text = path.read_text(encoding="utf-8")
        if text.count(defect.old) != 1:
            raise StaleDefect(
                f"{defect.name}: its code occurs {text.count(defect.old)} times in {defect.file}"
            )
        path.write_text(text.replace(defect.old, defect.new), encoding="utf-8")
    env = _env(root)
    found = subprocess.run(
        [sys.executable, "-c", "import halo_sandbox.server.executor as m; print(m.__file__)"],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if not Path(found).is_relative_to(root):
        raise RuntimeError(f"PYTHONPATH does not win: the server is imported from {found}, not {root}")
    return root


def _env(root: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(root), "PYTHONDONTWRITEBYTECODE": "1"}


def _run_verify(name: str, root: Path, scratch: Path) -> Outcome:
    out = scratch / "verify.json"
    outcome = Outcome(defect=name, engine="verify")
    proc = _timed([sys.executable, "-m", "mutation.verify_one", str(out)], root, outcome)
    if proc is None:
        return outcome
    if proc.returncode != 0 or not out.exists():
        outcome.by = [(proc.stderr or proc.stdout).strip().splitlines()[-1:][0][:200] if proc.stderr else "?"]
        return outcome
    data = json.loads(out.read_text())
    if not Path(data["package"]).is_relative_to(root):
        outcome.by = [f"verify ran {data['package']}, not the mutated copy"]
        return outcome
    if "error" in data:
        outcome.by = [data["error"].splitlines()[0][:200]]
        return outcome
    failed = data["failed"]
    outcome.verdict = "killed" if failed else "survived"
    outcome.by = sorted({f"{f['property']}: {f['detail'][:90]}" for f in failed})[:3]
    return outcome


def _timed(argv: list[str], root: Path, outcome: Outcome) -> subprocess.CompletedProcess[str] | None:
    """``argv`` run against the mutated copy at ``root``, its seconds kept in ``outcome``; None (and the
    verdict "timeout") when it outlasts `TIMEOUT`."""
    started = time.monotonic()
    try:
        return subprocess.run(argv, env=_env(root), cwd=REPO, capture_output=True, text=True, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        outcome.verdict = "timeout"
        return None
    finally:
        outcome.seconds = time.monotonic() - started


def _run_contracts(name: str, root: Path) -> Outcome:
    outcome = Outcome(defect=name, engine="contracts")
    ignores = [arg for path in MOCK_ONLY for arg in ("--ignore", path)]
    argv = [sys.executable, "-m", "pytest", "contracts", "-x", "-q", "-p", "no:cacheprovider", *ignores]
    proc = _timed([*argv, "--ignore", "contracts/test_verify.py"], root, outcome)
    if proc is None:
        return outcome
    failures = [
        line.split(" - ")[0].removeprefix("FAILED ").removeprefix("ERROR ")
        for line in proc.stdout.splitlines()
        if line.startswith(("FAILED ", "ERROR "))
    ]
    if proc.returncode == 0:
        outcome.verdict = "survived"
    elif proc.returncode == 1 and failures:
        outcome.verdict, outcome.by = "killed", failures[:3]
    else:
        outcome.by = [(proc.stdout + proc.stderr).strip().splitlines()[-1][:200]]
    return outcome


def _job(defect: Defect | None, engine: str) -> Outcome:
    name = defect.name if defect is not None else "(baseline)"
    with tempfile.TemporaryDirectory(prefix="halo-mutation-") as scratch:
        try:
            root = _copy(defect, Path(scratch))
        except StaleDefect as exc:
            return Outcome(defect=name, engine=engine, verdict="stale", by=[str(exc)])
        if engine == "verify":
            return _run_verify(name, root, Path(scratch))
        return _run_contracts(name, root)


def _rate(outcomes: Sequence[Outcome]) -> tuple[int, int]:
    counted = [o for o in outcomes if o.verdict in ("killed", "timeout", "survived")]
    return sum(o.verdict in ("killed", "timeout") for o in counted), len(counted)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mutation", description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="+", default=[], metavar="NAME", help="run only these defects")
    parser.add_argument("--engine", choices=("verify", "contracts"), action="append", help="default: both")
    parser.add_argument("--jobs", type=int, default=2, help="runs at once (default 2)")
    parser.add_argument("--no-baseline", action="store_true", help="skip the unmutated run")
    parser.add_argument("--goal", type=float, default=80.0, help="kill rate (percent) each engine must reach")
    parser.add_argument("--json", type=Path, help="write the outcomes here as JSON")
    parser.add_argument("--list", action="store_true", help="list the defects and exit")
    options = parser.parse_args(argv)
    known = {d.name: d for d in DEFECTS}
    if options.list:
        for d in DEFECTS:
            print(f"{d.name:32} server/{d.file:14} {d.what}")
        return 0
    unknown = [n for n in options.only if n not in known]
    if unknown:
        parser.error(f"unknown defect(s): {', '.join(unknown)}; see --list")
    if options.jobs < 1:
        parser.error("--jobs must be at least 1")
    defects = [known[n] for n in options.only] if options.only else list(DEFECTS)
    engines = options.engine or ["verify", "contracts"]
    plan: list[tuple[Defect | None, str]] = [] if options.no_baseline else [(None, e) for e in engines]
    plan += [(d, e) for d in defects for e in engines]
    started = time.monotonic()
    print(f"{len(defects)} defects x {len(engines)} engines, {options.jobs} at a time", flush=True)

    def run(item: tuple[Defect | None, str]) -> Outcome:
        outcome = _job(*item)
        print(
            f"  {outcome.defect:32} {outcome.engine:9} {outcome.verdict:8} {outcome.seconds:6.1f}s  "
            + "; ".join(outcome.by)[:150],
            flush=True,
        )
        return outcome

    with ThreadPoolExecutor(max_workers=options.jobs) as pool:
        outcomes = list(pool.map(run, plan))
    return _summary(outcomes, defects, engines, options, time.monotonic() - started)


def _summary(
    outcomes: list[Outcome],
    defects: list[Defect],
    engines: list[str],
    options: argparse.Namespace,
    took: float,
) -> int:
    by = {(o.defect, o.engine): o for o in outcomes}
    print(f"\n| defect | {' | '.join(engines)}{' | one engine' if len(engines) == 2 else ''} |")
    print("|---|" + "---|" * (len(engines) + (len(engines) == 2)))
    union: list[Outcome] = []
    for d in defects:
        cells = [by[(d.name, e)].verdict for e in engines]
        if len(engines) == 2:
            both = [by[(d.name, e)] for e in engines]
            killed = any(o.verdict in ("killed", "timeout") for o in both)
            counted = all(o.verdict in ("killed", "timeout", "survived") for o in both) or killed
            verdict = "killed" if killed else ("survived" if counted else "error")
            union.append(Outcome(defect=d.name, engine="one engine", verdict=verdict))
            cells.append(verdict)
        print(f"| `{d.name}` | " + " | ".join(cells) + " |")
    rates = {e: _rate([by[(d.name, e)] for d in defects]) for e in engines}
    if union:
        rates["one engine"] = _rate(union)
    print()
    for engine, (killed, total) in rates.items():
        percent = 100.0 * killed / total if total else 0.0
        print(f"{engine:10} killed {killed}/{total} ({percent:.0f}%)")
    print(f"({took:.0f} s)")
    if options.json is not None:
        options.json.write_text(json.dumps([o.__dict__ for o in outcomes], indent=1))
    baseline = [o for o in outcomes if o.defect == "(baseline)"]
    broken = [o for o in baseline if o.verdict != "survived"]
    stale = [o for o in outcomes if o.verdict == "stale"]
    errors = [o for o in outcomes if o.verdict == "error"]
    for o in broken:
        print(f"the baseline (no defect) does not pass {o.engine}: {'; '.join(o.by)}")
    for o in stale + errors:
        print(f"{o.defect} / {o.engine}: {o.verdict}: {'; '.join(o.by)}")
    if broken or stale:
        return 2
    low = [e for e in engines if rates[e][1] and 100.0 * rates[e][0] / rates[e][1] < options.goal]
    return 1 if low or errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
