"""The transaction protocol over SQLite: preview → approve → apply → rollback, and recovery.

Every persistent change that needs a human's approval runs through here: a student's or an
agent's queued command (track ``command``), a heavy import (track ``heavy``), an extension
install (track ``extension``), a light user's request (track ``light``). A transaction holds a
*recipe* (what to do); a *planner* turns the recipe and the current state into ops; the ops are
previewed (``tx-preview/v1``), approved with a token bound to that exact preview, applied in one
SQLite transaction (state + journal + commit log + history + audit), and rolled back from the
inverse ops recorded in the commit log at apply time.

Crash safety: APPLYING / ROLLBACK_PENDING are recorded durably before the work starts and the
work commits together with its end state, so ``recover()`` can always decide from the commit
log whether the work happened. A process doing that work holds a shared lease
(``$MODGATE_HOME/tx.lock``); ``recover()`` only runs when it can take the lease exclusively, so
it never "recovers" an attempt another live process is still applying. Every transition is a
compare-and-set on the stored state and attempt (``tx-state-conflict`` when another process moved
first).

*Managed kinds* (``extension``) also move files: only their owner (the installer) may apply
them, passing ``on_commit`` to write its rows in the apply's SQLite transaction; ``tx apply`` and
``tx rollback`` refuse them (``tx-managed-kind``) and name the mod command that reverses them.

``MODGATE_CRASH_AT=<boundary>`` kills the process at a step boundary (crash-injection tests).
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, Protocol

import orjson

import modgate.evidence as evidence
import modgate.roles as roles
from modgate.auditevent import AuditEvent
from modgate.bus_model import Commit, JournalEntry
from modgate.errors import ModgateError, Problem
from modgate.faults import crash_point
from modgate.state import JsonObject, Op, apply_ops, domains_of, inverse_ops
from modgate.store import keys
from modgate.store.db import Database
from modgate.tx import machine as m
from modgate.tx import recovery, tokens
from modgate.tx.lease import lease
from modgate.tx.model import Guard, Plan, Planner, TxError, tx_error
from modgate.tx.previews import build_preview, compact, expand
from modgate.tx.repository import TxRepository

OnCommit = Callable[[Any], None]
MANAGED_KINDS = {"extension": "modgate mod"}
DEFAULT_TTL_S = 15 * 60
BOUNDARIES = (
    "apply:before-applying", "apply:after-applying", "apply:before-commit", "apply:after-commit",
    "rollback:before-pending", "rollback:after-pending", "rollback:before-commit", "rollback:after-commit",
)


class TxStore(Protocol):
    """What the engine needs of the state store (:class:`modgate.store.bus_store.SqliteBusStore`)."""

    db: Database

    def write(self) -> AbstractContextManager[Any]: ...
    def state(self) -> JsonObject: ...
    def revision(self) -> int: ...
    def domain_revisions(self) -> dict[str, int]: ...
    def idempotent_result(self, key: str, now: float) -> dict[str, Any] | None: ...
    def append_audit(self, conn: Any, events: list[AuditEvent], now: float) -> None: ...


_err = tx_error


def _check_approver(approver_role: str, verb: str) -> str:
    """The stored name of a role that may approve (``owner`` is ``host``), else a coded refusal."""
    if not roles.may_approve(approver_role):
        raise _err("tx-approver-not-allowed", f"a {approver_role} cannot {verb}; only the host can", "approverRole")
    return roles.HOST


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _ops_json(ops: list[Op]) -> str:
    return orjson.dumps([op.to_dict() for op in ops]).decode()


def _write_set_hash(ops: list[Op]) -> str:
    # An audit fingerprint, not an interoperable hash: sorted-key orjson is deterministic and fast.
    return "sha256:" + hashlib.sha256(orjson.dumps([op.to_dict() for op in ops], option=orjson.OPT_SORT_KEYS)
                                      ).hexdigest()


class TxEngine:
    def __init__(self, store: TxStore, home: Path, planners: dict[str, Planner],
                 clock: Callable[[], float] = time.time, *, guards: Sequence[Guard] = ()) -> None:
        """``guards`` run inside every apply on the state the apply would leave: a Problem refuses
        (and forces the rollback), whoever applies — the queue, the CLI, the studio or Python."""
        self.guards = tuple(guards)
        self.store = store
        self.db = store.db
        self.home = home
        self.planners = planners
        self.clock = clock
        self._key: bytes | None = None
        self.repo = TxRepository(store.db)
        self.after_commit: list[Callable[[str, dict[str, str]], None]] = []

    @property
    def key(self) -> bytes:
        if self._key is None:
            self._key = keys.load_key(self.home, keys.APPROVAL_KEY)
        return self._key

    # -- reading ------------------------------------------------------------------------------
    def _row(self, tx_id: str) -> JsonObject:
        return self.repo.row(tx_id).to_dict()

    def _attempt(self, tx_id: str, attempt_no: int, *, part: Literal["preview", "ops"] | None = None
                 ) -> JsonObject:
        return self.repo.attempt(tx_id, attempt_no, part=part)

    def show(self, tx_id: str, *, preview: JsonObject | None = None) -> JsonObject:
        """The transaction with its current preview (``preview``: already in hand, not re-read)."""
        tx = self._row(tx_id)
        attempt = self._attempt(tx_id, tx["attemptNo"], part=None if preview else "preview")
        if preview is not None:
            attempt["preview"] = preview
        return {**tx, "preview": attempt["preview"], "previewHash": attempt["previewHash"],
                "baseRevision": attempt["baseRevision"], "plan": attempt["info"], "history": self.repo.history(tx_id)}

    def list_tx(self, state: str | None = None, kind: str | None = None, track: str | None = None
                ) -> list[JsonObject]:
        """Transactions, oldest first, with their current attempt's previewHash and plan facts."""
        return self.repo.list_tx(state, kind, track)

    def preview_is_stale(self, base_revision: str, revisions: dict[str, int] | None = None) -> bool:
        """Whether a preview computed on ``base_revision`` (``doc=3,registry=1``) is behind the store.

        The same comparison the apply makes under the write lock; readers use it to ask for a
        re-preview before anyone approves a preview that can no longer apply. ``revisions``: the
        store's domain revisions, read once by a caller checking many previews.
        """
        domains = {part.split("=", 1)[0] for part in base_revision.split(",") if "=" in part}
        if not domains:
            return False
        revs = revisions if revisions is not None else self.store.domain_revisions()
        return ",".join(f"{d}={revs.get(d, 0)}" for d in sorted(domains)) != base_revision

    # -- audit and transitions -----------------------------------------------------------------
    def transition(self, conn: Any, tx: JsonObject, nxt: str, *, actor: tuple[str, str], stage: str,
                    fields: JsonObject | None = None, code: str | None = None, message: str | None = None,
                    idempotency_key: str | None = None) -> None:
        m.check_transition(tx["state"], nxt, tx["txId"])
        now = self.clock()
        # Compare-and-set on (state, attempt): a refresh elsewhere bumps the attempt, so an approval
        # of an older attempt can never move the row even when the state name matches again.
        read_attempt = tx.get("readAttempt", tx["attemptNo"])
        moved = conn.execute("UPDATE tx SET state=?, attempt_no=? WHERE tx_id=? AND state=? AND attempt_no=?",
                             (nxt, tx["attemptNo"], tx["txId"], tx["state"], read_attempt)).rowcount
        if not moved:
            raise _err("tx-state-conflict", f"{tx['txId']} was moved out of {tx['state']} (attempt {read_attempt})"
                       " by another process; show it again", "txId", expected=tx["state"])
        tx["readAttempt"] = tx["attemptNo"]
        conn.execute("INSERT INTO tx_history(tx_id, attempt_no, at, prev_state, next_state, actor_id, actor_role,"
                     " code, message) VALUES (?,?,?,?,?,?,?,?,?)",
                     (tx["txId"], tx["attemptNo"], now, tx["state"], nxt, actor[0], actor[1], code, message))
        envelope = {"eventId": f"evt-{secrets.token_hex(8)}", "timestamp": _iso(now), "txId": tx["txId"],
                    "attemptNo": tx["attemptNo"], "track": tx["track"], "stage": stage, "prevState": tx["state"],
                    "nextState": nxt, "actorId": actor[0], "actorRole": actor[1],
                    "requestId": f"req-{secrets.token_hex(6)}", "idempotencyKey": idempotency_key,
                    # task 258: the episode key and the evidence channel let signoff count episodes
                    "episodeKey": f"{tx['txId']}:{tx['attemptNo']}", **evidence.fields(), **(fields or {})}
        self.store.append_audit(conn, [AuditEvent(event_type=f"tx.{stage}", correlation_id=tx["txId"],
                                                  role=actor[1], data=envelope)], now)
        tx["state"] = nxt

    def fail(self, tx: JsonObject, nxt: str, code: str, message: str, actor: tuple[str, str], *,
              error_class: str = "recoverable", recovery: str = "re-preview and approve again") -> None:
        with self.db.atomic() as conn:
            self.transition(conn, tx, nxt, actor=actor, stage="failure", code=code, message=message, fields={
                "errorCode": code, "errorClass": error_class, "message": message,
                "safeToRetry": error_class == "recoverable", "recoveryAction": recovery})

    # -- preview --------------------------------------------------------------------------------
    def _revisions(self, domains: set[str]) -> str:
        revs = self.store.domain_revisions()
        return ",".join(f"{d}={revs.get(d, 0)}" for d in sorted(domains))

    def _plan(self, tx: JsonObject, state: JsonObject) -> Plan:
        planner = self.planners.get(tx["kind"])
        if planner is None:
            raise _err("tx-unknown-kind", f"no planner for transactions of kind {tx['kind']!r}", "kind")
        return planner(state, tx["recipe"])

    def preview(self, *, track: str, kind: str, recipe: JsonObject, title: str, requested_by: str = "host",
                requested_role: str = "host") -> JsonObject:
        """Create a transaction and its first preview; it waits in APPROVAL_PENDING.

        A recipe that cannot be planned (the planner raises a coded error) creates nothing.
        """
        with self.db.atomic() as conn:  # plan under the write lock: the base cannot move meanwhile
            state = self.store.state()
            plan = self._plan({"kind": kind, "recipe": recipe}, state)
            seq = conn.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM tx").fetchone()[0]
            tx: JsonObject = {"txId": f"tx-{seq}", "track": track, "kind": kind, "state": m.RECEIVED,
                              "attemptNo": 1}
            conn.execute("INSERT INTO tx(tx_id, seq, created_at, track, kind, title, recipe, requested_by,"
                         " requested_role, state, attempt_no) VALUES (?,?,?,?,?,?,?,?,?,?,1)",
                         (tx["txId"], seq, self.clock(), track, kind, title, orjson.dumps(recipe).decode(),
                          requested_by, requested_role, m.RECEIVED))
            preview = self._attempt_preview(conn, tx, plan, state, (requested_by, requested_role))
        return self.show(tx["txId"], preview=preview)

    def _attempt_preview(self, conn: Any, tx: JsonObject, plan: Plan, state: JsonObject,
                         actor: tuple[str, str]) -> JsonObject:
        self.transition(conn, tx, m.PREVIEWING, actor=actor, stage="preview")
        touched = domains_of(plan.ops) or {plan.scope}
        base = self._revisions(touched)
        candidate = ",".join(f"{p.split('=')[0]}={int(p.split('=')[1]) + 1}" for p in base.split(","))
        preview = build_preview(tx_id=tx["txId"], attempt_no=tx["attemptNo"], track=tx["track"],
                                base_revision=base, candidate_revision=candidate,
                                generated_at=_iso(self.clock()), before=state, ops=plan.ops)
        stored = orjson.dumps(compact(preview)).decode()  # each value once (role views rebuilt on read)
        conn.execute("INSERT INTO tx_attempts(tx_id, attempt_no, created_at, base_revision, candidate_revision,"
                     " preview, preview_hash, ops, plan_info) VALUES (?,?,?,?,?,?,?,?,?)",
                     (tx["txId"], tx["attemptNo"], self.clock(), base, candidate, stored,
                      preview["previewHash"], _ops_json(plan.ops),
                      orjson.dumps({**{k: v for k, v in plan.info.items() if k != "payload"},  # in the recipe
                                    "scope": plan.scope, "entryCount": len(preview["entries"])}).decode()))
        fields = {"baseRevision": base, "candidateRevision": candidate, "previewHash": preview["previewHash"],
                  "entryCount": len(preview["entries"]), "summary": preview["summary"]}
        self.transition(conn, tx, m.PREVIEW_READY, actor=actor, stage="preview", fields=fields)
        self.transition(conn, tx, m.APPROVAL_PENDING, actor=actor, stage="preview", fields=fields)
        # A fresh copy for the caller: the built preview shares subtrees with the cached state.
        fresh: JsonObject = expand(orjson.loads(stored))
        return fresh

    def refresh(self, tx_id: str, *, actor: tuple[str, str] = ("host", "host")) -> JsonObject:
        """A new attempt with a fresh preview against the current state (invalidates approvals)."""
        tx = self._row(tx_id)
        if tx["state"] in (m.APPROVAL_PENDING, m.APPROVED):
            self.fail(tx, m.FAILED_PRE_APPLY, "tx-preview-superseded", "a new preview was requested", actor)
        if tx["state"] != m.FAILED_PRE_APPLY:
            m.check_transition(tx["state"], m.PREVIEWING, tx_id)
        with self.db.atomic() as conn:
            state = self.store.state()
            plan = self._plan(tx, state)
            tx["readAttempt"] = tx["attemptNo"]
            tx["attemptNo"] += 1
            preview = self._attempt_preview(conn, tx, plan, state, actor)
        return self.show(tx_id, preview=preview)

    # -- approval -------------------------------------------------------------------------------
    def approve(self, tx_id: str, *, preview_hash: str | None = None, approver_id: str = "host",
                approver_role: str = "host", ttl_s: int = DEFAULT_TTL_S, owner: bool = False) -> JsonObject:
        """``owner``: the caller is the owner of a managed kind (the installer), not a queue reader."""
        approver_role = _check_approver(approver_role, "approve")
        tx = self._row(tx_id)
        if not owner:
            self._check_unmanaged(tx, "approved")
        attempt = self._attempt(tx_id, tx["attemptNo"])
        if preview_hash is not None and preview_hash != attempt["previewHash"]:
            raise _err("tx-preview-mismatch", f"you approved preview {preview_hash}, but the current preview of"
                       f" {tx_id} is {attempt['previewHash']}", "previewHash")
        now = self.clock()
        claims = {"tokenId": f"apt-{secrets.token_hex(8)}", "txId": tx_id, "attemptNo": tx["attemptNo"],
                  "previewHash": attempt["previewHash"], "baseRevision": attempt["baseRevision"],
                  "approverId": approver_id, "approverRole": approver_role, "expiresAt": now + ttl_s}
        token = tokens.sign(claims, self.key)
        with self.db.atomic() as conn:
            self.transition(conn, tx, m.APPROVED, actor=(approver_id, approver_role), stage="approval", fields={
                "decision": "approve", "approver": approver_id, "approvedPreviewHash": attempt["previewHash"],
                "approvalTokenId": claims["tokenId"], "expiresAt": _iso(claims["expiresAt"])})
            conn.execute("INSERT INTO tx_approvals(token_id, tx_id, attempt_no, preview_hash, base_revision,"
                         " approver_id, approver_role, decided_at, expires_at, token) VALUES (?,?,?,?,?,?,?,?,?,?)",
                         (claims["tokenId"], tx_id, tx["attemptNo"], attempt["previewHash"],
                          attempt["baseRevision"], approver_id, approver_role, now, claims["expiresAt"], token))
        return {"ok": True, "code": "approved", "txId": tx_id, "attemptNo": tx["attemptNo"],
                "previewHash": attempt["previewHash"], "baseRevision": attempt["baseRevision"],
                "approvalToken": token, "approvalTokenId": claims["tokenId"], "expiresAt": _iso(claims["expiresAt"])}

    def latest_token(self, tx_id: str) -> str | None:
        """The newest approval token of the current attempt (for ``tx apply`` without --token)."""
        return self.repo.latest_token(tx_id, self._row(tx_id)["attemptNo"])

    def reject(self, tx_id: str, *, approver_id: str = "host", approver_role: str = "host",
               reason: str = "") -> JsonObject:
        approver_role = _check_approver(approver_role, "reject")
        tx = self._row(tx_id)
        with self.db.atomic() as conn:
            self.transition(conn, tx, m.REJECTED, actor=(approver_id, approver_role), stage="approval",
                             fields={"decision": "reject", "approver": approver_id, "reason": reason})
        return {"ok": True, "code": "rejected", "txId": tx_id, "attemptNo": tx["attemptNo"]}

    # -- apply ----------------------------------------------------------------------------------
    def _replay(self, key: str | None, tx_id: str, operation: str) -> JsonObject | None:
        found = self.repo.idempotent(key) if key else None
        if found is None:
            return None
        if found[0] != tx_id or found[1] != operation:
            raise _err("tx-idempotency-conflict", f"idempotency key {key!r} was used for {found[1]} of"
                       f" {found[0]}", "idempotencyKey")
        return {**found[2], "deduped": True}

    def _check_not_blocked(self) -> None:
        blocked = self.repo.blocked_by()
        if blocked:
            raise _err("tx-blocked", f"applies are blocked after a failed rollback of {blocked};"
                       " an operator must run `modgate tx unblock` after checking the state", "tx")

    def apply(self, tx_id: str, *, approval_token: str, preview_hash: str | None = None,
              idempotency_key: str | None = None, requested_by: str = "host",
              checks: list[Callable[[JsonObject], Problem | None]] | None = None,
              on_commit: OnCommit | None = None) -> JsonObject:
        replay = self._replay(idempotency_key, tx_id, "apply")
        if replay is not None:
            return replay
        tx = self._row(tx_id)
        if on_commit is None:
            self._check_unmanaged(tx, "applied")
        if tx["state"] == m.APPLIED:
            raise _err("tx-already-applied", f"{tx_id} is already applied; pass its idempotency key to replay"
                       " the result", "txId")
        if tx["state"] != m.APPROVED:
            m.check_transition(tx["state"], m.APPLYING, tx_id)
        attempt = self._attempt(tx_id, tx["attemptNo"], part="ops")
        claims = tokens.verify(approval_token, self.key)
        tokens.check_claims(claims, tx_id=tx_id, attempt_no=tx["attemptNo"], preview_hash=attempt["previewHash"],
                            base_revision=attempt["baseRevision"])
        if preview_hash is not None and preview_hash != attempt["previewHash"]:
            raise _err("tx-preview-mismatch", "the preview hash given does not match the approved preview",
                       "previewHash")
        self._check_not_blocked()
        actor = (requested_by, "host")
        if claims["expiresAt"] < self.clock():
            self.fail(tx, m.FAILED_PRE_APPLY, "tx-approval-expired", "the approval expired before apply", actor)
            raise _err("tx-approval-expired", f"the approval of {tx_id} expired; approve it again", "approvalToken")
        crash_point("apply:before-applying")
        with lease(self.home):
            with self.db.atomic() as conn:
                self.transition(conn, tx, m.APPLYING, actor=actor, stage="apply", idempotency_key=idempotency_key,
                                 fields={"approvalTokenId": claims["tokenId"]})
            crash_point("apply:after-applying")
            result = self._apply_work(tx, attempt, claims["tokenId"], idempotency_key, actor, checks or [], on_commit)
        self._notify("tx.applied", tx)
        if tx.get("kind") == "import":
            self._notify("module.imported", tx)
        return result

    def withdraw(self, tx_id: str, reason: str, actor: tuple[str, str] = ("recovery", "host")) -> None:
        """The owner of a managed kind gives up an approved or pending proposal it will never apply."""
        tx = self._row(tx_id)
        if tx["state"] == m.APPROVED:
            self.fail(tx, m.FAILED_PRE_APPLY, "tx-rejected", reason, actor, recovery="start the change again")
        if tx["state"] in (m.APPROVAL_PENDING, m.FAILED_PRE_APPLY):
            self.reject(tx_id, approver_id=actor[0], reason=reason)

    def _check_unmanaged(self, tx: JsonObject, verb: str) -> None:
        owner = MANAGED_KINDS.get(tx["kind"])
        if owner is not None:
            undo = (tx["recipe"].get("undo") or owner) if verb == "rolled back" else owner
            raise _err("tx-managed-kind", f"{tx['txId']} is an {tx['kind']} change and can only be {verb} by"
                       f" `{owner}`: use `{undo}`", "txId", kind=tx["kind"], command=undo)

    def _apply_work(self, tx: JsonObject, attempt: JsonObject, token_id: str, key: str | None,
                    actor: tuple[str, str], checks: list[Callable[[JsonObject], Problem | None]],
                    on_commit: OnCommit | None) -> JsonObject:
        started = time.perf_counter()
        ops: list[Op] = attempt["ops"]
        touched = domains_of(ops) or {attempt["info"]["scope"]}
        observed: list[str] = []  # the revisions under the write lock, before our writes
        try:
            with self.store.write() as session:
                observed.append(self._revisions(touched))
                if observed[0] != attempt["baseRevision"]:
                    raise _err("tx-stale-base", f"the state changed since {tx['txId']} was previewed"
                               f" (base {attempt['baseRevision']}, now {self._revisions(touched)})", "baseRevision")
                new_state = apply_ops(session.state, ops)
                for guard in self.guards:
                    problem = guard(tx, new_state)
                    if problem is not None:
                        raise TxError(problem)
                for check in checks:
                    problem = check(new_state)
                    if problem is not None:
                        raise TxError(problem)
                result = self._commit_apply(session, tx, attempt, ops, token_id, key, actor, started)
                if on_commit is not None:
                    on_commit(self.db.conn)
            crash_point("apply:after-commit")
            return result
        except ModgateError as exc:  # a refusal, or e.g. a store error in on_commit
            # The SQLite transaction rolled back, so the row is APPLYING again whatever tx says.
            failure = exc if isinstance(exc, TxError) else TxError(exc.problem)
            self._after_failed_apply(self._row(tx["txId"]), observed[0] if observed else None, touched, failure,
                                     actor)
            raise

    def _after_failed_apply(self, tx: JsonObject, observed: str | None, touched: set[str], exc: TxError,
                            actor: tuple[str, str]) -> None:
        """The apply's SQLite transaction was rolled back; confirm it and record the outcome.

        A capability failure inside the apply forces a rollback (task 254): outcome
        ``rolled_back`` when the state is back at the base revision, else ``rollback_failed``,
        which blocks every further apply until an operator runs ``modgate tx unblock``.
        """
        rolled_back = observed is None or self._revisions(touched) == observed
        if exc.code.startswith("capability-"):
            outcome = "rolled_back" if rolled_back else "rollback_failed"
            exc.problem.detail["outcome"] = outcome
            event = "capability.rollback.executed" if rolled_back else "capability.rollback.failed"
            with self.db.atomic() as conn:
                self.store.append_audit(conn, [AuditEvent(event_type=event, correlation_id=tx["txId"], role="host",
                                                          data={"transactionId": tx["txId"], "code": exc.code,
                                                                "outcome": outcome, "attemptNo": tx["attemptNo"],
                                                                "episodeKey": f"{tx['txId']}:{tx['attemptNo']}",
                                                                "eventClass": evidence.CAPABILITY_REJECT})],
                                      self.clock())
        if rolled_back:
            self.fail(tx, m.FAILED_PRE_APPLY, exc.code, exc.message, actor,
                       recovery="run `modgate tx refresh` for a new preview, then approve again")
            return
        with self.db.atomic() as conn:
            conn.execute("UPDATE meta SET value=? WHERE key='tx_blocked'", (tx["txId"],))
            self.transition(conn, tx, m.RECOVERY_PENDING, actor=actor, stage="failure", code=exc.code)
            self.transition(conn, tx, m.FAILED_TERMINAL, actor=actor, stage="failure", code="rollback_failed",
                             fields={"errorCode": exc.code, "errorClass": "terminal", "message": exc.message,
                                     "safeToRetry": False, "recoveryAction": "operator: inspect, then tx unblock"})

    def _commit_apply(self, session: Any, tx: JsonObject, attempt: JsonObject, ops: list[Op], token_id: str,
                      key: str | None, actor: tuple[str, str], started: float) -> JsonObject:
        conn = self.db.conn
        inverse = inverse_ops(session.state, ops)
        info = attempt["info"]
        # A queued undo/redo applies its journal entry's ops and moves that entry's status, like
        # the bus does; everything else is a new edit that undo can later reverse.
        action = {"undo": ("undo", "undone"), "redo": ("redo", "done")}.get(info.get("commandId", ""))
        ref = info.get("journalSeq") if action else None
        journal = JournalEntry(command_id=info.get("commandId", f"tx:{tx['kind']}"), role=tx.get("requestedRole",
                               "host"), scope=info["scope"], kind=action[0] if action and ref else "edit", ops=ops,
                               inverse=inverse, ref_seq=ref) if ops else None
        statuses = [(ref, action[1])] if action and ref else []
        session.commit(Commit(ops=ops, journal=journal, events=[], journal_status=statuses))
        journal_seq = conn.execute("SELECT MAX(seq) FROM journal").fetchone()[0] if journal else None
        sequence = conn.execute("SELECT COALESCE(MAX(commit_sequence), 0) + 1 FROM tx_commits").fetchone()[0]
        commit_id = f"cmt-{sequence}"
        write_set = _write_set_hash(ops)
        conn.execute("INSERT INTO tx_commits(commit_id, commit_sequence, tx_id, attempt_no, operation, created_at,"
                     " write_set_hash, ops, inverse, journal_seq) VALUES (?,?,?,?, 'apply', ?,?,?,?,?)",
                     (commit_id, sequence, tx["txId"], tx["attemptNo"], self.clock(), write_set,
                      "" if journal_seq else _ops_json(ops), "" if journal_seq else _ops_json(inverse), journal_seq))
        result = {"ok": True, "code": "applied", "txId": tx["txId"], "attemptNo": tx["attemptNo"],
                  "commitId": commit_id, "revision": self._revisions(domains_of(ops) or {info["scope"]}),
                  "entryCount": info.get("entryCount"), "plan": info}
        self.transition(conn, tx, m.APPLIED, actor=actor, stage="apply", idempotency_key=key, fields={
            "approvalTokenId": token_id, "writeSetHash": write_set, "commitId": commit_id,
            "commitSequence": sequence, "durationMs": round((time.perf_counter() - started) * 1000, 3)})
        conn.execute("UPDATE tx SET result=? WHERE tx_id=?", (orjson.dumps(result).decode(), tx["txId"]))
        if key:
            conn.execute("INSERT INTO tx_idempotency(key, tx_id, attempt_no, operation, result) VALUES (?,?,?,?,?)",
                         (key, tx["txId"], tx["attemptNo"], "apply", orjson.dumps(result).decode()))
        crash_point("apply:before-commit")
        return result

    # -- rollback -------------------------------------------------------------------------------
    def rollback(self, tx_id: str, *, reason: str = "", idempotency_key: str | None = None,
                 requested_by: str = "host") -> JsonObject:
        replay = self._replay(idempotency_key, tx_id, "rollback")
        if replay is not None:
            return replay
        tx = self._row(tx_id)
        self._check_unmanaged(tx, "rolled back")
        if tx["state"] != m.APPLIED:
            raise _err("tx-not-applied", f"{tx_id} is {tx['state']}; only an APPLIED transaction can be rolled"
                       " back", "txId", state=tx["state"])
        ops, inverse, journal_seq = self._applied_ops(tx_id, tx["attemptNo"])
        early = self._rollback_conflict(tx_id, (ops, inverse), journal_seq, self.store.state())
        if early is not None:  # a cheap early refusal; the check that counts runs under the write lock
            raise early
        actor = (requested_by, "host")
        crash_point("rollback:before-pending")
        with lease(self.home):
            with self.db.atomic() as conn:
                self.transition(conn, tx, m.ROLLBACK_PENDING, actor=actor, stage="rollback",
                                idempotency_key=idempotency_key, fields={"rollbackReason": reason,
                                                                         "eventClass": evidence.rollback_class()})
            crash_point("rollback:after-pending")
            result = self._rollback_work(tx, (ops, inverse), journal_seq, reason, idempotency_key, actor)
        self._notify("tx.rolled_back", tx)
        return result

    def _notify(self, event: str, tx: JsonObject) -> None:
        """Post-commit listeners (extension hooks); extension-kind changes are the installer's own."""
        if tx.get("kind") in MANAGED_KINDS or not self.after_commit:
            return
        recipe = tx["recipe"] if isinstance(tx.get("recipe"), dict) else {}
        info = {"commandId": str(recipe.get("commandId", "")), "txId": str(tx.get("txId", "")),
                "role": str(tx.get("requestedRole") or tx.get("requestedBy") or "host"),
                "revision": str(self.store.revision())}
        for listener in list(self.after_commit):
            listener(event, info)

    def applied_inverse(self, tx_id: str) -> list[Op]:
        """The ops that undo an applied transaction's current attempt (what a rollback would write)."""
        return self._applied_ops(tx_id, self._row(tx_id)["attemptNo"])[1]

    def _applied_ops(self, tx_id: str, attempt_no: int) -> tuple[list[Op], list[Op], int | None]:
        return self.repo.applied_ops(tx_id, attempt_no)

    def _rollback_conflict(self, tx_id: str, applied: tuple[list[Op], list[Op]], journal_seq: int | None,
                           state: JsonObject) -> TxError | None:
        # The inverse must not overwrite a later change: undoing and then redoing this apply on the
        # current state must give the current state back (ops are deltas, so a later insertion
        # elsewhere in the same array is kept, while a later edit of what we wrote conflicts).
        ops, inverse = applied
        try:
            again = apply_ops(apply_ops(state, inverse), ops)
        except (IndexError, KeyError, TypeError, ValueError):
            again = None
        changed = [d for d in sorted(domains_of(ops)) if again is None or again.get(d) != state.get(d)]
        if changed:
            return _err("tx-rollback-conflict", f"/{changed[0]} changed after {tx_id} was applied; rolling back"
                        " would overwrite a later change", f"/{changed[0]}")
        if journal_seq is not None:
            status = self.db.query("SELECT status FROM journal WHERE seq=?", (journal_seq,))
            if status and status[0][0] != "done":
                return _err("tx-rollback-conflict", f"the change of {tx_id} was already undone", "journal")
        return None

    def _rollback_work(self, tx: JsonObject, applied: tuple[list[Op], list[Op]], journal_seq: int | None,
                       reason: str, key: str | None, actor: tuple[str, str]) -> JsonObject:
        started = time.perf_counter()
        inverse = applied[1]
        with self.store.write() as session:
            # The conflict check runs here, under the write lock and in the undo's transaction: a
            # change committed after the early check can no longer be overwritten.
            conflict = self._rollback_conflict(tx["txId"], applied, journal_seq, session.state)
            if conflict is None:
                result = self._commit_rollback(session, tx, inverse, journal_seq, reason, key, actor, started)
            else:
                self.transition(self.db.conn, tx, m.RECOVERY_PENDING, actor=actor, stage="rollback",
                                 code=conflict.code)
                self.transition(self.db.conn, tx, m.APPLIED, actor=actor, stage="rollback", code=conflict.code,
                                 message=conflict.message)
        if conflict is not None:
            raise conflict
        crash_point("rollback:after-commit")
        return result

    def _commit_rollback(self, session: Any, tx: JsonObject, inverse: list[Op], journal_seq: int | None,
                         reason: str, key: str | None, actor: tuple[str, str], started: float) -> JsonObject:
        conn = self.db.conn
        session.commit(Commit(ops=inverse, journal=None, events=[]))
        if journal_seq is not None:
            conn.execute("UPDATE journal SET status='reverted' WHERE seq=?", (journal_seq,))
        sequence = conn.execute("SELECT COALESCE(MAX(commit_sequence), 0) + 1 FROM tx_commits").fetchone()[0]
        commit_id = f"cmt-{sequence}"
        write_set = _write_set_hash(inverse)
        conn.execute("INSERT INTO tx_commits(commit_id, commit_sequence, tx_id, attempt_no, operation,"
                     " created_at, write_set_hash, ops, inverse, journal_seq) VALUES (?,?,?,?, 'rollback',"
                     " ?,?,?, '[]', ?)", (commit_id, sequence, tx["txId"], tx["attemptNo"], self.clock(),
                                          write_set, _ops_json(inverse), journal_seq))
        result = {"ok": True, "code": "rolled-back", "txId": tx["txId"], "attemptNo": tx["attemptNo"],
                  "commitId": commit_id, "reason": reason}
        self.transition(conn, tx, m.ROLLED_BACK, actor=actor, stage="rollback", idempotency_key=key, fields={
            "rollbackReason": reason, "eventClass": evidence.rollback_class(), "inverseWriteSetHash": write_set,
            "rollbackCommitId": commit_id,
            "durationMs": round((time.perf_counter() - started) * 1000, 3)})
        if key:
            conn.execute("INSERT INTO tx_idempotency(key, tx_id, attempt_no, operation, result)"
                         " VALUES (?,?,?,?,?)", (key, tx["txId"], tx["attemptNo"], "rollback",
                                                 orjson.dumps(result).decode()))
        crash_point("rollback:before-commit")
        return result

    # -- recovery and operator actions (modgate.tx.recovery) -----------------------------------
    def recover(self) -> list[JsonObject]:
        """Reconcile attempts a crash left half-done; see :mod:`modgate.tx.recovery`."""
        return recovery.recover(self)

    def unblock(self, operator: str = "host") -> JsonObject:
        return recovery.unblock(self, operator)
