"""bus.*: dispatch overhead next to a direct call and pluggy; durable commits next to SQLite's floor."""

from __future__ import annotations

import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any

from benchutil import per_call_ns, ratio

from modgate.app import open_runtime
from modgate.bus import Bus, MemoryBusStore
from modgate.host import get_host
from modgate.state import StateView


def _pluggy_call() -> Any:
    import pluggy

    spec, impl = pluggy.HookspecMarker("bench"), pluggy.HookimplMarker("bench")

    class Spec:
        @spec
        def set_tool(self, payload: dict[str, Any]) -> Any: ...

    class Plugin:
        @impl
        def set_tool(self, payload: dict[str, Any]) -> Any:
            return payload

    pm = pluggy.PluginManager("bench")
    pm.add_hookspecs(Spec)
    pm.register(Plugin())
    return lambda: pm.hook.set_tool(payload={"tool": "pen"})


def in_process(quick: bool) -> dict[str, Any]:
    host = get_host("board")
    bus = Bus(host, MemoryBusStore(host.initial_state()))
    payload = {"tool": "pen"}  # already the active tool: a no-op local command
    number, repeat = (5_000, 5) if quick else (50_000, 9)
    dispatch_ns = per_call_ns(lambda: bus.dispatch("setTool", payload), number=number, repeat=repeat)
    spec, state = host.commands["setTool"], host.initial_state()
    direct_ns = per_call_ns(lambda: spec.handler(StateView(state), payload), number=number, repeat=repeat)
    pluggy_ns = per_call_ns(_pluggy_call(), number=number, repeat=repeat)
    return {"dispatch_ns": dispatch_ns, "direct_call_ns": direct_ns, "pluggy_call_ns": pluggy_ns,
            "ratio_vs_pluggy": ratio(dispatch_ns, pluggy_ns)}


def _floor_per_s(folder: Path, count: int) -> float:
    conn = sqlite3.connect(folder / "floor.sqlite3", isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("CREATE TABLE t (i INTEGER, v TEXT)")
    start = time.perf_counter()
    for i in range(count):
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO t VALUES (?, ?)", (i, "x"))
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - start
    conn.close()
    return count / elapsed


def _durable_per_s(folder: Path, count: int, group: int) -> float:
    rt = open_runtime(folder / f"home-{group}")
    widths = [1 + i % 100 for i in range(count)]
    start = time.perf_counter()
    for first in range(0, count, group):
        if group == 1:
            rt.bus.dispatch("setPenWidth", {"width": widths[first]})
            continue
        with rt.db.atomic():
            for i in range(first, min(first + group, count)):
                rt.bus.dispatch("setPenWidth", {"width": widths[i]})
    elapsed = time.perf_counter() - start
    rt.close()
    return count / elapsed


def durable(quick: bool) -> dict[str, Any]:
    count = 300 if quick else 2_000
    with tempfile.TemporaryDirectory(prefix="modgate-bench-") as tmp:
        folder = Path(tmp)
        floor, ours = [], []
        for _ in range(3):  # interleave so both see the same disk conditions
            floor.append(_floor_per_s(folder, count))
            ours.append(_durable_per_s(folder, count, 1))
            (folder / "floor.sqlite3").unlink()
            for extra in folder.glob("floor.sqlite3-*"):
                extra.unlink()
        grouped = _durable_per_s(folder, 3_000 if quick else 20_000, 100)
    floor_s, ours_s = sorted(floor)[1], sorted(ours)[1]
    return {"durable_per_s": round(ours_s, 1), "sqlite_floor_per_s": round(floor_s, 1),
            "ratio_vs_floor": ratio(ours_s, floor_s), "grouped_per_s": round(grouped, 1)}


def run(quick: bool) -> dict[str, Any]:
    return {"bus": {**in_process(quick), **durable(quick)}}
