"""The bus's vocabulary: envelopes, journal entries, commits, and the protocols of what it talks to.

A store (:class:`BusStore`) persists; an approval queue (:class:`ApprovalQueue`) keeps gated
dispatches for a host. :mod:`modgate.bus` orchestrates over both; the stores import from here.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol

from modgate.auditevent import AuditEvent
from modgate.limits import RoleLimits
from modgate.state import JsonObject, Op

# Correlation ids are unique per process (pid + counter): cheaper than random bytes per dispatch.
_COUNTER = itertools.count(1)
_PROCESS_TAG = f"{os.getpid():x}-"
_PLAN_FAILURES = frozenset({"command-execution-failed", "undeclared-write", "invalid-payload",
                            "approval-quota-exceeded"})
_NO_LIMITS = RoleLimits()
_NO_GATE: frozenset[str] = frozenset()
# Called after a commit, outside any SQLite transaction: (event, {commandId, role, revision, txId?}).
AfterCommit = Callable[[str, dict[str, str]], None]
DEFAULT_TTL_MS = 60_000
MAX_TTL_MS = 24 * 3600 * 1000
Envelope = dict[str, Any]


@dataclass(slots=True, kw_only=True)
class JournalEntry:
    command_id: str
    role: str
    scope: str
    kind: str  # edit | undo | redo
    ops: list[Op]
    inverse: list[Op]
    ref_seq: int | None = None


@dataclass(slots=True, kw_only=True)
class Commit:
    ops: list[Op]
    journal: JournalEntry | None
    events: list[AuditEvent]
    idempotency: tuple[str, Envelope, float] | None = None
    journal_status: list[tuple[int, str]] = field(default_factory=list)
    # (approvalId, status, decidedBy, result): decides a queued item in the same transaction.
    decision: tuple[str, str, str, Envelope] | None = None


# The hot path builds these per dispatch: a keyword call to a dataclass __init__ costs twice a
# positional one, so these positional builders set the same slots (tests/test_bus_general.py
# checks they set every field, as __init__ would).
def new_entry(command_id: str, role: str, scope: str, kind: str, ops: list[Op], inverse: list[Op],
              ref_seq: int | None = None) -> JournalEntry:
    """``JournalEntry(command_id=..., ...)``, built positionally."""
    entry = object.__new__(JournalEntry)
    entry.command_id, entry.role, entry.scope, entry.kind = command_id, role, scope, kind
    entry.ops, entry.inverse, entry.ref_seq = ops, inverse, ref_seq
    return entry


def new_commit(ops: list[Op], journal: JournalEntry | None, events: list[AuditEvent],
               idempotency: tuple[str, Envelope, float] | None, journal_status: list[tuple[int, str]],
               decision: tuple[str, str, str, Envelope] | None) -> Commit:
    """``Commit(ops=..., ...)``, built positionally."""
    commit = object.__new__(Commit)
    commit.ops, commit.journal, commit.events, commit.idempotency = ops, journal, events, idempotency
    commit.journal_status, commit.decision = journal_status, decision
    return commit


class WriteSession(Protocol):
    state: JsonObject
    revision: int

    def last_undoable(self, scope: str) -> tuple[int, list[Op]] | None: ...
    def next_redoable(self, scope: str) -> tuple[int, list[Op]] | None: ...
    def commit(self, commit: Commit) -> int: ...
    def idempotent(self, key: str, now: float) -> Envelope | None: ...


class BusStore(Protocol):
    """Persistence the bus needs: a write session, audit records and the idempotency cache."""

    def write(self) -> AbstractContextManager[WriteSession]: ...
    def record(self, events: list[AuditEvent]) -> None: ...
    def idempotent_result(self, key: str, now: float) -> Envelope | None: ...
    def admit(self, role: str, minute: int, limit: int) -> bool: ...


class ApprovalQueue(Protocol):
    """Where queued dispatches wait for a host (the SQLite one is :mod:`modgate.tx.approvals`)."""

    def enqueue(self, item: JsonObject, events: list[AuditEvent]) -> str: ...
    def item(self, approval_id: str) -> JsonObject | None: ...
    def items(self, status: str | None) -> list[JsonObject]: ...
    def approve(self, approval_id: str, approver: str) -> Envelope: ...
    def reject(self, approval_id: str, approver: str, reason: str) -> Envelope: ...


def correlation_id(now: float, number: int) -> str:
    """A dispatch's correlation id: unique per process (pid + counter), readable by time."""
    ms = int(now * 1000)
    last = _PREFIX[0]
    if last[0] != ms:  # dispatches in one millisecond share the prefix: format it once
        last = _PREFIX[0] = (ms, f"cmd-{ms}-{_PROCESS_TAG}")
    return f"{last[1]}{number:x}"


_PREFIX: list[tuple[int | None, str]] = [(None, "")]  # (the last millisecond, its prefix), read as one


def _forked() -> None:
    """A forked child is another process: its ids take its own pid (under the parent's tag, the
    counter it inherited would draw the parent's next ids again)."""
    global _PROCESS_TAG
    _PROCESS_TAG = f"{os.getpid():x}-"
    _PREFIX[0] = (None, "")


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forked)


def _fail(code: str, command_id: str, message: str, **extra: Any) -> Envelope:
    out: Envelope = {"ok": False, "code": code, "commandId": command_id, "error": message, "message": message}
    out.update({k: v for k, v in extra.items() if v is not None})
    return out


class _NotPending(Exception):
    """Raised by a store when an approval item stopped being pending under our feet."""


def quota_text(item: JsonObject) -> str:
    return (f"a {item['role']} may have at most {item['maxPending']} items waiting for approval; wait until the"
            " host decides some")


def _approval_text(role: str) -> str:
    return f"approval required: {role} command execution must be approved by host."


def _ttl(ttl_ms: int) -> int:
    return max(1, min(int(ttl_ms), MAX_TTL_MS))
