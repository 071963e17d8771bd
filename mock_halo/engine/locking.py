"""`StoreLocks`: the store's two locks, and turns between a big batch's chunks and its readers.

``rows`` is held by everything that reads or changes rows and indexes, briefly; ``writing`` is held
by a write (or a snapshot) from its validation to its last commit, so writers run one at a time
and what a write validated still holds when it commits. A big batch commits in chunks, each under
``rows``; between chunks `hand_off` lets the threads waiting for ``rows`` in first (a lock is not
fair: the batch's thread, which holds the GIL when it releases the lock, would otherwise take it
again before a woken reader gets to run, and a reader could wait for the whole batch).

Lock order: ``writing`` before ``rows``, never the other way round.
"""

from __future__ import annotations

import collections
import threading
import time
from types import TracebackType

HAND_OFF_LIMIT = 0.005
"""Longest a writer waits between two chunks for the readers queued on the lock."""


class StoreLocks:
    """``rows`` (use `StoreLocks.reading` as a context manager) and ``writing``."""

    def __init__(self) -> None:
        self.rows = threading.RLock()
        self.writing = threading.RLock()
        self._queued: collections.deque[None] = collections.deque()  # append/pop are atomic
        self.reading = _Reading(self)

    def hold_if_free(self, *, write: bool = False) -> bool:
        """Take ``rows`` (for a ``write``, ``writing`` first) if no other thread holds it, then
        `release`; False when an operation is running in another thread."""
        if write and not self.writing.acquire(blocking=False):
            return False
        if self.rows.acquire(blocking=False):
            return True
        if write:
            self.writing.release()
        return False

    def release(self, *, write: bool = False) -> None:
        self.rows.release()
        if write:
            self.writing.release()

    def hand_off(self) -> None:
        """Called by a writer between chunks (not holding ``rows``): wait until the threads that queued
        for ``rows`` have taken it, for at most `HAND_OFF_LIMIT` seconds."""
        deadline = time.perf_counter() + HAND_OFF_LIMIT
        while self._queued and time.perf_counter() < deadline:
            time.sleep(0.0001)


class _Reading:
    """Context manager holding ``rows``; a thread that has to wait for it is counted as queued."""

    def __init__(self, locks: StoreLocks) -> None:
        self._locks = locks

    def __enter__(self) -> None:
        locks = self._locks
        if locks.rows.acquire(blocking=False):
            return
        locks._queued.append(None)
        try:
            locks.rows.acquire()
        finally:
            locks._queued.pop()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._locks.rows.release()
