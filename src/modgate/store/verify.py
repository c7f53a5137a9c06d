"""``audit --verify``: the chain, its anchors outside the file, and the state bound to it.

What is checked, in one pass over the audit table:

1. the hash chain (sequence, ``prevHash``, ``hash``); a row whose ``data`` is not JSON, or not
   the canonical text modgate writes, is the broken row;
2. the anchors in ``audit.anchors`` (store/anchor.py): every signed ``(count, head)`` must match
   row ``count`` -- a deleted tail or a re-hashed rewrite breaks here;
3. the state: from the last ``state.base`` event, every state change bound to the chain (a
   ``state.commit`` event, or an executed dispatch's one event carrying ``opsHash``) has its ops
   (kept in its journal row, or inline) hashed against the event and replayed; the result must
   equal ``state_domains`` (docs and revisions);
4. the transaction tables: every ``tx`` row's state is the ``nextState`` of its last ``tx.*``
   event, every attempt's ``preview_hash`` the one its preview event announced, every commit's
   ops hash the ``writeSetHash`` its apply/rollback event announced.

The docs/security.md section "Audit" lists what this cannot detect.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import orjson

from modgate.state import JsonObject, Op, apply_ops
from modgate.store import anchor
from modgate.store.audit import GENESIS, chain_hash
from modgate.store.bus_store import STATE_EVENTS
from modgate.store.db import Database

_COLUMNS = "seq, created_at, event_type, correlation_id, command_id, role, data, prev_hash, hash"


class Broken(Exception):
    def __init__(self, seq: int, reason: str, path: str | None = None) -> None:
        super().__init__(reason)
        self.seq, self.reason, self.path = seq, reason, path


@dataclass(slots=True)
class _Replay:
    db: Database
    state: JsonObject = field(default_factory=dict)
    revisions: dict[str, int] = field(default_factory=dict)
    based: bool = False
    last_seq: int = 0

    def feed(self, seq: int, event_type: str, data: Any) -> None:
        if event_type == "state.base":
            for domain, item in data["domains"].items():
                self.state[domain], self.revisions[domain] = item["doc"], int(item["revision"])
            self.based, self.last_seq = True, seq
        elif event_type in STATE_EVENTS and self.based and "opsHash" in data:
            ops_text = self._ops_text(seq, data)
            if "sha256:" + hashlib.sha256(ops_text.encode()).hexdigest() != data["opsHash"]:
                raise Broken(seq, "the ops of this commit (journal row or event) do not match its opsHash",
                             f"journal[{data.get('journalSeq')}]")
            self.state = apply_ops(self.state, [Op.from_dict(o) for o in orjson.loads(ops_text)])
            self.revisions.update({d: int(r) for d, r in data["domains"].items()})
            self.last_seq = seq

    def _ops_text(self, seq: int, data: Any) -> str:
        if data.get("journalSeq") is None:
            return orjson.dumps(data["ops"]).decode()
        rows = self.db.query("SELECT ops FROM journal WHERE seq=?", (data["journalSeq"],))
        if not rows:
            raise Broken(seq, f"journal row {data['journalSeq']} named by this commit is missing",
                         f"journal[{data['journalSeq']}]")
        return str(rows[0][0])

    def finish(self) -> None:
        if not self.based:
            return
        for domain, doc, revision in self.db.query("SELECT domain, doc, revision FROM state_domains"):
            if domain not in self.state:
                continue  # added after the last base by a newer host: not bound yet
            if orjson.loads(doc) != self.state[domain] or revision != self.revisions[domain]:
                raise Broken(self.last_seq, f"the stored state of domain {domain!r} differs from the replay of the"
                             " journal", f"state_domains[{domain}]")


@dataclass(slots=True)
class _TxFacts:
    state: dict[str, tuple[int, str]] = field(default_factory=dict)
    previews: dict[tuple[str, int], str] = field(default_factory=dict)
    write_sets: dict[tuple[str, int, str], str] = field(default_factory=dict)

    def feed(self, seq: int, event_type: str, data: Any) -> None:
        if not event_type.startswith("tx.") or "txId" not in data or "nextState" not in data:
            return
        key = (data["txId"], int(data["attemptNo"]))
        self.state[data["txId"]] = (seq, data["nextState"])
        if "previewHash" in data and event_type == "tx.preview":
            self.previews[key] = data["previewHash"]
        if data.get("writeSetHash") and data["nextState"] == "APPLIED" and event_type == "tx.apply":
            self.write_sets[(*key, "apply")] = data["writeSetHash"]
        if data.get("inverseWriteSetHash"):
            self.write_sets[(*key, "rollback")] = data["inverseWriteSetHash"]

    def check(self, db: Database) -> None:
        for tx_id, state in db.query("SELECT tx_id, state FROM tx"):
            seq, expected = self.state.get(tx_id, (0, None))
            if expected is not None and state != expected:
                raise Broken(seq, f"tx {tx_id} is {state} but its last audit event says {expected}", f"tx[{tx_id}]")
        for tx_id, attempt, digest in db.query("SELECT tx_id, attempt_no, preview_hash FROM tx_attempts"):
            announced = self.previews.get((tx_id, attempt))
            if announced is not None and announced != digest:
                raise Broken(self.state.get(tx_id, (0, ""))[0], f"the preview of {tx_id} attempt {attempt} is not"
                             " the one that was approved", f"tx_attempts[{tx_id}]")
        for tx_id, attempt, operation, ops in db.query(
                "SELECT c.tx_id, c.attempt_no, c.operation, CASE WHEN c.ops = '' THEN j.ops ELSE c.ops END"
                " FROM tx_commits c LEFT JOIN journal j ON j.seq = c.journal_seq"):
            announced = self.write_sets.get((tx_id, attempt, operation))
            if announced is not None and announced != _write_set_hash(ops):
                raise Broken(self.state.get(tx_id, (0, ""))[0], f"the {operation} ops of {tx_id} were edited",
                             f"tx_commits[{tx_id}]")


def _write_set_hash(ops_text: str) -> str:
    body = orjson.dumps(orjson.loads(ops_text), option=orjson.OPT_SORT_KEYS)
    return "sha256:" + hashlib.sha256(body).hexdigest()


def _check_row(row: tuple[Any, ...], prev: str, count: int) -> tuple[str, Any]:
    seq, created_at, event_type, correlation_id, command_id, role, text, prev_hash, digest = row
    if seq != count:
        raise Broken(seq, "sequence gap")
    if prev_hash != prev:
        raise Broken(seq, "prevHash mismatch")
    try:
        data = orjson.loads(text)
    except (orjson.JSONDecodeError, TypeError):
        raise Broken(seq, "the event's data is not JSON") from None
    if orjson.dumps(data).decode() != text:
        raise Broken(seq, "the event's data is not in the canonical form modgate writes")
    record = {"seq": seq, "createdAt": created_at, "eventType": event_type, "correlationId": correlation_id,
              "commandId": command_id, "role": role, "data": data}
    if chain_hash(prev, record) != digest:
        raise Broken(seq, "hash mismatch")
    return str(digest), data


def verify(db: Database) -> dict[str, Any]:
    """``{"ok", "count", "head", "anchored", "unanchoredTail"}`` or ``{"ok": False, "brokenAt", "reason"}``."""
    anchors, anchor_problem = anchor.read(db.path.parent)
    anchored = {a["count"]: a["head"] for a in anchors if a["count"] > 0}
    replay, facts = _Replay(db), _TxFacts()
    prev, count = GENESIS, 0
    try:
        for row in db.conn.execute(f"SELECT {_COLUMNS} FROM audit ORDER BY seq"):
            count += 1
            prev, data = _check_row(row, prev, count)
            if anchored.get(count, prev) != prev:
                raise Broken(count, "this event is not the one the signed anchor recorded (the log was rewritten)")
            try:
                replay.feed(count, row[2], data)
                facts.feed(count, row[2], data)
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                raise Broken(count, f"the event's data is malformed ({type(exc).__name__})") from None
        _check_anchors(anchored, anchor_problem, count)
        replay.finish()
        facts.check(db)
    except Broken as broken:
        out = {"ok": False, "count": count, "brokenAt": broken.seq, "reason": broken.reason}
        return {**out, "path": broken.path} if broken.path else out
    last = max(anchored, default=0)
    return {"ok": True, "count": count, "head": prev, "anchored": last, "unanchoredTail": count - last}


def _check_anchors(anchored: dict[int, str], problem: str | None, count: int) -> None:
    if problem is not None and (count > 0 or "missing" not in problem):
        raise Broken(max(count, 1), problem)
    last = max(anchored, default=0)
    if last > count:
        raise Broken(count, f"a signed anchor records {last} events but the log ends at {count}: its tail was"
                     " deleted")
