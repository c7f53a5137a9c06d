"""How a hook or automation handler is launched: inside bubblewrap, or (explicitly) without it.

The handler sees a read-only system (``/usr``, ``/bin``, ``/lib*``, ``/etc`` and the Python
interpreter's prefix), its own mod folder read-only at ``/mod`` except ``/mod/.codexchat/state``
(read-write, also its ``HOME``), the project at ``/project`` only with ``projectRead`` (read-only)
or ``projectWrite`` (read-write), a private ``/tmp``, its own PID, IPC and UTS namespaces, no
network namespace unless ``network`` is granted, and an environment of PATH, LANG, HOME and
TMPDIR only. Nothing under ``MODGATE_HOME`` is mounted (a system folder that contains it gets a
tmpfs over it), so the approval key, the database and modgate's own records of this mod
(hook state, modsBar state, ``runtime.log``) are out of reach.

Resource limits (processes, address space, file size, CPU, open files) are rlimits that modgate
sets with ``prlimit(2)`` on the sandbox process while bubblewrap waits for it, before the handler
starts (:mod:`modgate.ext.gate`: no extra exec, and Python can still spawn with vfork).
RLIMIT_NPROC does not bind uid 0, and inside a user namespace created by root the handler is
still uid 0 outside, so when modgate runs as root the sandbox is built with root's own
privileges (no user namespace) and the handler is switched to ``nobody`` (65534) by ``setpriv``
with an empty capability bounding set; as any other user, an unprivileged user namespace maps
the handler to that user.

Linux only. On macOS and Windows bubblewrap does not exist: handlers do not run
(``sandbox-unavailable``) unless ``MODGATE_SANDBOX=off`` is set, which runs them as plain
subprocesses with the same environment, limits and timeouts but no filesystem or network
isolation (unsafe: only for mods you trust completely).
"""

from __future__ import annotations

import functools
import os
import shutil
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from modgate.ext.errors import fail

MOD_MOUNT = "/mod"
STATE_REL = ".codexchat/state"
PROJECT_MOUNT = "/project"
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc")
NOBODY = 65534
PATH = "/usr/local/bin:/usr/bin:/bin"
MAX_PROCESSES = 64
MAX_ADDRESS_SPACE = 2 << 30
MAX_FILE_SIZE = 64 << 20
MAX_OPEN_FILES = 256
INSTALL_HINT = ("Install bubblewrap (Debian/Ubuntu: `apt-get install -y bubblewrap`; Fedora: `dnf install "
                "bubblewrap`), or set MODGATE_SANDBOX=off to run handlers unsandboxed (unsafe).")


@dataclass(frozen=True, slots=True, kw_only=True)
class SandboxSpec:
    """What one handler run may see."""

    mod_dir: Path
    argv: tuple[str, ...]
    cwd: str | None
    project_dir: Path | None
    project_access: str  # none | ro | rw
    network: bool
    home: Path  # MODGATE_HOME: never visible
    cpu_seconds: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Launch:
    argv: tuple[str, ...]
    env: dict[str, str]
    cwd: str
    preexec: Callable[[], None] | None  # None: spawning can use vfork
    project_path: str | None  # the project as the handler sees it
    sandboxed: bool
    # (RLIMIT_*, value) set on the bubblewrap sandbox process before it is released (modgate.ext.gate)
    limits: tuple[tuple[int, int], ...] = ()


def mode() -> str:
    """``bwrap`` or ``off`` (MODGATE_SANDBOX=off); refuses when bubblewrap cannot be used."""
    if os.environ.get("MODGATE_SANDBOX", "").strip().lower() == "off":
        return "off"
    problem = unavailable_reason()
    if problem is not None:
        fail("sandbox-unavailable", f"Handlers run only inside bubblewrap: {problem}", "MODGATE_SANDBOX",
             hint=INSTALL_HINT)
    return "bwrap"


def euid() -> int:
    """The effective uid, or -1 where there is none (Windows)."""
    return os.geteuid() if hasattr(os, "geteuid") else -1


def unavailable_reason() -> str | None:
    return _reason(os.environ.get("PATH", ""), euid())


@functools.lru_cache(maxsize=8)
def _reason(path: str, euid: int) -> str | None:
    # Cached per PATH and uid: a fan-out of hooks asks once, a changed PATH asks again.
    if not sys.platform.startswith("linux"):
        return f"bubblewrap does not exist on {sys.platform} (see docs/extensions.md, Sandbox)"
    if shutil.which("bwrap", path=path) is None:
        return "`bwrap` was not found on PATH"
    if euid == 0 and shutil.which("setpriv", path=path) is None:
        return "running as root needs `setpriv` (util-linux) to drop the handler to an unprivileged uid"
    return None


def bwrap_path() -> str:
    """bubblewrap's absolute path (found once per PATH: no PATH search per handler run)."""
    return _which("bwrap", os.environ.get("PATH", "")) or "bwrap"


@functools.lru_cache(maxsize=8)
def _which(name: str, path: str) -> str | None:
    return shutil.which(name, path=path)


def state_dir(mod_dir: Path) -> Path:
    return mod_dir / STATE_REL


def prepare_state(mod_dir: Path) -> Path:
    """Create the writable state folder; as root, hand it to the uid the handler runs as."""
    state = state_dir(mod_dir)
    # A link anywhere on the way would make modgate create (and, as root, chown) a folder elsewhere.
    if state.parent.is_symlink() or state.is_symlink() or (state.exists() and not state.is_dir()):
        fail("hook.state-folder-invalid", f"{state} is not a folder", str(state))
    state.mkdir(parents=True, exist_ok=True)
    if euid() == 0 and mode_is_bwrap():
        _chown_tree(state)
    return state


def mode_is_bwrap() -> bool:
    return os.environ.get("MODGATE_SANDBOX", "").strip().lower() != "off"


def _chown_tree(root: Path, budget: int = 10_000) -> None:
    os.chown(root, NOBODY, NOBODY, follow_symlinks=False)
    for base, dirs, files in os.walk(root):
        for name in (*dirs, *files):
            budget -= 1
            if budget < 0:
                return
            os.chown(os.path.join(base, name), NOBODY, NOBODY, follow_symlinks=False)


def rlimits(cpu_seconds: int) -> tuple[tuple[int, int], ...]:
    """(RLIMIT_*, value): processes, address space, file size, CPU, open files, no core dumps."""
    import resource  # POSIX only; imported where it is needed

    return ((resource.RLIMIT_NPROC, MAX_PROCESSES), (resource.RLIMIT_AS, MAX_ADDRESS_SPACE),
            (resource.RLIMIT_FSIZE, MAX_FILE_SIZE), (resource.RLIMIT_CPU, cpu_seconds),
            (resource.RLIMIT_NOFILE, MAX_OPEN_FILES), (resource.RLIMIT_CORE, 0))


def limits(cpu_seconds: int) -> Callable[[], None]:
    """The rlimits applied in the child after fork and before exec (the unsandboxed mode only)."""
    values = rlimits(cpu_seconds)

    def apply() -> None:
        import resource

        for key, value in values:
            resource.setrlimit(key, (value, value))

    return apply


def handler_argv(argv: tuple[str, ...]) -> tuple[str, ...]:
    """CodexChat's rule: an absolute first element runs directly, anything else via /usr/bin/env.

    ``python3``/``python`` run modgate's own interpreter (a known, fast Python everywhere).
    """
    first, rest = argv[0], argv[1:]
    if first in ("python3", "python"):
        return (os.path.realpath(sys.executable), *rest)
    if first.startswith("/") or "/" in first:  # absolute, or relative to the handler's cwd
        return argv
    found = _system_command(first)  # what /usr/bin/env would find in the sandbox's PATH, one exec less
    return (found, *rest) if found else ("/usr/bin/env", *argv)


@functools.lru_cache(maxsize=64)
def _system_command(name: str) -> str | None:
    found = shutil.which(name, path=PATH)
    return found if found and found.startswith(SYSTEM_DIRS) else None


def environment(home: str, tmp: str) -> dict[str, str]:
    return {"PATH": PATH, "LANG": os.environ.get("LANG", "C.UTF-8"), "HOME": home, "TMPDIR": tmp}


def plan(spec: SandboxSpec) -> Launch:
    """The command that runs the handler under the current sandbox mode."""
    if mode() == "off":
        return _unsandboxed(spec)
    return _bwrap(spec)


def _unsandboxed(spec: SandboxSpec) -> Launch:
    state = state_dir(spec.mod_dir)
    cwd = spec.mod_dir / (spec.cwd or ".")
    project = str(spec.project_dir) if spec.project_dir is not None else None
    return Launch(argv=handler_argv(spec.argv), env=environment(str(state), str(state)), cwd=str(cwd),
                  preexec=limits(spec.cpu_seconds), project_path=project, sandboxed=False)


def _bwrap(spec: SandboxSpec) -> Launch:
    args = [bwrap_path(), "--die-with-parent", "--unshare-pid", "--unshare-ipc", "--unshare-uts",
            "--unshare-cgroup-try"]
    root = euid() == 0
    if not root:
        args += ["--unshare-user", "--uid", str(NOBODY), "--gid", str(NOBODY), "--disable-userns"]
    if not spec.network:
        args.append("--unshare-net")
    args += _system_mounts(spec.home)
    args += ["--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--tmpfs", "/tmp",
             "--perms", "0755", "--dir", MOD_MOUNT, "--ro-bind", str(spec.mod_dir), MOD_MOUNT,
             "--bind", str(state_dir(spec.mod_dir)), f"{MOD_MOUNT}/{STATE_REL}"]
    project = None
    if spec.project_dir is not None and spec.project_access in ("ro", "rw"):
        project = PROJECT_MOUNT
        args += ["--perms", "0755", "--dir", PROJECT_MOUNT,
                 "--ro-bind" if spec.project_access == "ro" else "--bind", str(spec.project_dir), PROJECT_MOUNT]
        args += _mask_inside(spec.project_dir, PROJECT_MOUNT, (spec.home, spec.project_dir / "mods"))
    home = f"{MOD_MOUNT}/{STATE_REL}"
    cwd = f"{MOD_MOUNT}/{spec.cwd}" if spec.cwd not in (None, "", ".") else MOD_MOUNT
    args += ["--clearenv"]
    for key, value in environment(home, "/tmp").items():
        args += ["--setenv", key, value]
    args += ["--chdir", cwd, "--"]
    if root:  # RLIMIT_NPROC does not bind uid 0: run the handler as nobody, without capabilities
        args += [_system_command("setpriv") or "setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
                 "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--"]
    args += handler_argv(spec.argv)
    return Launch(argv=tuple(args), env={"PATH": PATH}, cwd="/", preexec=None, project_path=project,
                  sandboxed=True, limits=rlimits(spec.cpu_seconds))


def _system_mounts(home: Path) -> list[str]:
    return list(_system_mounts_for(str(home), python_prefix()))


@functools.lru_cache(maxsize=16)
def _system_mounts_for(home_text: str, prefix: str | None) -> tuple[str, ...]:
    # The system folders do not move while modgate runs: worked out once, not per handler run.
    home = Path(home_text)
    out: list[str] = []
    for folder in (*SYSTEM_DIRS, *((prefix,) if prefix else ())):
        if os.path.isdir(folder) and not os.path.islink(folder):
            out += ["--ro-bind", folder, folder]
            out += _mask_inside(Path(folder), folder, (home,))
        elif os.path.islink(folder):  # merged /usr: /bin -> usr/bin
            out += ["--symlink", os.readlink(folder), folder]
    return tuple(out)


def python_prefix() -> str | None:
    """modgate's Python installation (for ``python3`` handlers), when this user can read it."""
    return _readable_prefix(sys.base_prefix, euid())


@functools.lru_cache(maxsize=4)
def _readable_prefix(base: str, uid: int) -> str | None:
    # Resolved once per interpreter and uid, not per handler run.
    prefix = os.path.realpath(base)
    return prefix if os.access(prefix, os.R_OK | os.X_OK) else None


def _mask_inside(source: Path, mount: str, hidden: tuple[Path, ...]) -> list[str]:
    """tmpfs over any hidden folder that lies inside a mounted one (MODGATE_HOME under /opt, …)."""
    out: list[str] = []
    real = os.path.realpath(source)
    for item in hidden:
        target = os.path.realpath(item)
        if os.path.isdir(target) and (target == real or target.startswith(real + os.sep)):
            rel = os.path.relpath(target, real)
            out += ["--tmpfs", mount if rel == "." else f"{mount}/{rel}"]
    return out
