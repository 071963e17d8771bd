"""The process's memory, read cheaply: what a memory budget compares with.

`rss_bytes()` is the resident set size now (Linux: ``/proc/self/statm``, one small read, about 10 µs;
elsewhere the peak from ``resource.getrusage``, which only grows, so a budget there refuses once the
peak passed it). No web imports, nothing of Halo.
"""

from __future__ import annotations

import os
import sys

__all__ = ["rss_bytes"]

_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def rss_bytes() -> int:
    """The resident set size of this process, in bytes (0 when the platform cannot say)."""
    try:
        with open("/proc/self/statm", "rb") as statm:
            return int(statm.read().split()[1]) * _PAGE
    except (OSError, ValueError, IndexError):
        pass
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        return 0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024  # bytes on macOS, KiB elsewhere
