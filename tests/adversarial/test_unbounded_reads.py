"""Finding 10: reading a user's file is bounded and refuses what is not a regular file."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from tests.adversarial.helpers import run_cli

from modgate.ext.tree import DirReader
from modgate.fileread import read_limited


@pytest.mark.parametrize("command", ["lint", "import"])
def test_a_device_is_refused_at_once(modgate_home: Path, command: str) -> None:
    done = run_cli(modgate_home, command, "/dev/zero", "--json", timeout=30)
    out = json.loads(done.stdout)
    assert done.returncode == 1 and out["code"] == "file-not-regular", out


@pytest.mark.parametrize("command", ["lint", "import"])
def test_a_fifo_does_not_hang(modgate_home: Path, tmp_path: Path, command: str) -> None:
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    done = run_cli(modgate_home, command, str(fifo), "--json", timeout=30)
    assert json.loads(done.stdout)["code"] == "file-not-regular"


def test_reads_stop_after_the_limit(tmp_path: Path) -> None:
    big = tmp_path / "big.json"
    with open(big, "wb") as fh:
        fh.truncate(64 * 1024 * 1024)  # sparse: cheap to make, 64 MiB to read
    assert len(read_limited(big, 1000)) == 1001


def test_a_package_fifo_is_not_read(tmp_path: Path) -> None:
    (tmp_path / "codex.mod.json").mkdir()
    os.mkfifo(tmp_path / "ui.mod.json")
    reader = DirReader(tmp_path)
    assert reader.read("ui.mod.json") is None and reader.read("codex.mod.json") is None
