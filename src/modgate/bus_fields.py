"""The field path of the bus: a setter declared as data, dispatched by one compiled function.

A command whose handler is a :class:`~modgate.host.model.FieldSetter` and whose payload schema
is ``{key: value}`` (one required property, no others) is compiled once into a function that
does what the general pipeline does for it -- role, payload limit, normalisation, validation of
the value by jsonschema-rs against the property's own schema, the write, its journal entry and
its one audit record -- without building the general pipeline's objects. The store supplies
the write (``field_writer(spec, tokens)``); anything unusual (another role, a refused payload,
a non-scalar at the path, an idempotency key) answers None and the general path decides and
explains it, so both paths give the same answers (tests/test_bus_fields.py).
"""

from __future__ import annotations

import itertools
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson

from modgate.host.model import CommandSpec, FieldSetter, KeyNormalizer

if TYPE_CHECKING:
    from modgate.bus import Bus

# (value, role, now, correlation number, meta) -> (revision, changed, committed), or None when the
# store cannot take the field path for this write (the general path then decides). ``committed``
# is False inside a caller's transaction: the post-commit events are not sent for such writes
# (nothing is committed yet; the board's listener never ran inside a transaction either).
FieldWriter = Callable[[Any, str, float, int, "dict[str, Any] | None"], "tuple[int, bool, bool] | None"]
# (payload, role name, meta) -> the envelope, or None for the general path.
FastDispatch = Callable[[Any, str, "Mapping[str, Any] | None"], "dict[str, Any] | None"]

_SLOW: Any = object()
# Keywords a one-field payload schema may have for the field path to check it exactly.
_SCHEMA_KEYS = frozenset({"$schema", "type", "properties", "required", "additionalProperties", "description",
                          "title", "$comment"})


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
    text = orjson.dumps(properties[key])
    if b'"$ref"' in text or b'"$dynamicRef"' in text:
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


def fast_dispatch(bus: Bus, spec: CommandSpec, rule: FieldRule, allowed: Mapping[str, tuple[str, int]],
                  writer: FieldWriter, counter: itertools.count[int]) -> FastDispatch:
    """One setter's dispatch, compiled (see the module docstring)."""
    key, norm, is_valid, convert = rule.key, rule.normalize, rule.is_valid, rule.convert
    roles = {name: (role, _max_chars(key, limit)) for name, (role, limit) in allowed.items()}
    command_id, audit_tag, name = spec.id, spec.audit_tag, spec.handler.name  # type: ignore[attr-defined]
    slow = _SLOW

    def dispatch(payload: Any, role_name: str, meta: Mapping[str, Any] | None) -> dict[str, Any] | None:
        found = roles.get(role_name)
        if found is None or type(payload) is not dict or len(payload) != 1:
            return None
        value = payload.get(key, slow)
        if value is slow or (type(value) is str and len(value) > found[1]):
            return None
        if norm is not None:
            value = norm(value)
        if not is_valid(value):
            return None
        if convert is not None:
            try:
                value = convert(value)
            except Exception:
                return None  # the general path reports the handler's failure with its code
        role = found[0]
        written = writer(value, role, bus.clock(), next(counter), dict(meta) if meta else None)
        if written is None:
            return None
        envelope = {"ok": True, "code": "executed", "commandId": command_id, "auditTag": audit_tag,
                    "result": {name: value}, "revision": written[0]}
        if written[2] and bus.after_commit:
            bus.notify_field(envelope, role, written[1])
        return envelope

    return dispatch
