"""The sandbox clock: one per tenant, drives every time-dependent rule (token expiry, SLA
breach state, quote expiry, rate-limit windows). Real time by default; can be frozen, set
and advanced through `/_sandbox/clock` or from Python."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta


def _utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


class SandboxClock:
    """Naive-UTC wall clock with an offset and an optional freeze.

    ``now()`` is what every rule reads. ``monotonic()`` is seconds on the same timeline (for
    windows and expiry), so advancing the clock also ages rate-limit windows and tokens.
    """

    def __init__(self, *, frozen_at: datetime | None = None) -> None:
        self._lock = threading.Lock()
        self._offset = timedelta(0)
        self._frozen_at: datetime | None = frozen_at

    @property
    def frozen(self) -> bool:
        return self._frozen_at is not None

    def now(self) -> datetime:
        with self._lock:
            if self._frozen_at is not None:
                return self._frozen_at
            return _utcnow() + self._offset

    def timestamp(self) -> float:
        """Seconds since the epoch on the sandbox timeline."""
        return self.now().replace(tzinfo=UTC).timestamp()

    def freeze(self, at: datetime | None = None) -> None:
        current = self.now()
        with self._lock:
            self._frozen_at = _naive(at) if at is not None else current

    def unfreeze(self) -> None:
        with self._lock:
            if self._frozen_at is not None:
                self._offset = self._frozen_at - _utcnow()
                self._frozen_at = None

    def set(self, at: datetime) -> None:
        at = _naive(at)
        with self._lock:
            if self._frozen_at is not None:
                self._frozen_at = at
            else:
                self._offset = at - _utcnow()

    def advance(self, seconds: float) -> None:
        delta = timedelta(seconds=seconds)
        with self._lock:
            if self._frozen_at is not None:
                self._frozen_at += delta
            else:
                self._offset += delta

    def reset(self) -> None:
        with self._lock:
            self._offset = timedelta(0)
            self._frozen_at = None

    def state(self) -> dict[str, object]:
        return {
            "now": self.now().strftime("%Y-%m-%dT%H:%M:%S"),
            "frozen": self.frozen,
            "offset_seconds": self._offset.total_seconds(),
        }


def _naive(at: datetime) -> datetime:
    if at.tzinfo is not None:
        at = at.astimezone(UTC).replace(tzinfo=None)
    return at


def halo_datetime(value: datetime | None) -> str:
    """Halo's wire format: ``YYYY-MM-DDTHH:MM:SS`` in UTC; unset is ``1900-01-01T00:00:00``."""
    if value is None:
        return UNSET_DATE
    return _naive(value).strftime("%Y-%m-%dT%H:%M:%S")


UNSET_DATE = "1900-01-01T00:00:00"
