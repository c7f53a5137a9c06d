"""The append-only, hash-chained audit log.

Each row's ``hash`` is sha256 over the previous row's hash and the canonical JSON of the row's
own fields, so editing, deleting or reordering any row breaks every later link. SQLite
triggers refuse UPDATE and DELETE on the table; ``verify`` recomputes the whole chain.
"""

from __future__ import annotations

import hashlib
import itertools
import sqlite3
from collections.abc import Iterable
from typing import Any

import orjson

import modgate.evidence as evidence
from modgate.auditevent import AuditEvent
from modgate.store.db import Database

__all__ = ["GENESIS", "AuditEvent", "append", "chain_hash", "head", "recent", "verify"]

GENESIS = "0" * 64


def _record(seq: int, created_at: float, event: AuditEvent, data: Any) -> dict[str, Any]:
    return {
        "seq": seq,
        "createdAt": created_at,
        "eventType": event.event_type,
        "correlationId": event.correlation_id,
        "commandId": event.command_id,
        "role": event.role,
        "data": data,
    }


def chain_hash(prev_hash: str, record: dict[str, Any]) -> str:
    # Sorted-key orjson is deterministic for the plain records we hash; the chain needs
    # determinism, not RFC 8785 interoperability, and this runs on every dispatch.
    body = orjson.dumps(record, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(prev_hash.encode("ascii") + body).hexdigest()


def head(conn: sqlite3.Connection) -> tuple[int, str]:
    row = conn.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
    return (row[0], row[1]) if row else (0, GENESIS)


def append(conn: sqlite3.Connection, events: Iterable[AuditEvent], now: float,
           known_head: tuple[int, str] | None = None, times: Iterable[float] | None = None) -> tuple[int, str]:
    """Append events inside the caller's transaction (which holds the write lock).

    ``known_head`` skips reading the last row when the caller already knows it within the
    same write transaction; ``times``: each event's own time (buffered events, which were
    stamped with their evidence channel when buffered: a drill running at the flush is not
    theirs), else ``now``. Returns the new head.
    """
    seq, prev = known_head if known_head is not None else head(conn)
    rows = []
    fixture = times is None and evidence.current() is not None
    for event, at in zip(events, times if times is not None else itertools.repeat(now), strict=False):
        now = at
        seq += 1
        # While a drill runs, every event it writes is controlled-fixture evidence (task 258); the
        # caller's event is left as it is.
        data = evidence.stamp(event.data) if fixture else event.data
        # The data is serialised once, with sorted keys: the stored text, and (as a fragment) the
        # same bytes chain_hash's sorted dump of the record would contain.
        text = orjson.dumps(data, option=orjson.OPT_SORT_KEYS)
        body = orjson.dumps(_record(seq, now, event, orjson.Fragment(text)), option=orjson.OPT_SORT_KEYS)
        digest = hashlib.sha256(prev.encode("ascii") + body).hexdigest()
        rows.append((seq, now, event.event_type, event.correlation_id, event.command_id, event.role,
                     text.decode(), prev, digest))
        prev = digest
    conn.executemany(
        "INSERT INTO audit(seq, created_at, event_type, correlation_id, command_id, role, data,"
        " prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?)", rows)
    return seq, prev


def _data(text: str) -> Any:
    try:
        return orjson.loads(text)
    except (orjson.JSONDecodeError, TypeError):  # a tampered row: shown, and reported by verify
        return {"unreadable": str(text)[:200]}


def _row_to_dict(row: tuple[Any, ...]) -> dict[str, Any]:
    seq, created_at, event_type, correlation_id, command_id, role, data, prev_hash, digest = row
    return {
        "seq": seq,
        "createdAt": created_at,
        "eventType": event_type,
        "correlationId": correlation_id,
        "commandId": command_id,
        "role": role,
        "data": _data(data),
        "prevHash": prev_hash,
        "hash": digest,
    }


_COLUMNS = "seq, created_at, event_type, correlation_id, command_id, role, data, prev_hash, hash"


def recent(db: Database, limit: int) -> list[dict[str, Any]]:
    rows = db.query(f"SELECT {_COLUMNS} FROM audit ORDER BY seq DESC LIMIT ?", (limit,))
    return [_row_to_dict(r) for r in reversed(rows)]


def verify(db: Database) -> dict[str, Any]:
    """Chain, anchors, state replay and transaction bindings: see :mod:`modgate.store.verify`."""
    from modgate.store.verify import verify as verify_all

    return verify_all(db)
