"""The approval queue: the bus's queue of gated dispatches, as a view over pending transactions.

A student's or agent's approval-gated dispatch becomes a transaction (track ``command``) with
its own preview; ``modgate approvals`` and ``modgate tx`` list the same items. Approving an
item approves its current preview and applies exactly that preview; if the state moved on since
(stale base), a fresh preview is made and the host is asked to approve again.
"""

from __future__ import annotations

from typing import Any

import orjson

from modgate.auditevent import AuditEvent
from modgate.bus_model import quota_text
from modgate.errors import Problem
from modgate.faults import crash_point
from modgate.tx import machine as m
from modgate.tx.engine import TxEngine
from modgate.tx.model import TxError

Envelope = dict[str, Any]
# APPROVED means the host approved but the apply never ran (a crash in between): it still needs
# the host, so it is listed with the pending items and `approvals approve` finishes it.
STATUS = {m.APPROVAL_PENDING: "pending", m.APPROVED: "approved-not-applied", m.APPLIED: "approved",
          m.ROLLED_BACK: "rolled-back",
          m.REJECTED: "rejected", m.FAILED_PRE_APPLY: "failed", m.FAILED_TERMINAL: "failed"}


def _fail(code: str, command_id: str, message: str, **extra: Any) -> Envelope:
    return {"ok": False, "code": code, "commandId": command_id, "error": message, "message": message,
            **{k: v for k, v in extra.items() if v is not None}}


class TxApprovalQueue:
    """Implements :class:`modgate.bus.ApprovalQueue` over the transaction engine."""

    def __init__(self, engine: TxEngine) -> None:
        self.engine = engine

    def enqueue(self, item: dict[str, Any], events: list[AuditEvent]) -> str:
        recipe = {"commandId": item["commandId"], "payload": item["payload"], "role": item["role"]}
        module_id = (item.get("meta") or {}).get("moduleId")
        if module_id:  # a module's action: the engine's guards re-check its capability at apply
            recipe["moduleId"] = module_id
        reserve = item.get("reserve")
        with self.engine.db.atomic() as conn:
            if reserve is not None:  # under the write lock: a concurrent retry with this key queued first
                earlier = self.engine.store.idempotent_result(reserve["key"], self.engine.clock())
                if earlier is not None and earlier.get("approvalId"):
                    return str(earlier["approvalId"])
            if item.get("maxPending"):
                waiting = conn.execute("SELECT COUNT(*) FROM tx WHERE requested_role=? AND state IN (?, ?)",
                                       (item["role"], m.APPROVAL_PENDING, m.APPROVED)).fetchone()[0]
                if waiting >= item["maxPending"]:
                    raise TxError(Problem(code="approval-quota-exceeded", path="role", message=quota_text(item)))
            shown = self.engine.preview(track="command", kind="command", recipe=recipe,
                                        title=f"{item['role']} → {item['commandId']}", requested_by=item["role"],
                                        requested_role=item["role"])
            tx_id = str(shown["txId"])
            done = AuditEvent(event_type="dispatch-approval-required", correlation_id=item["correlationId"],
                              command_id=item["commandId"], role=item["role"], data={"approvalId": tx_id})
            self.engine.store.append_audit(conn, [*events, done], self.engine.clock())
            if reserve is not None:
                conn.execute("INSERT OR REPLACE INTO idempotency(key, result, expires_at) VALUES (?,?,?)",
                             (reserve["key"], orjson.dumps({**reserve["envelope"], "approvalId": tx_id}).decode(),
                              reserve["expiresAt"]))
        return tx_id

    def item(self, approval_id: str) -> dict[str, Any] | None:
        """One item with its decision: who decided, when, and what came of it."""
        try:
            shown = self.engine.show(approval_id)
        except TxError:
            return None
        decided = [h for h in shown["history"] if h["prevState"] == m.APPROVAL_PENDING]
        last = decided[-1] if decided else None
        return {**self._as_item(shown), "decidedAt": last["at"] if last else None,
                "decidedBy": last["actorId"] if last else None, "result": shown.get("result")}

    def items(self, status: str | None) -> list[dict[str, Any]]:
        rows = self.engine.list_tx()
        if status == "pending":  # everything still waiting for the host
            rows = [tx for tx in rows if tx["state"] in (m.APPROVAL_PENDING, m.APPROVED)]
        return [self._as_item(tx) for tx in rows]

    @staticmethod
    def _as_item(tx: dict[str, Any]) -> dict[str, Any]:
        plan = tx.get("plan") or {}
        return {"id": tx["txId"], "txId": tx["txId"], "status": STATUS.get(tx["state"], tx["state"].lower()),
                "state": tx["state"], "track": tx["track"], "kind": tx["kind"], "title": tx["title"],
                "role": tx["requestedRole"], "commandId": plan.get("commandId", f"tx:{tx['kind']}"),
                "payload": tx.get("payload", tx.get("recipe", {}).get("payload")),
                "output": plan.get("result") if tx["state"] == m.APPLIED else None,
                "previewHash": tx["previewHash"], "attemptNo": tx["attemptNo"], "createdAt": tx.get("createdAt")}

    def approve(self, approval_id: str, approver: str) -> Envelope:
        item = self.item(approval_id)
        if item is None:
            return _fail("approval-not-found", "", f"no approval item {approval_id!r}", approvalId=approval_id)
        if item["state"] not in (m.APPROVAL_PENDING, m.APPROVED):
            return _fail("approval-not-pending", item["commandId"], f"{approval_id} is {item['status']}",
                         approvalId=approval_id)
        if item["state"] == m.APPROVED:  # approved before a crash: finish it with that approval
            token = self.engine.latest_token(approval_id) or ""
        else:
            token = self.engine.approve(approval_id, approver_id=approver)["approvalToken"]
        crash_point("approve:before-apply")
        try:
            applied = self.engine.apply(approval_id, approval_token=token, requested_by=approver)
        except TxError as exc:
            if exc.code not in ("tx-stale-base", "tx-approval-expired"):  # refused at apply (a guard): no change
                return _fail(exc.code, item["commandId"], exc.message, approvalId=approval_id, txId=approval_id,
                             path=exc.problem.path or None, detail=exc.problem.detail or None)
            fresh = self.engine.refresh(approval_id, actor=(approver, "host"))
            return _fail(exc.code, item["commandId"], f"{exc.message}; a fresh preview"
                         f" ({fresh['previewHash']}) is waiting: review and approve {approval_id} again",
                         approvalId=approval_id, txId=approval_id, previewHash=fresh["previewHash"])
        plan = applied["plan"]
        if "commandId" not in plan:
            return {**applied, "approvalId": approval_id}
        return {"ok": True, "code": "executed", "commandId": plan["commandId"], "auditTag": plan.get("auditTag"),
                "result": plan.get("result"), "approvalId": approval_id, "txId": approval_id,
                "commitId": applied["commitId"]}

    def reject(self, approval_id: str, approver: str, reason: str) -> Envelope:
        item = self.item(approval_id)
        if item is None:
            return _fail("approval-not-found", "", f"no approval item {approval_id!r}", approvalId=approval_id)
        if item["state"] != m.APPROVAL_PENDING:
            return _fail("approval-not-pending", item["commandId"], f"{approval_id} is {item['status']}",
                         approvalId=approval_id)
        self.engine.reject(approval_id, approver_id=approver, reason=reason)
        return {"ok": True, "code": "rejected", "commandId": item["commandId"], "approvalId": approval_id,
                "txId": approval_id}
