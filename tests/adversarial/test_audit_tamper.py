"""Finding 3: tampering that the in-database hash chain alone did not detect.

Each case builds a small history (host edits, a student's change approved and rolled back),
closes the home, tampers with the SQLite file directly (dropping the append-only triggers
first, as an attacker would), and expects ``audit --verify`` to report the break.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest
from tests.adversarial.helpers import run_cli

from modgate.app import open_runtime
from modgate.store import audit
from modgate.store.audit import GENESIS, chain_hash


def _history(home: Path) -> None:
    rt = open_runtime(home)
    try:
        assert rt.bus.dispatch("addPage")["ok"]
        assert rt.bus.dispatch("setTool", {"tool": "eraser"})["ok"]
        tx_id = rt.bus.dispatch("addPage", role="student")["approvalId"]
        assert rt.bus.approve(tx_id)["ok"]
        assert rt.tx.rollback(tx_id)["ok"]
        assert rt.bus.dispatch("addPage")["ok"]
        assert audit.verify(rt.db)["ok"]
    finally:
        rt.close()


def _rehash(conn: sqlite3.Connection) -> None:
    """Renumber and re-hash the whole chain, as a careful attacker would."""
    rows = conn.execute("SELECT seq, created_at, event_type, correlation_id, command_id, role, data FROM audit"
                        " ORDER BY seq").fetchall()
    conn.execute("DELETE FROM audit")
    prev = GENESIS
    for n, (_, created, etype, corr, cmd, role, data) in enumerate(rows, 1):
        record = {"seq": n, "createdAt": created, "eventType": etype, "correlationId": corr, "commandId": cmd,
                  "role": role, "data": orjson.loads(data)}
        digest = chain_hash(prev, record)
        conn.execute("INSERT INTO audit VALUES (?,?,?,?,?,?,?,?,?)", (n, created, etype, corr, cmd, role, data,
                                                                         prev, digest))
        prev = digest


def _tamper(home: Path, sql: Callable[[sqlite3.Connection], None]) -> None:
    conn = sqlite3.connect(home / "modgate.sqlite3", isolation_level=None)
    conn.execute("DROP TRIGGER audit_no_update")
    conn.execute("DROP TRIGGER audit_no_delete")
    conn.execute("BEGIN")
    sql(conn)
    conn.execute("COMMIT")
    conn.close()


def _delete_tail(conn: sqlite3.Connection) -> None:
    conn.execute("DELETE FROM audit WHERE seq > (SELECT MAX(seq) - 3 FROM audit)")


def _erase_tx_events(conn: sqlite3.Connection) -> None:
    conn.execute("DELETE FROM audit WHERE event_type LIKE 'tx.%'")
    _rehash(conn)


def _edit_state(conn: sqlite3.Connection) -> None:
    conn.execute("UPDATE state_domains SET doc=json_set(doc, '$.tool.activeTool', 'pen') WHERE domain='local'")


def _edit_journal(conn: sqlite3.Connection) -> None:
    conn.execute("UPDATE journal SET ops='[]' WHERE seq=(SELECT MIN(seq) FROM journal)")


def _edit_tx(conn: sqlite3.Connection) -> None:
    conn.execute("UPDATE tx SET state='APPLIED'")


def _edit_attempt(conn: sqlite3.Connection) -> None:
    conn.execute("UPDATE tx_attempts SET preview_hash='sha256:' || hex(randomblob(32))")


def _edit_commit_log(conn: sqlite3.Connection) -> None:
    conn.execute("UPDATE tx_commits SET ops='[]' WHERE operation='apply'")


def _not_json(conn: sqlite3.Connection) -> None:
    conn.execute("UPDATE audit SET data='{not json' WHERE seq=2")


def _not_canonical(conn: sqlite3.Connection) -> None:
    conn.execute("UPDATE audit SET data=' ' || data WHERE seq=2")
    _rehash(conn)


CASES = {"delete-tail": _delete_tail, "erase-tx-events-and-rehash": _erase_tx_events, "edit-state": _edit_state,
         "edit-journal": _edit_journal, "edit-tx": _edit_tx, "edit-attempt": _edit_attempt,
         "edit-commit-log": _edit_commit_log, "data-not-json": _not_json, "data-not-canonical": _not_canonical}


@pytest.mark.parametrize("case", sorted(CASES))
def test_tampering_is_detected(case: str, modgate_home: Path) -> None:
    _history(modgate_home)
    _tamper(modgate_home, CASES[case])
    done = run_cli(modgate_home, "audit", "--verify", "--json")
    out = json.loads(done.stdout)
    assert done.returncode == 1 and out["code"] == "audit-chain-broken", (done.stdout, done.stderr)
    assert out["verify"]["reason"]
    if case.startswith("data-"):
        assert out["path"] == "audit[2]"


def test_a_deleted_anchor_file_is_detected(modgate_home: Path) -> None:
    _history(modgate_home)
    (modgate_home / "audit.anchors").unlink()
    rt = open_runtime(modgate_home)  # opening (and writing) must not silently start a new file
    try:
        assert rt.bus.dispatch("setTool", {"tool": "pen"})["ok"]
        check = audit.verify(rt.db)
        assert not check["ok"] and "missing" in check["reason"]
    finally:
        rt.close()


def test_an_untouched_home_verifies_fully_anchored(modgate_home: Path, tmp_path: Path) -> None:
    from tests.ext_helpers import sample_files, write_package

    from modgate.ext.installer import Installer

    _history(modgate_home)
    rt = open_runtime(modgate_home)
    try:  # the installer appends its own audit rows: they are anchored like the bus's
        Installer(rt.tx, modgate_home).install(str(write_package(tmp_path / "pkg", sample_files())),
                                                  host="codexchat", consent=lambda review: True)
        check = audit.verify(rt.db)
        assert check["ok"] and check["unanchoredTail"] == 0 and check["anchored"] == check["count"]
    finally:
        rt.close()
