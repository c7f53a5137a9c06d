"""Fetching a source into a private staging folder that is always removed.

A shell. ``stage(source)`` yields a :class:`Staged` package: for a local folder the package is
scanned in place (limits, links) and then copied into the staging folder, so validation and
install read one snapshot; for GitHub the repository is shallow-cloned into the staging folder
(``git clone --depth 1``). The staging folder is ``tempfile.mkdtemp`` (mode 0700), outside
every scope root, and is removed on every exit path.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from modgate.ext.errors import ExtError, fail
from modgate.ext.manifest import MANIFEST_FILE, MISSING_MANIFEST
from modgate.ext.sources import DEFAULT_GITHUB_BASE, Source, check_subpath, parse_ls_remote, parse_source, pick_ref
from modgate.ext.tree import Limits, Listing, copy_tree, scan

GIT_TIMEOUT_S = 120
Say = Callable[[str], None]


@dataclass(frozen=True, slots=True, kw_only=True)
class Staged:
    source: Source
    root: Path  # the staged package root (private; removed after use)
    listing: Listing
    package_path: str  # what the first-party rule looks at
    ref: str | None = None


def github_base() -> str:
    return os.environ.get("MODGATE_GITHUB_BASE", "").strip() or DEFAULT_GITHUB_BASE


def resolve_source(text: str) -> Source:
    return parse_source(text, github_base())


@contextmanager
def stage(source: Source, limits: Limits, say: Say | None = None) -> Iterator[Staged]:
    tmp = Path(tempfile.mkdtemp(prefix="modgate-mod-"))
    try:
        if source.kind == "local":
            yield _stage_local(source, tmp, limits)
        else:
            yield _stage_github(source, tmp, limits, say)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _stage_local(source: Source, tmp: Path, limits: Limits) -> Staged:
    given = Path(source.path or "").expanduser()
    if not given.exists():
        fail("install.source-not-found", f"Mod source path not found: {source.display}", "SOURCE")
    if not given.is_dir():
        fail("install.source-not-directory", f"Mod source must be a directory: {source.display}", "SOURCE")
    origin = Path(os.path.realpath(given))
    root = package_root(origin, None)
    listing = scan(root, limits)
    snapshot = tmp / "package"
    copy_tree(root, listing, snapshot, limits)
    shown = Source(kind="local", display=str(origin), path=str(origin))
    return Staged(source=shown, root=snapshot, listing=listing, package_path=str(root))


def _stage_github(source: Source, tmp: Path, limits: Limits, say: Say | None) -> Staged:
    assert source.clone_url is not None
    ref, subpath = None, None
    if source.tree:
        ref, parts = pick_ref(source.tree, _remote_refs(source.clone_url))
        subpath = check_subpath(parts) if parts else None
    clone = tmp / "clone"
    if say is not None:
        say(f"cloning {source.display}" + (f" ({ref})" if ref else ""))
    _clone(source, ref, clone)
    root = package_root(clone, subpath)
    listing = scan(root, limits)
    rel = os.path.relpath(root, clone).replace(os.sep, "/")
    first_party = "/" + rel + "/" if source.official and rel != "." else ""
    return Staged(source=source, root=root, listing=listing, package_path=first_party, ref=ref)


def _git(args: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, GIT_TERMINAL_PROMPT="0", GIT_ASKPASS="true", GIT_CONFIG_NOSYSTEM="1")
    return subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=GIT_TIMEOUT_S, check=False)


def _remote_refs(url: str) -> list[str] | None:
    try:
        done = _git(["ls-remote", "--heads", "--tags", "--", url])
    except (OSError, subprocess.TimeoutExpired):
        return None
    return parse_ls_remote(done.stdout) if done.returncode == 0 else None


def _clone(source: Source, ref: str | None, dest: Path) -> None:
    url = source.clone_url or ""
    base = ["clone", "--depth", "1", "--quiet", "--no-tags", "-c", "core.symlinks=true"]
    attempts = [[*base, "--branch", ref, "--", url, str(dest)]] if ref else []
    attempts.append([*base, "--", url, str(dest)])  # CodexChat falls back to the default branch
    errors: list[str] = []
    for args in attempts:
        shutil.rmtree(dest, ignore_errors=True)
        try:
            done = _git(args)
        except (OSError, subprocess.TimeoutExpired) as exc:
            errors.append(str(exc))
            continue
        if done.returncode == 0:
            return
        errors.append(git_cause(done.stderr) or f"git exited with {done.returncode}")
    causes = "; then ".join(dict.fromkeys(e.replace(url, source.display) for e in errors))
    fail("install.clone-failed", f"Failed to clone mod source: {source.display}: {causes}", "SOURCE")


def git_cause(stderr: str, limit: int = 600) -> str:
    """The cause git reports (its ``fatal:``/``error:`` lines), not just its last line (often a hint)."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    causes = [line for line in lines if line.startswith(("fatal:", "error:"))] or lines[-1:]
    return " / ".join(causes)[:limit]


def package_root(base: Path, subpath: str | None) -> Path:
    """The tree subpath, else ``base`` itself, else its one child folder with codex.mod.json."""
    if subpath is not None:
        root = Path(os.path.realpath(base / subpath))
        if not str(root).startswith(os.path.realpath(base) + os.sep):
            fail("install.subpath-escape", f"Tree subpath escapes the repository: {subpath}", "SOURCE")
        if not root.is_dir() or not (root / MANIFEST_FILE).is_file():
            fail("package.missing-manifest", MISSING_MANIFEST, f"{subpath}/{MANIFEST_FILE}")
        return root
    if (base / MANIFEST_FILE).is_file():
        return base
    children = sorted(c for c in base.iterdir() if not c.name.startswith(".") and c.is_dir()
                      and not c.is_symlink() and (c / MANIFEST_FILE).is_file())
    if len(children) == 1:
        return children[0]
    if not children:
        fail("package.missing-manifest", MISSING_MANIFEST, MANIFEST_FILE)
    names = ", ".join(c.name for c in children[:10])
    fail("install.ambiguous-root", "Source must contain exactly one mod package folder with `codex.mod.json`. "
         f"Found: {names}. Use a tree URL or a folder path that names one.", "SOURCE", candidates=len(children))


__all__ = ["ExtError", "Staged", "github_base", "package_root", "resolve_source", "stage"]
