"""Resource limits for a bubblewrap sandbox, set from outside before the handler starts.

bubblewrap has no rlimit options. Setting them in a ``preexec_fn`` makes Python fork instead of
vfork, and an exec'd ``prlimit`` inside the sandbox costs a whole exec per run (about a
millisecond and a half, twenty times over in a fan-out). Instead bubblewrap is started with
``--info-fd`` (it writes the sandbox process's pid once it has cloned it) and ``--block-fd`` (the
sandbox process waits there, after all its setup and before it starts anything): modgate sets the
limits on that process with ``prlimit(2)`` and only then releases it. Everything the handler
starts inherits them, and setpriv (as root) keeps them when it drops to ``nobody``.

If the limits cannot be set, the sandbox is killed before it is released: a handler never runs
without them.
"""

from __future__ import annotations

import os
import select
import time
from contextlib import suppress
from dataclasses import dataclass

import orjson

MAX_INFO = 64 * 1024


@dataclass(slots=True)
class Gate:
    """The two pipes between modgate and one bubblewrap: its info out, its go-ahead in."""

    info_r: int
    info_w: int
    block_r: int
    block_w: int

    @classmethod
    def open(cls) -> Gate:
        info_r, info_w = os.pipe()
        block_r, block_w = os.pipe()
        return cls(info_r=info_r, info_w=info_w, block_r=block_r, block_w=block_w)

    def argv(self, argv: tuple[str, ...]) -> list[str]:
        """``argv`` with the two fd options right after bubblewrap (wherever a wrapper put it)."""
        at = next(i for i, arg in enumerate(argv) if os.path.basename(arg) == "bwrap") + 1
        return [*argv[:at], "--info-fd", str(self.info_w), "--block-fd", str(self.block_r), *argv[at:]]

    def child_fds(self) -> tuple[int, int]:
        return (self.info_w, self.block_r)

    def started(self) -> None:
        """After the spawn: bubblewrap holds its own copies of the child's ends."""
        self.info_w = _close(self.info_w)
        self.block_r = _close(self.block_r)

    def release(self, launcher: int, limits: tuple[tuple[int, int], ...], deadline: float) -> str | None:
        """Set ``limits`` on the sandbox process and let it go on; a problem (then it is not released)."""
        try:
            pid = sandbox_pid(read_info(self.info_r, deadline))
            if pid is None or parent_of(pid) != launcher:
                return "bubblewrap did not report its sandbox process"
            set_limits(pid, limits)
        except OSError as exc:
            return f"could not set the handler's resource limits: {exc}"
        finally:
            self.info_r = _close(self.info_r)
        with suppress(BrokenPipeError):  # it died after the limits were set: its exit status tells why
            os.write(self.block_w, b"1")
        return None

    def close(self) -> None:
        """Close whatever is still open (after the sandbox is dead or released), each fd once."""
        self.info_r, self.info_w = _close(self.info_r), _close(self.info_w)
        self.block_r, self.block_w = _close(self.block_r), _close(self.block_w)


def _close(fd: int) -> int:
    # -1 marks it closed: closing a number twice could close another thread's new file.
    if fd >= 0:
        with suppress(OSError):
            os.close(fd)
    return -1


def read_info(fd: int, deadline: float) -> bytes:
    """bubblewrap's info document: read to EOF (it closes the fd after writing), bounded in size and time."""
    data = bytearray()
    waiter = select.poll()  # poll(2): no epoll fd to create per handler run, and no FD_SETSIZE limit
    waiter.register(fd, select.POLLIN)
    while len(data) <= MAX_INFO:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not waiter.poll(max(1, int(remaining * 1000))):
            raise TimeoutError("bubblewrap did not report its sandbox process in time")
        chunk = os.read(fd, 4096)
        if not chunk:
            break
        data += chunk
    return bytes(data)


def sandbox_pid(info: bytes) -> int | None:
    try:
        doc = orjson.loads(info)
    except orjson.JSONDecodeError:
        return None
    pid = doc.get("child-pid") if isinstance(doc, dict) else None
    return pid if isinstance(pid, int) and not isinstance(pid, bool) and pid > 0 else None


def parent_of(pid: int) -> int | None:
    """The parent pid from /proc (the sandbox process must still be bubblewrap's own child)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            stat = handle.read(4096)
    except OSError:
        return None
    fields = stat[stat.rfind(b")") + 2:].split()  # after "pid (comm) ": state, ppid, ...
    return int(fields[1]) if len(fields) > 1 and fields[1].isdigit() else None


def set_limits(pid: int, limits: tuple[tuple[int, int], ...]) -> None:
    import resource  # POSIX only; bubblewrap runs only on Linux

    for key, value in limits:
        resource.prlimit(pid, key, (value, value))
