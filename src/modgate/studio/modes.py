"""Task 257's mode-switch rules, as a pure decision (no I/O, no clock).

The switch is explicit only. It is blocked while any transaction is in APPLYING,
ROLLBACK_PENDING or RECOVERY_PENDING; when the current mode's draft has a preview waiting
(PREVIEW_READY / APPROVAL_PENDING) the user must choose keep-draft-and-switch,
discard-and-switch or stay.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import modgate.tx.machine as m

MODES = ("light", "heavy")
BLOCKING_STATES = frozenset({m.APPLYING, m.ROLLBACK_PENDING, m.RECOVERY_PENDING})
DRAFT_DECISION_STATES = frozenset({m.PREVIEW_READY, m.APPROVAL_PENDING})
CHOICES = ("keep", "discard", "stay")


@dataclass(frozen=True, slots=True, kw_only=True)
class SwitchDecision:
    """``outcome``: same | blocked | choose | stay | keep | discard | switch | invalid."""

    outcome: str
    code: str | None = None
    blocking: tuple[str, ...] = ()

    @property
    def switches(self) -> bool:
        return self.outcome in ("keep", "discard", "switch")

    def to_dict(self) -> dict[str, object]:
        return {"outcome": self.outcome, "code": self.code, "blocking": list(self.blocking)}

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> SwitchDecision:
        blocking = data.get("blocking") or []
        code = data.get("code")
        return cls(outcome=str(data["outcome"]), code=code if isinstance(code, str) else None,
                   blocking=tuple(str(b) for b in blocking) if isinstance(blocking, list) else ())


def blocking_of(transactions: Iterable[tuple[str, str]]) -> tuple[str, ...]:
    """The ids of (txId, state) pairs whose state blocks a mode switch."""
    return tuple(tx_id for tx_id, state in transactions if state in BLOCKING_STATES)


def decide_switch(*, current: str, target: str, transactions: Iterable[tuple[str, str]],
                  draft_state: str | None, choice: str | None) -> SwitchDecision:
    if target not in MODES or (choice is not None and choice not in CHOICES):
        return SwitchDecision(outcome="invalid", code="studio-mode-invalid")
    if target == current:
        return SwitchDecision(outcome="same")
    blocking = blocking_of(transactions)
    if blocking:
        return SwitchDecision(outcome="blocked", code="studio-mode-switch-blocked", blocking=blocking)
    if draft_state not in DRAFT_DECISION_STATES:
        return SwitchDecision(outcome="switch")
    if choice is None:
        return SwitchDecision(outcome="choose", code="studio-draft-decision-required")
    return SwitchDecision(outcome=choice)
