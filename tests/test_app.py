"""The composition root: a home made by the previous release opens, and the parts are wired once."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from modgate.app import open_runtime
from modgate.store import audit

WAVE1 = Path(__file__).parent / "fixtures" / "homes" / "wave1"


@pytest.fixture()
def old_home(tmp_path: Path) -> Path:
    home = tmp_path / "old-home"
    shutil.copytree(WAVE1, home, ignore=shutil.ignore_patterns("README.md"))
    os.chmod(home / "keys", 0o700)
    os.chmod(home / "keys" / "approval.key", 0o600)
    return home


def test_home_of_the_previous_release_opens_and_keeps_working(old_home: Path) -> None:
    with open_runtime(old_home) as rt:
        state = rt.store.state()
        assert state["local"]["tool"]["penColor"] == "#112233"
        assert "teacher-tools" in state["registry"]["modules"]
        assert state["extensions"] == {"installs": {}, "allowExecutable": False}
        pending = rt.approvals.items("pending")
        assert [i["id"] for i in pending] == ["tx-1"]
        assert rt.bus.approve("tx-1")["code"] == "executed"
        assert rt.store.state()["doc"]["stepBlocks"][0]["id"] == "b1"
        imported = [t for t in rt.tx.list_tx(kind="import")]
        assert rt.tx.rollback(imported[0]["txId"], reason="test")["ok"]
        assert "teacher-tools" not in rt.store.state()["registry"]["modules"]
        assert audit.verify(rt.db)["ok"]


def test_one_root_builds_one_graph(tmp_path: Path) -> None:
    with open_runtime(tmp_path / "h") as rt:
        assert rt.bus.approvals is rt.approvals and rt.approvals.engine is rt.tx
        assert rt.tx.store is rt.store and rt.store.db is rt.db


def test_read_only_commands_never_create_a_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.clihelp import run

    home = tmp_path / "nothing-here"
    monkeypatch.setenv("MODGATE_HOME", str(home))
    for args in (["state"], ["approvals", "list"], ["tx", "list"], ["audit"], ["modules"], ["slots"], ["graph"],
                 ["grants", "list"]):
        code, out, err = run(*args, "--json")
        assert code == 0, (args, out, err)
    assert not home.exists()


def test_a_read_only_runtime_reads_and_refuses_to_write(tmp_path: Path) -> None:
    import hashlib

    from modgate.errors import StoreError

    home = tmp_path / "h"
    with open_runtime(home) as rt:
        rt.bus.dispatch("setPenColor", {"color": "#123456"})
    db_file = home / "modgate.sqlite3"
    before = hashlib.sha256(db_file.read_bytes()).hexdigest()
    with open_runtime(home, read_only=True) as rt:
        assert rt.store.state()["local"]["tool"]["penColor"] == "#123456"
        with pytest.raises(StoreError) as info:
            rt.bus.dispatch("setPenColor", {"color": "#654321"})
        assert info.value.code == "store-readonly"
    assert hashlib.sha256(db_file.read_bytes()).hexdigest() == before
