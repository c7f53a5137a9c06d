"""The transaction state machine of task 256: states and the only allowed transitions."""

from __future__ import annotations

from modgate.errors import ModgateError, Problem

RECEIVED = "RECEIVED"
PREVIEWING = "PREVIEWING"
PREVIEW_READY = "PREVIEW_READY"
APPROVAL_PENDING = "APPROVAL_PENDING"
APPROVED = "APPROVED"
REJECTED = "REJECTED"
APPLYING = "APPLYING"
APPLIED = "APPLIED"
ROLLBACK_PENDING = "ROLLBACK_PENDING"
ROLLED_BACK = "ROLLED_BACK"
FAILED_PRE_APPLY = "FAILED_PRE_APPLY"
RECOVERY_PENDING = "RECOVERY_PENDING"
FAILED_TERMINAL = "FAILED_TERMINAL"

TRANSITIONS: dict[str, frozenset[str]] = {
    RECEIVED: frozenset({PREVIEWING}),
    PREVIEWING: frozenset({PREVIEW_READY, FAILED_PRE_APPLY}),
    PREVIEW_READY: frozenset({APPROVAL_PENDING}),
    APPROVAL_PENDING: frozenset({APPROVED, REJECTED, FAILED_PRE_APPLY}),
    APPROVED: frozenset({APPLYING, FAILED_PRE_APPLY}),
    APPLYING: frozenset({APPLIED, FAILED_PRE_APPLY, RECOVERY_PENDING}),
    APPLIED: frozenset({ROLLBACK_PENDING}),
    ROLLBACK_PENDING: frozenset({ROLLED_BACK, RECOVERY_PENDING, FAILED_TERMINAL}),
    FAILED_PRE_APPLY: frozenset({PREVIEWING, REJECTED}),
    RECOVERY_PENDING: frozenset({APPLIED, ROLLED_BACK, APPROVED, FAILED_TERMINAL}),
    ROLLED_BACK: frozenset(),
    REJECTED: frozenset(),
    FAILED_TERMINAL: frozenset(),
}
TERMINAL = frozenset({ROLLED_BACK, REJECTED, FAILED_TERMINAL})
STATES = tuple(TRANSITIONS)


def check_transition(current: str, nxt: str, tx_id: str = "") -> None:
    """Refuse any transition the protocol does not allow."""
    if nxt not in TRANSITIONS.get(current, frozenset()):
        raise ModgateError(Problem(
            code="tx-invalid-transition", path=f"tx[{tx_id}].state" if tx_id else "tx.state",
            message=f"transaction {tx_id or ''} cannot go from {current} to {nxt}".replace("  ", " "),
            detail={"from": current, "to": nxt}))
