"""Hypothesis properties of modgate.strictjson: round-trips, canonical form, loader robustness."""

from __future__ import annotations

import json
from typing import Any

import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from modgate.errors import JsonLoadError
from modgate.payloadlimits import js_number, js_stringify_length
from modgate.strictjson import canonical_bytes, dumps, loads

SETTINGS = settings(max_examples=300, deadline=None)

# Keys and strings mix ASCII, BMP (incl. U+E000..U+FFFF, which sort differently in UTF-16)
# and astral characters, plus control characters.
chars = st.one_of(
    st.characters(min_codepoint=0, max_codepoint=0x7F),
    st.characters(min_codepoint=0xE000, max_codepoint=0xFFFF, exclude_categories=["Cs"]),
    st.characters(min_codepoint=0x10000, max_codepoint=0x10FFFF),
    st.characters(exclude_categories=["Cs"]),
)
text = st.text(chars, max_size=12)
floats = st.floats(allow_nan=False, allow_infinity=False)
safe_ints = st.integers(min_value=-(2**53 - 1), max_value=2**53 - 1)
scalars = st.one_of(st.none(), st.booleans(), safe_ints, floats, text)
json_values = st.recursive(
    scalars,
    lambda children: st.one_of(st.lists(children, max_size=5), st.dictionaries(text, children, max_size=5)),
    max_leaves=30,
)
# orjson writes and reads 64-bit integers; the round-trip covers them too
loadable = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-(2**63), 2**64 - 1), floats, text),
    lambda children: st.one_of(st.lists(children, max_size=5), st.dictionaries(text, children, max_size=5)),
    max_leaves=30,
)


@SETTINGS
@given(loadable)
def test_loads_dumps_round_trip(value: Any) -> None:
    assert loads(dumps(value)) == value
    assert loads(json.dumps(value, indent=1, ensure_ascii=True)) == value


@SETTINGS
@given(json_values)
def test_canonical_matches_rfc8785(value: Any) -> None:
    assert canonical_bytes(value) == rfc8785.dumps(value)


@SETTINGS
@given(st.integers())
def test_canonical_ints_match_or_raise_like_rfc8785(number: int) -> None:
    try:
        expected = rfc8785.dumps([number])
    except rfc8785.IntegerDomainError:
        try:
            canonical_bytes([number])
        except rfc8785.IntegerDomainError:
            return
        raise AssertionError("canonical_bytes accepted an integer rfc8785 rejects") from None
    assert canonical_bytes([number]) == expected


@SETTINGS
@given(floats)
def test_js_number_matches_rfc8785(number: float) -> None:
    assert js_number(number).encode() == rfc8785.dumps(number)


@SETTINGS
@given(json_values)
def test_stringify_length_is_utf16_length(value: Any) -> None:
    # JSON.stringify and JCS escape strings identically; only member order and numbers differ,
    # and both forms are compact, so for these values the lengths agree.
    canonical = rfc8785.dumps(value).decode("utf-8")
    assert js_stringify_length(value) == len(canonical.encode("utf-16-le")) // 2


@SETTINGS
@given(st.binary(max_size=200))
def test_loads_only_raises_json_load_error(data: bytes) -> None:
    try:
        loads(data, max_depth=8)
    except JsonLoadError as error:
        assert error.problem.code.startswith("json-")


@SETTINGS
@given(st.lists(st.sampled_from([b"[", b"]", b"{", b"}", b'"a"', b":", b",", b"1", b"\\", b" ", b'"', b"\\ud800",
                                 b"NaN", b"\xed\xa0\x80", b"1e999", b'"k":1'])))
def test_loads_fragments_only_raise_json_load_error(parts: list[bytes]) -> None:
    data = b"".join(parts)
    try:
        value = loads(data, max_depth=4)
    except JsonLoadError:
        return
    assert json.loads(data) == value  # anything we accept, the stdlib accepts too


def _render(node: Any, indent: int | None) -> str:
    """JSON text of a tree whose objects are lists of (key, value) pairs, keys possibly repeated."""
    if isinstance(node, tuple):
        members = [f"{json.dumps(key)}:{_render(value, indent)}" for key, value in node[1]]
        return "{" + ("," + " " * (indent or 0)).join(members) + "}"
    if isinstance(node, list):
        return "[" + ",".join(_render(item, indent) for item in node) + "]"
    return json.dumps(node)


def _has_duplicate(node: Any) -> bool:
    if isinstance(node, tuple):
        keys = [key for key, _ in node[1]]
        return len(set(keys)) < len(keys) or any(_has_duplicate(value) for _, value in node[1])
    if isinstance(node, list):
        return any(_has_duplicate(item) for item in node)
    return False


pair_trees = st.recursive(
    st.one_of(st.none(), st.integers(-5, 5), st.sampled_from(["a", "a:b", ":", '"', "\\", "é"])),
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.tuples(st.just("obj"), st.lists(st.tuples(st.sampled_from(["a", "b", "a:", ":", '":']), children),
                                           max_size=4)),
    ),
    max_leaves=20,
)


@SETTINGS
@given(pair_trees, st.sampled_from([None, 1]))
def test_duplicate_keys_always_detected(tree: Any, indent: int | None) -> None:
    text = _render(tree, indent)
    try:
        loads(text)
    except JsonLoadError as error:
        assert error.code == "json-duplicate-key"
        assert _has_duplicate(tree)
        return
    assert not _has_duplicate(tree)
