"""The bus's field path (issue 16) must refuse exactly what the general pipeline refuses: no
payload limit, role or approval is bypassed by a payload shaped to take the compiled path."""

from __future__ import annotations

from typing import Any

import pytest
from tests.fieldhost import field_host

from modgate.bus import Bus
from modgate.bus_memory import MemoryBusStore
from modgate.host import get_host
from modgate.limits import DEFAULT_LIMITS, RoleLimits

BOARD = get_host("board")
ROLES = ("host", "owner", "student", "agent", "extension", "light_user")


class _Text(str):
    """A str subclass: len() counts what it likes, orjson writes the real string."""


def _both(host: Any, limits: dict[str, RoleLimits], command_id: str, payload: Any, role: str) -> tuple[Any, Any]:
    fast = Bus(host, MemoryBusStore(host.initial_state()), limits=limits)
    slow = Bus(host, MemoryBusStore(host.initial_state()), limits=limits)
    slow._fast = {}  # the general pipeline only
    return fast.dispatch(command_id, payload, role=role), slow.dispatch(command_id, payload, role=role)


@pytest.mark.parametrize("role", ["host", "extension"])
def test_a_container_value_cannot_skip_the_payload_limit(role: str) -> None:
    limits = {**DEFAULT_LIMITS, "extension": RoleLimits(max_payload_bytes=1000)}  # MODGATE_LIMITS-style override
    if role == "host":
        limits["host"] = RoleLimits(max_payload_bytes=1000)
    got, want = _both(field_host(), limits, "setAny", {"any": ["x" * 50] * 100}, role)
    assert want["code"] == "payload-too-large"
    assert got == want


def test_a_str_subclass_cannot_skip_the_payload_limit() -> None:
    limits = {**DEFAULT_LIMITS, "extension": RoleLimits(max_payload_bytes=1000)}
    value = _Text("#" + "a" * 5000)
    got, want = _both(field_host(), limits, "setName", {"name": value}, "extension")
    assert want["code"] == "payload-too-large"
    assert got == want


@pytest.mark.parametrize("limit", [1, 10, 20, 30, 40])
@pytest.mark.parametrize("value", [4, 4.5, 199.99999999999997, 0.5000000000000001])
def test_a_tiny_payload_limit_refuses_a_number_on_both_paths(limit: int, value: Any) -> None:
    for role in ROLES:
        limits = {**DEFAULT_LIMITS, "extension": RoleLimits(max_payload_bytes=limit),
                  "host": RoleLimits(max_payload_bytes=limit)}
        got, want = _both(BOARD, limits, "setPenWidth", {"width": value}, role)
        assert got == want, (role, limit, value)


@pytest.mark.parametrize("payload", [{1: "#aabbcc"}, {"color": "#aabbcc", 1: 2}, {"color": object()},
                                     {"color": 2**70}])
def test_a_payload_that_is_not_json_gets_a_coded_refusal_on_both_paths(payload: Any) -> None:
    for role in ROLES:
        got, want = _both(BOARD, DEFAULT_LIMITS, "setPenColor", payload, role)
        assert got == want
        assert got["ok"] is False and got["code"] in ("invalid-payload", "invalid-role"), got


def test_limits_changed_after_the_bus_was_built_hold_on_the_field_path() -> None:
    """A host tightening a role's limits on a running bus: the compiled field paths follow."""
    store = MemoryBusStore(BOARD.initial_state())
    bus = Bus(BOARD, store)
    assert bus.dispatch("setPenWidth", {"width": 5}, role="extension")["ok"]
    bus.limits = {**bus.limits, "extension": RoleLimits(per_minute=1)}
    answers = [bus.dispatch("setPenWidth", {"width": w}, role="extension")["code"] for w in (6, 7)]
    assert answers == ["executed", "rate-limited"]
    with pytest.raises(TypeError):  # changed in place, the compiled paths would not know
        bus.limits["extension"] = RoleLimits()  # type: ignore[index]


@pytest.mark.parametrize("prop", [{"$recursiveRef": "#"}, {"allOf": [{"$recursiveRef": "#"}]},
                                  {"anyOf": [{"$ref": "#"}]}, {"$dynamicRef": "#"}])
def test_a_reference_to_the_payload_schema_is_checked_against_it(prop: dict[str, Any]) -> None:
    """The field path validates the value against its property's schema alone: a reference to the
    document root ("#") there means the property schema, where the general path means the whole
    payload schema. Such schemas take the general path."""
    from modgate.host.model import CommandSpec, FieldSetter, Host

    schema = {"$schema": "https://json-schema.org/draft/2019-09/schema", "type": "object", "properties": {"v": prop},
              "required": ["v"], "additionalProperties": False}
    spec = CommandSpec(id="setV", description="d", mutation_scope="local", requires_approval=False, audit_tag="t",
                       undo_command=None, idempotent=False, writes=("/local/box/v",), payload_schema=schema,
                       payload_example={}, handler=FieldSetter(path="/local/box/v", key="v"))
    host = Host(app_id="refs", app_version="1.0.0", platform_ids=("*",), ui_slots=(), event_names=(),
                commands={"setV": spec}, state_domains=("doc", "sync", "local"),
                initial_state=lambda: {"doc": {}, "sync": {}, "local": {"box": {"v": "a"}}})
    got, want = _both(host, DEFAULT_LIMITS, "setV", {"v": "b"}, "host")
    assert got == want


@pytest.mark.parametrize("names", [("setPenWidth", ["host"]), ("setPenWidth", {"a": 1}), (["setPenWidth"], "host"),
                                   ("setColumnCount", ["host"]), ({"x"}, "host")])
def test_a_command_or_role_that_is_no_string_is_refused_with_a_code(names: tuple[Any, Any]) -> None:
    command_id, role = names
    bus = Bus(BOARD, MemoryBusStore(BOARD.initial_state()))
    answer = bus.dispatch(command_id, {"width": 5}, role=role)
    assert answer["ok"] is False and answer["code"] in ("invalid-role", "unknown-command")
    assert bus.store.revision == 0  # type: ignore[attr-defined]


@pytest.mark.parametrize("override", ['{"host": {"perMinute": 1}}', '{"student": {"perMinute": 0}}',
                                      '{"host": {"maxPayloadBytes": 12}}'])
def test_modgate_limits_overrides_hold_on_the_field_path(tmp_path: Any, monkeypatch: pytest.MonkeyPatch,
                                                         override: str) -> None:
    from modgate.app import open_runtime

    monkeypatch.setenv("MODGATE_LIMITS", override)
    answers = {}
    for name, fast in (("fast", True), ("slow", False)):
        rt = open_runtime(tmp_path / name)
        try:
            if not fast:
                rt.bus._fast = {}
            answers[name] = [rt.bus.dispatch("setPenWidth", {"width": w}, role=r)["code"]
                             for w, r in ((5, "extension"), (6, "extension"), (7, "student"), (8, "student"),
                                          (9, "host"), (10.5, "host"))]
        finally:
            rt.close()
    assert answers["fast"] == answers["slow"]
