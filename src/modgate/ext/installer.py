"""Install, update, uninstall, enable and disable extension mods; inspect and load them.

Orchestration only (pypa/installer style): sources and staging (:mod:`.staging`), validation
(:mod:`.manifest`), file trees (:mod:`.tree`), crash-safe moves (:mod:`.moves`) and records
(:mod:`.records`) do the work. Install = stage → validate → permission review → copy into a
temporary folder beside the scope root → transaction preview → rename into place → apply.
Scopes: global ``$MODGATE_HOME/mods`` and project ``<project>/mods``; project beats global.

Every persistent change (install, update, uninstall, enable, disable, re-approval, the
executable-mods setting) is a transaction of track and kind ``extension``: its preview is the
diff of the ``extensions`` state domain (a mirror of the install records), the user's consent
(the permission review, or ``--yes``) is recorded as the approval of that preview, and the
apply writes the records, the mirror, the commit log and the audit in one SQLite transaction.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from modgate.errors import ModgateError
from modgate.ext import moves, records
from modgate.ext.errors import ExtError, fail
from modgate.ext.manifest import HostRules, Package, validate_package
from modgate.ext.records import InstallRecord, Pending
from modgate.ext.staging import Staged, resolve_source, stage
from modgate.ext.tree import DirReader, Limits, Progress, copy_tree, scan, tree_hash
from modgate.host import get_host
from modgate.state import JsonObject
from modgate.store import audit
from modgate.tx.engine import OnCommit, TxEngine

EXECUTABLE_LOCKED = ("This mod includes executable hooks/automations. It was installed disabled: run "
                     "`modgate mod allow-executable`, then `modgate mod enable {id}`.")
MAX_COLLISIONS = 100


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


@dataclass(frozen=True, slots=True, kw_only=True)
class Scope:
    kind: str
    root: Path
    parent: Path
    project_id: str = ""
    project_path: str | None = None

    def install_id(self, mod_id: str) -> str:
        return f"global:{mod_id}" if self.kind == "global" else f"project:{self.project_id}:{mod_id}"


def project_id(project: Path) -> str:
    return hashlib.sha256(os.path.realpath(project).encode()).hexdigest()[:16]


def folder_name(mod_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "-", mod_id)


@dataclass(slots=True)
class _Trace:
    op: str
    stage: str = "source"
    mod_id: str | None = None
    version: str | None = None
    source_host: str | None = None
    tx_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class _Proposal:
    tx_id: str
    token: str


@dataclass(frozen=True, slots=True)
class _Change:
    changes: JsonObject
    rows: OnCommit
    undo: str


class Installer:
    def __init__(self, tx: TxEngine, home: Path, *, limits: Limits | None = None,
                 clock: Callable[[], float] = time.time, say: Callable[[str], None] | None = None,
                 progress: Progress | None = None) -> None:
        self.db, self.tx, self.home = tx.db, tx, home
        self.limits = limits or Limits.from_env()
        self.clock, self.say, self.progress = clock, say, progress

    # --- scopes and lookup -----------------------------------------------------------------

    def scope(self, kind: str, project: Path | None = None) -> Scope:
        if kind == "global":
            return Scope(kind="global", root=self.home / "mods", parent=self.home)
        base = Path(os.path.realpath(project or Path.cwd()))
        if not base.is_dir():
            fail("install.source-not-directory", f"Project folder not found: {base}", "--project")
        return Scope(kind="project", root=base / "mods", parent=base, project_id=project_id(base),
                     project_path=str(base))

    def resolve(self, ident: str) -> InstallRecord:
        """An install id, or a mod id installed in exactly one scope."""
        rec = records.get(self.db, ident)
        if rec is not None:
            return rec
        matches = records.by_mod_id(self.db, ident)
        if not matches:
            fail("mod.not-found", f"No installed mod with id {ident!r}.", "ID")
        if len(matches) > 1:
            ids = ", ".join(sorted(m.id for m in matches))
            fail("mod.ambiguous-id", f"Mod id {ident!r} is installed in several scopes; use an install id: {ids}",
                 "ID", installIds=sorted(m.id for m in matches))
        return matches[0]

    # --- inspect / validate --------------------------------------------------------------------

    def validate_dir(self, path: Path, host: str = "board") -> Package:
        if not path.is_dir():
            fail("install.source-not-found", f"Mod source path not found: {path}", "DIR")
        scan(path, self.limits)
        return validate_package(DirReader(path), package_path=os.path.realpath(path),
                                rules=HostRules.for_host(get_host(host)))

    def inspect(self, source_text: str, host: str = "board") -> dict[str, Any]:
        with self._traced("inspect") as trace, self._staged(source_text, trace) as staged:
            pkg = self._validate(staged, host, trace)
            return {"ok": True, "source": staged.source.display, "sourceHost": staged.source.host,
                    "manifestSource": "codex.mod.json", "ref": staged.ref, **pkg.summary()}

    # --- install -------------------------------------------------------------------------------

    def install(self, source_text: str, *, scope: str = "global", project: Path | None = None,
                host: str = "board", consent: Consent) -> dict[str, Any]:
        target_scope = self.scope(scope, project)
        with self._traced("install") as trace, self._staged(source_text, trace) as staged:
            pkg = self._validate(staged, host, trace)
            trace.stage = "review"
            review = Review(action="install", package=pkg, scope=scope, source=staged.source.display,
                            new_permissions=pkg.permissions)
            if not consent(review):
                fail("install.consent-required", f"Install of {pkg.id} was not approved. Review the permissions "
                     "and run again with --yes to accept them.", "--yes", review=review.to_dict())
            with moves.exclusive(self.home):
                self._recover(target_scope)
                rec = self._place_new(staged, pkg, target_scope, host, trace)
        result: dict[str, Any] = {"ok": True, "action": "install", "mod": rec.to_dict(), "txId": trace.tx_id,
                                  "permissions": list(pkg.permissions), "warnings": list(pkg.warnings)}
        if pkg.executable and not rec.enabled:
            result["executableLocked"] = True
            result["message"] = EXECUTABLE_LOCKED.format(id=rec.id)
        return result

    def _place_new(self, staged: Staged, pkg: Package, sc: Scope, host: str, trace: _Trace) -> InstallRecord:
        install_id = sc.install_id(pkg.id)
        if records.get(self.db, install_id) is not None:
            fail("install.already-installed", f"Mod {pkg.id} is already installed ({install_id}); use "
                 f"`modgate mod update {install_id}`.", "SOURCE", installId=install_id)
        trace.stage = "copy"
        dest = self._free_folder(sc.root, pkg.id)
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
        proposal = self._propose_copy("install", rec, pkg.permissions, tmp, trace,
                                      undo=f"modgate mod uninstall {install_id}")
        moves.begin(self.db, pending, now)
        try:
            moves.checkpoint("install.copied")
            sc.root.mkdir(parents=True, exist_ok=True)
            os.rename(tmp, dest)
            moves.checkpoint("install.renamed")
            self._apply(proposal, self._rows(pending, rec, pkg.permissions, "ext.install", staged.source.host))
        except BaseException as exc:
            moves.undo(self.db, pending)
            self._withdraw(proposal.tx_id, "the install failed before it was applied")
            _reraise_os(exc, "install.copy-failed", "Failed to copy mod package into destination")
            raise
        return rec

    def _free_folder(self, root: Path, mod_id: str) -> Path:
        base = folder_name(mod_id)
        for n in range(1, MAX_COLLISIONS + 1):
            candidate = root / (base if n == 1 else f"{base}-{n}")
            if not candidate.exists() and not candidate.is_symlink():
                return candidate
        fail("install.copy-failed", f"Failed to copy mod package into destination: too many folders named {base}*",
             str(root))

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

    def _rows(self, pending: Pending, rec: InstallRecord, grant: tuple[str, ...], event: str, host: str) -> OnCommit:
        def write(conn: Any) -> None:
            now = self.clock()
            records.put(conn, rec)
            records.grant(conn, rec.id, rec.mod_id, grant, now)
            records.drop_pending(conn, pending.id)
            audit.append(conn, [_event(event, rec, sourceHost=host, permissions=list(grant))], now)
        return write

    # --- transactions --------------------------------------------------------------------------

    def _propose(self, action: str, rec: InstallRecord | None, changes: JsonObject, *, undo: str) -> _Proposal:
        """Preview the record change and approve it on the user's behalf (they consented already)."""
        mod = rec.mod_id if rec is not None else "mods"
        recipe = {"action": action, "installId": rec.id if rec is not None else None, "set": changes, "undo": undo}
        shown = self.tx.preview(track="extension", kind="extension", recipe=recipe, title=f"{action} {mod}",
                                requested_by="user")
        approval = self.tx.approve(shown["txId"], preview_hash=shown["previewHash"], approver_id="user", owner=True)
        return _Proposal(tx_id=shown["txId"], token=approval["approvalToken"])

    def _propose_copy(self, action: str, rec: InstallRecord, permissions: tuple[str, ...], tmp: Path,
                      trace: _Trace, *, undo: str) -> _Proposal:
        """Propose placing the copy in ``tmp``; a refused proposal removes the copy."""
        try:
            proposal = self._propose(action, rec, {records.entry_path(rec.id): records.mirror_entry(rec, permissions)},
                                     undo=undo)
        except BaseException:
            moves.remove(tmp)
            raise
        trace.tx_id = proposal.tx_id
        return proposal

    def _apply(self, proposal: _Proposal, rows: OnCommit) -> None:
        # A failure is withdrawn by the caller, which also undoes its file moves.
        self.tx.apply(proposal.tx_id, approval_token=proposal.token, requested_by="user", on_commit=rows)

    def _withdraw(self, tx_id: str, reason: str) -> None:
        with suppress(ModgateError):  # never hide the failure that brought us here
            self.tx.withdraw(tx_id, reason)

    def _transact(self, action: str, install_id: str | None, make: Callable[[InstallRecord | None], _Change]
                  ) -> str:
        """Propose and apply a record change built from the record as it is *under the lock*."""
        with moves.exclusive(self.home):  # extension transactions are proposed under the lock only
            rec = None
            if install_id is not None:
                rec = records.get(self.db, install_id)
                if rec is None:
                    fail("mod.not-found", f"No installed mod with id {install_id!r}.", "ID")
            change = make(rec)
            proposal = self._propose(action, rec, change.changes, undo=change.undo)
            try:
                self._apply(proposal, change.rows)
            except BaseException:
                self._withdraw(proposal.tx_id, f"the {action} failed before it was applied")
                raise
        return proposal.tx_id

    # --- update --------------------------------------------------------------------------------

    def update(self, ident: str, source_text: str | None = None, *, consent: Consent) -> dict[str, Any]:
        old = self.resolve(ident)
        with self._traced("update") as trace, self._staged(source_text or old.source, trace) as staged:
            pkg = self._validate(staged, old.host, trace)
            if pkg.id != old.mod_id:
                fail("install.update-id-mismatch", f"Updated mod package ID {pkg.id} does not match the existing "
                     f"install ID {old.mod_id}.", "SOURCE", expected=old.mod_id, actual=pkg.id)
            trace.stage = "review"
            new = tuple(sorted(set(pkg.permissions) - records.granted(self.db, old.id)))
            review = Review(action="update", package=pkg, scope=old.scope, source=staged.source.display,
                            new_permissions=new)
            if (new or (pkg.executable and not old.executable)) and not consent(review):
                fail("install.consent-required", f"Update of {pkg.id} asks for new permissions "
                     f"({', '.join(new) or 'executable hooks'}) that were not approved; run again with --yes.",
                     "--yes", review=review.to_dict())
            with moves.exclusive(self.home):
                self._recover(self._scope_of(old))
                current = records.get(self.db, old.id)
                if current is None:
                    fail("mod.not-found", f"No installed mod with id {old.id!r}.", "ID")
                rec = self._swap(staged, pkg, current, new, trace)
        return {"ok": True, "action": "update", "mod": rec.to_dict(), "txId": trace.tx_id,
                "previousVersion": old.version,
                "newPermissions": list(new), "warnings": list(pkg.warnings)}

    def _swap(self, staged: Staged, pkg: Package, old: InstallRecord, new: tuple[str, ...],
              trace: _Trace) -> InstallRecord:
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
        permissions = tuple(records.granted(self.db, old.id) | set(new))
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
            self._apply(proposal, self._rows(pending, rec, new, "ext.update", staged.source.host))
        except BaseException as exc:
            moves.undo(self.db, pending)
            self._withdraw(proposal.tx_id, "the update failed before it was applied")
            _reraise_os(exc, "install.update-failed", "Update failed and was rolled back")
            raise
        moves.checkpoint("update.committed")
        moves.remove(backup)
        return rec

    # --- uninstall, enable, disable, approve -----------------------------------------------------

    def uninstall(self, ident: str) -> dict[str, Any]:
        with moves.exclusive(self.home):
            rec = self.resolve(ident)
            self._recover(self._scope_of(rec))
            parent = Path(rec.path).parent.parent
            backup = moves.temp_name(parent, "removed")
            pending = Pending(id=uuid.uuid4().hex, op="uninstall", install_id=rec.id, target=rec.path, tmp=None,
                              backup=str(backup))
            proposal = self._propose("uninstall", rec, {records.entry_path(rec.id): None},
                                     undo=f"modgate mod install {rec.source} --scope {rec.scope}"
                                     + (f" --project {rec.project_path}" if rec.project_path else ""))

            def rows(conn: Any) -> None:
                records.delete(conn, rec.id)
                records.drop_pending(conn, pending.id)
                audit.append(conn, [_event("ext.uninstall", rec)], self.clock())

            moves.begin(self.db, pending, self.clock())
            try:
                if os.path.lexists(rec.path):
                    os.rename(rec.path, backup)
                moves.checkpoint("uninstall.moved")
                self._apply(proposal, rows)
            except BaseException:
                moves.undo(self.db, pending)
                self._withdraw(proposal.tx_id, "the uninstall failed before it was applied")
                raise
            moves.remove(backup)
        return {"ok": True, "action": "uninstall", "mod": rec.to_dict(), "txId": proposal.tx_id}

    def enable(self, ident: str) -> dict[str, Any]:
        return self._set_enabled(self.resolve(ident).id, True)

    def disable(self, ident: str) -> dict[str, Any]:
        return self._set_enabled(self.resolve(ident).id, False)

    def _set_enabled(self, install_id: str, enabled: bool) -> dict[str, Any]:
        action = "enable" if enabled else "disable"

        def make(current: InstallRecord | None) -> _Change:
            assert current is not None
            if enabled:  # checked under the lock: a concurrent revoke or file change counts
                if current.executable and not records.allow_executable(self.db):
                    fail("mod.executable-locked", f"{current.id} has executable hooks/automations; executable "
                         "mods are not allowed. Run `modgate mod allow-executable` first.", "ID")
                self.verify(current)

            def rows(conn: Any) -> None:
                now = self.clock()
                records.set_enabled(conn, current.id, enabled, now)
                audit.append(conn, [_event(f"ext.{action}", current)], now)

            entry = records.mirror_entry(replace(current, enabled=enabled), tuple(records.granted(self.db, current.id)))
            return _Change({records.entry_path(current.id): entry}, rows,
                           f"modgate mod {'disable' if enabled else 'enable'} {current.id}")

        tx_id = self._transact(action, install_id, make)
        updated = records.get(self.db, install_id)
        if updated is None:  # uninstalled right after our commit, by another process
            fail("mod.not-found", f"No installed mod with id {install_id!r}.", "ID")
        return {"ok": True, "action": action, "mod": updated.to_dict(), "txId": tx_id}

    def approve(self, ident: str, *, consent: Consent) -> dict[str, Any]:
        """Re-approve a mod whose files changed: re-validate in place, review, record the new hash."""
        rec = self.resolve(ident)
        with self._traced("approve") as trace:
            trace.stage = "validate"
            path = Path(rec.path)
            self._scan_installed(path)
            pkg = self._revalidate(rec)
            if pkg.id != rec.mod_id:
                fail("install.update-id-mismatch", f"Updated mod package ID {pkg.id} does not match the existing "
                     f"install ID {rec.mod_id}.", "ID")
            review = Review(action="approve", package=pkg, scope=rec.scope, source=rec.source,
                            new_permissions=pkg.permissions)
            if not consent(review):
                fail("install.consent-required", f"The changed files of {rec.id} were not approved.", "--yes")
            reviewed = self._tree_hash(path)
            approved: list[InstallRecord] = []

            def make(current: InstallRecord | None) -> _Change:
                assert current is not None
                # Under the lock: the files must still be the ones reviewed, and the record is the
                # current one (an update, disable or uninstall meanwhile is kept, not overwritten).
                digest = self._tree_hash(path)
                if digest != reviewed or current.path != rec.path:
                    fail("mod.tree-changed", f"The files of {rec.id} changed while you reviewed them; run "
                         f"`modgate mod approve {rec.id}` again.", rec.path, expected=reviewed, actual=digest)
                approved.append(replace(current, name=pkg.manifest.name, version=pkg.manifest.version,
                                        tree_hash=digest, executable=pkg.executable, actions=pkg.actions()))

                def rows(conn: Any) -> None:
                    now = self.clock()
                    records.put(conn, replace(approved[0], updated_at=now))
                    records.grant(conn, current.id, current.mod_id, pkg.permissions, now)
                    audit.append(conn, [_event("ext.approve", current, treeHash=digest)], now)

                permissions = tuple(records.granted(self.db, current.id) | set(pkg.permissions))
                return _Change({records.entry_path(current.id): records.mirror_entry(approved[0], permissions)},
                               rows, f"modgate mod uninstall {current.id}")

            tx_id = self._transact("approve", rec.id, make)
        return {"ok": True, "action": "approve", "mod": approved[0].to_dict(), "txId": tx_id}

    def _tree_hash(self, path: Path) -> str:
        try:
            return tree_hash(path)
        except OSError as exc:  # the folder vanished or became unreadable after the scan
            fail("mod.tree-changed", f"The installed files of this mod cannot be read: {path} "
                 f"({exc.strerror or exc}). Reinstall it.", str(path))

    def _scan_installed(self, path: Path) -> None:
        if not path.is_dir():
            fail("mod.tree-changed", f"The installed files of this mod are missing: {path}. Reinstall it.", str(path))
        scan(path, self.limits)

    def _revalidate(self, rec: InstallRecord) -> Package:
        # The namespace rule is about where a package came from; that was settled at install.
        return validate_package(DirReader(Path(rec.path)), package_path=rec.path, first_party=True,
                                rules=HostRules.for_host(get_host(rec.host)))

    def allow_executable(self, allowed: bool = True) -> dict[str, Any]:
        def rows(conn: Any) -> None:
            records.set_allow_executable(conn, allowed)
            audit.append(conn, [audit.AuditEvent(event_type="ext.allow-executable", correlation_id=uuid.uuid4().hex,
                                                 data={"allowed": allowed})], self.clock())

        tx_id = self._transact("allow-executable" if allowed else "deny-executable", None,
                               lambda _: _Change({records.ALLOW_EXECUTABLE_PATH: allowed}, rows,
                                                 "modgate mod allow-executable" + (" --revoke" if allowed else "")))
        return {"ok": True, "allowExecutable": allowed, "txId": tx_id}

    # --- listing and loading ---------------------------------------------------------------------

    def verify(self, rec: InstallRecord) -> None:
        """Refuse a mod whose files changed since install (``mod.tree-changed``)."""
        if not Path(rec.path).is_dir():
            fail("mod.tree-changed", f"The installed files of {rec.id} are missing: {rec.path}. Reinstall it.",
                 rec.path)
        actual = tree_hash(Path(rec.path))
        if actual != rec.tree_hash:
            fail("mod.tree-changed", f"The files of {rec.id} changed since it was installed; it is refused until "
                 f"you reinstall it or re-approve it (`modgate mod approve {rec.id}`).", rec.path,
                 expected=rec.tree_hash, actual=actual)

    def list(self) -> list[dict[str, Any]]:
        with moves.exclusive(self.home):
            self._recover(None)
        out = []
        for rec in records.all_records(self.db):
            item = rec.to_dict()
            item["status"] = self._status(rec)
            item["loadable"] = item["status"] == "ok"
            out.append(item)
        return out

    def _status(self, rec: InstallRecord) -> str:
        if not rec.enabled:
            return "disabled"
        try:
            self.verify(rec)
        except ExtError:
            return "tree-changed"
        return "ok"

    def load_enabled(self, project: Path | None = None) -> dict[str, Any]:
        """The mods a host would run: enabled, unchanged, project shadowing global by mod id."""
        wanted = {"": "global"} | ({project_id(project): "project"} if project is not None else {})
        chosen: dict[str, tuple[InstallRecord, Package]] = {}
        refused: list[dict[str, Any]] = []
        for rec in sorted(records.all_records(self.db), key=lambda r: r.scope == "project"):
            if not rec.enabled or rec.project_id not in wanted:
                continue
            try:
                self.verify(rec)
                pkg = self._revalidate(rec)
            except ModgateError as exc:
                refused.append({"id": rec.id, **exc.problem.to_dict()})
                continue
            chosen[rec.mod_id] = (rec, pkg)  # project records come last, so they win
        return {"mods": [{"id": r.id, "modId": r.mod_id, "scope": r.scope, "path": r.path, "package": p}
                         for r, p in chosen.values()], "refused": refused}

    # --- helpers -----------------------------------------------------------------------------------

    def _scope_of(self, rec: InstallRecord) -> Scope:
        if rec.scope == "global":
            return self.scope("global")
        base = Path(rec.project_path or Path(rec.path).parent.parent)
        return Scope(kind="project", root=base / "mods", parent=base, project_id=rec.project_id,
                     project_path=str(base))

    def _recover(self, sc: Scope | None) -> None:
        """Call with the lock held: undo half-done moves, reject proposals a crash left pending."""
        parents = [self.home] + ([sc.parent] if sc is not None and sc.parent != self.home else [])
        moves.recover(self.db, parents)
        for state in ("APPROVAL_PENDING", "APPROVED", "FAILED_PRE_APPLY"):
            for stale in self.tx.list_tx(state=state, kind="extension"):
                self._withdraw(stale["txId"], "interrupted before it was applied")

    def _validate(self, staged: Staged, host: str, trace: _Trace) -> Package:
        trace.stage = "validate"
        pkg = validate_package(DirReader(staged.root), package_path=staged.package_path,
                               rules=HostRules.for_host(get_host(host)))
        trace.mod_id, trace.version = pkg.id, pkg.manifest.version
        return pkg

    @contextmanager
    def _staged(self, source_text: str, trace: _Trace) -> Iterator[Staged]:
        trace.stage = "source"
        source = resolve_source(source_text)
        trace.source_host = source.host
        trace.stage = "stage"
        with stage(source, self.limits, self.say) as staged:
            yield staged

    @contextmanager
    def _traced(self, op: str) -> Iterator[_Trace]:
        """Record the stage and reason of a refusal (never the source's credentials or file contents)."""
        trace = _Trace(op=op)
        try:
            yield trace
        except ExtError as exc:
            entry = {"op": op, "stage": trace.stage, "code": exc.code, "reason": exc.message,
                     "modId": trace.mod_id, "modVersion": trace.version, "sourceHost": trace.source_host}
            with suppress(ModgateError):  # a diagnostics failure must not hide the real refusal
                records.add_diagnostic(self.db, self.clock(), entry)
            raise


def _event(event_type: str, rec: InstallRecord, **extra: Any) -> audit.AuditEvent:
    data = {"installId": rec.id, "modId": rec.mod_id, "version": rec.version, "scope": rec.scope,
            "source": rec.source, "treeHash": rec.tree_hash, **extra}
    return audit.AuditEvent(event_type=event_type, correlation_id=uuid.uuid4().hex, data=data)


def _reraise_os(exc: BaseException, code: str, prefix: str) -> None:
    if isinstance(exc, OSError):
        fail(code, f"{prefix}: {exc.strerror or exc}", "", errno=exc.errno)


__all__ = ["Consent", "Installer", "Review", "Scope", "folder_name", "project_id"]
