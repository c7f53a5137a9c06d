"""The general pipeline's short cuts (issue 16): the staged writes walked once, the records built
positionally. Each must answer exactly what the long way answers, and refuse what it refused."""

from __future__ import annotations

from typing import Any

import pytest

from modgate.bus import Bus
from modgate.bus_memory import MemoryBusStore
from modgate.host import get_host
from modgate.limits import RoleLimits
from modgate.state import StateView

HOST = get_host("board")


@pytest.mark.parametrize("payload", [
    {"count": float("nan")}, {"count": float("-inf")}, {"count": 2**64}, {"count": -(2**63) - 1}, {1: 2},
    {"count": "\ud800"}, {"count": [1.0, float("inf")]},
])
def test_a_payload_that_is_not_json_is_refused_with_a_code(payload: Any) -> None:
    envelope = Bus(HOST, MemoryBusStore(HOST.initial_state())).dispatch("setColumnCount", payload)
    assert envelope["code"] == "invalid-payload" and envelope["path"] == "payload", envelope
    assert "the payload is not JSON" in envelope["message"]


def test_the_payload_limit_is_enforced() -> None:
    bus = Bus(HOST, MemoryBusStore(HOST.initial_state()), limits={"host": RoleLimits(max_payload_bytes=5)})
    envelope = bus.dispatch("setColumnCount", {"count": 2})
    assert envelope["code"] == "payload-too-large" and envelope["limit"] == 5


def test_a_flat_payload_changed_afterwards_does_not_change_the_journal() -> None:
    store = MemoryBusStore(HOST.initial_state())
    payload = {"count": 3}
    assert Bus(HOST, store).dispatch("setColumnCount", payload)["ok"]
    payload["count"] = 4
    assert store.state["doc"]["pageColumnCounts"] == {"page-1": 3}
    assert store.journal.entries[-1].ops[0].value == 3


def test_the_positional_builders_set_every_field_as_init_does() -> None:
    import dataclasses

    from modgate.auditevent import AuditEvent, new_event
    from modgate.bus_model import Commit, JournalEntry, new_commit, new_entry
    from modgate.state import Op

    ops, inverse = [Op("replace", "/doc/x", 1)], [Op("replace", "/doc/x", 2)]
    built = [
        (new_entry("c", "host", "doc", "undo", ops, inverse, 7),
         JournalEntry(command_id="c", role="host", scope="doc", kind="undo", ops=ops, inverse=inverse, ref_seq=7)),
        (new_event("dispatch-executed", "cmd-1", "c", "host", {"paths": []}),
         AuditEvent(event_type="dispatch-executed", correlation_id="cmd-1", command_id="c", role="host",
                    data={"paths": []})),
        (new_commit(ops, None, [], None, [(1, "done")], None),
         Commit(ops=ops, journal=None, events=[], idempotency=None, journal_status=[(1, "done")], decision=None)),
    ]
    for fast, slow in built:
        assert fast == slow
        assert [getattr(fast, f.name) for f in dataclasses.fields(fast)] == [  # every slot set
            getattr(slow, f.name) for f in dataclasses.fields(slow)]


@pytest.mark.parametrize("path", [5, None, ("/local", "x"), b"/local/x"])
def test_a_handler_staging_a_path_that_is_not_a_string_gets_a_code_not_a_traceback(path: Any) -> None:
    """Found by the general-path review: a non-string staged path reached path_within (AttributeError)."""
    from tests.fakehost import fake_host, spec

    from modgate.host.model import Host

    def bad(view: StateView, payload: Any) -> Any:
        view.set(path, 1)
        return None

    base = fake_host()
    host = Host(**{**{f: getattr(base, f) for f in base.__dataclass_fields__},
                   "commands": {**base.commands, "bad": spec("bad", bad, writes=("/local/x",))}})
    store = MemoryBusStore({"local": {"x": 0}, "doc": {"items": []}})
    envelope = Bus(host, store).dispatch("bad", {})
    assert envelope["ok"] is False and envelope["code"] == "command-execution-failed"
    assert "JSON pointer" in envelope["message"] and store.state == {"local": {"x": 0}, "doc": {"items": []}}
