"""Package file trees on disk: scanning with limits, copying, hashing, reading.

A shell. :func:`scan` walks a package before anything is copied and refuses what could reach
outside it (symlinks whose target leaves the package, hardlinks, devices, FIFOs, sockets) and
trees over the file-count or byte limits. :func:`copy_tree` copies a scanned tree without
following links, re-checking every file as it opens it. :func:`tree_hash` is modgate's hash of a
whole installed tree, re-checked whenever a mod is loaded; ``.git`` (VCS metadata) and
``.codexchat`` (the mod's own runtime state, written by its handlers) are left out of it.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from modgate.errors import ModgateError
from modgate.ext.errors import fail
from modgate.fileread import read_limited

DEFAULT_MAX_FILES = 2000
DEFAULT_MAX_BYTES = 50 * 1024 * 1024
SKIPPED = frozenset({".git", ".codexchat"})
_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True, kw_only=True)
class Limits:
    max_files: int = DEFAULT_MAX_FILES
    max_bytes: int = DEFAULT_MAX_BYTES

    @classmethod
    def from_env(cls) -> Limits:
        """``MODGATE_EXT_MAX_FILES`` / ``MODGATE_EXT_MAX_BYTES`` override the defaults."""
        def num(name: str, default: int) -> int:
            text = os.environ.get(name, "").strip()
            return int(text) if text.isdigit() else default
        return cls(max_files=num("MODGATE_EXT_MAX_FILES", DEFAULT_MAX_FILES),
                   max_bytes=num("MODGATE_EXT_MAX_BYTES", DEFAULT_MAX_BYTES))


@dataclass(slots=True)
class Listing:
    dirs: list[str] = field(default_factory=list)
    files: list[tuple[str, int]] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)
    total_bytes: int = 0


def _inside(root_real: str, target: str) -> bool:
    return target == root_real or target.startswith(root_real.rstrip(os.sep) + os.sep)


def scan(root: Path, limits: Limits) -> Listing:
    """List ``root`` (iteratively, bounded by the limits) or raise the first refusal."""
    root_real = os.path.realpath(root)
    listing = Listing()
    stack = [""]
    while stack:
        rel_dir = stack.pop()
        with os.scandir(os.path.join(root, rel_dir) if rel_dir else root) as entries:
            for entry in sorted(entries, key=lambda e: e.name):
                if entry.name in SKIPPED and entry.is_dir(follow_symlinks=False):
                    continue
                rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
                _classify(root_real, Path(entry.path), rel, os.lstat(entry.path), listing, stack)
                _check_limits(listing, limits)
    return listing


def _classify(root_real: str, path: Path, rel: str, st: os.stat_result, listing: Listing, stack: list[str]) -> None:
    if stat.S_ISLNK(st.st_mode):
        target = os.readlink(path)
        if os.path.isabs(target) or not _inside(root_real, os.path.realpath(path)):
            fail("install.symlink-escape", f"Symlink points outside the package: {rel} -> {target}", rel)
        listing.links.append((rel, target))
    elif stat.S_ISDIR(st.st_mode):
        listing.dirs.append(rel)
        stack.append(rel)
    elif stat.S_ISREG(st.st_mode):
        if st.st_nlink > 1:
            fail("install.hardlink", f"Hardlinked file in the package (it may share data with a file outside): "
                 f"{rel}", rel)
        listing.files.append((rel, st.st_size))
        listing.total_bytes += st.st_size
    else:
        fail("install.special-file", f"Special file (device, FIFO or socket) in the package: {rel}", rel)


def _check_limits(listing: Listing, limits: Limits) -> None:
    count = len(listing.files) + len(listing.links)
    if count > limits.max_files or len(listing.dirs) > limits.max_files:
        fail("install.too-many-files", f"The package has more than {limits.max_files} files "
             "(set MODGATE_EXT_MAX_FILES to raise the limit).", "", limit=limits.max_files)
    if listing.total_bytes > limits.max_bytes:
        fail("install.too-large", f"The package is larger than {limits.max_bytes} bytes "
             "(set MODGATE_EXT_MAX_BYTES to raise the limit).", "", limit=limits.max_bytes)


Progress = Callable[[int, int], None]


_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | _NOFOLLOW


def _open_dir(root_fd: int, rel: str) -> int:
    """A descriptor of ``rel`` below ``root_fd``, opened one component at a time, none followed."""
    fd = os.dup(root_fd)
    for part in rel.split("/") if rel else ():
        try:
            nxt = os.open(part, _DIR_FLAGS, dir_fd=fd)
        except OSError as exc:  # ELOOP/ENOTDIR: a folder became a link or a file after the scan
            fail("install.changed-during-copy", f"The package changed while it was copied: {rel} ({exc.strerror})",
                 rel)
        finally:
            os.close(fd)
        fd = nxt
    return fd


def copy_tree(src: Path, listing: Listing, dest: Path, limits: Limits, progress: Progress | None = None) -> None:
    """Copy a scanned tree into ``dest`` (which must not exist). Never follows a link.

    Every file is reached through descriptors (``openat`` from the opened root, ``O_NOFOLLOW`` on
    every component, ``fstat`` on what was opened), so swapping a scanned folder for a symlink
    cannot bring an outside file in; then the copy is re-hashed against what was read and the
    scan's listing (``install.changed-during-copy`` when they differ).
    """
    try:
        root_fd = os.open(src, _DIR_FLAGS)
    except OSError as exc:
        fail("install.changed-during-copy", f"The package folder cannot be opened safely: {exc.strerror}", "")
    try:
        expected = _copy_from(root_fd, listing, dest, limits, progress)
    finally:
        os.close(root_fd)
    if tree_hash(dest) != expected:
        fail("install.changed-during-copy", "The staged copy does not match the scanned package", "")


def _copy_from(root_fd: int, listing: Listing, dest: Path, limits: Limits, progress: Progress | None) -> str:
    dest.mkdir(mode=0o755)
    lines = []
    for rel in listing.dirs:
        (dest / rel).mkdir(mode=0o755)
        lines.append(b"D\0" + rel.encode("utf-8", "surrogateescape") + b"\n")
    copied = 0
    for index, (rel, _) in enumerate(listing.files, 1):
        written, line = _copy_file(root_fd, rel, dest / rel, limits.max_bytes - copied)
        copied += written
        lines.append(line)
        if progress is not None:
            progress(index, len(listing.files))
    for rel, target in listing.links:
        os.symlink(target, dest / rel)
        lines.append(b"L\0" + rel.encode("utf-8", "surrogateescape") + b"\0"
                     + target.encode("utf-8", "surrogateescape") + b"\n")
    digest = hashlib.sha256()
    for line in sorted(lines):
        digest.update(line)
    return "sha256:" + digest.hexdigest()


def _copy_file(root_fd: int, rel: str, dest: Path, budget: int) -> tuple[int, bytes]:
    parent, _, name = rel.rpartition("/")
    dir_fd = _open_dir(root_fd, parent)
    try:
        fd = os.open(name, os.O_RDONLY | _NOFOLLOW | os.O_NONBLOCK, dir_fd=dir_fd)
    except OSError as exc:
        fail("install.changed-during-copy", f"The package changed while it was copied: {rel} ({exc.strerror})", rel)
    finally:
        os.close(dir_fd)
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode) or st.st_nlink > 1:  # swapped since the scan
        os.close(fd)
        fail("install.special-file", f"File changed type while copying: {rel}", rel)
    with os.fdopen(fd, "rb") as fin:
        mode = 0o755 if st.st_mode & 0o111 else 0o644
        written, content = 0, hashlib.sha256()
        with open(dest, "xb") as fout:
            while chunk := fin.read(_CHUNK):
                written += len(chunk)
                if written > budget:
                    fail("install.too-large", f"The package grew past the size limit while copying: {rel}", rel)
                content.update(chunk)
                fout.write(chunk)
        os.chmod(dest, mode)
    kind = b"X" if mode & 0o111 else b"F"
    return written, kind + b"\0" + rel.encode("utf-8", "surrogateescape") + b"\0" + \
        content.hexdigest().encode() + b"\n"


def tree_hash(root: Path) -> str:
    """``sha256:<hex>`` over every path, kind, exec bit and content under ``root`` (sorted)."""
    digest = hashlib.sha256()
    stack = [""]
    lines: list[bytes] = []
    while stack:
        rel_dir = stack.pop()
        with os.scandir(root / rel_dir if rel_dir else root) as entries:
            for entry in entries:
                if entry.name in SKIPPED and entry.is_dir(follow_symlinks=False):
                    continue
                rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
                lines.append(_hash_line(Path(entry.path), rel, stack))
    for line in sorted(lines):
        digest.update(line)
    return "sha256:" + digest.hexdigest()


def _hash_line(path: Path, rel: str, stack: list[str]) -> bytes:
    st = os.lstat(path)
    name = rel.encode("utf-8", "surrogateescape")
    if stat.S_ISLNK(st.st_mode):
        return b"L\0" + name + b"\0" + os.readlink(path).encode("utf-8", "surrogateescape") + b"\n"
    if stat.S_ISDIR(st.st_mode):
        stack.append(rel)
        return b"D\0" + name + b"\n"
    if not stat.S_ISREG(st.st_mode):
        return b"S\0" + name + b"\n"
    with open(path, "rb") as fh:
        content = hashlib.file_digest(fh, "sha256").hexdigest().encode()
    kind = b"X" if st.st_mode & 0o111 else b"F"
    return kind + b"\0" + name + b"\0" + content + b"\n"


class DirReader:
    """A :class:`~modgate.ext.manifest.PackageReader` over a folder that refuses to leave it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._real = os.path.realpath(root)

    def _resolve(self, relpath: str) -> str | None:
        real = os.path.realpath(os.path.join(self.root, relpath))
        return real if _inside(self._real, real) else None

    def read(self, relpath: str) -> bytes | None:
        real = self._resolve(relpath)
        if real is None:
            return None
        try:  # regular files only, bounded: a FIFO must not hang validation
            return read_limited(real, 16 * 1024 * 1024)
        except ModgateError:
            return None

    def exists(self, relpath: str) -> bool:
        real = self._resolve(relpath)
        return real is not None and os.path.exists(real)


def remove_tree(path: Path | str) -> None:
    """Remove ``path`` (a file, link or folder) without recursion and without following links.

    ``shutil.rmtree`` recurses once per level: a package 1,000 folders deep raised
    RecursionError there and leaked its staging copy. This walks down with ``openat`` and
    ``O_NOFOLLOW`` and back up through ``..`` (checked by device and inode against the folder it
    came from), holding one descriptor, so neither the stack nor the descriptor table limits depth.
    """
    path = Path(path)
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    if not stat.S_ISDIR(st.st_mode):
        path.unlink(missing_ok=True)
        return
    fd = os.open(path, _DIR_FLAGS)
    names: list[tuple[str, int, int]] = []  # (name in parent, parent's st_dev, parent's st_ino)
    try:
        while True:
            child = _next_subdir(fd)
            if child is not None:
                here = os.fstat(fd)
                nxt = os.open(child, _DIR_FLAGS, dir_fd=fd)
                os.close(fd)
                fd = nxt
                names.append((child, here.st_dev, here.st_ino))
                continue
            if not names:
                break
            name, dev, ino = names.pop()
            parent = os.open("..", _DIR_FLAGS, dir_fd=fd)
            os.close(fd)
            fd = parent
            st = os.fstat(fd)
            if (st.st_dev, st.st_ino) != (dev, ino):
                raise OSError(f"{path} was moved while it was being removed")
            os.rmdir(name, dir_fd=fd)
    finally:
        os.close(fd)
    os.rmdir(path)


def _next_subdir(fd: int) -> str | None:
    """Unlink every non-folder entry of ``fd``; the name of one sub-folder left, if any."""
    with os.scandir(fd) as entries:
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                return entry.name
            os.unlink(entry.name, dir_fd=fd)
    return None
