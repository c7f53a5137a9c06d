"""Shared helpers for the extension tests: writing packages, a fresh installer, git repos."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

from tests.sharedpaths import listing, shared

# Conformance material from ../shared: empty lists when it is absent (tests using them are marked).
FIRST_PARTY = listing("conformance", "codex-chat", "mods", "first-party")
SEED_ERA = listing("conformance", "codex-chat@083903f", "mods", "first-party")
FIXTURES = shared("conformance", "codex-chat", "packages", "CodexMods", "Tests", "CodexModsTests", "Fixtures")


def sample_files(mod_id: str = "acme.sample", version: str = "1.0.0", permissions: tuple[str, ...] = ("projectRead",),
                 hook: bool = True, extra_files: int = 0) -> dict[str, Any]:
    ui: dict[str, Any] = {"schemaVersion": 1, "manifest": {"id": mod_id, "name": "Sample", "version": version},
                          "theme": {"palette": {"accentHex": "#112233"}}}
    if hook:
        ui["hooks"] = [{"id": "h", "event": "turn.completed", "handler": {"command": ["sh", "scripts/h.sh"]},
                        "permissions": {p: True for p in permissions}}]
    files: dict[str, Any] = {
        "codex.mod.json": {"schemaVersion": 1, "id": mod_id, "name": "Sample", "version": version,
                           "entrypoints": {"uiMod": "ui.mod.json"}, "permissions": list(permissions),
                           "compatibility": {"platforms": ["*"]}},
        "ui.mod.json": ui,
        "scripts/h.sh": f"echo '{{\"ok\": true}}' # {version}\n",
    }
    for i in range(extra_files):
        files[f"data/{i}.txt"] = f"file {i} of {version}\n"
    return files


def write_package(root: Path, files: dict[str, Any]) -> Path:
    """Write files; keys ``@symlink:rel``, ``@hardlink:rel``, ``@fifo:rel``, ``@sparse:rel`` make special entries."""
    root.mkdir(parents=True, exist_ok=True)
    for rel, content in files.items():
        kind, _, name = rel.partition(":") if rel.startswith("@") else ("", "", rel)
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if kind == "@symlink":
            os.symlink(content, path)
        elif kind == "@hardlink":
            outside = root.parent / content
            outside.write_text("secret")
            os.link(outside, path)
        elif kind == "@fifo":
            os.mkfifo(path)
        elif kind == "@sparse":
            with open(path, "wb") as fh:
                fh.truncate(int(content))
        elif isinstance(content, str):
            path.write_text(content)
        else:
            path.write_text(json.dumps(content, indent=2))
    return root


def git(cwd: Path, *args: str) -> str:
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.invalid", GIT_COMMITTER_NAME="t",
               GIT_COMMITTER_EMAIL="t@example.invalid", GIT_CONFIG_NOSYSTEM="1", HOME=str(cwd))
    done = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60, check=True)
    return done.stdout


def make_repo(base: Path, owner: str, repo: str, layout: dict[str, dict[str, Any]]) -> Path:
    """A repository at ``base/owner/repo.git`` with one branch per ``layout`` key ({branch: files})."""
    work = base / "work" / owner / repo
    work.mkdir(parents=True)
    git(work, "init", "-q", "-b", "main")
    for index, (branch, files) in enumerate(layout.items()):
        if index:
            git(work, "checkout", "-q", "-b", branch, "main")
        write_package(work, files)
        git(work, "add", "-A")
        git(work, "commit", "-q", "-m", branch)
        git(work, "checkout", "-q", "main")
    bare = base / owner / f"{repo}.git"
    bare.parent.mkdir(parents=True, exist_ok=True)
    git(base, "clone", "-q", "--bare", str(work), str(bare))
    return bare
