"""Artifact writes from handler output: ``upsert`` only, inside the project, atomically.

Fixes to CodexChat: the hook must hold ``projectWrite`` (CodexChat never checks), and the
target is checked after resolving symlinks (CodexChat compares unresolved paths, so a symlink
inside the project could point a write anywhere).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from modgate.ext.handlerout import Artifact
from modgate.ext.uimod import is_safe_relative


def write_artifacts(project: Path | None, artifacts: tuple[Artifact, ...], may_write: bool) -> list[str]:
    """Write what is allowed; return one log line per artifact (written or refused, and why)."""
    lines = []
    for item in artifacts:
        reason = _refusal(project, item, may_write)
        if reason is None:
            assert project is not None
            reason = _write(project, item)
        lines.append(f"artifact {item.path!r}: {reason or 'written'}")
    return lines


def _refusal(project: Path | None, item: Artifact, may_write: bool) -> str | None:
    if item.op != "upsert":
        return f"refused: op {item.op!r} is not supported (only upsert)"
    if not may_write:
        return "refused: the hook does not hold projectWrite"
    if project is None:
        return "refused: no project"
    if not is_safe_relative(item.path):
        return "refused: path must be relative to the project, without '..'"
    if item.path.strip("/").split("/")[0] == "mods":  # the project's own mods are not artifacts
        return "refused: the project's mods folder is not writable by artifacts"
    return None


def _inside(root: str, path: str) -> bool:
    return path == root or path.startswith(root + os.sep)


def _write(project: Path, item: Artifact) -> str | None:
    root = os.path.realpath(project)
    target = Path(root) / item.path
    if not _inside(root, os.path.realpath(target.parent)):
        return "refused: its folder resolves outside the project"
    if target.is_symlink() or not _inside(root, os.path.realpath(target)):
        return "refused: it resolves outside the project (symlink)"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        if not _inside(root, os.path.realpath(target.parent)):  # a link raced in while creating folders
            return "refused: its folder resolves outside the project"
        fd, tmp = tempfile.mkstemp(prefix=".modgate-artifact-", dir=target.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(item.content)
            os.replace(tmp, target)  # atomic; replaces a link raced in at the name, never follows it
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError as exc:
        return f"failed: {exc.strerror or exc}"
    return None
