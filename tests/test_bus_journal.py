"""The journals stay fast with history: per-scope indexes in memory, SQL indexes in SQLite (issue 16)."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from modgate.app import open_runtime
from modgate.bus import JournalEntry
from modgate.bus_memory import _MemoryJournal
from modgate.store.bus_store import find_edit


def _naive(rows: list[list], scope: str, undo: bool) -> int | None:
    status = "done" if undo else "undone"
    seqs = [s for s, e, st in rows if e.scope == scope and e.kind == "edit" and st == status]
    return (seqs[-1] if undo else seqs[0]) if seqs else None


steps = st.lists(st.tuples(st.sampled_from(["edit", "undo", "redo"]), st.sampled_from(["doc", "local"])),
                 max_size=40)


@settings(max_examples=200, deadline=None)
@given(steps)
def test_memory_journal_indexes_agree_with_a_scan(actions: list[tuple[str, str]]) -> None:
    """The indexed journal answers undo/redo exactly as scanning the whole list did."""
    journal, rows = _MemoryJournal(), []  # rows: the list-rebuilding model it replaced
    for action, scope in actions:
        found = None
        if action != "edit":
            found = _naive(rows, scope, undo=action == "undo")
            indexed = journal.last_undoable(scope) if action == "undo" else journal.next_redoable(scope)
            assert (indexed[0] if indexed else None) == found
            if found is None:
                continue
        entry = JournalEntry(command_id=action, role="host", scope=scope, kind=action, ops=[], inverse=[],
                             ref_seq=found)
        if action == "edit":  # a new edit ends the redo stack of its own scope (as in SQLite)
            rows = [[s, e, "dead" if st == "undone" and e.scope == scope else st] for s, e, st in rows]
        rows.append([len(rows) + 1, entry, "done"])
        assert journal.append(entry) == len(rows)
        if found is not None:
            status = "undone" if action == "undo" else "done"
            rows[found - 1][2] = status
            journal.set_status(found, status)
        assert [(s, st) for s, _, st in journal.rows()] == [(s, st) for s, _, st in rows]


def _plan(conn: object, sql: str, params: tuple[object, ...]) -> str:
    return " ".join(str(r[-1]) for r in conn.execute("EXPLAIN QUERY PLAN " + sql, params))  # type: ignore[attr-defined]


def test_sqlite_journal_queries_use_indexes(tmp_path: Path) -> None:
    """Each query a dispatch runs on the journal searches an index: no scan grows with history."""
    rt = open_runtime(tmp_path / "home")
    try:
        conn = rt.db.conn
        for undo in (True, False):
            plan = _plan(conn, "SELECT seq, ops, inverse FROM journal WHERE scope=? AND kind='edit' AND status=?"
                         f" ORDER BY seq {'DESC' if undo else 'ASC'} LIMIT 1", ("local", "done"))
            assert "USING INDEX journal_undo" in plan and "TEMP B-TREE" not in plan, plan
        plan = _plan(conn, "UPDATE journal SET status='dead' WHERE scope=? AND status='undone'", ("local",))
        assert "USING INDEX journal_undo" in plan, plan
        assert find_edit(conn, "local", undo=True) is None
    finally:
        rt.close()


def test_field_setter_plan_matches_the_general_pipeline() -> None:
    """A setter compiled into a plan commits the same state, result, ops and inverse as its handler."""
    from modgate.bus import Bus
    from modgate.bus_memory import MemoryBusStore
    from modgate.host import get_host
    from modgate.host.model import FieldSetter

    host = get_host("board")
    setters = [s for s in host.commands.values() if isinstance(s.handler, FieldSetter)]
    assert setters, "the board declares its simple setters as data"
    fast_store, slow_store = MemoryBusStore(host.initial_state()), MemoryBusStore(host.initial_state())
    fast, slow = Bus(host, fast_store), Bus(host, slow_store)
    assert any(p.setter is not None for p in fast._plans.values())
    for plan in slow._plans.values():
        plan.setter = None
    slow._fast = {}
    for spec in setters:
        for payload in (spec.payload_example, spec.payload_example, {}):
            assert fast.dispatch(spec.id, payload) == slow.dispatch(spec.id, payload)
            assert fast_store.state == slow_store.state and fast_store.revision == slow_store.revision
    assert [(e.ops, e.inverse) for e in fast_store.journal.entries] == \
        [(e.ops, e.inverse) for e in slow_store.journal.entries]
    for _ in range(3):
        assert fast.dispatch("undo") == slow.dispatch("undo")
    assert fast_store.state == slow_store.state
