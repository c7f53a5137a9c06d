"""Several processes apply transactions against one MODGATE_HOME: no lost update, no stale apply."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from modgate.app import open_runtime
from modgate.store import audit

WORKER = """
import sys
from modgate.app import open_runtime
rt = open_runtime(sys.argv[1])
applied = stale = 0
for i in range(int(sys.argv[3])):
    # a student's addPage is previewed (planned under the write lock), then approved and applied
    tx_id = rt.bus.dispatch("addPage", role="student")["approvalId"]
    for attempt in range(50):
        out = rt.bus.approve(tx_id)
        if out["ok"]:
            applied += 1
            break
        assert out["code"] == "tx-stale-base", out
        stale += 1
print(applied, stale)
"""


def test_parallel_applies_lose_no_update(modgate_home: Path) -> None:
    open_runtime(modgate_home).close()
    procs = [subprocess.Popen([sys.executable, "-c", WORKER, str(modgate_home), str(n), "15"],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for n in range(3)]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        results.append(tuple(int(x) for x in out.split()))
    applied = sum(r[0] for r in results)
    rt = open_runtime(modgate_home)
    try:
        # every applied read-modify-write counted: a stale base was refused, never applied
        assert len(rt.store.state()["doc"]["pageOrder"]) == applied + 1 == 46
        assert audit.verify(rt.db)["ok"]
    finally:
        rt.close()
