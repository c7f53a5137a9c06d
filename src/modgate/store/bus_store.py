"""The SQLite implementation of the bus's store: state domains, journal, queue, audit.

Every write runs inside ``BEGIN IMMEDIATE``: the handler sees the state as of the moment this
process holds the write lock, so two processes can never apply on a stale base. The decoded
state is cached per global revision; a revision bumped by another process forces a reload.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import orjson

from modgate.bus_fields import FieldWriter
from modgate.bus_model import Commit, Envelope, JournalEntry
from modgate.host.model import CommandSpec
from modgate.state import JsonObject, Op, apply_ops, domains_of
from modgate.store import audit
from modgate.store.anchor import AnchorWriter
from modgate.store.audit import AuditEvent
from modgate.store.db import Database
from modgate.store.grouped import FieldBuffer


def _ops_json(ops: list[Op]) -> str:
    return orjson.dumps([op.to_dict() for op in ops]).decode()


def _ops_from(text: str) -> list[Op]:
    return [Op.from_dict(d) for d in orjson.loads(text)]


class SqliteBusStore:
    """Persistence only: it builds nothing above itself (the composition root is :mod:`modgate.app`).

    ``domains`` maps every state domain to a function giving its initial document for a home that
    does not have it yet (a new home, or an older home opened after an area added a domain).
    """

    def __init__(self, db: Database, domains: Mapping[str, Callable[[], JsonObject]],
                 clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self.clock = clock
        self._cache: tuple[int, JsonObject] | None = None
        # (db epoch, audit head) and the epoch in which _cache was last confirmed.
        self._head: tuple[int, tuple[int, str]] | None = None
        self._cache_epoch = -1
        # The audit chain is anchored outside the database after every commit (store/anchor.py).
        self.anchors = AnchorWriter(db.path.parent)
        self._anchored: tuple[int, str] | None = None
        self._defaults = domains
        if db.read_only:
            return  # a read-only open writes nothing: no anchor, no seeded domain (load fills them in)
        db.after_commit = self._anchor
        self.fields = FieldBuffer(self)
        db.before_use, db.after_rollback = self.fields.flush, self._rolled_back
        self.anchors.adopt(*audit.head(db.conn), clock())
        self._ensure_state(domains)

    def _ensure_state(self, domains: Mapping[str, Callable[[], JsonObject]]) -> None:
        have = {row[0] for row in self.db.query("SELECT domain FROM state_domains")}
        missing = sorted(set(domains) - have)
        based = bool(self.db.query("SELECT 1 FROM meta WHERE key='state_base'"))
        if not missing and based:
            return
        with self.db.atomic() as conn:
            for domain in missing:
                conn.execute(
                    "INSERT OR IGNORE INTO state_domains(domain, doc, revision) VALUES (?,?,0)",
                    (domain, orjson.dumps(domains[domain]()).decode()),
                )
            if conn.execute("INSERT OR IGNORE INTO meta(key, value) VALUES ('state_base', '1')").rowcount:
                self._append_base(conn)
            elif missing:
                self._append_base(conn, set(missing))

    def _append_base(self, conn: Any, only: set[str] | None = None) -> None:
        """The replay's starting point: the docs as they are now (all, or the domains just added)."""
        rows = conn.execute("SELECT domain, doc, revision FROM state_domains ORDER BY domain").fetchall()
        docs = {d: {"doc": orjson.loads(doc), "revision": rev} for d, doc, rev in rows if only is None or d in only}
        event = AuditEvent(event_type="state.base", correlation_id="state", data={"domains": docs})
        self.append_audit(conn, [event], self.clock())

    # -- reads --------------------------------------------------------------------------------
    def revision(self) -> int:
        return int(self.db.query("SELECT value FROM meta WHERE key='revision'")[0][0])

    def load(self) -> tuple[int, JsonObject]:
        """Current (revision, state); reuses the decoded state while the revision is unchanged."""
        rev = self.revision()
        found = self.cached_state_at(self.db.conn, rev)
        self._shared()
        return found

    def cached_state_at(self, conn: Any, rev: int | None = None) -> tuple[int, JsonObject]:
        """(revision, state) as stored now, reusing the cache while the revision is unchanged.
        Reads through ``conn`` (no flush): the field buffer calls it inside its own write."""
        if rev is None:
            rev = int(conn.execute("SELECT value FROM meta WHERE key='revision'").fetchone()[0])
        if self._cache is not None and self._cache[0] == rev:
            return self._cache
        state = {d: orjson.loads(doc) for d, doc in conn.execute("SELECT domain, doc FROM state_domains")}
        for domain in set(self._defaults) - set(state):  # only on a read-only open of an older home
            state[domain] = self._defaults[domain]()
        self.set_cached_state(rev, state)
        assert self._cache is not None
        return self._cache

    # The field buffer writes the cached state in place where it owns the objects (grouped.py);
    # whoever else gets the state, or replaces it, makes it shared again.
    def cached_state(self) -> JsonObject:
        assert self._cache is not None
        return self._cache[1]

    def replace_cached_state(self, state: JsonObject) -> None:
        assert self._cache is not None
        self._cache = (self._cache[0], state)

    def set_cached_state(self, rev: int, state: JsonObject) -> None:
        if self._cache is None or self._cache[1] is not state:
            self._shared()
        self._cache = (rev, state)

    def field_writer(self, spec: CommandSpec, tokens: tuple[str, ...]) -> FieldWriter | None:
        """The bus's field path (:mod:`modgate.store.grouped`); none on a read-only open."""
        return None if self.db.read_only else self.fields.writer(spec, tokens)

    def forget_head(self) -> None:
        """Someone else may append to the audit now: read the head again next time."""
        self._head = None

    def _flush_fields(self) -> None:
        if not self.db.read_only and self.fields.pending:
            self.fields.flush()

    def _shared(self) -> None:
        if not self.db.read_only:
            self.fields.owned.clear()

    def _rolled_back(self) -> None:
        self.fields.discard()
        self._cache, self._cache_epoch, self._head = None, -1, None

    def state(self) -> JsonObject:
        return self.load()[1]

    def domain_revisions(self) -> dict[str, int]:
        return {d: r for d, r in self.db.query("SELECT domain, revision FROM state_domains ORDER BY domain")}

    # -- BusStore protocol ----------------------------------------------------------------------
    @contextmanager
    def write(self) -> Iterator[_SqliteSession]:
        with self.db.atomic():
            if self._cache is not None and self._cache_epoch == self.db.epoch:
                rev, state = self._cache  # confirmed earlier in this same write transaction
            else:
                rev, state = self.load()
                self._cache_epoch = self.db.epoch
            self._shared()
            session = _SqliteSession(self, rev, state)
            try:
                yield session
            except BaseException:
                self._cache_epoch, self._head = -1, None
                raise
            if session.new_cache is not None:
                self.set_cached_state(*session.new_cache)
        if self.db.in_transaction:
            return
        # Committed at top level: the next write re-reads what other processes may change.
        self._cache_epoch, self._head = -1, None

    def audit_head(self, conn: Any) -> tuple[int, str]:
        """The audit head, known without a read when this transaction appended last."""
        if self._head is not None and self._head[0] == self.db.epoch:
            return self._head[1]
        return audit.head(conn)

    def append_audit(self, conn: Any, events: list[AuditEvent], now: float) -> None:
        """Append ``events`` to the chain in the caller's transaction (after any buffered field
        events: they come first, whatever connection the caller holds)."""
        self._flush_fields()
        self._head = (self.db.epoch, audit.append(conn, events, now, self.audit_head(conn)))

    def append_raw_audit(self, conn: Any, events: list[audit.RawEvent], head: tuple[int, str]) -> None:
        """Append buffered events (each with its own time) after ``head``, read in this transaction."""
        self._head = (self.db.epoch, audit.append_raw(conn, events, head))

    def _anchor(self) -> None:
        """After every top-level COMMIT: anchor the audit head when it moved.

        Read from the table, not from what this object appended, so rows written by any appender
        (installer, grants) are anchored too; a head committed meanwhile by another process is a
        committed row as well, so anchoring it is just as true.
        """
        head = audit.head(self.db.conn)
        if head != self._anchored and head[0] > 0:
            self._anchored = head
            self.anchors.append(head[0], head[1], self.clock())

    def record(self, events: list[AuditEvent]) -> None:
        with self.db.atomic() as conn:
            self.append_audit(conn, events, self.clock())

    def idempotent_result(self, key: str, now: float) -> Envelope | None:
        rows = self.db.query("SELECT result, expires_at FROM idempotency WHERE key=?", (key,))
        if rows and rows[0][1] > now:
            result: Envelope = orjson.loads(rows[0][0])
            return result
        return None

    def admit(self, role: str, minute: int, limit: int) -> bool:
        """Count one dispatch of ``role`` in this minute's window, under the write lock."""
        with self.db.atomic() as conn:
            row = conn.execute("SELECT count FROM dispatch_rate WHERE role=? AND minute=?", (role, minute)).fetchone()
            if row is not None and row[0] >= limit:
                return False
            conn.execute("DELETE FROM dispatch_rate WHERE minute < ?", (minute,))  # one window per role
            conn.execute("INSERT INTO dispatch_rate(role, minute, count) VALUES (?,?,1) ON CONFLICT(role, minute)"
                         " DO UPDATE SET count=count+1", (role, minute))
        return True

    def journal_lookup(self, action: str, scope: str) -> tuple[int, list[Op]] | None:
        self._flush_fields()  # the buffered edits are the newest
        return find_edit(self.db.conn, scope, undo=action == "undo")

    # -- journal ----------------------------------------------------------------------------------
    def journal(self, limit: int = 50) -> list[JsonObject]:
        rows = self.db.query(
            "SELECT seq, created_at, command_id, role, scope, kind, ops, status, ref_seq, revision FROM journal"
            " ORDER BY seq DESC LIMIT ?", (limit,))
        keys = ("seq", "createdAt", "commandId", "role", "scope", "kind", "ops", "status", "refSeq", "revision")
        out = [dict(zip(keys, r, strict=True)) for r in reversed(rows)]
        for item in out:
            item["ops"] = orjson.loads(item["ops"])
        return out


def find_edit(conn: Any, scope: str, *, undo: bool) -> tuple[int, list[Op]] | None:
    """The edit undo would reverse (newest done; its inverse) or redo would replay (oldest undone)."""
    row = conn.execute(
        f"SELECT seq, ops, inverse FROM journal WHERE scope=? AND kind='edit' AND status=? ORDER BY seq"
        f" {'DESC' if undo else 'ASC'} LIMIT 1", (scope, "done" if undo else "undone")).fetchone()
    if row is None:
        return None
    return row[0], _ops_from(row[2] if undo else row[1])


def ops_hash(ops_text: str) -> str:
    return "sha256:" + hashlib.sha256(ops_text.encode("utf-8")).hexdigest()


def state_event(commit: Commit, revision: int, domains: dict[str, int], journal_seq: int | None,
                ops_text: str | None = None) -> AuditEvent:
    """Binds a state change to the chain: its ops (by hash, or inline when no journal row keeps
    them) and the resulting revisions, so ``audit --verify`` can replay and compare the state.
    ``ops_text``: the ops' JSON when the caller already made it (the journal row's)."""
    text = _ops_json(commit.ops) if ops_text is None else ops_text
    if journal_seq is None:
        # Inline ops are stored in the event's data, which is written with sorted keys: hash them
        # in that form, the one ``audit --verify`` re-serialises.
        text = orjson.dumps(orjson.loads(text), option=orjson.OPT_SORT_KEYS).decode()
    data: JsonObject = {"revision": revision, "domains": domains, "opsHash": ops_hash(text), "journalSeq": journal_seq}
    if journal_seq is None:
        data["ops"] = orjson.loads(text)
    entry = commit.journal
    return AuditEvent(event_type="state.commit", correlation_id=f"rev-{revision}",
                      command_id=entry.command_id if entry else None, role=entry.role if entry else None, data=data)


# An executed dispatch's one audit event carries its state change (revision, domains, opsHash,
# journalSeq); a commit without such an event (a transaction's) records a ``state.commit`` event.
STATE_EVENTS = frozenset({"state.commit", "dispatch-executed", "dispatch-undone", "dispatch-redone"})


def bind_state(events: list[AuditEvent], binding: AuditEvent) -> list[AuditEvent]:
    last = events[-1] if events else None
    if last is None or last.event_type not in STATE_EVENTS or "opsHash" in last.data:
        return [*events, binding]
    merged = AuditEvent(event_type=last.event_type, correlation_id=last.correlation_id, command_id=last.command_id,
                        role=last.role, data={**last.data, **binding.data})
    return [*events[:-1], merged]


class _SqliteSession:
    def __init__(self, store: SqliteBusStore, revision: int, state: JsonObject) -> None:
        self._store = store
        self._conn = store.db.conn
        self.revision = revision
        self.state = state
        self.new_cache: tuple[int, JsonObject] | None = None

    def idempotent(self, key: str, now: float) -> Envelope | None:
        return self._store.idempotent_result(key, now)

    def last_undoable(self, scope: str) -> tuple[int, list[Op]] | None:
        return find_edit(self._conn, scope, undo=True)

    def next_redoable(self, scope: str) -> tuple[int, list[Op]] | None:
        return find_edit(self._conn, scope, undo=False)

    def commit(self, commit: Commit) -> int:
        if commit.decision is not None:  # SQLite approvals are transactions (modgate.tx.approvals)
            raise TypeError("the SQLite store decides approvals through the transaction engine")
        conn, now = self._conn, self._store.clock()
        revision = self.revision
        events = commit.events
        if commit.ops:
            revision, domains = self._write_state(commit.ops)
        journal_seq, ops_text = None, None
        if commit.journal is not None:
            journal_seq, ops_text = self._write_journal(commit.journal, now, revision)
            if commit.journal.ops is not commit.ops:
                ops_text = None  # the journal row's ops are not the commit's: hash the commit's own
        if commit.ops:
            events = bind_state(events, state_event(commit, revision, domains, journal_seq, ops_text))
        for seq, status in commit.journal_status:
            conn.execute("UPDATE journal SET status=? WHERE seq=?", (status, seq))
        self._store.append_audit(conn, events, now)
        if commit.idempotency is not None:
            key, envelope, expires = commit.idempotency
            conn.execute("INSERT OR REPLACE INTO idempotency(key, result, expires_at) VALUES (?,?,?)",
                         (key, orjson.dumps(envelope).decode(), expires))
        return revision

    def _write_state(self, ops: list[Op]) -> tuple[int, dict[str, int]]:
        new_state = apply_ops(self.state, ops)
        domains = {}
        for domain in sorted(domains_of(ops)):
            row = self._conn.execute("UPDATE state_domains SET doc=?, revision=revision+1 WHERE domain=?"
                                     " RETURNING revision", (orjson.dumps(new_state[domain]).decode(), domain)
                                     ).fetchone()
            domains[domain] = int(row[0]) if row else 0
        revision = self.revision + 1
        self._conn.execute("UPDATE meta SET value=? WHERE key='revision'", (str(revision),))
        self.new_cache = (revision, new_state)
        return revision, domains

    def _write_journal(self, entry: JournalEntry, now: float, revision: int) -> tuple[int, str]:
        """(the new row's seq, its ops as JSON)."""
        if entry.kind == "edit":
            # A new edit ends the redo stack of its scope.
            self._conn.execute("UPDATE journal SET status='dead' WHERE scope=? AND status='undone'", (entry.scope,))
        ops_text = _ops_json(entry.ops)
        cursor = self._conn.execute(
            "INSERT INTO journal(created_at, command_id, role, scope, kind, ops, inverse, status, ref_seq, revision)"
            " VALUES (?,?,?,?,?,?,?, 'done', ?, ?)",
            (now, entry.command_id, entry.role, entry.scope, entry.kind, ops_text,
             _ops_json(entry.inverse), entry.ref_seq, revision))
        return int(cursor.lastrowid or 0), ops_text
