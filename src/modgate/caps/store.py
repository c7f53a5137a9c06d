"""Capability grants in the SQLite store: the thin shell around :mod:`modgate.caps`.

``capability_grants`` holds one row per grant identity (moduleId, moduleVersion, capabilityId,
grantScope, approver). Revoking keeps the row and stamps ``revoked_at``, so ``grants list``
still shows who granted what. Every grant and revocation appends its audit event in the same
transaction as the row change: there is no grant the audit log does not know about.

Sessions: a session grant counts only in the session that holds it. A session is named by the
``MODGATE_SESSION`` environment variable; without it each process gets its own random id, so a
session grant made by one ``modgate`` command does not outlive that process.
"""

from __future__ import annotations

import os
import sqlite3
import time
import uuid
from collections.abc import Sequence
from typing import Any

from modgate import caps
from modgate.auditevent import AuditEvent
from modgate.caps import Grant
from modgate.errors import ModgateError, Problem
from modgate.store import audit
from modgate.store.db import Database

SESSION_ENV = "MODGATE_SESSION"
_PROCESS_SESSION = f"proc-{uuid.uuid4().hex[:16]}"


def migrate_capability_grants(conn: sqlite3.Connection) -> None:
    # One statement per execute(): executescript() would COMMIT the migration's transaction.
    conn.execute("""
        CREATE TABLE capability_grants (
            module_id TEXT NOT NULL,
            module_version TEXT NOT NULL,
            capability_id TEXT NOT NULL,
            grant_scope TEXT NOT NULL CHECK (grant_scope IN ('session', 'persistent')),
            approver_id TEXT NOT NULL,
            approver_role TEXT NOT NULL,
            session_id TEXT,
            granted_at REAL NOT NULL,
            expires_at REAL,
            grant_version INTEGER NOT NULL,
            revoked_at REAL,
            PRIMARY KEY (module_id, module_version, capability_id, grant_scope, approver_id)
        )""")
    conn.execute("CREATE INDEX capability_grants_module ON capability_grants(module_id, capability_id)")


def current_session() -> str:
    """``MODGATE_SESSION`` if set, else this process's own id."""
    return os.environ.get(SESSION_ENV, "").strip() or _PROCESS_SESSION


_COLUMNS = ("module_id, module_version, capability_id, grant_scope, approver_id, approver_role, session_id,"
            " granted_at, expires_at, grant_version, revoked_at")


def _grant_of(row: tuple[Any, ...]) -> Grant:
    module_id, version, cap, scope, approver, role, session, granted, expires, grant_version, _ = row
    return Grant(module_id=module_id, module_version=version, capability_id=cap, grant_scope=scope,
                 approver_id=approver, approver_role=role, session_id=session, granted_at=granted,
                 expires_at=expires, grant_version=grant_version)


def _status(row: tuple[Any, ...], now: float) -> str:
    expires, revoked = row[8], row[10]
    if revoked is not None:
        return "revoked"
    return "expired" if expires is not None and now >= expires else "active"


def _event(name_record: tuple[str, dict[str, Any]], correlation_id: str | None) -> AuditEvent:
    return caps.audit_event(name_record[0], name_record[1], correlation_id)


def grant(db: Database, grant: Grant, events: Sequence[AuditEvent] = (), *, now: float | None = None,
          correlation_id: str | None = None) -> dict[str, Any]:
    """Store ``grant`` (replacing an earlier grant of the same identity) and audit it.

    ``events`` (e.g. the escalation's own events) are appended in the same transaction.
    Returns the audit record of the grant.
    """
    # Catalog only: whether the module requested it is the caller's check (it has the registry).
    caps.check_grantable(grant.capability_id, [grant.capability_id], grant.module_id)
    now = time.time() if now is None else now
    event = _event(caps.grant_event(grant, event_id=str(uuid.uuid4()), now=now), correlation_id)
    with db.atomic() as conn:
        conn.execute(
            f"INSERT INTO capability_grants({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,NULL)"
            " ON CONFLICT(module_id, module_version, capability_id, grant_scope, approver_id) DO UPDATE SET"
            " approver_role=excluded.approver_role, session_id=excluded.session_id,"
            " granted_at=excluded.granted_at, expires_at=excluded.expires_at,"
            " grant_version=excluded.grant_version, revoked_at=NULL",
            (*grant.key, grant.approver_role, grant.session_id, grant.granted_at, grant.expires_at,
             grant.grant_version))
        audit.append(conn, [*events, event], now)
    return event.data


def grant_requested(db: Database, state: dict[str, Any], module_id: str, capability_id: str, *, persistent: bool,
                    approver_id: str, module_version: str | None = None, now: float | None = None
                    ) -> tuple[Grant, dict[str, Any]]:
    """Grant ``capability_id`` to the registered ``module_id`` as the host (CLI and studio alike).

    Checked against the registry first: the capability must be in the catalog and requested by
    the module, so no entry point can give a module more than it asked for.
    """
    entry: dict[str, Any] | None = state.get("registry", {}).get("modules", {}).get(module_id)
    if entry is None:
        raise ModgateError(Problem(code="capability-module-unknown", path="MODULE",
                                   message=f"no registered module {module_id}", detail={"moduleId": module_id}))
    caps.check_grantable(capability_id, entry["package"].get("capabilitiesRequested", []), module_id)
    now = time.time() if now is None else now
    made = Grant(module_id=module_id, module_version=module_version or entry["moduleVersion"],
                 capability_id=capability_id, grant_scope="persistent" if persistent else "session",
                 approver_id=approver_id, approver_role="host", granted_at=now,
                 session_id=None if persistent else current_session())
    return made, grant(db, made, now=now)


def revoke(db: Database, module_id: str, capability_id: str, *, module_version: str | None = None,
           grant_scope: str | None = None, approver_id: str | None = None, now: float | None = None,
           correlation_id: str | None = None) -> list[Grant]:
    """Revoke every active grant of ``capability_id`` to ``module_id`` (narrowed by the options).

    Revoking is deliberately broad by default — all versions, scopes, sessions and approvers —
    because taking access away is the safe direction. Refuses with ``capability-grant-not-found``
    when nothing matched.
    """
    now = time.time() if now is None else now
    where, params = _revoke_filter(module_id, capability_id, module_version, grant_scope, approver_id)
    with db.atomic() as conn:
        rows = conn.execute(f"SELECT {_COLUMNS} FROM capability_grants WHERE {where}", params).fetchall()
        if not rows:
            raise ModgateError(Problem(code="capability-grant-not-found", path="capabilityId",
                                       message=f"module {module_id} holds no active grant for {capability_id}",
                                       detail={"moduleId": module_id, "capabilityId": capability_id}))
        conn.execute(f"UPDATE capability_grants SET revoked_at=? WHERE {where}", (now, *params))
        revoked = [_grant_of(r) for r in sorted(rows)]
        audit.append(conn, [_event(caps.grant_event(g, event_id=str(uuid.uuid4()), now=now, revoked=True),
                                   correlation_id) for g in revoked], now)
    return revoked


def _revoke_filter(module_id: str, capability_id: str, module_version: str | None, grant_scope: str | None,
                   approver_id: str | None) -> tuple[str, tuple[Any, ...]]:
    clauses = ["module_id=?", "capability_id=?", "revoked_at IS NULL"]
    params: list[Any] = [module_id, capability_id]
    for column, value in (("module_version", module_version), ("grant_scope", grant_scope),
                          ("approver_id", approver_id)):
        if value is not None:
            clauses.append(f"{column}=?")
            params.append(value)
    return " AND ".join(clauses), tuple(params)


def list_grants(db: Database, module_id: str | None = None, *, now: float | None = None) -> list[dict[str, Any]]:
    """Every stored grant (revoked ones too) with ``status`` active|expired|revoked and ``revokedAt``."""
    now = time.time() if now is None else now
    sql = f"SELECT {_COLUMNS} FROM capability_grants"
    rows = db.query(sql + " WHERE module_id=?", (module_id,)) if module_id else db.query(sql)
    return [{**_grant_of(r).to_dict(), "revokedAt": r[10], "status": _status(r, now)} for r in sorted(rows)]


def active_grants(db: Database, module_id: str) -> list[Grant]:
    """Unrevoked grants of ``module_id``; expiry, session and version are judged by caps.evaluate."""
    rows = db.query(f"SELECT {_COLUMNS} FROM capability_grants WHERE module_id=? AND revoked_at IS NULL",
                    (module_id,))
    return [_grant_of(r) for r in sorted(rows)]


def record(db: Database, events: Sequence[tuple[str, dict[str, Any]]], *, now: float | None = None,
           correlation_id: str | None = None) -> None:
    """Append capability audit events (check rejections, escalations, rollbacks) in one transaction."""
    now = time.time() if now is None else now
    with db.atomic() as conn:
        audit.append(conn, [_event(e, correlation_id) for e in events], now)
