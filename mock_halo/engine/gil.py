"""`pause()`, `paced(items)` and `heavy()`: long loops of the store (big batches, snapshot export and
restore, tenant generation)
run in worker threads, and a thread busy with Python code keeps the GIL for up to Python's switch
interval (5 ms) every time the event loop's thread wants it back, which it does after each socket
call: a request served meanwhile waits tens to hundreds of milliseconds. Called once per item, a
worker thread gives the GIL away once `SLICE` seconds of work have passed since it last did
(``time.sleep(0)`` releases it), so the event loop waits at most about that long per socket call,
whatever an item costs. On the main thread it does nothing.

`heavy()` goes around such an operation: the cycle collector makes no automatic pass meanwhile. A
full pass holds the GIL while it walks every tracked object, and building a 100k-ticket tenant
set off one every second or two, each longer than the last (0.1 s, then 0.2-0.4 s, once 10 s on a
loaded machine): every client waited. In a served process (`freeze_after_heavy_work`, set by
the CLI's servers) what a big operation built (`FREEZE_MIN` tracked objects or more) is frozen
after it (``gc.freeze``), so later passes do not walk a tenant's rows either; the store has no
reference cycles, so frozen rows are still freed when a store is replaced. A cycle alive at that
moment is never collected, hence the threshold (small snapshots and restores, as a test suite
makes many, freeze nothing) and tests and scripts that embed the mock leave it off.
"""

from __future__ import annotations

import contextlib
import gc
import threading
import time
from collections.abc import Iterable, Iterator
from typing import Any, TypeVar

_T = TypeVar("_T")

SLICE = 0.0005
"""Seconds of work a worker thread does before it offers the GIL again."""
_MAIN = threading.main_thread()
_clock = time.perf_counter
_last = [0.0]


def pause() -> None:
    """Let other threads run when `SLICE` has passed since the last hand-off (off the main thread)."""
    now = _clock()
    if now - _last[0] >= SLICE and threading.current_thread() is not _MAIN:
        time.sleep(0)
        _last[0] = _clock()


def paced(items: Iterable[_T]) -> Iterator[_T]:
    """``items``, with a `pause()` before each (for comprehensions over many rows)."""
    for item in items:
        pause()
        yield item


FREEZE_MIN = 20_000
"""Tracked objects a heavy operation must have added (net) for its end to freeze the heap (a 20 MiB batch of
tickets adds about 46,000, a default tenant about 4,000)."""
_heavy = {"running": 0, "reenable": False, "freeze": False}
_heavy_lock = threading.Lock()


def freeze_after_heavy_work() -> None:
    """From now on, `heavy` freezes what is alive when the last heavy operation ends, if it added
    `FREEZE_MIN` tracked objects (served processes)."""
    _heavy["freeze"] = True


@contextlib.contextmanager
def heavy() -> Iterator[None]:
    """No automatic pass of the cycle collector while this (or another heavy operation) runs."""
    with _heavy_lock:
        _heavy["running"] += 1
        if _heavy["running"] == 1:
            _heavy["reenable"] = gc.isenabled()
            gc.disable()
    try:
        yield
    finally:
        with _heavy_lock:
            _heavy["running"] -= 1
            if _heavy["running"] == 0:
                if _heavy["freeze"] and gc.get_count()[0] >= FREEZE_MIN:  # net new tracked objects
                    gc.freeze()
                if _heavy["reenable"]:
                    gc.enable()


def drain(container: dict[Any, Any] | list[Any], *, block: int = 256) -> None:
    """Empty ``container`` ``block`` entries at a time with a `pause()` between (freeing a big dict or
    list in one go holds the GIL for as long as freeing all it holds takes)."""
    while container:
        pause()
        if isinstance(container, dict):
            for _ in range(min(block, len(container))):
                container.popitem()
        else:
            del container[-block:]
