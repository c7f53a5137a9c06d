"""Handlers that try to break out of the sandbox: each ends in its documented status, nothing
leaks, and the next event still works. Needs bubblewrap (`.ci/run` installs it)."""

from __future__ import annotations

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.hook_helpers import hook, install, probe, runner, runtime, write_mod

from modgate.app import Runtime
from modgate.ext import runlog, runstate
from modgate.ext.hooks import EventContext, HookRunner

pytestmark = pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap is not installed (apt-get "
                                "install -y bubblewrap; .ci/run installs it)")


@pytest.fixture
def rt() -> Iterator[Runtime]:
    with runtime() as r:
        yield r


def one(r: HookRunner, mode: str = "", **payload: str) -> Any:
    runs = r.emit(EventContext(event="turn.completed", thread_id="t", payload=payload))
    assert len(runs) == 1
    return runs[0]


def last_log(rt: Runtime, install_id: str, marker: str = " log: ") -> str:
    lines = [x for x in runlog.read(rt.home, install_id) if marker in x]
    return lines[-1].split(marker, 1)[1]


def mod_with(tmp_path: Path, rt: Runtime, *hooks: dict[str, Any], project: Path | None = None,
             name: str = "acme.probe") -> str:
    return install(rt, write_mod(tmp_path / f"src-{name}", name, list(hooks)), project=project,
                   scope="project" if project else "global", grant=True)  # what a granted key gives


def sleepers() -> list[int]:
    """Host pids running `sleep 300` or the probe's sleepers (left-behind children)."""
    found = []
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                cmd = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if cmd[:2] in ([b"sleep", b"300"], [b"/usr/bin/sleep", b"300"]):
                found.append(int(pid))
    return found


def test_environment_is_cleared_and_unprivileged(tmp_path: Path, rt: Runtime) -> None:
    iid = mod_with(tmp_path, rt, probe("e", "echo"))
    r = runner(rt)
    assert one(r).status == "ok"
    import json

    seen = json.loads(last_log(rt, iid))
    assert set(seen["env"]) <= {"PATH", "LANG", "HOME", "TMPDIR", "PWD"}
    assert seen["env"]["HOME"] == "/mod/.codexchat/state" and seen["cwd"] == "/mod"
    assert seen["uid"] != 0
    assert seen["envelope"]["protocol"] == "codexchat.extension.v1"
    assert "MODGATE_HOME" not in seen["env"]


def test_resource_limits_hold_in_the_handler(tmp_path: Path, rt: Runtime) -> None:
    """Set from outside on the waiting sandbox (modgate.ext.gate), inherited by the handler."""
    import json

    from modgate.ext import sandbox

    iid = mod_with(tmp_path, rt, probe("l", "limits", timeoutMs=3000))
    assert one(runner(rt)).status == "ok"
    seen = json.loads(last_log(rt, iid))
    assert seen["NPROC"] == [sandbox.MAX_PROCESSES] * 2 and seen["AS"] == [sandbox.MAX_ADDRESS_SPACE] * 2
    assert seen["FSIZE"] == [sandbox.MAX_FILE_SIZE] * 2 and seen["NOFILE"] == [sandbox.MAX_OPEN_FILES] * 2
    assert seen["CPU"] == [4, 4] and seen["CORE"] == [0, 0]


def test_a_sandbox_whose_limits_cannot_be_set_never_runs_the_handler(tmp_path: Path, rt: Runtime,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from modgate.ext import gate

    iid = mod_with(tmp_path, rt, probe("s", "state"))
    state = Path(rt.db.query("SELECT path FROM ext_installs WHERE id=?", (iid,))[0][0]) / ".codexchat" / "state"

    def refuse(pid: int, limits: object) -> None:
        raise PermissionError("prlimit refused")

    monkeypatch.setattr(gate, "set_limits", refuse)
    run = one(runner(rt))
    assert run.status == "failed" and "could not set the handler's resource limits" in (run.error or "")
    time.sleep(0.2)  # had the sandbox been released, the handler would have written its state by now
    assert not any(state.iterdir())
    monkeypatch.undo()
    assert one_more_works(rt)


def _server() -> tuple[socket.socket, int]:
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(4)
    srv.settimeout(10)

    def serve() -> None:
        for _ in range(2):
            try:
                conn, _ = srv.accept()
            except OSError:
                return
            conn.sendall(b"hello")
            conn.close()

    threading.Thread(target=serve, daemon=True).start()
    return srv, srv.getsockname()[1]


def test_network_refused_without_permission_and_works_with_it(tmp_path: Path, rt: Runtime) -> None:
    srv, port = _server()
    try:
        closed = mod_with(tmp_path, rt, probe("n", "net"), name="acme.closed")
        assert one(runner(rt), port=str(port)).status == "ok"
        assert last_log(rt, closed).startswith("refused:")
        rt.db.execute("UPDATE ext_installs SET enabled = 0 WHERE id = ?", (closed,))
        opened = mod_with(tmp_path, rt, probe("n", "net", permissions=("network",)), name="acme.open")
        assert one(runner(rt), port=str(port)).status == "ok"
        assert last_log(rt, opened) == "ok:hello"
    finally:
        srv.close()


def test_project_visible_only_with_permission_and_writable_only_with_project_write(tmp_path: Path,
                                                                                   rt: Runtime) -> None:
    project = tmp_path / "proj"
    project.mkdir()
    project.chmod(0o777)  # as root the handler runs as nobody: let DAC allow it, so the mount decides
    (project / "readme.txt").write_text("hi")
    ctx = EventContext(event="turn.completed", project=project, thread_id="t", payload={"path": "/project/x.txt"})
    none = mod_with(tmp_path, rt, probe("w", "write"), name="acme.none")
    ro = mod_with(tmp_path, rt, probe("w", "write", permissions=("projectRead",)), name="acme.ro")
    rw = mod_with(tmp_path, rt, probe("w", "write", permissions=("projectWrite",)), name="acme.rw")
    runner(rt).emit(ctx)
    assert last_log(rt, none).startswith("refused:")  # no /project at all
    assert last_log(rt, ro).startswith("refused:")  # read-only mount
    assert last_log(rt, rw) == "ok:written"
    assert (project / "x.txt").read_text() == "pwned"


def test_modgate_home_and_the_approval_key_are_invisible(tmp_path: Path, rt: Runtime) -> None:
    key = rt.tx.key  # creates keys/approval.key
    assert key
    home = rt.home
    reader = mod_with(tmp_path, rt, probe("r", "read", permissions=("projectRead",)), name="acme.reader")
    for target in (home / "keys" / "approval.key", home / "modgate.db", Path(rt.db.path)):
        assert one(runner(rt), path=str(target)).status == "ok"
        assert last_log(rt, reader).startswith("refused:"), target
    lister = mod_with(tmp_path, rt, probe("l", "listdir"), name="acme.lister")
    rt.db.execute("UPDATE ext_installs SET enabled = 0 WHERE id = ?", (reader,))
    one(runner(rt), path=str(home))
    assert last_log(rt, lister).startswith("refused:")


def test_writes_outside_the_state_folder_are_refused(tmp_path: Path, rt: Runtime) -> None:
    iid = mod_with(tmp_path, rt, probe("w", "write"))
    r = runner(rt)
    for target in ("/mod/scripts/probe.py", "/mod/evil.txt", "/etc/evil", "/usr/evil"):
        one(r, path=target)
        assert last_log(rt, iid).startswith("refused:"), target
    one(r, path="/mod/.codexchat/state/ok.txt")
    assert last_log(rt, iid) == "ok:written"
    one(r, path="/tmp/private.txt")
    assert last_log(rt, iid) == "ok:written"
    assert not Path("/tmp/private.txt").exists()  # a private /tmp


def test_state_folder_persists_between_runs(tmp_path: Path, rt: Runtime) -> None:
    iid = mod_with(tmp_path, rt, probe("s", "state"))
    r = runner(rt)
    one(r)
    one(r)
    assert last_log(rt, iid) == "count=2"


def test_fork_bomb_is_bounded_and_leaves_nothing(tmp_path: Path, rt: Runtime) -> None:
    iid = mod_with(tmp_path, rt, probe("f", "forkbomb", timeoutMs=20000), probe("ok", "state"))
    runs = runner(rt).emit(EventContext(event="turn.completed", thread_id="t"))
    assert [x.status for x in runs] == ["ok", "ok"]
    forked = int([x for x in runlog.read(rt.home, iid) if "forked=" in x][-1].rsplit("=", 1)[1])
    assert forked < 100
    assert one_more_works(rt)


def one_more_works(rt: Runtime) -> bool:
    runs = runner(rt).emit(EventContext(event="turn.completed", thread_id="t"))
    return all(x.status == "ok" for x in runs) and bool(runs)


@pytest.mark.slow
def test_one_gigabyte_of_output_fails_fast_at_the_cap(tmp_path: Path, rt: Runtime) -> None:
    mod_with(tmp_path, rt, hook("big", ["sh", "scripts/bigout.sh"], timeoutMs=30000))
    start = time.monotonic()
    run = one(runner(rt))
    assert run.status == "failed"
    assert run.error == "Extension worker output exceeded limit (262144 bytes)."
    assert time.monotonic() - start < 10


def test_sigterm_ignoring_handler_is_killed_after_the_grace(tmp_path: Path, rt: Runtime) -> None:
    iid = mod_with(tmp_path, rt, hook("t", ["sh", "scripts/ignore_term.sh"], timeoutMs=400))
    run = one(runner(rt))
    assert run.status == "timeout"
    assert run.error == "Extension worker timed out after 400ms."
    assert run.duration_ms < 400 + 200 + 1500
    state = runstate.get(rt.db, iid, "hook", "t")
    assert state.last_status == "failed" and "timed out" in (state.last_error or "")


def test_a_timed_out_handler_gets_its_grace(tmp_path: Path, rt: Runtime) -> None:
    iid = mod_with(tmp_path, rt, hook("t", ["sh", "scripts/term_log.sh"], timeoutMs=300))
    run = one(runner(rt))
    assert run.status == "timeout"
    path = Path(rt.db.query("SELECT path FROM ext_installs WHERE id = ?", (iid,))[0][0])
    assert (path / ".codexchat" / "state" / "term.txt").read_text().strip() == "term"


def test_left_behind_children_are_killed(tmp_path: Path, rt: Runtime) -> None:
    before = set(sleepers())
    mod_with(tmp_path, rt, hook("c", ["sh", "scripts/leave_child.sh"]), probe("p", "leave-child"))
    runs = runner(rt).emit(EventContext(event="turn.completed", thread_id="t"))
    assert [x.status for x in runs] == ["ok", "ok"]
    deadline = time.monotonic() + 3
    while set(sleepers()) - before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not set(sleepers()) - before


@pytest.mark.parametrize(("mode", "error"), [
    ("nonjson", "Extension worker returned malformed output: "),
    ("empty", "Extension worker returned malformed output: Missing JSON line output"),
    ("bigline", "Extension worker output exceeded limit (262144 bytes)."),
    ("fail", "Extension worker exited with status 3: boom"),
])
def test_bad_output_is_a_failed_run(tmp_path: Path, rt: Runtime, mode: str, error: str) -> None:
    iid = mod_with(tmp_path, rt, probe("x", mode))
    run = one(runner(rt))
    assert run.status == "failed"
    assert run.error is not None and run.error.startswith(error)
    assert runstate.get(rt.db, iid, "hook", "x").last_error == run.error


def test_artifacts_need_project_write_and_stay_inside_after_symlinks(tmp_path: Path, rt: Runtime) -> None:
    project, outside = tmp_path / "proj", tmp_path / "outside"
    project.mkdir()
    outside.mkdir()
    (project / "link").symlink_to(outside)
    (project / "file-link").symlink_to(outside / "target.txt")
    reader = mod_with(tmp_path, rt, probe("a", "artifact", permissions=("projectRead",)), name="acme.reader",
                      project=project)
    writer = mod_with(tmp_path, rt, probe("a", "artifact", permissions=("projectWrite",)), name="acme.writer",
                      project=project)
    r = runner(rt)
    (project / "mods").mkdir(exist_ok=True)
    for path in ("link/escape.txt", "file-link", "../escape.txt", "/abs.txt", "mods/acme.reader/ui.mod.json"):
        r.emit(EventContext(event="turn.completed", project=project, payload={"path": path}))
    assert not list(outside.iterdir()) and not (tmp_path / "escape.txt").exists()
    r.emit(EventContext(event="turn.completed", project=project, payload={"path": "notes/out.md"}))
    assert (project / "notes" / "out.md").read_text() == "artifact!"
    refused = [x for x in runlog.read(rt.home, writer) if "refused" in x]
    assert len(refused) == 5
    assert any("projectWrite" in x for x in runlog.read(rt.home, reader))


def test_a_linked_state_folder_is_refused(tmp_path: Path, rt: Runtime) -> None:
    iid = mod_with(tmp_path, rt, probe("s", "state"))
    path = Path(rt.db.query("SELECT path FROM ext_installs WHERE id = ?", (iid,))[0][0])
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (path / ".codexchat").symlink_to(elsewhere)
    # The link changes the tree: the mod is not loaded at all (a linked state folder inside an
    # unchanged tree is refused by prepare_state: `hook.state-folder-invalid`, golden case).
    assert runner(rt).emit(EventContext(event="turn.completed")) == []
    assert any("mod.tree-changed" in x for x in runlog.read(rt.home, iid))
    assert not list(elsewhere.iterdir())


def test_an_envelope_larger_than_the_pipe_buffer_arrives_whole(tmp_path: Path, rt: Runtime) -> None:
    iid = mod_with(tmp_path, rt, probe("s", "size"), probe("n", "empty"))
    runs = runner(rt).emit(EventContext(event="turn.completed", payload={"big": "z" * 300_000}))
    assert [x.status for x in runs] == ["ok", "failed"]  # "empty" answers nothing: a failed run
    assert last_log(rt, iid) == "size=300000"
