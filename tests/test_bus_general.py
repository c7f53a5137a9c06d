"""The general pipeline's short cuts (issue 16): a flat payload copied without a JSON text, the
staged writes walked once. Each must answer exactly what the long way answers."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modgate.bus import Bus
from modgate.bus_memory import MemoryBusStore
from modgate.bus_plan import FLAT_MAX_BYTES, _flat_copy
from modgate.host import get_host
from modgate.limits import RoleLimits

HOST = get_host("board")

scalars = st.one_of(st.none(), st.booleans(), st.integers(-(2**65), 2**65), st.floats(),
                    st.text(max_size=300), st.sampled_from(["", "a\"b\\c\n\x01", "\ud800", "é"]))
payloads = st.one_of(st.dictionaries(st.one_of(st.text(max_size=300), st.integers()), scalars, max_size=10),
                     st.lists(scalars, max_size=3), scalars)


@settings(max_examples=500, deadline=None)
@given(payload=payloads)
def test_a_flat_copy_is_the_json_round_trip_or_nothing(payload: Any) -> None:
    copy = _flat_copy(payload)
    if copy is None:
        return
    text = orjson.dumps(payload)  # never raises for what the flat copy takes
    assert len(text) <= FLAT_MAX_BYTES and b"NaN" not in text
    assert repr(copy) == repr(orjson.loads(text)) and copy is not payload


def _envelope(payload: Any, limit: int) -> dict[str, Any]:
    """setColumnCount through the general pipeline, with a payload limit that allows the flat copy
    or forces the JSON text."""
    bus = Bus(HOST, MemoryBusStore(HOST.initial_state()), limits={"host": RoleLimits(max_payload_bytes=limit)})
    return bus.dispatch("setColumnCount", payload)


@pytest.mark.parametrize("payload", [
    {"count": float("nan")}, {"count": float("-inf")}, {"count": 2**64}, {"count": -(2**63) - 1},
    {"count": 2**64 - 1}, {1: 2}, {"count": "\ud800"}, {"count": 2}, {"count": 2.0}, {"count": True},
    {"count": 1, "extra": None}, {"count": "x" * 300},
])
def test_a_flat_payload_is_answered_as_the_serialised_one(payload: Any) -> None:
    fast, slow = _envelope(payload, 0), _envelope(payload, 64)
    assert fast == slow or (slow["code"] == "payload-too-large" and fast["code"] == "invalid-payload")
    assert fast["code"] in ("executed", "invalid-payload"), fast


def test_the_limit_is_still_enforced_under_the_flat_bound() -> None:
    envelope = _envelope({"count": 2}, 5)
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
