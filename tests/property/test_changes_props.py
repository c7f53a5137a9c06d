"""staged_changes (the bus's one walk) gives exactly what view.ops() and inverse_ops gave before it:
the same ops in the same order and the same inverse, value types included (True is not 1)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modgate.state import MISSING, Op, StateView, apply_ops, delta_ops, escape_token, get_path
from modgate.state_changes import make_op, staged_changes

# -- the reference: StateView.ops and inverse_ops as they were before the walk (commit 2d498a9) -------


def _ref_delta(path: str, before: Any, after: Any, depth: int = 0) -> list[Op]:
    if before is after or (type(before) is type(after) and before == after):
        return []
    if depth < 32 and isinstance(before, dict) and isinstance(after, dict):
        out: list[Op] = []
        for key in before.keys() - after.keys():
            out.append(Op("remove", f"{path}/{escape_token(key)}"))
        for key, value in after.items():
            child = f"{path}/{escape_token(key)}"
            out.extend(_ref_delta(child, before[key], value, depth + 1) if key in before
                       else [Op("add", child, value)])
        return out
    if depth < 32 and isinstance(before, list) and isinstance(after, list):
        delta = _ref_array(path, before, after, depth)
        if delta is not None:
            return delta
    return [Op("replace", path, after)]


def _ref_array(path: str, before: list[Any], after: list[Any], depth: int) -> list[Op] | None:
    def same(a: Any, b: Any) -> bool:
        return a is b or (type(a) is type(b) and a == b)

    head = 0
    while head < min(len(before), len(after)) and same(before[head], after[head]):
        head += 1
    tail = 0
    while tail < min(len(before), len(after)) - head and same(before[len(before) - 1 - tail],
                                                               after[len(after) - 1 - tail]):
        tail += 1
    old, new = before[head:len(before) - tail], after[head:len(after) - tail]
    if len(old) + len(new) > max(4, len(after) // 2):
        return None
    if len(old) == len(new):
        return [op for i, (a, b) in enumerate(zip(old, new, strict=True))
                for op in _ref_delta(f"{path}/{head + i}", a, b, depth + 1)]
    ops = [Op("remove", f"{path}/{head}") for _ in old]
    ops += [Op("add", f"{path}/{head + i}", value) for i, value in enumerate(new)]
    return ops


def _ref_ops(state: Any, staged: dict[str, Any]) -> list[Op]:
    out: list[Op] = []
    for path, value in staged.items():
        before = get_path(state, path)
        if value is MISSING:
            if before is not MISSING:
                out.append(Op("remove", path))
        elif before is MISSING:
            out.append(Op("add", path, value))
        else:
            out.extend(_ref_delta(path, before, value))
    return out


def _ref_inverse(state: Any, ops: list[Op]) -> list[Op]:
    def in_array(s: Any, path: str) -> bool:
        parent, _, _ = path.rpartition("/")
        return isinstance(get_path(s, parent), list) if path else False

    def inverse_of(s: Any, op: Op) -> Op:
        before = get_path(s, op.path)
        if in_array(s, op.path):
            if op.op == "add":
                return Op("remove", op.path)
            if op.op == "remove":
                return Op("add", op.path, before)
        return Op("remove", op.path) if before is MISSING else Op("replace", op.path, before)

    def ancestors(path: str) -> set[str]:
        parts = path.split("/")
        return {"/".join(parts[:k]) for k in range(2, len(parts))}

    if len(ops) == 1:
        return [inverse_of(state, ops[0])]
    paths = [op.path for op in ops]
    path_set = set(paths)
    parents = [p.rsplit("/", 1)[0] for p in paths if p.rsplit("/", 1)[-1].isdigit()]
    independent = (len(path_set) == len(paths) and len(set(parents)) == len(parents)
                   and not any(ancestors(p) & path_set for p in paths))
    inverse, current = [], state
    for op in ops:
        inverse.append(inverse_of(current, op))
        if not independent:
            current = apply_ops(current, [op])
    inverse.reverse()
    return inverse


# -- the comparison ------------------------------------------------------------------------------

def _strict(ops: list[Op]) -> list[tuple[str, str, str]]:
    return [(op.op, op.path, repr(op.value)) for op in ops]  # repr tells True from 1 and keeps key order


keys = st.sampled_from(["a", "b", "0", "1", "x/y", "t~", ""])
leaves = st.one_of(st.none(), st.booleans(), st.integers(-2, 2), st.sampled_from([0.0, 1.0, "s", "t"]))
values = st.recursive(leaves, lambda inner: st.one_of(st.lists(inner, max_size=6),
                                                      st.dictionaries(keys, inner, max_size=5)), max_leaves=20)


def _pointers(node: Any, path: str = "") -> list[str]:
    out = [path]
    if isinstance(node, dict):
        for key, value in node.items():
            out += _pointers(value, f"{path}/{escape_token(key)}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out += _pointers(value, f"{path}/{i}")
    return out


def _mutated(value: Any, data: st.DataObject) -> Any:
    """A value near ``value``: most writes change a little of a container, as handlers do."""
    if isinstance(value, dict) and value and data.draw(st.booleans()):
        out = dict(value)
        key = data.draw(st.sampled_from(sorted(out)))
        if data.draw(st.booleans()):
            del out[key]
        else:
            out[key] = _mutated(out[key], data)
        return out
    if isinstance(value, list) and value and data.draw(st.booleans()):
        out_list = list(value)
        at = data.draw(st.integers(0, len(out_list)))
        choice = data.draw(st.sampled_from(["insert", "delete", "change"]))
        if choice == "insert":
            out_list.insert(at, data.draw(leaves))
        elif at < len(out_list):
            if choice == "delete":
                del out_list[at]
            else:
                out_list[at] = _mutated(out_list[at], data)
        return out_list
    return data.draw(values)


@settings(max_examples=600, deadline=None)
@given(state=st.dictionaries(keys, values, max_size=4), data=st.data())
def test_staged_changes_equal_the_reference(state: dict[str, Any], data: st.DataObject) -> None:
    doc = {"doc": state}
    pointers = [*_pointers(doc)[1:], "/doc/new", "/doc/a/new", "/doc/0/9"]
    staged: dict[str, Any] = {}
    for path in data.draw(st.lists(st.sampled_from(pointers), max_size=4)):
        before = get_path(doc, path)
        kind = data.draw(st.sampled_from(["near", "remove", "same"]))
        staged[path] = (MISSING if kind == "remove" else before if kind == "same" and before is not MISSING
                        else _mutated(before, data) if before is not MISSING else data.draw(values))
    ref_ops = _ref_ops(doc, staged)
    try:
        ref_inverse = _ref_inverse(doc, ref_ops)
    except (ValueError, IndexError, TypeError) as exc:  # overlapping ops the replay cannot apply
        with pytest.raises(type(exc)):
            staged_changes(doc, staged)
        return
    ops, inverse = staged_changes(doc, staged)
    assert _strict(ops) == _strict(ref_ops)
    assert _strict(inverse) == _strict(ref_inverse)
    view = StateView(doc)
    for path, value in staged.items():
        if value is MISSING:
            view.delete(path)
        else:
            view.set(path, value)
    assert _strict(view.ops()) == _strict(ref_ops)


@settings(max_examples=300, deadline=None)
@given(before=values, after=values)
def test_delta_ops_equal_the_reference(before: Any, after: Any) -> None:
    assert _strict(delta_ops("/doc/x", before, after)) == _strict(_ref_delta("/doc/x", before, after))


def test_make_op_builds_the_same_frozen_op() -> None:
    op = make_op("replace", "/doc/x", [1])
    assert op == Op("replace", "/doc/x", [1]) and hash(make_op("remove", "/a")) == hash(Op("remove", "/a"))
    assert repr(op) == repr(Op("replace", "/doc/x", [1]))


CASES: list[tuple[Any, dict[str, Any]]] = [
    ({"l": [1, 2, 3]}, {"/doc/l": [1, 3]}),  # one removal inside an array
    ({"l": [1, 2, 3]}, {"/doc/l": [1, 2, 9, 3]}),  # one insertion
    ({"l": [1, 2, 3, 4, 5, 6]}, {"/doc/l": [1, 4, 5, 6]}),  # two removals at one index
    ({"l": [1, 2, 3]}, {"/doc/l/1": MISSING}),  # a staged delete in an array
    ({"m": {"a": 1, "b": 2, "c": 3}}, {"/doc/m": {"c": 4, "d": 5}}),  # removed, changed, added keys
    ({"m": {"a": 1}}, {"/doc/m/a": MISSING, "/doc/n": True}),  # a staged delete in an object, an add
    ({"m": {"a": 1}}, {"/doc/m/a": True}),  # 1 -> True is a change (not inside an equal object)
    ({"m": {"x/y": 1, "t~": 2}}, {"/doc/m": {"x/y": 3, "t~": 2}}),  # escaped keys
    ({"m": {"a": {"b": 1}}}, {"/doc/m": {"a": {"b": 2}}, "/doc/m/a/b": 3}),  # overlapping writes
    ({"m": [{"a": 1}, {"a": 2}]}, {"/doc/m": [{"a": 1}, {"a": 3}]}),  # an object inside an array
    ({"m": 1}, {"": {"doc": {"m": 2}, "other": []}}),  # the root
]


@pytest.mark.parametrize(("state", "staged"), CASES)
def test_staged_changes_equal_the_reference_in_the_known_shapes(state: Any, staged: dict[str, Any]) -> None:
    doc = {"doc": state}
    ops, inverse = staged_changes(doc, staged)
    ref_ops = _ref_ops(doc, staged)
    assert ops and _strict(ops) == _strict(ref_ops)
    assert _strict(inverse) == _strict(_ref_inverse(doc, ref_ops))
    assert apply_ops(apply_ops(doc, ops), inverse) == doc


@settings(max_examples=300, deadline=None)
@given(state=st.dictionaries(keys, values, max_size=4), data=st.data())
def test_one_op_applies_as_the_general_loop_does(state: dict[str, Any], data: st.DataObject) -> None:
    doc = {"doc": state}
    path = data.draw(st.sampled_from([*_pointers(doc), "/doc/new", "/doc/a/b/c", "/doc/0/-"]))
    op = Op(data.draw(st.sampled_from(["add", "remove", "replace"])), path, data.draw(values))

    def outcome(ops: Any) -> Any:
        try:
            return repr(apply_ops(doc, ops))
        except Exception as exc:  # the same failure either way
            return type(exc)

    assert outcome([op]) == outcome((op,))  # a list of one takes the short path, a tuple the loop
