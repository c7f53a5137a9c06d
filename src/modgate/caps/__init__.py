"""Capabilities of heavy modules (companion spec task 254): catalog, grants, escalation, audit.

Deny-all by default. A module may use a capability only when it is in the catalog, the module
requested it, and a valid grant exists (or an escalation just approved one). :func:`evaluate`
checks in the spec's order — catalog → requested → grant validity → escalation state →
execution-time checks — and returns the first failing stage as one of seven reject codes.

Nothing here ever creates a grant on its own: a :class:`Grant` needs an approver, and the only
way to obtain one from this module is :func:`decide_escalation` with an approving choice.

Pure: no sqlite3, no files, no clock (every function takes ``now``); grants are stored by the
shell :mod:`modgate.caps.store`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from modgate.auditevent import AuditEvent
from modgate.errors import ModgateError, Problem

CATALOG_MAJOR = 1
# Exactly the six ids of catalog v1. Matching is by equality only: no wildcards, prefixes,
# aliases or implied capabilities (state.write.tx does not imply state.read).
CATALOG_V1: frozenset[str] = frozenset({
    "ui.slot.render", "state.read", "state.write.tx", "module.storage.local", "export.user.file", "automation.invoke",
})

REJECT_CODES = (
    "capability-unknown-id", "capability-not-requested", "capability-not-granted", "capability-grant-stale",
    "capability-escalation-denied", "capability-escalation-timeout", "capability-policy-violation",
)
SCOPES = ("session", "persistent")
# The stages of evaluate(), in the spec's order; evaluate_all() ranks rejects by them.
STAGES = ("catalog", "requested", "grant", "escalation", "execution")

# Escalation states (spec names, verbatim) and the transitions between them.
CHECK_STARTED = "capability_check_started"
CHECK_PASSED = "capability_check_passed"
ESCALATION_REQUIRED = "capability_escalation_required"
ESCALATION_DECISION = "capability_escalation_decision"
ESCALATION_RESULT = "capability_escalation_result"
TRANSITIONS: dict[str, frozenset[str]] = {
    CHECK_STARTED: frozenset({CHECK_PASSED, ESCALATION_REQUIRED}),
    ESCALATION_REQUIRED: frozenset({ESCALATION_DECISION}),
    ESCALATION_DECISION: frozenset({ESCALATION_RESULT}),
}
# approve_* grant; cancel and timeout are denials (the spec: "cancel/timeout = deny").
CHOICES = ("approve_session", "approve_persistent", "deny", "cancel", "timeout")
DEFAULT_ESCALATION_TIMEOUT_S = 300.0

# Audit event names. capability.grant.revoked is a modgate addition: the spec names no event for
# an operator taking a grant back, and reusing "denied" would misreport what happened.
EVENT_REQUESTED = "capability.escalation.requested"
EVENT_APPROVED = "capability.escalation.approved"
EVENT_DENIED = "capability.escalation.denied"
EVENT_REJECTED = "capability.check.rejected"
EVENT_ROLLBACK_EXECUTED = "capability.rollback.executed"
EVENT_ROLLBACK_FAILED = "capability.rollback.failed"
EVENT_REVOKED = "capability.grant.revoked"
AUDIT_DECISIONS = ("requested", "approved", "denied", "timeout", "rejected")

# Capabilities with side effects: a preview must be a no-op, so using one there is a violation.
_SIDE_EFFECTS = frozenset({"state.write.tx", "module.storage.local", "export.user.file", "automation.invoke"})


def _error(code: str, message: str, path: str = "", **detail: Any) -> ModgateError:
    return ModgateError(Problem(code=code, path=path, message=message, detail=detail))


# --- normalisation --------------------------------------------------------------------------------
def normalize_requested(value: object, path: str = "package.capabilitiesRequested") -> tuple[str, ...]:
    """``capabilitiesRequested`` as the spec normalises it: missing → (); trim, dedupe, sort.

    Ids outside the catalog are kept (the catalog check reports them with their own code).
    """
    if value is None:
        return ()
    if not isinstance(value, list | tuple):
        raise _error("invalid-capability-shape", "capabilitiesRequested must be an array of strings.", path)
    for i, item in enumerate(value):
        if not isinstance(item, str):
            raise _error("invalid-capability-shape", "Each requested capability must be a string.", f"{path}[{i}]")
    return tuple(sorted({item.strip() for item in value}))


def unknown_requested(requested: Iterable[str]) -> tuple[str, ...]:
    """Requested ids that are not in the catalog (an import-time check refuses these)."""
    return tuple(sorted(set(requested) - CATALOG_V1))


def check_grantable(capability_id: str, requested: object, module_id: str = "") -> None:
    """Refuse a grant the module could never use: unknown id, or an id it did not request.

    Granting only what was requested is what keeps an operator's grant from broadening a module.
    """
    if capability_id not in CATALOG_V1:
        raise _error("capability-unknown-id", f"{capability_id!r} is not in capability catalog v{CATALOG_MAJOR}",
                     "capabilityId", capabilityId=capability_id)
    if capability_id not in normalize_requested(requested):
        raise _error("capability-not-requested", f"module {module_id} did not request {capability_id}",
                     "capabilityId", capabilityId=capability_id, moduleId=module_id)


# --- grants ---------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True, kw_only=True)
class Grant:
    """One explicit approval; identity (moduleId, moduleVersion, capabilityId, grantScope, approver)."""

    module_id: str
    module_version: str
    capability_id: str
    grant_scope: str
    approver_id: str
    approver_role: str
    granted_at: float
    expires_at: float | None = None
    session_id: str | None = None
    grant_version: int = CATALOG_MAJOR

    def __post_init__(self) -> None:
        # A grant without a human approver would be an auto-grant: refuse to even build one.
        if not self.approver_id or not self.approver_role:
            raise ValueError("a grant needs an approver identity and role")
        if self.grant_scope not in SCOPES:
            raise ValueError(f"grant scope must be session or persistent, not {self.grant_scope!r}")
        if self.grant_scope == "session" and not self.session_id:
            raise ValueError("a session grant needs a session id")

    @property
    def key(self) -> tuple[str, str, str, str, str]:
        return (self.module_id, self.module_version, self.capability_id, self.grant_scope, self.approver_id)

    def to_dict(self) -> dict[str, Any]:
        return {"moduleId": self.module_id, "moduleVersion": self.module_version,
                "capabilityId": self.capability_id, "grantScope": self.grant_scope,
                "approverIdentity": self.approver_id, "approverRole": self.approver_role,
                "grantedAt": self.granted_at, "expiresAt": self.expires_at, "sessionId": self.session_id,
                "grantVersion": self.grant_version}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Grant:
        return cls(module_id=data["moduleId"], module_version=data["moduleVersion"],
                   capability_id=data["capabilityId"], grant_scope=data["grantScope"],
                   approver_id=data["approverIdentity"], approver_role=data["approverRole"],
                   granted_at=float(data["grantedAt"]), expires_at=data.get("expiresAt"),
                   session_id=data.get("sessionId"), grant_version=int(data.get("grantVersion", CATALOG_MAJOR)))


def _live(grant: Grant, session_id: str | None, now: float) -> bool:
    """Not expired, and a session grant only counts in its own session."""
    if grant.expires_at is not None and now >= grant.expires_at:
        return False
    return grant.grant_scope == "persistent" or grant.session_id == session_id


def _current(grant: Grant, module_version: str) -> bool:
    # Any version change invalidates — an upgrade must be approved again, and so must a downgrade.
    return grant.module_version == module_version and grant.grant_version == CATALOG_MAJOR


def find_grant(grants: Iterable[Grant], *, module_id: str, module_version: str, capability_id: str,
               session_id: str | None, now: float) -> tuple[Grant | None, Grant | None]:
    """(a valid grant, else None; a live grant made stale by a version change, else None)."""
    stale = None
    for grant in sorted(grants, key=lambda g: g.key):
        if grant.module_id != module_id or grant.capability_id != capability_id or not _live(grant, session_id, now):
            continue
        if _current(grant, module_version):
            return grant, None
        stale = stale or grant
    return None, stale


# --- escalation -----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True, kw_only=True)
class Escalation:
    """One escalation request and, once decided, its choice and the grant it produced (if any)."""

    escalation_id: str
    module_id: str
    module_version: str
    capability_id: str
    session_id: str | None
    requested_at: float
    deadline: float
    reason_code: str
    state: str = ESCALATION_REQUIRED
    trail: tuple[str, ...] = (CHECK_STARTED, ESCALATION_REQUIRED)
    choice: str | None = None
    approver_id: str | None = None
    approver_role: str | None = None
    decided_at: float | None = None
    grant: Grant | None = None

    def matches(self, module_id: str, module_version: str, capability_id: str, session_id: str | None) -> bool:
        return (self.module_id, self.module_version, self.capability_id, self.session_id) == (
            module_id, module_version, capability_id, session_id)

    def to_dict(self) -> dict[str, Any]:
        return {"escalationId": self.escalation_id, "moduleId": self.module_id,
                "moduleVersion": self.module_version, "capabilityId": self.capability_id,
                "sessionId": self.session_id, "requestedAt": self.requested_at, "deadline": self.deadline,
                "reasonCode": self.reason_code, "state": self.state, "trail": list(self.trail),
                "choice": self.choice, "approverIdentity": self.approver_id, "approverRole": self.approver_role,
                "decidedAt": self.decided_at, "grant": self.grant.to_dict() if self.grant else None}


def _advance(esc: Escalation, to: str, **changes: Any) -> Escalation:
    if to not in TRANSITIONS.get(esc.state, frozenset()):
        message = f"escalation {esc.escalation_id} is {esc.state}; cannot move to {to}"
        raise _error("capability-escalation-closed", message, "escalation", state=esc.state)
    return replace(esc, state=to, trail=(*esc.trail, to), **changes)


def request_escalation(decision: Decision, *, escalation_id: str, now: float,
                       timeout_s: float = DEFAULT_ESCALATION_TIMEOUT_S) -> Escalation:
    """Open an escalation for a check that ended in ``capability_escalation_required``.

    Only a missing or stale grant can be escalated: an unknown or unrequested capability is
    refused with its own code, so escalation can never broaden what a module asked for.
    """
    if decision.state != ESCALATION_REQUIRED:
        code = decision.code or "capability-escalation-closed"
        raise _error(code, f"{decision.capability_id} cannot be escalated ({decision.state})", "capabilityId")
    return Escalation(escalation_id=escalation_id, module_id=decision.module_id,
                      module_version=decision.module_version, capability_id=decision.capability_id,
                      session_id=decision.session_id, requested_at=now, deadline=now + timeout_s,
                      reason_code=decision.code or "capability-not-granted")


def decide_escalation(esc: Escalation, choice: str, *, now: float, approver_id: str | None = None,
                      approver_role: str | None = None, session_ttl_s: float | None = None) -> Escalation:
    """Record the human's choice and move to ``capability_escalation_result``.

    A choice arriving at or after the deadline is recorded as ``timeout`` (a deny), so a late
    click cannot grant. The result carries the :class:`Grant` to store, or none.
    """
    if choice not in CHOICES:
        raise ValueError(f"unknown escalation choice {choice!r}")
    if now >= esc.deadline:
        choice = "timeout"
    decided = _advance(esc, ESCALATION_DECISION, choice=choice, approver_id=approver_id,
                       approver_role=approver_role, decided_at=now)
    return _advance(decided, ESCALATION_RESULT, grant=_grant_for(decided, now, session_ttl_s))


def _grant_for(esc: Escalation, now: float, session_ttl_s: float | None) -> Grant | None:
    if esc.choice not in ("approve_session", "approve_persistent"):
        return None
    if not esc.approver_id or not esc.approver_role:
        raise ValueError("an approving choice needs the approver's identity and role")
    scope = "session" if esc.choice == "approve_session" else "persistent"
    return Grant(module_id=esc.module_id, module_version=esc.module_version, capability_id=esc.capability_id,
                 grant_scope=scope, approver_id=esc.approver_id, approver_role=esc.approver_role, granted_at=now,
                 expires_at=now + session_ttl_s if scope == "session" and session_ttl_s is not None else None,
                 session_id=esc.session_id if scope == "session" else None)


# --- evaluation -----------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True, kw_only=True)
class Execution:
    """What the caller knows when the capability is about to be used (execution-time checks)."""

    stage: str = "action"  # import | preview | transaction | action
    action_id: str | None = None
    transaction_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Decision:
    """The outcome of one check. ``code`` is None exactly when ``allowed``."""

    module_id: str
    module_version: str
    capability_id: str
    session_id: str | None
    allowed: bool
    code: str | None
    message: str
    stage: str  # the stage that decided: one of STAGES
    state: str  # CHECK_STARTED (refused before grants), CHECK_PASSED, ESCALATION_REQUIRED or ESCALATION_RESULT
    grant: Grant | None = None

    def problem(self) -> Problem:
        return Problem(code=self.code or "", path="capabilityId", message=self.message,
                       detail={"moduleId": self.module_id, "moduleVersion": self.module_version,
                               "capabilityId": self.capability_id, "stage": self.stage})

    def raise_if_denied(self) -> None:
        if not self.allowed:
            raise ModgateError(self.problem())

    def to_dict(self) -> dict[str, Any]:
        return {"moduleId": self.module_id, "moduleVersion": self.module_version,
                "capabilityId": self.capability_id, "allowed": self.allowed, "code": self.code,
                "message": self.message, "stage": self.stage, "state": self.state,
                "grant": self.grant.to_dict() if self.grant else None}


@dataclass(frozen=True, slots=True)
class _Check:
    module_id: str
    module_version: str
    capability_id: str
    session_id: str | None

    def reject(self, code: str, stage: str, state: str, message: str) -> Decision:
        return Decision(module_id=self.module_id, module_version=self.module_version,
                        capability_id=self.capability_id, session_id=self.session_id, allowed=False, code=code,
                        message=message, stage=stage, state=state)

    def allow(self, grant: Grant, state: str) -> Decision:
        return Decision(module_id=self.module_id, module_version=self.module_version,
                        capability_id=self.capability_id, session_id=self.session_id, allowed=True, code=None,
                        message="allowed", stage="execution", state=state, grant=grant)


def evaluate(*, module_id: str, module_version: str, capability_id: str, requested: object,
             grants: Iterable[Grant], session_id: str | None, now: float, escalation: Escalation | None = None,
             execution: Execution | None = None) -> Decision:
    """Check one capability use in the spec's order; the first failing stage decides."""
    check = _Check(module_id, module_version, capability_id, session_id)
    if capability_id not in CATALOG_V1:
        return check.reject("capability-unknown-id", "catalog", CHECK_STARTED,
                            f"{capability_id!r} is not in capability catalog v{CATALOG_MAJOR}")
    if capability_id not in normalize_requested(requested):
        return check.reject("capability-not-requested", "requested", CHECK_STARTED,
                            f"module {module_id} did not request {capability_id}")
    valid, stale = find_grant(grants, module_id=module_id, module_version=module_version,
                              capability_id=capability_id, session_id=session_id, now=now)
    if valid is not None:
        return _execution_check(check, check.allow(valid, CHECK_PASSED), execution)
    if escalation is not None and escalation.matches(module_id, module_version, capability_id, session_id):
        return _escalation_check(check, escalation, now, execution)
    if stale is not None:
        return check.reject("capability-grant-stale", "grant", ESCALATION_REQUIRED,
                            f"the grant of {capability_id} was for {module_id} {stale.module_version} "
                            f"(catalog v{stale.grant_version}); {module_version} needs a new grant")
    return check.reject("capability-not-granted", "grant", ESCALATION_REQUIRED,
                        f"module {module_id} {module_version} holds no grant for {capability_id}")


def _escalation_check(check: _Check, esc: Escalation, now: float, execution: Execution | None) -> Decision:
    if esc.state == ESCALATION_REQUIRED:
        if now >= esc.deadline:
            return check.reject("capability-escalation-timeout", "escalation", ESCALATION_REQUIRED,
                                f"nobody answered the escalation for {check.capability_id} in time")
        return check.reject("capability-not-granted", "escalation", ESCALATION_REQUIRED,
                            f"the escalation for {check.capability_id} is still waiting for a decision")
    if esc.grant is not None and _live(esc.grant, check.session_id, now):
        return _execution_check(check, check.allow(esc.grant, ESCALATION_RESULT), execution)
    if esc.choice == "timeout":
        return check.reject("capability-escalation-timeout", "escalation", ESCALATION_RESULT,
                            f"the escalation for {check.capability_id} timed out (a timeout is a deny)")
    return check.reject("capability-escalation-denied", "escalation", ESCALATION_RESULT,
                        f"the escalation for {check.capability_id} was {esc.choice or 'denied'}")


def _execution_check(check: _Check, allowed: Decision, execution: Execution | None) -> Decision:
    problem = policy_violation(check.capability_id, execution or Execution())
    if problem is None:
        return allowed
    return check.reject("capability-policy-violation", "execution", allowed.state, problem)


def policy_violation(capability_id: str, execution: Execution) -> str | None:
    """Execution-time rules that hold even with a valid grant (the message, or None)."""
    if execution.stage == "preview" and capability_id in _SIDE_EFFECTS:
        return f"{capability_id} has side effects and a preview must be a no-op"
    if capability_id == "state.write.tx" and (execution.stage != "transaction" or not execution.transaction_id):
        return "state.write.tx writes only inside a transaction (no transactionId given)"
    return None


@dataclass(frozen=True, slots=True, kw_only=True)
class ActionDecision:
    """All-or-nothing result for one action over several capabilities."""

    allowed: bool
    decisions: tuple[Decision, ...]
    failed: Decision | None = None

    @property
    def code(self) -> str | None:
        return self.failed.code if self.failed else None


def evaluate_all(*, module_id: str, module_version: str, capability_ids: Iterable[str], requested: object,
                 grants: Iterable[Grant], session_id: str | None, now: float,
                 escalations: Mapping[str, Escalation] | None = None,
                 execution: Execution | None = None) -> ActionDecision:
    """Every capability must pass, or none is used.

    Capabilities are checked in ascending id order; the reported reject is the one from the
    earliest stage (ties: the smallest id), so the code follows the spec's evaluation order
    whatever order the caller lists the ids in.
    """
    grants = tuple(grants)
    decisions = tuple(
        evaluate(module_id=module_id, module_version=module_version, capability_id=cap, requested=requested,
                 grants=grants, session_id=session_id, now=now, escalation=(escalations or {}).get(cap),
                 execution=execution)
        for cap in sorted(set(capability_ids)))
    rejects = [d for d in decisions if not d.allowed]
    failed = min(rejects, key=lambda d: (STAGES.index(d.stage), d.capability_id)) if rejects else None
    return ActionDecision(allowed=failed is None, decisions=decisions, failed=failed)


# --- audit ----------------------------------------------------------------------------------------
def timestamp_utc(now: float) -> str:
    return datetime.fromtimestamp(now, tz=UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass(frozen=True, slots=True, kw_only=True)
class Subject:
    """Who and what an audit record is about."""

    module_id: str
    module_version: str
    capability_id: str
    action_id: str | None = None
    transaction_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Verdict:
    """The decision part of an audit record."""

    decision: str
    reason_code: str
    approver_id: str | None = None
    approver_role: str | None = None
    grant_scope: str = "none"
    grant_version: int = CATALOG_MAJOR
    extra: dict[str, Any] = field(default_factory=dict)


def audit_record(*, event_id: str, now: float, subject: Subject, verdict: Verdict) -> dict[str, Any]:
    """The spec's audit record (optional actionId/transactionId only when known)."""
    if verdict.decision not in AUDIT_DECISIONS:
        raise ValueError(f"audit decision must be one of {AUDIT_DECISIONS}")
    if verdict.grant_scope not in (*SCOPES, "none"):
        raise ValueError("grantScope must be session, persistent or none")
    record: dict[str, Any] = {"eventId": event_id, "timestampUtc": timestamp_utc(now),
                              "moduleId": subject.module_id, "moduleVersion": subject.module_version,
                              "capabilityId": subject.capability_id}
    if subject.action_id is not None:
        record["actionId"] = subject.action_id
    if subject.transaction_id is not None:
        record["transactionId"] = subject.transaction_id
    record.update({"decision": verdict.decision, "decisionReasonCode": verdict.reason_code,
                   "approverIdentity": verdict.approver_id, "approverRole": verdict.approver_role,
                   "grantScope": verdict.grant_scope, "grantVersion": verdict.grant_version, **verdict.extra})
    return record


def audit_event(name: str, record: dict[str, Any], correlation_id: str | None = None) -> AuditEvent:
    """Wrap a record as the event the store chains into the audit log."""
    return AuditEvent(event_type=name, correlation_id=correlation_id or record["eventId"], data=record)


def rejection_event(decision: Decision, *, event_id: str, now: float, action_id: str | None = None,
                    transaction_id: str | None = None) -> tuple[str, dict[str, Any]]:
    """``capability.check.rejected`` for a refused check."""
    if decision.allowed or decision.code is None:
        raise ValueError("only a refused check is audited as rejected")
    subject = Subject(module_id=decision.module_id, module_version=decision.module_version,
                      capability_id=decision.capability_id, action_id=action_id, transaction_id=transaction_id)
    return EVENT_REJECTED, audit_record(event_id=event_id, now=now, subject=subject,
                                        verdict=Verdict(decision="rejected", reason_code=decision.code))


def escalation_event(esc: Escalation, *, event_id: str, now: float, action_id: str | None = None,
                     transaction_id: str | None = None) -> tuple[str, dict[str, Any]]:
    """The event for the escalation's current state: requested, approved or denied (timeout too)."""
    subject = Subject(module_id=esc.module_id, module_version=esc.module_version, capability_id=esc.capability_id,
                      action_id=action_id, transaction_id=transaction_id)
    if esc.state == ESCALATION_REQUIRED:
        name, verdict = EVENT_REQUESTED, Verdict(decision="requested", reason_code=esc.reason_code)
    elif esc.grant is not None:
        name, verdict = EVENT_APPROVED, Verdict(decision="approved", reason_code=esc.choice or "",
                                                approver_id=esc.approver_id, approver_role=esc.approver_role,
                                                grant_scope=esc.grant.grant_scope,
                                                grant_version=esc.grant.grant_version)
    else:
        timeout = esc.choice == "timeout"
        name, verdict = EVENT_DENIED, Verdict(
            decision="timeout" if timeout else "denied",
            reason_code="capability-escalation-timeout" if timeout else "capability-escalation-denied",
            approver_id=esc.approver_id, approver_role=esc.approver_role, extra={"choice": esc.choice})
    return name, audit_record(event_id=event_id, now=now, subject=subject, verdict=verdict)


def grant_event(grant: Grant, *, event_id: str, now: float, revoked: bool = False) -> tuple[str, dict[str, Any]]:
    """An operator's direct grant (recorded as an approval) or revocation of ``grant``."""
    subject = Subject(module_id=grant.module_id, module_version=grant.module_version,
                      capability_id=grant.capability_id)
    verdict = Verdict(decision="denied" if revoked else "approved",
                      reason_code="grant-revoked" if revoked else f"approve_{grant.grant_scope}",
                      approver_id=grant.approver_id, approver_role=grant.approver_role,
                      grant_scope=grant.grant_scope, grant_version=grant.grant_version)
    return (EVENT_REVOKED if revoked else EVENT_APPROVED), audit_record(event_id=event_id, now=now,
                                                                         subject=subject, verdict=verdict)


def rollback_event(decision: Decision, *, event_id: str, now: float, transaction_id: str, rolled_back: bool,
                   action_id: str | None = None) -> tuple[str, dict[str, Any]]:
    """``capability.rollback.executed|failed`` after a capability failure inside a transaction."""
    subject = Subject(module_id=decision.module_id, module_version=decision.module_version,
                      capability_id=decision.capability_id, action_id=action_id, transaction_id=transaction_id)
    verdict = Verdict(decision="rejected", reason_code=decision.code or "capability-policy-violation",
                      extra={"outcome": "rolled_back" if rolled_back else "rollback_failed"})
    name = EVENT_ROLLBACK_EXECUTED if rolled_back else EVENT_ROLLBACK_FAILED
    return name, audit_record(event_id=event_id, now=now, subject=subject, verdict=verdict)
