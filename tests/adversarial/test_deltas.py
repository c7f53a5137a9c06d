"""Finding 8: ops are deltas, and deltas apply and invert exactly (arrays insert and remove)."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from modgate.state import StateView, apply_ops, delta_ops, inverse_ops

leaves = st.one_of(st.none(), st.booleans(), st.integers(-5, 5), st.text(max_size=3))
values = st.recursive(leaves, lambda inner: st.one_of(st.lists(inner, max_size=6),
                                                      st.dictionaries(st.text(max_size=3), inner, max_size=5)),
                      max_leaves=25)


@settings(max_examples=300, deadline=None)
@given(before=values, after=values)
def test_delta_ops_apply_and_invert_exactly(before: Any, after: Any) -> None:
    state = {"doc": {"x": before}}
    ops = delta_ops("/doc/x", before, after)
    new = apply_ops(state, ops)
    assert new == {"doc": {"x": after}}
    assert apply_ops(new, inverse_ops(state, ops)) == state


@settings(max_examples=200, deadline=None)
@given(items=st.lists(st.integers(0, 9), max_size=12), index=st.integers(0, 12), value=st.integers(10, 20))
def test_an_insert_into_a_long_array_records_one_element(items: list[int], index: int, value: int) -> None:
    index = min(index, len(items))
    view = StateView({"doc": {"list": items}})
    view.set("/doc/list", [*items[:index], value, *items[index:]])
    ops = view.ops()
    assert len(ops) <= max(1, len(items))  # never the whole array twice over
    assert apply_ops({"doc": {"list": items}}, ops)["doc"]["list"] == [*items[:index], value, *items[index:]]


def test_a_journal_row_does_not_grow_with_the_document() -> None:
    blocks = [{"id": f"b{i}", "html": "x" * 100} for i in range(500)]
    view = StateView({"doc": {"stepBlocks": blocks}})
    view.set("/doc/stepBlocks", [*blocks, {"id": "new", "html": "y"}])
    ops = view.ops()
    assert len(ops) == 1 and ops[0].op == "add" and ops[0].path == "/doc/stepBlocks/500"


def test_a_queued_payload_is_not_stored_many_times_over(tmp_path: Any) -> None:
    from modgate.app import open_runtime

    rt = open_runtime(tmp_path / "home")
    try:
        db_file = tmp_path / "home" / "modgate.sqlite3"

        def size() -> int:
            rt.db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            return db_file.stat().st_size

        before = size()
        big = "x" * 150_000
        block = {"id": "big", "segments": [{"id": "s", "type": "text", "orderIndex": 0, "html": big}]}
        queued = rt.bus.dispatch("insertBlock", {"block": block}, role="student")
        assert queued["code"] == "approval-required"
        assert rt.bus.approve(queued["approvalId"])["ok"]
        grown = size() - before
        # The board keeps a block twice (stepBlocks and the page layout), so the state holds 2 copies;
        # recipe 1 + preview 2 + attempt ops 2 + journal 2 + state 2 = 9. The code before issue 11
        # stored 20 (role views x4, commit log beside the journal, payload in plan and result).
        assert grown < 11 * len(big), grown / len(big)
    finally:
        rt.close()
