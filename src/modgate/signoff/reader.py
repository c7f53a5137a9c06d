"""The thin reader: a home's tables and audit log → :class:`~modgate.signoff.model.Facts`.

Reads are bounded by the window; re-measurements (re-validation, re-planning, graph rebuild)
are done here with the pure functions of :mod:`modgate.signoff.remeasure`, once per distinct
input. Everything is read, nothing is written.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

import orjson

from modgate.evidence import CAPABILITY_REJECT, CONTROLLED_FIXTURE, OPERATOR_ROLLBACK, PLANNED_DRILL, PROD_TRAFFIC
from modgate.signoff import remeasure
from modgate.signoff.model import (
    ApplyFact,
    Facts,
    GraphFact,
    ImportFact,
    LightFact,
    RollbackFact,
    TxFact,
    ViolationFact,
    Window,
)
from modgate.tx import machine as m

if TYPE_CHECKING:
    from modgate.app import Runtime
    from modgate.store.db import Database

POLICY_VIOLATION = "capability-policy-violation"
History = dict[str, list[tuple[int, str, str, float]]]  # txId -> [(attemptNo, prev, next, at)]


def read_facts(rt: Runtime, window: Window) -> Facts:
    """Everything task 258 needs from ``rt``'s home, for ``window``."""
    db = rt.db
    fixture_tx, fixture_eps = _fixture_marks(db, window)
    history = _history(db, window)
    txs = _txs(db, window, history, fixture_tx)
    light, notes = _light(rt, window, fixture_tx)
    imports = _imports(rt, window)
    unkept = sum(1 for i in imports if i.revalidated_ok is None)
    if unkept:
        notes += (f"{unkept} import(s) without their package bytes (over 4 MiB): not re-validated, not counted",)
    applies = _applies(db, window, history, fixture_eps) + _gated_executions(rt, window)
    return Facts(window=window, txs=txs, applies=applies,
                 rollbacks=_rollbacks(db, window, history, fixture_eps), imports=imports,
                 graphs=_graphs(rt), light=light, violations=_violations(db, window), notes=notes)


def _fixture_marks(db: Database, window: Window) -> tuple[set[str], set[str]]:
    """Transactions and episodes whose events came from a controlled fixture."""
    rows = db.query("SELECT event_type, correlation_id, json_extract(data, '$.episodeKey') FROM audit"
                    " WHERE created_at > ? AND created_at <= ? AND (event_type IN ('tx.preview', 'tx.apply',"
                    " 'tx.rollback', 'capability.rollback.executed', 'capability.rollback.failed')"
                    " OR event_type LIKE 'light.%') AND instr(data, ?) > 0"
                    " AND json_extract(data, '$.evidenceChannel') = ?",
                    (window.start, window.end, CONTROLLED_FIXTURE, CONTROLLED_FIXTURE))
    # transaction ids, and light intent ids (the light track audits each intent under its id)
    txs = {corr for kind, corr, _ in rows if kind == "tx.preview" or kind.startswith("light.")}
    episodes = {f"{kind}|{ep}" for kind, _, ep in rows if ep}
    return txs, episodes


def _history(db: Database, window: Window) -> History:
    """Transitions made in the window (one range scan), by transaction."""
    out: History = defaultdict(list)
    rows = db.query("SELECT tx_id, attempt_no, prev_state, next_state, at FROM tx_history WHERE at > ? AND at <= ?"
                    " ORDER BY seq", (window.start, window.end))
    for tx_id, attempt, prev, nxt, at in rows:
        out[tx_id].append((attempt, prev, nxt, at))
    return out


def _approved_before(db: Database, tx_id: str, attempt: int) -> bool:
    """An approval of this attempt made before the window (the rare apply the window cut from it)."""
    return bool(db.query("SELECT 1 FROM tx_history WHERE tx_id=? AND attempt_no=? AND prev_state=? AND next_state=?",
                         (tx_id, attempt, m.APPROVAL_PENDING, m.APPROVED)))


def _txs(db: Database, window: Window, history: History, fixture: set[str]) -> tuple[TxFact, ...]:
    rows = db.query("SELECT tx_id, track, kind, state FROM tx WHERE created_at > ? AND created_at <= ? ORDER BY seq",
                    (window.start, window.end))
    out = []
    for tx_id, track, kind, state in rows:
        pending = {a for a, _, nxt, _ in history.get(tx_id, []) if nxt == m.APPROVAL_PENDING}
        out.append(TxFact(tx_id=tx_id, track=track, kind=kind, state=state, approval_attempts=len(pending),
                          channel=CONTROLLED_FIXTURE if tx_id in fixture else PROD_TRAFFIC))
    return tuple(out)


def _applies(db: Database, window: Window, history: History, fixture: set[str]) -> tuple[ApplyFact, ...]:
    tokens = {(t, a) for t, a in db.query("SELECT tx_id, attempt_no FROM tx_approvals")}
    out = []
    for tx_id, entries in history.items():
        approved: set[int] = set()
        for attempt, prev, nxt, _at in entries:
            if nxt == m.APPROVED and prev == m.APPROVAL_PENDING:
                approved.add(attempt)
            if nxt == m.APPLIED and prev == m.APPLYING:
                key = f"{tx_id}:{attempt}"
                seen = attempt in approved or _approved_before(db, tx_id, attempt)
                out.append(ApplyFact(episode_key=key, approved=seen and (tx_id, attempt) in tokens,
                                     channel=CONTROLLED_FIXTURE if f"tx.apply|{key}" in fixture else PROD_TRAFFIC))
    return tuple(out)


def _gated_executions(rt: Runtime, window: Window) -> tuple[ApplyFact, ...]:
    """Bus executions of an approval-required command by a role whose gated commands must wait.

    The bus never executes those (it queues them as transactions), so each one found is an
    apply without approval: written by something that bypassed the bus.
    """
    from modgate import roles

    gated = sorted(name for name in roles.TABLE if roles.queues_gated(name))
    needs = {c for c, spec in rt.host.commands.items() if spec.requires_approval}
    marks = ",".join("?" * len(gated))
    rows = rt.db.query("SELECT seq, command_id, json_extract(data, '$.evidenceChannel') FROM audit"
                       " WHERE created_at > ? AND created_at <= ? AND event_type IN ('dispatch-executed',"
                       f" 'dispatch-undone', 'dispatch-redone') AND role IN ({marks}) ORDER BY seq",
                       (window.start, window.end, *gated))
    return tuple(ApplyFact(episode_key=f"audit#{seq}:{command}", approved=False, channel=channel or PROD_TRAFFIC)
                 for seq, command, channel in rows if command in needs)


def _rollbacks(db: Database, window: Window, history: History, fixture: set[str]) -> tuple[RollbackFact, ...]:
    out = []
    for tx_id, entries in history.items():
        for i, (attempt, _prev, nxt, _at) in enumerate(entries):
            if nxt != m.ROLLBACK_PENDING:
                continue
            key = f"{tx_id}:{attempt}"
            drill = f"tx.rollback|{key}" in fixture
            out.append(RollbackFact(episode_key=key, outcome=_rollback_outcome(entries[i + 1:], attempt),
                                    event_class=PLANNED_DRILL if drill else OPERATOR_ROLLBACK,
                                    channel=CONTROLLED_FIXTURE if drill else PROD_TRAFFIC))
    return tuple(out) + _capability_rollbacks(db, window)


def _rollback_outcome(after: list[tuple[int, str, str, float]], attempt: int) -> str:
    for entry_attempt, _prev, nxt, _at in after:
        if entry_attempt != attempt:
            continue
        if nxt == m.ROLLED_BACK:
            return "succeeded"
        if nxt in (m.FAILED_TERMINAL, m.APPLIED):  # APPLIED again: recovery found nothing rolled back
            return "failed"
    return "pending"


def _capability_rollbacks(db: Database, window: Window) -> tuple[RollbackFact, ...]:
    rows = db.query("SELECT event_type, correlation_id, data FROM audit WHERE created_at > ? AND created_at <= ?"
                    " AND event_type IN ('capability.rollback.executed', 'capability.rollback.failed') ORDER BY seq",
                    (window.start, window.end))
    out = []
    for kind, corr, text in rows:
        data = orjson.loads(text)
        key = data.get("episodeKey") or f"{data.get('transactionId', corr)}:{data.get('attemptNo', '?')}"
        out.append(RollbackFact(episode_key=key, event_class=data.get("eventClass", CAPABILITY_REJECT),
                                outcome="succeeded" if kind.endswith("executed") else "failed",
                                channel=data.get("evidenceChannel", PROD_TRAFFIC)))
    return tuple(out)


def _violations(db: Database, window: Window) -> tuple[ViolationFact, ...]:
    rows = db.query("SELECT event_type, data FROM audit WHERE created_at > ? AND created_at <= ?"
                    " AND event_type LIKE 'capability.%' AND instr(data, ?) > 0 ORDER BY seq",
                    (window.start, window.end, POLICY_VIOLATION))
    out = []
    for kind, text in rows:
        data = orjson.loads(text)
        if POLICY_VIOLATION in (data.get("decisionReasonCode"), data.get("code")):
            out.append(ViolationFact(event_type=kind, channel=data.get("evidenceChannel", PROD_TRAFFIC)))
    return tuple(out)


def has_table(db: Database, name: str) -> bool:
    """A home opened without migrating (an older one, read-only) may lack modgate's newer tables."""
    return bool(db.query("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (name,)))


def _imports(rt: Runtime, window: Window) -> tuple[ImportFact, ...]:
    from modgate.signoff.records import blob

    if not has_table(rt.db, "signoff_imports"):
        return ()
    rows = rt.db.query("SELECT package_sha256, ok, code, path, registered_version, allow_downgrade, channel,"
                       " expected_outcome FROM signoff_imports WHERE created_at > ? AND created_at <= ? ORDER BY seq",
                       (window.start, window.end))
    seen: dict[tuple[str, str | None, int], tuple[bool, str | None, str | None] | None] = {}
    out = []
    for digest, ok, code, path, version, downgrade, channel, expected in rows:
        key = (digest, version, downgrade)
        if key not in seen:
            data = blob(rt.db, digest)
            seen[key] = None if data is None else remeasure.revalidate(
                data, rt.host, registered_version=version, allow_downgrade=bool(downgrade))
        again = seen[key]
        out.append(ImportFact(package_sha256=digest, ok=bool(ok), code=code, path=path, channel=channel,
                              expected_outcome=expected, revalidated_ok=again[0] if again else None,
                              revalidated_code=again[1] if again else None,
                              revalidated_path=again[2] if again else None))
    return tuple(out)


def _graphs(rt: Runtime) -> tuple[GraphFact, ...]:
    """Every module's action graph rebuilt now and dry-run checked (H-KPI-3)."""
    report = rt.verify_graphs()
    problems: dict[str, list[str]] = defaultdict(list)
    for problem in report["problems"]:
        problems[str(problem.get("moduleId", ""))].append(f"{problem.get('code')}@{problem.get('path')}")
    ids = sorted({g.module_id for g in rt.graphs()} | set(problems) - {""})
    return tuple(GraphFact(module_id=i, complete=not problems.get(i), problems=tuple(problems.get(i, [])))
                 for i in ids)


def _light(rt: Runtime, window: Window, fixture: set[str]) -> tuple[tuple[LightFact, ...], tuple[str, ...]]:
    from modgate.signoff import light_facts

    return light_facts.read(rt, window, fixture)


def bases_cache(db: Database, window: Window) -> Any:
    """A loader of the base states of the window's light-track attempts; each document decoded once."""
    docs: dict[tuple[str, int], Any] = {}
    bases = {} if not has_table(db, "signoff_bases") else dict(((t, a), r) for t, a, r in db.query(
        "SELECT b.tx_id, b.attempt_no, b.revisions FROM signoff_bases b JOIN tx t ON t.tx_id=b.tx_id"
        " WHERE t.created_at > ? AND t.created_at <= ?", (window.start, window.end)))

    def doc(domain: str, revision: int) -> Any:
        if (domain, revision) not in docs:
            found = db.query("SELECT doc FROM signoff_docs WHERE domain=? AND revision=?", (domain, revision))
            docs[(domain, revision)] = orjson.loads(found[0][0]) if found else None
        return docs[(domain, revision)]

    def load(tx_id: str, attempt_no: int) -> dict[str, Any] | None:
        revisions = bases.get((tx_id, attempt_no))
        if revisions is None:
            return None
        state = {domain: doc(domain, revision) for domain, revision in orjson.loads(revisions).items()}
        return None if any(v is None for v in state.values()) else state

    return load
