"""Install records in the SQLite store: installs, permissions, settings, pending file moves.

A shell over :class:`modgate.store.db.Database`. ``ext_pending`` is the crash journal of the
installer: a row is committed before any folder is renamed into or out of a scope root and
deleted in the same transaction that writes the install record, so after a SIGKILL the next
operation knows exactly which half-done move to undo (see :mod:`modgate.ext.installer`).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

import orjson

from modgate.ext.planner import EXTENSIONS_DOMAIN
from modgate.state import escape_token
from modgate.store.db import Database

# The state domain mirroring these tables, so every install change is a previewable transaction.


def migrate_ext_actions(conn: sqlite3.Connection) -> None:
    """What each mod runs (hooks, automations), so the action graph is derived from state alone."""
    conn.execute("ALTER TABLE ext_installs ADD COLUMN actions TEXT NOT NULL DEFAULT '[]'")


def migrate_ext_installs(conn: sqlite3.Connection) -> None:
    # Statement by statement: executescript() would COMMIT the migration's open transaction.
    for statement in _SCHEMA.split(";"):
        if statement.strip():
            conn.execute(statement)


_SCHEMA = """
        CREATE TABLE ext_installs (
            id TEXT PRIMARY KEY,
            mod_id TEXT NOT NULL,
            scope TEXT NOT NULL CHECK (scope IN ('global', 'project')),
            project_id TEXT NOT NULL DEFAULT '',
            project_path TEXT,
            host TEXT NOT NULL,
            name TEXT NOT NULL,
            version TEXT NOT NULL,
            source TEXT NOT NULL,
            path TEXT NOT NULL,
            enabled INTEGER NOT NULL,
            executable INTEGER NOT NULL,
            tree_hash TEXT NOT NULL,
            created_at REAL NOT NULL,
            updated_at REAL NOT NULL,
            UNIQUE (scope, project_id, mod_id)
        );
        CREATE TABLE ext_permissions (
            install_id TEXT NOT NULL,
            mod_id TEXT NOT NULL,
            permission_key TEXT NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('granted', 'denied')),
            granted_at REAL NOT NULL,
            PRIMARY KEY (install_id, permission_key)
        );
        CREATE TABLE ext_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        INSERT INTO ext_settings(key, value) VALUES ('allowExecutable', 'false');
        CREATE TABLE ext_pending (
            id TEXT PRIMARY KEY,
            op TEXT NOT NULL,
            install_id TEXT NOT NULL,
            target TEXT NOT NULL,
            tmp TEXT,
            backup TEXT,
            created_at REAL NOT NULL
        );
        CREATE TABLE ext_diagnostics (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            created_at REAL NOT NULL,
            op TEXT NOT NULL,
            stage TEXT NOT NULL,
            code TEXT NOT NULL,
            reason TEXT NOT NULL,
            mod_id TEXT,
            mod_version TEXT,
            source_host TEXT
        );
"""


@dataclass(frozen=True, slots=True, kw_only=True)
class InstallRecord:
    id: str
    mod_id: str
    scope: str
    project_id: str
    project_path: str | None
    host: str
    name: str
    version: str
    source: str
    path: str
    enabled: bool
    executable: bool
    tree_hash: str
    created_at: float
    updated_at: float
    actions: tuple[dict[str, Any], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "modId": self.mod_id, "scope": self.scope, "projectId": self.project_id or None,
                "projectPath": self.project_path, "host": self.host, "name": self.name, "version": self.version,
                "source": self.source, "path": self.path, "enabled": self.enabled, "executable": self.executable,
                "treeHash": self.tree_hash, "createdAt": self.created_at, "updatedAt": self.updated_at,
                "actions": [dict(a) for a in self.actions]}


@dataclass(frozen=True, slots=True, kw_only=True)
class Pending:
    id: str
    op: str
    install_id: str
    target: str
    tmp: str | None
    backup: str | None


_COLUMNS = ("id, mod_id, scope, project_id, project_path, host, name, version, source, path, enabled, executable,"
            " tree_hash, created_at, updated_at, actions")


def _record(row: tuple[Any, ...]) -> InstallRecord:
    (ident, mod_id, scope, project_id, project_path, host, name, version, source, path, enabled, executable,
     tree_hash, created, updated, actions) = row
    return InstallRecord(id=ident, mod_id=mod_id, scope=scope, project_id=project_id, project_path=project_path,
                         host=host, name=name, version=version, source=source, path=path, enabled=bool(enabled),
                         executable=bool(executable), tree_hash=tree_hash, created_at=created, updated_at=updated,
                         actions=tuple(orjson.loads(actions)))


def all_records(db: Database) -> list[InstallRecord]:
    rows = db.query(f"SELECT {_COLUMNS} FROM ext_installs ORDER BY scope DESC, project_id, mod_id")
    return [_record(r) for r in rows]


def get(db: Database, install_id: str) -> InstallRecord | None:
    rows = db.query(f"SELECT {_COLUMNS} FROM ext_installs WHERE id = ?", (install_id,))
    return _record(rows[0]) if rows else None


def by_mod_id(db: Database, mod_id: str) -> list[InstallRecord]:
    return [_record(r) for r in db.query(f"SELECT {_COLUMNS} FROM ext_installs WHERE mod_id = ?", (mod_id,))]


def put(conn: sqlite3.Connection, rec: InstallRecord) -> None:
    conn.execute(
        f"INSERT OR REPLACE INTO ext_installs ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        (rec.id, rec.mod_id, rec.scope, rec.project_id, rec.project_path, rec.host, rec.name, rec.version,
         rec.source, rec.path, int(rec.enabled), int(rec.executable), rec.tree_hash, rec.created_at,
         rec.updated_at, orjson.dumps(list(rec.actions)).decode()),
    )


def delete(conn: sqlite3.Connection, install_id: str) -> None:
    conn.execute("DELETE FROM ext_installs WHERE id = ?", (install_id,))
    conn.execute("DELETE FROM ext_permissions WHERE install_id = ?", (install_id,))
    # Runtime state of the install (hook/automation state, modsBar output) goes with it.
    conn.execute("DELETE FROM ext_run_state WHERE install_id = ?", (install_id,))
    conn.execute("DELETE FROM ext_mods_bar WHERE install_id = ?", (install_id,))


def set_enabled(conn: sqlite3.Connection, install_id: str, enabled: bool, now: float) -> None:
    conn.execute("UPDATE ext_installs SET enabled = ?, updated_at = ? WHERE id = ?", (int(enabled), now, install_id))


def granted(db: Database, install_id: str) -> set[str]:
    rows = db.query("SELECT permission_key FROM ext_permissions WHERE install_id = ? AND status = 'granted'",
                    (install_id,))
    return {r[0] for r in rows}


def allow_executable(db: Database) -> bool:
    rows = db.query("SELECT value FROM ext_settings WHERE key = 'allowExecutable'")
    return bool(rows) and rows[0][0] == "true"


def set_allow_executable(conn: sqlite3.Connection, allowed: bool) -> None:
    conn.execute("INSERT OR REPLACE INTO ext_settings(key, value) VALUES ('allowExecutable', ?)",
                 ("true" if allowed else "false",))


def add_pending(conn: sqlite3.Connection, p: Pending, now: float) -> None:
    conn.execute("INSERT INTO ext_pending VALUES (?,?,?,?,?,?,?)",
                 (p.id, p.op, p.install_id, p.target, p.tmp, p.backup, now))


def pending(db: Database) -> list[Pending]:
    rows = db.query("SELECT id, op, install_id, target, tmp, backup FROM ext_pending ORDER BY created_at")
    return [Pending(id=r[0], op=r[1], install_id=r[2], target=r[3], tmp=r[4], backup=r[5]) for r in rows]


def drop_pending(conn: sqlite3.Connection, pending_id: str) -> None:
    conn.execute("DELETE FROM ext_pending WHERE id = ?", (pending_id,))


def add_diagnostic(db: Database, now: float, entry: dict[str, Any]) -> None:
    with db.atomic() as conn:
        conn.execute(
            "INSERT INTO ext_diagnostics(created_at, op, stage, code, reason, mod_id, mod_version, source_host)"
            " VALUES (?,?,?,?,?,?,?,?)",
            (now, entry["op"], entry["stage"], entry["code"], entry["reason"], entry.get("modId"),
             entry.get("modVersion"), entry.get("sourceHost")),
        )
        # Keep the table bounded: diagnostics are for recent failures, not an archive.
        conn.execute("DELETE FROM ext_diagnostics WHERE seq <= (SELECT MAX(seq) FROM ext_diagnostics) - 1000")


def diagnostics(db: Database, limit: int = 50) -> list[dict[str, Any]]:
    rows = db.query("SELECT created_at, op, stage, code, reason, mod_id, mod_version, source_host FROM"
                    " ext_diagnostics ORDER BY seq DESC LIMIT ?", (limit,))
    keys = ("createdAt", "op", "stage", "code", "reason", "modId", "modVersion", "sourceHost")
    return [dict(zip(keys, r, strict=True)) for r in rows]


def mirror_entry(rec: InstallRecord, permissions: set[str] | tuple[str, ...]) -> dict[str, Any]:
    """An install record as the extensions domain shows it (no timestamps: previews stay stable)."""
    out = rec.to_dict()
    for key in ("id", "createdAt", "updatedAt"):
        out.pop(key)
    out["permissions"] = sorted(permissions)
    return out


def entry_path(install_id: str) -> str:
    return f"/{EXTENSIONS_DOMAIN}/installs/{escape_token(install_id)}"


ALLOW_EXECUTABLE_PATH = f"/{EXTENSIONS_DOMAIN}/allowExecutable"


def mirror(db: Database) -> dict[str, Any]:
    installs = {rec.id: mirror_entry(rec, granted(db, rec.id)) for rec in all_records(db)}
    return {"installs": installs, "allowExecutable": allow_executable(db)}


def decisions(db: Database, install_id: str) -> dict[str, tuple[str, float]]:
    """Stored permission decisions of an install: key -> (granted|denied, decided at)."""
    rows = db.query("SELECT permission_key, status, granted_at FROM ext_permissions WHERE install_id = ?",
                    (install_id,))
    return {r[0]: (r[1], r[2]) for r in rows}


def decide(conn: sqlite3.Connection, install_id: str, mod_id: str, key: str | None, status: str | None,
           now: float) -> None:
    """Store one decision; ``status`` None forgets ``key`` (or every decision when ``key`` is None)."""
    if status is None:
        if key is None:
            conn.execute("DELETE FROM ext_permissions WHERE install_id = ?", (install_id,))
        else:
            conn.execute("DELETE FROM ext_permissions WHERE install_id = ? AND permission_key = ?", (install_id, key))
        return
    conn.execute("INSERT OR REPLACE INTO ext_permissions VALUES (?,?,?,?,?)", (install_id, mod_id, key, status, now))
