"""Unit and golden-case tests for modgate.strictjson."""

from __future__ import annotations

import base64
import json
import math
from pathlib import Path
from typing import Any

import pytest
import rfc8785

from modgate import codes
from modgate.errors import JsonLoadError
from modgate.strictjson import (
    canonical_bytes,
    dumps,
    dumps_pretty,
    loads,
    sha256_hex,
    sha256_prefixed,
)

CASES = Path(__file__).parent / "cases" / "jsonsafe"
ROOT = "manifest.ui[0].action.payload"


def load_error(data: bytes | str, **limits: int) -> JsonLoadError:
    with pytest.raises(JsonLoadError) as info:
        loads(data, **limits)
    return info.value


# --- loads: accepted input ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (b'{"a": [1, 2.5, "x", true, false, null]}', {"a": [1, 2.5, "x", True, False, None]}),
        (b'"\\ud83d\\ude00"', "\U0001f600"),
        (b'"\\\\ud800"', "\\ud800"),  # an escaped backslash: not a surrogate escape
        (b'["\\\\\\\\ud800"]', ["\\\\ud800"]),
        (b' \n\t[]\r\n', []),
        (b"-0", 0),
        (b'{"k:\\u003a": 1, "k": 2}', {"k::": 1, "k": 2}),  # escaped colons take the exact path
        ('{"é": "ü"}', {"é": "ü"}),
        (b"18446744073709551615", 2**64 - 1),
        (b"18446744073709551616", float(2**64)),  # like orjson: beyond u64 becomes a float
    ],
)
def test_loads_accepts(text: bytes | str, expected: Any) -> None:
    assert loads(text) == expected


def test_loads_depth_boundary() -> None:
    assert loads(b"[" * 128 + b"]" * 128) is not None
    error = load_error(b"[" * 129 + b"]" * 129)
    assert error.code == "json-too-deep"
    assert error.problem.detail["offset"] == 128
    assert loads(b"[[1]]", max_depth=2) == [[1]]
    assert load_error(b"[[1]]", max_depth=1).code == "json-too-deep"
    assert load_error(b'{"a": {}}', max_depth=1).problem.path == "$.a"


def test_loads_deep_scalars_at_limit_are_fine() -> None:
    # the indentation screen fires here; the exact scanner must still accept it
    text = b'{"a":' * 128 + b"1" + b"}" * 128
    assert loads(text) is not None


def test_loads_never_recursion_error() -> None:
    for opener in (b"[", b'{"a":'):
        error = load_error(opener * 200_000)
        assert error.code == "json-too-deep"


@pytest.mark.parametrize("depth", [255, 256, 300, 1024])
def test_nesting_orjson_parses_but_cannot_reserialise_is_json_too_deep(depth: int) -> None:
    # orjson parses up to 1024 levels but serialises only 255: the screen's re-serialisation once
    # escaped as "TypeError: Recursion limit reached" (a traceback instead of a coded refusal).
    assert load_error(b"[" * depth + b"]" * depth).code == "json-too-deep"
    assert load_error(b'{"a":' * depth + b"1" + b"}" * depth).code == "json-too-deep"
    assert loads(b"[" * depth + b"]" * depth, max_depth=2000) is not None


def test_loads_large_max_depth_beyond_orjson_limit() -> None:
    text = b"[" * 1500 + b"]" * 1500
    assert loads(text, max_depth=2000) is not None


# --- loads: rejections -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code", "path"),
    [
        (b'{"a": 1, "a": 2}', "json-duplicate-key", "$.a"),
        (b'{"x": {"y": [{"k": 1, "k": 1}]}}', "json-duplicate-key", "$.x.y[0].k"),
        (b'{"a b": 1, "a b": 2}', "json-duplicate-key", '$["a b"]'),
        (b"[NaN]", "json-non-finite", "$[0]"),
        (b'{"v": Infinity}', "json-non-finite", "$.v"),
        (b"-Infinity", "json-non-finite", "$"),
        (b"[1e400]", "json-non-finite", "$[0]"),
        (b"1" * 400, "json-non-finite", "$"),
        (b'"\\ud800"', "json-lone-surrogate", "$"),
        (b'["\\udc00\\ud800"]', "json-lone-surrogate", "$[0]"),
        (b'{"a": "\\uD83D x"}', "json-lone-surrogate", "$.a"),
        (b'"\\\\\\ud800"', "json-lone-surrogate", "$"),  # \\ then a real escape
        (b'"\xed\xa0\x80"', "json-lone-surrogate", "$"),
        ("\ud800", "json-lone-surrogate", "$"),
        (b'"\xff"', "json-invalid-utf8", "$"),
        (b'"\xc3"', "json-invalid-utf8", "$"),
        (b"\xef\xbb\xbf[]", "json-syntax", "$"),
        (b"", "json-syntax", "$"),
        (b"[1,]", "json-syntax", "$[1]"),
        (b'{"a" 1}', "json-syntax", "$.a"),
        (b"{1: 2}", "json-syntax", "$"),
        (b"[1 2]", "json-syntax", "$"),
        (b"[1] x", "json-syntax", "$"),
        (b'"a\x01"', "json-syntax", "$"),
        (b"01", "json-syntax", "$"),
        (b"'a'", "json-syntax", "$"),
        (b'{"a": tru}', "json-syntax", "$.a"),
    ],
)
def test_loads_rejects(text: bytes | str, code: str, path: str) -> None:
    error = load_error(text)
    assert (error.code, error.problem.path) == (code, path)
    assert error.problem.message


def test_duplicate_key_names_object_and_key() -> None:
    problem = load_error(b'{\n  "outer": {"k": 1,\n "k": 2}}').problem
    assert problem.detail["key"] == "k"
    assert problem.detail["objectPath"] == "$.outer"
    assert (problem.detail["line"], problem.detail["column"]) == (3, 2)
    assert "$.outer" in problem.message


def test_positions_count_bytes_and_code_points() -> None:
    detail = load_error('["é", NaN]').problem.detail
    assert detail == {"offset": 7, "line": 1, "column": 7}
    assert load_error(b'["\\ud800"]').problem.detail["offset"] == 2
    assert load_error(b'[1, "\xff"]').problem.detail["offset"] == 5


def test_too_large_checked_before_parsing() -> None:
    error = load_error(b"not json at all", max_bytes=4)
    assert error.code == "json-too-large"
    assert error.problem.detail == {"size": 15, "limit": 4}
    assert loads(b"[1]", max_bytes=3) == [1]


def test_loads_rejects_non_text_type() -> None:
    with pytest.raises(TypeError):
        loads(123)  # type: ignore[arg-type]


# --- canonical JSON ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        {"b": 1, "a": [1.0, 0.1, 1e21, 1e-7, -0.0, 1e16, 5e-6, 1.5e-5]},
        {"\ue000": 1, "\U0001f600": 2, "a": 3},
        {"s": "\x00\x1f\x7f\u2028\"\\/"},
        [2**53 - 1, -(2**53 - 1)],
        # the bytes-level fast path: float tokens in every position, and float-like text in strings
        [1.0], {"a": [0, 2.5e-7]}, {"a": {"b": -1e+30}}, [1, -2.0],
        {"t": "11:43:43.708", "u": "[1.5", "v": "\":2.0", "w": ",3e5"},
        {"ü": "é", "n": 1}, [{"k": True, "l": None}],
    ],
)
def test_canonical_matches_rfc8785(value: Any) -> None:
    assert canonical_bytes(value) == rfc8785.dumps(value)


def test_canonical_raises_like_rfc8785() -> None:
    with pytest.raises(rfc8785.IntegerDomainError):
        canonical_bytes({"n": 2**53})
    with pytest.raises(rfc8785.CanonicalizationError):
        canonical_bytes(["\ud800"])
    for non_finite in (math.nan, math.inf, -math.inf):
        with pytest.raises(rfc8785.FloatDomainError):
            canonical_bytes({"a": [non_finite]})
        with pytest.raises(rfc8785.FloatDomainError):
            canonical_bytes([non_finite])


def test_hashes() -> None:
    value = {"b": [1, 2], "a": "x"}
    assert canonical_bytes(value) == b'{"a":"x","b":[1,2]}'
    assert sha256_hex(value) == "721ef82f2d6c0997bffb7a8ab3f40f8fb45b0b52ce2af3afa6b0f05efbdc317f"
    assert sha256_prefixed(value) == "sha256:" + sha256_hex(value)


def test_dumps_helpers() -> None:
    assert dumps({"a": [1, "é"]}) == '{"a":[1,"é"]}'.encode()
    assert dumps_pretty({"b": 1, "a": {"c": []}}) == '{\n  "a": {\n    "c": []\n  },\n  "b": 1\n}\n'


# --- golden cases (the "load" ones; tests/test_jsonsafety.py runs the "check" ones) -----------------


def golden_cases() -> list[Path]:
    return sorted(CASES.glob("*.json"))


@pytest.mark.parametrize("case_file", [c for c in golden_cases() if json.loads(c.read_text())["kind"] == "load"],
                         ids=lambda path: path.stem)
def test_golden_case(case_file: Path) -> None:
    case = json.loads(case_file.read_text(encoding="utf-8"))
    limits = {"max_bytes": case["max_bytes"]} if "max_bytes" in case else {}
    error = load_error(base64.b64decode(case["input_b64"]), **limits)
    assert (error.code, error.problem.path) == (case["code"], case["path"])


def test_every_jsonsafe_code_has_a_golden_case() -> None:
    covered = {json.loads(path.read_text(encoding="utf-8"))["code"] for path in golden_cases()}
    assert set(codes.JSONSAFE_LOAD) | set(codes.JSONSAFE_CHECK) <= covered
