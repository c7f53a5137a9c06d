"""The core schema: meta, state domains, journal, idempotency, audit.

Every area contributes its own named migrations; :mod:`modgate.app` joins them. Names are never reused."""

from __future__ import annotations

import sqlite3

from modgate.store.db import Migration, run_script


def _core(conn: sqlite3.Connection) -> None:
    run_script(
        conn,
        """
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);;
        INSERT INTO meta(key, value) VALUES ('revision', '0');;
        CREATE TABLE state_domains (
            domain TEXT PRIMARY KEY, doc TEXT NOT NULL, revision INTEGER NOT NULL
        );;
        -- One row per applied change. status: done | undone | dead (undone, then superseded).
        CREATE TABLE journal (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            created_at REAL NOT NULL,
            command_id TEXT NOT NULL,
            role TEXT NOT NULL,
            scope TEXT NOT NULL,
            kind TEXT NOT NULL,
            ops TEXT NOT NULL,
            inverse TEXT NOT NULL,
            status TEXT NOT NULL,
            ref_seq INTEGER,
            revision INTEGER NOT NULL
        );;
        CREATE INDEX journal_undo ON journal(scope, status, seq);;
        CREATE TABLE idempotency (key TEXT PRIMARY KEY, result TEXT NOT NULL, expires_at REAL NOT NULL);;
        CREATE TABLE audit (
            seq INTEGER PRIMARY KEY,
            created_at REAL NOT NULL,
            event_type TEXT NOT NULL,
            correlation_id TEXT NOT NULL,
            command_id TEXT,
            role TEXT,
            data TEXT NOT NULL,
            prev_hash TEXT NOT NULL,
            hash TEXT NOT NULL
        );;
        CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
            BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;;
        CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
            BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;;
        """
    )


CORE_MIGRATIONS: list[Migration] = [("0001_core", _core)]
