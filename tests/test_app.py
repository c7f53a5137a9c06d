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
