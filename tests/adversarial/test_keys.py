"""Finding 5: the approval key. Truncated, symlinked, racing, wrong-type and loose-mode keys."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from tests.adversarial.helpers import run_cli, run_together

from modgate.app import open_runtime
from modgate.errors import ModgateError


def _key(home: Path) -> Path:
    return home / "keys" / "approval.key"


def test_the_key_exists_once_the_home_is_opened(modgate_home: Path) -> None:
    open_runtime(modgate_home).close()
    assert len(_key(modgate_home).read_bytes()) >= 32
    assert stat.S_IMODE(os.stat(_key(modgate_home)).st_mode) == 0o600


def test_an_empty_key_is_refused(modgate_home: Path) -> None:
    open_runtime(modgate_home).close()
    _key(modgate_home).write_bytes(b"")
    with pytest.raises(ModgateError) as info:
        open_runtime(modgate_home)
    assert info.value.code == "key-invalid"


def test_a_symlinked_key_is_not_followed(modgate_home: Path, tmp_path: Path) -> None:
    open_runtime(modgate_home).close()
    outside = tmp_path / "outside"
    outside.write_bytes(b"x" * 64)
    os.chmod(outside, 0o644)
    _key(modgate_home).unlink()
    _key(modgate_home).symlink_to(outside)
    with pytest.raises(ModgateError) as info:
        open_runtime(modgate_home)
    assert info.value.code == "key-invalid"
    assert stat.S_IMODE(os.stat(outside).st_mode) == 0o644  # not chmod-ed through the link


def test_a_key_that_is_a_folder_gets_a_code_on_the_cli(modgate_home: Path) -> None:
    open_runtime(modgate_home).close()
    _key(modgate_home).unlink()
    _key(modgate_home).mkdir()
    # A command that writes (read-only ones never open the keys)
    done = run_cli(modgate_home, "dispatch", "setTool", "--payload", '{"tool": "pen"}', "--json")
    assert done.returncode == 1, done.stderr
    assert json.loads(done.stdout)["code"] == "key-invalid"


def test_a_loose_keys_folder_is_tightened(modgate_home: Path) -> None:
    open_runtime(modgate_home).close()
    os.chmod(modgate_home / "keys", 0o777)
    os.chmod(_key(modgate_home), 0o666)
    open_runtime(modgate_home).close()
    assert stat.S_IMODE(os.stat(modgate_home / "keys").st_mode) == 0o700
    assert stat.S_IMODE(os.stat(_key(modgate_home)).st_mode) == 0o600


FIRST_USE = """
import sys
from modgate.app import open_runtime
rt = open_runtime(sys.argv[1])
tx = rt.bus.dispatch("addPage", role="student")["approvalId"]
token = rt.tx.approve(tx)["approvalToken"]
print(rt.tx.key.hex())
"""


def test_first_use_from_concurrent_processes_makes_one_whole_key(tmp_path: Path) -> None:
    for round_no in range(3):
        home = tmp_path / f"home{round_no}"
        results = run_together(FIRST_USE, [str(home)], 6, tmp_path / "go")
        assert all(rc == 0 for rc, _, _ in results), [err for _, _, err in results if err][:1]
        keys = {out.strip() for _, out, _ in results}
        assert len(keys) == 1 and len(bytes.fromhex(keys.pop())) >= 32
        assert _key(home).read_bytes()
        assert not [p for p in (home / "keys").iterdir() if p.name.startswith(".")]  # no temp files left
