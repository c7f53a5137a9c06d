"""The apply lease: a flock on ``tx.lock`` beside the database.

Shared while a process applies or rolls back; exclusive (and non-blocking) to recover, so a
second process starting up never "recovers" an attempt another live process is still applying.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

LEASE_FILE = "tx.lock"


@contextmanager
def lease(home: Path, *, exclusive: bool = False) -> Iterator[bool]:
    """Yields False when the exclusive lease is unavailable (another process is mid-apply)."""
    import fcntl  # POSIX only, like the installer's lock; imported where it is needed
    home.mkdir(parents=True, exist_ok=True)
    fd = os.open(home / LEASE_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB if exclusive else fcntl.LOCK_SH)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)  # closing releases the flock
