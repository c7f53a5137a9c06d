"""Findings 9 and 14: a very deep package, and staging copies left by killed installs."""

from __future__ import annotations

import fcntl
import json
import os
import time
from pathlib import Path

import pytest
from tests.adversarial.helpers import run_cli
from tests.ext_helpers import sample_files, write_package

from modgate.ext.tree import remove_tree

DEPTH = 1000


def _deep_package(root: Path) -> Path:
    write_package(root, sample_files())
    fd = os.open(root, os.O_RDONLY)
    for _ in range(DEPTH):  # made with openat: os.makedirs itself recurses per level
        os.mkdir("d", dir_fd=fd)
        nxt = os.open("d", os.O_RDONLY, dir_fd=fd)
        os.close(fd)
        fd = nxt
    os.close(os.open("leaf.txt", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd))
    os.close(fd)
    return root


@pytest.fixture
def tmpdir_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(tmp))
    return tmp


def test_a_deep_package_installs_and_uninstalls_cleanly(modgate_home: Path, tmp_path: Path, tmpdir_env: Path
                                                        ) -> None:
    pkg = _deep_package(tmp_path / "pkg")
    try:
        done = run_cli(modgate_home, "mod", "install", str(pkg), "--host", "codexchat", "--yes", "--json",
                       timeout=120)
        out = json.loads(done.stdout)
        assert out["ok"], out
        assert not list(tmpdir_env.iterdir())  # the staging copy is gone
        listed = run_cli(modgate_home, "mod", "list", "--json")
        assert json.loads(listed.stdout)["ok"]
        gone = run_cli(modgate_home, "mod", "uninstall", "acme.sample", "--yes", "--json")
        assert json.loads(gone.stdout)["ok"], gone.stdout
        assert not (modgate_home / "mods" / "acme.sample").exists()
    finally:  # pytest's own clean-up of tmp_path uses shutil.rmtree, which recurses per level
        for path in (pkg, modgate_home / "mods", tmpdir_env):
            remove_tree(path)


def test_leaked_staging_folders_are_cleaned_but_live_ones_kept(modgate_home: Path, tmpdir_env: Path) -> None:
    leaked = tmpdir_env / "modgate-mod-leaked1"
    (leaked / "package" / "a" / "b").mkdir(parents=True)
    live = tmpdir_env / "modgate-mod-live1"
    (live / "package").mkdir(parents=True)
    foreign = tmpdir_env / "modgate-mod-foreign1"  # no marker: made by an older modgate that does not lock
    (foreign / "package").mkdir(parents=True)
    old = time.time() - 3600
    for path in (leaked, live):
        (path / ".modgate-staging").touch()
    for path in (leaked, live, foreign):
        os.utime(path, (old, old))
    fd = os.open(live, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH)  # a live install holds its folder
        done = run_cli(modgate_home, "mod", "list", "--json")
        assert json.loads(done.stdout)["ok"], done.stdout
        assert not leaked.exists() and live.exists() and foreign.exists()
    finally:
        os.close(fd)
