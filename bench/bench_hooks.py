"""Extension runtime: one event through one sandboxed handler, against starting that handler bare.

``hooks.bare_spawn_ms``: the test handler (``sh ok.sh``: read the envelope, print one JSON line)
started directly with subprocess. ``hooks.roundtrip_ms``: one event → target lookup (tree hash
and manifest re-check) → permission and debounce checks → the same handler in bubblewrap → output
parsed, hook state and runtime.log written. ``hooks.fanout_20_ms``: one event, 20 hooks, run
concurrently (at most 8 at a time). Targets: roundtrip − bare ≤ 10 ms; fanout_20 ≤ 4 × roundtrip.
Without bubblewrap the sandboxed figures are measured with MODGATE_SANDBOX=off and say so.

The floor, in the same run: ``hooks.sandbox_spawn_ms`` is the very sandbox command line modgate
builds, with ``/usr/bin/true`` as the handler, started bare (no modgate bookkeeping, no limits
handshake); ``hooks.sandbox_fanout_20_ms`` is twenty of those, eight at a time, as the runner
does. ``sandbox_fanout_ratio`` is what bubblewrap alone allows the fan-out ratio to be on this
machine: with one sandbox per handler, ``fanout_ratio`` cannot go below it.
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
    if os.environ.get("MODGATE_SANDBOX") != "off":
        out.update(_floor(tmp, repeat))
    return out


def _floor(tmp: Path, repeat: int) -> dict[str, float]:
    """The sandbox alone: one bare bubblewrap start of ``true`` against twenty, eight at a time."""
    from concurrent.futures import ThreadPoolExecutor

    from modgate.ext import sandbox
    from modgate.ext.hooks import MAX_PARALLEL

    mod = tmp / "floor"
    sandbox.prepare_state(mod)
    launch = sandbox.plan(sandbox.SandboxSpec(mod_dir=mod, argv=("/usr/bin/true",), cwd=None, project_dir=None,
                                              project_access="none", network=False, home=Path(tmp) / "home",
                                              cpu_seconds=9))

    def spawn(_: object = None) -> None:
        subprocess.run(list(launch.argv), env=launch.env, cwd=launch.cwd, capture_output=True, check=True, timeout=30)

    def fan() -> None:
        with ThreadPoolExecutor(MAX_PARALLEL) as pool:
            list(pool.map(spawn, range(20)))

    spawn()
    one = median_ms(spawn, repeat=repeat)
    twenty = median_ms(fan, repeat=max(3, repeat // 3))
    return {"sandbox_spawn_ms": one, "sandbox_fanout_20_ms": twenty, "sandbox_fanout_ratio": round(twenty / one, 2)}
