"""``loads_depth_deferred`` + ``check_depth`` refuse exactly what ``loads`` refuses, the same way.

The import path loads with the depth check deferred (the quick schema bounds the depth of what it
accepts); whatever the schema does not accept goes through ``check_depth``. Together they must
give ``loads``' value or its very error (code, path, message, detail).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modgate.errors import JsonLoadError
from modgate.strictjson import check_depth, loads, loads_depth_deferred


def _outcome(load: Callable[[], Any]) -> tuple[str, Any]:
    try:
        return ("ok", load())
    except JsonLoadError as exc:
        return ("error", exc.problem)


def _deferred(text: bytes) -> Any:
    value = loads_depth_deferred(text)
    check_depth(text, value)
    return value


def _nest(depth: int, inner: bytes = b"1") -> bytes:
    return b'{"a":' * depth + inner + b"}" * depth


CORPUS = [
    *(b"[" * d + b"]" * d for d in (1, 127, 128, 129, 200, 255, 256, 300, 1024, 1025, 5000)),
    *(_nest(d) for d in (127, 128, 129, 254, 255, 256, 600)),
    b'{"a": 1, "a": 2}',
    b'{"x": [' + b"[" * 200 + b"]" * 200 + b'], "x": 1}',
    b'{"x": 1, "x": [' + b"[" * 200 + b"]" * 200 + b"]}",
    b'{"a\\u003a": 1}',
    b'{"a":1,"a\\u003a":2,"a":3}',
    b'{"k": "v:w", "k2": "::"}',
    b'{"a": {"b": 1, "b": 1}}',
    b"[NaN]",
    b"\xff",
    b"\xef\xbb\xbf{}",
    b'"\\ud800"',
    b"{}",
    b"{",
    b"",
    b'{"a": 1e400}',
    "{\"caf\u00e9\": \"\u2028\"}".encode(),
]


@pytest.mark.parametrize("text", CORPUS, ids=lambda t: repr(t[:24]))
def test_deferred_loading_gives_what_loads_gives(text: bytes) -> None:
    assert _outcome(lambda: _deferred(text)) == _outcome(lambda: loads(text))


def test_size_limit_is_checked_before_parsing() -> None:
    error = _outcome(lambda: loads_depth_deferred(b"[1, 2]", max_bytes=3))
    assert error[0] == "error" and error[1].code == "json-too-large"


def test_without_check_depth_only_depth_can_slip_through() -> None:
    deep = b"[" * 200 + b"]" * 200
    assert loads_depth_deferred(deep) is not None  # the caller's own check must bound it
    with pytest.raises(JsonLoadError) as info:
        check_depth(deep, loads_depth_deferred(deep))
    assert info.value.problem.code == "json-too-deep"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.sampled_from(["", ":", "a:b", "\u00e9", "\\u003a"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["a", "b", "c:"]), inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(json_values, st.integers(0, 300), st.booleans(), st.booleans())
def test_deferred_loading_agrees_on_generated_text(value: Any, depth: int, duplicate: bool, pretty: bool) -> None:
    text = json.dumps(value, indent=2 if pretty else None).encode()
    if duplicate and text.startswith(b"{") and text != b"{}":
        text = b'{"a": 0, ' + text[1:]  # a duplicate when value has a key "a"
    text = b"[" * depth + text + b"]" * depth
    assert _outcome(lambda: _deferred(text)) == _outcome(lambda: loads(text))
