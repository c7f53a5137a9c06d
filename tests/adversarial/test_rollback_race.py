"""Finding 4: a rollback must not erase a change committed after its conflict check.

The race window (between the check and the write lock) is opened deterministically: at the
``rollback:before-pending`` step boundary a second connection commits a host change to the
same paths. The rollback must then refuse (``tx-rollback-conflict``) and keep the host's change.
A looped multi-process version runs in ``make test-chaos``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from modgate.app import open_runtime
from modgate.store import audit
from modgate.tx import engine
from modgate.tx.engine import TxError


def test_a_change_in_the_race_window_is_not_erased(modgate_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rt = open_runtime(modgate_home)
    other = open_runtime(modgate_home)
    try:
        tx_id = rt.bus.dispatch("addPage", role="student")["approvalId"]
        assert rt.bus.approve(tx_id)["ok"]
        real = engine.crash_point

        def race(name: str) -> None:
            if name == "rollback:before-pending":
                assert other.bus.dispatch("addPage", role="host")["ok"]
            real(name)

        monkeypatch.setattr(engine, "crash_point", race)
        pages = None
        with pytest.raises(TxError) as info:
            rt.tx.rollback(tx_id, reason="race")
        assert info.value.code == "tx-rollback-conflict"
        pages = rt.store.state()["doc"]["pageOrder"]
        assert len(pages) == 3  # the first page, the student's, the host's: nothing erased
        assert rt.tx.show(tx_id)["state"] == "APPLIED"
        assert audit.verify(rt.db)["ok"]
    finally:
        other.close()
        rt.close()
