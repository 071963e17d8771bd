"""`retire(store)`: a store replaced by a reset or a restore, or whose tenant was deleted, freed a piece
at a time.

Dropping the last reference to a 100k-ticket store frees millions of objects in one go, holding the GIL
for 70 ms and more, on whichever thread let go last (the event loop's, when a request held it). A store
of `BIG` rows or more goes to one background thread instead, which waits until nobody else holds it
(requests that took it before the swap finish first; a caller that keeps it keeps it whole: after
`PATIENCE` tries it is let go as it is), then empties it a few hundred entries at a time, handing the
GIL over between them (`gil.drain`).
"""

from __future__ import annotations

import queue
import sys
import threading
import time
from typing import Any

BIG = 20_000
"""Rows (all tables) from which a store is freed in the background."""
GRACE = 0.2
PATIENCE = 300
"""Tries, `GRACE` seconds apart, for the other holders of a retired store to let it go."""

_retired: queue.SimpleQueue[Any] = queue.SimpleQueue()
_worker: list[threading.Thread] = []
_start = threading.Lock()


def retire(store: Any) -> None:
    """Let ``store`` go (the caller keeps no reference): a small one now, a big one piece by piece in
    the background."""
    size = getattr(
        store, "size", None
    )  # a registry may hold another store class (TenantRegistry(store_class=))
    if size is None or size() < BIG:
        return
    _retired.put(store)
    with _start:
        if not _worker:
            _worker.append(threading.Thread(target=_free_retired, name="retired stores", daemon=True))
            _worker[0].start()


def _free_retired() -> None:
    while True:
        store = _retired.get()
        for _ in range(PATIENCE):
            if sys.getrefcount(store) <= 2:  # this frame's name and the call's argument: nobody else's
                store.dismantle()
                break
            time.sleep(GRACE)
        del store
