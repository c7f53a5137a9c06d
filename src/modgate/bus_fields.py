"""The field path of the bus: a setter declared as data, dispatched by one compiled function.

A command whose handler is a :class:`~modgate.host.model.FieldSetter` and whose payload schema
is ``{key: value}`` (one required property, no others) is compiled once into a function that
does what the general pipeline does for it -- role, payload limit, normalisation, validation of
the value by jsonschema-rs against the property's own schema, the write, its journal entry and
its one audit record -- without building the general pipeline's objects. The store supplies
the write (``field_writer(spec, tokens)``) and may offer a :class:`FieldSlot`
(``field_slot(spec, tokens)``: the in-memory store does), through which a change to a parent
the store owns is written by the compiled function itself; anything unusual (another role, a refused payload,
a non-scalar at the path, an idempotency key) answers None and the general path decides and
explains it, so both paths give the same answers (tests/test_bus_fields.py).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import orjson

from modgate.host.model import CommandSpec, FieldSetter, KeyNormalizer

if TYPE_CHECKING:
    from modgate.bus import Bus

# (value, role, now, meta) -> the new revision (an int: the value changed and is committed, the
# common case, answered without building a tuple), or (revision, changed, committed), or None
# when the store cannot take the field path for this write (the general path then decides). The
# store draws the dispatch's correlation number (from ``bus_model._COUNTER``, as the general path
# does) when it writes the audit event. ``committed`` is False inside a caller's transaction: the
# post-commit events are not sent for such writes (nothing is committed yet; the board's
# listener never ran inside a transaction either).
FieldWriter = Callable[[Any, str, float, "dict[str, Any] | None"], "int | tuple[int, bool, bool] | None"]
# (payload, role name, meta: the dispatch's private copy) -> the envelope, or None for the general path.
FastDispatch = Callable[[Any, str, "dict[str, Any] | None"], "dict[str, Any] | None"]

# A field write's record on a store's flat log (FieldSlot.log): six values, none of them a
# container the garbage collector must track -- (commandId, scope, path) (path None when the write
# changed nothing), role, value, before, now, meta.
LOG_STRIDE = 6


@dataclass(frozen=True, slots=True)
class FieldSlot:
    """Where a store lets the field path change a scalar itself (the in-memory store offers one).

    While ``parent[0]`` is not None it is an object the store copied for field writes and has not
    handed out since, holding a scalar at ``leaf``: the field path may replace that scalar in
    place, bump ``owner.revision`` and put the write's record on ``log`` (see LOG_STRIDE), whose
    first value is ``edit``. Anything else -- no parent, a value that does not change -- goes to
    the store's FieldWriter. The store empties ``parent`` whenever the state is shared or replaced.
    """

    parent: list[Any]
    leaf: str
    log: list[Any]
    edit: tuple[str, str, str]
    owner: Any  # has the int attribute ``revision``

_SLOW: Any = object()
# Keywords a one-field payload schema may have for the field path to check it exactly.
_SCHEMA_KEYS = frozenset({"$schema", "type", "properties", "required", "additionalProperties", "description",
                          "title", "$comment"})

_REFERENCES = (b'"$ref"', b'"$dynamicRef"', b'"$recursiveRef"', b'"$id"', b'"$anchor"', b'"$dynamicAnchor"',
               b'"$recursiveAnchor"')


@dataclass(frozen=True, slots=True)
class FieldRule:
    """How a setter's payload ``{key: value}`` is checked: the field normaliser, the exact
    validator of the value, the setter's conversion."""

    key: str
    normalize: Callable[[Any], Any] | None
    is_valid: Callable[[Any], bool]
    convert: Callable[[Any], Any] | None


def field_rule(spec: CommandSpec, setter: FieldSetter) -> FieldRule | None:
    """The rule of a one-field payload schema, or None (the general path only)."""
    import jsonschema_rs

    schema, key = spec.payload_schema, setter.key
    properties = schema.get("properties")
    if (not set(schema) <= _SCHEMA_KEYS or schema.get("type") != "object" or schema.get("required") != [key]
            or schema.get("additionalProperties") is not False or not isinstance(properties, dict)
            or list(properties) != [key] or not isinstance(properties[key], dict)):
        return None
    # A reference or resource inside the property's schema resolves against the property's schema
    # once it is compiled alone (its "#" is no longer the payload schema): general path only.
    text = orjson.dumps(properties[key])
    if any(marker in text for marker in _REFERENCES):
        return None
    normalize = spec.normalize
    if normalize is not None and not isinstance(normalize, KeyNormalizer):
        return None
    sub = {"$schema": schema["$schema"], **properties[key]} if "$schema" in schema else properties[key]
    return FieldRule(key=key, normalize=normalize.fields.get(key) if normalize is not None else None,
                     is_valid=jsonschema_rs.validator_for(sub).is_valid, convert=setter.convert)


def _max_chars(key: str, max_bytes: int) -> int:
    """The longest string value whose payload JSON is surely within ``max_bytes`` (a character
    takes at most 6 bytes, as ``\\uXXXX``); longer ones are measured by the general path."""
    return (max_bytes - 16) // 6 - len(key) if max_bytes else sys.maxsize


# The JSON of any other plain scalar (see _plain) takes at most this many bytes (a float such as
# -2.2250738585072014e-308); a role whose payload limit could refuse one is measured by the
# general path, so both paths refuse the same payloads whatever the limit.
_SCALAR_BYTES = 24
_INT_RANGE = (-(2**63), 2**64 - 1)  # what orjson writes; larger ints are not stored as JSON


def _plain(value: Any) -> bool:
    """True for a value the field path may take as it is: a str, bool, None, a finite float or an
    int orjson can write -- exactly those types, no subclass and no container (a container's size
    is not known without measuring it, and it would be shared with the caller's payload)."""
    kind = type(value)
    if kind is str or kind is bool or value is None:
        return True
    if kind is int:
        return bool(_INT_RANGE[0] <= value <= _INT_RANGE[1])
    return kind is float and bool(value - value == 0.0)  # inf and nan give nan


def _field_roles(key: str, allowed: Mapping[str, tuple[str, int]]) -> dict[str, tuple[str, int]]:
    """name -> (stored role, longest string value taken), for the roles whose payload limit no
    non-string scalar payload can exceed."""
    smallest = len(orjson.dumps(key)) + 3 + _SCALAR_BYTES  # {"key":value}
    return {name: (role, _max_chars(key, limit)) for name, (role, limit) in allowed.items()
            if not limit or limit >= smallest}


def fast_dispatch(bus: Bus, spec: CommandSpec, rule: FieldRule, allowed: Mapping[str, tuple[str, int]],
                  writer: FieldWriter, slot: FieldSlot | None = None) -> FastDispatch:
    """One setter's dispatch, compiled (see the module docstring); with the store's ``slot``, a
    change to an owned parent is written here, without the writer's call."""
    key, norm, is_valid, convert = rule.key, rule.normalize, rule.is_valid, rule.convert
    roles = _field_roles(key, allowed)
    command_id, audit_tag, name = spec.id, spec.audit_tag, spec.handler.name  # type: ignore[attr-defined]
    slow, (low, high), transforms = _SLOW, _INT_RANGE, norm is not None or convert is not None
    clock = bus.clock  # (assigning bus.clock compiles the field paths again)
    template = {"ok": True, "code": "executed", "commandId": command_id, "auditTag": audit_tag, "result": None,
                "revision": 0}
    if slot is None:  # the store has none: its parent stays empty, every write goes to the writer
        slot = FieldSlot(parent=[None], leaf="", log=[], edit=("", "", ""), owner=None)
    cell, leaf, log, edit, owner = slot.parent, slot.leaf, slot.log, slot.edit, slot.owner

    def dispatch(payload: Any, role_name: str, meta: dict[str, Any] | None) -> dict[str, Any] | None:
        # ``meta``: Bus.dispatch's private copy (the caller's object is never kept).
        try:
            found = roles.get(role_name)
        except TypeError:  # an unhashable role: the general path refuses it
            return None
        if found is None or type(payload) is not dict or len(payload) != 1:
            return None
        value = payload.get(key, slow)
        kind = type(value)  # _plain, inlined: this is the hot path
        if kind is str:
            if len(value) > found[1]:
                return None  # the general path measures it
        elif kind is int:
            if not low <= value <= high:
                return None
        elif kind is float:
            if value - value != 0.0:
                return None
        elif kind is not bool and value is not None:  # missing (slow), a container, a subclass, not JSON
            return None
        try:
            if norm is not None:
                value = norm(value)
            if not is_valid(value):
                return None
            if convert is not None:
                value = convert(value)
        except Exception:
            return None  # the general path reports a normaliser's or the handler's failure with its code
        if transforms and type(value) is not str and not _plain(value):
            return None
        role = found[0]
        node = cell[0]
        if node is not None:  # the slot's owned parent: a change is written here (see FieldSlot)
            before = node[leaf]
            if before != value or type(before) is not type(value):
                node[leaf] = value
                owner.revision = revision = owner.revision + 1
                log.extend((edit, role, value, before, clock(), meta))
                envelope = template.copy()  # cheaper than a literal of six keys
                envelope["result"] = {name: value}
                envelope["revision"] = revision
                if bus.after_commit:
                    bus.notify_field(envelope, role, True)
                return envelope
        written = writer(value, role, clock(), meta)
        envelope = template.copy()
        envelope["result"] = {name: value}
        if type(written) is int:
            envelope["revision"] = written
            if bus.after_commit:
                bus.notify_field(envelope, role, True)
            return envelope
        if written is None:
            return None
        revision, changed, committed = cast("tuple[int, bool, bool]", written)  # not an int: a tuple
        envelope["revision"] = revision
        if committed and bus.after_commit:
            bus.notify_field(envelope, role, changed)
        return envelope

    return dispatch
