"""Finding 7: a fresh home opened by several processes at once migrates once, without errors."""

from __future__ import annotations

from pathlib import Path

from tests.adversarial.helpers import run_together

from modgate.app import open_runtime
from modgate.store import audit

OPEN = """
import sys
from modgate.app import open_runtime
rt = open_runtime(sys.argv[1])
out = rt.bus.dispatch("setTool", {"tool": "pen"}, role="host")
assert out["ok"], out
print("ok")
"""


def test_concurrent_first_open_migrates_once(tmp_path: Path) -> None:
    for round_no in range(4):
        home = tmp_path / f"home{round_no}"
        results = run_together(OPEN, [str(home)], 6, tmp_path / "go")
        errors = [err.strip().splitlines()[-1] for rc, _, err in results if rc != 0]
        assert not errors, errors
        rt = open_runtime(home)
        try:
            names = [r[0] for r in rt.db.query("SELECT name FROM schema_migrations")]
            assert len(names) == len(set(names))
            assert audit.verify(rt.db)["ok"]
        finally:
            rt.close()
