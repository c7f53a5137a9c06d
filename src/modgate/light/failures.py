"""The light track's outcome codes (seed 003 + light-track.md §4) and the failure value. Pure."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

E_ROLE_MODE_INVALID = "E_ROLE_MODE_INVALID"
E_POLICY_DENIED = "E_POLICY_DENIED"
E_LOW_CONFIDENCE_PARSE = "E_LOW_CONFIDENCE_PARSE"
E_INTENT_REQUIRED_FIELD_MISSING = "E_INTENT_REQUIRED_FIELD_MISSING"
E_INTENT_CONSTRAINT_CONFLICT = "E_INTENT_CONSTRAINT_CONFLICT"
E_DRYRUN_CONFLICT = "E_DRYRUN_CONFLICT"
E_DIFF_UNSTABLE = "E_DIFF_UNSTABLE"
RECOVERABLE = {E_ROLE_MODE_INVALID: False, E_POLICY_DENIED: False, E_LOW_CONFIDENCE_PARSE: True,
               E_INTENT_REQUIRED_FIELD_MISSING: True, E_INTENT_CONSTRAINT_CONFLICT: True, E_DRYRUN_CONFLICT: True,
               E_DIFF_UNSTABLE: True}
CODES = tuple(RECOVERABLE)
# Outcomes that are not failures (light-track.md §5).
APPROVAL_PENDING = "approval-pending"
NO_CHANGE = "no-change"
OUTCOMES = (APPROVAL_PENDING, NO_CHANGE, *CODES)

GATES = ("G0_ROLE_MODE_CHECK", "G1_INTENT_SCHEMA_CHECK", "G2_POLICY_PRECHECK", "G3_DRAFT_BUILD",
         "G4_DRY_RUN_REQUIRED", "G5_DIFF_REQUIRED", "G6_APPROVAL_REQUIRED", "G7_TRANSACTION_HANDOFF")
STATES = ("INTENT_CAPTURED", "INTENT_NORMALIZED", "INTENT_VALIDATED", "MANIFEST_DRAFTED", "POLICY_DRAFTED",
          "DRY_RUN_EXECUTED", "DIFF_PREVIEW_READY", "APPROVAL_PENDING", "READY_FOR_TRANSACTION")


@dataclass(frozen=True, slots=True, kw_only=True)
class Failure:
    """One failed gate: a code, a plain message for the light user, and what would fix it.

    ``metric`` is the setting at fault (``penColor``, ``layout.canvas``, ...) when there is one;
    ``detail`` holds technical facts (never shown to the light user).
    """

    code: str
    gate: str
    message: str
    metric: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def recoverable(self) -> bool:
        return RECOVERABLE[self.code]

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "gate": self.gate, "message": self.message, "metric": self.metric,
                "recoverable": self.recoverable, "detail": dict(self.detail)}
