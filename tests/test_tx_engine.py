from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from modgate import tx as txapi
from modgate.app import Runtime, open_runtime
from modgate.errors import ModgateError, Problem
from modgate.store import audit

PEN = [{"op": "replace", "path": "/local/tool/penColor", "value": "#000000"}]


@pytest.fixture
def rt(modgate_home: Path) -> Iterator[Runtime]:
    runtime = open_runtime(modgate_home)
    yield runtime
    runtime.close()


def _code(exc: pytest.ExceptionInfo[ModgateError]) -> str:
    return exc.value.code


def test_full_flow_and_rollback(rt: Runtime) -> None:
    before = rt.store.state()
    shown = txapi.preview(rt, PEN)
    assert shown["state"] == "APPROVAL_PENDING" and shown["preview"]["summary"]["replace"] == 1
    assert rt.store.state() == before  # a preview changes nothing
    approval = txapi.approve(rt, shown["txId"])
    applied = txapi.apply(rt, shown["txId"], approval["approvalToken"])
    assert applied["code"] == "applied" and rt.store.state()["local"]["tool"]["penColor"] == "#000000"
    rolled = txapi.rollback(rt, shown["txId"], reason="test")
    assert rolled["code"] == "rolled-back" and rt.store.state() == before
    states = [h["nextState"] for h in rt.tx.show(shown["txId"])["history"]]
    assert states == ["PREVIEWING", "PREVIEW_READY", "APPROVAL_PENDING", "APPROVED", "APPLYING", "APPLIED",
                      "ROLLBACK_PENDING", "ROLLED_BACK"]
    assert audit.verify(rt.db)["ok"]
    stages = [e["data"]["stage"] for e in audit.recent(rt.db, 100) if e["eventType"].startswith("tx.")]
    assert {"preview", "approval", "apply", "rollback"} <= set(stages)


def test_signing_key_is_private(rt: Runtime) -> None:
    txapi.approve(rt, txapi.preview(rt, PEN)["txId"])
    key = rt.home / "keys" / "approval.key"
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600


def test_approval_of_a_cannot_apply_b(rt: Runtime) -> None:
    a = txapi.preview(rt, PEN)
    b = txapi.preview(rt, [{"op": "replace", "path": "/local/tool/penWidth", "value": 9}])
    token_a = txapi.approve(rt, a["txId"])["approvalToken"]
    txapi.approve(rt, b["txId"])
    with pytest.raises(ModgateError) as info:
        txapi.apply(rt, b["txId"], token_a)
    assert _code(info) == "tx-token-mismatch"


def test_forged_token_is_refused(rt: Runtime) -> None:
    shown = txapi.preview(rt, PEN)
    token = txapi.approve(rt, shown["txId"])["approvalToken"]
    body, mac = token.split(".")
    with pytest.raises(ModgateError) as info:
        txapi.apply(rt, shown["txId"], body + "." + mac[::-1])
    assert _code(info) == "tx-token-invalid"


def test_regenerated_preview_invalidates_approval(rt: Runtime) -> None:
    shown = txapi.preview(rt, PEN)
    token = txapi.approve(rt, shown["txId"])["approvalToken"]
    fresh = rt.tx.refresh(shown["txId"])
    assert fresh["attemptNo"] == 2
    with pytest.raises(ModgateError) as info:
        txapi.apply(rt, shown["txId"], token)
    assert _code(info) == "tx-invalid-transition"  # the new attempt waits for its own approval
    token2 = txapi.approve(rt, shown["txId"])["approvalToken"]
    with pytest.raises(ModgateError) as info:
        txapi.apply(rt, shown["txId"], token)
    assert _code(info) == "tx-token-mismatch"
    assert txapi.apply(rt, shown["txId"], token2)["ok"]


def test_stale_base_is_refused(rt: Runtime) -> None:
    shown = txapi.preview(rt, PEN)
    token = txapi.approve(rt, shown["txId"])["approvalToken"]
    rt.bus.dispatch("setPenWidth", {"width": 3})  # the local domain moves on
    with pytest.raises(ModgateError) as info:
        txapi.apply(rt, shown["txId"], token)
    assert _code(info) == "tx-stale-base"
    assert rt.tx.show(shown["txId"])["state"] == "FAILED_PRE_APPLY"
    assert rt.store.state()["local"]["tool"]["penColor"] != "#000000"


def test_apply_idempotency(rt: Runtime) -> None:
    shown = txapi.preview(rt, PEN)
    token = txapi.approve(rt, shown["txId"])["approvalToken"]
    first = txapi.apply(rt, shown["txId"], token, idempotency_key="k")
    again = txapi.apply(rt, shown["txId"], token, idempotency_key="k")
    assert again["deduped"] is True and again["commitId"] == first["commitId"]
    with pytest.raises(ModgateError) as info:
        txapi.apply(rt, shown["txId"], token, idempotency_key="other")
    assert _code(info) == "tx-already-applied"


def test_rollback_rules(rt: Runtime) -> None:
    shown = txapi.preview(rt, PEN)
    with pytest.raises(ModgateError) as info:
        txapi.rollback(rt, shown["txId"])
    assert _code(info) == "tx-not-applied"
    token = txapi.approve(rt, shown["txId"])["approvalToken"]
    txapi.apply(rt, shown["txId"], token)
    first = txapi.rollback(rt, shown["txId"], idempotency_key="r1")
    assert txapi.rollback(rt, shown["txId"], idempotency_key="r1")["deduped"] is True
    with pytest.raises(ModgateError) as info:
        txapi.rollback(rt, shown["txId"], idempotency_key="r2")
    assert _code(info) == "tx-not-applied" and first["ok"]


def test_rollback_refuses_to_overwrite_a_later_change(rt: Runtime) -> None:
    shown = txapi.preview(rt, PEN)
    txapi.apply(rt, shown["txId"], txapi.approve(rt, shown["txId"])["approvalToken"])
    rt.bus.dispatch("setPenColor", {"color": "#123456"})
    with pytest.raises(ModgateError) as info:
        txapi.rollback(rt, shown["txId"])
    assert _code(info) == "tx-rollback-conflict"
    assert rt.store.state()["local"]["tool"]["penColor"] == "#123456"


def test_only_the_host_approves(rt: Runtime) -> None:
    shown = txapi.preview(rt, PEN)
    with pytest.raises(ModgateError) as info:
        rt.tx.approve(shown["txId"], approver_role="agent")
    assert _code(info) == "tx-approver-not-allowed"


def test_expired_approval(rt: Runtime) -> None:
    shown = txapi.preview(rt, PEN)
    token = txapi.approve(rt, shown["txId"], ttl_s=1)["approvalToken"]
    real = rt.tx.clock
    rt.tx.clock = lambda: real() + 10
    with pytest.raises(ModgateError) as info:
        txapi.apply(rt, shown["txId"], token)
    assert _code(info) == "tx-approval-expired"
    assert rt.tx.show(shown["txId"])["state"] == "FAILED_PRE_APPLY"


def test_invalid_change_creates_nothing(rt: Runtime) -> None:
    with pytest.raises(ModgateError) as info:
        txapi.preview(rt, [{"op": "replace", "path": "/secrets/x", "value": 1}])
    assert _code(info) == "tx-invalid-change"
    assert rt.tx.list_tx() == []


def test_capability_failure_inside_apply_rolls_back(rt: Runtime) -> None:
    shown = txapi.preview(rt, PEN)
    token = txapi.approve(rt, shown["txId"])["approvalToken"]

    def revoked(state: dict[str, Any]) -> Problem | None:
        return Problem(code="capability-not-granted", path="capabilities.state.write.tx", message="revoked")

    with pytest.raises(ModgateError) as info:
        rt.tx.apply(shown["txId"], approval_token=token, checks=[revoked])
    assert _code(info) == "capability-not-granted" and info.value.problem.detail["outcome"] == "rolled_back"
    assert rt.store.state()["local"]["tool"]["penColor"] != "#000000"
    assert any(e["eventType"] == "capability.rollback.executed" for e in audit.recent(rt.db, 50))


def test_failed_rollback_blocks_applies_until_unblocked(rt: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    shown = txapi.preview(rt, PEN)
    token = txapi.approve(rt, shown["txId"])["approvalToken"]

    def sneaky(state: dict[str, Any]) -> Problem | None:
        # Simulate a rollback that did not happen: the write escapes the aborted transaction.
        rt.db.conn.execute("UPDATE state_domains SET revision=revision+1 WHERE domain='local'")
        rt.db.conn.execute("COMMIT")
        rt.db.conn.execute("BEGIN IMMEDIATE")
        return Problem(code="capability-policy-violation", path="capabilities", message="policy")

    with pytest.raises(ModgateError) as info:
        rt.tx.apply(shown["txId"], approval_token=token, checks=[sneaky])
    assert info.value.problem.detail["outcome"] == "rollback_failed"
    assert rt.tx.show(shown["txId"])["state"] == "FAILED_TERMINAL"
    other = txapi.preview(rt, [{"op": "replace", "path": "/local/tool/penWidth", "value": 7}])
    token2 = txapi.approve(rt, other["txId"])["approvalToken"]
    with pytest.raises(ModgateError) as info:
        txapi.apply(rt, other["txId"], token2)
    assert _code(info) == "tx-blocked"
    rt.tx.unblock()
    assert txapi.apply(rt, other["txId"], token2)["ok"]


def test_queued_command_is_a_transaction(rt: Runtime) -> None:
    out = rt.bus.dispatch("insertBlock", {"block": {"id": "b1", "segments": []}}, role="student")
    tx_id = out["approvalId"]
    shown = rt.tx.show(tx_id)
    assert shown["track"] == "command" and shown["state"] == "APPROVAL_PENDING"
    assert any(e["path"] == "/doc/stepBlocks" for e in shown["preview"]["entries"])
    assert [i["id"] for i in rt.approvals.items("pending")] == [tx_id]
    assert rt.bus.approve(tx_id)["code"] == "executed"
    assert rt.store.state()["doc"]["stepBlocks"][0]["id"] == "b1"
    assert rt.bus.dispatch("undo")["result"]["undone"] is not None  # a tx-applied edit is undoable
    assert rt.store.state()["doc"]["stepBlocks"] == []


def test_queued_command_with_stale_base_asks_again(rt: Runtime) -> None:
    tx_id = rt.bus.dispatch("setColumnCount", {"count": 3}, role="student")["approvalId"]
    rt.bus.dispatch("addPage")  # doc moves on as the host keeps working
    out = rt.bus.approve(tx_id)
    assert out["code"] == "tx-stale-base" and out["previewHash"]
    assert rt.tx.show(tx_id)["attemptNo"] == 2
    assert rt.bus.approve(tx_id)["code"] == "executed"


def test_queued_command_that_cannot_run_is_refused_now(rt: Runtime) -> None:
    out = rt.bus.dispatch("deleteBlock", {"blockId": "missing"}, role="student")
    assert out["code"] == "command-execution-failed"
    assert rt.tx.list_tx() == []


def test_recovery_is_a_noop_when_clean(rt: Runtime) -> None:
    assert rt.tx.recover() == []


def test_recovery_waits_while_another_process_holds_the_apply_lease(rt: Runtime) -> None:
    from modgate.tx.engine import lease

    tx_id = txapi.approve(rt, txapi.preview(rt, PEN)["txId"])["txId"]
    tx = rt.tx._row(tx_id)
    with rt.db.atomic() as conn:  # as if a live process had just started applying
        rt.tx._transition(conn, tx, "APPLYING", actor=("host", "host"), stage="apply")
    with lease(rt.home) as held:
        assert held and rt.tx.recover() == []
        assert rt.tx.show(tx_id)["state"] == "APPLYING"
    assert rt.tx.recover() == [{"txId": tx_id, "from": "APPLYING", "to": "APPROVED"}]


def test_an_approval_of_a_superseded_attempt_cannot_move_the_row(rt: Runtime) -> None:
    tx_id = txapi.approve(rt, txapi.preview(rt, PEN)["txId"])["txId"]
    stale = rt.tx._row(tx_id)  # APPROVED, attempt 1, read by process A
    rt.tx.refresh(tx_id)  # process B: attempt 2 ...
    txapi.approve(rt, tx_id)  # ... approved again: the state name matches A's read once more
    with pytest.raises(ModgateError) as err, rt.db.atomic() as conn:
        rt.tx._transition(conn, stale, "APPLYING", actor=("host", "host"), stage="apply")
    assert _code(err) == "tx-state-conflict"
    assert rt.tx.show(tx_id)["attemptNo"] == 2


def test_a_failure_inside_on_commit_is_recorded_not_left_applying(rt: Runtime) -> None:
    tx_id = txapi.approve(rt, txapi.preview(rt, PEN)["txId"])["txId"]
    token = rt.tx.latest_token(tx_id)
    assert token is not None

    def broken(conn: Any) -> None:
        raise ModgateError(Problem(code="store-error", path="db", message="disk full"))

    with pytest.raises(ModgateError):
        rt.tx.apply(tx_id, approval_token=token, on_commit=broken)
    assert rt.tx.show(tx_id)["state"] == "FAILED_PRE_APPLY"
