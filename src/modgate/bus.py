"""The command bus: one dispatch pipeline for every change to the state.

dispatch = role check → idempotency → lookup → payload validation → role/approval policy →
handler → effect check → atomic apply + journal + audit (DESIGN.md §2).

The bus is orchestration over a :class:`BusStore` (SQLite in :mod:`modgate.store.bus_store`,
in memory in :class:`MemoryBusStore`), like pypa/installer over its source and destination.
Envelopes follow the source app: ``{ok: true, code: "executed", commandId, auditTag, result}``
or ``{ok: false, code, commandId, error, message}``. An ``approval-required`` refusal is never
cached under the idempotency key, so a retry after approval is not answered by a stale refusal.
"""

from __future__ import annotations

import itertools
import os
import time
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol

import modgate.roles as roles
from modgate.auditevent import AuditEvent
from modgate.errors import HandlerError, ModgateError, PayloadError
from modgate.host.model import CommandSpec, Host
from modgate.state import JsonObject, Op, StateView, apply_ops, inverse_ops, path_within

# Correlation ids are unique per process (pid + counter): cheaper than random bytes per dispatch.
_COUNTER = itertools.count(1)
_PROCESS_TAG = f"{os.getpid():x}-"
_PLAN_FAILURES = frozenset({"command-execution-failed", "undeclared-write", "invalid-payload"})
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


class WriteSession(Protocol):
    state: JsonObject
    revision: int

    def last_undoable(self, scope: str) -> tuple[int, list[Op]] | None: ...
    def next_redoable(self, scope: str) -> tuple[int, list[Op]] | None: ...
    def commit(self, commit: Commit) -> int: ...


class BusStore(Protocol):
    """Persistence the bus needs: a write session, audit records and the idempotency cache."""

    def write(self) -> AbstractContextManager[WriteSession]: ...
    def record(self, events: list[AuditEvent]) -> None: ...
    def idempotent_result(self, key: str, now: float) -> Envelope | None: ...


class ApprovalQueue(Protocol):
    """Where queued dispatches wait for a host (the SQLite one is :mod:`modgate.tx.approvals`)."""

    def enqueue(self, item: JsonObject, events: list[AuditEvent]) -> str: ...
    def item(self, approval_id: str) -> JsonObject | None: ...
    def items(self, status: str | None) -> list[JsonObject]: ...
    def approve(self, approval_id: str, approver: str) -> Envelope: ...
    def reject(self, approval_id: str, approver: str, reason: str) -> Envelope: ...


@dataclass(slots=True)
class _Validators:
    by_id: dict[str, Callable[[Any], bool]]
    explain: dict[str, Callable[[Any], tuple[str, str] | None]]  # (message, path)


def _compile(host: Host) -> _Validators:
    import jsonschema_rs

    by_id: dict[str, Callable[[Any], bool]] = {}
    explain: dict[str, Callable[[Any], tuple[str, str] | None]] = {}
    for spec in host.commands.values():
        validator = jsonschema_rs.validator_for(spec.payload_schema)
        by_id[spec.id] = validator.is_valid

        def _first_error(payload: Any, v: Any = validator) -> tuple[str, str] | None:
            for err in v.iter_errors(payload):
                return str(err.message), _dotted(err.instance_path)
            return None

        explain[spec.id] = _first_error
    return _Validators(by_id, explain)


def _dotted(instance_path: Any) -> str:
    """``payload.block.segments[0]``: the DESIGN's dotted paths, rooted at ``payload``."""
    out = "payload"
    for part in instance_path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


def _fail(code: str, command_id: str, message: str, **extra: Any) -> Envelope:
    out: Envelope = {"ok": False, "code": code, "commandId": command_id, "error": message, "message": message}
    out.update({k: v for k, v in extra.items() if v is not None})
    return out


class Bus:
    """Dispatches commands of one host against one store."""

    def __init__(
        self,
        host: Host,
        store: BusStore,
        *,
        approvals: ApprovalQueue | None = None,
        clock: Callable[[], float] = time.time,
        queue_enabled: bool = True,
    ) -> None:
        """``approvals``: the queue gated dispatches wait in; with a :class:`MemoryBusStore` and none
        given, an in-memory queue. ``queue_enabled=False`` refuses gated dispatches instead."""
        self.host = host
        self.store = store
        self.clock = clock
        self.approvals: ApprovalQueue | None = approvals
        if approvals is None and queue_enabled and isinstance(store, MemoryBusStore):
            self.approvals = _MemoryQueue(self, store)
        self._validators = _compile(host)
        self.after_commit: list[AfterCommit] = []

    def _notify(self, event: str, envelope: Envelope, role: str) -> None:
        if not self.after_commit:
            return
        revision = envelope.get("revision")
        if revision is None:  # a queued command committed no state: report the current revision
            current = getattr(self.store, "revision", "")
            revision = current() if callable(current) else current
        info = {"commandId": str(envelope.get("commandId", "")), "role": role, "revision": str(revision)}
        if envelope.get("txId"):
            info["txId"] = str(envelope["txId"])
        for listener in list(self.after_commit):
            listener(event, info)

    def on_store(self, store: BusStore) -> Bus:
        """The same bus (validators compiled once) over another store, with no approval queue."""
        clone = Bus.__new__(Bus)
        clone.host, clone.store, clone.clock, clone.approvals = self.host, store, self.clock, None
        clone._validators = self._validators
        clone.after_commit = []  # a dry run commits nothing anyone should hear about
        return clone

    # -- the pipeline -------------------------------------------------------------------------
    def dispatch(
        self,
        command_id: str,
        payload: Any = None,
        *,
        role: str = "host",
        idempotency_key: str | None = None,
        ttl_ms: int = DEFAULT_TTL_MS,
        meta: Mapping[str, Any] | None = None,
    ) -> Envelope:
        """Dispatch ``command_id`` with ``payload`` as ``role``; returns the result envelope.

        The pipeline: role check, idempotency replay (same ``idempotency_key`` within ``ttl_ms``),
        payload normalisation and schema validation, approval gating (an approval-gated command
        dispatched by any role but ``host`` is queued: ``approval-required`` with its
        ``approvalId``), the handler's staged writes checked against the declared ``writes``,
        then one atomic commit with its journal entry and audit events. Never raises for bad
        input: a refusal is an envelope with ``ok: false`` and a documented ``code``.
        """
        now = self.clock()
        known = roles.canonical(role)
        if known is None or not roles.may_dispatch(known):
            allowed = ", ".join(roles.DISPATCH_CHOICES)
            return _fail("invalid-role", command_id, f"role must be one of {allowed}, not {role!r}")
        role = known
        cache_key = f"{command_id}:{role}:{idempotency_key}" if idempotency_key else None
        if cache_key is not None:
            cached = self.store.idempotent_result(cache_key, now)
            if cached is not None:
                return {**cached, "deduped": True}
        correlation = idempotency_key or f"cmd-{int(now * 1000)}-{_PROCESS_TAG}{next(_COUNTER):x}"
        events = [AuditEvent(event_type="dispatch-request", correlation_id=correlation,
                             command_id=command_id, role=role, data={"meta": dict(meta) if meta else {}})]
        spec = self.host.commands.get(command_id)
        if spec is None:
            return self._refuse(events, _fail("unknown-command", command_id,
                                              f"unknown command {command_id!r}"), cache_key, now, ttl_ms)
        checked = self._validate(spec, payload)
        if isinstance(checked, dict) and checked.get("ok") is False:
            return self._refuse(events, checked, cache_key, now, ttl_ms)
        if spec.requires_approval and roles.queues_gated(role):
            return self._queue(spec, checked, role, idempotency_key, meta, events, correlation)
        envelope = self._execute(spec, checked, role, events, correlation, cache_key, now, ttl_ms)
        if idempotency_key:
            envelope["idempotencyKey"] = idempotency_key
        return envelope

    def _validate(self, spec: CommandSpec, payload: Any) -> Any:
        try:
            value = spec.normalize(payload) if spec.normalize else payload
        except PayloadError as exc:
            return _fail("invalid-payload", spec.id, f"payload validation failed: {exc.message}",
                         auditTag=spec.audit_tag, path=exc.problem.path or "payload")
        if not self._validators.by_id[spec.id](value):
            # Quote what the caller sent (normalisation may have changed it, e.g. upper-cased a colour).
            explain = self._validators.explain[spec.id]
            reason, where = explain(payload) or explain(value) or ("does not match the schema", "payload")
            return _fail("invalid-payload", spec.id, f"payload validation failed: {reason}",
                         auditTag=spec.audit_tag, path=where)
        if spec.check is not None:
            try:
                spec.check(value, None)
            except PayloadError as exc:
                return _fail("invalid-payload", spec.id, f"payload validation failed: {exc.message}",
                             auditTag=spec.audit_tag, path=exc.problem.path or "payload")
        return value

    def _refuse(self, events: list[AuditEvent], envelope: Envelope, cache_key: str | None,
                now: float, ttl_ms: int) -> Envelope:
        kind = {"unknown-command": "dispatch-invalid-command", "invalid-payload": "dispatch-invalid-payload"}
        first = events[0]
        events.append(AuditEvent(event_type=kind.get(envelope["code"], "dispatch-failed"),
                                 correlation_id=first.correlation_id, command_id=first.command_id,
                                 role=first.role, data={"code": envelope["code"], "error": envelope["error"]}))
        self.store.record(events)
        if cache_key is not None:
            self._remember(cache_key, envelope, now, ttl_ms)
        return envelope

    def _remember(self, cache_key: str, envelope: Envelope, now: float, ttl_ms: int) -> None:
        # Refusals are remembered in their own small write; executed results in their commit.
        with self.store.write() as session:
            session.commit(Commit(ops=[], journal=None, events=[],
                                  idempotency=(cache_key, envelope, now + _ttl(ttl_ms) / 1000)))

    def _queue(self, spec: CommandSpec, payload: Any, role: str, idempotency_key: str | None,
               meta: Mapping[str, Any] | None, events: list[AuditEvent], correlation: str) -> Envelope:
        if self.approvals is None:
            return _fail("approval-policy-missing", spec.id,
                         "approval required but no approval queue is configured", auditTag=spec.audit_tag)
        events.append(AuditEvent(event_type="dispatch-queued-for-approval", correlation_id=correlation,
                                 command_id=spec.id, role=role, data={"mutationScope": spec.mutation_scope}))
        item = {"commandId": spec.id, "payload": payload, "role": role, "idempotencyKey": idempotency_key,
                "mutationScope": spec.mutation_scope, "auditTag": spec.audit_tag, "meta": dict(meta or {}),
                "correlationId": correlation}
        try:
            approval_id = self.approvals.enqueue(item, events)
            self._notify("command.queued", {"commandId": spec.id, "txId": approval_id}, role)
        except ModgateError as exc:
            if exc.code in _PLAN_FAILURES:  # the dry-run behind the preview refused: say why now
                return _fail(exc.code, spec.id, exc.message, auditTag=spec.audit_tag, path=exc.problem.path or None)
            return _fail("approval-queue-failed", spec.id, f"could not queue for approval: {exc.message}",
                         auditTag=spec.audit_tag)
        return _fail("approval-required", spec.id,
                     f"approval required: {role} command execution must be approved by host.",
                     auditTag=spec.audit_tag, approvalId=approval_id)

    # -- approvals ----------------------------------------------------------------------------
    def approve(self, approval_id: str, *, approver: str = roles.HOST) -> Envelope:
        """Run a queued command now, as the role that asked, on the host's authority."""
        if self.approvals is None:
            return _fail("approval-policy-missing", "", "no approval queue is configured", approvalId=approval_id)
        asked_by = str((self.approvals.item(approval_id) or {}).get("role", roles.HOST))
        result = self.approvals.approve(approval_id, approver)
        if result.get("ok") and result.get("commandId"):
            self._notify("command.executed", result, asked_by)
            self._notify("state.changed", result, asked_by)
        return result

    def reject(self, approval_id: str, *, approver: str = roles.HOST, reason: str = "") -> Envelope:
        """Refuse a queued command: it never runs."""
        if self.approvals is None:
            return _fail("approval-policy-missing", "", "no approval queue is configured", approvalId=approval_id)
        return self.approvals.reject(approval_id, approver, reason)

    # -- execution ------------------------------------------------------------------------------
    def _execute(self, spec: CommandSpec, payload: Any, role: str, events: list[AuditEvent],
                 correlation: str, cache_key: str | None, now: float, ttl_ms: int,
                 decision: tuple[str, str] | None = None) -> Envelope:
        try:
            with self.store.write() as session:
                outcome = self._run(spec, payload, role, session)
                if isinstance(outcome, dict):  # a coded refusal from the handler or effect check
                    raise _Abort(outcome)
                result, ops, journal, statuses = outcome
                envelope: Envelope = {"ok": True, "code": "executed", "commandId": spec.id,
                                      "auditTag": spec.audit_tag, "result": result}
                events.append(AuditEvent(
                    event_type=_executed_event(journal), correlation_id=correlation, command_id=spec.id,
                    role=role, data={"paths": [op.path for op in ops], "refSeq": journal.ref_seq if journal else None}))
                idem = (cache_key, envelope, now + _ttl(ttl_ms) / 1000) if cache_key else None
                decided = (decision[0], "approved", decision[1], envelope) if decision else None
                envelope["revision"] = session.commit(Commit(ops=ops, journal=journal, events=events,
                                                             idempotency=idem, journal_status=statuses,
                                                             decision=decided))
            self._notify("command.executed", envelope, role)  # after the with: committed
            if ops:
                self._notify("state.changed", envelope, role)
            return envelope
        except _NotPending:
            return _fail("approval-not-pending", spec.id, "the approval item was decided by someone else",
                         approvalId=decision[0] if decision else None)
        except _Abort as abort:
            events.append(AuditEvent(event_type="dispatch-execution-failed", correlation_id=correlation,
                                     command_id=spec.id, role=role,
                                     data={"code": abort.envelope["code"], "error": abort.envelope["error"]}))
            if decision is not None:  # only the in-memory queue decides inside a dispatch
                assert isinstance(self.approvals, _MemoryQueue)
                self.approvals.store.decide((decision[0], "failed", decision[1], abort.envelope), events)
            else:
                self.store.record(events)
            if cache_key is not None:
                self._remember(cache_key, abort.envelope, now, ttl_ms)
            return abort.envelope

    def _run(self, spec: CommandSpec, payload: Any, role: str, session: WriteSession
             ) -> Envelope | tuple[Any, list[Op], JournalEntry | None, list[tuple[int, str]]]:
        if spec.journal_action is not None:
            return self._run_journal(spec, role, session)
        view = StateView(session.state)
        try:
            if spec.check is not None:
                spec.check(payload, view)
            result = spec.handler(view, payload)
        except (HandlerError, PayloadError) as exc:
            return _fail("command-execution-failed", spec.id,
                         f"command '{spec.id}' execution failed: {exc.message}", auditTag=spec.audit_tag)
        except Exception as exc:  # a handler bug must not leave a half-applied change
            return _fail("command-execution-failed", spec.id,
                         f"command '{spec.id}' execution failed: {type(exc).__name__}: {exc}",
                         auditTag=spec.audit_tag)
        outside = [p for p in view.staged_paths if not path_within(p, spec.writes)]
        if outside:
            return _fail("undeclared-write", spec.id,
                         f"command '{spec.id}' wrote {outside[0]} outside its declared writes; nothing changed",
                         auditTag=spec.audit_tag, path=outside[0])
        ops = view.ops()
        journal = JournalEntry(command_id=spec.id, role=role, scope=spec.mutation_scope, kind="edit",
                               ops=ops, inverse=inverse_ops(session.state, ops)) if ops else None
        return result, ops, journal, []

    def _run_journal(self, spec: CommandSpec, role: str, session: WriteSession
                     ) -> Envelope | tuple[Any, list[Op], JournalEntry | None, list[tuple[int, str]]]:
        scope = spec.mutation_scope
        action = spec.journal_action or "undo"
        found = session.last_undoable(scope) if spec.journal_action == "undo" else session.next_redoable(scope)
        key = "undone" if spec.journal_action == "undo" else "redone"
        if found is None:
            return {key: None}, [], None, []
        seq, ops = found
        outside = [op.path for op in ops if not path_within(op.path, spec.writes)]
        if outside:
            return _fail("undeclared-write", spec.id, f"{spec.id} would write {outside[0]} outside its writes",
                         auditTag=spec.audit_tag, path=outside[0])
        journal = JournalEntry(command_id=spec.id, role=role, scope=scope, kind=action,
                               ops=ops, inverse=inverse_ops(session.state, ops), ref_seq=seq)
        status = "undone" if spec.journal_action == "undo" else "done"
        return {key: seq}, ops, journal, [(seq, status)]


class _NotPending(Exception):
    """Raised by a store when an approval item stopped being pending under our feet."""


class _Abort(Exception):
    def __init__(self, envelope: Envelope) -> None:
        super().__init__(envelope["code"])
        self.envelope = envelope


def _ttl(ttl_ms: int) -> int:
    return max(1, min(int(ttl_ms), MAX_TTL_MS))


def _executed_event(journal: JournalEntry | None) -> str:
    if journal is not None and journal.kind == "undo":
        return "dispatch-undone"
    if journal is not None and journal.kind == "redo":
        return "dispatch-redone"
    return "dispatch-executed"


# -- in-memory approval queue ----------------------------------------------------------------------
class _MemoryQueue:
    """The approval queue of a :class:`MemoryBusStore`: items in a dict, approval runs the command."""

    def __init__(self, bus: Bus, store: MemoryBusStore) -> None:
        self.bus = bus
        self.store = store

    def enqueue(self, item: JsonObject, events: list[AuditEvent]) -> str:
        return self.store.enqueue(item, events)

    def item(self, approval_id: str) -> JsonObject | None:
        return self.store.approval(approval_id)

    def items(self, status: str | None) -> list[JsonObject]:
        return [dict(i) for i in self.store.queue.values() if status is None or i["status"] == status]

    def approve(self, approval_id: str, approver: str) -> Envelope:
        item = self._pending(approval_id)
        if "ok" in item:
            return item
        bus = self.bus
        spec = bus.host.commands[item["commandId"]]
        events = [AuditEvent(event_type="dispatch-approved", correlation_id=item["correlationId"],
                             command_id=spec.id, role=item["role"],
                             data={"approvalId": approval_id, "approver": approver})]
        envelope = bus._execute(spec, item["payload"], item["role"], events, item["correlationId"], None,
                                bus.clock(), DEFAULT_TTL_MS, decision=(approval_id, approver))
        envelope["approvalId"] = approval_id
        return envelope

    def reject(self, approval_id: str, approver: str, reason: str) -> Envelope:
        item = self._pending(approval_id)
        if "ok" in item:
            return item
        envelope = {"ok": True, "code": "rejected", "commandId": item["commandId"], "approvalId": approval_id}
        events = [AuditEvent(event_type="dispatch-rejected", correlation_id=item["correlationId"],
                             command_id=item["commandId"], role=item["role"],
                             data={"approvalId": approval_id, "approver": approver, "reason": reason})]
        self.store.decide((approval_id, "rejected", approver, envelope), events)
        return envelope

    def _pending(self, approval_id: str) -> JsonObject:
        item = self.store.approval(approval_id)
        if item is None:
            return _fail("approval-not-found", "", f"no approval item {approval_id!r}", approvalId=approval_id)
        if item["status"] != "pending":
            return _fail("approval-not-pending", item["commandId"],
                         f"approval {approval_id} is already {item['status']}", approvalId=approval_id)
        return item


# -- in-memory store ------------------------------------------------------------------------------
class MemoryBusStore:
    """A BusStore kept in memory: tests, dry-runs and the dispatch benchmark.

    The audit log is a plain list (no hash chain, no persistence), the journal a list.
    """

    def __init__(self, state: JsonObject) -> None:
        self.state = state
        self.revision = 0
        self.journal: list[tuple[int, JournalEntry, str]] = []
        self.audit: list[AuditEvent] = []
        self.queue: dict[str, JsonObject] = {}
        self._idem: dict[str, tuple[Envelope, float]] = {}

    def write(self) -> _MemorySession:
        """A write session; its commit applies the ops to ``state``."""
        return _MemorySession(self)

    def record(self, events: list[AuditEvent]) -> None:
        """Append audit events (to a plain list)."""
        self.audit.extend(events)

    def idempotent_result(self, key: str, now: float) -> Envelope | None:
        """The result first stored under ``key`` while it has not expired, else None."""
        hit = self._idem.get(key)
        return dict(hit[0]) if hit and hit[1] > now else None

    def enqueue(self, item: JsonObject, events: list[AuditEvent]) -> str:
        """Queue an approval item; returns its id (``apr-N``)."""
        approval_id = f"apr-{len(self.queue) + 1}"
        self.queue[approval_id] = {**item, "id": approval_id, "status": "pending"}
        self.audit.extend(events)
        return approval_id

    def approval(self, approval_id: str) -> JsonObject | None:
        """A copy of the approval item, or None."""
        item = self.queue.get(approval_id)
        return dict(item) if item else None

    def decide(self, decision: tuple[str, str, str, Envelope], events: list[AuditEvent]) -> None:
        """Record a decision on a pending approval item."""
        approval_id, status, approver, result = decision
        if self.queue[approval_id]["status"] != "pending":
            raise _NotPending(approval_id)
        self.queue[approval_id] = {**self.queue[approval_id], "status": status, "decidedBy": approver,
                                   "result": result}
        self.audit.extend(events)


class _MemorySession:
    """Its own context manager: cheaper than a generator-based one on the hot path."""

    __slots__ = ("_store", "revision", "state")

    def __init__(self, store: MemoryBusStore) -> None:
        self._store = store
        self.state = store.state
        self.revision = store.revision

    def __enter__(self) -> _MemorySession:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def _find(self, scope: str, kind: str, status: str, last: bool) -> tuple[int, list[Op]] | None:
        rows = [(s, e) for s, e, st in self._store.journal if e.scope == scope and e.kind == "edit" and st == status]
        if not rows:
            return None
        seq, entry = rows[-1] if last else rows[0]
        return seq, entry.inverse if kind == "undo" else entry.ops

    def last_undoable(self, scope: str) -> tuple[int, list[Op]] | None:
        return self._find(scope, "undo", "done", last=True)

    def next_redoable(self, scope: str) -> tuple[int, list[Op]] | None:
        return self._find(scope, "redo", "undone", last=False)

    def commit(self, commit: Commit) -> int:
        store = self._store
        if commit.ops:
            store.state = apply_ops(store.state, commit.ops)
            store.revision += 1
        if commit.journal is not None:
            if commit.journal.kind == "edit":
                store.journal = [(s, e, "dead" if st == "undone" else st) for s, e, st in store.journal]
            store.journal.append((len(store.journal) + 1, commit.journal, "done"))
        for seq, status in commit.journal_status:
            store.journal = [(s, e, status if s == seq else st) for s, e, st in store.journal]
        if commit.decision is not None:
            store.decide(commit.decision, [])
        store.audit.extend(commit.events)
        if commit.idempotency is not None:
            key, envelope, expires = commit.idempotency
            store._idem[key] = (dict(envelope), expires)
        return store.revision


DryRun = Callable[[str, Any, JsonObject], "tuple[Envelope, JsonObject]"]


def dry_runner(host: Host) -> DryRun:
    """``run(command_id, payload, state) -> (envelope, state after)``: a host dispatch on a private
    in-memory copy of ``state``. Nothing is stored and gated commands are refused, never queued."""
    bus = Bus(host, MemoryBusStore({}), queue_enabled=False)

    def run(command_id: str, payload: Any, state: JsonObject) -> tuple[Envelope, JsonObject]:
        store = MemoryBusStore(state)
        envelope = bus.on_store(store).dispatch(command_id, payload, role=roles.HOST)
        return envelope, store.state

    return run
