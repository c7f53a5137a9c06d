"""What modgate keeps about running mods, in its own database (never in a handler-writable folder).

Hook and automation state (``lastRunAt``, ``lastStatus`` ok|failed|permission-denied,
``lastError``, ``nextRunAt``), modsBar output per mod and scope, and runtime settings (the
global run-when-closed consent). A handler cannot forge any of it: the database lives under
``MODGATE_HOME``, which the sandbox never mounts.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import orjson

from modgate.store.db import Database

ALLOW_CLOSED = "allowRunWhenAppClosed"


def migrate_ext_runtime(conn: sqlite3.Connection) -> None:
    for statement in _SCHEMA.split(";"):
        if statement.strip():
            conn.execute(statement)


_SCHEMA = """
    CREATE TABLE ext_run_state (
        install_id TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('hook', 'automation')),
        item_id TEXT NOT NULL,
        claimed_at REAL,
        last_run_at REAL,
        last_status TEXT,
        last_error TEXT,
        next_run_at REAL,
        PRIMARY KEY (install_id, kind, item_id)
    );
    CREATE TABLE ext_mods_bar (
        install_id TEXT NOT NULL,
        scope_key TEXT NOT NULL,
        doc TEXT NOT NULL,
        updated_at REAL NOT NULL,
        PRIMARY KEY (install_id, scope_key)
    )
"""


@dataclass(frozen=True, slots=True, kw_only=True)
class RunState:
    install_id: str
    kind: str
    item_id: str
    claimed_at: float | None = None
    last_run_at: float | None = None
    last_status: str | None = None
    last_error: str | None = None
    next_run_at: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"installId": self.install_id, "kind": self.kind, "itemId": self.item_id,
                "lastRunAt": self.last_run_at, "lastStatus": self.last_status, "lastError": self.last_error,
                "nextRunAt": self.next_run_at}


_COLS = "install_id, kind, item_id, claimed_at, last_run_at, last_status, last_error, next_run_at"


def get(db: Database, install_id: str, kind: str, item_id: str) -> RunState:
    rows = db.query(f"SELECT {_COLS} FROM ext_run_state WHERE install_id=? AND kind=? AND item_id=?",
                    (install_id, kind, item_id))
    if not rows:
        return RunState(install_id=install_id, kind=kind, item_id=item_id)
    r = rows[0]
    return RunState(install_id=r[0], kind=r[1], item_id=r[2], claimed_at=r[3], last_run_at=r[4], last_status=r[5],
                    last_error=r[6], next_run_at=r[7])


def recent(db: Database, limit: int = 20) -> list[RunState]:
    """The most recently run hooks and automations, newest first (for the studio's Extensions page)."""
    rows = db.query(f"SELECT {_COLS} FROM ext_run_state WHERE last_run_at IS NOT NULL"
                    " ORDER BY last_run_at DESC, install_id, kind, item_id LIMIT ?", (limit,))
    return [RunState(install_id=r[0], kind=r[1], item_id=r[2], claimed_at=r[3], last_run_at=r[4], last_status=r[5],
                     last_error=r[6], next_run_at=r[7]) for r in rows]


def claim(db: Database, install_id: str, kind: str, item_id: str, now: float, debounce_ms: int) -> bool:
    """Take the right to run now, atomically: False when the last claim is under ``debounce_ms`` old.

    Claiming in one write transaction is what makes concurrent events for one hook debounce
    correctly across processes (the second sees the first's claim). Without a debounce there is
    nothing to claim (and no commit to pay for).
    """
    if debounce_ms <= 0:
        return True
    with bookkeeping(db) as conn:
        row = conn.execute("SELECT claimed_at FROM ext_run_state WHERE install_id=? AND kind=? AND item_id=?",
                           (install_id, kind, item_id)).fetchone()
        last = row[0] if row else None
        if debounce_ms > 0 and last is not None and (now - last) * 1000 < debounce_ms:
            return False
        conn.execute("INSERT INTO ext_run_state(install_id, kind, item_id, claimed_at) VALUES (?,?,?,?)"
                     " ON CONFLICT(install_id, kind, item_id) DO UPDATE SET claimed_at=excluded.claimed_at",
                     (install_id, kind, item_id, now))
    return True


@contextmanager
def bookkeeping(db: Database) -> Iterator[sqlite3.Connection]:
    """A write of run bookkeeping without an fsync (``synchronous=NORMAL`` for this commit only).

    In WAL mode such a commit survives a crash of modgate, only a power loss may drop it; for
    "when did this hook last run" that is an acceptable price for saving an fsync per event.
    Inside an outer transaction it is a plain savepoint (the outer commit decides).
    """
    relax = not db.in_transaction
    if relax:
        db.execute("PRAGMA synchronous=NORMAL")
    try:
        with db.atomic() as conn:
            yield conn
    finally:
        if relax:
            db.execute("PRAGMA synchronous=FULL")


def record(db: Database, *states: RunState) -> None:
    """Write run states in one transaction (a fan-out of many hooks costs one commit)."""
    with bookkeeping(db) as conn:
        for state in states:
            conn.execute(f"INSERT OR REPLACE INTO ext_run_state({_COLS}) VALUES (?,?,?,?,?,?,?,?)",
                         (state.install_id, state.kind, state.item_id, state.claimed_at, state.last_run_at,
                          state.last_status, state.last_error, state.next_run_at))


def put_mods_bar(db: Database, install_id: str, scope_key: str, doc: dict[str, Any], now: float) -> None:
    with bookkeeping(db) as conn:
        conn.execute("INSERT OR REPLACE INTO ext_mods_bar VALUES (?,?,?,?)",
                     (install_id, scope_key, orjson.dumps(doc).decode(), now))


def mods_bar(db: Database, install_id: str, scope_keys: tuple[str, ...]) -> dict[str, Any] | None:
    """The first stored output among ``scope_keys`` (most specific first)."""
    for key in scope_keys:
        rows = db.query("SELECT doc FROM ext_mods_bar WHERE install_id=? AND scope_key=?", (install_id, key))
        if rows:
            doc: dict[str, Any] = orjson.loads(rows[0][0])
            return doc
    return None


def setting(db: Database, key: str) -> str | None:
    rows = db.query("SELECT value FROM ext_settings WHERE key=?", (key,))
    return str(rows[0][0]) if rows else None


def set_setting(db: Database, key: str, value: str | None) -> None:
    with db.atomic() as conn:
        if value is None:
            conn.execute("DELETE FROM ext_settings WHERE key=?", (key,))
        else:
            conn.execute("INSERT OR REPLACE INTO ext_settings(key, value) VALUES (?,?)", (key, value))
