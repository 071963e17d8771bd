"""`pause()` and `paced(items)`: long loops of the store (big batches, snapshot export and restore, tenant generation)
run in worker threads, and a thread busy with Python code keeps the GIL for up to Python's switch
interval (5 ms) every time the event loop's thread wants it back, which it does after each socket
call: a request served meanwhile waits tens to hundreds of milliseconds. Called once per item, a
worker thread gives the GIL away every few items (``time.sleep(0)`` releases it), so the event
loop runs within about a millisecond. On the main thread it does nothing.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterable, Iterator
from typing import TypeVar

_T = TypeVar("_T")

EVERY = 16
_count = itertools.count()
_MAIN = threading.main_thread()


def pause() -> None:
    """Let other threads run now and then (every `EVERY` calls) when called off the main thread."""
    if next(_count) % EVERY == 0 and threading.current_thread() is not _MAIN:
        time.sleep(0)


def paced(items: Iterable[_T]) -> Iterator[_T]:
    """``items``, with a `pause()` before each (for comprehensions over many rows)."""
    for item in items:
        pause()
        yield item
