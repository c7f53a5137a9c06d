"""Crash-safe folder moves for the installer: the lock, the pending journal, recovery.

A shell. Every operation that changes a scope root runs under an exclusive lock file
(``$MODGATE_HOME/ext.lock``), so two installs of the same id are serialised. Before a folder is
renamed into or out of a scope root a pending row is committed; the row is deleted in the same
SQLite transaction that writes the records. After a crash (even SIGKILL) the next operation
finds the row and undoes the half-done move, so the scope roots always hold the old copy or the
new one and the records match them. Leftover ``.modgate-ext-*`` folders in a scope parent that no
pending row names (an interrupted copy, a backup whose deletion was cut short) are removed.

Test hooks: :func:`checkpoint` (from :mod:`modgate.faults`, shared with the transaction engine)
fails or pauses at a named point.
"""

from __future__ import annotations

import contextlib
import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from modgate.ext import records
from modgate.ext.errors import fail
from modgate.ext.records import Pending
from modgate.ext.tree import remove_tree
from modgate.faults import checkpoint as checkpoint  # the installer calls moves.checkpoint
from modgate.store.db import Database

PREFIX = ".modgate-ext-"
LOCK_FILE = "ext.lock"


def temp_name(parent: Path, kind: str) -> Path:
    return parent / f"{PREFIX}{uuid.uuid4().hex}-{kind}"


def lock_timeout() -> float:
    text = os.environ.get("MODGATE_EXT_LOCK_TIMEOUT_S", "").strip()
    try:
        return max(0.0, float(text)) if text else 60.0
    except ValueError:
        return 60.0


@contextmanager
def exclusive(home: Path, timeout_s: float | None = None) -> Iterator[None]:
    """Hold ``$MODGATE_HOME/ext.lock`` (flock); ``install.locked`` after ``timeout_s``."""
    import fcntl

    home.mkdir(parents=True, exist_ok=True)
    fd = os.open(home / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + (lock_timeout() if timeout_s is None else timeout_s)
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    fail("install.locked", "Another modgate process is installing or updating mods; try again.",
                         str(home / LOCK_FILE))
                time.sleep(0.02)
        yield
    finally:
        os.close(fd)  # closing releases the flock


def remove(path: str | Path | None) -> None:
    if path is None:
        return
    with contextlib.suppress(OSError):
        remove_tree(Path(path))  # iterative: a 1,000-folder-deep mod is removed like any other


def begin(db: Database, pending: Pending, now: float) -> None:
    with db.atomic() as conn:
        records.add_pending(conn, pending, now)


def undo(db: Database, p: Pending) -> None:
    """Put the scope root back as it was before ``p`` started, then forget ``p``."""
    if p.op == "install" or (p.op == "update" and p.backup is None):
        remove(p.target)
    elif p.backup is not None and Path(p.backup).exists():
        if p.op == "update":
            remove(p.target)
        if not Path(p.target).exists():
            os.rename(p.backup, p.target)
    remove(p.tmp)
    with db.atomic() as conn:
        records.drop_pending(conn, p.id)


def recover(db: Database, parents: list[Path]) -> list[str]:
    """Undo every pending move (call with the lock held); sweep orphans in ``parents``."""
    done = []
    for p in records.pending(db):
        undo(db, p)
        done.append(p.id)
    for parent in parents:
        sweep(parent)
    return done


def sweep(parent: Path) -> None:
    if not parent.is_dir():
        return
    for entry in parent.iterdir():
        if entry.name.startswith(PREFIX):
            remove(entry)
