"""Extension runtime: one event through one sandboxed handler, against starting that handler bare.

``hooks.bare_spawn_ms``: the test handler (``sh ok.sh``: read the envelope, print one JSON line)
started directly with subprocess. ``hooks.roundtrip_ms``: one event → target lookup (tree hash
and manifest re-check) → permission and debounce checks → the same handler in bubblewrap → output
parsed, hook state and runtime.log written. ``hooks.fanout_20_ms``: one event, 20 hooks, run
concurrently (at most 8 at a time). Targets: roundtrip − bare ≤ 10 ms; fanout_20 ≤ 4 × roundtrip.
Without bubblewrap the sandboxed figures are measured with MODGATE_SANDBOX=off and say so.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))
sys.path.insert(0, str(ROOT))

from benchutil import median_ms  # noqa: E402


def run(quick: bool) -> dict[str, Any]:
    repeat = 7 if quick else 25
    saved = {k: os.environ.get(k) for k in ("MODGATE_HOME", "MODGATE_SANDBOX")}
    sandboxed = shutil.which("bwrap") is not None
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["MODGATE_HOME"] = str(Path(tmp) / "home")
        if not sandboxed:
            os.environ["MODGATE_SANDBOX"] = "off"
        try:
            return {"hooks": {**_measure(Path(tmp), repeat), "sandbox": "bwrap" if sandboxed else "off"}}
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


def _measure(tmp: Path, repeat: int) -> dict[str, float]:
    from tests.hook_helpers import HOOKS, hook, install, runner, runtime, write_mod

    from modgate.ext.hooks import EventContext

    script = HOOKS / "ok.sh"
    line = b'{"protocol":"codexchat.extension.v1","event":"turn.completed","payload":{}}\n'

    def bare() -> None:
        subprocess.run(["sh", str(script)], input=line, capture_output=True, check=True, timeout=30)

    bare()
    out = {"bare_spawn_ms": median_ms(bare, repeat=repeat)}
    with runtime() as rt:
        install(rt, write_mod(tmp / "one", "acme.one", [hook("h", ["sh", "scripts/ok.sh"])]))
        r = runner(rt)
        one = EventContext(event="turn.completed", thread_id="t")
        r.emit(one)
        out["roundtrip_ms"] = median_ms(lambda: r.emit(one), repeat=repeat)
        many = [hook(f"h{i}", ["sh", "scripts/ok.sh"], event="turn.failed") for i in range(20)]
        install(rt, write_mod(tmp / "many", "acme.many", many))
        fan = EventContext(event="turn.failed", thread_id="t")
        r.emit(fan)
        out["fanout_20_ms"] = median_ms(lambda: r.emit(fan), repeat=max(3, repeat // 3))
    out["overhead_ms"] = round(out["roundtrip_ms"] - out["bare_spawn_ms"], 3)
    out["fanout_ratio"] = round(out["fanout_20_ms"] / out["roundtrip_ms"], 2)
    return out
