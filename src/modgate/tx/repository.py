"""The transaction tables as frozen rows: the engine's reads, in one place.

Writes stay with the engine because each one is part of a state transition (compare-and-set,
history and audit in one SQLite transaction); everything the engine, the CLI and the studio
read comes from here. Tables: ``tx``, ``tx_attempts``, ``tx_history``, ``tx_approvals``,
``tx_commits`` (ops stored once: an apply that has a journal row points at it),
``tx_idempotency`` (see :mod:`modgate.tx.schema`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import orjson

from modgate.state import JsonObject, Op
from modgate.store.db import Database
from modgate.tx.model import tx_error
from modgate.tx.previews import expand

_ROW = ("txId", "track", "kind", "title", "recipe", "requestedBy", "requestedRole", "state", "attemptNo",
        "result", "createdAt")
_HISTORY = ("seq", "attemptNo", "at", "prevState", "nextState", "actorId", "actorRole", "code", "message")
_LISTED = ("txId", "track", "kind", "title", "requestedBy", "requestedRole", "state", "attemptNo", "createdAt",
           "previewHash", "plan", "payload", "baseRevision", "candidateRevision")


def ops_of(text: str) -> list[Op]:
    return [Op.from_dict(d) for d in orjson.loads(text)]


@dataclass(frozen=True, slots=True, kw_only=True)
class TxRow:
    """One row of ``tx``, decoded."""

    tx_id: str
    track: str
    kind: str
    title: str
    recipe: JsonObject
    requested_by: str
    requested_role: str
    state: str
    attempt_no: int
    result: JsonObject | None
    created_at: float

    def to_dict(self) -> JsonObject:
        """The engine's working copy (camelCase keys, as the protocol's JSON says them)."""
        values = (self.tx_id, self.track, self.kind, self.title, self.recipe, self.requested_by,
                  self.requested_role, self.state, self.attempt_no, self.result, self.created_at)
        return dict(zip(_ROW, values, strict=True))


class TxRepository:
    def __init__(self, db: Database) -> None:
        self.db = db

    def row(self, tx_id: str) -> TxRow:
        rows = self.db.query(
            "SELECT tx_id, track, kind, title, recipe, requested_by, requested_role, state, attempt_no, result,"
            " created_at FROM tx WHERE tx_id=?", (tx_id,))
        if not rows:
            raise tx_error("tx-not-found", f"no transaction {tx_id!r}", "txId")
        tx_id, track, kind, title, recipe, by, role, state, attempt_no, result, created = rows[0]
        return TxRow(tx_id=tx_id, track=track, kind=kind, title=title, recipe=orjson.loads(recipe),
                     requested_by=by, requested_role=role, state=state, attempt_no=attempt_no,
                     result=orjson.loads(result) if result else None, created_at=created)

    def attempt(self, tx_id: str, attempt_no: int, *, part: Literal["preview", "ops"] | None = None) -> JsonObject:
        """An attempt's facts; the (large) ``preview`` or ``ops`` only when ``part`` names it."""
        columns = "base_revision, candidate_revision, preview_hash, plan_info" + (f", {part}" if part else "")
        rows = self.db.query(f"SELECT {columns} FROM tx_attempts WHERE tx_id=? AND attempt_no=?",
                             (tx_id, attempt_no))
        if not rows:
            raise tx_error("tx-not-found", f"transaction {tx_id} has no attempt {attempt_no}", "attemptNo")
        base, candidate, digest, info = rows[0][:4]
        out = {"baseRevision": base, "candidateRevision": candidate, "previewHash": digest,
               "info": orjson.loads(info)}
        if part == "preview":
            out["preview"] = expand(orjson.loads(rows[0][4]))
        elif part == "ops":
            out["ops"] = ops_of(rows[0][4])
        return out

    def history(self, tx_id: str) -> list[JsonObject]:
        return [dict(zip(_HISTORY, r, strict=True))
                for r in self.db.query("SELECT seq, attempt_no, at, prev_state, next_state, actor_id, actor_role,"
                                       " code, message FROM tx_history WHERE tx_id=? ORDER BY seq", (tx_id,))]

    def list_tx(self, state: str | None = None, kind: str | None = None, track: str | None = None
                ) -> list[JsonObject]:
        sql = ("SELECT t.tx_id, t.track, t.kind, t.title, t.requested_by, t.requested_role, t.state, t.attempt_no,"
               " t.created_at, a.preview_hash, a.plan_info, json_extract(t.recipe, '$.payload'), a.base_revision,"
               " a.candidate_revision FROM tx t"
               " JOIN tx_attempts a ON a.tx_id=t.tx_id AND a.attempt_no=t.attempt_no")
        filters = [(column, value) for column, value in (("t.state", state), ("t.kind", kind), ("t.track", track))
                   if value]
        if filters:
            sql += " WHERE " + " AND ".join(f"{column}=?" for column, _ in filters)
        out = []
        for row in self.db.query(sql + " ORDER BY t.seq", [value for _, value in filters]):
            item = dict(zip(_LISTED, row, strict=True))
            item["plan"] = orjson.loads(item["plan"])
            item["payload"] = orjson.loads(item["payload"]) if item["payload"] is not None else None
            out.append(item)
        return out

    def latest_token(self, tx_id: str, attempt_no: int) -> str | None:
        rows = self.db.query("SELECT token FROM tx_approvals WHERE tx_id=? AND attempt_no=? ORDER BY decided_at DESC"
                             " LIMIT 1", (tx_id, attempt_no))
        return str(rows[0][0]) if rows else None

    def idempotent(self, key: str) -> tuple[str, str, JsonObject] | None:
        """(txId, operation, result) stored under an apply/rollback idempotency key."""
        rows = self.db.query("SELECT tx_id, operation, result FROM tx_idempotency WHERE key=?", (key,))
        return (rows[0][0], rows[0][1], orjson.loads(rows[0][2])) if rows else None

    def blocked_by(self) -> str:
        """The transaction whose failed rollback blocks applies, or ''."""
        rows = self.db.query("SELECT value FROM meta WHERE key='tx_blocked'")
        return str(rows[0][0] or "") if rows else ""

    def applied_ops(self, tx_id: str, attempt_no: int) -> tuple[list[Op], list[Op], int | None]:
        """The apply's ops and inverse: from its journal row when it has one (stored once)."""
        ops, inverse, journal_seq = self.db.query(
            "SELECT ops, inverse, journal_seq FROM tx_commits WHERE tx_id=? AND attempt_no=? AND operation='apply'",
            (tx_id, attempt_no))[0]
        if ops == "" and journal_seq is not None:
            ops, inverse = self.db.query("SELECT ops, inverse FROM journal WHERE seq=?", (journal_seq,))[0]
        return ops_of(ops), ops_of(inverse), journal_seq

    def committed(self, tx_id: str, attempt_no: int, operation: str) -> bool:
        return bool(self.db.query("SELECT commit_id FROM tx_commits WHERE tx_id=? AND attempt_no=? AND operation=?",
                                  (tx_id, attempt_no, operation)))

    def in_states(self, *states: str) -> list[str]:
        marks = ", ".join("?" for _ in states)
        return [r[0] for r in self.db.query(f"SELECT tx_id FROM tx WHERE state IN ({marks}) ORDER BY seq", states)]

    def approved_with_expiry(self, approved_state: str) -> list[tuple[str, Any]]:
        return [(r[0], r[1]) for r in self.db.query(
            "SELECT t.tx_id, (SELECT MAX(a.expires_at) FROM tx_approvals a WHERE a.tx_id=t.tx_id"
            " AND a.attempt_no=t.attempt_no) FROM tx t WHERE t.state=? ORDER BY t.seq", (approved_state,))]
