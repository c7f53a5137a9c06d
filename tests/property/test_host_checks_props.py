"""Hypothesis: a garbage host declaration is host-invalid with a path, never a traceback.

Hosts come from third parties (entry points, register_host): whatever their fields hold, the
check either accepts the host or raises ModgateError ``host-invalid``; an accepted host opens.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.fakehost import fake_host

from modgate.errors import ModgateError
from modgate.host.checks import check_host

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                             HealthCheck.function_scoped_fixture])

json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner,
                                                                                       max_size=3), max_leaves=8)
schemas = st.one_of(json_values, st.fixed_dictionaries({"type": json_values}),
                    st.fixed_dictionaries({"properties": st.dictionaries(st.text(max_size=4), json_values)}))
pointers = st.one_of(st.text(max_size=12), st.sampled_from(["/doc/items", "/local/x", "/sync/a", "/", "//"]))
texts = st.one_of(st.text(max_size=10), st.integers(), st.none())
tuples = st.one_of(st.tuples(*[texts] * 2), st.lists(st.text(max_size=5), max_size=3), st.none(),
                   st.tuples(st.sampled_from(["doc", "sync", "local", "registry"]), st.just("doc")))

spec_changes = st.fixed_dictionaries({}, optional={
    "payload_schema": schemas, "writes": st.one_of(st.tuples(pointers), st.lists(pointers, max_size=2)),
    "mutation_scope": st.sampled_from(["doc", "sync", "local", "x", ""]), "id": texts,
    "handler": st.sampled_from([None, len, "handler"]),
})
host_changes = st.fixed_dictionaries({}, optional={
    "app_id": texts, "ui_slots": tuples, "event_names": tuples, "platform_ids": tuples, "state_domains": tuples,
    "initial_state": st.sampled_from([dict, lambda: None, lambda: {"doc": {}, "sync": {}, "local": 1}]),
})


@SETTINGS
@given(spec=spec_changes, host=host_changes, key=st.sampled_from(["setX", "append", "boom"]))
def test_any_declaration_is_accepted_or_coded(spec: dict[str, Any], host: dict[str, Any], key: str,
                                             tmp_path: Path) -> None:
    base = fake_host()
    command = dataclasses.replace(base.commands[key], **spec)
    candidate = dataclasses.replace(base, commands={**base.commands, key: command}, **host)
    try:
        check_host(candidate)
    except ModgateError as exc:
        assert exc.code == "host-invalid" and exc.message
        return
    from modgate.app import open_runtime  # an accepted host really runs

    with open_runtime(tmp_path / f"home-{abs(hash(repr(spec) + repr(host)))}", candidate) as rt:
        rt.bus.dispatch(key, command.payload_example)
