"""Action graph and MCP figures.

* ``graph.build_1000x10_ms``: deriving the graphs of 1,000 synthetic modules × 10 actions (plus the
  host's 38) from a state, median of repeats. Target <= 100 ms.
* ``mcp.list_tools_1000_ms``: one ``tools/list`` round trip over stdio, measured from the SDK's
  ``Client``, against ``modgate mcp`` with a MODGATE_HOME holding 100 modules × 10 bindings
  (1,038 tools). Median of repeats. Target <= 200 ms.
* ``mcp.start_ms``: from spawning ``modgate mcp`` to the first successful ``tools/list`` (process
  start, ``mcp`` import, handshake, first listing). Median of repeats.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchutil import median_ms

COMMANDS = [("setTool", "local", {"tool": "eraser"}), ("setPenWidth", "local", {"width": 6}),
            ("setPenColor", "local", {"color": "#1E90FF"}), ("nextStep", "sync", {}),
            ("setViewMode", "local", {"mode": "presentation"}), ("insertBreak", "doc", {"type": "line"}),
            ("setPlaybackSpeed", "sync", {"speed": 1.5}), ("togglePause", "sync", {}),
            ("setLaserColor", "local", {"color": "#FF3B30"}), ("prevStep", "sync", {})]
SLOTS = [("chrome-top-toolbar", "button"), ("left-panel", "panel"), ("toolbar-inline", "button"),
         ("toolbar-bottom", "button")]


def synthetic_package(index: int, actions: int = 10) -> dict[str, Any]:
    module_id = f"bench-module-{index:04d}"
    ui, bindings = [], []
    for i in range(actions):
        command_id, scope, payload = COMMANDS[i % len(COMMANDS)]
        slot, kind = SLOTS[i % len(SLOTS)]
        ui.append({"id": f"entry-{i}", "slot": slot, "type": kind, "props": {"label": f"Action {i}"},
                   "action": {"commandId": command_id, "payload": payload}})
        bindings.append({"bindingId": f"action-{i}", "uiEntryId": f"entry-{i}", "commandId": command_id,
                         "payload": payload, "context": {}, "expectedMutationScope": scope})
    return {"packageAbiVersion": 1, "moduleId": module_id, "moduleVersion": "1.0.0", "displayName": module_id,
            "compatibility": {"pluginManifestVersion": 1, "commandBusContractVersion": 1,
                              "minAppVersion": "10.0.0", "maxAppVersionExclusive": None},
            "pluginManifest": {"manifestVersion": 1, "pluginId": module_id, "ui": ui},
            "commandBindings": bindings, "capabilitiesRequested": []}


def build_ms(quick: bool) -> float:
    from modgate import graph
    from modgate.host import get_host
    from modgate.modules.registry import entry_for

    host = get_host("board")
    modules = {f"bench-module-{i:04d}": entry_for(synthetic_package(i)) for i in range(1000)}
    state = {**host.initial_state(), "registry": {"modules": modules}}
    graphs = graph.build_graphs(host, state)
    assert sum(len(g.actions) for g in graphs) == 38 + 10_000
    return median_ms(lambda: graph.build_graphs(host, state), repeat=5 if quick else 20)


def fill_home(home: Path, modules: int) -> None:
    from modgate.app import open_runtime
    from modgate.bus import Commit
    from modgate.modules.registry import register_ops

    rt = open_runtime(home)
    try:
        state = rt.store.state()
        ops = [op for i in range(modules) for op in register_ops(state, synthetic_package(i))]
        with rt.store.write() as session:
            session.commit(Commit(ops=ops, journal=None, events=[]))
    finally:
        rt.close()


async def _measure(home: Path, starts: int, lists: int) -> tuple[list[float], list[float], int]:
    import anyio
    from mcp import Client, StdioServerParameters

    params = StdioServerParameters(command=sys.executable, args=["-m", "modgate", "mcp"],
                                   env={**os.environ, "MODGATE_HOME": str(home)})
    start_samples, list_samples, count = [], [], 0
    with anyio.fail_after(300):
        for attempt in range(starts):
            t0 = time.perf_counter()
            async with Client(params, cache=None, read_timeout_seconds=60) as client:
                count = len((await client.list_tools()).tools)
                start_samples.append((time.perf_counter() - t0) * 1000)
                if attempt == 0:
                    for _ in range(lists):
                        t1 = time.perf_counter()
                        await client.list_tools()
                        list_samples.append((time.perf_counter() - t1) * 1000)
    return start_samples, list_samples, count


def mcp_figures(quick: bool) -> dict[str, Any]:
    import anyio

    with tempfile.TemporaryDirectory(prefix="modgate-bench-mcp-") as tmp:
        home = Path(tmp)
        fill_home(home, 100)
        starts, lists, count = anyio.run(_measure, home, 3 if quick else 7, 10 if quick else 40)
    return {"list_tools_1000_ms": round(statistics.median(lists), 3), "start_ms": round(statistics.median(starts), 3),
            "tools": count}


def run(quick: bool) -> dict[str, Any]:
    return {"graph": {"build_1000x10_ms": build_ms(quick)}, "mcp": mcp_figures(quick)}


if __name__ == "__main__":
    import json

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    print(json.dumps(run("--quick" in sys.argv), indent=2))
