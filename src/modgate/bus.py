"""The command bus: one dispatch pipeline for every change to the state.

dispatch = role check → idempotency → lookup → payload validation → role/approval policy →
handler → effect check → atomic apply + journal + audit (DESIGN.md §2).

The bus is orchestration over a :class:`BusStore` (SQLite in :mod:`modgate.store.bus_store`,
in memory in :class:`modgate.bus_memory.MemoryBusStore`), like pypa/installer over its source and destination.
Envelopes follow the source app: ``{ok: true, code: "executed", commandId, auditTag, result}``
or ``{ok: false, code, commandId, error, message}``. The idempotency key is checked and stored in
the same SQLite transaction as the execution (or the enqueue), so concurrent processes with one
key execute (or queue) once. A retry of a queued dispatch is answered from its item *now*: still
pending, executed (with the result) or decided otherwise -- never a second queued item.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any

import orjson

import modgate.roles as roles
from modgate.auditevent import AuditEvent, new_event
from modgate.bus_fields import FastDispatch, FieldSlot, FieldWriter, fast_dispatch

# The vocabulary and the plans live beside the bus; their names stay importable from here.
from modgate.bus_model import (
    _COUNTER,
    _NO_GATE,
    _NO_LIMITS,
    _PLAN_FAILURES,
    DEFAULT_TTL_MS,
    MAX_TTL_MS,
    AfterCommit,
    ApprovalQueue,
    BusStore,
    Commit,
    Envelope,
    JournalEntry,
    WriteSession,
    _approval_text,
    _fail,
    _NotPending,
    _ttl,
    correlation_id,
    new_commit,
    new_entry,
    quota_text,
)
from modgate.bus_plan import (
    _Abort,
    _bad_names,
    _compile,
    _detached,
    _dispatch_roles,
    _executed_event,
    _Gated,
    _non_finite,
    _not_json,
    _Outcome,
    _outside_domains,
    _Plan,
    _private_meta,
    _request,
    _run_setter,
)
from modgate.errors import HandlerError, ModgateError, PayloadError
from modgate.host.model import CommandSpec, Host
from modgate.limits import DEFAULT_LIMITS, RoleLimits, minute_of, refusal
from modgate.state import (
    JsonObject,
    Op,
    StateView,
    domains_of,
    inverse_ops,
    path_within,
)
from modgate.state_changes import misplaced_write, staged_changes

__all__ = ["DEFAULT_TTL_MS", "MAX_TTL_MS", "AfterCommit", "ApprovalQueue", "Bus", "BusStore", "Commit", "DryRun",
           "Envelope", "JournalEntry", "WriteSession", "correlation_id", "dry_runner", "quota_text"]


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
        limits: Mapping[str, RoleLimits] | None = None,
    ) -> None:
        """``approvals``: the queue gated dispatches wait in; with a :class:`MemoryBusStore` and none
        given, an in-memory queue. ``queue_enabled=False`` refuses gated dispatches instead."""
        self.host = host
        self.store = store
        self._clock = clock
        self.approvals: ApprovalQueue | None = approvals
        if approvals is None and queue_enabled:
            from modgate.bus_memory import MemoryBusStore, _MemoryQueue

            if isinstance(store, MemoryBusStore):
                self.approvals = _MemoryQueue(self, store)
        self._limits: Mapping[str, RoleLimits] = MappingProxyType(dict(DEFAULT_LIMITS if limits is None else limits))
        self._plans = _compile(host)
        self._roles = _dispatch_roles()
        # Approval follows the effect: the domains a gated command may write are protected, and a
        # dispatch by a role that waits for a host is queued when its ops touch one, whatever its label.
        self.protected = frozenset(s.mutation_scope for s in host.commands.values() if s.requires_approval)
        self.after_commit: list[AfterCommit] = []
        # A store that draws its field writes' correlation numbers late (the memory store's log)
        # draws them before a general dispatch draws its own: numbers follow the audit order.
        self._settle: Callable[[], None] | None = getattr(store, "settle", None)
        self._fast = self._fast_paths()

    @property
    def clock(self) -> Callable[[], float]:
        """The clock stamping dispatches (seconds since the epoch); assigning another one compiles
        the field paths again (they hold it)."""
        return self._clock

    @clock.setter
    def clock(self, clock: Callable[[], float]) -> None:
        self._clock = clock
        self._fast = self._fast_paths()

    @property
    def limits(self) -> Mapping[str, RoleLimits]:
        """The per-role limits, read-only: assign a new mapping to change them (the field paths,
        compiled for the roles without a rate limit, are compiled again)."""
        return self._limits

    @limits.setter
    def limits(self, limits: Mapping[str, RoleLimits]) -> None:
        self._limits = MappingProxyType(dict(limits))
        self._fast = self._fast_paths()

    def _fast_paths(self) -> dict[str, FastDispatch]:
        """The field path of every setter plan, when the store offers a field writer."""
        self._uncompiled: set[str] = set()
        out: dict[str, FastDispatch] = {}
        for plan in self._plans.values():
            fast = self._fast_path(plan)
            if fast is not None:
                out[plan.spec.id] = fast
        return out

    def _fast_path(self, plan: _Plan) -> FastDispatch | None:
        factory: Callable[[CommandSpec, tuple[str, ...]], FieldWriter | None] | None = getattr(
            self.store, "field_writer", None)
        if plan.rule is None or factory is None:
            return None
        gated = plan.spec.requires_approval or plan.setter_domain in self.protected
        allowed = {}
        for name, (role, queued) in self._roles.items():
            limits = self.limits.get(role) or _NO_LIMITS
            if not limits.per_minute and not (queued and gated):  # no rate limit, never queued
                allowed[name] = (role, limits.max_payload_bytes)
        writer = factory(plan.spec, plan.tokens) if allowed else None
        if writer is None:
            return None
        slot_of: Callable[[CommandSpec, tuple[str, ...]], FieldSlot] | None = getattr(self.store, "field_slot", None)
        slot = slot_of(plan.spec, plan.tokens) if slot_of is not None else None
        return fast_dispatch(self, plan.spec, plan.rule, allowed, writer, slot)

    def _compile_fast(self, command_id: str) -> FastDispatch | None:
        """A clone's field path, compiled on its first dispatch (a dry run dispatches one command)."""
        self._uncompiled.discard(command_id)
        fast = self._fast_path(self._plans[command_id])
        if fast is not None:
            self._fast[command_id] = fast
        return fast

    def notify_field(self, envelope: Envelope, role: str, changed: bool) -> None:
        """The field path's post-commit events (it runs only when someone listens)."""
        info = self._event_info(envelope, role)
        for listener in list(self.after_commit):
            listener("command.executed", info)
            if changed:
                listener("state.changed", info)

    def _notify(self, event: str, envelope: Envelope, role: str) -> None:
        if not self.after_commit:
            return
        info = self._event_info(envelope, role)
        for listener in list(self.after_commit):
            listener(event, info)

    def _event_info(self, envelope: Envelope, role: str) -> dict[str, str]:
        revision = envelope.get("revision")
        if revision is None:  # a queued command committed no state: report the current revision
            current = getattr(self.store, "revision", "")
            revision = current() if callable(current) else current
        info = {"commandId": str(envelope.get("commandId", "")), "role": role, "revision": str(revision)}
        if envelope.get("txId"):
            info["txId"] = str(envelope["txId"])
        return info

    def on_store(self, store: BusStore) -> Bus:
        """The same bus (validators compiled once) over another store, with no approval queue."""
        clone = Bus.__new__(Bus)
        clone.host, clone.store, clone._clock, clone.approvals = self.host, store, self._clock, None
        clone._plans, clone._roles, clone.protected = self._plans, self._roles, self.protected
        clone._limits = MappingProxyType({})
        clone.after_commit = []  # a dry run commits nothing anyone should hear about
        clone._fast = {}
        clone._settle = getattr(store, "settle", None)
        clone._uncompiled = {cid for cid, plan in self._plans.items() if plan.rule is not None}
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
        if meta is not None:
            meta = _private_meta(meta)  # (deep: the caller may change its object afterwards)
            if meta is None:
                return _fail("invalid-argument", command_id, "meta must be a JSON object (string keys, JSON"
                             " values): it is recorded in the audit log", path="meta")
        if idempotency_key is None:
            try:
                fast = self._fast.get(command_id)
                if fast is None and command_id in self._uncompiled:
                    fast = self._compile_fast(command_id)
            except TypeError:  # an unhashable command id: refused below
                fast = None
            if fast is not None:
                envelope = fast(payload, role, meta)
                if envelope is not None:
                    return envelope
        if not isinstance(command_id, str) or not isinstance(role, str):
            return _bad_names(command_id, role)
        plan = self._plans.get(command_id)
        now = self._clock()
        found = self._roles.get(role)
        if found is None:
            allowed = ", ".join(roles.DISPATCH_CHOICES)
            return _fail("invalid-role", command_id, f"role must be one of {allowed}, not {role!r}")
        role, queued = found
        cache_key = f"{command_id}:{role}:{idempotency_key}" if idempotency_key else None
        if cache_key is not None:
            cached = self.store.idempotent_result(cache_key, now)
            if cached is not None:
                return self._replay(cached)
        limits = self._limits.get(role) or _NO_LIMITS
        refused, payload = self._over_limits(command_id, payload, role, limits, now)
        if refused is not None:
            return refused  # not audited: a flood of refusals must not fill the disk either
        if idempotency_key:
            correlation = idempotency_key
        else:
            if self._settle is not None:  # the memory store's field writes draw theirs first
                self._settle()
            correlation = correlation_id(now, next(_COUNTER))
        # One audit event per executed dispatch (the executed event carries the meta); a refusal
        # or a queued dispatch also records its request.
        meta_copy = dict(meta) if meta else {}
        if plan is None:
            return self._refuse([_request(correlation, command_id, role, meta_copy)], _fail(
                "unknown-command", command_id, f"unknown command {command_id!r}"), cache_key, now, ttl_ms)
        spec = plan.spec
        checked, invalid = self._validate(plan, payload)
        if invalid is not None:
            return self._refuse([_request(correlation, command_id, role, meta_copy)], invalid, cache_key, now, ttl_ms)
        gate = self.protected if queued else _NO_GATE
        envelope = None
        if not (gate and spec.requires_approval):
            envelope = self._execute(plan, checked, role, [], correlation, cache_key, now, ttl_ms, gate=gate,
                                     meta=meta_copy)
        if envelope is None:  # gated by its label, or by the ops it would write
            reserve = (cache_key, now + _ttl(ttl_ms) / 1000) if cache_key else None
            return self._queue(spec, checked, role, idempotency_key, meta, [_request(correlation, command_id, role,
                                                                                     meta_copy)],
                               correlation, reserve, limits.max_pending)
        if idempotency_key:
            envelope["idempotencyKey"] = idempotency_key
        return envelope

    def _over_limits(self, command_id: str, payload: Any, role: str, limits: RoleLimits, now: float
                     ) -> tuple[Envelope | None, Any]:
        """(a refusal or None, the payload to dispatch): a private copy of a container payload,
        so a caller changing its object afterwards cannot change what was stored."""
        try:
            text = orjson.dumps(payload)
            # orjson writes NaN and Infinity as null (find: a third of the cost of ``in`` on bytes)
            if text.find(b"null") != -1 and _non_finite(payload):
                raise TypeError("NaN and Infinity are not JSON numbers")
        except TypeError as exc:  # not JSON (a non-str key, an int past 64 bits, an object): never storable
            return _not_json(command_id, exc), None
        if limits.max_payload_bytes and len(text) > limits.max_payload_bytes:
            return refusal("payload-too-large", command_id, f"the payload is {len(text)} bytes; a {role} may send at"
                           f" most {limits.max_payload_bytes}", path="payload", limit=limits.max_payload_bytes), None
        if limits.per_minute and not self.store.admit(role, minute_of(now), limits.per_minute):
            return refusal("rate-limited", command_id, f"a {role} may dispatch at most {limits.per_minute} commands"
                           " a minute; wait and try again", path="role", limit=limits.per_minute), None
        container = type(payload) is dict or isinstance(payload, (dict, list, tuple))
        return None, orjson.loads(text) if container else payload

    def _replay(self, cached: Envelope) -> Envelope:
        """The answer to a retry: the first answer, or for a queued dispatch its item's outcome now."""
        approval_id = cached.get("approvalId")
        if cached.get("code") != "approval-required" or not approval_id:
            return {**cached, "deduped": True}
        item = (self.approvals.item(str(approval_id)) if self.approvals else None) or {"status": "pending"}
        if item["status"] in ("pending", "approved-not-applied"):
            return {**cached, "deduped": True}
        if item["status"] == "approved":
            return {"ok": True, "code": "executed", "commandId": cached["commandId"],
                    "auditTag": cached.get("auditTag"), "result": item.get("output"), "approvalId": approval_id,
                    "deduped": True}
        return _fail("approval-not-pending", str(cached["commandId"]), f"{approval_id} was {item['status']}",
                     approvalId=approval_id, status=item["status"], deduped=True)

    def _validate(self, plan: _Plan, payload: Any) -> tuple[Any, Envelope | None]:
        """(the normalised payload, None), or (None, the refusal)."""
        spec = plan.spec
        try:
            value = spec.normalize(payload) if spec.normalize else payload
        except PayloadError as exc:
            return None, _fail("invalid-payload", spec.id, f"payload validation failed: {exc.message}",
                               auditTag=spec.audit_tag, path=exc.problem.path or "payload")
        except Exception as exc:  # an embedder's normaliser that raises: the payload is refused, coded
            return None, _unchecked(spec, "normalise", exc)
        try:
            valid = plan.is_valid(value)
        except (TypeError, ValueError) as exc:  # jsonschema-rs refuses what JSON cannot hold
            return None, _not_json(spec.id, exc, spec.audit_tag)
        if not valid:
            # Quote what the caller sent (normalisation may have changed it, e.g. upper-cased a colour).
            reason, where = plan.explain(payload) or plan.explain(value) or ("does not match the schema", "payload")
            return None, _fail("invalid-payload", spec.id, f"payload validation failed: {reason}",
                               auditTag=spec.audit_tag, path=where)
        if spec.check is not None:
            try:
                spec.check(value, None)
            except PayloadError as exc:
                return None, _fail("invalid-payload", spec.id, f"payload validation failed: {exc.message}",
                                   auditTag=spec.audit_tag, path=exc.problem.path or "payload")
            except Exception as exc:  # as for the normaliser
                return None, _unchecked(spec, "check", exc)
        return value, None

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
               meta: Mapping[str, Any] | None, events: list[AuditEvent], correlation: str,
               reserve: tuple[str, float] | None = None, max_pending: int = 0) -> Envelope:
        if self.approvals is None:
            return _fail("approval-policy-missing", spec.id,
                         "approval required but no approval queue is configured", auditTag=spec.audit_tag)
        events.append(AuditEvent(event_type="dispatch-queued-for-approval", correlation_id=correlation,
                                 command_id=spec.id, role=role, data={"mutationScope": spec.mutation_scope}))
        item = {"commandId": spec.id, "payload": payload, "role": role, "idempotencyKey": idempotency_key,
                "mutationScope": spec.mutation_scope, "auditTag": spec.audit_tag, "meta": dict(meta or {}),
                "correlationId": correlation, "maxPending": max_pending}
        if reserve is not None:
            # The store reserves the key in the enqueue's transaction: concurrent retries with one
            # key queue one item, and every retry answers with that item.
            item["reserve"] = {"key": reserve[0], "expiresAt": reserve[1],
                               "envelope": _fail("approval-required", spec.id, _approval_text(role),
                                                 auditTag=spec.audit_tag)}
        try:
            approval_id = self.approvals.enqueue(item, events)
            self._notify("command.queued", {"commandId": spec.id, "txId": approval_id}, role)
        except ModgateError as exc:
            if exc.code in _PLAN_FAILURES:  # the dry-run behind the preview refused: say why now
                return _fail(exc.code, spec.id, exc.message, auditTag=spec.audit_tag, path=exc.problem.path or None)
            return _fail("approval-queue-failed", spec.id, f"could not queue for approval: {exc.message}",
                         auditTag=spec.audit_tag)
        return _fail("approval-required", spec.id, _approval_text(role), auditTag=spec.audit_tag,
                     approvalId=approval_id)

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
    def _execute(self, plan: _Plan, payload: Any, role: str, events: list[AuditEvent],
                 correlation: str, cache_key: str | None, now: float, ttl_ms: int,
                 decision: tuple[str, str] | None = None, gate: frozenset[str] = frozenset(),
                 meta: dict[str, Any] | None = None) -> Envelope | None:
        """The envelope, or None when ``gate`` names a domain the ops would write (queue it instead).

        ``meta``: a direct dispatch's metadata, recorded on its one executed event (or on the
        request event a failure records beside its outcome)."""
        spec = plan.spec
        try:
            with self.store.write() as session:
                if cache_key is not None:  # the key is checked and stored in this one transaction
                    earlier = session.idempotent(cache_key, now)
                    if earlier is not None:
                        return self._replay(earlier)
                outcome: Envelope | _Outcome | None = None
                if plan.setter is not None:
                    outcome = _run_setter(plan, payload, role, session.state)
                if outcome is None:
                    outcome = self._run(plan, payload, role, session)
                if isinstance(outcome, dict):  # a coded refusal from the handler or effect check
                    raise _Abort(outcome)
                result, ops, journal, statuses = outcome
                if gate and domains_of(ops) & gate:
                    raise _Gated
                envelope: Envelope = {"ok": True, "code": "executed", "commandId": spec.id,
                                      "auditTag": spec.audit_tag, "result": _detached(result)}
                data: dict[str, Any] = {"paths": [op.path for op in ops],
                                        "refSeq": journal.ref_seq if journal else None}
                if meta is not None:
                    data["meta"] = meta
                events.append(new_event(_executed_event(journal), correlation, spec.id, role, data))
                idem = (cache_key, envelope, now + _ttl(ttl_ms) / 1000) if cache_key else None
                decided = (decision[0], "approved", decision[1], envelope) if decision else None
                envelope["revision"] = session.commit(new_commit(ops, journal, events, idem, statuses, decided))
            if self.after_commit:  # after the with: committed
                self._notify("command.executed", envelope, role)
                if ops:
                    self._notify("state.changed", envelope, role)
            return envelope
        except _Gated:
            return None  # nothing was written: the write transaction rolled back
        except _NotPending:
            return _fail("approval-not-pending", spec.id, "the approval item was decided by someone else",
                         approvalId=decision[0] if decision else None)
        except _Abort as abort:
            if meta is not None:
                events.insert(0, _request(correlation, spec.id, role, meta))
            events.append(AuditEvent(event_type="dispatch-execution-failed", correlation_id=correlation,
                                     command_id=spec.id, role=role,
                                     data={"code": abort.envelope["code"], "error": abort.envelope["error"]}))
            if decision is not None:  # only the in-memory queue decides inside a dispatch
                from modgate.bus_memory import _MemoryQueue

                assert isinstance(self.approvals, _MemoryQueue)
                self.approvals.store.decide((decision[0], "failed", decision[1], abort.envelope), events)
            else:
                self.store.record(events)
            if cache_key is not None:
                self._remember(cache_key, abort.envelope, now, ttl_ms)
            return abort.envelope

    def _run(self, plan: _Plan, payload: Any, role: str, session: WriteSession
             ) -> Envelope | tuple[Any, list[Op], JournalEntry | None, list[tuple[int, str]]]:
        spec = plan.spec
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
        staged, declared = view._staged, plan.declared  # (the dict itself: the bus only reads it)
        for path in staged:
            if path not in declared and not path_within(path, spec.writes):
                return _fail("undeclared-write", spec.id,
                             f"command '{spec.id}' wrote {path} outside its declared writes; nothing changed",
                             auditTag=spec.audit_tag, path=path)
        ops, inverse = staged_changes(view.state, staged)  # view.ops() and inverse_ops in one walk
        if plan.domains is not None or ops:  # (no call when nothing changed)
            unstorable = _unstorable(plan, staged, view.state, ops)
            if unstorable is not None:
                return unstorable
        journal = new_entry(spec.id, role, spec.mutation_scope, "edit", ops, inverse) if ops else None
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


def _unstorable(plan: _Plan, staged: Mapping[str, Any], state: JsonObject, ops: list[Op]) -> Envelope | None:
    """The refusal of staged writes the stores could not keep as the state would show them: outside
    the state's domains (the root, a domain removed), or not landing where their pointer says
    (past an array's end, a token that is no index, beneath a scalar: their undo would not restore)."""
    spec = plan.spec
    outside = _outside_domains(staged, plan.domains) if plan.domains is not None else None
    if outside is not None:
        reason = "outside the state's domains"
    else:
        outside = misplaced_write(state, ops)
        if outside is None:
            return None
        reason = "beneath a value that is not an object or past the end of an array"
    return _fail("command-execution-failed", spec.id, f"command '{spec.id}' execution failed: it wrote"
                 f" {outside or '(the root)'}, {reason}; nothing changed", auditTag=spec.audit_tag, path=outside)


def _unchecked(spec: CommandSpec, step: str, exc: Exception) -> Envelope:
    """The refusal of a payload whose normaliser or check raised something else than a
    PayloadError (an embedder's bug or an input it did not expect): coded, never a traceback."""
    return _fail("invalid-payload", spec.id, f"payload validation failed: could not {step} the payload"
                 f" ({type(exc).__name__}: {exc})", auditTag=spec.audit_tag, path="payload")


DryRun = Callable[[str, Any, JsonObject], "tuple[Envelope, JsonObject]"]


def dry_runner(host: Host) -> DryRun:
    """``run(command_id, payload, state) -> (envelope, state after)``: a host dispatch on a private
    in-memory copy of ``state``. Nothing is stored and gated commands are refused, never queued."""
    from modgate.bus_memory import MemoryBusStore

    bus = Bus(host, MemoryBusStore({}), queue_enabled=False)

    def run(command_id: str, payload: Any, state: JsonObject) -> tuple[Envelope, JsonObject]:
        store = MemoryBusStore(state)
        envelope = bus.on_store(store).dispatch(command_id, payload, role=roles.HOST)
        return envelope, store.state

    return run



def __getattr__(name: str) -> Any:
    # The in-memory store lives in modgate.bus_memory (it builds on this module); the old import
    # path ``from modgate.bus import MemoryBusStore`` keeps working.
    if name == "MemoryBusStore":
        from modgate.bus_memory import MemoryBusStore

        return MemoryBusStore
    raise AttributeError(f"module 'modgate.bus' has no attribute {name!r}")
