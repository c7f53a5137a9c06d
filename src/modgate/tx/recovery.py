"""Recovery after a crash, and the operator's unblock.

Run by the composition root at every (writing) open, under the exclusive apply lease, so an
attempt another live process is applying is never touched:

- attempts left in APPLYING or ROLLBACK_PENDING are reconciled from the durable commit log (the
  work commits together with its APPLIED / ROLLED_BACK state, so a missing commit means nothing was
  written);
- APPROVED attempts whose approval expired before anyone applied them (a crash between approve and
  apply) fail visibly, and a fresh preview is put in front of the host.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from modgate.auditevent import AuditEvent
from modgate.errors import ModgateError
from modgate.state import JsonObject
from modgate.tx import machine as m
from modgate.tx.lease import lease

if TYPE_CHECKING:
    from modgate.tx.engine import TxEngine

ACTOR = ("recovery", "host")


def recover(engine: TxEngine) -> list[JsonObject]:
    """Skipped (returns ``[]``) while another process holds the apply lease: its attempt is in progress."""
    with lease(engine.home, exclusive=True) as free:
        return [*_reconcile(engine), *_expire_approvals(engine)] if free else []


def _expire_approvals(engine: TxEngine) -> list[JsonObject]:
    from modgate.tx.engine import MANAGED_KINDS

    now, done = engine.clock(), []
    for tx_id, expires in engine.repo.approved_with_expiry(m.APPROVED):
        tx = engine.repo.row(tx_id).to_dict()
        if tx["kind"] in MANAGED_KINDS or (expires is not None and expires > now):
            continue  # the installer withdraws its own; a live approval may still be applied
        engine.fail(tx, m.FAILED_PRE_APPLY, "tx-approval-expired", "the approval expired before the change"
                    " was applied (interrupted); a fresh preview waits for approval", ACTOR)
        with contextlib.suppress(ModgateError):  # no longer plans: stays FAILED_PRE_APPLY, listed as failed
            engine.refresh(tx_id, actor=ACTOR)
        done.append({"txId": tx_id, "from": m.APPROVED, "to": engine.repo.row(tx_id).state})
    return done


def _reconcile(engine: TxEngine) -> list[JsonObject]:
    from modgate.tx.engine import MANAGED_KINDS

    done = []
    for tx_id in engine.repo.in_states(m.APPLYING, m.ROLLBACK_PENDING):
        tx = engine.repo.row(tx_id).to_dict()
        operation = "apply" if tx["state"] == m.APPLYING else "rollback"
        committed = engine.repo.committed(tx_id, tx["attemptNo"], operation)
        with engine.db.atomic() as conn:
            prev = tx["state"]
            engine.transition(conn, tx, m.RECOVERY_PENDING, actor=ACTOR, stage="recovery")
            if operation == "apply":
                # The approval still holds and the apply may be retried -- except for a managed kind,
                # whose owner has already undone its file moves and starts afresh.
                retry = m.FAILED_TERMINAL if tx["kind"] in MANAGED_KINDS else m.APPROVED
                engine.transition(conn, tx, m.APPLIED if committed else retry, actor=ACTOR, stage="recovery")
            else:
                engine.transition(conn, tx, m.ROLLED_BACK if committed else m.APPLIED, actor=ACTOR,
                                  stage="recovery")
        done.append({"txId": tx_id, "from": prev, "to": tx["state"]})
    return done


def unblock(engine: TxEngine, operator: str = "host") -> JsonObject:
    """Lift the block a failed rollback left (after the operator checked the state)."""
    blocked = engine.repo.blocked_by()
    with engine.db.atomic() as conn:
        conn.execute("UPDATE meta SET value='' WHERE key='tx_blocked'")
        engine.store.append_audit(conn, [AuditEvent(event_type="tx.unblock", correlation_id=blocked or "none",
                                                     role="host", data={"operator": operator})], engine.clock())
    return {"ok": True, "code": "unblocked", "wasBlockedBy": blocked or None}
