"""A handler's staged writes as ops and their inverse, in one walk.

:meth:`StateView.ops <modgate.state.StateView.ops>` records staged writes as deltas (unchanged
writes dropped, changed containers diffed key by key) and :func:`~modgate.state.inverse_ops`
undoes them. The bus needs both on every dispatch: the walk that finds each op already holds the
value it replaces and whether its parent is an array, so it writes the inverse beside the op
instead of looking every path up again. When the ops are not independent (two indexes of one
array, a path beneath another) the inverse is left to :func:`~modgate.state.inverse_ops`, which
replays them in order. Either way the result equals ``(view.ops(), inverse_ops(state, ops))``.

No I/O, no clock: this module is part of the pure core.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from modgate.state import (
    MISSING,
    Op,
    _in_array,
    _inverse_of,
    _tokens,
    apply_ops,
    escape_token,
    get_path,
    independent_paths,
    inverse_ops,
)

_MAX_DELTA_DEPTH = 32

# Op is a frozen dataclass: its generated __init__ sets each field through object.__setattr__.
# Setting the slots through their descriptors builds the same object in about half the time.
_new = object.__new__
_set_op: Callable[[Op, str], None] = vars(Op)["op"].__set__
_set_path: Callable[[Op, str], None] = vars(Op)["path"].__set__
_set_value: Callable[[Op, Any], None] = vars(Op)["value"].__set__


def make_op(kind: str, path: str, value: Any = None) -> Op:
    """``Op(kind, path, value)``, built faster (the hot path makes two per changed field)."""
    op = _new(Op)
    _set_op(op, kind)
    _set_path(op, path)
    _set_value(op, value)
    return op


def staged_changes(state: Any, staged: Mapping[str, Any]) -> tuple[list[Op], list[Op]]:
    """(ops, inverse) of the writes ``staged`` on ``state`` (path -> value, MISSING for a removal):
    equal to ``StateView.ops()`` and ``inverse_ops(state, ops)``."""
    ops: list[Op] = []
    undo: list[Op] = []  # undo[i] undoes ops[i] seen against ``state``; reversed at the end
    for path, value in staged.items():
        before = get_path(state, path)
        if value is MISSING:
            if before is not MISSING:
                ops.append(make_op("remove", path))
                undo.append(make_op("add" if _in_array(state, path) else "replace", path, before))
        elif before is MISSING:
            op = make_op("add", path, value)
            ops.append(op)
            # An append ("-") is undone by removing the element at the index it got.
            undo.append(make_op("remove", path) if not path.endswith("/-") else _inverse_of(state, op))
        elif type(before) is dict and type(value) is dict:  # the usual write: an object rebuilt
            if before != value:
                _dict_delta(path, before, value, 0, ops, undo)
        elif not (before is value or (type(before) is type(value) and before == value)):
            _delta(path, before, value, 0, ops, undo)
    if len(ops) > 1 and not independent_paths([op.path for op in ops]):
        return ops, inverse_ops(state, ops)  # overlapping ops: each must see its predecessors
    undo.reverse()
    return ops, undo


def delta_ops(path: str, before: Any, after: Any, depth: int = 0) -> list[Op]:
    """Ops turning ``before`` into ``after`` at ``path``: key by key in objects; in arrays the
    changed middle between a common prefix and suffix (a whole replace when most changed)."""
    ops: list[Op] = []
    if not (before is after or (type(before) is type(after) and before == after)):
        _delta(path, before, after, depth, ops, [])
    return ops


def _delta(path: str, before: Any, after: Any, depth: int, ops: list[Op], undo: list[Op]) -> None:
    """Append the ops (and their inverses) turning ``before`` into ``after``, which differ."""
    if depth < _MAX_DELTA_DEPTH:
        if isinstance(before, dict):
            if isinstance(after, dict):
                _dict_delta(path, before, after, depth, ops, undo)
                return
        elif isinstance(before, list) and isinstance(after, list) and _array_delta(path, before, after, depth,
                                                                                   ops, undo):
            return
    ops.append(make_op("replace", path, after))
    undo.append(make_op("replace", path, before))


def _child(path: str, key: Any) -> str:
    if type(key) is str and "~" not in key and "/" not in key:
        return f"{path}/{key}"
    return f"{path}/{escape_token(key)}"


def _dict_delta(path: str, before: dict[str, Any], after: dict[str, Any], depth: int, ops: list[Op],
                undo: list[Op]) -> None:
    start, kept = len(ops), 0
    for key, value in after.items():
        old = before.get(key, MISSING)
        if old is MISSING:
            child = _child(path, key)
            ops.append(make_op("add", child, value))
            undo.append(make_op("remove", child))
            continue
        kept += 1
        if old is value or (type(old) is type(value) and old == value):
            continue
        if isinstance(old, (dict, list)):
            _delta(_child(path, key), old, value, depth + 1, ops, undo)
        else:  # a scalar changed: what _delta would append, without the call
            child = f"{path}/{key}" if type(key) is str and "~" not in key and "/" not in key else _child(path, key)
            ops.append(make_op("replace", child, value))
            undo.append(make_op("replace", child, old))
    if kept < len(before):  # removed keys come first, in the order of the key-set difference
        gone = [(_child(path, key), before[key]) for key in before.keys() - after.keys()]
        ops[start:start] = [make_op("remove", child) for child, _ in gone]
        undo[start:start] = [make_op("replace", child, value) for child, value in gone]


def _array_delta(path: str, before: list[Any], after: list[Any], depth: int, ops: list[Op],
                 undo: list[Op]) -> bool:
    """The changed middle between a common prefix and suffix; False when most of it changed
    (one replace is smaller and simpler)."""
    head = 0
    while head < min(len(before), len(after)) and _same(before[head], after[head]):
        head += 1
    tail = 0
    while (tail < min(len(before), len(after)) - head
           and _same(before[len(before) - 1 - tail], after[len(after) - 1 - tail])):
        tail += 1
    old, new = before[head:len(before) - tail], after[head:len(after) - tail]
    if len(old) + len(new) > max(4, len(after) // 2):
        return False
    if len(old) == len(new):  # same length: element-wise (in place)
        for i, (a, b) in enumerate(zip(old, new, strict=True)):
            if not _same(a, b):
                _delta(f"{path}/{head + i}", a, b, depth + 1, ops, undo)
        return True
    at = f"{path}/{head}"
    for _ in old:
        ops.append(make_op("remove", at))
        undo.append(make_op("add", at, before[head]))  # against the state before: see staged_changes
    for i, value in enumerate(new):
        ops.append(make_op("add", f"{path}/{head + i}", value))
        undo.append(make_op("remove", f"{path}/{head + i}"))
    return True


def _same(a: Any, b: Any) -> bool:
    return a is b or (type(a) is type(b) and a == b)


def misplaced_write(state: Any, ops: list[Op]) -> str | None:
    """The path of the first op that cannot be applied as written (so neither undone), else None:
    an add beneath a scalar (it would replace the scalar by a new object), into an array at a
    token that is not "-" or an index up to its length, or beneath an array at a token that is
    not one of its indexes. Adds beneath a missing key make the missing objects, as before."""
    for op in ops:  # (a loop: any() over a generator costs more than the usual short walk)
        if op.op == "add":
            break
    else:
        return None  # replaces and removes found their value: every container on the way exists
    if len(ops) == 1 or independent_paths([op.path for op in ops]):
        return next((op.path for op in ops if op.op == "add" and not _fits(state, op.path)), None)
    current = state  # each op sees its predecessors
    for op in ops:
        if op.op == "add" and not _fits(current, op.path):
            return op.path
        current = apply_ops(current, [op])
    return None


def _fits(state: Any, path: str) -> bool:
    """True when an add at ``path`` goes where the pointer says (see :func:`misplaced_write`)."""
    tokens = _tokens(path)
    node = state
    for depth, token in enumerate(tokens):
        last = depth == len(tokens) - 1
        if type(node) is dict or isinstance(node, dict):
            if token not in node:
                return True  # a new key (with new objects beneath it, if any)
            node = node[token]
        elif isinstance(node, list):
            index = _index(token)
            if last:
                return token == "-" or index == len(node) or (index is not None and index < len(node))
            if index is None or index >= len(node):
                return False
            node = node[index]
        else:
            return False  # beneath a scalar
    return True


def _index(token: str) -> int | None:
    """The array index ``token`` names as :func:`~modgate.state.get_path` reads it, else None."""
    return int(token) if token.isascii() and token.isdigit() else None
