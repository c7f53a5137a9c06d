"""Extension transactions: every persistent extension change as a transaction of kind ``extension``.

The preview is the diff of the ``extensions`` state domain (a mirror of the install records); the
user's consent (the permission review, or ``--yes``) is recorded as the approval of that exact
preview; the apply writes the records, the mirror, the commit log and the audit in one SQLite
transaction (``rows``, the engine's ``on_commit``). File moves happen between approval and apply,
guarded by the pending-move journal of :mod:`modgate.ext.moves`.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from modgate.errors import ModgateError
from modgate.ext import moves, records
from modgate.ext.errors import ExtError, fail
from modgate.ext.records import InstallRecord
from modgate.ext.scopes import Scope
from modgate.state import JsonObject
from modgate.store import audit
from modgate.tx.engine import OnCommit, TxEngine


@dataclass(frozen=True, slots=True)
class Proposal:
    tx_id: str
    token: str


@dataclass(frozen=True, slots=True)
class Change:
    """A record change: the mirror entries it sets, the rows it writes, and the command that undoes it."""

    changes: JsonObject
    rows: OnCommit
    undo: str


class ExtensionChanges:
    def __init__(self, tx: TxEngine, home: Path, clock: Callable[[], float] = time.time) -> None:
        self.tx, self.db, self.home, self.clock = tx, tx.db, home, clock

    def propose(self, action: str, rec: InstallRecord | None, changes: JsonObject, *, undo: str) -> Proposal:
        """Preview the record change and approve it on the user's behalf (they consented already)."""
        mod = rec.mod_id if rec is not None else "mods"
        recipe = {"action": action, "installId": rec.id if rec is not None else None, "set": changes, "undo": undo}
        shown = self.tx.preview(track="extension", kind="extension", recipe=recipe, title=f"{action} {mod}",
                                requested_by="user")
        approval = self.tx.approve(shown["txId"], preview_hash=shown["previewHash"], approver_id="user", owner=True)
        return Proposal(tx_id=shown["txId"], token=approval["approvalToken"])

    def propose_copy(self, action: str, rec: InstallRecord, permissions: tuple[str, ...], tmp: Path, *,
                     undo: str) -> Proposal:
        """Propose placing the copy in ``tmp``; a refused proposal removes the copy."""
        try:
            return self.propose(action, rec, {records.entry_path(rec.id): records.mirror_entry(rec, permissions)},
                                undo=undo)
        except BaseException:
            moves.remove(tmp)
            raise

    def apply(self, proposal: Proposal, rows: OnCommit) -> None:
        # A failure is withdrawn by the caller, which also undoes its file moves.
        self.tx.apply(proposal.tx_id, approval_token=proposal.token, requested_by="user", on_commit=rows)

    def withdraw(self, tx_id: str, reason: str) -> None:
        with suppress(ModgateError):  # never hide the failure that brought us here
            self.tx.withdraw(tx_id, reason)

    def transact(self, action: str, install_id: str | None, make: Callable[[InstallRecord | None], Change]) -> str:
        """Propose and apply a record change built from the record as it is *under the lock*."""
        with moves.exclusive(self.home):  # extension transactions are proposed under the lock only
            rec = None
            if install_id is not None:
                rec = records.get(self.db, install_id)
                if rec is None:
                    fail("mod.not-found", f"No installed mod with id {install_id!r}.", "ID")
            change = make(rec)
            proposal = self.propose(action, rec, change.changes, undo=change.undo)
            try:
                self.apply(proposal, change.rows)
            except BaseException:
                self.withdraw(proposal.tx_id, f"the {action} failed before it was applied")
                raise
        return proposal.tx_id

    def recover(self, sc: Scope | None) -> None:
        """Call with the lock held: undo half-done moves, reject proposals a crash left pending."""
        parents = [self.home] + ([sc.parent] if sc is not None and sc.parent != self.home else [])
        moves.recover(self.db, parents)
        for state in ("APPROVAL_PENDING", "APPROVED", "FAILED_PRE_APPLY"):
            for stale in self.tx.list_tx(state=state, kind="extension"):
                self.withdraw(stale["txId"], "interrupted before it was applied")


def event(event_type: str, rec: InstallRecord, **extra: Any) -> audit.AuditEvent:
    """The audit event of an extension change."""
    data = {"installId": rec.id, "modId": rec.mod_id, "version": rec.version, "scope": rec.scope,
            "source": rec.source, "treeHash": rec.tree_hash, **extra}
    return audit.AuditEvent(event_type=event_type, correlation_id=uuid.uuid4().hex, data=data)


@dataclass(slots=True)
class Trace:
    """Where an extension operation is, to record the stage of a refusal."""

    op: str
    stage: str = "source"
    mod_id: str | None = None
    version: str | None = None
    source_host: str | None = None
    tx_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@contextmanager
def traced(db: Any, clock: Callable[[], float], op: str) -> Iterator[Trace]:
    """Record the stage and reason of a refusal (never the source's credentials or file contents)."""
    trace = Trace(op=op)
    try:
        yield trace
    except ExtError as exc:
        entry = {"op": op, "stage": trace.stage, "code": exc.code, "reason": exc.message,
                 "modId": trace.mod_id, "modVersion": trace.version, "sourceHost": trace.source_host}
        with suppress(ModgateError):  # a diagnostics failure must not hide the real refusal
            records.add_diagnostic(db, clock(), entry)
        raise
