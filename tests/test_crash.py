"""SIGKILL a process in the middle of a dispatch loop; nothing may be half-applied."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from modgate.app import open_runtime
from modgate.host import get_host
from modgate.state import Op, apply_ops
from modgate.store import audit

LOOP = """
import sys
from modgate.app import open_runtime
rt = open_runtime(sys.argv[1])
print("ready", flush=True)
i = 0
while i < 100000:
    i += 1
    rt.bus.dispatch("insertBlock", {"block": {"id": f"b{i}", "segments": []}})
    rt.bus.dispatch("setPenWidth", {"width": 1 + i % 50})
    if i % 3 == 0:
        rt.bus.dispatch("undo")
"""


def _replay(home: Path) -> None:
    """Replaying the journal from the initial state must give exactly the stored state."""
    rt = open_runtime(home)
    try:
        state = {**get_host("board").initial_state(), "registry": {"modules": {}},
                 "extensions": {"allowExecutable": False, "installs": {}}}
        for (ops_json,) in rt.db.query("SELECT ops FROM journal ORDER BY seq"):
            import orjson

            state = apply_ops(state, [Op.from_dict(d) for d in orjson.loads(ops_json)])
        assert state == rt.store.state()
        journal_rev = rt.db.query("SELECT MAX(revision) FROM journal")[0][0]
        assert journal_rev == rt.store.revision()
        assert audit.verify(rt.db)["ok"] is True
        assert rt.db.query("SELECT COUNT(*) FROM journal")[0][0] > 0  # the loop really ran
    finally:
        rt.close()


@pytest.mark.parametrize("delay", [0.3, 0.55, 0.8])
def test_sigkill_mid_loop_leaves_consistent_store(tmp_path: Path, delay: float) -> None:
    home = tmp_path / "home"
    proc = subprocess.Popen([sys.executable, "-c", LOOP, str(home)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        time.sleep(delay)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    _replay(home)
    rt = open_runtime(home)
    assert rt.bus.dispatch("setTool", {"tool": "hand"})["ok"]  # still usable afterwards
    rt.close()
