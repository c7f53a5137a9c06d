"""Finding 11: a crash between approval and apply must not leave an invisible, unapprovable item."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from tests.adversarial.helpers import run_cli

from modgate.app import open_runtime
from modgate.mcp_server import APPROVAL_URI_PREFIX, Gateway


def _crash_between_approve_and_apply(home: Path) -> str:
    rt = open_runtime(home)
    try:
        tx_id = str(rt.bus.dispatch("addPage", role="agent")["approvalId"])
    finally:
        rt.close()
    env_crash = {"MODGATE_CRASH_AT": "approve:before-apply"}
    os.environ.update(env_crash)
    try:
        done = run_cli(home, "approvals", "approve", tx_id, "--json")
    finally:
        os.environ.pop("MODGATE_CRASH_AT")
    assert done.returncode == -9, (done.returncode, done.stdout, done.stderr)  # SIGKILL-ed there
    return tx_id


def test_the_item_stays_visible_and_approving_it_finishes_it(modgate_home: Path) -> None:
    tx_id = _crash_between_approve_and_apply(modgate_home)
    listed = json.loads(run_cli(modgate_home, "approvals", "list", "--json").stdout)["approvals"]
    assert [(i["id"], i["status"]) for i in listed] == [(tx_id, "approved-not-applied")]
    rt = open_runtime(modgate_home)
    try:
        shown = json.loads(Gateway(rt).read(APPROVAL_URI_PREFIX + tx_id) or "{}")
        assert shown["status"] == "approved-not-applied"
    finally:
        rt.close()
    done = run_cli(modgate_home, "approvals", "approve", tx_id, "--json")
    assert json.loads(done.stdout)["ok"], done.stdout
    rt = open_runtime(modgate_home)
    try:
        assert len(rt.store.state()["doc"]["pageOrder"]) == 2
        assert rt.tx.show(tx_id)["state"] == "APPLIED"
    finally:
        rt.close()


def test_recovery_expires_a_stale_approval_visibly(modgate_home: Path) -> None:
    tx_id = _crash_between_approve_and_apply(modgate_home)
    rt = open_runtime(modgate_home)
    try:
        rt.tx.clock = lambda: time.time() + 10 ** 6  # long after the token's expiry
        done = rt.tx.recover()
        assert {"txId": tx_id, "from": "APPROVED", "to": "APPROVAL_PENDING"} in done
        shown = rt.tx.show(tx_id)
        assert shown["state"] == "APPROVAL_PENDING" and shown["attemptNo"] == 2
        assert any(h["code"] == "tx-approval-expired" for h in shown["history"])
        assert [i["id"] for i in rt.approvals.items("pending")] == [tx_id]
    finally:
        rt.close()
