"""What is installed: looking mods up, checking their files, listing and loading them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from modgate.errors import ModgateError
from modgate.ext import moves, records
from modgate.ext.changes import ExtensionChanges
from modgate.ext.errors import ExtError, fail
from modgate.ext.manifest import HostRules, Package, validate_package
from modgate.ext.records import InstallRecord
from modgate.ext.scopes import project_id
from modgate.ext.tree import DirReader, Limits, scan, tree_hash
from modgate.host import get_host


class Catalog:
    def __init__(self, changes: ExtensionChanges, limits: Limits) -> None:
        self.changes, self.db, self.home, self.limits = changes, changes.db, changes.home, limits

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

    def tree_hash(self, path: Path) -> str:
        try:
            return tree_hash(path)
        except OSError as exc:  # the folder vanished or became unreadable after the scan
            fail("mod.tree-changed", f"The installed files of this mod cannot be read: {path} "
                 f"({exc.strerror or exc}). Reinstall it.", str(path))

    def scan_installed(self, path: Path) -> None:
        if not path.is_dir():
            fail("mod.tree-changed", f"The installed files of this mod are missing: {path}. Reinstall it.", str(path))
        scan(path, self.limits)

    def revalidate(self, rec: InstallRecord) -> Package:
        # The namespace rule is about where a package came from; that was settled at install.
        return validate_package(DirReader(Path(rec.path)), package_path=rec.path, first_party=True,
                                rules=HostRules.for_host(get_host(rec.host)))

    def list(self) -> list[dict[str, Any]]:
        with moves.exclusive(self.home):
            self.changes.recover(None)
        out = []
        for rec in records.all_records(self.db):
            item = rec.to_dict()
            item["status"] = self.status(rec)
            item["loadable"] = item["status"] == "ok"
            out.append(item)
        return out

    def status(self, rec: InstallRecord) -> str:
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
                pkg = self.revalidate(rec)
            except ModgateError as exc:
                refused.append({"id": rec.id, **exc.problem.to_dict()})
                continue
            chosen[rec.mod_id] = (rec, pkg)  # project records come last, so they win
        return {"mods": [{"id": r.id, "modId": r.mod_id, "scope": r.scope, "path": r.path, "package": p}
                         for r, p in chosen.values()], "refused": refused}
