from __future__ import annotations

from pathlib import Path

import pytest
from tests.fakehost import fake_host

from modgate.app import open_runtime
from modgate.bus import Bus
from modgate.bus_memory import MemoryBusStore


@pytest.fixture(params=["memory", "sqlite"])
def bus(request: pytest.FixtureRequest, modgate_home: Path):  # type: ignore[no-untyped-def]
    host = fake_host()
    if request.param == "memory":
        yield Bus(host, MemoryBusStore(host.initial_state()))
        return
    rt = open_runtime(modgate_home, host=host)
    yield rt.bus
    rt.close()


def state(bus: Bus):  # type: ignore[no-untyped-def]
    store = bus.store
    return store.state if isinstance(store, MemoryBusStore) else store.state()  # type: ignore[attr-defined]


def test_executes_and_changes_state(bus: Bus) -> None:
    out = bus.dispatch("setX", {"x": 5})
    assert out["ok"] is True and out["code"] == "executed" and out["result"] == {"x": 5}
    assert out["auditTag"] == "command.setX"
    assert state(bus)["local"]["x"] == 5


def test_unknown_command(bus: Bus) -> None:
    out = bus.dispatch("nope", {})
    assert out == {"ok": False, "code": "unknown-command", "commandId": "nope",
                   "error": "unknown command 'nope'", "message": "unknown command 'nope'"}


@pytest.mark.parametrize("payload", [{"x": "1"}, {"x": 1, "y": 2}, {}, [], "x", 1.5])
def test_invalid_payload_changes_nothing(bus: Bus, payload: object) -> None:
    out = bus.dispatch("setX", payload)
    assert out["code"] == "invalid-payload" and out["ok"] is False
    assert state(bus)["local"]["x"] == 0


def test_student_queues_approval_gated_command(bus: Bus) -> None:
    out = bus.dispatch("append", {"item": "a"}, role="student")
    assert out["code"] == "approval-required" and out["approvalId"]
    assert state(bus)["doc"]["items"] == []
    approved = bus.approve(out["approvalId"])
    assert approved["ok"] is True and approved["code"] == "executed"
    assert state(bus)["doc"]["items"] == ["a"]
    again = bus.approve(out["approvalId"])
    assert again["code"] == "approval-not-pending"


def test_agent_is_treated_like_student(bus: Bus) -> None:
    assert bus.dispatch("append", {"item": "a"}, role="agent")["code"] == "approval-required"


def test_host_runs_approval_gated_command_directly(bus: Bus) -> None:
    assert bus.dispatch("append", {"item": "a"})["ok"] is True


def test_reject(bus: Bus) -> None:
    out = bus.dispatch("append", {"item": "a"}, role="student")
    rejected = bus.reject(out["approvalId"])
    assert rejected["ok"] is True and rejected["code"] == "rejected"
    assert state(bus)["doc"]["items"] == []
    assert bus.approve(out["approvalId"])["code"] == "approval-not-pending"
    assert bus.approve("apr-999")["code"] == "approval-not-found"


def test_undeclared_write_changes_nothing(bus: Bus) -> None:
    out = bus.dispatch("rogue", {})
    assert out["code"] == "undeclared-write" and out["path"] == "/doc/items"
    assert state(bus)["doc"]["items"] == [] and state(bus)["local"]["x"] == 0


def test_handler_failure(bus: Bus) -> None:
    out = bus.dispatch("boom", {})
    assert out["code"] == "command-execution-failed"
    assert "precondition failed" in out["message"]


def test_invalid_role(bus: Bus) -> None:
    assert bus.dispatch("setX", {"x": 1}, role="root")["code"] == "invalid-role"


def test_idempotency_replays_a_queued_dispatch_from_its_item(bus: Bus) -> None:
    first = bus.dispatch("append", {"item": "a"}, idempotency_key="k1")
    second = bus.dispatch("append", {"item": "a"}, idempotency_key="k1")
    assert second["deduped"] is True and second["result"] == first["result"]
    assert state(bus)["doc"]["items"] == ["a"]
    queued = bus.dispatch("append", {"item": "b"}, role="student", idempotency_key="k2")
    assert queued["code"] == "approval-required"
    bus.approve(queued["approvalId"])
    retry = bus.dispatch("append", {"item": "b"}, role="student", idempotency_key="k2")
    # answered from the item now (issue 11 finding 6): executed once, never queued again
    assert retry["code"] == "executed" and retry["deduped"] is True
    assert state(bus)["doc"]["items"] == ["a", "b"]


def test_idempotency_key_is_scoped_by_role_and_command(bus: Bus) -> None:
    bus.dispatch("setX", {"x": 1}, idempotency_key="k")
    out = bus.dispatch("setX", {"x": 2}, role="student", idempotency_key="k")
    assert "deduped" not in out and state(bus)["local"]["x"] == 2


def test_idempotency_ttl_expires() -> None:
    now = [1000.0]
    host = fake_host()
    bus = Bus(host, MemoryBusStore(host.initial_state()), clock=lambda: now[0])
    bus.dispatch("setX", {"x": 1}, idempotency_key="k", ttl_ms=1000)
    now[0] += 2
    assert "deduped" not in bus.dispatch("setX", {"x": 1}, idempotency_key="k")


def test_undo_redo_over_journal(bus: Bus) -> None:
    for item in ("a", "b", "c"):
        bus.dispatch("append", {"item": item})
    assert bus.dispatch("undo")["result"]["undone"] is not None
    assert bus.dispatch("undo")["ok"]
    assert state(bus)["doc"]["items"] == ["a"]
    bus.dispatch("redo")
    assert state(bus)["doc"]["items"] == ["a", "b"]
    bus.dispatch("append", {"item": "z"})  # a new edit ends the redo stack
    assert bus.dispatch("redo")["result"] == {"redone": None}
    assert state(bus)["doc"]["items"] == ["a", "b", "z"]


def test_undo_with_nothing_to_undo_is_a_noop(bus: Bus) -> None:
    out = bus.dispatch("undo")
    assert out["ok"] is True and out["result"] == {"undone": None}


def test_student_undo_is_queued(bus: Bus) -> None:
    bus.dispatch("append", {"item": "a"})
    assert bus.dispatch("undo", role="student")["code"] == "approval-required"
    assert state(bus)["doc"]["items"] == ["a"]


def test_no_queue_configured_gives_policy_missing() -> None:
    host = fake_host()
    bus = Bus(host, MemoryBusStore(host.initial_state()), queue_enabled=False)
    assert bus.dispatch("append", {"item": "a"}, role="student")["code"] == "approval-policy-missing"


def test_queue_failure_is_coded() -> None:
    from modgate.errors import StoreError

    host = fake_host()
    store = MemoryBusStore(host.initial_state())

    def broken(item: object, events: object) -> str:
        raise StoreError.make("store-readonly", "read-only")

    store.enqueue = broken  # type: ignore[method-assign]
    assert Bus(host, store).dispatch("append", {"item": "a"}, role="student")["code"] == "approval-queue-failed"


def test_audit_events_cover_the_pipeline() -> None:
    host = fake_host()
    store = MemoryBusStore(host.initial_state())
    bus = Bus(host, store)
    bus.dispatch("setX", {"x": 1})
    bus.dispatch("nope")
    bus.dispatch("setX", {"x": "bad"})
    q = bus.dispatch("append", {"item": "a"}, role="student")
    bus.approve(q["approvalId"])
    q2 = bus.dispatch("append", {"item": "b"}, role="student")
    bus.reject(q2["approvalId"])
    bus.dispatch("boom")
    bus.dispatch("undo")
    kinds = {e.event_type for e in store.audit}
    assert {"dispatch-request", "dispatch-executed", "dispatch-invalid-command", "dispatch-invalid-payload",
            "dispatch-queued-for-approval", "dispatch-approved", "dispatch-rejected",
            "dispatch-execution-failed", "dispatch-undone"} <= kinds
