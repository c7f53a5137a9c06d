"""Hypothesis: doc edits followed by as many undos give back the start; redo replays them."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modgate.bus import Bus
from modgate.bus_memory import MemoryBusStore
from modgate.host import get_host

ids = st.sampled_from(["b1", "b2", "b3", "b4"])
segment = st.fixed_dictionaries({"id": st.sampled_from(["s1", "s2"]), "type": st.just("text"),
                                 "orderIndex": st.integers(0, 3), "html": st.text(max_size=8)})
block = st.builds(lambda i, k, segs: {"id": i, "kind": k, "segments": segs}, ids,
                  st.sampled_from(["content", "page-break", "line-break", "column-break"]),
                  st.lists(segment, max_size=2))

edit = st.one_of(
    st.tuples(st.just("insertBlock"), st.builds(lambda b, i: {"block": b, "index": i}, block, st.integers(0, 5))),
    st.tuples(st.just("deleteBlock"), st.builds(lambda i: {"blockId": i}, ids)),
    st.tuples(st.just("updateBlock"), block.map(lambda b: {"blockId": b["id"], "block": b})),
    st.tuples(st.just("setColumnCount"), st.builds(lambda c: {"count": c}, st.integers(1, 4))),
    st.tuples(st.just("addPage"), st.just({})),
    st.tuples(st.just("deletePage"), st.just({})),
    st.tuples(st.just("setInsertionIndex"), st.builds(lambda i: {"index": i}, st.integers(0, 6))),
    st.tuples(st.just("insertBreak"), st.builds(lambda t: {"type": t}, st.sampled_from(["line", "column", "page"]))),
    st.tuples(st.just("setAnimationModInput"), st.just({"input": {"format": "f", "payload": [1]}})),
    st.tuples(st.just("clearAllAudio"), st.just({})),
)


def _doc_and_sync(store: MemoryBusStore) -> dict[str, Any]:
    return {"doc": store.state["doc"], "sync": store.state["sync"]}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(edit, max_size=12))
def test_undo_all_restores_and_redo_replays(edits: list[tuple[str, dict[str, Any]]]) -> None:
    host = get_host("board")
    store = MemoryBusStore(host.initial_state())
    bus = Bus(host, store)
    start = _doc_and_sync(store)
    applied = 0
    for command_id, payload in edits:
        before = store.revision
        out = bus.dispatch(command_id, payload)
        assert out["ok"] or out["code"] in ("command-execution-failed", "invalid-payload"), out
        applied += store.revision != before
    end = _doc_and_sync(store)
    for _ in range(applied):
        assert bus.dispatch("undo")["result"]["undone"] is not None
    assert _doc_and_sync(store) == start
    assert bus.dispatch("undo")["result"] == {"undone": None}
    for _ in range(applied):
        assert bus.dispatch("redo")["result"]["redone"] is not None
    assert _doc_and_sync(store) == end
