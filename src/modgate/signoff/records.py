"""What signoff needs beyond the audit log and the transaction tables (migration ``0500_signoff``).

- ``signoff_imports``: every heavy import validated, valid or rejected, with its first code and
  path, the evidence channel and the sha256 of the package bytes; ``signoff_blobs`` keeps one copy
  of each distinct package so signoff can re-validate it (H-KPI-1, H-KPI-2).
- ``signoff_bases`` / ``signoff_docs``: the state a light-track attempt was planned on. A trigger
  on ``tx_attempts`` copies the revision of every state domain (and each domain document once
  per revision) inside the very SQLite transaction that plans the attempt, so signoff can re-run
  the request against exactly that state (L-KPI-1) without any code path having to remember to.
"""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass
from typing import Any

import modgate.evidence as evidence
from modgate.auditevent import AuditEvent
from modgate.store import audit
from modgate.store.db import Database, run_script

MIGRATION = "0500_signoff"
MAX_BLOB_BYTES = 4 * 1024 * 1024  # bigger packages are recorded by hash only (not re-validated)


def migrate_signoff(conn: sqlite3.Connection) -> None:
    run_script(conn, """
        CREATE TABLE signoff_imports (
            seq INTEGER PRIMARY KEY AUTOINCREMENT, created_at REAL NOT NULL, package_sha256 TEXT NOT NULL,
            size INTEGER NOT NULL, ok INTEGER NOT NULL, code TEXT, path TEXT, module_id TEXT,
            registered_version TEXT, allow_downgrade INTEGER NOT NULL, channel TEXT NOT NULL,
            fixture_run_id TEXT, fixture_case_id TEXT, expected_outcome TEXT
        );;
        CREATE INDEX signoff_imports_at ON signoff_imports(created_at);;
        CREATE TABLE signoff_blobs (sha256 TEXT PRIMARY KEY, body BLOB NOT NULL);;
        CREATE TABLE signoff_bases (
            tx_id TEXT NOT NULL, attempt_no INTEGER NOT NULL, revisions TEXT NOT NULL,
            PRIMARY KEY (tx_id, attempt_no)
        );;
        CREATE TABLE signoff_docs (
            domain TEXT NOT NULL, revision INTEGER NOT NULL, doc TEXT NOT NULL, PRIMARY KEY (domain, revision)
        );;
        CREATE TRIGGER signoff_light_base AFTER INSERT ON tx_attempts
            WHEN (SELECT track FROM tx WHERE tx_id = NEW.tx_id) = 'light'
        BEGIN
            INSERT OR IGNORE INTO signoff_docs(domain, revision, doc)
                SELECT domain, revision, doc FROM state_domains;
            INSERT OR REPLACE INTO signoff_bases(tx_id, attempt_no, revisions)
                SELECT NEW.tx_id, NEW.attempt_no, json_group_object(domain, revision) FROM state_domains;
        END;;
    """)


@dataclass(frozen=True, slots=True, kw_only=True)
class ImportRecord:
    """One validated import: what came in (by hash) and the first problem, if any."""

    package_sha256: str
    size: int
    ok: bool
    code: str | None = None
    path: str | None = None
    module_id: str | None = None
    registered_version: str | None = None
    allow_downgrade: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"packageSha256": self.package_sha256, "size": self.size, "ok": self.ok, "code": self.code,
                "path": self.path, "moduleId": self.module_id, "registeredVersion": self.registered_version,
                "allowDowngrade": self.allow_downgrade}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ImportRecord:
        return cls(package_sha256=data["packageSha256"], size=data["size"], ok=data["ok"], code=data.get("code"),
                   path=data.get("path"), module_id=data.get("moduleId"),
                   registered_version=data.get("registeredVersion"),
                   allow_downgrade=bool(data.get("allowDowngrade")))


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def record_import(db: Database, data: bytes, record: ImportRecord, now: float) -> None:
    """Keep the import's outcome (and one copy of its bytes) and audit it, in one transaction."""
    fields = evidence.fields()
    case = evidence.current()
    event = "module.import.validated" if record.ok else "module.import.rejected"
    with db.atomic() as conn:
        if len(data) <= MAX_BLOB_BYTES:
            conn.execute("INSERT OR IGNORE INTO signoff_blobs(sha256, body) VALUES (?, ?)",
                         (record.package_sha256, data))
        conn.execute(
            "INSERT INTO signoff_imports(created_at, package_sha256, size, ok, code, path, module_id,"
            " registered_version, allow_downgrade, channel, fixture_run_id, fixture_case_id, expected_outcome)"
            " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (now, record.package_sha256, record.size, int(record.ok), record.code, record.path, record.module_id,
             record.registered_version, int(record.allow_downgrade), fields["evidenceChannel"],
             case.fixture_run_id if case else None, case.fixture_case_id if case else None,
             case.expected_outcome if case else None))
        audit.append(conn, [AuditEvent(event_type=event, correlation_id=record.module_id or "import", role="host",
                                       data={**record.to_dict(), **fields})], now)


def blob(db: Database, digest: str) -> bytes | None:
    rows = db.query("SELECT body FROM signoff_blobs WHERE sha256=?", (digest,))
    return bytes(rows[0][0]) if rows else None
