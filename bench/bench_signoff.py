"""Beta signoff figures (modgate.signoff, task 258).

* ``signoff.report_ms``: ``modgate.signoff.service.report`` (read every table, re-measure —
  re-plan each light-track transaction on its stored base, re-validate each distinct import,
  rebuild and dry-run every action graph — then compute the KPIs) for a home with
  ``signoff.home_audit_events`` audit events and ``signoff.home_transactions`` transactions.
  Target <= 2,000 ms for 100,000 events and 10,000 transactions. The home is that size in both
  modes (building it takes a few seconds); ``--quick`` only repeats less.
* ``signoff.build_s``: how long building the synthetic home took (not a product figure).

The home is written straight into the tables in one SQLite transaction (the audit chain through
``modgate.store.audit.append``, so it verifies): 30 % light-track, 50 % heavy, 20 % command
transactions, each previewed, approved and applied, one in five rolled back; one import per ten
transactions, half of them rejected; the rest of the audit events are bus dispatch events.
"""

from __future__ import annotations

import itertools
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from benchutil import median_ms

STEPS = ("RECEIVED", "PREVIEWING", "PREVIEW_READY", "APPROVAL_PENDING", "APPROVED", "APPLYING", "APPLIED")


def _tx_rows(i: int, now: float) -> tuple[tuple[Any, ...], tuple[Any, ...], list[tuple[Any, ...]], str]:
    track = "light" if i % 10 < 3 else "heavy" if i % 10 < 8 else "command"
    kind = "ops" if track == "light" else "command"
    tx_id, at = f"tx-{i + 1}", now - 3600 - i
    ops = [{"op": "replace", "path": "/local/tool/penColor", "value": f"#{i % 0xFFFFFF:06x}"}]
    recipe = {"ops": ops} if kind == "ops" else {"commandId": "setTool", "payload": {"tool": "pen"}}
    steps = list(STEPS) + (["ROLLBACK_PENDING", "ROLLED_BACK"] if i % 5 == 0 else [])
    tx = (tx_id, i + 1, at, track, kind, "bench", json.dumps(recipe), "host", "host", steps[-1], 1)
    attempt = (tx_id, 1, at, "local=0", "local=1", "{}", "sha256:x", json.dumps(ops), "{}")
    history = [(tx_id, 1, at, a, b, "host", "host") for a, b in itertools.pairwise(steps)]
    return tx, attempt, history, track


def _events(i: int, track: str, history: list[tuple[Any, ...]]) -> list[Any]:
    from modgate.auditevent import AuditEvent

    out = []
    for tx_id, attempt, _at, prev, nxt, _actor, _role in history:
        stage = {"PREVIEWING": "preview", "APPROVED": "approval", "APPLIED": "apply"}.get(nxt, "preview")
        data = {"txId": tx_id, "attemptNo": attempt, "track": track, "stage": stage, "prevState": prev,
                "nextState": nxt, "episodeKey": f"{tx_id}:{attempt}",
                "evidenceChannel": "controlled_fixture" if i % 2 else "prod_traffic"}
        out.append(AuditEvent(event_type=f"tx.{stage}", correlation_id=tx_id, role="host", data=data))
    return out


def build_home(home: Path, transactions: int, events: int) -> None:
    from modgate.app import open_runtime
    from modgate.modules.starter import new_module_package
    from modgate.signoff.records import sha256
    from modgate.store import audit

    now = time.time()
    with open_runtime(home) as rt, rt.db.atomic() as conn:
        conn.execute("INSERT OR IGNORE INTO signoff_docs SELECT domain, revision, doc FROM state_domains")
        bases = json.dumps(dict(conn.execute("SELECT domain, revision FROM state_domains").fetchall()))
        pending: list[Any] = []
        for i in range(transactions):
            tx, attempt, history, track = _tx_rows(i, now)
            conn.execute("INSERT INTO tx VALUES (?,?,?,?,?,?,?,?,?,?,?, NULL)", tx)
            conn.execute("INSERT INTO tx_attempts VALUES (?,?,?,?,?,?,?,?,?)", attempt)
            conn.executemany("INSERT INTO tx_history(tx_id, attempt_no, at, prev_state, next_state, actor_id,"
                             " actor_role) VALUES (?,?,?,?,?,?,?)", history)
            conn.execute("INSERT INTO tx_approvals VALUES (?,?,1,'h','b','host','host',?,?, 't')",
                         (f"tok-{i}", tx[0], now, now + 900))
            conn.execute("INSERT OR REPLACE INTO signoff_bases VALUES (?, 1, ?)", (tx[0], bases))
            pending += _events(i, track, history)
        packages = [json.dumps(new_module_package(f"bench-{k}")).encode() for k in range(4)] + [b"[]", b"{"]
        for k in range(transactions // 10):
            data = packages[k % len(packages)]
            ok = k % len(packages) < 4
            conn.execute("INSERT OR IGNORE INTO signoff_blobs VALUES (?, ?)", (sha256(data), data))
            conn.execute("INSERT INTO signoff_imports(created_at, package_sha256, size, ok, code, path, module_id,"
                         " registered_version, allow_downgrade, channel) VALUES (?,?,?,?,?,?,?,NULL,0,?)",
                         (now - 60, sha256(data), len(data), int(ok), None if ok else "invalid-package-root",
                          None if ok else "package", None, "controlled_fixture"))
        from modgate.auditevent import AuditEvent

        pending += [AuditEvent(event_type="dispatch-executed", correlation_id=f"cmd-{j}", command_id="setTool",
                               role="host", data={"commandId": "setTool", "meta": {}})
                    for j in range(max(0, events - len(pending)))]
        audit.append(conn, pending[:events], now - 30)


def run(quick: bool) -> dict[str, Any]:
    from modgate.app import open_runtime
    from modgate.signoff.service import report

    transactions, events = 10_000, 100_000
    with tempfile.TemporaryDirectory(prefix="modgate-bench-signoff-") as tmp:
        home = Path(tmp) / "home"
        started = time.perf_counter()
        build_home(home, transactions, events)
        build_s = time.perf_counter() - started
        with open_runtime(home) as rt:
            result = report(rt, now=time.time())
            assert result.kpis[0].denominator == transactions * 3 // 10, result.kpis[0]
            ms = median_ms(lambda: report(rt, now=time.time()), repeat=2 if quick else 5)
    out: dict[str, Any] = {"report_ms": ms, "home_audit_events": events, "home_transactions": transactions,
                           "budget_ms": 2000, "build_s": round(build_s, 2)}
    return {"signoff": out}
