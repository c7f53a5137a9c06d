"""Where mods live: the global scope (``$MODGATE_HOME/mods``) and project scopes (``<project>/mods``).

Install ids name the scope: ``global:<modId>`` and ``project:<projectId>:<modId>``, where the
project id is a short hash of the project folder's real path. Project mods beat global ones.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from modgate.ext.errors import fail
from modgate.ext.records import InstallRecord

MAX_COLLISIONS = 100


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


def scope_for(home: Path, kind: str, project: Path | None = None) -> Scope:
    """The scope an install goes to: ``global``, or ``project`` (``project`` or the current folder)."""
    if kind == "global":
        return Scope(kind="global", root=home / "mods", parent=home)
    base = Path(os.path.realpath(project or Path.cwd()))
    if not base.is_dir():
        fail("install.source-not-directory", f"Project folder not found: {base}", "--project")
    return Scope(kind="project", root=base / "mods", parent=base, project_id=project_id(base),
                 project_path=str(base))


def scope_of(home: Path, rec: InstallRecord) -> Scope:
    """The scope an installed mod lives in."""
    if rec.scope == "global":
        return scope_for(home, "global")
    base = Path(rec.project_path or Path(rec.path).parent.parent)
    return Scope(kind="project", root=base / "mods", parent=base, project_id=rec.project_id,
                 project_path=str(base))


def free_folder(root: Path, mod_id: str) -> Path:
    """``root/<mod id>``, or ``-2``, ``-3``… when taken (bounded)."""
    base = folder_name(mod_id)
    for n in range(1, MAX_COLLISIONS + 1):
        candidate = root / (base if n == 1 else f"{base}-{n}")
        if not candidate.exists() and not candidate.is_symlink():
            return candidate
    fail("install.copy-failed", f"Failed to copy mod package into destination: too many folders named {base}*",
         str(root))
