"""Install, update and uninstall extension mods; inspect and validate packages.

Orchestration only (pypa/installer style): sources and staging (:mod:`.staging`), validation
(:mod:`.manifest`, :mod:`.lint`), file trees (:mod:`.tree`), crash-safe moves (:mod:`.moves`),
scopes (:mod:`.scopes`), what is installed (:mod:`.catalog`), changes in place (:mod:`.settings`)
and the extension transactions themselves (:mod:`.changes`) do the work. Install = stage →
validate → permission review → copy into a temporary folder beside the scope root → transaction
preview → rename into place → apply. :class:`Installer` is the one face the CLI, the studio and
the Python API use; it delegates lookups and in-place changes to the catalog and the settings.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from modgate.errors import ModgateError
from modgate.ext import moves, records
from modgate.ext.catalog import Catalog
from modgate.ext.changes import ExtensionChanges, Trace, event, traced
from modgate.ext.errors import ExtError, fail
from modgate.ext.lint import package_problems
from modgate.ext.manifest import HostRules, Package, validate_package
from modgate.ext.records import InstallRecord, Pending
from modgate.ext.scopes import Scope, folder_name, free_folder, project_id, scope_for, scope_of
from modgate.ext.settings import Settings
from modgate.ext.staging import Staged, clean_leaked, resolve_source, stage
from modgate.ext.tree import DirReader, Limits, Progress, copy_tree, scan, tree_hash
from modgate.host import get_host
from modgate.store import audit
from modgate.tx.engine import OnCommit, TxEngine

EXECUTABLE_LOCKED = ("This mod includes executable hooks/automations. It was installed disabled: run "
                     "`modgate mod allow-executable`, then `modgate mod enable {id}`.")


@dataclass(frozen=True, slots=True, kw_only=True)
class Review:
    """What the user accepts before an install or an update that asks for more."""

    action: str
    package: Package
    scope: str
    source: str
    new_permissions: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"action": self.action, "scope": self.scope, "source": self.source,
                "newPermissions": list(self.new_permissions), **self.package.summary()}


Consent = Callable[[Review], bool]


def _review(action: str, package: Package, scope: str, source: str, new: tuple[str, ...]) -> Review:
    return Review(action=action, package=package, scope=scope, source=source, new_permissions=new)


class Installer:
    def __init__(self, tx: TxEngine, home: Path, *, limits: Limits | None = None,
                 clock: Callable[[], float] = time.time, say: Callable[[str], None] | None = None,
                 progress: Progress | None = None) -> None:
        self.db, self.tx, self.home = tx.db, tx, home
        self.limits = limits or Limits.from_env()
        self.clock, self.say, self.progress = clock, say, progress
        self.changes = ExtensionChanges(tx, home, clock)
        self.catalog = Catalog(self.changes, self.limits)
        self.settings = Settings(self.changes, self.catalog, _review)
        clean_leaked(clock())  # staging copies of installs that were killed

    # --- lookups and in-place changes (the catalog and the settings) ---------------------------

    def scope(self, kind: str, project: Path | None = None) -> Scope:
        return scope_for(self.home, kind, project)

    def resolve(self, ident: str) -> InstallRecord:
        return self.catalog.resolve(ident)

    def verify(self, rec: InstallRecord) -> None:
        self.catalog.verify(rec)

    def list(self) -> list[dict[str, Any]]:
        return self.catalog.list()

    def load_enabled(self, project: Path | None = None) -> dict[str, Any]:
        return self.catalog.load_enabled(project)

    def enable(self, ident: str) -> dict[str, Any]:
        return self.settings.set_enabled(ident, True)

    def disable(self, ident: str) -> dict[str, Any]:
        return self.settings.set_enabled(ident, False)

    def approve(self, ident: str, *, consent: Consent) -> dict[str, Any]:
        return self.settings.approve(ident, consent=consent)

    def decide_permission(self, ident: str, key: str | None, status: str | None) -> dict[str, Any]:
        return self.settings.decide_permission(ident, key, status)

    def allow_executable(self, allowed: bool = True) -> dict[str, Any]:
        return self.settings.allow_executable(allowed)

    # --- inspect / validate --------------------------------------------------------------------

    def validate_dir(self, path: Path, host: str = "board") -> Package:
        if not path.is_dir():
            fail("install.source-not-found", f"Mod source path not found: {path}", "DIR")
        scan(path, self.limits)
        reader, rules = DirReader(path), HostRules.for_host(get_host(host))
        problems = package_problems(reader, package_path=os.path.realpath(path), rules=rules)
        if problems:  # every problem, sorted; the first one is the error's own
            first = problems[0]
            raise ExtError(replace(first, detail={**first.detail, "problems": [p.to_dict() for p in problems]}))
        return validate_package(reader, package_path=os.path.realpath(path), rules=rules)

    def inspect(self, source_text: str, host: str = "board") -> dict[str, Any]:
        with traced(self.db, self.clock, "inspect") as trace, self._staged(source_text, trace) as staged:
            pkg = self._validate(staged, host, trace)
            return {"ok": True, "source": staged.source.display, "sourceHost": staged.source.host,
                    "manifestSource": "codex.mod.json", "ref": staged.ref, **pkg.summary()}

    # --- install -------------------------------------------------------------------------------

    def install(self, source_text: str, *, scope: str = "global", project: Path | None = None,
                host: str = "board", consent: Consent) -> dict[str, Any]:
        target_scope = self.scope(scope, project)
        with traced(self.db, self.clock, "install") as trace, self._staged(source_text, trace) as staged:
            pkg = self._validate(staged, host, trace)
            trace.stage = "review"
            review = _review("install", pkg, scope, staged.source.display, pkg.permissions)
            if not consent(review):
                fail("install.consent-required", f"Install of {pkg.id} was not approved. Review the permissions "
                     "and run again with --yes to accept them.", "--yes", review=review.to_dict())
            with moves.exclusive(self.home):
                self.changes.recover(target_scope)
                rec = self._place_new(staged, pkg, target_scope, host, trace)
        result: dict[str, Any] = {"ok": True, "action": "install", "mod": rec.to_dict(), "txId": trace.tx_id,
                                  "permissions": list(pkg.permissions), "warnings": list(pkg.warnings)}
        if pkg.executable and not rec.enabled:
            result["executableLocked"] = True
            result["message"] = EXECUTABLE_LOCKED.format(id=rec.id)
        return result

    def _place_new(self, staged: Staged, pkg: Package, sc: Scope, host: str, trace: Trace) -> InstallRecord:
        install_id = sc.install_id(pkg.id)
        if records.get(self.db, install_id) is not None:
            fail("install.already-installed", f"Mod {pkg.id} is already installed ({install_id}); use "
                 f"`modgate mod update {install_id}`.", "SOURCE", installId=install_id)
        trace.stage = "copy"
        dest = free_folder(sc.root, pkg.id)
        tmp, digest = self._copy_to_temp(staged, sc.parent)
        now = self.clock()
        rec = InstallRecord(id=install_id, mod_id=pkg.id, scope=sc.kind, project_id=sc.project_id,
                            project_path=sc.project_path, host=host, name=pkg.manifest.name,
                            version=pkg.manifest.version, source=staged.source.display, path=str(dest),
                            enabled=not pkg.executable or records.allow_executable(self.db),
                            executable=pkg.executable, tree_hash=digest, created_at=now, updated_at=now,
                            actions=pkg.actions())
        pending = Pending(id=uuid.uuid4().hex, op="install", install_id=install_id, target=str(dest),
                          tmp=str(tmp), backup=None)
        trace.stage = "record"
        proposal = self._propose_copy("install", rec, (), tmp, trace,  # C4: install never grants
                                      undo=f"modgate mod uninstall {install_id}")
        moves.begin(self.db, pending, now)
        try:
            moves.checkpoint("install.copied")
            sc.root.mkdir(parents=True, exist_ok=True)
            os.rename(tmp, dest)
            moves.checkpoint("install.renamed")
            self.changes.apply(proposal, self._rows(pending, rec, pkg.permissions, "ext.install",
                                                    staged.source.host))
        except BaseException as exc:
            moves.undo(self.db, pending)
            self.changes.withdraw(proposal.tx_id, "the install failed before it was applied")
            _reraise_os(exc, "install.copy-failed", "Failed to copy mod package into destination")
            raise
        return rec

    def _copy_to_temp(self, staged: Staged, parent: Path) -> tuple[Path, str]:
        parent.mkdir(parents=True, exist_ok=True)
        tmp = moves.temp_name(parent, "new")
        try:
            if self.say is not None:
                self.say(f"copying {len(staged.listing.files)} files")
            copy_tree(staged.root, staged.listing, tmp, self.limits, self.progress)
            moves.checkpoint("install.copy")
            return tmp, tree_hash(tmp)
        except BaseException as exc:
            moves.remove(tmp)
            _reraise_os(exc, "install.copy-failed", "Failed to copy mod package into destination")
            raise

    def _rows(self, pending: Pending, rec: InstallRecord, reviewed: tuple[str, ...], kind: str,
              host: str) -> OnCommit:
        """The records of an install or update. No permission decision is written (C4: install never
        grants): each key stays undecided until first use, and stored decisions survive an update."""
        def write(conn: Any) -> None:
            now = self.clock()
            records.put(conn, rec)
            records.drop_pending(conn, pending.id)
            audit.append(conn, [event(kind, rec, sourceHost=host, reviewedPermissions=list(reviewed))], now)
        return write

    def _declared_before(self, old: InstallRecord) -> set[str]:
        """The permissions the installed version declares (what an update's review compares with)."""
        try:
            self.verify(old)
            return set(self.catalog.revalidate(old).permissions)
        except ModgateError:  # changed or unreadable files: every permission counts as new
            return set()

    def update(self, ident: str, source_text: str | None = None, *, consent: Consent) -> dict[str, Any]:
        old = self.resolve(ident)
        with traced(self.db, self.clock, "update") as trace, self._staged(source_text or old.source, trace) as staged:
            pkg = self._validate(staged, old.host, trace)
            if pkg.id != old.mod_id:
                fail("install.update-id-mismatch", f"Updated mod package ID {pkg.id} does not match the existing "
                     f"install ID {old.mod_id}.", "SOURCE", expected=old.mod_id, actual=pkg.id)
            trace.stage = "review"
            new = tuple(sorted(set(pkg.permissions) - self._declared_before(old)))
            review = _review("update", pkg, old.scope, staged.source.display, new)
            if (new or (pkg.executable and not old.executable)) and not consent(review):
                fail("install.consent-required", f"Update of {pkg.id} asks for new permissions "
                     f"({', '.join(new) or 'executable hooks'}) that were not approved; run again with --yes.",
                     "--yes", review=review.to_dict())
            with moves.exclusive(self.home):
                self.changes.recover(scope_of(self.home, old))
                current = records.get(self.db, old.id)
                if current is None:
                    fail("mod.not-found", f"No installed mod with id {old.id!r}.", "ID")
                rec = self._swap(staged, pkg, current, new, trace)
        return {"ok": True, "action": "update", "mod": rec.to_dict(), "txId": trace.tx_id,
                "previousVersion": old.version,
                "newPermissions": list(new), "warnings": list(pkg.warnings)}

    def _swap(self, staged: Staged, pkg: Package, old: InstallRecord, new: tuple[str, ...],
              trace: Trace) -> InstallRecord:
        trace.stage = "copy"
        parent = Path(old.path).parent.parent
        tmp, digest = self._copy_to_temp(staged, parent)
        had_old = os.path.lexists(old.path)
        backup = moves.temp_name(parent, "backup") if had_old else None
        pending = Pending(id=uuid.uuid4().hex, op="update", install_id=old.id, target=old.path, tmp=str(tmp),
                          backup=str(backup) if backup else None)
        now = self.clock()
        allowed = not pkg.executable or records.allow_executable(self.db)
        rec = replace(old, name=pkg.manifest.name, version=pkg.manifest.version, source=staged.source.display,
                      enabled=old.enabled and allowed, executable=pkg.executable, tree_hash=digest, updated_at=now,
                      actions=pkg.actions())
        trace.stage = "record"
        permissions = tuple(records.granted(self.db, old.id))  # decisions stay what they were
        proposal = self._propose_copy("update", rec, permissions, tmp, trace,
                                      undo=f"modgate mod update {old.id} <a source of version {old.version}>")
        moves.begin(self.db, pending, now)
        try:
            moves.checkpoint("update.begun")
            if backup is not None:
                os.rename(old.path, backup)
            moves.checkpoint("update.backed-up")
            os.rename(tmp, old.path)
            moves.checkpoint("update.renamed")
            self.changes.apply(proposal, self._rows(pending, rec, pkg.permissions, "ext.update",
                                                    staged.source.host))
        except BaseException as exc:
            moves.undo(self.db, pending)
            self.changes.withdraw(proposal.tx_id, "the update failed before it was applied")
            _reraise_os(exc, "install.update-failed", "Update failed and was rolled back")
            raise
        moves.checkpoint("update.committed")
        moves.remove(backup)
        return rec

    def _propose_copy(self, action: str, rec: InstallRecord, permissions: tuple[str, ...], tmp: Path,
                      trace: Trace, *, undo: str) -> Any:
        proposal = self.changes.propose_copy(action, rec, permissions, tmp, undo=undo)
        trace.tx_id = proposal.tx_id
        return proposal

    # --- uninstall -----------------------------------------------------------------------------

    def uninstall(self, ident: str) -> dict[str, Any]:
        with moves.exclusive(self.home):
            rec = self.resolve(ident)
            self.changes.recover(scope_of(self.home, rec))
            parent = Path(rec.path).parent.parent
            backup = moves.temp_name(parent, "removed")
            pending = Pending(id=uuid.uuid4().hex, op="uninstall", install_id=rec.id, target=rec.path, tmp=None,
                              backup=str(backup))
            proposal = self.changes.propose("uninstall", rec, {records.entry_path(rec.id): None},
                                     undo=f"modgate mod install {rec.source} --scope {rec.scope}"
                                     + (f" --project {rec.project_path}" if rec.project_path else ""))

            def rows(conn: Any) -> None:
                records.delete(conn, rec.id)
                records.drop_pending(conn, pending.id)
                audit.append(conn, [event("ext.uninstall", rec)], self.clock())

            moves.begin(self.db, pending, self.clock())
            try:
                if os.path.lexists(rec.path):
                    os.rename(rec.path, backup)
                moves.checkpoint("uninstall.moved")
                self.changes.apply(proposal, rows)
            except BaseException:
                moves.undo(self.db, pending)
                self.changes.withdraw(proposal.tx_id, "the uninstall failed before it was applied")
                raise
            moves.remove(backup)
        return {"ok": True, "action": "uninstall", "mod": rec.to_dict(), "txId": proposal.tx_id}

    # --- helpers -----------------------------------------------------------------------------------

    def _validate(self, staged: Staged, host: str, trace: Trace) -> Package:
        trace.stage = "validate"
        pkg = validate_package(DirReader(staged.root), package_path=staged.package_path,
                               rules=HostRules.for_host(get_host(host)))
        trace.mod_id, trace.version = pkg.id, pkg.manifest.version
        return pkg

    @contextmanager
    def _staged(self, source_text: str, trace: Trace) -> Iterator[Staged]:
        trace.stage = "source"
        source = resolve_source(source_text)
        trace.source_host = source.host
        trace.stage = "stage"
        with stage(source, self.limits, self.say) as staged:
            yield staged



def _reraise_os(exc: BaseException, code: str, prefix: str) -> None:
    if isinstance(exc, OSError):
        fail(code, f"{prefix}: {exc.strerror or exc}", "", errno=exc.errno)


__all__ = ["Consent", "Installer", "Review", "Scope", "folder_name", "project_id"]
