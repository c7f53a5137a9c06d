"""The transaction protocol, as a small Python API a host can call.

    shown = preview(rt, [{"op": "replace", "path": "/local/tool/penColor", "value": "#000000"}])
    approval = approve(rt, shown["txId"])
    applied = apply(rt, shown["txId"], approval["approvalToken"])
    rollback(rt, shown["txId"], reason="changed my mind")

``rt`` is a :class:`modgate.app.Runtime`. Every function returns the protocol's JSON result
and raises :class:`modgate.errors.ModgateError` with a documented ``tx-*`` code on refusal.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from modgate.app import Runtime


def preview(rt: Runtime, changes: list[dict[str, Any]], *, track: str = "light", title: str = "changes",
            requested_by: str = "host", requested_role: str = "host") -> dict[str, Any]:
    """Preview ``changes`` (JSON Patch-like ops: ``op`` add/replace/remove, ``path``, ``value``).

    Creates a transaction waiting for approval and returns it with its ``preview`` and
    ``previewHash``; nothing is applied.
    """
    return rt.tx.preview(track=track, kind="ops", recipe={"ops": changes}, title=title,
                               requested_by=requested_by, requested_role=requested_role)


def approve(rt: Runtime, tx_id: str, *, preview_hash: str | None = None, approver_id: str = "host",
            ttl_s: int = 900) -> dict[str, Any]:
    """Approve ``tx_id`` as a host; returns a single-use ``approvalToken`` valid for ``ttl_s`` seconds.

    ``preview_hash`` binds the approval to the preview the approver saw: a stale one is refused.
    """
    return rt.tx.approve(tx_id, preview_hash=preview_hash, approver_id=approver_id, ttl_s=ttl_s)


def apply(rt: Runtime, tx_id: str, approval_token: str, *, idempotency_key: str | None = None) -> dict[str, Any]:
    """Apply an approved transaction atomically (all of it or nothing), with its approval token."""
    return rt.tx.apply(tx_id, approval_token=approval_token, idempotency_key=idempotency_key)


def rollback(rt: Runtime, tx_id: str, *, reason: str = "", idempotency_key: str | None = None) -> dict[str, Any]:
    """Roll an applied transaction back from its journal; a refusal raises a coded ``tx-*`` error."""
    return rt.tx.rollback(tx_id, reason=reason, idempotency_key=idempotency_key)


__all__ = ["apply", "approve", "preview", "rollback"]
