"""Installer lifecycle: conformance packages, GitHub tree URLs, rollback, SIGKILL, concurrency."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from tests.sharedpaths import REASON, SHARED

from ext_helpers import FIRST_PARTY, SEED_ERA, make_repo, sample_files, write_package
from modgate.app import open_runtime
from modgate.cli import cli
from modgate.errors import ModgateError
from modgate.ext import records
from modgate.ext.errors import ExtError
from modgate.ext.installer import Installer
from modgate.ext.tree import tree_hash


@pytest.fixture
def inst(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("MODGATE_HOME", str(tmp_path / "home"))
    rt = open_runtime()
    yield Installer(rt.tx, rt.home)
    rt.close()


def run(*args: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    result = CliRunner().invoke(cli, ["mod", *args, "--json"])
    return result.exit_code, json.loads(result.stdout)


@pytest.mark.conformance
@pytest.mark.skipif(SHARED is None, reason=REASON)
@pytest.mark.parametrize("package", FIRST_PARTY + SEED_ERA, ids=lambda p: f"{p.parent.parent.parent.name}/{p.name}")
def test_conformance_lifecycle(package: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODGATE_HOME", str(tmp_path / "home"))
    code, out = run("install", str(package), "--host", "codexchat", "--yes")
    assert code == 0 and out["executableLocked"] and out["warnings"], out
    mod_id = out["mod"]["modId"]
    assert run("list")[1]["mods"][0]["enabled"] is False
    assert run("enable", mod_id)[1]["code"] == "mod.executable-locked"
    assert run("allow-executable")[0] == 0
    assert run("enable", mod_id)[1]["mod"]["enabled"] is True
    assert run("list")[1]["mods"][0]["status"] == "ok"
    assert run("disable", mod_id)[1]["mod"]["enabled"] is False
    assert run("enable", out["mod"]["id"])[0] == 0
    code, updated = run("update", mod_id, "--yes")
    assert code == 0 and updated["mod"]["enabled"] is True, updated
    assert run("uninstall", mod_id, "--yes")[0] == 0
    assert run("list")[1]["mods"] == []
    assert list((tmp_path / "home" / "mods").iterdir()) == []


@pytest.mark.conformance
@pytest.mark.skipif(SHARED is None, reason=REASON)
def test_first_party_rejected_on_board_and_outside_catalog(tmp_path: Path, inst: Installer) -> None:
    with pytest.raises(ExtError) as info:
        inst.install(str(FIRST_PARTY[0]), host="board", consent=lambda _: True)
    assert info.value.code in ("package.incompatible-platform", "package.reserved-id")
    copy = tmp_path / "elsewhere" / FIRST_PARTY[0].name
    write_package(copy, {p.name: p.read_text() for p in FIRST_PARTY[0].iterdir()})
    with pytest.raises(ExtError) as info:
        inst.install(str(copy), host="codexchat", consent=lambda _: True)
    assert info.value.code == "package.reserved-id"


def test_github_tree_url_with_slash_branch(tmp_path: Path, inst: Installer, monkeypatch: pytest.MonkeyPatch) -> None:
    layout = {"main": {"README.md": "x"},
              "feature/x": {f"sub/mod/{k}": v for k, v in sample_files(version="2.0.0").items()}}
    make_repo(tmp_path / "gh", "acme", "mods", layout)
    monkeypatch.setenv("MODGATE_GITHUB_BASE", (tmp_path / "gh").as_uri())
    out = inst.install("https://user:tok@github.com/acme/mods/tree/feature/x/sub/mod?x=1", host="codexchat",
                       consent=lambda _: True)
    assert out["mod"]["version"] == "2.0.0"
    assert out["mod"]["source"] == "https://github.com/acme/mods/tree/feature/x/sub/mod"
    assert "tok" not in json.dumps(inst.list())
    preview = inst.inspect("https://github.com/acme/mods/tree/feature/x/sub/mod", host="codexchat")
    assert preview["ref"] == "feature/x" and preview["id"] == "acme.sample"


def test_github_repo_root_without_package(tmp_path: Path, inst: Installer, monkeypatch: pytest.MonkeyPatch) -> None:
    make_repo(tmp_path / "gh", "acme", "empty", {"main": {"README.md": "x"}})
    monkeypatch.setenv("MODGATE_GITHUB_BASE", (tmp_path / "gh").as_uri())
    with pytest.raises(ExtError) as info:
        inst.install("https://github.com/acme/empty", host="codexchat", consent=lambda _: True)
    assert info.value.code == "package.missing-manifest"
    assert not (tmp_path / "home" / "mods").exists()


def test_update_new_permission_needs_consent_and_rollback(tmp_path: Path, inst: Installer) -> None:
    v1 = write_package(tmp_path / "v1", sample_files())
    v2 = write_package(tmp_path / "v2", sample_files(version="2.0.0", permissions=("projectRead", "network")))
    rec = inst.install(str(v1), host="codexchat", consent=lambda _: True)["mod"]
    inst.decide_permission(rec["id"], "projectRead", "denied")
    with pytest.raises(ExtError) as info:
        inst.update("acme.sample", str(v2), consent=lambda _: False)
    assert info.value.code == "install.consent-required"
    asked: list[tuple[str, ...]] = []
    out = inst.update("acme.sample", str(v2), consent=lambda r: asked.append(r.new_permissions) or True)
    assert asked == [("network",)] and out["mod"]["version"] == "2.0.0"
    # C4: reviewing an update grants nothing, and the stored deny survives it
    assert records.granted(inst.db, rec["id"]) == set()
    assert {k: v[0] for k, v in records.decisions(inst.db, rec["id"]).items()} == {"projectRead": "denied"}


def test_install_and_approve_never_grant(tmp_path: Path, inst: Installer) -> None:
    """C4: the review at install informs; every permission stays undecided until first use."""
    v1 = write_package(tmp_path / "v1", sample_files(permissions=("projectRead", "network")))
    out = inst.install(str(v1), host="codexchat", consent=lambda _: True)
    assert out["permissions"] == ["network", "projectRead"] or set(out["permissions"]) == {"network", "projectRead"}
    assert records.decisions(inst.db, out["mod"]["id"]) == {}
    assert records.mirror(inst.db)["installs"][out["mod"]["id"]]["permissions"] == []
    inst.decide_permission(out["mod"]["id"], "network", "denied")
    inst.approve(out["mod"]["id"], consent=lambda _: True)  # re-approving the files decides nothing either
    assert {k: v[0] for k, v in records.decisions(inst.db, out["mod"]["id"]).items()} == {"network": "denied"}


def test_project_precedence_and_theme(tmp_path: Path, inst: Installer) -> None:
    inst.allow_executable(True)
    g = write_package(tmp_path / "g", sample_files())
    p = write_package(tmp_path / "p", sample_files(version="3.0.0"))
    (tmp_path / "proj").mkdir()
    inst.install(str(g), host="codexchat", consent=lambda _: True)
    inst.install(str(p), scope="project", project=tmp_path / "proj", host="codexchat", consent=lambda _: True)
    loaded = inst.load_enabled(tmp_path / "proj")
    assert [m["package"].manifest.version for m in loaded["mods"]] == ["3.0.0"]
    assert (tmp_path / "proj" / "mods" / "acme.sample").is_dir()
    with pytest.raises(ExtError) as info:
        inst.enable("acme.sample")
    assert info.value.code == "mod.ambiguous-id"


CHILD = """
import sys
from pathlib import Path
from modgate.ext.installer import Installer
from modgate.app import open_runtime
rt = open_runtime()
inst = Installer(rt.tx, rt.home)
op, source = sys.argv[1], sys.argv[2]
if op == "install":
    inst.install(source, host="codexchat", consent=lambda _: True)
else:
    inst.update("acme.sample", source, consent=lambda _: True)
"""


def _spawn(tmp: Path, op: str, source: Path, point: str) -> None:
    marker = tmp / f"paused-{point}"
    env = dict(os.environ, MODGATE_EXT_PAUSE_AT=point, MODGATE_EXT_PAUSE_FILE=str(marker))
    child = subprocess.Popen([sys.executable, "-c", CHILD, op, str(source)], env=env)
    deadline = time.monotonic() + 30
    while not marker.exists() and time.monotonic() < deadline and child.poll() is None:
        time.sleep(0.02)
    assert marker.exists(), f"child never reached {point}"
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=10)


def _consistent(inst: Installer) -> list[str]:
    inst.tx.recover()  # what the next `modgate` start does
    inst.list()  # recovers the installer's own file moves
    stuck = [t["txId"] for t in inst.tx.list_tx() if t["state"] in ("APPLYING", "ROLLBACK_PENDING")]
    assert stuck == []
    assert inst.tx.store.state()["extensions"] == records.mirror(inst.db)
    versions = []
    for rec in records.all_records(inst.db):
        assert tree_hash(Path(rec.path)) == rec.tree_hash
        versions.append(rec.version)
    mods = inst.home / "mods"
    on_disk = sorted(p.name for p in mods.iterdir()) if mods.exists() else []
    assert on_disk == sorted(Path(r.path).name for r in records.all_records(inst.db))
    assert not list(inst.home.glob(".modgate-ext-*"))
    return versions


@pytest.mark.parametrize("point", ["install.copy", "install.copied", "install.renamed"])
def test_sigkill_during_install(point: str, tmp_path: Path, inst: Installer) -> None:
    src = write_package(tmp_path / "v1", sample_files(extra_files=20))
    _spawn(tmp_path, "install", src, point)
    assert _consistent(inst) == []


@pytest.mark.parametrize("boundary", ["apply:after-applying", "apply:before-commit", "apply:after-commit"])
def test_sigkill_inside_the_install_transaction(boundary: str, tmp_path: Path, inst: Installer) -> None:
    src = write_package(tmp_path / "v1", sample_files(extra_files=5))
    child = subprocess.run([sys.executable, "-c", CHILD, "install", str(src)], timeout=60,
                           env=dict(os.environ, MODGATE_CRASH_AT=boundary))
    assert child.returncode == -signal.SIGKILL
    committed = boundary == "apply:after-commit"
    assert len(_consistent(inst)) == (1 if committed else 0)
    (tx,) = inst.tx.list_tx(kind="extension")
    assert tx["state"] == ("APPLIED" if committed else "FAILED_TERMINAL")  # never re-applied without its files


def test_every_change_is_an_extension_transaction(tmp_path: Path, inst: Installer) -> None:
    v1 = write_package(tmp_path / "v1", sample_files())
    v2 = write_package(tmp_path / "v2", sample_files(version="2.0.0"))
    yes = lambda _: True  # noqa: E731
    results = [inst.allow_executable(True), inst.install(str(v1), host="codexchat", consent=yes),
               inst.disable("acme.sample"), inst.enable("acme.sample"),
               inst.update("acme.sample", str(v2), consent=yes)]
    mirror = inst.tx.store.state()["extensions"]
    assert mirror == records.mirror(inst.db) and mirror["installs"]["global:acme.sample"]["version"] == "2.0.0"
    results.append(inst.uninstall("acme.sample"))
    txs = {t["txId"]: t for t in inst.tx.list_tx(kind="extension")}
    assert [r["txId"] for r in results] == list(txs)
    assert {(t["track"], t["state"]) for t in txs.values()} == {("extension", "APPLIED")}
    assert [t["plan"]["action"] for t in txs.values()] == ["allow-executable", "install", "disable", "enable",
                                                           "update", "uninstall"]
    install = inst.tx.show(results[1]["txId"])
    (entry,) = install["preview"]["entries"]
    assert entry["op"] == "add" and entry["path"] == "/extensions/installs/global:acme.sample"
    assert entry["after"]["treeHash"] == results[1]["mod"]["treeHash"]
    assert inst.tx.store.state()["extensions"] == records.mirror(inst.db) == {"installs": {},
                                                                              "allowExecutable": True}


def test_refused_consent_records_no_transaction(tmp_path: Path, inst: Installer) -> None:
    src = write_package(tmp_path / "v1", sample_files())
    with pytest.raises(ExtError):
        inst.install(str(src), host="codexchat", consent=lambda _: False)
    assert inst.tx.list_tx(kind="extension") == []


@pytest.mark.parametrize("point", ["update.begun", "update.backed-up", "update.renamed", "update.committed"])
def test_sigkill_during_update(point: str, tmp_path: Path, inst: Installer) -> None:
    v1 = write_package(tmp_path / "v1", sample_files(extra_files=20))
    v2 = write_package(tmp_path / "v2", sample_files(version="2.0.0", extra_files=25))
    inst.install(str(v1), host="codexchat", consent=lambda _: True)
    _spawn(tmp_path, "update", v2, point)
    assert _consistent(inst) == ["2.0.0" if point == "update.committed" else "1.0.0"]


def test_concurrent_installs_are_serialised(tmp_path: Path, inst: Installer) -> None:
    src = write_package(tmp_path / "v1", sample_files(extra_files=50))
    procs = [subprocess.Popen([sys.executable, "-c", CHILD, "install", str(src)], stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    outcomes = []
    for proc in procs:
        _, err = proc.communicate(timeout=60)
        outcomes.append((proc.returncode, err))
    assert sorted(code for code, _ in outcomes) == [0, 1]
    assert any("install.already-installed" in err for _, err in outcomes)
    assert len(_consistent(inst)) == 1


def test_a_proposal_interrupted_before_approval_is_rejected_on_recovery(inst: Installer) -> None:
    shown = inst.tx.preview(track="extension", kind="extension", recipe={"action": "enable", "set": {}},
                            title="enable x", requested_by="user")  # as if the process died right here
    inst.list()
    assert inst.tx.show(shown["txId"])["state"] == "REJECTED"


def test_cli_shows_extension_transactions_and_refuses_tx_rollback(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.clihelp import run_json

    monkeypatch.setenv("MODGATE_HOME", str(tmp_path / "home"))
    src = write_package(tmp_path / "v1", sample_files())
    code, out = run("install", str(src), "--host", "codexchat", "--yes")
    assert code == 0
    code, listed = run_json("tx", "list", "--track", "extension")
    assert code == 0 and [(t["txId"], t["state"]) for t in listed["transactions"]] == [(out["txId"], "APPLIED")]
    assert run_json("tx", "list", "--track", "heavy")[1]["transactions"] == []
    code, refused = run_json("tx", "rollback", out["txId"])
    assert code == 1 and refused["code"] == "tx-managed-kind"
    assert "modgate mod uninstall global:acme.sample" in refused["message"]
    assert run("list")[1]["mods"][0]["modId"] == "acme.sample"  # nothing changed


def test_a_failed_install_withdraws_its_transaction(tmp_path: Path, inst: Installer,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    src = write_package(tmp_path / "v1", sample_files())
    monkeypatch.setenv("MODGATE_EXT_FAIL_AT", "install.copied")
    with pytest.raises(ExtError):
        inst.install(str(src), host="codexchat", consent=lambda _: True)
    assert [t["state"] for t in inst.tx.list_tx(kind="extension")] == ["REJECTED"]
    assert inst.tx.store.state()["extensions"]["installs"] == {}


def test_the_approval_queue_cannot_approve_an_extension_change(inst: Installer) -> None:
    shown = inst.tx.preview(track="extension", kind="extension", recipe={"action": "enable", "set": {}},
                            title="enable x", requested_by="user")
    with pytest.raises(ModgateError) as err:
        inst.tx.approve(shown["txId"])
    assert err.value.code == "tx-managed-kind"


def test_enable_reads_the_record_under_the_lock(tmp_path: Path, inst: Installer) -> None:
    src = write_package(tmp_path / "v1", sample_files(hook=False))
    inst.install(str(src), host="codexchat", consent=lambda _: True)
    install_id = inst.resolve("acme.sample").id  # resolved, then another process uninstalls it
    inst.uninstall(install_id)
    with pytest.raises(ExtError) as err:
        inst.settings.set_enabled_by_id(install_id, True)
    assert err.value.code == "mod.not-found"
    assert inst.tx.store.state()["extensions"] == records.mirror(inst.db)
