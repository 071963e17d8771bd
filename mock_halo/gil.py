"""`pause()` and `paced(items)`: long loops of the store (big batches, snapshot export and restore, tenant generation)
run in worker threads, and a thread busy with Python code keeps the GIL for up to Python's switch
interval (5 ms) every time the event loop's thread wants it back, which it does after each socket
call: a request served meanwhile waits tens to hundreds of milliseconds. Called once per item, a
worker thread gives the GIL away once `SLICE` seconds of work have passed since it last did
(``time.sleep(0)`` releases it), so the event loop waits at most about that long per socket call,
whatever an item costs. On the main thread it does nothing.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Iterator
from typing import TypeVar

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
