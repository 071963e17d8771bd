"""The state directory and its private files: a directory only its owner can enter (0700) and files
created 0600 from the start (the admin key, the registry, its encryption key)."""

from __future__ import annotations

import logging
import os
from pathlib import Path

__all__ = ["ensure_state_dir", "private_file"]

logger = logging.getLogger(__name__)


def ensure_state_dir(path: Path) -> Path:
    """``path`` as a directory only its owner can enter (created 0700; an existing one is narrowed to
    0700 when it is ours and open to others)."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    info = path.stat()
    if info.st_mode & 0o077 and info.st_uid == os.getuid():
        path.chmod(0o700)
    return path


def private_file(path: Path, content: bytes | None = None) -> bool:
    """Create ``path`` with mode 0600 from the start (no moment where others can read it), writing
    ``content``; an existing file is left as it is, narrowed to 0600. Returns whether it was created."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        if path.stat().st_mode & 0o077:
            logger.warning("%s was readable by others; restricting it to its owner (0600)", path)
            path.chmod(0o600)
        return False
    with os.fdopen(fd, "wb") as fh:
        if content:
            fh.write(content)
    return True
