"""bus.*: dispatch overhead next to a direct call and pluggy; durable commits next to SQLite's floor."""

from __future__ import annotations

import gc
import itertools
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any

from benchutil import interleaved_ns, per_call_ns, ratio

from modgate.app import open_runtime
from modgate.bus import Bus
from modgate.bus_memory import MemoryBusStore
from modgate.host import get_host
from modgate.state import Op, StateView, apply_ops
from modgate.state_changes import staged_changes
from modgate.store.db import Database
from modgate.store.schema import CORE_MIGRATIONS

COLORS = ("#112233", "#445566")


def _pluggy_call() -> Any:
    """A pluggy hook call with one plugin, its payload built per call exactly as ours is."""
    import pluggy

    spec, impl = pluggy.HookspecMarker("bench"), pluggy.HookimplMarker("bench")

    class Spec:
        @spec
        def set_pen_color(self, payload: dict[str, Any]) -> Any: ...

    class Plugin:
        @impl
        def set_pen_color(self, payload: dict[str, Any]) -> Any:
            return payload

    pm = pluggy.PluginManager("bench")
    pm.add_hookspecs(Spec)
    pm.register(Plugin())
    colors = itertools.cycle(COLORS)
    return lambda: pm.hook.set_pen_color(payload={"color": next(colors)})


def _alternating(bus: Bus) -> Any:
    """setPenColor between two values: every timed call really changes state (and is journaled, audited)."""
    colors = itertools.cycle(COLORS)
    return lambda: bus.dispatch("setPenColor", {"color": next(colors)})


def _general(bus: Bus) -> Any:
    """A doc command through a general handler (setColumnCount between two values): the full pipeline."""
    counts = itertools.cycle(({"count": 1}, {"count": 2}))
    return lambda: bus.dispatch("setColumnCount", dict(next(counts)))


def _general_floor(host: Any) -> Any:
    """What no general dispatch can skip: setColumnCount's handler on a StateView, then its ops and
    their inverse (the bus's one walk), alternating between two states so every call changes one."""
    spec = host.commands["setColumnCount"]
    first = host.initial_state()
    second = apply_ops(first, [Op("replace", "/doc/pageColumnCounts/page-1", 1)])
    cases = itertools.cycle(((first, {"count": 1}), (second, {"count": 2})))

    def call() -> Any:
        state, payload = next(cases)
        view = StateView(state)
        spec.handler(view, dict(payload))
        return staged_changes(state, view.staged)

    return call


def _settle_ns(host: Any, writes: int) -> float:
    """What the memory store's field writes leave for their first reader, per write: after
    ``writes`` dispatches on a fresh store, the first read of the journal files every write's
    record into the journal's undo indexes and the audit list (``MemoryBusStore._settle``). The
    heap is collected first, so a full collection owed to earlier sections is not charged here."""
    bus = Bus(host, MemoryBusStore(host.initial_state()))
    call = _alternating(bus)
    for _ in range(writes):
        call()
    store = bus.store
    assert isinstance(store, MemoryBusStore)
    gc.collect()
    start = time.perf_counter_ns()
    store.journal  # noqa: B018  # the read that settles
    return round((time.perf_counter_ns() - start) / writes, 1)


def _with_journal(bus: Bus, entries: int) -> Bus:
    call = _alternating(bus)
    for _ in range(entries):
        call()
    return bus


def in_process(quick: bool) -> dict[str, Any]:
    host = get_host("board")
    number, repeat = (5_000, 9) if quick else (50_000, 9)  # nine rounds: medians steady enough for a ratio
    fresh = Bus(host, MemoryBusStore(host.initial_state()))
    # Each ratio's two sides side by side in every round (medians of the rounds), so a change of
    # load during the run hits both alike. "floor" is what no general dispatch can skip.
    paired = interleaved_ns({"dispatch": _alternating(fresh), "pluggy": _pluggy_call(),
                             "general": _general(Bus(host, MemoryBusStore(host.initial_state()))),
                             "floor": _general_floor(host)},
                            number=number, repeat=repeat)
    dispatch_ns, pluggy_ns, general_ns = paired["dispatch"], paired["pluggy"], paired["general"]
    settle_ns = _settle_ns(host, number)
    floor_ns = paired["floor"]
    growth = interleaved_ns({"empty": _alternating(Bus(host, MemoryBusStore(host.initial_state()))),
                             "full": _alternating(_with_journal(Bus(host, MemoryBusStore(host.initial_state())),
                                                                10_000))},
                            number=number // 5, repeat=repeat)
    empty, journal_ns = growth["empty"], growth["full"]
    noop = Bus(host, MemoryBusStore(host.initial_state()))
    payload = {"tool": "pen"}  # already the active tool: a no-op local command
    noop_ns = per_call_ns(lambda: noop.dispatch("setTool", payload), number=number, repeat=repeat)
    spec, state = host.commands["setTool"], host.initial_state()
    direct_ns = per_call_ns(lambda: spec.handler(StateView(state), payload), number=number, repeat=repeat)
    return {"dispatch_ns": dispatch_ns, "pluggy_call_ns": pluggy_ns, "ratio_vs_pluggy": ratio(dispatch_ns, pluggy_ns),
            "dispatch_general_ns": general_ns, "general_ratio_vs_pluggy": ratio(general_ns, pluggy_ns),
            "general_floor_ns": floor_ns, "general_floor_ratio_vs_pluggy": ratio(floor_ns, pluggy_ns),
            "general_ratio_vs_floor": ratio(general_ns, floor_ns),
            "settle_per_record_ns": settle_ns, "dispatch_noop_ns": noop_ns, "direct_call_ns": direct_ns,
            "dispatch_empty_journal_ns": empty, "dispatch_10k_journal_ns": journal_ns,
            "journal_growth_ratio": ratio(journal_ns, empty)}


def sqlite_journal(quick: bool) -> dict[str, Any]:
    """The same state-changing dispatch on the SQLite store, on an empty journal and after 10,000 entries."""
    with tempfile.TemporaryDirectory(prefix="modgate-bench-") as tmp:
        rt = open_runtime(Path(tmp) / "home")
        call = _alternating(rt.bus)
        number, repeat = (200, 5) if quick else (1_000, 7)
        with rt.db.atomic():  # one outer transaction: the figure is the dispatch, not fsync
            empty = per_call_ns(call, number=number, repeat=repeat)
            for _ in range(10_000 if not quick else 3_000):
                call()
            full = per_call_ns(call, number=number, repeat=repeat)
        rt.close()
    return {"sqlite_dispatch_empty_journal_ns": empty, "sqlite_dispatch_10k_journal_ns": full,
            "sqlite_journal_entries": 10_000 if not quick else 3_000, "sqlite_journal_growth_ratio": ratio(full, empty)}


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


def _durable_per_s(folder: Path, count: int, group: int, keep: list[Any] | None = None) -> float:
    """Dispatches a second of setPenWidth on a fresh home, ``group`` per transaction. ``keep``
    receives the journal and audit rows they wrote (the floor's input)."""
    rt = open_runtime(folder / f"home-{group}")
    widths = [1 + i % 100 for i in range(count)]
    first_journal = rt.db.query("SELECT COALESCE(MAX(seq), 0) FROM journal")[0][0]
    first_audit = rt.db.query("SELECT COALESCE(MAX(seq), 0) FROM audit")[0][0]
    start = time.perf_counter()
    for first in range(0, count, group):
        if group == 1:
            rt.bus.dispatch("setPenWidth", {"width": widths[first]})
            continue
        with rt.db.atomic():
            for i in range(first, min(first + group, count)):
                rt.bus.dispatch("setPenWidth", {"width": widths[i]})
    elapsed = time.perf_counter() - start
    if keep is not None:
        keep.append(rt.db.query("SELECT * FROM journal WHERE seq > ? ORDER BY seq", (first_journal,)))
        keep.append(rt.db.query("SELECT * FROM audit WHERE seq > ? ORDER BY seq", (first_audit,)))
    rt.close()
    return count / elapsed


def _grouped_floor_per_s(folder: Path, journal: list[tuple[Any, ...]], audit: list[tuple[Any, ...]],
                         group: int) -> float:
    """The floor of a grouped commit on this disk: the very journal and audit rows our grouped
    dispatches wrote, inserted with executemany into tables of the same schema (indexes and
    triggers included), in the same WAL/synchronous=FULL mode, one transaction per ``group``."""
    db = Database(folder / "grouped-floor" / "modgate.sqlite3")
    db.migrate(CORE_MIGRATIONS)
    conn = db.conn
    per_dispatch = max(1, len(audit) // max(1, len(journal)))
    start = time.perf_counter()
    for first in range(0, len(journal), group):
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(f"INSERT INTO journal VALUES ({','.join('?' * 11)})", journal[first:first + group])
        conn.executemany(f"INSERT INTO audit VALUES ({','.join('?' * 9)})",
                         audit[first * per_dispatch:(first + group) * per_dispatch])
        conn.execute("COMMIT")
    elapsed = time.perf_counter() - start
    db.close()
    return len(journal) / elapsed


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
        grouped, grouped_floor = [], []
        for round_no in range(3):  # interleaved too; each round on a fresh home and floor file
            rows: list[Any] = []
            here = folder / f"grouped-{round_no}"
            grouped.append(_durable_per_s(here, 3_000 if quick else 20_000, 100, keep=rows))
            grouped_floor.append(_grouped_floor_per_s(here, rows[0], rows[1], 100))
    floor_s, ours_s = sorted(floor)[1], sorted(ours)[1]
    grouped_s, grouped_floor_s = sorted(grouped)[1], sorted(grouped_floor)[1]
    return {"durable_per_s": round(ours_s, 1), "sqlite_floor_per_s": round(floor_s, 1),
            "ratio_vs_floor": ratio(ours_s, floor_s), "grouped_per_s": round(grouped_s, 1),
            "grouped_floor_per_s": round(grouped_floor_s, 1),
            "grouped_ratio_vs_floor": ratio(grouped_s, grouped_floor_s)}


def run(quick: bool) -> dict[str, Any]:
    return {"bus": {**in_process(quick), **sqlite_journal(quick), **durable(quick)}}
