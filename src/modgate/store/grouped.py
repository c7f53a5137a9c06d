"""Field writes of the SQLite bus store, buffered per transaction and written with executemany.

A field setter's dispatch (:mod:`modgate.bus_fields`) changes one scalar. Inside a transaction
its rows -- one journal row, one audit event that binds the state change to the chain -- are
buffered, and the state documents it touched are written once, just before the transaction's
COMMIT (or before anyone else uses the connection: :attr:`Database.before_use`). So a group of
100 dispatches in one ``db.atomic()`` block costs one INSERT of 100 journal rows, one of 100 audit
rows and one UPDATE per touched document, where it cost 8 statements a dispatch. A single
dispatch outside any transaction is a group of one.

What is known about the database within one transaction (the epoch) is read once: the state
and its revisions, the last journal seq, the audit head, whether a scope has undone edits.
Everything is dropped when someone else may write (before_use) and on rollback.
"""

from __future__ import annotations

import contextlib
import hashlib
import sqlite3
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson

import modgate.evidence as evidence
from modgate.bus_model import _COUNTER, correlation_id
from modgate.host.model import CommandSpec
from modgate.state import MISSING, object_at, set_owned
from modgate.store import audit

if TYPE_CHECKING:
    from modgate.bus_fields import FieldWriter
    from modgate.store.bus_store import SqliteBusStore

_JOURNAL_INSERT = ("INSERT INTO journal(seq, created_at, command_id, role, scope, kind, ops, inverse, status,"
                   " ref_seq, revision) VALUES (?,?,?,?,?, 'edit', ?,?, 'done', NULL, ?)")


@dataclass(slots=True)
class _Epoch:
    """What one write transaction knows; ``pending`` is what it has not written yet."""

    epoch: int
    revision: int
    domains: dict[str, int]
    journal_seq: int
    head: tuple[int, str]
    clean_scopes: set[str] = field(default_factory=set)  # scopes known to have no undone edit
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    events: list[audit.RawEvent] = field(default_factory=list)
    dirty: set[str] = field(default_factory=set)


class FieldBuffer:
    """The buffered field writes of one :class:`SqliteBusStore` (see the module docstring)."""

    def __init__(self, store: SqliteBusStore) -> None:
        self.store = store
        self.db = store.db
        self.owned: set[int] = set()  # state objects copied by field writes, not yet shared
        self._epoch: _Epoch | None = None
        self._last: _Epoch | None = None  # the facts of the last transaction, at its end

    # -- the writer ---------------------------------------------------------------------------
    def writer(self, spec: CommandSpec, tokens: tuple[str, ...]) -> FieldWriter | None:
        if self.db.read_only:
            return None
        path = spec.handler.path  # type: ignore[attr-defined]  # a FieldSetter's
        # The op's JSON around its value, as orjson writes [{"op": "replace", "path": p, "value": v}].
        op_json = (b'[{"op":"replace","path":' + orjson.dumps(path) + b',"value":', b"}]")

        def write(value: Any, role: str, now: float, meta: dict[str, Any] | None
                  ) -> int | tuple[int, bool, bool] | None:
            if self.db.in_transaction:  # committed with the caller's transaction, not now
                return self._write(spec, path, op_json, tokens, value, role, now, next(_COUNTER), meta, False)
            with self.db.atomic():  # a group of one: flushed before this COMMIT
                return self._write(spec, path, op_json, tokens, value, role, now, next(_COUNTER), meta, True)

        return write

    def _write(self, spec: CommandSpec, path: str, op_json: tuple[bytes, bytes], tokens: tuple[str, ...], value: Any,
               role: str, now: float, number: int, meta: dict[str, Any] | None, committed: bool
               ) -> int | tuple[int, bool, bool] | None:
        ep = self._current()
        state = self.store.cached_state()
        node = object_at(state, tokens[:-1])
        before = node.get(tokens[-1], MISSING) if node is not None else MISSING
        if node is None or before is MISSING or type(before) in (dict, list):
            return None
        # Everything that can fail is done before anything changes: a value or meta that is not
        # JSON goes to the general path (which reports it), never into the buffer, whose flush
        # must not fail on data (or the caller's whole transaction would).
        try:
            if meta:
                orjson.dumps(meta)
            if before == value and type(before) is type(value):
                self._event(ep, spec, role, now, number, {"paths": [], "refSeq": None, "meta": meta or {}})
                return ep.revision, False, committed
            value_json, before_json = orjson.dumps(value), orjson.dumps(before)
        except TypeError:
            return None
        head, tail = op_json
        scope, domain = spec.mutation_scope, tokens[0]  # the journal's scope; the document written
        if scope not in ep.clean_scopes:
            self._end_redo(scope)
            ep.clean_scopes.add(scope)
        if id(node) in self.owned:  # copied by an earlier write, with its whole path
            node[tokens[-1]] = value
        else:
            self.store.replace_cached_state(set_owned(state, tokens, value, self.owned))
        ep.revision = revision = ep.revision + 1
        ep.domains[domain] = domain_revision = ep.domains.get(domain, 0) + 1
        ep.journal_seq = seq = ep.journal_seq + 1
        ep.dirty.add(domain)
        ops = head + value_json + tail
        ep.rows.append((seq, now, spec.id, role, scope, ops.decode(), (head + before_json + tail).decode(), revision))
        self._event(ep, spec, role, now, number, {
            "paths": [path], "refSeq": None, "meta": meta or {}, "revision": revision,
            "domains": {domain: domain_revision}, "opsHash": "sha256:" + hashlib.sha256(ops).hexdigest(),
            "journalSeq": seq})
        return revision if committed else (revision, True, False)

    def _event(self, ep: _Epoch, spec: CommandSpec, role: str, now: float, number: int, data: dict[str, Any]
               ) -> None:
        if evidence.current() is not None:  # stamped now: the drill running at the dispatch
            data = evidence.stamp(data)
        ep.events.append((now, "dispatch-executed", correlation_id(now, number), spec.id, role, data))

    def _end_redo(self, scope: str) -> None:
        """A new edit ends the redo stack of its scope (the rows are already written: no buffer)."""
        self.db.conn.execute("UPDATE journal SET status='dead' WHERE scope=? AND status='undone'", (scope,))

    # -- the epoch ------------------------------------------------------------------------------
    def _current(self) -> _Epoch:
        ep = self._epoch
        if ep is not None and ep.epoch == self.db.epoch:
            return ep
        conn = self.db.conn
        revision, _ = self.store.cached_state_at(conn)
        last = self._last
        if last is not None and last.revision == revision:
            # Nothing changed the state since our last transaction ended (every state write bumps
            # the revision), so neither did the documents' revisions, the journal's last seq or
            # any scope's undone edits; the audit head may have moved (installs, grants): re-read.
            self._epoch = _Epoch(self.db.epoch, revision, dict(last.domains), last.journal_seq,
                                 self.store.audit_head(conn), set(last.clean_scopes))
            return self._epoch
        domains = {str(d): int(r) for d, r in conn.execute("SELECT domain, revision FROM state_domains")}
        seq = int(conn.execute("SELECT COALESCE(MAX(seq), 0) FROM journal").fetchone()[0])
        self._epoch = _Epoch(self.db.epoch, revision, domains, seq, self.store.audit_head(conn))
        return self._epoch

    @property
    def pending(self) -> bool:
        """True while this transaction has buffered writes not yet in the database."""
        ep = self._epoch
        return ep is not None and bool(ep.events) and ep.epoch == self.db.epoch

    def flush(self) -> None:
        """Write what is buffered (called by the database before COMMIT or another use); then
        forget the epoch, since the next user may write under our feet.

        All or nothing: the rows are written under a savepoint, and when that fails the buffer is
        kept, so the transaction cannot commit without the writes its dispatches reported."""
        ep = self._epoch
        if ep is None or not ep.events or ep.epoch != self.db.epoch:
            self._epoch = None
            self._last = ep if ep is not None and ep.epoch == self.db.epoch else self._last
            self.store.forget_head()
            return
        conn, state = self.db.conn, self.store.cached_state()
        conn.execute("SAVEPOINT modgate_fields")
        try:
            if ep.rows:
                conn.executemany(_JOURNAL_INSERT, ep.rows)
            for domain in sorted(ep.dirty):
                conn.execute("UPDATE state_domains SET doc=?, revision=? WHERE domain=?",
                             (orjson.dumps(state[domain]).decode(), ep.domains[domain], domain))
            if ep.dirty:
                conn.execute("UPDATE meta SET value=? WHERE key='revision'", (str(ep.revision),))
            self.store.append_raw_audit(conn, ep.events, ep.head)
        except BaseException:
            with contextlib.suppress(sqlite3.Error):  # (gone when SQLite rolled back the transaction itself)
                conn.execute("ROLLBACK TO modgate_fields")
                conn.execute("RELEASE modgate_fields")
            self.store.forget_head()
            raise
        conn.execute("RELEASE modgate_fields")
        self._epoch, self._last = None, ep  # (its facts hold until the state changes: see _current)
        ep.rows, ep.events = [], []
        self.store.set_cached_state(ep.revision, state)
        self.store.forget_head()  # whoever uses the connection next may append on their own

    def discard(self) -> None:
        """After a rollback: nothing buffered happened, and the cached state may hold it."""
        self._epoch = self._last = None
        self.owned.clear()
