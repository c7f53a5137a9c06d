"""Strict JSON: loading, canonical form and hashing.

Two jobs, all pure (no I/O, no clock):

* :func:`loads` — strict loading. Duplicate keys, NaN/Infinity, lone surrogates, invalid UTF-8,
  a BOM, excessive nesting and oversized input are rejected with a :class:`JsonLoadError` whose
  :class:`Problem` carries a code from ``codes.JSONSAFE_LOAD``, a path (``$``, ``$.a[2].b``) and
  ``detail.offset``/``line``/``column`` where known.
* :func:`canonical_bytes` / :func:`sha256_hex` / :func:`sha256_prefixed` — RFC 8785 (JCS).
The source app's JSON-safety check for payloads lives in :mod:`modgate.payloadlimits`.

Speed: the happy path of :func:`loads` is orjson plus two cheap screens computed in C (see
:func:`_screen`); only rejected or suspicious input goes through the exact, slower :class:`_Scanner`, which
also finds the precise error position and JSON path.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Callable
from typing import Any, Final, NoReturn

import orjson
import rfc8785

from modgate.errors import JsonLoadError, Problem

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_DEPTH",
    "canonical_bytes",
    "check_depth",
    "dumps",
    "dumps_pretty",
    "loads",
    "loads_depth_deferred",
    "sha256_hex",
    "sha256_prefixed",
]

DEFAULT_MAX_BYTES: Final = 16 * 1024 * 1024
DEFAULT_MAX_DEPTH: Final = 128

# ============================================================================================
# Strict loading
# ============================================================================================


def loads(data: bytes | str, *, max_bytes: int = DEFAULT_MAX_BYTES, max_depth: int = DEFAULT_MAX_DEPTH) -> Any:
    """Parse strict JSON text; raise :class:`JsonLoadError` for anything that is not.

    ``max_depth`` counts containers: ``[]`` has depth 1, ``[[1]]`` depth 2.
    """
    raw = _sized_bytes(data, max_bytes)
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        # orjson already refuses NaN, bad UTF-8, surrogates and a BOM, but its messages carry no
        # JSON path and use its own depth limit; the exact scanner decides and locates the error.
        return _Scanner(raw, max_depth).run()
    if _screen(raw, value, max_depth):
        return _Scanner(raw, max_depth).run()
    return value


def loads_depth_deferred(data: bytes | str, *, max_bytes: int = DEFAULT_MAX_BYTES) -> Any:
    """:func:`loads` without its nesting screen, for a caller whose next step bounds the depth.

    Everything :func:`loads` refuses is refused the same way, except nesting deeper than
    ``DEFAULT_MAX_DEPTH`` that orjson parsed: the caller must pass the value to :func:`check_depth`
    unless a check that accepts nothing that deep (a schema with closed objects) accepted it. The
    duplicate-key screen counts colons in the compact dump: the indented one only serves the depth.
    """
    raw = _sized_bytes(data, max_bytes)
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return _Scanner(raw, DEFAULT_MAX_DEPTH).run()
    compact = _dump_or_empty(value, 0)
    if not compact or _escaped_colon(raw) or raw.count(b":") != compact.count(b":"):
        return _Scanner(raw, DEFAULT_MAX_DEPTH).run()  # too deep to dump, or a dropped duplicate key
    return value


def check_depth(data: bytes | str, value: Any) -> None:
    """Raise what :func:`loads` raises for ``value`` (from :func:`loads_depth_deferred`) nested deeper
    than ``DEFAULT_MAX_DEPTH``; nothing when it is not."""
    pretty = _dump_or_empty(value, orjson.OPT_INDENT_2)
    if not pretty or b"\n" + b" " * (2 * DEFAULT_MAX_DEPTH) in pretty:
        _Scanner(_as_bytes(data), DEFAULT_MAX_DEPTH).run()


def _escaped_colon(raw: bytes) -> bool:
    """Whether ``raw`` may spell a colon as an escape (``\\u003a``): a text without a backslash
    cannot (a one-byte search, some thirty times cheaper than the five-byte one it spares)."""
    return b"\\" in raw and b"\\u003" in raw


def _dump_or_empty(value: Any, option: int) -> bytes:
    try:
        return orjson.dumps(value, option=option)
    except orjson.JSONEncodeError:  # orjson parses 1024 levels but serialises only 255
        return b""


def _sized_bytes(data: bytes | str, max_bytes: int) -> bytes:
    raw = _as_bytes(data)
    if len(raw) > max_bytes:
        raise _error("json-too-large", "$", f"The input is {len(raw)} bytes; the limit is {max_bytes}.",
                     size=len(raw), limit=max_bytes)
    return raw


def _as_bytes(data: bytes | str) -> bytes:
    if isinstance(data, str):
        try:
            return data.encode("utf-8")
        except UnicodeEncodeError as exc:  # a Python str can hold lone surrogates; JSON text cannot
            raise _error("json-lone-surrogate", "$", "The text contains a lone UTF-16 surrogate.",
                         **_position_in_text(data, exc.start, data[: exc.start])) from None
    if isinstance(data, bytes | bytearray | memoryview):
        return bytes(data)
    raise TypeError(f"loads() needs bytes or str, not {type(data).__name__}")


def _screen(raw: bytes, value: Any, max_depth: int) -> bool:
    """True when orjson's result might hide a duplicate key or too deep nesting.

    orjson keeps the last of duplicate keys silently. Every key in the text is followed by exactly
    one ``:`` outside strings, and re-serialising the result writes each surviving key with one
    ``:`` and every string's literal colons again; so the colon counts match exactly when no key
    was dropped — unless the input spelled a colon as an escape (``\\u003a``), which we route to
    the exact scanner. The pretty dump indents an element of nesting level L by 2L spaces, so a
    container deeper than ``max_depth`` implies a line indented by at least ``2 * max_depth``. A
    value orjson cannot serialise again (more than 255 levels) goes to the scanner too.
    """
    if max_depth < 2 or _escaped_colon(raw):
        return True
    pretty = _dump_or_empty(value, orjson.OPT_INDENT_2)
    if not pretty or raw.count(b":") != pretty.count(b":"):
        return True
    return b"\n" + b" " * (2 * max_depth) in pretty


def _error(code: str, path: str, message: str, **detail: Any) -> JsonLoadError:
    return JsonLoadError(Problem(code=code, path=path, message=message, detail=detail))


def _position_in_text(text: str, index: int, prefix: str) -> dict[str, int]:
    """offset (bytes), line and column (1-based, in code points) of ``text[index]``."""
    line_start = prefix.rfind("\n") + 1
    offset = len(prefix.encode("utf-8", "surrogatepass"))
    return {"offset": offset, "line": prefix.count("\n") + 1, "column": index - line_start + 1}


_SIMPLE_KEY: Final = re.compile(r"[A-Za-z_$][A-Za-z0-9_$-]*\Z")


def _member_path(parent: str, key: str) -> str:
    """``$.name`` for identifier-like keys, ``$["odd key"]`` otherwise (JSONPath style)."""
    if _SIMPLE_KEY.match(key):
        return f"{parent}.{key}"
    return f"{parent}[{json.dumps(key, ensure_ascii=False)}]"


_WS: Final = re.compile(r"[ \t\n\r]*")
_NUMBER: Final = re.compile(r"-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?")
_ESCAPE: Final = re.compile(r"\\(u[0-9a-fA-F]{4}|.)", re.DOTALL)
_NON_FINITE: Final = ("NaN", "Infinity", "-Infinity")
_LITERALS: Final[dict[str, Any]] = {"true": True, "false": False, "null": None}
_INT_RANGE: Final = range(-(2**63), 2**64)  # what orjson returns as int; wider becomes float


class _Frame:
    """One open container of the scanner's explicit stack (no recursion, so no RecursionError)."""

    __slots__ = ("container", "key", "path")

    def __init__(self, container: dict[str, Any] | list[Any], path: str) -> None:
        self.container = container
        self.path = path
        self.key: str | None = None


class _Scanner:
    """Exact strict-JSON parser: slow, but knows the path and position of every error."""

    def __init__(self, raw: bytes, max_depth: int) -> None:
        self.raw = raw
        self.max_depth = max_depth
        self.text = self._decode(raw)
        self.pos = 0
        self.stack: list[_Frame] = []

    # --- driver ---------------------------------------------------------------------------
    def run(self) -> Any:
        if self.text.startswith("\ufeff"):
            self.fail("json-syntax", "$", "A byte order mark (BOM) is not allowed before JSON text.")
        value = self.value("$")
        while self.stack:
            value = self.after_value(value)
        self.skip_ws()
        if self.pos != len(self.text):
            self.fail("json-syntax", "$", "Unexpected text after the JSON value.")
        return value

    def after_value(self, value: Any) -> Any:
        """Store a finished value in the open container and parse the next one, or close it."""
        frame = self.stack[-1]
        if isinstance(frame.container, list):
            frame.container.append(value)
            return self.next_item(frame, frame.container, "]")
        assert frame.key is not None
        frame.container[frame.key] = value
        return self.next_item(frame, frame.container, "}")

    def next_item(self, frame: _Frame, container: dict[str, Any] | list[Any], close: str) -> Any:
        self.skip_ws()
        char = self.peek()
        if char == close:
            self.pos += 1
            self.stack.pop()
            return container
        if char != ",":
            self.fail("json-syntax", frame.path, f"Expected ',' or '{close}'.")
        self.pos += 1
        path = self.key(frame) if close == "}" else f"{frame.path}[{len(container)}]"
        return self.value(path)

    # --- values -------------------------------------------------------------------------------
    def value(self, path: str) -> Any:
        """Parse one value; for a non-empty container, open it and parse its first child instead."""
        while True:
            self.skip_ws()
            char = self.peek()
            if char == '"':
                return self.string(path)
            if char not in ("{", "["):
                return self.scalar(path)
            child_path = self.open(char, path)
            if child_path is None:
                return {} if char == "{" else []
            path = child_path

    def open(self, char: str, path: str) -> str | None:
        """Push a container; return its first child's path, or None when it is empty."""
        if len(self.stack) >= self.max_depth:
            self.fail("json-too-deep", path, f"Nesting is deeper than the limit of {self.max_depth}.",
                      limit=self.max_depth)
        self.pos += 1
        self.skip_ws()
        if self.peek() == ("}" if char == "{" else "]"):
            self.pos += 1
            return None
        frame = _Frame({} if char == "{" else [], path)
        self.stack.append(frame)
        return self.key(frame) if char == "{" else f"{path}[0]"

    def key(self, frame: _Frame) -> str:
        """Parse ``"key":`` of the object on top of the stack; return the member's path."""
        self.skip_ws()
        if self.peek() != '"':
            self.fail("json-syntax", frame.path, "Expected a string key.")
        key_start = self.pos
        key = self.string(frame.path)
        path = _member_path(frame.path, key)
        assert isinstance(frame.container, dict)
        if key in frame.container:
            self.pos = key_start
            quoted = json.dumps(key, ensure_ascii=False)
            self.fail("json-duplicate-key", path, f"Duplicate key {quoted} in the object at {frame.path}.",
                      key=key, objectPath=frame.path)
        self.skip_ws()
        if self.peek() != ":":
            self.fail("json-syntax", path, "Expected ':' after the key.")
        self.pos += 1
        frame.key = key
        return path

    def string(self, path: str) -> str:
        start = self.pos
        try:
            text, end = _scanstring(self.text, start + 1, True)
        except json.JSONDecodeError as exc:
            self.pos = exc.pos
            self.fail("json-syntax", path, f"Invalid string: {exc.msg}.")
        if _SURROGATE.search(text):
            self.pos = _lone_surrogate_index(self.text, start, end)
            self.fail("json-lone-surrogate", path, "A string contains an unpaired surrogate escape.")
        self.pos = end
        return text

    def scalar(self, path: str) -> Any:
        for word, value in _LITERALS.items():
            if self.text.startswith(word, self.pos):
                self.pos += len(word)
                return value
        for word in _NON_FINITE:
            if self.text.startswith(word, self.pos):
                self.fail("json-non-finite", path, f"{word} is not a JSON number.")
        match = _NUMBER.match(self.text, self.pos)
        if match is None:
            message = "Unexpected end of input." if self.pos >= len(self.text) else "Expected a JSON value."
            self.fail("json-syntax", path, message)
        return self.number(match, path)

    def number(self, match: re.Match[str], path: str) -> int | float:
        token = match.group()
        result: int | float
        if match.group(1) or match.group(2) or len(token) > 21:
            result = float(token)  # long integers become floats, exactly as orjson does
        else:
            result = int(token)
            if result not in _INT_RANGE:
                result = float(token)
        if math.isinf(result):
            self.fail("json-non-finite", path, f"The number {token[:40]} is too large for a double.")
        self.pos = match.end()
        return result

    # --- helpers ------------------------------------------------------------------------------
    def peek(self) -> str:
        return self.text[self.pos : self.pos + 1]

    def skip_ws(self) -> None:
        match = _WS.match(self.text, self.pos)
        assert match is not None  # the pattern matches the empty string
        self.pos = match.end()

    def fail(self, code: str, path: str, message: str, **detail: Any) -> NoReturn:
        where = _position_in_text(self.text, self.pos, self.text[: self.pos])
        raise _error(code, path, f"{message} (line {where['line']}, column {where['column']})",
                     **where, **detail)

    @staticmethod
    def _decode(raw: bytes) -> str:
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            prefix = raw[: exc.start].decode("utf-8")
            where = _position_in_text(prefix, len(prefix), prefix)
            following = raw[exc.start + 1] if exc.start + 1 < len(raw) else 0
            if raw[exc.start] == 0xED and 0xA0 <= following <= 0xBF:  # UTF-8-encoded surrogate
                raise _error("json-lone-surrogate", "$", "The bytes encode a UTF-16 surrogate.", **where) from None
            raise _error("json-invalid-utf8", "$", f"Invalid UTF-8 at byte {exc.start}.", **where) from None


_SURROGATE: Final = re.compile("[\ud800-\udfff]")
# The stdlib's C string scanner: strict about control characters, joins escaped surrogate pairs.
_scanstring: Callable[[str, int, bool], tuple[str, int]] = json.decoder.scanstring  # type: ignore[attr-defined]


def _lone_surrogate_index(text: str, start: int, end: int) -> int:
    """Index of the first ``\\uD8xx``-style escape in ``text[start:end]`` that is not paired."""
    pending = -1
    for match in _ESCAPE.finditer(text, start, end):
        esc = match.group(1)
        unit = int(esc[1:], 16) if len(esc) == 5 else -1
        if 0xDC00 <= unit <= 0xDFFF and pending < 0:
            return match.start()
        if pending >= 0 and not 0xDC00 <= unit <= 0xDFFF:
            return pending
        pending = match.start() if 0xD800 <= unit <= 0xDBFF else -1
    return pending if pending >= 0 else start


# ============================================================================================
# Serialisation and canonical form (RFC 8785)
# ============================================================================================


def dumps(value: Any) -> bytes:
    """Compact JSON bytes (orjson)."""
    return orjson.dumps(value)


def dumps_pretty(value: Any) -> str:
    """Human-facing JSON: 2-space indent, sorted keys, trailing newline (for CLI output)."""
    return orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE).decode()


def canonical_bytes(value: Any) -> bytes:
    """RFC 8785 canonical JSON; byte-identical to ``rfc8785.dumps`` (and raises where it raises)
    for JSON data: dict, list, str, int, float, bool, None.

    orjson with sorted keys already writes JCS for most values; :func:`_orjson_is_canonical`
    lists where it does not, and those values go to the (about 20× slower) reference.
    """
    if type(value) in (dict, list):
        try:
            data = orjson.dumps(value, option=_FAST_OPTIONS)
        except orjson.JSONEncodeError:  # an unsafe integer, a non-string key, a non-JSON type
            data = b""
        # ASCII only (so key order is JCS order) and no float token: orjson's bytes are JCS.
        if data and data.isascii() and _FLOAT_TOKEN.search(data) is None:
            return data
    if _orjson_is_canonical(value):
        try:
            return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
        except orjson.JSONEncodeError:  # e.g. lone surrogates, nesting over orjson's limit
            pass
    result: bytes = rfc8785.dumps(value)
    return result


def sha256_hex(value: Any) -> str:
    """Hex SHA-256 of the canonical bytes."""
    return hashlib.sha256(canonical_bytes(value)).hexdigest()


def sha256_prefixed(value: Any) -> str:
    """``"sha256:" + sha256_hex(value)``."""
    return "sha256:" + sha256_hex(value)


_SAFE_INT: Final = 2**53  # rfc8785 refuses integers outside ±(2**53 - 1)
_FAST_OPTIONS: Final = (orjson.OPT_SORT_KEYS | orjson.OPT_STRICT_INTEGER | orjson.OPT_PASSTHROUGH_DATETIME
                        | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_SUBCLASS)
# A number with a fraction or exponent, or a null, as a value: compact output puts one after '":'
# (an object member), '[' or ',' (an array element). orjson writes NaN and ±Infinity as null, so a
# null must take the checked path too. A match inside a string ("11:43:43.7" does not match) only
# costs the slow path; a float value can never be missed.
_FLOAT_TOKEN: Final = re.compile(rb'(?:":|[\[,])(?:-?[0-9]+[.eE]|null)')


def _float_is_canonical(number: float) -> bool:
    """Does orjson print this float as ECMAScript does?

    Both print the shortest round-trip digits. They differ on integral floats (``1.0`` vs ``1``),
    on 1e-6 <= |x| < 1e-5 (orjson switches to exponent form earlier) and on 1e16 <= |x| < 1e21
    (orjson keeps exponent form where ECMAScript writes all digits).
    """
    if not math.isfinite(number):
        return False  # rfc8785 refuses NaN and ±Infinity; orjson would write null
    size = abs(number)
    if size >= 1e21:
        return True
    if number.is_integer():
        return False
    return size < 1e-6 or 1e-5 <= size < 1e16


def _keys_are_canonical(keys: str) -> bool:
    # JCS sorts keys by UTF-16 code units, orjson by code points: they only disagree when a key
    # holds a character from U+E000 up (astral characters sort below it in UTF-16).
    return keys.isascii() or max(keys) < "\ue000"


def _orjson_is_canonical(value: Any) -> bool:
    stack = [value]
    pop, push = stack.pop, stack.extend
    while stack:
        item = pop()
        kind = type(item)
        if kind is str or item is None or kind is bool:
            continue
        if kind is dict:
            try:
                keys = "".join(item)  # one C call per object instead of one Python call per key
            except TypeError:  # a key that is not a string
                return False
            if keys and not _keys_are_canonical(keys):
                return False
            push(item.values())
        elif kind is list:
            push(item)
        elif kind is float:
            if not _float_is_canonical(item):
                return False
        elif kind is int:
            if not -_SAFE_INT < item < _SAFE_INT:
                return False
        else:
            return False
    return True
