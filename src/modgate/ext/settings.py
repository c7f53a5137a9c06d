"""Changing installed mods in place: enable, disable, re-approve changed files, permission decisions,
and the executable-mods setting. Each change is one extension transaction (:mod:`.changes`)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from modgate.ext import records
from modgate.ext.catalog import Catalog
from modgate.ext.changes import Change, ExtensionChanges, event, traced
from modgate.ext.errors import fail
from modgate.ext.manifest import Package
from modgate.ext.records import InstallRecord
from modgate.store import audit


class Settings:
    def __init__(self, changes: ExtensionChanges, catalog: Catalog, consent_review: Callable[..., Any]) -> None:
        """``consent_review(action, package, scope, source, new_permissions)`` builds what a user reviews."""
        self.changes, self.catalog, self.db, self.clock = changes, catalog, changes.db, changes.clock
        self.review = consent_review

    def set_enabled(self, ident: str, enabled: bool) -> dict[str, Any]:
        return self.set_enabled_by_id(self.catalog.resolve(ident).id, enabled)

    def set_enabled_by_id(self, install_id: str, enabled: bool) -> dict[str, Any]:
        """The record is read again under the install lock: a concurrent uninstall or update counts."""
        action = "enable" if enabled else "disable"

        def make(current: InstallRecord | None) -> Change:
            assert current is not None
            if enabled:  # checked under the lock: a concurrent revoke or file change counts
                if current.executable and not records.allow_executable(self.db):
                    fail("mod.executable-locked", f"{current.id} has executable hooks/automations; executable "
                         "mods are not allowed. Run `modgate mod allow-executable` first.", "ID")
                self.catalog.verify(current)

            def rows(conn: Any) -> None:
                now = self.clock()
                records.set_enabled(conn, current.id, enabled, now)
                audit.append(conn, [event(f"ext.{action}", current)], now)

            entry = records.mirror_entry(replace(current, enabled=enabled), tuple(records.granted(self.db, current.id)))
            return Change({records.entry_path(current.id): entry}, rows,
                          f"modgate mod {'disable' if enabled else 'enable'} {current.id}")

        tx_id = self.changes.transact(action, install_id, make)
        updated = records.get(self.db, install_id)
        if updated is None:  # uninstalled right after our commit, by another process
            fail("mod.not-found", f"No installed mod with id {install_id!r}.", "ID")
        return {"ok": True, "action": action, "mod": updated.to_dict(), "txId": tx_id}

    def approve(self, ident: str, *, consent: Callable[[Any], bool]) -> dict[str, Any]:
        """Re-approve a mod whose files changed: re-validate in place, review, record the new hash."""
        rec = self.catalog.resolve(ident)
        with traced(self.db, self.clock, "approve") as trace:
            trace.stage = "validate"
            path = Path(rec.path)
            self.catalog.scan_installed(path)
            pkg = self.catalog.revalidate(rec)
            if pkg.id != rec.mod_id:
                fail("install.update-id-mismatch", f"Updated mod package ID {pkg.id} does not match the existing "
                     f"install ID {rec.mod_id}.", "ID")
            if not consent(self.review("approve", pkg, rec.scope, rec.source, pkg.permissions)):
                fail("install.consent-required", f"The changed files of {rec.id} were not approved.", "--yes")
            approved: list[InstallRecord] = []
            tx_id = self.changes.transact("approve", rec.id, self._approval(rec, pkg, self.catalog.tree_hash(path),
                                                                             approved))
        return {"ok": True, "action": "approve", "mod": approved[0].to_dict(), "txId": tx_id}

    def _approval(self, rec: InstallRecord, pkg: Package, reviewed: str, approved: list[InstallRecord]
                  ) -> Callable[[InstallRecord | None], Change]:
        def make(current: InstallRecord | None) -> Change:
            assert current is not None
            # Under the lock: the files must still be the ones reviewed, and the record is the
            # current one (an update, disable or uninstall meanwhile is kept, not overwritten).
            digest = self.catalog.tree_hash(Path(rec.path))
            if digest != reviewed or current.path != rec.path:
                fail("mod.tree-changed", f"The files of {rec.id} changed while you reviewed them; run "
                     f"`modgate mod approve {rec.id}` again.", rec.path, expected=reviewed, actual=digest)
            approved.append(replace(current, name=pkg.manifest.name, version=pkg.manifest.version,
                                    tree_hash=digest, executable=pkg.executable, actions=pkg.actions()))

            def rows(conn: Any) -> None:
                now = self.clock()
                records.put(conn, replace(approved[0], updated_at=now))  # no permission decision (C4)
                audit.append(conn, [event("ext.approve", current, treeHash=digest)], now)

            permissions = tuple(records.granted(self.db, current.id))
            return Change({records.entry_path(current.id): records.mirror_entry(approved[0], permissions)},
                          rows, f"modgate mod uninstall {current.id}")

        return make

    def decide_permission(self, ident: str, key: str | None, status: str | None) -> dict[str, Any]:
        """Grant or deny one permission key (with time), or forget decisions (``status`` None): a transaction."""
        install_id = self.catalog.resolve(ident).id
        verb = {"granted": "grant", "denied": "deny"}.get(status or "", "reset")

        def make(current: InstallRecord | None) -> Change:
            assert current is not None

            def rows(conn: Any) -> None:
                now = self.clock()
                records.decide(conn, current.id, current.mod_id, key, status, now)
                audit.append(conn, [event(f"ext.permission-{verb}", current, permission=key)], now)

            granted = set(records.granted(self.db, current.id))
            if key is None:
                granted = set()
            elif status == "granted":
                granted.add(key)
            else:
                granted.discard(key)
            return Change({records.entry_path(current.id): records.mirror_entry(current, tuple(granted))}, rows,
                          f"modgate mod permissions {current.id} --reset")

        tx_id = self.changes.transact(f"permission-{verb}", install_id, make)
        return {"ok": True, "installId": install_id, "txId": tx_id}

    def allow_executable(self, allowed: bool = True) -> dict[str, Any]:
        def rows(conn: Any) -> None:
            records.set_allow_executable(conn, allowed)
            audit.append(conn, [audit.AuditEvent(event_type="ext.allow-executable", correlation_id=uuid.uuid4().hex,
                                                 data={"allowed": allowed})], self.clock())

        tx_id = self.changes.transact("allow-executable" if allowed else "deny-executable", None,
                                      lambda _: Change({records.ALLOW_EXECUTABLE_PATH: allowed}, rows,
                                                       "modgate mod allow-executable" + (" --revoke" if allowed
                                                                                          else "")))
        return {"ok": True, "allowExecutable": allowed, "txId": tx_id}
