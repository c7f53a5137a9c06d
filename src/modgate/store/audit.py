"""The append-only, hash-chained audit log.

Each row's ``hash`` is sha256 over the previous row's hash and the canonical JSON of the row's
own fields, so editing, deleting or reordering any row breaks every later link. SQLite
triggers refuse UPDATE and DELETE on the table; ``verify`` recomputes the whole chain.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Iterable
from typing import Any

import orjson

import modgate.evidence as evidence
from modgate.auditevent import AuditEvent
from modgate.store.db import Database

__all__ = ["GENESIS", "AuditEvent", "RawEvent", "append", "append_raw", "chain_hash", "head", "recent", "verify"]

GENESIS = "0" * 64


def _record(seq: int, created_at: float, event_type: str, correlation_id: str, command_id: str | None,
            role: str | None, data: Any) -> dict[str, Any]:
    return {
        "seq": seq,
        "createdAt": created_at,
        "eventType": event_type,
        "correlationId": correlation_id,
        "commandId": command_id,
        "role": role,
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


# An event as the chain stores it: (createdAt, eventType, correlationId, commandId, role, data).
RawEvent = tuple[float, str, str, "str | None", "str | None", "dict[str, Any]"]


def append(conn: sqlite3.Connection, events: Iterable[AuditEvent], now: float,
           known_head: tuple[int, str] | None = None) -> tuple[int, str]:
    """Append events inside the caller's transaction (which holds the write lock).

    ``known_head`` skips reading the last row when the caller already knows it within the
    same write transaction. Returns the new head.
    """
    return append_raw(conn, ((now, e.event_type, e.correlation_id, e.command_id, e.role, e.data) for e in events),
                      known_head, stamp=True)


def append_raw(conn: sqlite3.Connection, events: Iterable[RawEvent], known_head: tuple[int, str] | None = None,
               *, stamp: bool = False) -> tuple[int, str]:
    """:func:`append` for events given as :data:`RawEvent` tuples, each with its own time (the
    bus store's buffered field writes). ``stamp``: mark them with the evidence channel of a drill
    running now -- not for buffered events, stamped when they were buffered (a drill running at
    the flush is not theirs)."""
    seq, prev = known_head if known_head is not None else head(conn)
    rows = []
    fixture = stamp and evidence.current() is not None
    for at, event_type, correlation_id, command_id, role, data in events:
        seq += 1
        # While a drill runs, every event it writes is controlled-fixture evidence (task 258); the
        # caller's event is left as it is.
        if fixture:
            data = evidence.stamp(data)
        # The data is serialised once, with sorted keys: the stored text, and (as a fragment) the
        # same bytes chain_hash's sorted dump of the record would contain.
        text = orjson.dumps(data, option=orjson.OPT_SORT_KEYS)
        body = orjson.dumps(_record(seq, at, event_type, correlation_id, command_id, role, orjson.Fragment(text)),
                            option=orjson.OPT_SORT_KEYS)
        digest = hashlib.sha256(prev.encode("ascii") + body).hexdigest()
        rows.append((seq, at, event_type, correlation_id, command_id, role, text.decode(), prev, digest))
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
