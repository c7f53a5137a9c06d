"""The extension runtime through its commands: events, permissions, logs, modsBar, board events,
automations, debounce, the sandbox switch. Handlers are tests/fixtures/hooks scripts."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.clihelp import run, run_json, run_process
from tests.hook_helpers import hook, install, probe, runner, runtime, write_mod

from modgate.app import Runtime
from modgate.ext import runlog, runstate
from modgate.ext.cron import Cron, cron_error
from modgate.ext.errors import ExtError
from modgate.ext.hooks import EventContext
from modgate.host import get_host

needs_bwrap = pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap is not installed")


@pytest.fixture
def rt() -> Iterator[Runtime]:
    with runtime() as r:
        yield r


def installed(tmp_path: Path, rt: Runtime, hooks: list[dict[str, Any]], name: str = "acme.probe",
              **kw: Any) -> str:
    host = kw.pop("host", "codexchat")
    project = kw.pop("project", None)
    src = write_mod(tmp_path / f"src-{name}", name, hooks, **kw)
    return install(rt, src, host=host, project=project, scope="project" if project else "global")


@needs_bwrap
def test_events_emit_json_shape_and_hook_state(tmp_path: Path, rt: Runtime) -> None:
    iid = installed(tmp_path, rt, [hook("s", ["sh", "scripts/ok.sh"]), probe("p", "echo", event="turn.failed")])
    code, out = run_json("events", "emit", "turn.completed", "--thread", "t1", "--turn", "u1")
    assert code == 0
    assert out["ok"] is True and out["event"] == "turn.completed"
    assert [(r["installId"], r["modId"], r["hookId"], r["status"], r["error"]) for r in out["runs"]] == [
        (iid, "acme.probe", "s", "ok", None)]
    assert isinstance(out["runs"][0]["durationMs"], float)
    state = runstate.get(rt.db, iid, "hook", "s")
    assert state.last_status == "ok" and state.last_run_at is not None and state.last_error is None
    run_json("mod", "uninstall", iid, "--yes")
    assert runstate.get(rt.db, iid, "hook", "s").last_run_at is None  # the state went with the install


def test_unknown_event_and_bad_payload_are_coded(rt: Runtime) -> None:
    code, out = run_json("events", "emit", "turn.exploded")
    assert (code, out["code"]) == (1, "event.unknown")
    code, out = run_json("events", "emit", "turn.completed", "--payload", '{"n": 1}')
    assert (code, out["code"]) == (1, "event.invalid-payload")
    code, out = run_json("events", "emit", "turn.completed", "--payload", "{nope")
    assert (code, out["code"]) == (1, "event.invalid-payload")


@needs_bwrap
def test_permissions_at_first_use(tmp_path: Path, rt: Runtime) -> None:
    iid = installed(tmp_path, rt, [probe("p", "state", permissions=("projectRead",))])
    code, out = run_json("mod", "permissions", "acme.probe")  # C4: the install decided nothing
    assert code == 0 and out == {"ok": True, "installId": iid, "permissions": {
        "projectRead": "undecided", "projectWrite": "undecided", "network": "undecided",
        "runtimeControl": "undecided", "runWhenAppClosed": "undecided"}}
    code, out = run_json("events", "emit", "turn.completed")
    assert code == 3
    assert out["runs"][0]["status"] == "permission-required"
    assert f"modgate mod permissions {iid} --grant projectRead" in out["runs"][0]["error"]
    code, out = run_json("mod", "permissions", iid, "--deny", "projectRead")
    assert out["permissions"]["projectRead"] == "denied"
    code, out = run_json("events", "emit", "turn.completed")
    assert code == 0 and out["runs"][0]["status"] == "permission-denied"
    assert runstate.get(rt.db, iid, "hook", "p").last_status == "permission-denied"
    code, out = run_json("mod", "permissions", iid, "--grant", "projectRead")
    assert out["permissions"]["projectRead"] == "granted"
    code, out = run_json("events", "emit", "turn.completed")
    assert code == 0 and out["runs"][0]["status"] == "ok"
    code, out = run_json("mod", "permissions", iid, "--reset")
    assert out["permissions"]["projectRead"] == "undecided"
    assert run_json("events", "emit", "turn.completed")[0] == 3  # asked again
    code, out = run_json("mod", "permissions", iid, "--grant", "everything")
    assert (code, out["code"]) == (1, "permission.unknown-key")
    tx = run_json("tx", "list")[1]
    assert any(t.get("title", "").startswith("permission-grant") for t in tx["transactions"])
    from modgate.ext import records

    assert rt.store.state()["extensions"] == records.mirror(rt.db)  # the state domain follows the records


@needs_bwrap
def test_permission_question_on_a_terminal_is_stored(tmp_path: Path, rt: Runtime) -> None:
    iid = installed(tmp_path, rt, [probe("p", "state", permissions=("network",))])
    asked: list[Any] = []
    runs = runner(rt, ask=lambda q: asked.append(q) or True).emit(EventContext(event="turn.completed"))
    assert runs[0].status == "ok"
    assert (asked[0].key, asked[0].mod_id, asked[0].item, asked[0].scope) == ("network", "acme.probe", "hook p",
                                                                             "global")
    assert run_json("mod", "permissions", iid)[1]["permissions"]["network"] == "granted"


@needs_bwrap
def test_logs_are_redacted(tmp_path: Path, rt: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_SERVICE_TOKEN", "tok-very-secret-value")
    installed(tmp_path, rt, [probe("p", "secret")])
    run_json("events", "emit", "turn.completed", "--payload", json.dumps({"extra": "tok-very-secret-value"}))
    code, out = run_json("mod", "logs", "global:acme.probe")
    assert code == 0 and set(out) == {"ok", "lines"}
    text = "\n".join(out["lines"])
    for secret in ("abcdef123456789", "hunter2", "tok123", "tok-very-secret-value"):
        assert secret not in text
    assert "[REDACTED]" in text


def test_log_rotation_keeps_the_size_bounded(tmp_path: Path) -> None:
    home = tmp_path / "h"
    for i in range(3000):
        runlog.append(home, "global:x", f"line {i} " + "y" * 200)
    folder = runlog.log_dir(home, "global:x")
    assert (folder / "runtime.log.1").exists()
    assert sum(p.stat().st_size for p in folder.iterdir()) < 3 * runlog.MAX_LOG_BYTES
    assert runlog.read(home, "global:x")[-1].endswith("y" * 200)


@needs_bwrap
def test_concurrent_events_for_one_hook_are_debounced(tmp_path: Path, rt: Runtime) -> None:
    installed(tmp_path, rt, [probe("p", "sleep", debounceMs=60000)])
    procs = [subprocess.Popen([sys.executable, "-m", "modgate", "events", "emit", "turn.completed", "--json"],
                              stdout=subprocess.PIPE, text=True, env=dict(os.environ)) for _ in range(3)]
    statuses = sorted(json.loads(p.communicate(timeout=60)[0])["runs"][0]["status"] for p in procs)
    assert statuses == ["debounced", "debounced", "ok"]
    rt.db.execute("UPDATE ext_run_state SET claimed_at = claimed_at - 120")
    assert run_json("events", "emit", "turn.completed")[1]["runs"][0]["status"] == "ok"


def test_sandbox_unavailable_without_bwrap(tmp_path: Path, rt: Runtime) -> None:
    installed(tmp_path, rt, [hook("s", ["sh", "scripts/ok.sh"])])
    empty = tmp_path / "empty-path"
    empty.mkdir()
    proc = run_process("events", "emit", "turn.completed", "--json", env={"PATH": str(empty)})
    assert proc.returncode == 1, proc.stderr
    out = json.loads(proc.stdout)
    assert out["runs"][0]["status"] == "sandbox-unavailable"
    assert "bwrap" in out["runs"][0]["error"] and "apt-get install -y bubblewrap" in out["runs"][0]["error"]


def test_sandbox_off_runs_unsandboxed_with_a_cleared_environment(tmp_path: Path, rt: Runtime,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODGATE_SANDBOX", "off")
    monkeypatch.setenv("SOME_API_KEY", "should-not-leak")
    iid = installed(tmp_path, rt, [probe("e", "echo")])
    runs = runner(rt).emit(EventContext(event="turn.completed"))
    assert runs[0].status == "ok"
    line = [x for x in runlog.read(rt.home, iid) if " log: " in x][-1].split(" log: ", 1)[1]
    seen = json.loads(line)
    assert set(seen["env"]) <= {"PATH", "LANG", "HOME", "TMPDIR", "PWD"}
    assert seen["env"]["HOME"].endswith(".codexchat/state")


@needs_bwrap
def test_mods_bar_output_precedence_and_actions(tmp_path: Path, rt: Runtime) -> None:
    project = tmp_path / "proj"
    project.mkdir()
    bar = {"enabled": True, "title": "Slot", "source": {"type": "handlerOutput", "hookId": "bar"}}
    hooks = [probe("bar", "modsbar"), probe("act", "action", event="modsBar.action"),
             probe("other", "modsbar", event="turn.failed")]
    g = installed(tmp_path, rt, hooks, name="acme.global", mods_bar=bar)
    code, out = run_json("modsbar", "--thread", "t1")
    assert out["modsBar"]["installId"] == g and out["modsBar"]["markdown"] == ""
    run_json("events", "emit", "turn.completed", "--thread", "t1", "--turn", "u7")
    code, out = run_json("modsbar", "--thread", "t1")
    assert code == 0
    assert out["modsBar"] == {"installId": g, "modId": "acme.global", "title": "T", "markdown": "turn u7",
                              "scope": "thread", "actions": out["modsBar"]["actions"]}
    assert [a["id"] for a in out["modsBar"]["actions"]] == ["again", "ask", "ins"]
    run_json("events", "emit", "turn.failed", "--thread", "t1", "--turn", "u8")  # source names another hook
    assert run_json("modsbar", "--thread", "t1")[1]["modsBar"]["markdown"] == "turn u7"
    assert run_json("modsbar")[1]["modsBar"] is None  # requiresThread: no thread, no surface

    code, out = run_json("modsbar", "action", "ins", "--thread", "t1")
    assert (code, out["composerText"], out["runs"]) == (0, "hello composer", [])
    code, out = run_json("modsbar", "action", "ask", "--thread", "t1")
    assert (code, out["code"]) == (1, "modsbar.input-required")
    code, out = run_json("modsbar", "action", "ask", "--thread", "t1", "--input", "42")
    assert code == 0 and out["actionId"] == "ask" and out["composerText"] is None
    assert [r["hookId"] for r in out["runs"]] == ["act"]
    code, out = run_json("modsbar", "action", "nope", "--thread", "t1")
    assert (code, out["code"]) == (1, "modsbar.action-not-found")

    p = installed(tmp_path, rt, [probe("bar", "modsbar")], name="acme.local", mods_bar=bar, project=project)
    assert run_json("modsbar", "--thread", "t1", "--project", str(project))[1]["modsBar"]["installId"] == p
    code, out = run_json("modsbar", "--thread", "t1", "--project", str(project), "--select", g)
    assert out["modsBar"]["installId"] == g


@needs_bwrap
def test_board_events_reach_board_hooks_after_commit(tmp_path: Path, rt: Runtime) -> None:
    iid = installed(tmp_path, rt, [probe("e", "echo", event="command.executed"),
                                   probe("s", "echo", event="state.changed")], host="board")
    seen: list[tuple[str, dict[str, str], bool]] = []
    rt.bus.after_commit.insert(0, lambda e, info: seen.append((e, info, rt.db.in_transaction)))
    rt.tx.after_commit.insert(0, lambda e, info: seen.append((e, info, rt.db.in_transaction)))
    env = rt.bus.dispatch("setPenWidth", {"width": 6})
    assert env["ok"], env
    info = {"commandId": "setPenWidth", "role": "host", "revision": str(env["revision"])}
    assert seen == [("command.executed", info, False), ("state.changed", info, False)]
    logged = [json.loads(x.split(" log: ", 1)[1]) for x in runlog.read(rt.home, iid) if " log: " in x]
    assert [d["envelope"]["event"] for d in logged] == ["command.executed", "state.changed"]
    assert logged[0]["envelope"]["payload"] == info
    queued = rt.bus.dispatch("addPage", {}, role="student")
    assert queued["code"] == "approval-required"
    assert seen[-1][0] == "command.queued" and seen[-1][1]["txId"] == queued["approvalId"]
    assert seen[-1][1]["revision"] == str(env["revision"])
    rt.bus.approve(queued["approvalId"])
    assert [e for e, _, _ in seen[-4:]] == ["command.queued", "tx.applied", "command.executed", "state.changed"]
    assert not any(inside for _, _, inside in seen)


def test_board_hooks_dispatch_commands_as_extension_without_loops(tmp_path: Path, rt: Runtime,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODGATE_SANDBOX", "off")  # the dispatch path, not the sandbox, is under test here
    script = tmp_path / "cmd.py"
    commands = [{"commandId": "setPenWidth", "payload": {"width": 9}}, {"commandId": "addPage", "payload": {}}]
    script.write_text(f"import sys\nsys.stdin.readline()\nprint({json.dumps(json.dumps({'commands': commands}))})\n")
    src = write_mod(tmp_path / "src", "acme.board", [hook("c", [sys.executable, str(script)],
                                                          event="command.executed")])
    iid = install(rt, src, host="board")
    env = rt.bus.dispatch("setPenWidth", {"width": 6})
    assert env["ok"]
    journal = [(e["commandId"], e["role"]) for e in rt.store.journal()]
    assert ("setPenWidth", "extension") in journal
    queued = rt.approvals.items("pending")
    assert [(q["commandId"], q["role"]) for q in queued] == [("addPage", "extension")]
    lines = runlog.read(rt.home, iid)
    assert sum("hook c: ok" in x for x in lines) == 1  # the extension's own commands trigger nothing
    assert any("command addPage: approval-required" in x for x in lines)


def test_install_validates_hook_events_against_the_host(tmp_path: Path, rt: Runtime) -> None:
    for host, event, ok in (("board", "command.executed", True), ("board", "tx.rolled_back", True),
                            ("codexchat", "command.executed", False), ("board", "tx.bogus", False),
                            ("codexchat", "turn.completed", True), ("board", "turn.completed", False),
                            ("board", "modsBar.action", True), ("codexchat", "modsBar.action", True)):
        src = write_mod(tmp_path / f"{host}-{event}", "acme.ev", [hook("h", ["sh", "scripts/ok.sh"], event=event)])
        if ok:
            iid = install(rt, src, host=host)
            run_json("mod", "uninstall", iid, "--yes")
        else:
            with pytest.raises(ExtError) as info:
                install(rt, src, host=host)
            assert info.value.code == "package.event-not-declared" and f"the {host} host" in info.value.message
            declared = list(dict.fromkeys((*get_host(host).event_names, "modsBar.action")))
            assert info.value.problem.detail["events"] == declared
    # the command line names the install host's own list
    src = write_mod(tmp_path / "cli", "acme.cli", [hook("h", ["sh", "scripts/ok.sh"], event="turn.completed")])
    code, out = run_json("mod", "install", str(src), "--host", "board", "--yes")
    assert (code, out["code"]) == (1, "package.event-not-declared")
    assert "command.executed, command.queued" in out["message"] and "turn.completed'" in out["message"]
    code, out = run_json("mod", "validate", str(src), "--host", "board")
    assert (code, out["code"]) == (1, "package.event-not-declared")
    assert run_json("mod", "validate", str(src), "--host", "codexchat")[0] == 0


@needs_bwrap
def test_an_event_reaches_only_mods_of_a_host_that_declares_it(tmp_path: Path, rt: Runtime) -> None:
    chat = installed(tmp_path, rt, [hook("t", ["sh", "scripts/ok.sh"], event="turn.completed"),
                                    hook("b", ["sh", "scripts/ok.sh"], event="modsBar.action")], name="acme.chat")
    board = installed(tmp_path, rt, [hook("c", ["sh", "scripts/ok.sh"], event="command.executed"),
                                     hook("b", ["sh", "scripts/ok.sh"], event="modsBar.action")], name="acme.board",
                      host="board")
    code, out = run_json("events", "emit", "turn.completed")
    assert code == 0 and [(r["installId"], r["hookId"]) for r in out["runs"]] == [(chat, "t")]
    code, out = run_json("events", "emit", "command.executed", "--payload", '{"commandId": "x", "role": "host"}')
    assert code == 0 and [(r["installId"], r["hookId"]) for r in out["runs"]] == [(board, "c")]
    code, out = run_json("events", "emit", "modsBar.action")  # the modsBar's own event: every host's mods
    assert code == 0 and sorted(r["installId"] for r in out["runs"]) == sorted([chat, board])
    code, out = run_json("events", "emit", "turn.exploded")
    assert (code, out["code"]) == (1, "event.unknown")
    assert "codexchat: thread.started" in out["message"] and "board: command.executed" in out["message"]
    # the Python API follows the same rule
    from modgate.embed import emit_event

    assert [r["installId"] for r in emit_event(rt, "turn.completed")] == [chat]


@pytest.mark.parametrize(("schedule", "after", "expected"), [
    ("*/15 9-17 * * mon-fri", "2026-11-28T10:03", "2026-11-30T09:00"),
    ("0 9 * * *", "2026-11-30T09:00", "2026-12-01T09:00"),
    ("30 4 1,15 * 5", "2026-11-30T09:00", "2026-12-01T04:30"),
    ("0 0 29 feb *", "2026-11-30T09:00", "2028-02-29T00:00"),
    ("5-10/5 * * jan-dec sun", "2026-11-30T09:00", "2026-12-06T00:05"),
    ("0 12 * * 7", "2026-11-30T09:00", "2026-12-06T12:00"),
])
def test_cron_next_run(schedule: str, after: str, expected: str) -> None:
    from datetime import UTC, datetime

    got = Cron.parse(schedule).next_after(datetime.fromisoformat(after).replace(tzinfo=UTC))
    assert got is not None and got.strftime("%Y-%m-%dT%H:%M") == expected


@pytest.mark.parametrize("schedule", ["* * * *", "60 * * * *", "* 24 * * *", "*/0 * * * *", "5-1 * * * *",
                                      "@daily", "* * * foo *"])
def test_invalid_cron_is_refused(schedule: str) -> None:
    assert cron_error(schedule) is not None


@needs_bwrap
def test_automations_run_due_catches_up_once(tmp_path: Path, rt: Runtime) -> None:
    auto = {"id": "tick", "schedule": "0 * * * *", "handler": {"command": ["sh", "scripts/ok.sh"]},
            "permissions": {}}
    iid = installed(tmp_path, rt, [], automations=[auto])
    rt.db.execute("UPDATE ext_installs SET created_at = ?", (1_800_000_000.0,))  # 2027-01-15T08:00:00Z
    code, out = run_json("automations", "list")
    assert out["automations"] == [{"installId": iid, "automationId": "tick", "schedule": "0 * * * *",
                                   "nextRunAt": "2027-01-15T09:00:00Z", "lastRunAt": None, "lastStatus": None}]
    code, out = run_json("automations", "run-due", "--now", "2027-01-15T08:30:00Z")
    assert (code, out["runs"]) == (0, [])
    code, out = run_json("automations", "run-due", "--now", "2027-01-15T13:10:00Z")  # 5 missed: one run
    assert [(r["automationId"], r["status"]) for r in out["runs"]] == [("tick", "ok")]
    assert set(out["runs"][0]) == {"installId", "automationId", "status", "durationMs", "error"}
    code, out = run_json("automations", "run-due", "--now", "2027-01-15T13:20:00Z")
    assert out["runs"] == []
    listed = run_json("automations", "list")[1]["automations"][0]
    assert listed["nextRunAt"] == "2027-01-15T14:00:00Z" and listed["lastStatus"] == "ok"
    code, out = run_json("automations", "run-due", "--now", "yesterday")
    assert (code, out["code"]) == (1, "automation.invalid-time")


@needs_bwrap
def test_run_when_closed_needs_permission_and_global_consent(tmp_path: Path, rt: Runtime) -> None:
    closed = {"id": "night", "schedule": "0 3 * * *", "handler": {"command": ["sh", "scripts/ok.sh"]},
              "permissions": {"runWhenAppClosed": True}}
    plain = {"id": "plain", "schedule": "0 3 * * *", "handler": {"command": ["sh", "scripts/ok.sh"]},
             "permissions": {}}
    iid = installed(tmp_path, rt, [], automations=[closed, plain])
    rt.db.execute("UPDATE ext_installs SET created_at = ?", (1_800_000_000.0,))
    code, out = run_json("automations", "run-due", "--closed", "--now", "2027-01-16T04:00:00Z")
    assert [(r["automationId"], r["status"]) for r in out["runs"]] == [("night", "consent-required")]
    run_json("automations", "allow-closed")
    run_json("mod", "permissions", iid, "--deny", "runWhenAppClosed")
    code, out = run_json("automations", "run-due", "--closed", "--now", "2027-01-17T04:00:00Z")
    assert [(r["automationId"], r["status"]) for r in out["runs"]] == [("night", "permission-denied")]
    run_json("mod", "permissions", iid, "--grant", "runWhenAppClosed")
    code, out = run_json("automations", "run-due", "--closed", "--now", "2027-01-18T04:00:00Z")
    assert code == 0 and [(r["automationId"], r["status"]) for r in out["runs"]] == [("night", "ok")]
    assert run_json("automations", "allow-closed", "--revoke")[1] == {"ok": True, "allowRunWhenAppClosed": False}
    events = [e["eventType"] for e in run_json("audit", "--limit", "1000")[1]["events"]]
    assert events.count("ext.allow-closed") == 2


def test_help_of_new_commands() -> None:
    for args in (("events", "emit"), ("modsbar",), ("modsbar", "action"), ("automations", "run-due"),
                 ("automations", "serve"), ("automations", "allow-closed"), ("mod", "permissions"), ("mod", "logs")):
        code, out, _ = run(*args, "--help")
        assert code == 0 and "Usage" in out


def test_automations_serve_stops_on_sigterm(rt: Runtime) -> None:
    import signal
    import time

    proc = subprocess.Popen([sys.executable, "-m", "modgate", "automations", "serve", "--interval", "1"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=dict(os.environ))
    time.sleep(1.5)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=10) == 0


@needs_bwrap
def test_module_import_and_rollback_reach_board_hooks(tmp_path: Path, rt: Runtime) -> None:
    iid = installed(tmp_path, rt, [probe("i", "echo", event="module.imported"),
                                   probe("a", "echo", event="tx.applied"),
                                   probe("r", "echo", event="tx.rolled_back")], host="board")
    code, made = run_json("new", "module", "geo-tools", "--dir", str(tmp_path))
    assert code == 0, made
    package = next(tmp_path.glob("geo-tools*.json"))
    code, out = run_json("import", str(package), "--yes")
    assert code == 0, out
    logged = [json.loads(x.split(" log: ", 1)[1])["envelope"] for x in runlog.read(rt.home, iid) if " log: " in x]
    assert sorted(e["event"] for e in logged) == ["module.imported", "tx.applied"]
    assert all(e["payload"]["txId"] and e["payload"]["role"] for e in logged)
    code, out = run_json("tx", "rollback", logged[0]["payload"]["txId"])
    assert code == 0, out
    last = json.loads([x for x in runlog.read(rt.home, iid) if " log: " in x][-1].split(" log: ", 1)[1])
    assert last["envelope"]["event"] == "tx.rolled_back"
    assert last["envelope"]["payload"]["txId"] == logged[0]["payload"]["txId"]
