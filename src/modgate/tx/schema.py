"""Tables of the transaction protocol (migration ``0200_transactions``)."""

from __future__ import annotations

import sqlite3

from modgate.store.db import Migration, run_script


def transactions_tables(conn: sqlite3.Connection) -> None:
    run_script(conn, """
        CREATE TABLE tx (
            tx_id TEXT PRIMARY KEY, seq INTEGER NOT NULL UNIQUE, created_at REAL NOT NULL,
            track TEXT NOT NULL, kind TEXT NOT NULL, title TEXT NOT NULL, recipe TEXT NOT NULL,
            requested_by TEXT NOT NULL, requested_role TEXT NOT NULL,
            state TEXT NOT NULL, attempt_no INTEGER NOT NULL, result TEXT
        );;
        CREATE INDEX tx_state ON tx(state, seq);;
        CREATE TABLE tx_attempts (
            tx_id TEXT NOT NULL, attempt_no INTEGER NOT NULL, created_at REAL NOT NULL,
            base_revision TEXT NOT NULL, candidate_revision TEXT NOT NULL,
            preview TEXT NOT NULL, preview_hash TEXT NOT NULL, ops TEXT NOT NULL, plan_info TEXT NOT NULL,
            PRIMARY KEY (tx_id, attempt_no)
        );;
        CREATE TABLE tx_history (
            seq INTEGER PRIMARY KEY AUTOINCREMENT, tx_id TEXT NOT NULL, attempt_no INTEGER NOT NULL,
            at REAL NOT NULL, prev_state TEXT NOT NULL, next_state TEXT NOT NULL,
            actor_id TEXT NOT NULL, actor_role TEXT NOT NULL, code TEXT, message TEXT
        );;
        CREATE INDEX tx_history_tx ON tx_history(tx_id, seq);;
        CREATE TABLE tx_approvals (
            token_id TEXT PRIMARY KEY, tx_id TEXT NOT NULL, attempt_no INTEGER NOT NULL,
            preview_hash TEXT NOT NULL, base_revision TEXT NOT NULL, approver_id TEXT NOT NULL,
            approver_role TEXT NOT NULL, decided_at REAL NOT NULL, expires_at REAL NOT NULL, token TEXT NOT NULL
        );;
        CREATE TABLE tx_commits (
            commit_id TEXT PRIMARY KEY, commit_sequence INTEGER NOT NULL UNIQUE,
            tx_id TEXT NOT NULL, attempt_no INTEGER NOT NULL, operation TEXT NOT NULL,
            created_at REAL NOT NULL, write_set_hash TEXT NOT NULL, ops TEXT NOT NULL, inverse TEXT NOT NULL,
            journal_seq INTEGER, UNIQUE (tx_id, attempt_no, operation)
        );;
        CREATE TABLE tx_idempotency (
            key TEXT PRIMARY KEY, tx_id TEXT NOT NULL, attempt_no INTEGER NOT NULL, operation TEXT NOT NULL,
            result TEXT NOT NULL
        );;
        INSERT INTO meta(key, value) VALUES ('tx_blocked', '');;
    """)


TX_MIGRATIONS: list[Migration] = [("0200_transactions", transactions_tables)]
