"""Pure state operations: JSON-pointer reads, staged writes, applying and inverting ops.

The application state is one JSON object whose top-level keys are the host's state domains
(``{"doc": {...}, "sync": {...}, "local": {...}}`` for the board). Handlers never mutate it:
they read through a :class:`StateView` and stage writes with :meth:`StateView.set`; the bus
checks the staged paths against the command's declared ``writes`` and then applies them as
field-level ops. Applying copies only the containers along each written path (copy-on-write),
so an unchanged subtree is shared between the old and the new state.

No I/O, no clock: this module is part of the pure core.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Literal

JsonObject = dict[str, Any]


class _Missing:
    __slots__ = ()

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


@dataclass(frozen=True, slots=True)
class Op:
    """One field-level write. ``value`` is ignored for ``remove``."""

    op: Literal["add", "remove", "replace"]
    path: str
    value: Any = None

    def to_dict(self) -> JsonObject:
        if self.op == "remove":
            return {"op": "remove", "path": self.path}
        return {"op": self.op, "path": self.path, "value": self.value}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Op:
        return cls(op=data["op"], path=data["path"], value=data.get("value"))


@lru_cache(maxsize=4096)
def _tokens(path: str) -> tuple[str, ...]:
    if path == "":
        return ()
    if not path.startswith("/"):
        raise ValueError(f"not a JSON pointer: {path!r}")
    return tuple(t.replace("~1", "/").replace("~0", "~") for t in path[1:].split("/"))


def split_pointer(path: str) -> list[str]:
    """RFC 6901 pointer → unescaped tokens. ``""`` is the root. (Cached: paths repeat.)"""
    return list(_tokens(path))


def escape_token(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def get_path(state: Any, path: str) -> Any:
    """Value at ``path`` or MISSING."""
    node = state
    for token in _tokens(path):
        if isinstance(node, dict):
            if token not in node:
                return MISSING
            node = node[token]
        elif isinstance(node, list):
            if not token.isdigit() or int(token) >= len(node):
                return MISSING
            node = node[int(token)]
        else:
            return MISSING
    return node


def _set_in(node: Any, tokens: list[str], value: Any) -> Any:
    """Return a copy of ``node`` with ``value`` at ``tokens`` (MISSING removes)."""
    if not tokens:
        return value
    head, rest = tokens[0], tokens[1:]
    if isinstance(node, list):
        copy_list = list(node)
        index = int(head)
        if rest:
            copy_list[index] = _set_in(copy_list[index], rest, value)
        elif value is MISSING:
            del copy_list[index]
        else:
            copy_list[index] = value
        return copy_list
    copy = dict(node) if isinstance(node, dict) else {}
    if rest:
        copy[head] = _set_in(copy.get(head, {}), rest, value)
    elif value is MISSING:
        copy.pop(head, None)
    else:
        copy[head] = value
    return copy


def apply_ops(state: JsonObject, ops: Iterable[Op]) -> JsonObject:
    """New state with ``ops`` applied in order; ``state`` is not modified."""
    out: Any = state
    for op in ops:
        out = _set_in(out, split_pointer(op.path), MISSING if op.op == "remove" else op.value)
    return out  # type: ignore[no-any-return]


def inverse_ops(state: JsonObject, ops: Iterable[Op]) -> list[Op]:
    """Ops that undo ``ops`` when applied to the state they produced (reverse order)."""
    inverse: list[Op] = []
    current: Any = state
    for op in ops:
        before = get_path(current, op.path)
        if before is MISSING:
            inverse.append(Op("remove", op.path))
        else:
            inverse.append(Op("replace", op.path, before))
        current = apply_ops(current, [op])
    inverse.reverse()
    return inverse


def path_within(path: str, declared: Iterable[str]) -> bool:
    """True when ``path`` equals a declared path or lies beneath one."""
    if isinstance(declared, tuple):
        return _within(path, declared)
    return any(path == d or path.startswith(d + "/") for d in declared)


@lru_cache(maxsize=8192)
def _within(path: str, declared: tuple[str, ...]) -> bool:
    return any(path == d or path.startswith(d + "/") for d in declared)


def domains_of(ops: Iterable[Op]) -> set[str]:
    return {split_pointer(op.path)[0] for op in ops if op.path}


class StateView:
    """What a handler sees: reads of the state plus its own staged writes.

    Values returned by :meth:`get` are shared with the state: treat them as immutable and
    build new values instead of mutating (the effect check compares staged paths only).
    """

    __slots__ = ("_staged", "state")

    def __init__(self, state: JsonObject) -> None:
        self.state = state
        self._staged: dict[str, Any] = {}

    def get(self, path: str, default: Any = None) -> Any:
        if path in self._staged:
            value = self._staged[path]
        else:
            value = get_path(self.state if not self._staged else self.preview(), path)
        return default if value is MISSING else value

    def set(self, path: str, value: Any) -> None:
        self._staged[path] = value

    def delete(self, path: str) -> None:
        self._staged[path] = MISSING

    def ops(self) -> list[Op]:
        """Staged writes as ops, dropping writes that leave the value unchanged."""
        out: list[Op] = []
        for path, value in self._staged.items():
            before = get_path(self.state, path)
            if value is MISSING:
                if before is not MISSING:
                    out.append(Op("remove", path))
            elif before is MISSING:
                out.append(Op("add", path, value))
            elif before != value or type(before) is not type(value):
                out.append(Op("replace", path, value))
        return out

    @property
    def staged_paths(self) -> list[str]:
        return list(self._staged)

    def preview(self) -> JsonObject:
        return apply_ops(
            self.state,
            [Op("remove", p) if v is MISSING else Op("replace", p, v) for p, v in self._staged.items()],
        )
