"""The in-memory store and approval queue of the bus: tests, dry-runs and the dispatch benchmark.

:class:`MemoryBusStore` implements the same :class:`~modgate.bus.BusStore` protocol as the SQLite
store; :class:`_MemoryQueue` is the approval queue a :class:`~modgate.bus.Bus` gets when it runs
on one. Pure: nothing leaves the process.
"""

from __future__ import annotations

import bisect
import copy
from typing import TYPE_CHECKING, Any

from modgate.auditevent import AuditEvent
from modgate.bus_fields import LOG_STRIDE, FieldSlot, FieldWriter
from modgate.bus_model import (
    _COUNTER,
    DEFAULT_TTL_MS,
    Commit,
    Envelope,
    JournalEntry,
    _fail,
    _NotPending,
    correlation_id,
    quota_text,
)
from modgate.errors import ModgateError, Problem
from modgate.host.model import CommandSpec
from modgate.state import MISSING, JsonObject, Op, apply_ops, object_at, set_owned

if TYPE_CHECKING:
    from modgate.bus import Bus


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
        # Deep copies, as the SQLite queue's rows are: a reader changing one changes nothing queued.
        return [copy.deepcopy(i) for i in self.store.queue.values() if status is None or i["status"] == status]

    def approve(self, approval_id: str, approver: str) -> Envelope:
        item = self._pending(approval_id)
        if "ok" in item:
            return item
        bus = self.bus
        plan = bus._plans[item["commandId"]]
        spec = plan.spec
        events = [AuditEvent(event_type="dispatch-approved", correlation_id=item["correlationId"],
                             command_id=spec.id, role=item["role"],
                             data={"approvalId": approval_id, "approver": approver})]
        envelope = bus._execute(plan, item["payload"], item["role"], events, item["correlationId"], None,
                                bus.clock(), DEFAULT_TTL_MS, decision=(approval_id, approver))
        assert envelope is not None  # no gate on an approved item: it runs
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
# A field setter's journal entry and audit record: one tuple of plain values in both lists until
# someone reads them: (commandId, role, scope, path -- None when nothing changed --, value, before,
# now, correlation number, meta). A write puts its six values on the store's flat log
# (bus_fields.LOG_STRIDE); _settle makes the tuples and draws the correlation numbers.
_FieldRecord = tuple[str, str, str, "str | None", Any, Any, float, int, "dict[str, Any] | None"]


class MemoryBusStore:
    """A BusStore kept in memory: tests, dry-runs and the dispatch benchmark.

    The audit log is a plain list (no hash chain, no persistence); the journal keeps per-scope
    undo/redo indexes (:class:`_MemoryJournal`), so no dispatch costs more as history grows.
    ``state`` is never changed in place once anyone has seen it: field setters write in place
    only the objects they copied since the state was last read.
    """

    def __init__(self, state: JsonObject) -> None:
        self._state = state
        self._owned: set[int] = set()
        # A field writer's cell holds its parent object while it is owned (tokens -> [parent]).
        self._parents: dict[tuple[str, ...], list[Any]] = {}
        self.revision = 0
        self._journal = _MemoryJournal()
        self._audit: list[AuditEvent | _FieldRecord] = []
        self._log: list[Any] = []  # field writes' records, flat, not yet in the journal and the audit list
        self.queue: dict[str, JsonObject] = {}
        self._idem: dict[str, tuple[Envelope, float]] = {}
        self._rate: dict[tuple[str, int], int] = {}

    @property
    def state(self) -> JsonObject:
        """The current state (never changed in place after this read)."""
        if self._owned:
            self._disown()  # shared from now on: the next field write copies again
        return self._state

    @state.setter
    def state(self, value: JsonObject) -> None:
        if self._owned:
            self._disown()
        self._state = value

    def _disown(self) -> None:
        self._owned.clear()
        for cell in self._parents.values():
            cell[0] = None

    @property
    def journal(self) -> _MemoryJournal:
        """The journal (with every field write so far in its indexes)."""
        self.settle()
        return self._journal

    def _audit_list(self) -> list[AuditEvent | _FieldRecord]:
        """The audit list, every field write so far in it: append to it only through this."""
        self.settle()
        return self._audit

    def settle(self) -> None:
        """File the field writes' records now (they draw their correlation numbers): every reader
        of the journal or the audit list does, and the bus before a general dispatch draws its
        own number, so numbers follow the audit order."""
        if self._log:
            self._settle()

    def _settle(self) -> None:
        """Move the field writes' records into the journal (edits) and the audit list, in order.

        A field write puts its record's six values on ``_log`` and nothing else; every reader of
        the journal or the audit list settles first (:attr:`journal`, :meth:`_audit_list`), so the
        order and the undo indexes are what they would have been had each write filed itself."""
        log, journal, audit = self._log, self._journal, self._audit
        for at in range(0, len(log), LOG_STRIDE):
            (command_id, scope, path), role, value, before, now, meta = log[at:at + LOG_STRIDE]
            record: _FieldRecord = (command_id, role, scope, path, value, before, now, next(_COUNTER), meta)
            if path is not None:  # it changed something: an edit
                journal.append_field(record, scope)
            audit.append(record)
        log.clear()

    @property
    def audit(self) -> list[AuditEvent]:
        """The audit events, oldest first."""
        audit = self._audit_list()
        for i, item in enumerate(audit):
            if type(item) is tuple:
                audit[i] = _field_event(item)
        return audit  # type: ignore[return-value]

    def field_slot(self, spec: CommandSpec, tokens: tuple[str, ...]) -> FieldSlot:
        """Where the field path writes a change itself (:class:`modgate.bus_fields.FieldSlot`): the
        parent object this store copied for field writes, while nobody has seen it."""
        return FieldSlot(parent=self._parent(tokens), leaf=tokens[-1], log=self._log,
                         edit=(spec.id, spec.mutation_scope, spec.handler.path),  # type: ignore[attr-defined]
                         owner=self)

    def _parent(self, tokens: tuple[str, ...]) -> list[Any]:
        """The cell of the owned parent of ``tokens``: it is emptied by _disown (the state shared
        or replaced); while full, only field writes -- scalars, each to its own leaf -- have
        changed the object since it was copied, so its leaf is there and holds a scalar."""
        return self._parents.setdefault(tokens, [None])

    def field_writer(self, spec: CommandSpec, tokens: tuple[str, ...]) -> FieldWriter:
        """The write of a field setter (:data:`modgate.bus_fields.FieldWriter`): the scalar at
        ``tokens`` replaced (its path copied first unless owned), and its journal entry and audit
        record put on the log (:meth:`_settle`); None when it is not a scalar under objects."""
        parents, leaf = tokens[:-1], tokens[-1]
        edit = (spec.id, spec.mutation_scope, spec.handler.path)  # type: ignore[attr-defined]  # a FieldSetter's
        same = (spec.id, spec.mutation_scope, None)  # a write that changed nothing: audited only
        owned, log, parent = self._owned, self._log, self._parent(tokens)

        def write(value: Any, role: str, now: float, meta: dict[str, Any] | None
                  ) -> int | tuple[int, bool, bool] | None:
            node = parent[0]
            if node is None:
                node = object_at(self._state, parents)
                if node is None:
                    return None
            before = node.get(leaf, MISSING)
            if before is MISSING or type(before) in (dict, list):
                return None
            if before == value and type(before) is type(value):
                log.extend((same, role, value, before, now, meta))
                return self.revision, False, True
            if node is parent[0]:  # owned: written in place
                node[leaf] = value
            else:
                self._state = set_owned(self._state, tokens, value, owned)
                parent[0] = object_at(self._state, parents)
            self.revision = revision = self.revision + 1
            log.extend((edit, role, value, before, now, meta))
            return revision

        return write

    def admit(self, role: str, minute: int, limit: int) -> bool:
        """Count one dispatch of ``role`` in this minute's window; False when its limit is reached."""
        count = self._rate.get((role, minute), 0)
        if count >= limit:
            return False
        self._rate = {k: v for k, v in self._rate.items() if k[1] == minute}  # keep one window
        self._rate[(role, minute)] = count + 1
        return True

    def write(self) -> _MemorySession:
        """A write session; its commit applies the ops to ``state``."""
        return _MemorySession(self)

    def record(self, events: list[AuditEvent]) -> None:
        """Append audit events (to a plain list)."""
        self._audit_list().extend(events)

    def idempotent_result(self, key: str, now: float) -> Envelope | None:
        """The result first stored under ``key`` while it has not expired, else None."""
        hit = self._idem.get(key)
        return copy.deepcopy(hit[0]) if hit and hit[1] > now else None  # a replay's reader may change it

    def enqueue(self, item: JsonObject, events: list[AuditEvent]) -> str:
        """Queue an approval item; returns its id (``apr-N``)."""
        reserve = item.get("reserve")
        if reserve is not None and (hit := self.idempotent_result(reserve["key"], 0.0)) is not None:
            return str(hit["approvalId"])
        waiting = sum(1 for q in self.queue.values() if q["role"] == item["role"] and q["status"] == "pending")
        if item.get("maxPending") and waiting >= item["maxPending"]:
            raise ModgateError(Problem(code="approval-quota-exceeded", path="role", message=quota_text(item)))
        approval_id = f"apr-{len(self.queue) + 1}"
        self.queue[approval_id] = {**item, "id": approval_id, "status": "pending"}
        if reserve is not None:
            self._idem[reserve["key"]] = ({**reserve["envelope"], "approvalId": approval_id}, reserve["expiresAt"])
        self._audit_list().extend(events)
        return approval_id

    def approval(self, approval_id: str) -> JsonObject | None:
        """A deep copy of the approval item, or None: approval runs what was queued, whatever a
        reader does to the copy it was given, and the state it makes shares nothing with the queue."""
        item = self.queue.get(approval_id)
        return copy.deepcopy(item) if item else None

    def decide(self, decision: tuple[str, str, str, Envelope], events: list[AuditEvent]) -> None:
        """Record a decision on a pending approval item."""
        approval_id, status, approver, result = decision
        if self.queue[approval_id]["status"] != "pending":
            raise _NotPending(approval_id)
        self.queue[approval_id] = {**self.queue[approval_id], "status": status, "decidedBy": approver,
                                   "result": result, "output": result.get("result")}
        self._audit_list().extend(events)


class _MemoryJournal:
    """The in-memory journal with per-scope indexes, so a dispatch costs the same after 10,000 entries.

    Only edits are undoable: per scope, the seqs of edits ``done`` (newest last: what undo
    reverses) and ``undone`` (sorted: redo replays the oldest). A new edit kills the undone edits
    of its own scope (status ``dead``), as the SQLite store does: undo stacks are per scope.
    Field setters' entries stay tuples until read (:meth:`entry`).
    """

    __slots__ = ("_done", "_entries", "_undone", "status")

    def __init__(self) -> None:
        self._entries: list[JournalEntry | _FieldRecord] = []  # seq N is _entries[N - 1]
        self.status: list[str] = []
        self._done: dict[str, list[int]] = {}
        self._undone: dict[str, list[int]] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def entry(self, seq: int) -> JournalEntry:
        item = self._entries[seq - 1]
        if type(item) is tuple:
            command_id, role, scope, path, value, before = item[:6]
            assert path is not None  # a journal entry changed something
            item = JournalEntry(command_id=command_id, role=role, scope=scope, kind="edit",
                                ops=[Op("replace", path, value)], inverse=[Op("replace", path, before)])
            self._entries[seq - 1] = item
        return item  # type: ignore[return-value]

    @property
    def entries(self) -> list[JournalEntry]:
        return [self.entry(seq) for seq in range(1, len(self._entries) + 1)]

    def rows(self) -> list[tuple[int, JournalEntry, str]]:
        """(seq, entry, status) for every entry, oldest first."""
        return [(seq, self.entry(seq), self.status[seq - 1]) for seq in range(1, len(self._entries) + 1)]

    def _kill_undone(self, scope: str) -> None:
        seqs = self._undone.get(scope)
        if seqs:
            for seq in seqs:
                self.status[seq - 1] = "dead"
            seqs.clear()

    def append(self, entry: JournalEntry) -> int:
        if entry.kind == "edit":
            self._kill_undone(entry.scope)
        self._entries.append(entry)
        self.status.append("done")
        seq = len(self._entries)
        if entry.kind == "edit":
            self._done.setdefault(entry.scope, []).append(seq)
        return seq

    def append_field(self, entry: _FieldRecord, scope: str) -> None:
        """An edit by a field setter (the hot path of :meth:`MemoryBusStore.commit_field`)."""
        if self._undone.get(scope):
            self._kill_undone(scope)
        entries = self._entries
        entries.append(entry)
        self.status.append("done")
        done = self._done.get(scope)
        if done is None:
            self._done[scope] = [len(entries)]
        else:
            done.append(len(entries))

    def set_status(self, seq: int, status: str) -> None:
        if not 0 < seq <= len(self._entries):
            return
        entry, old = self.entry(seq), self.status[seq - 1]
        self.status[seq - 1] = status
        if entry.kind != "edit" or old == status:
            return
        old_index, new_index = self._index(old), self._index(status)
        if old_index is not None:
            seqs = old_index.get(entry.scope, [])
            at = bisect.bisect_left(seqs, seq)
            if at < len(seqs) and seqs[at] == seq:
                del seqs[at]
        if new_index is not None:
            bisect.insort(new_index.setdefault(entry.scope, []), seq)

    def _index(self, status: str) -> dict[str, list[int]] | None:
        return self._done if status == "done" else self._undone if status == "undone" else None

    def last_undoable(self, scope: str) -> tuple[int, list[Op]] | None:
        seqs = self._done.get(scope)
        return (seqs[-1], self.entry(seqs[-1]).inverse) if seqs else None

    def next_redoable(self, scope: str) -> tuple[int, list[Op]] | None:
        seqs = self._undone.get(scope)
        return (seqs[0], self.entry(seqs[0]).ops) if seqs else None


def _field_event(item: _FieldRecord) -> AuditEvent:
    command_id, role, _, path, _, _, now, number, meta = item
    return AuditEvent(event_type="dispatch-executed", correlation_id=correlation_id(now, number),
                      command_id=command_id, role=role,
                      data={"paths": [path] if path is not None else [], "refSeq": None, "meta": meta or {}})


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

    def idempotent(self, key: str, now: float) -> Envelope | None:
        return self._store.idempotent_result(key, now)

    def last_undoable(self, scope: str) -> tuple[int, list[Op]] | None:
        return self._store.journal.last_undoable(scope)

    def next_redoable(self, scope: str) -> tuple[int, list[Op]] | None:
        return self._store.journal.next_redoable(scope)

    def commit(self, commit: Commit) -> int:
        store = self._store
        if commit.ops:
            store.state = apply_ops(store._state, commit.ops)
            store.revision += 1
        if commit.journal is not None:
            store.journal.append(commit.journal)
        for seq, status in commit.journal_status:
            store.journal.set_status(seq, status)
        if commit.decision is not None:
            store.decide(commit.decision, [])
        store._audit_list().extend(commit.events)
        if commit.idempotency is not None:
            key, envelope, expires = commit.idempotency
            store._idem[key] = (copy.deepcopy(envelope), expires)  # the caller gets ``envelope`` itself
        return store.revision
