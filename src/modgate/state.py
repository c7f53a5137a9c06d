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


def _copy(node: Any) -> Any:
    if isinstance(node, dict):
        return dict(node)
    if isinstance(node, list):
        return list(node)
    return {}  # writing beneath a scalar or a missing key creates an object


def apply_ops(state: JsonObject, ops: Iterable[Op]) -> JsonObject:
    """New state with ``ops`` applied in order; ``state`` is not modified.

    Copy-on-write: each container along a written path is copied once per call (``owned``),
    so N ops cost O(N · depth), and unchanged subtrees stay shared with ``state``.
    """
    root: Any = _copy(state)
    owned = {id(root)}
    for op in ops:
        tokens = _tokens(op.path)
        value = MISSING if op.op == "remove" else op.value
        if not tokens:
            root = value
            owned = set()
            continue
        node = root
        for token in tokens[:-1]:
            child = node[int(token)] if isinstance(node, list) else node.get(token)
            if id(child) not in owned or not isinstance(child, (dict, list)):
                child = _copy(child)
                owned.add(id(child))
                if isinstance(node, list):
                    node[int(token)] = child
                else:
                    node[token] = child
            node = child
        _assign(node, tokens[-1], value)
    return root  # type: ignore[no-any-return]


def _assign(node: Any, token: str, value: Any) -> None:
    if isinstance(node, list):
        if value is MISSING:
            del node[int(token)]
        else:
            node[int(token)] = value
    elif value is MISSING:
        node.pop(token, None)
    else:
        node[token] = value


def inverse_ops(state: JsonObject, ops: Iterable[Op]) -> list[Op]:
    """Ops that undo ``ops`` when applied to the state they produced (reverse order)."""
    ops = list(ops)
    paths = [op.path for op in ops]
    path_set = set(paths)
    independent = len(path_set) == len(paths) and not any(ancestors(p) & path_set for p in paths)
    inverse: list[Op] = []
    current: Any = state
    for op in ops:
        # Independent ops see the original state; overlapping ones must see their predecessors.
        before = get_path(current, op.path)
        inverse.append(Op("remove", op.path) if before is MISSING else Op("replace", op.path, before))
        if not independent:
            current = apply_ops(current, [op])
    inverse.reverse()
    return inverse


def ancestors(path: str) -> set[str]:
    """The proper ancestor pointers of ``path`` (raw strings, so escaping is preserved)."""
    parts = path.split("/")
    return {"/".join(parts[:k]) for k in range(2, len(parts))}


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
        """The value at JSON pointer ``path`` (staged writes included), else ``default``."""
        if path in self._staged:
            value = self._staged[path]
        else:
            value = get_path(self.state if not self._staged else self.preview(), path)
        return default if value is MISSING else value

    def set(self, path: str, value: Any) -> None:
        """Stage writing ``value`` at ``path`` (it must lie within the command's ``writes``)."""
        self._staged[path] = value

    def delete(self, path: str) -> None:
        """Stage removing ``path``."""
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
        """The paths written so far, in order."""
        return list(self._staged)

    def preview(self) -> JsonObject:
        """A new state with the staged writes applied."""
        return apply_ops(
            self.state,
            [Op("remove", p) if v is MISSING else Op("replace", p, v) for p, v in self._staged.items()],
        )
