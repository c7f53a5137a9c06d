"""The field path's edges (issue 16 review): what a setter's shape, a caller's transaction or a
failing flush may do to the buffered SQLite writes, compared with the general pipeline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.fieldhost import field_host

from modgate.app import open_runtime
from modgate.bus import Bus
from modgate.bus_memory import MemoryBusStore
from modgate.errors import ModgateError
from modgate.store.verify import verify

HOST = field_host()


def _slow(bus: Bus) -> Bus:
    bus._fast = {}
    return bus


def _stored(home: Path) -> tuple[Any, ...]:
    rt = open_runtime(home, HOST)
    try:
        report = verify(rt.db)
        journal = rt.db.query("SELECT command_id, scope, ops, inverse, status, revision FROM journal ORDER BY seq")
        return rt.store.state(), rt.store.domain_revisions(), rt.store.revision(), journal, report["ok"]
    finally:
        rt.close()


def test_a_setter_writing_outside_its_mutation_scope_stores_its_domain(tmp_path: Path) -> None:
    """The document written is the path's domain, whatever the command's mutation scope says."""
    for name, fast in (("fast", True), ("slow", False)):
        rt = open_runtime(tmp_path / name, HOST)
        try:
            if not fast:
                _slow(rt.bus)
            assert rt.bus.dispatch("setCross", {"x": 5})["ok"]
        finally:
            rt.close()
    fast_home, slow_home = _stored(tmp_path / "fast"), _stored(tmp_path / "slow")
    assert fast_home[0]["sync"]["cross"]["x"] == 5
    assert fast_home == slow_home
    assert fast_home[-1] is True  # audit --verify replays the same state


def test_a_normaliser_refusal_is_a_coded_refusal() -> None:
    fast, slow = Bus(HOST, MemoryBusStore(HOST.initial_state())), _slow(Bus(HOST, MemoryBusStore(HOST.initial_state())))
    got, want = fast.dispatch("setName", {"name": "!x"}), slow.dispatch("setName", {"name": "!x"})
    assert got == want and got["code"] == "invalid-payload" and got["path"] == "payload.name"


@pytest.mark.parametrize("fast", [True, False])
def test_a_conversion_leaving_json_spoils_nothing_in_the_callers_transaction(tmp_path: Path, fast: bool) -> None:
    """The dispatch fails on its own (its savepoint), the caller's other writes commit."""
    rt = open_runtime(tmp_path / "home", HOST)
    try:
        if not fast:
            _slow(rt.bus)
        with rt.db.atomic():
            assert rt.bus.dispatch("setName", {"name": "before"})["ok"]
            with pytest.raises(TypeError):
                rt.bus.dispatch("setHuge", {"n": 6})  # 6e30 is no JSON number orjson writes
            assert rt.bus.dispatch("setHuge", {"n": 2})["revision"] == 2
        box = rt.store.state()["local"]["box"]
        assert (box["name"], box["huge"]) == ("before", 2)
        assert rt.db.query("SELECT seq, revision FROM journal ORDER BY seq") == [(1, 1), (2, 2)]
        assert verify(rt.db)["ok"]
    finally:
        rt.close()


def test_meta_that_is_not_json_never_leaves_a_write_unaudited(tmp_path: Path) -> None:
    """A field write inside a caller's transaction used to buffer its meta and fail at the next
    flush: its journal row and state committed, its audit event (and its neighbours') lost. Such
    meta is now refused up front, with a code, on both paths."""
    rt = open_runtime(tmp_path / "home", HOST)
    try:
        with rt.db.atomic():
            assert rt.bus.dispatch("setName", {"name": "a"})["ok"]
            refused = rt.bus.dispatch("setName", {"name": "b"}, meta={1: "not a JSON key"})
            assert (refused["code"], refused["path"]) == ("invalid-argument", "meta")
            rt.db.query("SELECT 1")  # someone else uses the connection: the buffer is flushed
            assert rt.bus.dispatch("setName", {"name": "c"})["ok"]
        journal = rt.db.query("SELECT seq FROM journal ORDER BY seq")
        executed = rt.db.query("SELECT data FROM audit WHERE event_type='dispatch-executed' ORDER BY seq")
        assert len(journal) == len(executed) == 2
        assert rt.store.state()["local"]["box"]["name"] == "c"
        assert verify(rt.db)["ok"]
    finally:
        rt.close()


@pytest.mark.parametrize("meta", [{1: "x"}, {"x": object()}, {"x": 2**80}, {"x": "\ud800"}, ["not", "a", "map"]])
def test_meta_that_is_not_a_json_object_is_refused_on_both_paths(meta: Any) -> None:
    fast, slow = Bus(HOST, MemoryBusStore(HOST.initial_state())), _slow(Bus(HOST, MemoryBusStore(HOST.initial_state())))
    got = fast.dispatch("setName", {"name": "n"}, meta=meta)
    assert got == slow.dispatch("setName", {"name": "n"}, meta=meta)
    assert (got["code"], got["path"]) == ("invalid-argument", "meta")
    assert fast.store.revision == 0 and fast.store.audit == []  # type: ignore[attr-defined]


def test_a_failed_flush_writes_nothing_and_keeps_the_buffer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                                            ) -> None:
    """A flush that fails half-way (here the audit append) leaves no journal row or state document
    behind, and the transaction cannot commit without the writes its dispatches reported."""
    rt = open_runtime(tmp_path / "home", HOST)
    try:
        real = rt.store.append_raw_audit
        calls = {"n": 0}

        def failing(*args: Any, **kwargs: Any) -> None:
            calls["n"] += 1
            if calls["n"] == 1:
                raise ModgateError.make("store-error", "injected failure", path="audit")
            real(*args, **kwargs)

        monkeypatch.setattr(rt.store, "append_raw_audit", failing)
        with rt.db.atomic():
            assert rt.bus.dispatch("setName", {"name": "a"})["ok"]
            with pytest.raises(ModgateError):
                rt.db.query("SELECT 1")  # the flush fails here; the caller goes on
            assert rt.db.query("SELECT count(*) FROM journal")[0][0] == 1  # flushed again, whole
        monkeypatch.setattr(rt.store, "append_raw_audit", real)
        assert rt.store.state()["local"]["box"]["name"] == "a"
        assert rt.db.query("SELECT count(*) FROM audit WHERE event_type='dispatch-executed'")[0][0] == 1
        assert verify(rt.db)["ok"]
    finally:
        rt.close()


def test_an_audit_append_through_the_callers_connection_comes_after_the_buffered_events(tmp_path: Path) -> None:
    """The store's own append (the tx engine's, the approval queue's) on the connection a caller
    holds, between buffered field writes: one chain, no seq taken twice."""
    from modgate.auditevent import AuditEvent

    rt = open_runtime(tmp_path / "home", HOST)
    try:
        with rt.db.atomic() as conn:
            assert rt.bus.dispatch("setName", {"name": "a"})["ok"]
            rt.store.append_audit(conn, [AuditEvent(event_type="test.note", correlation_id="t")], 0.0)
            assert rt.bus.dispatch("setName", {"name": "b"})["ok"]
        kinds = [r[0] for r in rt.db.query("SELECT event_type FROM audit WHERE seq > 1 ORDER BY seq")]
        assert kinds == ["dispatch-executed", "test.note", "dispatch-executed"]
        assert verify(rt.db)["ok"]
    finally:
        rt.close()


def test_undo_found_through_the_journal_lookup_sees_buffered_edits(tmp_path: Path) -> None:
    rt = open_runtime(tmp_path / "home", HOST)
    try:
        with rt.db.atomic():
            assert rt.bus.dispatch("setName", {"name": "a"})["ok"]
            found = rt.store.journal_lookup("undo", "local")
        assert found is not None and found[0] == 1
    finally:
        rt.close()


GROUP_THEN_HANG = """
import sys, time
from modgate.app import open_runtime
rt = open_runtime(sys.argv[1])
with rt.db.atomic():
    for width in range(1, 101):
        rt.bus.dispatch("setPenWidth", {"width": width})
with rt.db.atomic():
    for width in range(101, 151):
        rt.bus.dispatch("setPenWidth", {"width": width % 200 + 1})
    rt.db.query("SELECT 1")  # flushed into the open transaction
    rt.bus.dispatch("setPenColor", {"color": "#123456"})  # buffered
    print("mid-group", flush=True)
    time.sleep(30)
"""


def test_sigkill_mid_group_leaves_nothing_half_written(tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys

    home = tmp_path / "home"
    proc = subprocess.Popen([sys.executable, "-c", GROUP_THEN_HANG, str(home)], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "mid-group"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()
    rt = open_runtime(home)
    try:
        assert rt.store.state()["local"]["tool"]["penWidth"] == 100
        assert rt.store.revision() == 100
        assert rt.db.query("SELECT count(*), max(revision) FROM journal") == [(100, 100)]
        assert rt.db.query("SELECT count(*) FROM audit WHERE event_type='dispatch-executed'") == [(100,)]
        assert verify(rt.db)["ok"]
        assert rt.bus.dispatch("setPenWidth", {"width": 7})["revision"] == 101
    finally:
        rt.close()


def test_buffered_real_traffic_flushed_during_a_drill_stays_real_traffic(tmp_path: Path) -> None:
    from modgate import evidence

    case = evidence.Fixture(fixture_run_id="run-1", fixture_case_id="case-1", expected_outcome="executed")
    rt = open_runtime(tmp_path / "home", HOST)
    try:
        with rt.db.atomic():
            assert rt.bus.dispatch("setName", {"name": "real"})["ok"]
            with evidence.fixture(case):
                assert rt.bus.dispatch("setName", {"name": "drill"})["ok"]
                rt.db.query("SELECT 1")  # the drill's read flushes both
        rows = rt.db.query("SELECT data FROM audit WHERE event_type='dispatch-executed' ORDER BY seq")
        import orjson

        channels = [orjson.loads(r[0]).get("evidenceChannel") for r in rows]
        assert channels == [None, evidence.CONTROLLED_FIXTURE]
        assert verify(rt.db)["ok"]
    finally:
        rt.close()


def test_a_dry_run_compiles_only_the_field_path_it_dispatches() -> None:
    """on_store (every preview's dry run) compiled every setter's field path: ~60 us a dry run."""
    from modgate.bus import dry_runner

    bus = Bus(HOST, MemoryBusStore(HOST.initial_state()))
    clone = bus.on_store(MemoryBusStore(HOST.initial_state()))
    assert clone._fast == {}
    assert clone.dispatch("setName", {"name": "n"})["ok"]
    assert set(clone._fast) == {"setName"}
    state = HOST.initial_state()
    envelope, after = dry_runner(HOST)("setName", {"name": "m"}, state)
    assert envelope["result"] == {"name": "m"} and after["local"]["box"]["name"] == "m"
    assert state["local"]["box"]["name"] == ""  # the caller's state is never written


# -- random scripts on SQLite: the field path stores and audits what the general pipeline does ----
_BOARD_VALUES: list[Any] = [None, True, False, 0, 1, 5, 5.0, -0.0, 0.5, 150, 300, 1200, 2999.5, "#112233",
                            " #aabbcc ", "edit", "presentation", "x", [1], {"a": 1}]
_OTHERS: list[tuple[str, Any]] = [("undo", None), ("redo", None), ("setColumnCount", {"count": 3}),
                                  ("setColumnCount", {"count": 2}), ("nextPage", None), ("togglePause", None)]
# Fields that differ between any two runs (ids, times, the preview hash that covers them).
_VOLATILE = {"approvalId", "txId", "eventId", "timestamp", "requestId", "expiresAt", "durationMs", "approvalTokenId",
             "previewHash", "approvedPreviewHash"}


def _board_script(seed: int) -> list[tuple[str, Any, str, Any, bool]]:
    import random

    from modgate.host import get_host
    from modgate.host.model import FieldSetter

    setters = sorted(s.id for s in get_host("board").commands.values() if isinstance(s.handler, FieldSetter))
    keys = ["color", "width", "mode", "value", "speed", "delayMs", "opacity"]
    rng = random.Random(seed)
    out = []
    for _ in range(rng.randint(5, 25)):
        command, payload = rng.choice(_OTHERS) if rng.random() < 0.25 else (
            rng.choice(setters), {rng.choice(keys): rng.choice(_BOARD_VALUES)})
        role = rng.choice(("owner", "student", "agent", "extension", "light_user")) if rng.random() < 0.3 else "host"
        out.append((command, payload, role, rng.choice([None, {"by": "t"}]), rng.random() < 0.2))
    return out


def _board_run(home: Path, fast: bool, script: list[tuple[str, Any, str, Any, bool]], grouped: bool) -> list[Any]:
    import contextlib

    import orjson

    rt = open_runtime(home)
    try:
        if not fast:
            _slow(rt.bus)
        answers = []
        with rt.db.atomic() if grouped else contextlib.nullcontext():
            for command, payload, role, meta, read in script:
                answer = rt.bus.dispatch(command, payload, role=role, meta=meta)
                answers.append({k: v for k, v in answer.items() if k not in _VOLATILE | {"auditTag"}})
                if read:
                    rt.store.state()  # a reader in the middle of the group
        journal = rt.db.query("SELECT seq, command_id, role, scope, kind, ops, inverse, status, ref_seq, revision"
                              " FROM journal ORDER BY seq")
        events = [(t, c, r, {k: v for k, v in orjson.loads(d).items() if k not in _VOLATILE})
                  for t, c, r, d in rt.db.query("SELECT event_type, command_id, role, data FROM audit ORDER BY seq")]
        return [answers, rt.store.state(), rt.store.revision(), rt.store.domain_revisions(), journal, events,
                verify(rt.db)["ok"]]
    finally:
        rt.close()


@pytest.mark.parametrize("seed", range(6))
def test_random_board_scripts_store_the_same_on_both_paths(tmp_path: Path, seed: int) -> None:
    script, grouped = _board_script(seed), seed % 2 == 1
    fast = _board_run(tmp_path / "fast", True, script, grouped)
    slow = _board_run(tmp_path / "slow", False, script, grouped)
    assert fast == slow
    assert fast[-1] is True


class _FailingCommit:
    """A connection whose next COMMIT fails the way a full disk makes it fail (rolled back)."""

    def __init__(self, conn: Any) -> None:
        self._conn, self.armed = conn, True

    def execute(self, sql: str, *args: Any) -> Any:
        if sql == "COMMIT" and self.armed:
            self.armed = False
            self._conn.execute("ROLLBACK")
            import sqlite3

            raise sqlite3.OperationalError("database or disk is full")
        return self._conn.execute(sql, *args)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


@pytest.mark.parametrize("fast", [True, False])
def test_a_failed_commit_leaves_no_cached_state_behind(tmp_path: Path, fast: bool) -> None:
    """The decoded state is cached by revision: a write whose COMMIT failed must not stay cached
    under a revision another process commits next (its whole documents would be written back)."""
    home = tmp_path / "home"
    one, two = open_runtime(home, HOST), open_runtime(home, HOST)
    try:
        if not fast:
            _slow(one.bus)
        real = one.db.conn
        one.db.conn = _FailingCommit(real)  # type: ignore[assignment]
        with pytest.raises(ModgateError):
            one.bus.dispatch("setName", {"name": "lost"})
        one.db.conn = real
        assert two.bus.dispatch("setAny", {"any": 7})["revision"] == 1  # another process takes revision 1
        assert one.store.state()["local"]["box"] == {"name": "", "any": 7, "huge": 0}
        assert one.bus.dispatch("setHuge", {"n": 3})["revision"] == 2
        assert two.store.state()["local"]["box"] == {"name": "", "any": 7, "huge": 3}
        assert verify(one.db)["ok"]
    finally:
        one.close()
        two.close()


@pytest.mark.parametrize("fixture", ["a11c122", "wave1"])
def test_an_older_home_takes_field_writes_and_still_verifies(tmp_path: Path, fixture: str) -> None:
    """Homes written before the field path (state.commit events, unsorted audit data) verify with
    the new one-event-per-dispatch records appended, grouped or not."""
    import shutil

    home = tmp_path / "home"
    shutil.copytree(Path(__file__).parent / "fixtures" / "homes" / fixture, home)
    rt = open_runtime(home)
    try:
        assert rt.bus.dispatch("setPenWidth", {"width": 9})["ok"]
        with rt.db.atomic():
            assert rt.bus.dispatch("setPenColor", {"color": "#a1b2c3"})["ok"]
            assert rt.bus.dispatch("setColumnCount", {"count": 3})["ok"]
            assert rt.bus.dispatch("setPenWidth", {"width": 10})["ok"]
        assert rt.bus.dispatch("undo")["ok"]
        report = verify(rt.db)
        assert report["ok"], report
    finally:
        rt.close()
