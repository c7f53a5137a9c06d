"""The JSON-safety check (companion specs B1) and the JavaScript counting it relies on."""

from __future__ import annotations

import json
import math
from collections import OrderedDict
from pathlib import Path
from typing import Any

import pytest

from modgate.payloadlimits import check_json_safe, js_number, js_stringify_length

CASES = Path(__file__).parent / "cases" / "jsonsafe"
ROOT = "manifest.ui[0].action.payload"


# --- JS number formatting and stringify length --------------------------------------------------


@pytest.mark.parametrize(
    ("number", "text"),
    [
        (1.0, "1"), (1e21, "1e+21"), (1e-7, "1e-7"), (-0.0, "0"), (0.1, "0.1"), (123.456, "123.456"),
        (1e20, "100000000000000000000"), (1.5e-6, "0.0000015"), (-2.5e-7, "-2.5e-7"), (5e-324, "5e-324"),
        (2**53 + 1, "9007199254740992"), (10**21, "1e+21"), (42, "42"), (-7, "-7"),
    ],
)
def test_js_number(number: float, text: str) -> None:
    assert js_number(number) == text


def test_js_number_refuses_non_finite() -> None:
    with pytest.raises(ValueError):
        js_number(math.nan)
    with pytest.raises(OverflowError):
        js_number(10**400)


@pytest.mark.parametrize(
    ("value", "length"),
    [
        ({}, 2), ([], 2), (None, 4), (True, 4), (False, 5), ("", 2),
        ({"a": [1, "x"]}, len('{"a":[1,"x"]}')),
        ("\U0001f600", 4),  # an astral character is two UTF-16 units
        ("\ud83d\ude00", 4),  # a Python str holding a pair: JavaScript sees one character
        ("\ud800", 8),  # lone surrogate: escaped as \ud800
        ('"\\\n\t\x01', 2 + 2 + 2 + 2 + 2 + 6),
        ("é\u2028", 4),
        ((1, 2.5), 7),
        ([math.inf], 6),
    ],
)
def test_js_stringify_length(value: Any, length: int) -> None:
    assert js_stringify_length(value) == length


def test_js_stringify_length_matches_json_dumps_for_bmp() -> None:
    value = {"k": ["a\x02", 1, -2.5, None, {"é": "\x7f"}], "z": 0.1}
    expected = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    assert js_stringify_length(value) == len(expected)


def test_js_stringify_length_errors() -> None:
    cyclic: list[Any] = []
    cyclic.append(cyclic)
    with pytest.raises(ValueError):
        js_stringify_length(cyclic)
    with pytest.raises(TypeError):
        js_stringify_length({"a": {1, 2}})
    shared = [1]
    assert js_stringify_length([shared, shared]) == len("[[1],[1]]")  # shared, not cyclic


# --- check_json_safe ----------------------------------------------------------------------------


def nest(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value]
    return value


def check(value: Any) -> tuple[str, str] | None:
    problem = check_json_safe(value, ROOT)
    return None if problem is None else (problem.code, problem.path)


def test_check_accepts_plain_json() -> None:
    assert check({"items": [1, 2.5, "x", None, True, {"a": []}], "b": {}}) is None
    assert check(None) is None


def test_check_depth_boundary() -> None:
    assert check(nest(8)) is None
    assert check(nest(9)) == ("json-depth-exceeded", ROOT + "[0]" * 9)


def test_check_node_boundary() -> None:
    assert check([[] for _ in range(511)]) is None
    assert check([[] for _ in range(512)]) == ("json-node-limit-exceeded", ROOT + "[511]")


def test_check_size_boundary() -> None:
    assert check("x" * 16382) is None
    assert check("x" * 16383) == ("json-size-exceeded", ROOT)
    assert check(["\U0001f600" * 8190]) is None  # 4 + 2 * 8190 = 16384 UTF-16 units
    assert check(["\U0001f600" * 8190 + "x"]) == ("json-size-exceeded", ROOT)


def test_check_size_reports_length() -> None:
    problem = check_json_safe({"s": "x" * 20_000}, "p")
    assert problem is not None
    assert problem.detail["length"] == js_stringify_length({"s": "x" * 20_000})


@pytest.mark.parametrize("key", ["html", "innerHTML", "__html", "dangerouslySetInnerHTML"])
def test_check_forbidden_keys(key: str) -> None:
    assert check({"a": [{key: 1}]}) == ("invalid-json-key", f"{ROOT}.a[0].{key}")


def test_check_keys_sorted_like_javascript() -> None:
    # UTF-16 order puts the astral key before U+E000; the first problem is found there
    value = {"\ue000": {1, 2}, "\U0001f600": math.nan}
    assert check(value) == ("invalid-json-number", ROOT + ".\U0001f600")
    assert check({"b": math.inf, "a": object()}) == ("invalid-json-value", ROOT + ".a")


def test_check_value_kinds() -> None:
    assert check({"f": len}) == ("invalid-json-value", ROOT + ".f")
    assert check({"b": b"x"}) == ("invalid-json-value", ROOT + ".b")
    assert check([math.nan]) == ("invalid-json-number", ROOT + "[0]")
    assert check([-math.inf]) == ("invalid-json-number", ROOT + "[0]")
    assert check([10**400]) == ("invalid-json-number", ROOT + "[0]")
    assert check([True, 2**60]) is None
    assert check({1: "a"}) == ("invalid-json-key", ROOT + ".1")


def test_check_object_kinds() -> None:
    class Sub(dict[str, Any]):
        pass

    assert check({"t": (1,)}) == ("invalid-json-object", ROOT + ".t")
    assert check({"o": OrderedDict()}) == ("invalid-json-object", ROOT + ".o")
    assert check({"s": Sub()}) == ("invalid-json-object", ROOT + ".s")
    assert check(Sub()) == ("invalid-json-object", ROOT)


def test_check_cycle_but_shared_is_fine() -> None:
    loop: dict[str, Any] = {}
    loop["x"] = [loop]
    assert check(loop) == ("invalid-json-cycle", ROOT + ".x[0]")
    shared = {"a": 1}
    assert check([shared, shared]) is None


def test_check_first_problem_in_order() -> None:
    # depth is checked before the value kind, the node count before plainness
    assert check([[[[[[[[[math.nan]]]]]]]]]) == ("json-depth-exceeded", ROOT + "[0]" * 9)
    assert check({"a": {"html": 1}, "b": math.nan}) == ("invalid-json-key", ROOT + ".a.html")


# --- golden cases (the "check" ones; tests/test_strictjson.py runs the "load" ones) -----------------


def make(spec: dict[str, Any]) -> Any:
    kind = spec["$make"]
    cycle: dict[str, Any] = {}
    cycle["self"] = cycle
    builders: dict[str, Any] = {
        "nest": lambda: nest(spec.get("depth", 0)),
        "nodes": lambda: [[] for _ in range(spec.get("count", 1) - 1)],
        "string": lambda: "x" * spec.get("length", 0),
        "int-key": lambda: {1: "a"},
        "function": lambda: {"fn": lambda: None},
        "set": lambda: {"tags": {"a"}},
        "nan": lambda: {"x": math.nan},
        "tuple": lambda: {"point": (1, 2)},
        "ordereddict": lambda: {"opts": OrderedDict()},
        "cycle": lambda: cycle,
    }
    return builders[kind]()


def check_cases() -> list[Path]:
    return [c for c in sorted(CASES.glob("*.json")) if json.loads(c.read_text())["kind"] != "load"]


@pytest.mark.parametrize("case_file", check_cases(), ids=lambda path: path.stem)
def test_golden_case(case_file: Path) -> None:
    case = json.loads(case_file.read_text(encoding="utf-8"))
    value = case["input"]
    if isinstance(value, dict) and "$make" in value:
        value = make(value)
    problem = check_json_safe(value, case["root"])
    assert problem is not None
    assert (problem.code, problem.path) == (case["code"], case["path"])
