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

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType
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


def pointer_tokens(path: str) -> tuple[str, ...]:
    """RFC 6901 pointer → its unescaped tokens as a tuple (cached)."""
    return _tokens(path)


def split_pointer(path: str) -> list[str]:
    """RFC 6901 pointer → unescaped tokens. ``""`` is the root. (Cached: paths repeat.)"""
    return list(_tokens(path))


def escape_token(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


def get_path(state: Any, path: str) -> Any:
    """Value at ``path`` or MISSING."""
    node = state
    for token in _tokens(path):
        if type(node) is dict:  # the usual case, one lookup (a subclass may define its own lookups)
            node = node.get(token, MISSING)
            if node is MISSING:
                return MISSING
        elif isinstance(node, dict):
            if token not in node:
                return MISSING
            node = node[token]
        elif isinstance(node, list):
            if not (token.isascii() and token.isdigit()) or int(token) >= len(node):  # ("²" is a digit)
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
    if type(ops) is list and len(ops) == 1:
        return _apply_one(state, ops[0])  # type: ignore[no-any-return]
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
        _assign(node, tokens[-1], value, insert=op.op == "add")
    return root  # type: ignore[no-any-return]


def _apply_one(state: Any, op: Op) -> Any:
    """:func:`apply_ops` of one op (the common commit): every container on its path is copied
    (with one op none of them was copied before), no ``owned`` set to keep."""
    root: Any = dict(state) if type(state) is dict else _copy(state)
    tokens = _tokens(op.path)
    value = MISSING if op.op == "remove" else op.value
    if not tokens:
        return value
    node = root  # always a fresh plain dict or list: what _copy makes
    for token in tokens[:-1]:
        if type(node) is list:
            index = int(token)
            child = node[index] = _copy(node[index])
        else:
            child = node.get(token)
            child = node[token] = dict(child) if type(child) is dict else _copy(child)
        node = child
    if type(node) is dict and value is not MISSING:
        node[tokens[-1]] = value  # _assign's object case, without the call
    else:
        _assign(node, tokens[-1], value, insert=op.op == "add")
    return root


def object_at(state: Any, tokens: tuple[str, ...]) -> dict[str, Any] | None:
    """The object at ``tokens`` when it and every container on the way are objects, else None:
    the parent a field setter writes into (see :func:`set_owned`)."""
    node = state
    for token in tokens:
        node = node.get(token) if type(node) is dict else None
    return node if type(node) is dict else None


def set_owned(root: JsonObject, tokens: tuple[str, ...], value: Any, owned: set[int]) -> JsonObject:
    """``root`` with the scalar at ``tokens`` (under objects only: :func:`object_at`) replaced by ``value``.

    Copy-on-write like :func:`apply_ops`, except that the objects whose ids are in ``owned`` were
    copied by an earlier call and never handed out since: they are written in place. The caller
    clears ``owned`` whenever the state is shared (returned to anyone, or replaced). Containers are
    owned top-down, so an owned parent of ``tokens`` means its whole path is owned."""
    if id(root) not in owned:
        root = dict(root)
        owned.add(id(root))
    node = root
    for token in tokens[:-1]:
        child = node[token]
        if id(child) not in owned:
            child = dict(child)
            owned.add(id(child))
            node[token] = child
        node = child
    node[tokens[-1]] = value
    return root


def _assign(node: Any, token: str, value: Any, *, insert: bool = False) -> None:
    if isinstance(node, list):
        # JSON Patch semantics for arrays: "add" inserts at the index (or appends at "-"/len).
        index = len(node) if token == "-" else int(token)
        if value is MISSING:
            del node[index]
        elif insert:
            node.insert(index, value)
        else:
            node[index] = value
    elif value is MISSING:
        node.pop(token, None)
    else:
        node[token] = value


def inverse_ops(state: JsonObject, ops: Iterable[Op]) -> list[Op]:
    """Ops that undo ``ops`` when applied to the state they produced (reverse order)."""
    ops = list(ops)
    if len(ops) == 1:  # the common case: nothing to be independent of
        return [_inverse_of(state, ops[0])]
    independent = independent_paths([op.path for op in ops])
    inverse: list[Op] = []
    current: Any = state
    for op in ops:
        # Independent ops see the original state; overlapping ones must see their predecessors.
        inverse.append(_inverse_of(current, op))
        if not independent:
            current = apply_ops(current, [op])
    inverse.reverse()
    return inverse


def independent_paths(paths: list[str]) -> bool:
    """True when ops at ``paths`` can each be inverted against the state before all of them: no
    path twice, none beneath another, and no two indexes of one array."""
    path_set = set(paths)
    # Array-index ops shift their siblings, so two ops in one array are never independent; "-"
    # (an append) lands at an index its siblings' ops decide.
    parents = [p.rsplit("/", 1)[0] for p in paths if (last := p.rsplit("/", 1)[-1]).isdigit() or last == "-"]
    return (len(path_set) == len(paths) and len(set(parents)) == len(parents)
            and not any(ancestors(p) & path_set for p in paths))


def _inverse_of(state: Any, op: Op) -> Op:
    before = get_path(state, op.path)
    if _in_array(state, op.path):
        if op.op == "add":  # an insertion: its inverse removes the inserted element
            if op.path.endswith("/-"):  # an append: the element's index is the array's length now
                parent = op.path[:-2]
                return Op("remove", f"{parent}/{len(get_path(state, parent))}")
            return Op("remove", op.path)
        if op.op == "remove":  # a removal: its inverse inserts the old element back
            return Op("add", op.path, before)
    return Op("remove", op.path) if before is MISSING else Op("replace", op.path, before)


def _in_array(state: Any, path: str) -> bool:
    parent, _, _ = path.rpartition("/")
    return isinstance(get_path(state, parent), list) if path else False


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


def _not_a_pointer(path: object) -> None:
    """A handler staged a path that is not a string: its bug, reported by the bus with a code
    (``command-execution-failed``) rather than failing later in the effect check."""
    raise TypeError(f"a state path is a JSON pointer string, not {type(path).__name__} {path!r}")


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
        staged = self._staged
        if not staged:
            value = get_path(self.state, path)
        elif path in staged:
            value = staged[path]
        else:
            value = get_path(self.preview(), path)
        return default if value is MISSING else value

    def set(self, path: str, value: Any) -> None:
        """Stage writing ``value`` at ``path`` (it must lie within the command's ``writes``)."""
        if type(path) is not str:
            _not_a_pointer(path)
        self._staged[path] = value

    def delete(self, path: str) -> None:
        """Stage removing ``path``."""
        if type(path) is not str:
            _not_a_pointer(path)
        self._staged[path] = MISSING

    def ops(self) -> list[Op]:
        """Staged writes as ops, as deltas: unchanged writes dropped, changed containers diffed.

        Handlers set whole containers (``/doc/stepBlocks`` with one block more); recording that
        as one replace made every journal row as large as the document, so the database grew
        quadratically. :func:`delta_ops` records only what changed.
        """
        return _walker()[0](self.state, self._staged)[0]

    @property
    def staged(self) -> Mapping[str, Any]:
        """The staged writes, path -> value (MISSING for a removal), in order: a read-only view (a
        handler writing into it would skip set()'s check of the path)."""
        return MappingProxyType(self._staged)

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


def delta_ops(path: str, before: Any, after: Any, depth: int = 0) -> list[Op]:
    """Ops turning ``before`` into ``after`` at ``path``: key by key in objects; in arrays the
    changed middle between a common prefix and suffix (a whole replace when most changed)."""
    return _walker()[1](path, before, after, depth)


def _walker() -> tuple[Callable[[Any, Mapping[str, Any]], tuple[list[Op], list[Op]]],
                       Callable[[str, Any, Any, int], list[Op]]]:
    """(staged_changes, delta_ops) of :mod:`modgate.state_changes`, where the walk lives (it builds
    on this module, so it is imported on first use; an import statement per call would cost as
    much as a small walk)."""
    if not _WALKER:
        from modgate.state_changes import delta_ops, staged_changes

        _WALKER.append((staged_changes, delta_ops))
    return _WALKER[0]


_WALKER: list[tuple[Callable[[Any, Mapping[str, Any]], tuple[list[Op], list[Op]]],
                    Callable[[str, Any, Any, int], list[Op]]]] = []
