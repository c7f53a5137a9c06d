"""Homes made by the code before the hardening (commit a11c122) open and keep working."""

from __future__ import annotations

import shutil
from pathlib import Path

from modgate.app import open_runtime
from modgate.store import audit

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "homes" / "a11c122"


def test_an_old_home_opens_migrates_and_works(modgate_home: Path) -> None:
    shutil.copytree(FIXTURE, modgate_home)
    key = (modgate_home / "keys" / "approval.key").read_bytes()
    rt = open_runtime(modgate_home)
    try:
        names = {r[0] for r in rt.db.query("SELECT name FROM schema_migrations")}
        assert "0400_hardening" in names
        assert len(rt.store.state()["doc"]["pageOrder"]) == 3
        assert rt.tx.key == key  # the old approval key is kept
        assert audit.verify(rt.db)["ok"]
        pending = rt.approvals.items("pending")
        assert [i["id"] for i in pending] == ["tx-2"]
        # the old code never reserved a queued dispatch's key: the first retry queues once more,
        # and from then on every retry replays that item
        retry = rt.bus.dispatch("addPage", role="agent", idempotency_key="old-key")
        again = rt.bus.dispatch("addPage", role="agent", idempotency_key="old-key")
        assert again["approvalId"] == retry["approvalId"] and again["deduped"] is True
        assert rt.bus.reject(retry["approvalId"])["ok"]
        assert rt.bus.approve("tx-2")["ok"]
        assert rt.tx.rollback("tx-2")["ok"]
        assert rt.bus.dispatch("addPage")["ok"]
        assert audit.verify(rt.db)["ok"]
    finally:
        rt.close()
