"""Audit anchors: signed checkpoints of the audit chain kept outside the SQLite file.

A shell. The hash chain inside the database detects an edited or reordered row, but not a
deleted tail or a chain rewritten from scratch and re-hashed (the triggers drop with one
``DROP TRIGGER``). So after every outer COMMIT that appended audit rows, the writer appends one
line to ``$MODGATE_HOME/audit.anchors``: ``{"count", "head", "at", "mac"}`` where ``mac`` is an
HMAC-SHA256 with ``keys/audit.key`` (beside the approval key). ``verify`` then requires row
``count`` to exist with hash ``head`` for every anchor line.

The line is written after the COMMIT (a line naming an uncommitted row would be a false alarm),
so a crash in between leaves the database at most one commit ahead of its last anchor: verify
reports that as ``unanchoredTail``, not as a break. Lines are not fsync-ed (one fsync per
dispatch would double its cost); after a power loss the newest lines may be missing, which reads
the same way. The file is opened with ``O_NOFOLLOW | O_APPEND`` and checked to be a regular file.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from modgate.errors import ModgateError
from modgate.store.keys import AUDIT_KEY, load_key

ANCHOR_FILE = "audit.anchors"
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_MAX_LINE = 1024


def _mac(key: bytes, count: int, head: str, at: float) -> str:
    return hmac.new(key, f"{count}:{head}:{at!r}".encode("ascii"), hashlib.sha256).hexdigest()


def line(key: bytes, count: int, head: str, at: float) -> bytes:
    return orjson.dumps({"count": count, "head": head, "at": at, "mac": _mac(key, count, head, at)}) + b"\n"


def create_file(home: Path) -> None:
    """Make the empty anchor file (called once, when the audit key is made)."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(home / ANCHOR_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o600))


class AnchorWriter:
    """Appends anchor lines for one home (opened per append: no descriptor outlives a call)."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.path = home / ANCHOR_FILE
        self._key: bytes | None = None
        self.failed = False  # a failed append is reported by verify as an unanchored tail

    def append(self, count: int, head: str, at: float) -> None:
        try:
            if self._key is None:
                self._key = load_key(self.home, AUDIT_KEY)
            # Never O_CREAT: the file is made with the audit key; recreating a deleted one would
            # hide the deletion (verify reports a missing file instead).
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | _NOFOLLOW)
            try:
                if not stat.S_ISREG(os.fstat(fd).st_mode):
                    raise OSError(f"{self.path} is not a regular file")
                os.write(fd, line(self._key, count, head, at))
            finally:
                os.close(fd)
        except (OSError, ModgateError):
            self.failed = True  # the data is committed: never fail the command after the fact

    def adopt(self, count: int, head: str, at: float) -> None:
        """Anchor the chain as it is when the anchor file is new (empty): a new home, or an older
        home opened for the first time by a modgate that anchors."""
        try:
            st = os.lstat(self.path)
        except OSError:
            return
        if stat.S_ISREG(st.st_mode) and st.st_size == 0:
            self.append(count, head, at)


def read(home: Path) -> tuple[list[dict[str, Any]], str | None]:
    """Anchor lines whose MAC verifies, and the first problem found (or None)."""
    path = home / ANCHOR_FILE
    try:
        fd = os.open(path, os.O_RDONLY | _NOFOLLOW | os.O_NONBLOCK)
    except FileNotFoundError:
        return [], "the anchor file audit.anchors is missing"
    except OSError as exc:
        return [], f"the anchor file cannot be opened safely: {exc.strerror}"
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return [], "the anchor file is not a regular file"
        key = load_key(home, AUDIT_KEY, create=False)
        return _parse(_lines(fd), key)
    finally:
        os.close(fd)


def _lines(fd: int) -> Iterator[bytes]:
    with os.fdopen(os.dup(fd), "rb") as fh:
        while raw := fh.readline(_MAX_LINE + 1):
            yield raw


def _parse(lines: Iterator[bytes], key: bytes) -> tuple[list[dict[str, Any]], str | None]:
    out: list[dict[str, Any]] = []
    for number, raw in enumerate(lines, 1):
        if not raw.endswith(b"\n"):
            if len(raw) > _MAX_LINE:
                return out, f"anchor line {number} is too long"
            continue  # a torn last line (crash mid-write) anchors nothing
        try:
            item = orjson.loads(raw)
            count, head, at, mac = int(item["count"]), str(item["head"]), float(item["at"]), str(item["mac"])
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            return out, f"anchor line {number} is malformed"
        if not hmac.compare_digest(mac, _mac(key, count, head, at)):
            return out, f"anchor line {number} has a bad signature (forged or made with another key)"
        out.append({"count": count, "head": head, "at": at})
    return out, None
