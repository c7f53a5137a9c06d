"""Issue 16's review: what a careless embedder or a hostile caller tried against the bus's hot
paths (the field path, its in-memory slot and log, the SQLite group buffer, the general walk).
Each test failed before its fix."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from tests.fieldhost import _setter

from modgate.app import open_runtime
from modgate.bus import Bus
from modgate.bus_memory import MemoryBusStore
from modgate.host import get_host
from modgate.host.model import Host, KeyNormalizer
from modgate.store.verify import verify

HOST = get_host("board")


def _slow(bus: Bus) -> Bus:
    bus._fast = {}  # the general pipeline only
    return bus


@pytest.mark.parametrize("fast", [True, False])
@pytest.mark.parametrize("command", [("setPenWidth", {"width": 3}), ("setColumnCount", {"count": 3})])
def test_meta_changed_by_its_caller_afterwards_does_not_change_the_audit(fast: bool,
                                                                         command: tuple[str, Any]) -> None:
    store = MemoryBusStore(HOST.initial_state())
    bus = Bus(HOST, store) if fast else _slow(Bus(HOST, store))
    meta: dict[str, Any] = {"source": {"tool": "t"}, "tags": ["a"]}
    assert bus.dispatch(*command, meta=meta)["ok"]
    meta["source"]["tool"] = "changed"
    meta["tags"].append("b")
    assert store.audit[-1].data["meta"] == {"source": {"tool": "t"}, "tags": ["a"]}


def test_meta_changed_inside_a_group_does_not_change_or_break_what_is_flushed(tmp_path: Path) -> None:
    rt = open_runtime(tmp_path / "home")
    try:
        meta: dict[str, Any] = {"source": {"tool": "t"}}
        with rt.db.atomic():
            assert rt.bus.dispatch("setPenWidth", {"width": 3}, meta=meta)["ok"]
            meta["source"]["tool"] = {1, 2}  # not JSON: the buffered row must not be built from it
        rows = rt.db.query("SELECT data FROM audit WHERE event_type='dispatch-executed' ORDER BY seq")
        assert json.loads(rows[-1][0])["meta"] == {"source": {"tool": "t"}}
        assert rt.store.state()["local"]["tool"]["penWidth"] == 3
        assert verify(rt.db)["ok"]
    finally:
        rt.close()


def _raises(value: Any) -> Any:
    if value == "boom":
        raise ValueError("cannot normalise boom")
    return value


_NORMALISED = _setter("setName", "/local/box/name", "name", {"type": "string"},
                      normalize=KeyNormalizer({"name": _raises}))
_NORM_HOST = Host(app_id="review", app_version="1.0.0", platform_ids=("*",), ui_slots=(), event_names=(),
                  commands={"setName": _NORMALISED}, state_domains=("doc", "sync", "local"),
                  initial_state=lambda: {"doc": {}, "sync": {}, "local": {"box": {"name": ""}}})


@pytest.mark.parametrize("fast", [True, False])
def test_a_normaliser_that_raises_is_a_coded_refusal_not_a_traceback(fast: bool) -> None:
    store = MemoryBusStore(_NORM_HOST.initial_state())
    bus = Bus(_NORM_HOST, store) if fast else _slow(Bus(_NORM_HOST, store))
    envelope = bus.dispatch("setName", {"name": "boom"})
    assert envelope["ok"] is False and envelope["code"] == "invalid-payload", envelope
    assert envelope["path"] == "payload" and "ValueError" in envelope["message"]
    assert store.state == _NORM_HOST.initial_state() and store.revision == 0
    assert [e.event_type for e in store.audit] == ["dispatch-request", "dispatch-invalid-payload"]
    assert bus.dispatch("setName", {"name": "ok"})["ok"]


def _queued(bus: Bus) -> str:
    payload = copy.deepcopy(HOST.commands["setAnimationModInput"].payload_example)
    envelope = bus.dispatch("setAnimationModInput", payload, role="student")
    assert envelope["code"] == "approval-required", envelope
    return str(envelope["approvalId"])


def test_a_queued_payload_cannot_be_changed_through_what_the_queue_hands_out() -> None:
    """Approval is bound to what was queued: a reader changing the item it was given (item() or
    items()) must not change what the approval runs."""
    store = MemoryBusStore(HOST.initial_state())
    bus = Bus(HOST, store)
    approval_id = _queued(bus)
    assert bus.approvals is not None
    bus.approvals.item(approval_id)["payload"]["input"]["payload"]["steps"].append(99)  # type: ignore[index]
    bus.approvals.items(None)[0]["payload"]["input"]["format"] = "other/v1"
    assert bus.approve(approval_id)["ok"]
    assert store.state["doc"]["animationModInput"]["payload"]["steps"] == [0, 1, 2]
    assert store.state["doc"]["animationModInput"]["format"] == "reveal-plan/v1"


def test_an_approved_state_does_not_share_objects_with_the_queue_item() -> None:
    store = MemoryBusStore(HOST.initial_state())
    bus = Bus(HOST, store)
    approval_id = _queued(bus)
    assert bus.approve(approval_id)["ok"]
    seen = store.state
    before = copy.deepcopy(seen)
    assert bus.approvals is not None
    item = bus.approvals.item(approval_id)
    assert item is not None
    item["payload"]["input"]["payload"]["steps"].append(100)
    store.queue[approval_id]["payload"]["input"]["payload"]["steps"].append(101)
    assert seen == before and store.state == before


def test_a_replayed_result_is_what_was_first_answered() -> None:
    store = MemoryBusStore(HOST.initial_state())
    bus = Bus(HOST, store)
    payload = HOST.commands["setAnimationModInput"].payload_example
    first = bus.dispatch("setAnimationModInput", copy.deepcopy(payload), idempotency_key="k1")
    first["result"]["animationModInput"]["format"] = "changed"
    again = bus.dispatch("setAnimationModInput", copy.deepcopy(payload), idempotency_key="k1")
    assert again["deduped"] and again["result"]["animationModInput"]["format"] == "reveal-plan/v1"
    again["result"]["animationModInput"]["format"] = "changed again"
    third = bus.dispatch("setAnimationModInput", copy.deepcopy(payload), idempotency_key="k1")
    assert third["result"]["animationModInput"]["format"] == "reveal-plan/v1"
    assert store.state["doc"]["animationModInput"]["format"] == "reveal-plan/v1"


def test_a_result_changed_by_its_caller_changes_nothing_stored(tmp_path: Path) -> None:
    """The handler's result holds what it staged: the envelope must not hand out the state's own
    objects (in memory: the store's state and journal; SQLite: its cached state, written later)."""
    payload = HOST.commands["setAnimationModInput"].payload_example
    store = MemoryBusStore(HOST.initial_state())
    envelope = Bus(HOST, store).dispatch("setAnimationModInput", copy.deepcopy(payload))
    envelope["result"]["animationModInput"]["payload"]["steps"].append(9)
    assert store.state["doc"]["animationModInput"] == payload["input"]
    assert [op.value for op in store.journal.entries[-1].ops] == [payload["input"]]
    rt = open_runtime(tmp_path / "home")
    try:
        envelope = rt.bus.dispatch("setAnimationModInput", copy.deepcopy(payload))
        envelope["result"]["animationModInput"]["format"] = "changed/v1"
        assert rt.bus.dispatch("setPenWidth", {"width": 3})["ok"]  # writes the cached state's documents
        assert rt.store.state()["doc"]["animationModInput"] == payload["input"]
    finally:
        rt.close()


def _stager(path: str, value: Any) -> Any:
    def handler(view: Any, payload: Any) -> None:
        view.set(path, copy.deepcopy(value))

    return handler


def _odd_host(path: str, value: Any) -> Host:
    from tests.fakehost import spec

    cmds = [spec("write", _stager(path, value), scope="doc", writes=("/doc",)),
            spec("undo", None, scope="doc", writes=("/doc",), journal="undo"),
            spec("redo", None, scope="doc", writes=("/doc",), journal="redo")]
    return Host(app_id="odd", app_version="1.0.0", platform_ids=("*",), ui_slots=(), event_names=(),
                commands={c.id: c for c in cmds}, state_domains=("doc",),
                initial_state=lambda: {"doc": {"list": [1, 2], "o": {"a": 0}, "s": "text"}})


@pytest.mark.parametrize(("path", "after"), [
    ("/doc/list/-", [1, 2, 5]), ("/doc/list/2", [1, 2, 5]), ("/doc/list/0", [5, 2]), ("/doc/o/new/deep", None),
])
def test_a_write_into_an_array_or_a_new_key_is_undone_and_redone(path: str, after: Any) -> None:
    host = _odd_host(path, 5)
    store = MemoryBusStore(host.initial_state())
    bus = Bus(host, store)
    assert bus.dispatch("write", {})["ok"]
    written = store.state
    if after is not None:
        assert written["doc"]["list"] == after
    undone = bus.dispatch("undo")
    assert undone["ok"] and undone["result"]["undone"] == 1, undone
    assert store.state["doc"]["list"] == [1, 2]
    assert bus.dispatch("redo")["ok"] and store.state == written


@pytest.mark.parametrize("path", ["/doc/list/9", "/doc/list/x", "/doc/list/\u00b2", "/doc/list/5/x", "/doc/o/a/b",
                                  "/doc/s/x", "/doc/list/0/x"])
def test_a_write_that_cannot_land_where_it_says_is_refused_with_a_code(path: str) -> None:
    """Past an array's end, a token that is not an index, beneath a scalar: before, these were a
    traceback, or a change that its undo could not reverse (a scalar replaced by an object)."""
    host = _odd_host(path, 5)
    store = MemoryBusStore(host.initial_state())
    envelope = Bus(host, store).dispatch("write", {})
    assert envelope["ok"] is False and envelope["code"] == "command-execution-failed", envelope
    assert envelope["path"] == path
    assert store.state == host.initial_state() and store.revision == 0 and len(store.journal) == 0


def _domain_host(path: str, value: Any, delete: bool, writes: tuple[str, ...] = ("", "/doc", "/other")) -> Host:
    from tests.fakehost import spec

    def handler(view: Any, payload: Any) -> None:
        if delete:
            view.delete(path)
        else:
            view.set(path, value)

    cmds = [spec("write", handler, scope="doc", writes=writes)]
    return Host(app_id="domains", app_version="1.0.0", platform_ids=("*",), ui_slots=(), event_names=(),
                commands={c.id: c for c in cmds}, state_domains=("doc", "sync", "local"),
                initial_state=lambda: {"doc": {"a": 1}, "sync": {}, "local": {}})


@pytest.mark.parametrize(("path", "value", "delete"), [
    ("", None, True), ("", 5, False), ("", {"doc": {}}, False), ("/", 1, False), ("/doc", None, True),
    ("/other", {"x": 1}, False), ("/other/x", 1, False),
])
def test_a_write_outside_the_state_domains_is_refused(path: str, value: Any, delete: bool) -> None:
    """A host (not checked: the Python API) declaring the root or a whole domain writable:
    removing the state (it became a sentinel object), replacing it by a scalar, removing a domain
    or writing a key no store keeps a document for."""
    host = _domain_host(path, value, delete)
    store = MemoryBusStore(host.initial_state())
    envelope = Bus(host, store).dispatch("write", {})
    assert envelope["code"] == "command-execution-failed" and envelope["path"] == path, envelope
    assert store.state == host.initial_state()


def test_a_domain_removed_is_refused_by_the_sqlite_store_with_a_code(tmp_path: Path) -> None:
    """A checked host may declare a whole domain writable; removing it was a KeyError traceback."""
    host = _domain_host("/doc", None, True, writes=("/doc",))
    rt = open_runtime(tmp_path / "home", host)
    try:
        before = rt.store.state()
        envelope = rt.bus.dispatch("write", {})
        assert envelope["code"] == "command-execution-failed" and envelope["path"] == "/doc", envelope
        assert rt.store.state() == before and verify(rt.db)["ok"]
    finally:
        rt.close()


def test_a_whole_domain_may_still_be_replaced_by_an_object() -> None:
    host = _domain_host("/doc", {"b": 2}, False)
    store = MemoryBusStore(host.initial_state())
    bus = Bus(host, store)
    assert bus.dispatch("write", {})["ok"] and store.state["doc"] == {"b": 2}


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs os.fork")
def test_a_forked_process_draws_correlation_ids_of_its_own() -> None:
    """The pid tag was taken at import and the millisecond's prefix is cached: a forked child
    (multiprocessing's default on Linux) repeated its parent's ids, counter and all."""
    import os
    import time

    from modgate.bus_model import _COUNTER, correlation_id

    now = time.time()
    correlation_id(now, 1)  # the parent's prefix cached for this millisecond
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its next id, then out at once
        try:
            os.write(write, correlation_id(now, next(_COUNTER)).encode())
        finally:
            os._exit(0)
    os.close(write)
    try:
        child = os.read(read, 200).decode()
    finally:
        os.close(read)
        os.waitpid(pid, 0)
    parent = correlation_id(now, next(_COUNTER))
    assert child and child != parent
    assert f"-{pid:x}-" in child and f"-{os.getpid():x}-" in parent


def test_correlation_numbers_follow_the_audit_order_as_on_the_general_path() -> None:
    """The memory store draws a field write's number when it files it (at the next read): a
    general dispatch in between drew an earlier number than the field write before it."""
    store = MemoryBusStore(HOST.initial_state())
    bus = Bus(HOST, store)
    for command, payload in [("setPenWidth", {"width": 3}), ("setPenWidth", {"width": 4}),
                             ("setColumnCount", {"count": 3}), ("setPenWidth", {"width": 5}),
                             ("setPenWidth", {"width": "x"}), ("setPenColor", {"color": "#123456"}),
                             ("undo", None)]:
        bus.dispatch(command, payload)
    numbers = [int(e.correlation_id.rsplit("-", 1)[1], 16) for e in store.audit]
    assert numbers == sorted(numbers), numbers


def test_a_removal_and_an_append_in_one_array_are_undone_in_order() -> None:
    """An append ("-") beside another op in its array was taken as independent of it: its undo
    removed past the end of the array (an IndexError from undo)."""
    from tests.fakehost import spec

    def handler(view: Any, payload: Any) -> None:
        view.delete("/doc/list/0")
        view.set("/doc/list/-", 9)

    cmds = [spec("write", handler, scope="doc", writes=("/doc",)),
            spec("undo", None, scope="doc", writes=("/doc",), journal="undo"),
            spec("redo", None, scope="doc", writes=("/doc",), journal="redo")]
    host = Host(app_id="arrays", app_version="1.0.0", platform_ids=("*",), ui_slots=(), event_names=(),
                commands={c.id: c for c in cmds}, state_domains=("doc",),
                initial_state=lambda: {"doc": {"list": [1, 2, 3]}})
    store = MemoryBusStore(host.initial_state())
    bus = Bus(host, store)
    assert bus.dispatch("write", {})["ok"] and store.state["doc"]["list"] == [2, 3, 9]
    assert bus.dispatch("undo")["ok"] and store.state == host.initial_state()
    assert bus.dispatch("redo")["ok"] and store.state["doc"]["list"] == [2, 3, 9]


def test_a_handler_cannot_stage_through_the_read_only_view_of_its_writes() -> None:
    """``view.staged`` handed out the dict itself: a handler writing a non-string path into it
    skipped set()'s check and the effect check raised (AttributeError) out of dispatch."""
    from tests.fakehost import spec

    def handler(view: Any, payload: Any) -> None:
        view.staged[5] = 1

    cmds = [spec("write", handler, scope="doc", writes=("/doc",))]
    host = Host(app_id="staged", app_version="1.0.0", platform_ids=("*",), ui_slots=(), event_names=(),
                commands={c.id: c for c in cmds}, state_domains=("doc",), initial_state=lambda: {"doc": {}})
    store = MemoryBusStore(host.initial_state())
    envelope = Bus(host, store).dispatch("write", {})
    assert envelope["code"] == "command-execution-failed" and "TypeError" in envelope["message"], envelope
    assert store.state == host.initial_state()
