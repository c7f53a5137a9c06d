"""The field path (issue 16): setters declared as data dispatch through one compiled function and,
on SQLite, their rows are buffered per transaction. Both must answer, store, journal and audit
exactly what the general pipeline does, and keep every guarantee of the store."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modgate.app import open_runtime
from modgate.bus import Bus
from modgate.bus_memory import MemoryBusStore
from modgate.host import get_host
from modgate.host.model import FieldSetter
from modgate.store.verify import verify

HOST = get_host("board")
SETTERS = sorted(s.id for s in HOST.commands.values() if isinstance(s.handler, FieldSetter))
ROLES = ("host", "owner", "student", "agent", "extension", "light_user", "nobody")


def _slow(bus: Bus) -> Bus:
    bus._fast = {}  # the general pipeline only
    return bus


def _audit_shape(events: list[Any]) -> list[tuple[Any, ...]]:
    return [(e.event_type, e.command_id, e.role, e.data) for e in events]


def test_the_board_setters_compile_to_the_field_path() -> None:
    bus = Bus(HOST, MemoryBusStore(HOST.initial_state()))
    assert {"setPenColor", "setPenWidth", "setEraserWidth", "setViewMode"} <= set(bus._fast)
    assert set(bus._fast) <= set(SETTERS)


values = st.one_of(st.none(), st.booleans(), st.integers(-5, 300), st.floats(allow_nan=False, allow_infinity=False),
                   st.sampled_from(["#112233", " #aabbcc ", "#12345", "red", "", "pen", "grid", "board", "x" * 40]),
                   st.text(max_size=8), st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=3),
                                                                                            st.integers(), max_size=2))
payloads = st.one_of(st.builds(lambda k, v: {k: v}, st.sampled_from(["color", "width", "mode", "value", "speed",
                                                                     "delayMs", "opacity", "x"]), values),
                     st.none(), st.just({}), st.builds(lambda v: {"color": v, "extra": 1}, values))
steps = st.lists(st.tuples(st.sampled_from([*SETTERS, "undo", "redo"]), payloads, st.sampled_from(ROLES),
                           st.sampled_from([None, {"by": "test"}])), max_size=25)


@settings(max_examples=150, deadline=None)
@given(steps)
def test_field_path_answers_as_the_general_pipeline(script: list[tuple[str, Any, str, Any]]) -> None:
    """Same envelopes, state, revision, journal and audit records, whatever the payload or role."""
    fast_store, slow_store = MemoryBusStore(HOST.initial_state()), MemoryBusStore(HOST.initial_state())
    fast, slow = Bus(HOST, fast_store), _slow(Bus(HOST, slow_store))
    for command_id, payload, role, meta in script:
        got = fast.dispatch(command_id, payload, role=role, meta=meta)
        want = slow.dispatch(command_id, payload, role=role, meta=meta)
        assert got == want
        assert fast_store.state == slow_store.state and fast_store.revision == slow_store.revision
    assert [(s, e.ops, e.inverse, e.role, st_) for s, e, st_ in fast_store.journal.rows()] == \
        [(s, e.ops, e.inverse, e.role, st_) for s, e, st_ in slow_store.journal.rows()]
    assert _audit_shape(fast_store.audit) == _audit_shape(slow_store.audit)


VALID_WRITES = [("setPenColor", {"color": "#112233"}), ("setPenColor", {"color": "#445566"}),
                ("setPenWidth", {"width": 3}), ("setPenWidth", {"width": 4}), ("setEraserWidth", {"width": 20})]
mixed = st.lists(st.one_of(
    st.tuples(st.sampled_from([*SETTERS, "undo", "redo", "setColumnCount", "peek"]), payloads,
              st.sampled_from(("host", "student"))),
    st.builds(lambda pair, role: (*pair, role), st.sampled_from(VALID_WRITES), st.sampled_from(("host", "student"))),
), max_size=30)


@settings(max_examples=150, deadline=None)
@given(mixed)
def test_in_place_writes_and_their_log_match_the_general_pipeline(script: list[tuple[str, Any, str]]) -> None:
    """The state is read only at "peek" steps, so runs of field writes go in place through the
    cached parent and their records wait on the log, interleaved with general dispatches, undo
    and redo: the state handed out earlier never changes, and the journal and the audit come
    out in the order the general pipeline writes them."""
    fast_store, slow_store = MemoryBusStore(HOST.initial_state()), MemoryBusStore(HOST.initial_state())
    fast, slow = Bus(HOST, fast_store), _slow(Bus(HOST, slow_store))
    seen: list[tuple[Any, Any]] = []
    for command_id, payload, role in script:
        if command_id == "peek":
            state = fast_store.state
            seen.append((state, copy.deepcopy(state)))
            assert state == slow_store.state
            continue
        if command_id == "setColumnCount":
            payload = {"count": 2 if len(seen) % 2 else 3}
        assert fast.dispatch(command_id, payload, role=role) == slow.dispatch(command_id, payload, role=role)
    assert fast_store.state == slow_store.state and fast_store.revision == slow_store.revision
    assert all(state == snapshot for state, snapshot in seen)
    assert [(s, e.ops, e.inverse, e.role, st_) for s, e, st_ in fast_store.journal.rows()] == \
        [(s, e.ops, e.inverse, e.role, st_) for s, e, st_ in slow_store.journal.rows()]
    assert _audit_shape(fast_store.audit) == _audit_shape(slow_store.audit)


def test_runs_of_writes_through_the_slot_match_the_general_pipeline() -> None:
    """Writes to owned parents go through the store's FieldSlot (no writer call): revision,
    state, journal and audit must still be what the general pipeline makes of them."""
    script: list[tuple[str, Any]] = [("setPenColor", {"color": c}) for c in ("#111111", "#222222", "#333333")]
    script += [("setPenWidth", {"width": w}) for w in (3, 4, 4, 5)] + [("setPenColor", {"color": "#444444"})]
    script += [("setColumnCount", {"count": 3}), ("setPenWidth", {"width": 6}), ("setPenWidth", {"width": 7}),
               ("undo", None), ("setPenWidth", {"width": 8}), ("setPenWidth", {"width": 9})]
    fast_store, slow_store = MemoryBusStore(HOST.initial_state()), MemoryBusStore(HOST.initial_state())
    fast, slow = Bus(HOST, fast_store), _slow(Bus(HOST, slow_store))
    for command_id, payload in script:
        assert fast.dispatch(command_id, payload, meta={"n": 1}) == slow.dispatch(command_id, payload, meta={"n": 1})
        assert fast_store.revision == slow_store.revision
    assert [(s, e.ops, e.inverse, e.role, st_) for s, e, st_ in fast_store.journal.rows()] == \
        [(s, e.ops, e.inverse, e.role, st_) for s, e, st_ in slow_store.journal.rows()]
    assert _audit_shape(fast_store.audit) == _audit_shape(slow_store.audit)
    assert fast_store.state == slow_store.state


def test_one_audit_event_per_executed_dispatch() -> None:
    store = MemoryBusStore(HOST.initial_state())
    bus = Bus(HOST, store)
    bus.dispatch("setPenWidth", {"width": 9}, meta={"source": "t"})
    bus.dispatch("setColumnCount", {"count": 2})  # a general handler
    bus.dispatch("setPenWidth", {"width": "wide"})  # refused: request + outcome
    assert [e.event_type for e in store.audit] == ["dispatch-executed", "dispatch-executed", "dispatch-request",
                                                   "dispatch-invalid-payload"]
    assert store.audit[0].data == {"paths": ["/local/tool/penWidth"], "refSeq": None, "meta": {"source": "t"}}


def test_a_state_read_is_never_changed_by_a_later_write() -> None:
    store = MemoryBusStore(HOST.initial_state())
    bus = Bus(HOST, store)
    bus.dispatch("setPenWidth", {"width": 9})
    bus.dispatch("setPenWidth", {"width": 10})  # in place: nobody has seen the state since
    seen = store.state
    bus.dispatch("setPenWidth", {"width": 11})
    assert seen["local"]["tool"]["penWidth"] == 10
    assert store.state["local"]["tool"]["penWidth"] == 11


def test_a_new_edit_ends_the_redo_stack_of_its_scope_only() -> None:
    store = MemoryBusStore(HOST.initial_state())
    bus = Bus(HOST, store)
    bus.dispatch("setPenWidth", {"width": 9})
    bus.dispatch("setColumnCount", {"count": 3})  # doc
    assert bus.dispatch("undo")["ok"]  # the doc edit? undo reverses the newest edit of its own scope
    statuses = [st_ for _, _, st_ in store.journal.rows()]
    assert "undone" in statuses
    undone = statuses.index("undone")
    scope = store.journal.entry(undone + 1).scope
    bus.dispatch("setPenWidth", {"width": 12} if scope != "local" else {"width": 13})
    after = [st_ for _, _, st_ in store.journal.rows()][undone]
    assert after == ("dead" if scope == "local" else "undone")


# -- SQLite ------------------------------------------------------------------------------------
SCRIPT: list[tuple[str, Any]] = [
    ("setPenWidth", {"width": 5}), ("setPenColor", {"color": "#a1b2c3"}), ("setPenWidth", {"width": 5}),
    ("setColumnCount", {"count": 3}), ("undo", None), ("setPenWidth", {"width": 7}), ("undo", None),
    ("redo", None), ("setViewMode", {"mode": "grid"}), ("setPenWidth", {"width": "x"}), ("undo", None),
    ("setPenWidth", {"width": 8}),
]


def _run(home: Path, *, fast: bool, grouped: bool) -> tuple[list[Any], Any]:
    rt = open_runtime(home)
    try:
        if not fast:
            _slow(rt.bus)
        answers = []
        if grouped:
            with rt.db.atomic():
                answers = [rt.bus.dispatch(c, p) for c, p in SCRIPT]
        else:
            answers = [rt.bus.dispatch(c, p) for c, p in SCRIPT]
        journal = [(r[2:]) for r in rt.db.query("SELECT seq, created_at, command_id, role, scope, kind, ops, inverse,"
                                                 " status, ref_seq, revision FROM journal ORDER BY seq")]
        audit = [(t, c, r, d) for t, c, r, d in rt.db.query(
            "SELECT event_type, command_id, role, data FROM audit WHERE event_type LIKE 'dispatch-%' ORDER BY seq")]
        report = verify(rt.db)
        assert report["ok"], report
        return [answers, rt.store.state(), rt.store.revision(), rt.store.domain_revisions(), journal, audit], report
    finally:
        rt.close()


def _comparable(answers: list[Any]) -> list[Any]:
    return [{k: v for k, v in a.items() if k != "auditTag"} for a in answers]


@pytest.mark.parametrize("grouped", [False, True])
def test_sqlite_field_path_stores_what_the_general_pipeline_stores(tmp_path: Path, grouped: bool) -> None:
    fast, _ = _run(tmp_path / "fast", fast=True, grouped=grouped)
    slow, _ = _run(tmp_path / "slow", fast=False, grouped=grouped)
    assert _comparable(fast[0]) == _comparable(slow[0])
    assert fast[1:4] == slow[1:4]
    assert fast[4] == slow[4]  # journal rows (ops, inverse, statuses, revisions)
    # One audit event per executed dispatch in both; the field path's carries its state binding.
    assert [(t, c) for t, c, _, _ in fast[5]] == [(t, c) for t, c, _, _ in slow[5]]


def test_grouped_dispatches_roll_back_together(tmp_path: Path) -> None:
    rt = open_runtime(tmp_path / "home")
    try:
        before = rt.store.state()
        revision = rt.store.revision()
        with pytest.raises(RuntimeError), rt.db.atomic():
            for width in range(1, 50):
                assert rt.bus.dispatch("setPenWidth", {"width": width})["ok"]
            assert rt.store.state()["local"]["tool"]["penWidth"] == 49  # readers see the buffered writes
            assert rt.db.query("SELECT count(*) FROM journal")[0][0] == 49
            raise RuntimeError("abandon the group")
        assert rt.store.state() == before and rt.store.revision() == revision
        assert rt.db.query("SELECT count(*) FROM journal")[0][0] == 0
        assert rt.bus.dispatch("setPenWidth", {"width": 3})["revision"] == revision + 1
        assert verify(rt.db)["ok"]
    finally:
        rt.close()


def test_grouped_dispatches_mix_with_general_ones_and_other_writers(tmp_path: Path) -> None:
    rt = open_runtime(tmp_path / "home")
    try:
        columns = rt.store.state()["doc"]["pageColumnCounts"]
        with rt.db.atomic():
            rt.bus.dispatch("setPenWidth", {"width": 3})
            rt.bus.dispatch("setColumnCount", {"count": 3})  # general path: its own savepoint
            rt.bus.dispatch("setPenWidth", {"width": 4})
            rt.store.record([])  # another writer of the audit in the same transaction
            from modgate.auditevent import AuditEvent

            rt.store.record([AuditEvent(event_type="test.note", correlation_id="t")])
            rt.bus.dispatch("setPenWidth", {"width": 5})
            assert rt.bus.dispatch("undo")["result"]["undone"]
        state = rt.store.state()
        assert state["local"]["tool"]["penWidth"] == 5 and state["doc"]["pageColumnCounts"] == columns
        report = verify(rt.db)
        assert report["ok"], report
        kinds = [r[0] for r in rt.db.query("SELECT event_type FROM audit WHERE seq > 1 ORDER BY seq")]
        assert kinds.count("state.commit") == 0  # each executed dispatch binds its own state change
    finally:
        rt.close()


def test_a_state_read_from_the_sqlite_store_is_never_changed_later(tmp_path: Path) -> None:
    rt = open_runtime(tmp_path / "home")
    try:
        with rt.db.atomic():
            rt.bus.dispatch("setPenWidth", {"width": 3})
            rt.bus.dispatch("setPenWidth", {"width": 4})
            seen = rt.store.state()
            rt.bus.dispatch("setPenWidth", {"width": 5})
        assert seen["local"]["tool"]["penWidth"] == 4
        assert rt.store.state()["local"]["tool"]["penWidth"] == 5
    finally:
        rt.close()


def test_another_process_write_between_groups_is_seen(tmp_path: Path) -> None:
    home = tmp_path / "home"
    one, two = open_runtime(home), open_runtime(home)
    try:
        one.bus.dispatch("setPenWidth", {"width": 3})
        two.bus.dispatch("setPenWidth", {"width": 4})
        assert one.bus.dispatch("setPenWidth", {"width": 4})["revision"] == 2  # unchanged value: no new revision
        with one.db.atomic():
            one.bus.dispatch("setPenWidth", {"width": 6})
        with two.db.atomic():  # two's cached state is stale: the new transaction reloads it
            assert two.bus.dispatch("setPenWidth", {"width": 6})["revision"] == 3  # no change
            assert two.bus.dispatch("setPenWidth", {"width": 7})["revision"] == 4
        assert one.bus.dispatch("setPenWidth", {"width": 7})["revision"] == 4
        assert one.store.state()["local"]["tool"]["penWidth"] == 7
        assert verify(one.db)["ok"]
    finally:
        one.close()
        two.close()


def test_a_read_only_runtime_takes_no_field_path(tmp_path: Path) -> None:
    open_runtime(tmp_path / "home").close()
    rt = open_runtime(tmp_path / "home", read_only=True)
    try:
        assert rt.bus._fast == {}
    finally:
        rt.close()


def test_a_payload_changed_by_its_caller_afterwards_does_not_change_the_state() -> None:
    """A general handler may store a payload's objects: the bus dispatches a private copy."""
    store = MemoryBusStore(HOST.initial_state())
    bus = Bus(HOST, store)
    payload = copy.deepcopy(HOST.commands["insertBlock"].payload_example)
    envelope = bus.dispatch("insertBlock", payload)
    assert envelope["ok"], envelope
    payload["block"]["segments"][0]["style"]["color"] = "changed by the caller"
    assert "changed by the caller" not in str(store.state)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), 2**80, {1: "x"}, object()])
def test_a_payload_that_is_not_json_is_refused_with_a_code(bad: Any) -> None:
    bus = _slow(Bus(HOST, MemoryBusStore(HOST.initial_state())))
    payload = copy.deepcopy(HOST.commands["insertBlock"].payload_example)
    payload["block"]["segments"][0]["style"]["x"] = bad
    envelope = bus.dispatch("insertBlock", payload)
    assert envelope["ok"] is False and envelope["code"] == "invalid-payload" and envelope["path"] == "payload"


def test_facts_kept_between_transactions_follow_other_writers(tmp_path: Path) -> None:
    """The field buffer reuses its last transaction's facts while the revision is unchanged; an
    audit append or a state change by another connection in between must still be seen."""
    from modgate.auditevent import AuditEvent

    home = tmp_path / "home"
    one, two = open_runtime(home), open_runtime(home)
    try:
        one.bus.dispatch("setPenWidth", {"width": 3})
        two.store.record([AuditEvent(event_type="test.note", correlation_id="t")])  # audit only
        one.bus.dispatch("setPenWidth", {"width": 4})
        two.bus.dispatch("setColumnCount", {"count": 3})  # doc: the revision moves
        assert two.bus.dispatch("undo")["result"]["undone"] is not None
        one.bus.dispatch("setPenWidth", {"width": 5})
        two.bus.dispatch("setPenWidth", {"width": 6})
        one.bus.dispatch("setPenWidth", {"width": 7})
        report = verify(one.db)
        assert report["ok"], report
        seqs = [r[0] for r in one.db.query("SELECT seq FROM journal ORDER BY seq")]
        assert seqs == list(range(1, len(seqs) + 1))
        assert one.store.state()["local"]["tool"]["penWidth"] == 7
    finally:
        one.close()
        two.close()


def test_a_clock_assigned_after_build_stamps_the_field_path_too() -> None:
    """The field paths hold the bus's clock: assigning another one compiles them again, so both
    paths stamp their audit events with the clock the bus has now."""
    store = MemoryBusStore(HOST.initial_state())
    bus = Bus(HOST, store)
    bus.clock = lambda: 1_234.5
    bus.dispatch("setPenWidth", {"width": 9})  # the field path
    bus.dispatch("setColumnCount", {"count": 2})  # the general path
    assert [e.correlation_id.split("-")[1] for e in store.audit] == ["1234500", "1234500"]
