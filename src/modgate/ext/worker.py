"""Run one handler process: one JSON line in, the first non-empty stdout line out (C3).

Limits: ``timeoutMs`` (then SIGTERM to the whole process group, 200 ms grace, SIGKILL), 256 KiB
of stdout and stderr together (more is a failure, and the group is killed at once), and the
group is always SIGKILLed when the handler exits so nothing it started keeps running. Reads
are bounded: at most the cap plus one chunk is ever held in memory.
"""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import threading
import time
from contextlib import suppress
from dataclasses import dataclass
from typing import IO, Any

import orjson

from modgate.ext.gate import Gate
from modgate.ext.sandbox import Launch

OUTPUT_CAP = 256 * 1024
GRACE_S = 0.2
CHUNK = 65536


@dataclass(frozen=True, slots=True, kw_only=True)
class WorkerResult:
    status: str  # ok | failed | timeout
    output: dict[str, Any] | None
    error: str | None
    duration_ms: float
    stderr: str = ""


def run_worker(launch: Launch, stdin_line: bytes, timeout_ms: int) -> WorkerResult:
    start = time.monotonic()
    deadline = start + timeout_ms / 1000
    gate: Gate | None = None
    try:
        gate = Gate.open() if launch.limits else None  # pipes: out of file descriptors is a failed run too
        proc = subprocess.Popen(gate.argv(launch.argv) if gate else list(launch.argv), stdin=subprocess.PIPE,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=launch.cwd, env=launch.env,
                                start_new_session=True, preexec_fn=launch.preexec, close_fds=True,
                                pass_fds=gate.child_fds() if gate else ())
    except (OSError, subprocess.SubprocessError) as exc:
        if gate:
            gate.close()
        return _result(start, "failed", None, f"Failed to launch extension worker: {exc}")
    if gate:
        refused = _release(proc, gate, launch.limits, deadline)
        if refused is not None and time.monotonic() >= deadline:  # the sandbox was still being set up
            return _result(start, "timeout", None, f"Extension worker timed out after {timeout_ms}ms.")
        if refused is not None:
            return _result(start, "failed", None, f"Failed to launch extension worker: {refused}")
    _feed(proc, stdin_line)
    out, err, why = _collect(proc, deadline)
    if why == "timeout":
        return _result(start, "timeout", None, f"Extension worker timed out after {timeout_ms}ms.", err)
    if why == "cap":
        return _result(start, "failed", None, f"Extension worker output exceeded limit ({OUTPUT_CAP} bytes).", err)
    code = proc.returncode
    text_err = err.decode("utf-8", "replace")
    if code != 0:
        return _result(start, "failed", None, f"Extension worker exited with status {code}: {text_err.strip()}",
                       err)
    output, problem = parse_output(out)
    return _result(start, "ok" if problem is None else "failed", output, problem, err)


def _release(proc: subprocess.Popen[bytes], gate: Gate, limits: tuple[tuple[int, int], ...],
             deadline: float) -> str | None:
    """Set the limits on the waiting sandbox and let it go; on a problem nothing runs (the group dies)."""
    gate.started()
    try:
        problem = gate.release(proc.pid, limits, deadline)
        if problem is not None:
            _kill_group(proc, signal.SIGKILL)  # before the go-ahead pipe closes: EOF would also release it
            _stop(proc, graceful=False)
            detail = _drain(proc)
            return problem + (f": {detail}" if detail else "")
        return None
    finally:
        gate.close()


def _drain(proc: subprocess.Popen[bytes]) -> str:
    """What a dead bubblewrap said on stderr (bounded), closing its pipes."""
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    with suppress(OSError):
        proc.stdin.close()
    proc.stdout.close()
    os.set_blocking(proc.stderr.fileno(), False)
    try:
        text = proc.stderr.read(4096) or b""
    except OSError:
        text = b""
    proc.stderr.close()
    return text.decode("utf-8", "replace").strip()


def _result(start: float, status: str, output: dict[str, Any] | None, error: str | None,
            err: bytes = b"") -> WorkerResult:
    return WorkerResult(status=status, output=output, error=error,
                        duration_ms=round((time.monotonic() - start) * 1000, 3), stderr=err.decode("utf-8", "replace"))


def _feed(proc: subprocess.Popen[bytes], line: bytes) -> None:
    """Write the envelope without ever blocking us on a handler that does not read it."""
    stdin = proc.stdin
    assert stdin is not None
    fd = stdin.fileno()
    os.set_blocking(fd, False)
    try:
        written = os.write(fd, line)
    except BlockingIOError:
        written = 0
    except OSError:  # a broken pipe: the handler is already gone
        written = len(line)
    if written >= len(line):
        with suppress(OSError):
            stdin.close()
        return
    # Larger than the pipe buffer: the rest goes from a thread; killing the handler ends it.
    threading.Thread(target=_feed_rest, args=(stdin, line[written:]), daemon=True).start()


def _feed_rest(stdin: IO[bytes], rest: bytes) -> None:
    with suppress(OSError):
        os.set_blocking(stdin.fileno(), True)
        stdin.write(rest)
    with suppress(OSError):
        stdin.close()


def _collect(proc: subprocess.Popen[bytes], deadline: float) -> tuple[bytes, bytes, str | None]:
    """Read both pipes until EOF; stop the group at the deadline or when the cap is passed."""
    buffers = {"out": bytearray(), "err": bytearray()}
    # poll(2) where there is one: no epoll fd to create and close per handler run
    sel = selectors.PollSelector() if hasattr(selectors, "PollSelector") else selectors.DefaultSelector()
    assert proc.stdout is not None and proc.stderr is not None
    sel.register(proc.stdout, selectors.EVENT_READ, "out")
    sel.register(proc.stderr, selectors.EVENT_READ, "err")
    why: str | None = None
    try:
        while sel.get_map():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                why = "timeout"
                break
            for key, _ in sel.select(min(remaining, 0.5)):
                chunk = os.read(key.fd, CHUNK)
                if not chunk:
                    sel.unregister(key.fileobj)
                    continue
                buffers[key.data] += chunk
            if len(buffers["out"]) + len(buffers["err"]) > OUTPUT_CAP:
                why = "cap"
                break
            if proc.poll() is not None:
                _kill_group(proc, signal.SIGKILL)  # the handler is done: nothing it started may linger
    finally:
        sel.close()
    _stop(proc, graceful=why == "timeout")
    proc.stdout.close()
    proc.stderr.close()
    return bytes(buffers["out"]), bytes(buffers["err"][:OUTPUT_CAP]), why


def _stop(proc: subprocess.Popen[bytes], *, graceful: bool) -> None:
    if graceful and proc.poll() is None:
        _terminate(proc)
        with suppress(subprocess.TimeoutExpired):
            proc.wait(GRACE_S)
    _kill_group(proc, signal.SIGKILL)
    with suppress(subprocess.TimeoutExpired):  # SIGKILL of our own child: only a wedged kernel waits
        proc.wait(5)


def _terminate(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the handler and its children, sparing bubblewrap itself.

    bwrap does not forward signals and dies of SIGTERM; with --die-with-parent its death kills
    the sandbox at once, which would take the handler's 200 ms of grace away.
    """
    members = _group_members(proc.pid)
    if members is None:
        _kill_group(proc, signal.SIGTERM)
        return
    for pid in members:
        with suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGTERM)


def _group_members(pgid: int) -> list[int] | None:
    """Processes of the group except bwrap's own, from /proc (None where there is no /proc)."""
    try:
        pids = [int(p) for p in os.listdir("/proc") if p.isdigit()]
    except OSError:
        return None
    out = []
    for pid in pids:
        with suppress(OSError):
            if os.getpgid(pid) == pgid and not os.readlink(f"/proc/{pid}/exe").endswith("/bwrap"):
                out.append(pid)
    return out


def _kill_group(proc: subprocess.Popen[bytes], sig: int) -> None:
    with suppress(ProcessLookupError, PermissionError):
        if hasattr(os, "killpg"):
            os.killpg(proc.pid, sig)
        else:  # Windows (MODGATE_SANDBOX=off only): no process groups to signal
            proc.kill()


def parse_output(out: bytes) -> tuple[dict[str, Any] | None, str | None]:
    """The first non-empty stdout line as the output object, or C3's message."""
    line = next((raw.strip() for raw in out.splitlines() if raw.strip()), None)
    if line is None:
        return None, "Extension worker returned malformed output: Missing JSON line output"
    try:
        value = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        return None, f"Extension worker returned malformed output: {exc}"
    if not isinstance(value, dict):
        return None, "Extension worker returned malformed output: expected a JSON object"
    return value, None
