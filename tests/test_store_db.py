from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path

import pytest
from tests.clihelp import run_json

from modgate.app import migrations, open_runtime
from modgate.errors import StoreError
from modgate.store.db import Database, translate

MIGRATIONS = migrations()


def test_migrations_are_recorded_once(tmp_path: Path) -> None:
    db = Database(tmp_path / "x.sqlite3")
    assert db.migrate(MIGRATIONS) == [name for name, _ in MIGRATIONS]
    assert db.migrate(MIGRATIONS) == []
    assert db.query("PRAGMA journal_mode")[0][0] == "wal"
    assert db.query("PRAGMA synchronous")[0][0] == 2  # FULL
    db.close()


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    db = Database(tmp_path / "x.sqlite3")
    db.migrate(MIGRATIONS)
    db.execute("INSERT INTO schema_migrations(name) VALUES ('9999_from_the_future')")
    with pytest.raises(StoreError) as info:
        db.migrate(MIGRATIONS)
    assert info.value.code == "store-schema-too-new"
    db.close()


def test_failed_migration_leaves_nothing(tmp_path: Path) -> None:
    def bad(conn: sqlite3.Connection) -> None:
        conn.execute("CREATE TABLE t (x)")
        raise sqlite3.OperationalError("disk I/O error")

    db = Database(tmp_path / "x.sqlite3")
    with pytest.raises(StoreError) as info:
        db.migrate([("0001_bad", bad)])
    assert info.value.code == "store-error"
    assert db.query("SELECT name FROM sqlite_master WHERE name='t'") == []
    db.close()


def test_atomic_nests_with_savepoints(tmp_path: Path) -> None:
    db = Database(tmp_path / "x.sqlite3")
    db.execute("CREATE TABLE t (x)")
    with db.atomic() as conn:
        conn.execute("INSERT INTO t VALUES (1)")
        with pytest.raises(ValueError), db.atomic() as inner:
            inner.execute("INSERT INTO t VALUES (2)")
            raise ValueError
    assert db.query("SELECT x FROM t") == [(1,)]
    db.close()


def test_audit_rows_cannot_be_changed(modgate_home: Path) -> None:
    rt = open_runtime()
    rt.bus.dispatch("setTool", {"tool": "hand"})
    with pytest.raises(StoreError):
        rt.db.execute("DELETE FROM audit")
    with pytest.raises(StoreError):
        rt.db.execute("UPDATE audit SET role='x'")
    rt.close()


@pytest.mark.parametrize(
    ("message", "code"),
    [("database is locked", "store-locked"), ("attempt to write a readonly database", "store-readonly"),
     ("file is not a database", "store-corrupt"), ("database disk image is malformed", "store-corrupt"),
     ("unable to open database file", "store-readonly"), ("something else", "store-error")],
)
def test_translate(message: str, code: str) -> None:
    assert translate(sqlite3.OperationalError(message)).code == code


def test_corrupt_database_file_is_coded(modgate_home: Path) -> None:
    modgate_home.mkdir(parents=True)
    (modgate_home / "modgate.sqlite3").write_bytes(b"this is not sqlite" * 100)
    code, body = run_json("state")
    assert code == 1 and body["code"] == "store-corrupt"
    assert (modgate_home / "modgate.sqlite3").read_bytes().startswith(b"this is not sqlite")


@pytest.mark.skipif(os.geteuid() == 0, reason="root ignores file permissions")
def test_read_only_database_is_coded(modgate_home: Path) -> None:  # pragma: no cover - non-root only
    open_runtime().close()  # create the home first: the test is about writers, not a fresh home
    (modgate_home / "modgate.sqlite3").chmod(0o444)
    code, body = run_json("dispatch", "setTool", "--payload", '{"tool": "hand"}')
    assert code == 1 and body["code"] == "store-readonly"


def test_read_only_connection_is_coded_and_loses_nothing(modgate_home: Path) -> None:
    # Root ignores file modes, so simulate a read-only database with SQLite's own query_only.
    run_json("dispatch", "setTool", "--payload", '{"tool": "hand"}')
    rt = open_runtime()
    rt.db.execute("PRAGMA query_only=ON")
    out = None
    with pytest.raises(StoreError) as info:
        out = rt.bus.dispatch("setTool", {"tool": "laser"})
    assert out is None and info.value.code == "store-readonly"
    rt.close()
    assert run_json("state", "local")[1]["state"]["local"]["tool"]["activeTool"] == "hand"


def test_locked_database_is_coded(modgate_home: Path) -> None:
    open_runtime().close()  # create the home first: the test is about writers, not a fresh home
    holder = sqlite3.connect(modgate_home / "modgate.sqlite3", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        db = Database(modgate_home / "modgate.sqlite3", busy_timeout_ms=100)
        with pytest.raises(StoreError) as info, db.atomic():
            pass
        assert info.value.code == "store-locked"
        db.close()
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_two_writers_serialise_without_losing_updates(modgate_home: Path) -> None:
    open_runtime().close()  # create the home first: the test is about writers, not a fresh home
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            rt = open_runtime()
            for _ in range(25):
                out = rt.bus.dispatch("triggerPlay")
                assert out["ok"], out
            rt.close()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    assert run_json("state", "sync")[1]["state"]["sync"]["playback"]["playSignal"] == 50
