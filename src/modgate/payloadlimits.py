"""The source app's JSON-safety check (companion specs B1), counting like JavaScript does.

:func:`check_json_safe` is applied to plugin-manifest ``payload`` and ``context`` values and to
binding payloads: depth, node count, forbidden keys, value and object kinds, cycles, and the
``JSON.stringify`` length in UTF-16 code units (:func:`js_stringify_length`, with numbers
formatted as ECMAScript does: :func:`js_number`). Pure: no I/O, no clock.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any, Final

from modgate.errors import Problem

__all__ = [
    "FORBIDDEN_KEYS",
    "MAX_DEPTH",
    "MAX_NODES",
    "MAX_STRINGIFY_LENGTH",
    "check_json_safe",
    "js_number",
    "js_stringify_length",
]

MAX_DEPTH: Final = 8
MAX_NODES: Final = 512
MAX_STRINGIFY_LENGTH: Final = 16_384
FORBIDDEN_KEYS: Final = frozenset({"html", "innerHTML", "__html", "dangerouslySetInnerHTML"})


def check_json_safe(value: Any, path: str) -> Problem | None:
    """The first JSON-safety problem of ``value`` in the source app's order, or None."""
    walk = _SafetyWalk()
    problem = walk.visit(value, path, 0)
    if problem is None and walk.length > MAX_STRINGIFY_LENGTH:
        problem = _problem("json-size-exceeded", path,
                           f"{path} serialises to {walk.length} UTF-16 code units; the limit is "
                           f"{MAX_STRINGIFY_LENGTH}.", length=walk.length, limit=MAX_STRINGIFY_LENGTH)
    return problem


def _problem(code: str, path: str, message: str, **detail: Any) -> Problem:
    return Problem(code=code, path=path, message=message, detail=detail)


class _SafetyWalk:
    """Depth-first walk in the source's order; also sums the JSON.stringify length on the way.

    Recursion is safe here: the depth rule stops every branch at depth 9.
    """

    def __init__(self) -> None:
        self.nodes = 0
        self.length = 0
        self.on_path: set[int] = set()

    def visit(self, value: Any, path: str, depth: int) -> Problem | None:
        if depth > MAX_DEPTH:
            return _problem("json-depth-exceeded", path, f"{path} is nested deeper than {MAX_DEPTH} levels.",
                            limit=MAX_DEPTH)
        scalar = _scalar_length(value)
        if scalar is not None:
            self.length += scalar
            return None
        if isinstance(value, int | float) and not isinstance(value, bool):
            return _problem("invalid-json-number", path, f"{path} is not a finite number.")
        if not isinstance(value, dict | list | tuple) and not _is_mapping(value):
            return _problem("invalid-json-value", path,
                            f"{path} is a {type(value).__name__}, which JSON cannot carry.")
        return self.container(value, path, depth)

    def container(self, value: Any, path: str, depth: int) -> Problem | None:
        if id(value) in self.on_path:
            return _problem("invalid-json-cycle", path, f"{path} contains itself.")
        self.nodes += 1
        if self.nodes > MAX_NODES:
            return _problem("json-node-limit-exceeded", path,
                            f"{path} is object/array number {self.nodes}; the limit is {MAX_NODES}.",
                            limit=MAX_NODES)
        self.on_path.add(id(value))
        if isinstance(value, list):
            problem = self.items(value, path, depth)
        elif type(value) is dict:
            problem = self.members(value, path, depth)
        else:
            return _problem("invalid-json-object", path,
                            f"{path} is a {type(value).__name__}, not a plain JSON object.")
        self.on_path.discard(id(value))
        return problem

    def items(self, value: list[Any], path: str, depth: int) -> Problem | None:
        self.length += 2 + max(len(value) - 1, 0)
        for index, item in enumerate(value):
            problem = self.visit(item, f"{path}[{index}]", depth + 1)
            if problem is not None:
                return problem
        return None

    def members(self, value: dict[Any, Any], path: str, depth: int) -> Problem | None:
        odd = sorted((key for key in value if not isinstance(key, str)), key=repr)
        if odd:
            return _problem("invalid-json-key", f"{path}.{odd[0]!r}",
                            f"{path} has a key of type {type(odd[0]).__name__}; JSON keys are strings.")
        self.length += 2 + max(len(value) - 1, 0)
        for key in sorted(value, key=_utf16_order):
            if key in FORBIDDEN_KEYS:
                return _problem("invalid-json-key", f"{path}.{key}", f"{path}.{key}: the key {key!r} is not allowed.")
            self.length += _string_length(key) + 1
            problem = self.visit(value[key], f"{path}.{key}", depth + 1)
            if problem is not None:
                return problem
        return None


def _is_mapping(value: Any) -> bool:
    return isinstance(value, Mapping)


def _utf16_order(key: str) -> bytes:
    # JavaScript's Array.prototype.sort compares UTF-16 code units.
    return key.encode("utf-16-be", "surrogatepass")


def _scalar_length(value: Any) -> int | None:
    """JSON.stringify length of a JSON-safe scalar; None for containers and unsafe values."""
    if value is None or value is True:
        return 4
    if value is False:
        return 5
    if isinstance(value, str):
        return _string_length(value)
    if isinstance(value, float | int):
        try:
            return len(js_number(value))
        except (ValueError, OverflowError):
            return None
    return None


def js_stringify_length(value: Any) -> int:
    """Length in UTF-16 code units of JavaScript's compact ``JSON.stringify(value)``.

    Dicts are objects, lists and tuples arrays; non-finite numbers count as ``null``, as in
    JavaScript. Raises TypeError for values JSON cannot carry and ValueError on a cycle.
    """
    total = 0
    stack: list[Any] = [value]
    on_path: list[int] = []
    while stack:
        item = stack.pop()
        if item is _EXIT:
            on_path.pop()
            continue
        total += _node_length(item, stack, on_path)
    return total


_EXIT: Final = object()


def _node_length(item: Any, stack: list[Any], on_path: list[int]) -> int:
    """Own length of one node; pushes its children (and an exit marker) onto ``stack``."""
    scalar = _scalar_length(item)
    if scalar is not None:
        return scalar
    if isinstance(item, float | int) and not isinstance(item, bool):
        return 4  # NaN, Infinity: JSON.stringify writes null
    if not isinstance(item, dict | list | tuple):
        raise TypeError(f"{type(item).__name__} is not JSON-serialisable")
    if id(item) in on_path:
        raise ValueError("cyclic structure")
    on_path.append(id(item))
    stack.append(_EXIT)
    own = 2 + max(len(item) - 1, 0)
    if isinstance(item, dict):
        own += sum(_string_length(str(key)) + 1 for key in item)
        stack.extend(item.values())
    else:
        stack.extend(item)
    return own


_NEEDS_ESCAPE: Final = re.compile('[\x00-\x1f"\\\\\ud800-\udfff]')
_SHORT_ESCAPES: Final = frozenset('"\\\b\f\n\r\t')
_SURROGATE_PAIR: Final = re.compile("[\ud800-\udbff][\udc00-\udfff]")


def _string_length(text: str) -> int:
    """UTF-16 length of the JSON.stringify form of a string, quotes included."""
    units = len(text) + 2
    if not text.isascii():
        units += sum(1 for char in text if char > "\uffff")  # astral: a surrogate pair in JS
    if _NEEDS_ESCAPE.search(text) is None:
        return units
    paired = 2 * len(_SURROGATE_PAIR.findall(text))  # a Python str may hold a JS pair as two units
    extra = 0
    for char in _NEEDS_ESCAPE.findall(text):
        extra += 1 if char in _SHORT_ESCAPES else 5
    return units + extra - 5 * paired


def js_number(number: float | int) -> str:
    """ECMAScript Number::toString of ``number`` (ints above 2**53 round like JavaScript's).

    Raises ValueError for NaN and infinities and OverflowError for ints beyond a double.
    """
    value = float(number)
    if not math.isfinite(value):
        raise ValueError(f"{number!r} is not finite")
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    digits, exponent = _shortest_digits(abs(value))
    return sign + _format_es(digits, exponent)


def _shortest_digits(value: float) -> tuple[str, int]:
    """Shortest round-trip digits d1..dk and n with value = 0.d1..dk × 10**n."""
    mantissa, _, exp = repr(value).partition("e")
    whole, _, fraction = mantissa.partition(".")
    all_digits = whole + fraction
    digits = all_digits.lstrip("0")
    leading_zeros = len(all_digits) - len(digits)
    return digits.rstrip("0"), len(whole) + int(exp or 0) - leading_zeros


def _format_es(digits: str, n: int) -> str:
    k = len(digits)
    if k <= n <= 21:
        return digits + "0" * (n - k)
    if 0 < n <= 21:
        return f"{digits[:n]}.{digits[n:]}"
    if -6 < n <= 0:
        return "0." + "0" * -n + digits
    exp = n - 1
    sign = "+" if exp >= 0 else "-"
    mantissa = digits if k == 1 else f"{digits[0]}.{digits[1:]}"
    return f"{mantissa}e{sign}{abs(exp)}"
