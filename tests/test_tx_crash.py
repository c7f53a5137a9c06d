"""Crash injection: SIGKILL at every step boundary of apply and rollback, then recover."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from modgate import tx as txapi
from modgate.app import open_runtime
from modgate.store import audit
from modgate.tx.engine import BOUNDARIES

CHILD = """
import sys
from modgate import tx as txapi
from modgate.app import open_runtime
rt = open_runtime(sys.argv[1])
tx_id, op = sys.argv[2], sys.argv[3]
if op == "apply":
    txapi.apply(rt, tx_id, rt.tx.latest_token(tx_id))
else:
    txapi.rollback(rt, tx_id, reason="crash test")
print("finished")
"""
CHANGE = [{"op": "replace", "path": "/local/tool/penColor", "value": "#000000"},
          {"op": "add", "path": "/registry/modules/demo-mod", "value": {"moduleId": "demo-mod"}}]


def _snapshot(home: Path) -> dict[str, object]:
    rt = open_runtime(home)
    try:
        state = rt.store.state()
        return {"pen": state["local"]["tool"]["penColor"], "mod": "demo-mod" in state["registry"]["modules"]}
    finally:
        rt.close()


@pytest.mark.parametrize("boundary", BOUNDARIES)
def test_kill_at_boundary(boundary: str, modgate_home: Path) -> None:
    original = _snapshot(modgate_home)
    rt = open_runtime(modgate_home)
    tx_id = txapi.preview(rt, CHANGE)["txId"]
    token = txapi.approve(rt, tx_id)["approvalToken"]
    operation = boundary.split(":")[0]
    if operation == "rollback":
        txapi.apply(rt, tx_id, token)
    rt.close()
    env = {**os.environ, "MODGATE_CRASH_AT": boundary}
    proc = subprocess.run([sys.executable, "-c", CHILD, str(modgate_home), tx_id, operation], env=env,
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == -9, proc.stderr  # really killed at that boundary
    rt = open_runtime(modgate_home)  # runs recovery
    try:
        shown = rt.tx.show(tx_id)
        after = _snapshot(modgate_home)
        applied = {"pen": "#000000", "mod": True}
        assert after in (original, applied)  # the state before or the state after, never a mix
        expected = {"APPLIED": applied, "APPROVED": original, "ROLLED_BACK": original}
        allowed = {"apply": ("APPLIED", "APPROVED"), "rollback": ("APPLIED", "ROLLED_BACK")}[operation]
        assert shown["state"] in allowed and after == expected[shown["state"]], (boundary, shown["state"], after)
        assert audit.verify(rt.db)["ok"]
        # the journal agrees with the state: an applied tx has its commit, a recovered one none
        commits = rt.db.query("SELECT operation FROM tx_commits WHERE tx_id=?", (tx_id,))
        assert ("apply",) in commits if shown["state"] in ("APPLIED", "ROLLED_BACK") else commits == []
        if shown["state"] == "APPROVED":  # the approval still holds: the apply can be retried
            assert txapi.apply(rt, tx_id, token)["ok"]
        if shown["state"] == "APPLIED" and operation == "rollback":
            assert txapi.rollback(rt, tx_id)["ok"]
    finally:
        rt.close()
