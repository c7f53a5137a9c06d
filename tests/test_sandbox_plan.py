"""The bubblewrap command line, checked without running it (both the root and the non-root shape)."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from modgate.ext import sandbox
from modgate.ext.errors import ExtError


def spec(tmp_path: Path, **kw: object) -> sandbox.SandboxSpec:
    mod = tmp_path / "mod"
    (mod / ".codexchat" / "state").mkdir(parents=True, exist_ok=True)
    base = {"mod_dir": mod, "argv": ("sh", "scripts/x.sh"), "cwd": None, "project_dir": None,
            "project_access": "none", "network": False, "home": tmp_path / "home", "cpu_seconds": 9}
    return sandbox.SandboxSpec(**{**base, **kw})  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def _bwrap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MODGATE_SANDBOX", raising=False)
    monkeypatch.setattr(sandbox, "unavailable_reason", lambda: None)


def test_root_drops_to_nobody_without_a_user_namespace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sandbox, "euid", lambda: 0)
    argv = sandbox.plan(spec(tmp_path)).argv
    assert "--unshare-user" not in argv and "--unshare-net" in argv and "--unshare-pid" in argv
    tail = argv[argv.index("--chdir"):]
    assert not any(a.endswith("prlimit") for a in argv)  # limits are set from outside (modgate.ext.gate)
    import resource

    assert dict(sandbox.plan(spec(tmp_path)).limits)[resource.RLIMIT_NPROC] == sandbox.MAX_PROCESSES
    assert "--reuid=65534" in tail and "--bounding-set=-all" in tail and "--no-new-privs" in tail
    assert tail[-1] == "scripts/x.sh" and tail[-2].endswith("/sh")


def test_non_root_uses_an_unprivileged_user_namespace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sandbox, "euid", lambda: 1000)
    argv = sandbox.plan(spec(tmp_path, network=True)).argv
    assert argv[argv.index("--unshare-user"):][:6] == ("--unshare-user", "--uid", "65534", "--gid", "65534",
                                                      "--disable-userns")
    assert not any(a.endswith(("setpriv", "prlimit")) for a in argv) and "--unshare-net" not in argv
    assert len(sandbox.plan(spec(tmp_path)).limits) == 6


def test_project_mounts_follow_the_permissions_and_hide_home_and_mods(tmp_path: Path) -> None:
    project = tmp_path / "proj"
    (project / "mods").mkdir(parents=True)
    (project / "home").mkdir()
    none = sandbox.plan(spec(tmp_path, project_dir=project, home=project / "home"))
    assert sandbox.PROJECT_MOUNT not in none.argv and none.project_path is None
    ro = sandbox.plan(spec(tmp_path, project_dir=project, project_access="ro", home=project / "home")).argv
    i = ro.index(str(project))
    assert ro[i - 1] == "--ro-bind" and ro[i + 1] == "/project"
    assert ro[ro.index("/project/home") - 1:ro.index("/project/home") + 1] == ("--tmpfs", "/project/home")
    assert "/project/mods" in ro
    rw = sandbox.plan(spec(tmp_path, project_dir=project, project_access="rw", home=project / "home")).argv
    assert rw[rw.index(str(project)) - 1] == "--bind"


def test_environment_and_python(tmp_path: Path) -> None:
    launch = sandbox.plan(spec(tmp_path, argv=("python3", "x.py"), cwd="scripts"))
    argv = launch.argv
    env = {argv[i + 1]: argv[i + 2] for i, a in enumerate(argv) if a == "--setenv"}
    assert set(env) == {"PATH", "LANG", "HOME", "TMPDIR"} and env["HOME"] == "/mod/.codexchat/state"
    assert "--clearenv" in argv and argv[argv.index("--chdir") + 1] == "/mod/scripts"
    assert str(Path(sys.executable).resolve()) in argv
    assert launch.env == {"PATH": sandbox.PATH} and launch.preexec is None


def test_missing_bwrap_is_coded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sandbox, "unavailable_reason", lambda: "`bwrap` was not found on PATH")
    with pytest.raises(ExtError) as info:
        sandbox.mode()
    assert info.value.code == "sandbox-unavailable"
    assert "apt-get install -y bubblewrap" in (info.value.problem.hint or "")
    monkeypatch.setenv("MODGATE_SANDBOX", "off")
    assert sandbox.mode() == "off"


@pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap is not installed")
def test_reason_names_the_missing_tool(tmp_path: Path) -> None:
    assert sandbox._reason(str(tmp_path), 0) == "`bwrap` was not found on PATH"
    folder = str(Path(shutil.which("bwrap") or "").parent)
    if shutil.which("setpriv", path=folder):
        assert sandbox._reason(folder, 0) is None


@pytest.mark.skipif(shutil.which("bwrap") is None or shutil.which("setpriv") is None or sandbox.euid() != 0,
                    reason="needs bubblewrap, setpriv and root (to run the non-root shape as nobody)")
def test_the_non_root_shape_really_runs_as_an_unprivileged_user(monkeypatch: pytest.MonkeyPatch) -> None:
    """The user-namespace sandbox, started by an unprivileged user (nobody): limits bind there too."""
    import os
    import tempfile
    from dataclasses import replace

    from modgate.ext import gate
    from modgate.ext.worker import run_worker

    monkeypatch.setattr(sandbox, "euid", lambda: 65534)
    monkeypatch.setattr(sandbox, "python_prefix", lambda: None)  # root's Python is not nobody's to read
    base = Path(tempfile.mkdtemp())  # outside pytest's private (0700) folders: nobody must reach it
    try:
        base.chmod(0o755)
        mod = base / "mod"
        state = mod / ".codexchat" / "state"
        state.mkdir(parents=True)
        for folder in (mod, mod / ".codexchat"):
            folder.chmod(0o755)
        os.chown(state, 65534, 65534)
        (mod / "h.sh").write_text(
            'read -r l; exec > "$HOME/out"; id -u; echo x > "$HOME/ok" && echo wrote; (echo y > /mod/bad) 2>/dev/null'
            ' || echo rofs;'
            ' n=0; while [ $n -lt 200 ]; do sleep 2 & n=$((n+1)); echo $n > "$HOME/n"; done\n')
        launch = sandbox.plan(spec(Path(base), argv=("sh", "h.sh"), home=base / "nohome"))
        argv = ("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--", *launch.argv)
        # modgate itself would be nobody: prlimit(2) on its own uid's process needs no capability
        monkeypatch.setattr(gate, "set_limits", as_nobody(gate.set_limits))
        done = run_worker(replace(launch, argv=argv), b"{}\n", 60_000)  # the limits go through the gate
        assert done.status == "failed" and done.error is not None, done  # three lines, none of them JSON
        lines = (state / "out").read_text().split()
        assert lines == ["65534", "wrote", "rofs"], done.stderr
        assert int((state / "n").read_text()) < sandbox.MAX_PROCESSES  # the fork loop hit RLIMIT_NPROC
    finally:
        shutil.rmtree(base, ignore_errors=True)


def as_nobody(call: Callable[[int, tuple[tuple[int, int], ...]], None]
              ) -> Callable[[int, tuple[tuple[int, int], ...]], None]:
    """``call`` made from a forked child that switched to nobody (no capabilities left)."""
    import os

    def run(pid: int, limits: tuple[tuple[int, int], ...]) -> None:
        child = os.fork()
        if child == 0:  # pragma: no cover - the forked child
            code = 1
            try:
                os.setgroups([])
                os.setresgid(65534, 65534, 65534)
                os.setresuid(65534, 65534, 65534)
                call(pid, limits)
                code = 0
            finally:
                os._exit(code)
        if os.waitpid(child, 0)[1] != 0:
            raise PermissionError("prlimit as nobody failed")

    return run


@pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap is not installed")
def test_a_sandbox_that_fails_to_start_is_a_failed_run_with_bubblewraps_reason(tmp_path: Path) -> None:
    """Before it reports its sandbox process (a bad option) or after (a missing mount source)."""
    from dataclasses import replace

    from modgate.ext.worker import run_worker

    launch = sandbox.plan(spec(tmp_path, argv=("/bin/sh", "-c", "read x; echo '{}'")))
    assert run_worker(launch, b"{}\n", 10_000).status == "ok"
    bogus = run_worker(replace(launch, argv=(launch.argv[0], "--bogus-option", *launch.argv[1:])), b"{}\n", 10_000)
    assert bogus.status == "failed" and "--bogus-option" in (bogus.error or "")
    argv = list(launch.argv)
    argv[argv.index(str(tmp_path / "mod"))] = str(tmp_path / "gone")
    missing = run_worker(replace(launch, argv=tuple(argv)), b"{}\n", 10_000)
    assert missing.status == "failed" and "gone" in (missing.error or "")
