"""Bad input never breaks the importer: Hypothesis plus mutations of valid packages.

Every case asserts: no exception escapes, the envelope is ``imported`` or one documented import
code, the same bytes give byte-identical canonical output, and the schema fast path reports the
same first problem as the ordered Python rules. 2,000 cases by default; 100,000 in the slow suite.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modgate import codes
from modgate.host.board import board_host
from modgate.modules.fastpath import first_problem
from modgate.modules.lint import lint_package
from modgate.modules.package import import_bytes
from modgate.modules.starter import new_module_package
from modgate.strictjson import JsonLoadError, loads

HOST = board_host()
KNOWN = set(codes.IMPORT) | {"imported", "capability-unknown-id"}

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.sampled_from([1.0, 0.5, 1e20, 2**63]),
    st.sampled_from(["", " ", "x", "pen", "setTool", "local", "doc", "1.0.0", "10.4.0", "x-a", "html", "a\n"]),
    st.text(max_size=6),
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["a", "html", "tool", "x-k"]), inner, max_size=3)
    ),
    max_leaves=6,
)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            out += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            out += _paths(item, (*prefix, index))
    return out


def _mutate(doc: Any, path: tuple[Any, ...], op: str, new: Any, key: str) -> Any:
    if not path:
        return new if op == "replace" else doc
    parent = doc
    for step in path[:-1]:
        parent = parent[step]
    last = path[-1]
    if op == "replace":
        parent[last] = new
    elif op == "delete":
        del parent[last]
    elif op == "duplicate" and isinstance(parent, list):
        parent.append(json.loads(json.dumps(parent[last])))
    elif op == "add-key" and isinstance(parent[last], dict):
        parent[last][key] = new
    return doc


@st.composite
def mutated_packages(draw: st.DrawFn) -> bytes:
    doc: Any = new_module_package(draw(st.sampled_from(["geo-tools", "abc", "mod-9"])))
    for _ in range(draw(st.integers(1, 3))):
        paths = _paths(doc)
        path = draw(st.sampled_from(paths))
        op = draw(st.sampled_from(["replace", "delete", "duplicate", "add-key"]))
        doc = _mutate(doc, path, op, draw(json_values), draw(st.sampled_from(["x-n", "zz", "html", "payload"])))
    data = json.dumps(doc, ensure_ascii=draw(st.booleans())).encode()
    if draw(st.integers(0, 9)) == 0:  # sometimes break the bytes themselves
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.sampled_from([b"", b",", b"\xff", b'"', b"}", b"NaN", b"\\ud800"])) + data[at + 1 :]
    return data


inputs = st.one_of(
    mutated_packages(),
    st.binary(max_size=64),
    json_values.map(lambda v: json.dumps(v).encode()),
)


def _check(data: bytes) -> None:
    outcome = import_bytes(data, HOST)
    assert outcome.envelope["code"] in KNOWN, outcome.envelope
    assert import_bytes(data, HOST).to_bytes() == outcome.to_bytes()
    try:
        value = loads(data)
    except JsonLoadError:
        return
    assert first_problem(value, HOST, from_json=True) == first_problem(value, HOST)
    problems = lint_package(value, HOST)
    assert (not problems) == (
        outcome.envelope["code"] == "imported" or outcome.envelope["code"] == "module-version-downgrade"
    )


@settings(max_examples=2000, deadline=None, suppress_health_check=list(HealthCheck))
@given(inputs)
def test_import_fuzz(data: bytes) -> None:
    _check(data)


@pytest.mark.slow
@pytest.mark.timeout(7200)
@settings(max_examples=100_000, deadline=None, suppress_health_check=list(HealthCheck))
@given(inputs)
def test_import_fuzz_slow(data: bytes) -> None:
    _check(data)
