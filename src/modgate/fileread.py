"""Reading a user's file with a bound: regular files only, at most ``limit + 1`` bytes.

A shell. ``Path.read_bytes()`` on ``/dev/zero`` grows until memory runs out, and on a FIFO it
blocks forever. Here the file is opened with ``O_NONBLOCK`` (a FIFO does not block the open),
checked with ``fstat`` (a FIFO, device, socket or folder is refused with ``file-not-regular``),
and read up to ``limit + 1`` bytes so the caller's size check (e.g. ``json-too-large``) still
fires without reading the rest.
"""

from __future__ import annotations

import os
import stat

from modgate.errors import ModgateError, Problem

_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
_CHUNK = 1 << 20


def _problem(code: str, path: str, message: str) -> ModgateError:
    return ModgateError(Problem(code=code, path=path, message=message))


def read_limited(path: str | os.PathLike[str], limit: int, *, nofollow: bool = False) -> bytes:
    """At most ``limit + 1`` bytes of the regular file ``path``."""
    shown = os.fspath(path)
    try:
        fd = os.open(path, _FLAGS | (getattr(os, "O_NOFOLLOW", 0) if nofollow else 0))
    except OSError as exc:
        raise _problem("file-not-found", shown, f"cannot read {shown}: {exc.strerror or exc}") from exc
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise _problem("file-not-regular", shown, f"{shown} is not a regular file (a device, FIFO, socket or"
                           " folder); give the path of a file")
        return _read_fd(fd, limit + 1)
    except OSError as exc:
        raise _problem("file-not-found", shown, f"cannot read {shown}: {exc.strerror or exc}") from exc
    finally:
        os.close(fd)


def _read_fd(fd: int, most: int) -> bytes:
    parts, total = [], 0
    while total < most:
        chunk = os.read(fd, min(_CHUNK, most - total))
        if not chunk:
            break
        parts.append(chunk)
        total += len(chunk)
    return b"".join(parts)
