"""Secret keys kept in ``$MODGATE_HOME/keys/`` (the approval key, the audit anchor key).

A shell. The keys are made when the home is initialised (:func:`ensure_keys`, called by
``open_runtime``), never lazily by whichever process signs first: a random key is written to a
private temporary file, fsync-ed, and then ``link``-ed into place, so concurrent first uses see
either no key or a whole one (the loser of the race reads the winner's key). Reads open the file
with ``O_NOFOLLOW`` and check it with ``fstat``: a symlink, a folder, a FIFO or a key shorter
than :data:`KEY_BYTES` is refused with ``key-invalid`` (a truncated key would make every token
forgeable by anyone who can guess it). Modes are repaired on the opened descriptors (0700 for
``keys/``, 0600 for a key), never through a path that could be swapped for a link.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from pathlib import Path

from modgate.errors import ModgateError, Problem

KEYS_DIR = "keys"
APPROVAL_KEY = "approval.key"
AUDIT_KEY = "audit.key"
KEY_BYTES = 32
_MAX_KEY_BYTES = 4096
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)


class KeyFileError(ModgateError):
    """A key file that is missing, of the wrong type or too short."""


def _bad(code: str, path: Path, message: str) -> KeyFileError:
    return KeyFileError(Problem(code=code, path=str(path), message=message))


def _open_keys_dir(home: Path) -> int:
    folder = home / KEYS_DIR
    with contextlib.suppress(FileExistsError):
        folder.mkdir(mode=0o700, parents=True)
    try:
        fd = os.open(folder, os.O_RDONLY | _DIRECTORY | _NOFOLLOW)
    except OSError as exc:
        raise _bad("key-invalid", folder, f"{folder} is not a folder (a symlink or a file?): {exc.strerror}"
                   ) from exc
    st = os.fstat(fd)
    if stat.S_IMODE(st.st_mode) != 0o700 and st.st_uid == os.getuid():
        os.fchmod(fd, 0o700)  # another user must not list or swap our keys
    return fd


def _read(dir_fd: int, name: str, shown: Path) -> bytes | None:
    try:
        fd = os.open(name, os.O_RDONLY | _NOFOLLOW | os.O_NONBLOCK, dir_fd=dir_fd)
    except FileNotFoundError:
        return None
    except OSError as exc:  # ELOOP: a symlink; EACCES: not ours
        raise _bad("key-invalid", shown, f"the key {shown} cannot be opened safely: {exc.strerror}") from exc
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise _bad("key-invalid", shown, f"the key {shown} is not a regular file")
        if stat.S_IMODE(st.st_mode) != 0o600:
            os.fchmod(fd, 0o600)
        data = os.read(fd, _MAX_KEY_BYTES + 1)
    finally:
        os.close(fd)
    if not KEY_BYTES <= len(data) <= _MAX_KEY_BYTES:
        raise _bad("key-invalid", shown, f"the key {shown} has {len(data)} bytes; a key has at least {KEY_BYTES}."
                   " Restore it from a backup, or delete it to make a new one (pending approvals then expire)")
    return data


def _create(dir_fd: int, name: str) -> bool:
    """Make the key; False when another process made it first (then everyone uses that one)."""
    tmp = f".{name}.{secrets.token_hex(8)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW, 0o600, dir_fd=dir_fd)
    try:
        os.write(fd, secrets.token_bytes(KEY_BYTES))
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(tmp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd, follow_symlinks=False)
    except FileExistsError:
        return False
    finally:
        os.unlink(tmp, dir_fd=dir_fd)
    return True


def load_key(home: Path, name: str = APPROVAL_KEY, *, create: bool = True) -> bytes:
    """The key ``keys/<name>``; made atomically when missing and ``create`` is set."""
    return _load(home, name, create)[0]


def _load(home: Path, name: str, create: bool) -> tuple[bytes, bool]:
    shown = home / KEYS_DIR / name
    try:
        dir_fd = _open_keys_dir(home)
    except OSError as exc:
        raise _bad("key-invalid", shown.parent, f"cannot prepare {shown.parent}: {exc.strerror}") from exc
    made = False
    try:
        data = _read(dir_fd, name, shown)
        if data is None and create:
            made = _create(dir_fd, name)
            data = _read(dir_fd, name, shown)
    except OSError as exc:
        raise _bad("key-invalid", shown, f"cannot read or create the key {shown}: {exc.strerror}") from exc
    finally:
        os.close(dir_fd)
    if data is None:
        raise _bad("key-invalid", shown, f"the key {shown} is missing")
    return data, made


def ensure_keys(home: Path) -> None:
    """Make (or check) every key of the home; called when the home is opened.

    The audit anchor file is born with the audit key (and only then): a missing anchor file in
    a home that has the key is a deleted one, which ``audit --verify`` reports.
    """
    load_key(home, APPROVAL_KEY)
    if _load(home, AUDIT_KEY, True)[1]:
        from modgate.store.anchor import create_file

        create_file(home)
