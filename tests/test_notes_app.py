"""examples/notes_app: a second host application, written only against the public API.

The first test imports it from the examples folder (nothing installed) and runs the whole
lifecycle; the second pip-installs it into a throwaway venv and finds it by entry point.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

import modgate
from modgate import tx

APP = Path(__file__).resolve().parent.parent / "examples" / "notes_app"


@pytest.fixture
def notes(monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    monkeypatch.syspath_prepend(str(APP))
    import notes_app

    modgate.register_host("notes", notes_app.host, replace=True)
    yield notes_app
    modgate.unregister_host("notes")


def test_dispatch_in_every_scope(notes: ModuleType, modgate_home: Path) -> None:
    with modgate.open_runtime(modgate_home, "notes") as rt:
        assert rt.bus.dispatch("addNote", {"title": "Groceries"})["result"] == {"noteId": "n1"}
        assert rt.bus.dispatch("addItem", {"noteId": "n1", "text": "milk"})["ok"]
        assert rt.bus.dispatch("checkItem", {"noteId": "n1", "index": 0})["result"] == {"checked": True}
        assert rt.bus.dispatch("setCheckedStyle", {"style": "grey"})["ok"]
        assert rt.bus.dispatch("selectNote", {"noteId": "n1"})["ok"]
        missing = rt.bus.dispatch("checkItem", {"noteId": "n1", "index": 5})
        assert missing["code"] == "command-execution-failed"
        assert rt.bus.dispatch("addNote", {"title": ""})["code"] == "invalid-payload"
        state = rt.store.state()
    assert state["doc"]["notes"]["n1"]["items"] == [{"text": "milk", "checked": True}]
    assert state["sync"]["settings"]["checkedStyle"] == "grey" and state["local"]["view"]["selectedNote"] == "n1"


def test_whole_lifecycle(notes: ModuleType, modgate_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from modgate.ext.installer import Installer

    monkeypatch.setenv("MODGATE_SANDBOX", "off")  # the hook path is under test here, not bubblewrap
    with modgate.open_runtime(modgate_home, "notes") as rt:
        rt.bus.dispatch("addNote", {"title": "Groceries"})
        # The gated command: a student's delete waits; the owner (host role, alias owner) approves it.
        queued = rt.bus.dispatch("deleteNote", {"noteId": "n1"}, role="student")
        assert queued["code"] == "approval-required" and "n1" in rt.store.state()["doc"]["notes"]
        assert rt.bus.approve(queued["approvalId"])["ok"]
        assert rt.store.state()["doc"]["notes"] == {}
        assert rt.bus.dispatch("deleteNote", {"noteId": "n9"}, role="owner")["code"] == "command-execution-failed"

        # Its own heavy package, imported as a transaction, then rolled back.
        shown = modgate.import_package(rt, notes.PACKAGE.read_bytes())
        approval = tx.approve(rt, shown["txId"], preview_hash=shown["previewHash"])
        assert tx.apply(rt, shown["txId"], approval["approvalToken"])["ok"]
        ids = [g["moduleId"] for g in modgate.graph_document(rt)["modules"]]
        assert ids == ["checklist-tools", "host"]
        assert not rt.verify_graphs()["problems"]
        assert tx.rollback(rt, shown["txId"], reason="example")["ok"]
        assert [g["moduleId"] for g in modgate.graph_document(rt)["modules"]] == ["host"]

        # The extension mod with a hook: installed (locked: it runs a process), unlocked by the
        # owner, its hook run by an event, then uninstalled.
        installed = modgate.install_mod(rt, notes.MOD, accept_permissions=True)
        assert installed["mod"]["modId"] == "notes.wordcount" and installed["executableLocked"]
        assert installed["mod"]["host"] == "notes"
        installer = Installer(rt.tx, rt.home)
        installer.allow_executable(True)
        installer.enable(installed["mod"]["id"])
        runs = modgate.emit_event(rt, "command.executed", payload={"commandId": "addNote"})
        assert [(r["hookId"], r["status"]) for r in runs] == [("wordcount-after-command", "ok")], runs
        with pytest.raises(modgate.ModgateError) as err:
            modgate.emit_event(rt, "note.exploded")
        assert err.value.code == "event.unknown"
        with pytest.raises(modgate.ModgateError) as err:
            modgate.emit_event(rt, "command.executed", payload={"n": 1})  # type: ignore[dict-item]
        assert err.value.code == "event.invalid-payload"
        assert modgate.uninstall_mod(rt, "notes.wordcount")["ok"]


def test_invalid_package_and_refused_consent_are_coded(notes: ModuleType, modgate_home: Path) -> None:
    with modgate.open_runtime(modgate_home, "notes") as rt:
        package = json.loads(notes.PACKAGE.read_text())
        package["pluginManifest"]["ui"][0]["slot"] = "chrome-top-toolbar"  # a board slot, not a notes one
        with pytest.raises(modgate.ModgateError) as err:
            modgate.import_package(rt, package)
        assert err.value.code == "manifest-validation-error"
        assert err.value.problem.path.startswith("package.pluginManifest.ui")
        with pytest.raises(modgate.ModgateError) as err:
            modgate.install_mod(rt, notes.MOD)
        assert err.value.code == "install.consent-required"
    with pytest.raises(modgate.ModgateError) as err:
        modgate.open_runtime(modgate_home, "board")
    assert err.value.code == "home-host-mismatch"


def _venv(tmp_path: Path) -> Path:
    """A throwaway venv that sees the project's venv (modgate, pip, setuptools, wheel) but installs apart.

    ``venv --system-site-packages`` reaches the base interpreter's packages, not the project
    venv's, and its own bundled setuptools may be too old to build an editable wheel; so the new
    venv gets no pip of its own and adds the project's site folder (its .pth files included).
    """
    import site
    import sysconfig

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(venv)],
                   check=True, timeout=120)
    bin_dir = venv / ("Scripts" if os.name == "nt" else "bin")
    purelib = subprocess.run([str(bin_dir / "python"), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
                             capture_output=True, text=True, check=True, timeout=60).stdout.strip()
    ours = [*site.getsitepackages(), sysconfig.get_path("purelib")]
    lines = "".join(f"import site; site.addsitedir({d!r})\n" for d in dict.fromkeys(ours))
    (Path(purelib) / "modgate_project.pth").write_text(lines, encoding="utf-8")
    return bin_dir


@pytest.mark.slow
def test_installed_app_is_found_by_entry_point(tmp_path: Path, modgate_home: Path) -> None:
    started = time.monotonic()
    bin_dir = _venv(tmp_path)
    python = str(bin_dir / "python")
    pip = subprocess.run([python, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "-e", str(APP)],
                         capture_output=True, text=True, timeout=300, check=False)
    assert pip.returncode == 0, pip.stderr
    env = {**os.environ, "MODGATE_HOME": str(modgate_home)}
    out = subprocess.run([python, "-m", "modgate", "--host", "notes", "commands", "--json"], capture_output=True,
                         text=True, timeout=120, env=env, check=False)
    assert out.returncode == 0, out.stdout + out.stderr
    body = json.loads(out.stdout)
    assert body["host"] == "notes" and len(body["commands"]) == 8
    add = ["--host", "notes", "dispatch", "addNote", "--payload", '{"title": "x"}', "--json"]
    out = subprocess.run([python, "-m", "modgate", *add], capture_output=True, text=True, timeout=120, env=env,
                         check=False)
    assert json.loads(out.stdout)["result"] == {"noteId": "n1"}
    print(f"venv + install + two runs: {time.monotonic() - started:.1f} s")


def test_the_example_uses_only_the_public_api() -> None:
    import ast

    used: set[str] = set()
    for path in APP.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("modgate"):
                assert node.module in {"modgate", "modgate.tx"}, f"{path.name} imports {node.module}"
                used.update(alias.name for alias in node.names if node.module == "modgate")
            elif isinstance(node, ast.Import):
                assert all(a.name in {"modgate", "modgate.tx"} or not a.name.startswith("modgate")
                           for a in node.names), path.name
    assert used and used <= set(modgate.__all__)


def test_cli_and_mcp_serve_the_notes_host(notes: ModuleType) -> None:
    from tests.clihelp import run

    from modgate.mcp_server import Gateway

    code, out, _ = run("--host", "notes", "dispatch", "addNote", "--payload", '{"title": "Trip"}', "--json")
    assert code == 0 and json.loads(out)["result"] == {"noteId": "n1"}
    code, out, _ = run("--host", "notes", "dispatch", "deleteNote", "--payload", '{"noteId": "n1"}', "--role",
                       "student", "--json")
    assert code == 3 and json.loads(out)["code"] == "approval-required"
    code, out, _ = run("--host", "notes", "mod", "install", str(notes.MOD), "--host", "notes", "--yes", "--json")
    assert code == 0 and json.loads(out)["mod"]["host"] == "notes"
    code, out, _ = run("--host", "notes", "graph", "--json")
    # The mod runs a process, so it is installed disabled: only the host's own graph is served.
    graphs = {m["moduleId"]: m for m in json.loads(out)["modules"]}
    assert code == 0 and set(graphs) == {"host"} and len(graphs["host"]["actions"]) == 8
    with modgate.open_runtime() as rt:  # the home's own host: notes
        assert rt.host.app_id == "notes"
        names = set(Gateway(rt).tools()[1])
        call = Gateway(rt).call("deleteNote", {"noteId": "n1"})  # an agent only queues a gated command
    assert {"addNote", "checkItem", "deleteNote", "setCheckedStyle", "selectNote"} <= names
    assert call["body"]["code"] == "approval-required"


def test_events_emit_takes_the_hosts_own_events(notes: ModuleType) -> None:
    from tests.clihelp import run

    code, out, _ = run("--host", "notes", "events", "emit", "tx.applied", "--json")
    assert code == 0 and json.loads(out)["runs"] == []
    code, out, _ = run("--host", "notes", "events", "emit", "note.exploded", "--json")
    assert code == 1 and json.loads(out)["code"] == "event.unknown" and "tx.applied" in json.loads(out)["message"]


def test_light_vocabulary_makes_checked_items_grey(notes: ModuleType, modgate_home: Path) -> None:
    from modgate.light.service import LightService

    with modgate.open_runtime(modgate_home, "notes") as rt:
        assert rt.store.state()["prefs"] == {"settings": {"checkedStyle": "normal", "sortBy": "created"},
                                             "view": {"showChecked": True}}
        out = LightService(rt).propose("make checked items grey")
        assert out["code"] == "approval-pending" and out["summary"].startswith("Set the checked item style to grey")
        assert [c["path"] for c in out["preview"]["changes"]] == ["/prefs/settings/checkedStyle",
                                                                   "/sync/settings/checkedStyle"]
        assert rt.store.state()["sync"]["settings"]["checkedStyle"] == "normal"  # nothing before approval
        approval = tx.approve(rt, out["txId"], preview_hash=rt.tx.show(out["txId"])["previewHash"])
        assert tx.apply(rt, out["txId"], approval["approvalToken"])["ok"]
        state = rt.store.state()
        assert state["sync"]["settings"]["checkedStyle"] == "grey" == state["prefs"]["settings"]["checkedStyle"]
        assert tx.rollback(rt, out["txId"], reason="example")["ok"]
        assert rt.store.state()["sync"]["settings"]["checkedStyle"] == "normal"
        sort = LightService(rt).propose("sort my notes by title")
        assert sort["code"] == "approval-pending" and "/sync/settings/sortBy" in str(sort["preview"]["changes"])
        hide = LightService(rt).propose("hide checked items")
        assert hide["code"] == "approval-pending"
        assert [c["path"] for c in hide["preview"]["changes"]] == ["/local/view/showChecked", "/prefs/view/showChecked"]
        button = LightService(rt).propose("add a button to sort by title")  # the notes shortcut module
        assert button["code"] == "approval-pending"
        assert [c["path"] for c in button["preview"]["changes"]] == ["/registry/modules/light-user"]
        # Board words mean nothing here: a coded refusal, nothing queued.
        unknown = LightService(rt).propose("make my pen red")
        assert unknown["code"].startswith("E_") and not unknown.get("txId")


def test_light_propose_on_the_cli_waits_for_approval(notes: ModuleType) -> None:
    from tests.clihelp import run

    code, out, _ = run("--host", "notes", "light", "propose", "make checked items grey", "--json")
    assert code == 3 and json.loads(out)["code"] == "approval-pending"
    assert "grey" in json.loads(out)["summary"]
    code, out, _ = run("--host", "notes", "light", "propose", "paint the sky with polka dots", "--json")
    assert code == 1 and json.loads(out)["code"].startswith("E_")
