"""Light intents on disk: one row per intent (migration ``0400_light_intents``).

The row keeps the pipeline's state, the gates passed, the retries, the artifacts and the latest
outcome, so ``light show``, ``light answer`` and ``light artifacts`` work across processes.
"""

from __future__ import annotations

import sqlite3
from typing import Any

import orjson

from modgate.errors import ModgateError
from modgate.store.db import Database

MIGRATION = "0400_light_intents"


def migrate_light_intents(conn: sqlite3.Connection) -> None:
    conn.execute("""CREATE TABLE light_intents (
        intent_id TEXT PRIMARY KEY, seq INTEGER NOT NULL UNIQUE, created_at REAL NOT NULL, state TEXT NOT NULL,
        status TEXT NOT NULL, retries INTEGER NOT NULL, tx_id TEXT, record TEXT NOT NULL)""")
    conn.execute("CREATE INDEX light_intents_tx ON light_intents(tx_id)")


def save(db: Database, record: dict[str, Any], now: float) -> None:
    body = orjson.dumps(record).decode()
    with db.atomic() as conn:
        updated = conn.execute("UPDATE light_intents SET state=?, status=?, retries=?, tx_id=?, record=?"
                               " WHERE intent_id=?", (record["state"], record["status"], record["retries"],
                                                      record.get("txId"), body, record["intentId"])).rowcount
        if not updated:
            seq = conn.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM light_intents").fetchone()[0]
            conn.execute("INSERT INTO light_intents(intent_id, seq, created_at, state, status, retries, tx_id,"
                         " record) VALUES (?,?,?,?,?,?,?,?)", (record["intentId"], seq, now, record["state"],
                                                               record["status"], record["retries"],
                                                               record.get("txId"), body))


def load(db: Database, intent_id: str) -> dict[str, Any]:
    rows = db.query("SELECT record FROM light_intents WHERE intent_id=?", (intent_id,))
    if not rows:
        raise ModgateError.make("light-intent-not-found", f"no light intent {intent_id!r}", "intentId")
    record: dict[str, Any] = orjson.loads(rows[0][0])
    return record


def by_tx(db: Database, tx_id: str) -> dict[str, Any] | None:
    rows = db.query("SELECT record FROM light_intents WHERE tx_id=?", (tx_id,))
    return orjson.loads(rows[0][0]) if rows else None
