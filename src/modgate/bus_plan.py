"""Commands compiled into plans, and the small pieces of the general pipeline.

A :class:`_Plan` is what a dispatch needs that does not depend on the payload (validators, the
setter declared as data, the field path's rule); the helpers below build the refusals and audit
records of :mod:`modgate.bus` and check what a caller gave (payload, meta, names).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

import modgate.roles as roles
from modgate.auditevent import AuditEvent
from modgate.bus_fields import FieldRule, field_rule
from modgate.bus_model import Envelope, JournalEntry, _fail
from modgate.host.model import CommandSpec, FieldSetter, Host
from modgate.state import MISSING, JsonObject, Op, get_path, path_within, pointer_tokens, split_pointer


@dataclass(slots=True)
class _Plan:
    """One command compiled once: all a dispatch needs that does not depend on the payload."""

    spec: CommandSpec
    is_valid: Callable[[Any], bool]
    explain: Callable[[Any], tuple[str, str] | None]  # (message, path)
    # A handler declared as data whose path lies within the declared writes and that has no
    # semantic check: the bus computes its op and inverse directly (same result as the view).
    setter: FieldSetter | None = None
    setter_domain: str = ""
    # How the field path checks the setter's one-field payload (None: the general path only).
    rule: FieldRule | None = None
    tokens: tuple[str, ...] = ()
    # The declared writes as a set: a staged path equal to one is within them without a scan.
    declared: frozenset[str] = frozenset()
    # The host's state domains when a declared write is not beneath one ("", "/doc", "/other"):
    # then each staged path is checked to lie beneath a domain (see _outside_domains).
    domains: frozenset[str] | None = None


def _compile(host: Host) -> dict[str, _Plan]:
    import jsonschema_rs

    plans: dict[str, _Plan] = {}
    for spec in host.commands.values():
        validator = jsonschema_rs.validator_for(spec.payload_schema)

        def _first_error(payload: Any, v: Any = validator) -> tuple[str, str] | None:
            for err in v.iter_errors(payload):
                return str(err.message), _dotted(err.instance_path)
            return None

        plan = _Plan(spec, validator.is_valid, _first_error, declared=frozenset(spec.writes))
        domains = frozenset(host.state_domains)
        if not all(len(t := pointer_tokens(w)) >= 2 and t[0] in domains for w in spec.writes):
            plan.domains = domains
        handler = spec.handler
        if (isinstance(handler, FieldSetter) and spec.check is None and spec.journal_action is None
                and path_within(handler.path, spec.writes) and handler.path.count("/") >= 2):
            plan.setter, plan.setter_domain = handler, split_pointer(handler.path)[0]
            plan.rule = field_rule(spec, handler)
            plan.tokens = pointer_tokens(handler.path)
        plans[spec.id] = plan
    return plans


def _dispatch_roles() -> dict[str, tuple[str, bool]]:
    """Every name a dispatch may give (aliases too) -> (stored role, waits for a host when gated)."""
    out = {}
    for name in (*roles.NAMES, *roles.ALIASES):
        known = roles.canonical(name)
        if known is not None and roles.may_dispatch(known):
            out[name] = (known, roles.queues_gated(known))
    return out


def _dotted(instance_path: Any) -> str:
    """``payload.block.segments[0]``: the DESIGN's dotted paths, rooted at ``payload``."""
    out = "payload"
    for part in instance_path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}"
    return out


class _Gated(Exception):
    """The dispatch would write a protected domain: leave the write and queue it."""


class _Abort(Exception):
    def __init__(self, envelope: Envelope) -> None:
        super().__init__(envelope["code"])
        self.envelope = envelope


_Outcome = tuple[Any, list[Op], JournalEntry | None, list[tuple[int, str]]]


def _run_setter(plan: _Plan, payload: Any, role: str, state: JsonObject) -> _Outcome | None:
    """A :class:`FieldSetter`'s outcome computed directly: what the handler, ``view.ops()`` and
    ``inverse_ops`` give for a scalar replaced by a scalar. None: take the general path."""
    setter = plan.setter
    assert setter is not None
    try:
        value = payload[setter.key] if setter.convert is None else setter.convert(payload[setter.key])
    except Exception:
        return None  # the general path reports the handler's failure with its code
    before = get_path(state, setter.path)
    if before is MISSING or isinstance(before, (dict, list)) or isinstance(value, (dict, list)):
        return None
    result = {setter.name: value}
    if before is value or (type(before) is type(value) and before == value):
        return result, [], None, []
    ops = [Op("replace", setter.path, value)]
    spec = plan.spec
    journal = JournalEntry(command_id=spec.id, role=role, scope=spec.mutation_scope, kind="edit", ops=ops,
                           inverse=[Op("replace", setter.path, before)])
    return result, ops, journal, []


def _bad_names(command_id: Any, role: Any) -> Envelope:
    """The refusal of a command id or role that is not a string (Python API callers)."""
    if not isinstance(role, str):
        allowed = ", ".join(roles.DISPATCH_CHOICES)
        return _fail("invalid-role", repr(command_id), f"role must be one of {allowed}, not {role!r}")
    return _fail("unknown-command", repr(command_id), f"unknown command {command_id!r}")


def _outside_domains(staged: Mapping[str, Any], domains: frozenset[str]) -> str | None:
    """The first staged path that does not write inside one of the host's state domains (the
    root, a domain itself removed, another top-level key), else None: the stores keep one
    document per domain, so such a write could not be stored as the state shows it."""
    for path, value in staged.items():
        tokens = pointer_tokens(path)
        if not tokens or tokens[0] not in domains or (len(tokens) == 1 and value is MISSING):
            return path
    return None


_SCALARS = frozenset({str, int, float, bool, type(None)})


def _detached(result: Any) -> Any:
    """A handler's result as the envelope carries it: sharing no container with the state, the
    journal or the payload (a handler may return what it read or staged), so a caller changing
    its envelope changes nothing stored. A flat object -- the usual result -- is copied shallow."""
    if type(result) is dict:
        for value in result.values():
            if type(value) not in _SCALARS:
                return copy.deepcopy(result)
        return result.copy()
    return result if type(result) in _SCALARS else copy.deepcopy(result)


def _private_meta(meta: Any) -> dict[str, Any] | None:
    """A private copy of ``meta`` as the audit log records it (a JSON object), or None when it is
    not one. Deep: the caller may change its dict (or what it holds) after the dispatch, and the
    audit keeps it by reference (in memory) or writes it later (a SQLite group's buffer)."""
    if not isinstance(meta, Mapping):
        return None
    try:
        copied = orjson.loads(orjson.dumps(dict(meta)))
    except (TypeError, ValueError):
        return None
    return copied if type(copied) is dict else None


def _non_finite(value: Any) -> bool:
    """True when ``value`` holds a NaN or an infinite float (an explicit stack: no recursion)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, float) and not math.isfinite(item):
            return True
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
    return False


def _not_json(command_id: str, exc: Exception, audit_tag: str | None = None) -> Envelope:
    return _fail("invalid-payload", command_id, f"payload validation failed: the payload is not JSON ({exc})",
                 auditTag=audit_tag, path="payload")


def _request(correlation: str, command_id: str, role: str, meta: dict[str, Any]) -> AuditEvent:
    return AuditEvent(event_type="dispatch-request", correlation_id=correlation, command_id=command_id, role=role,
                      data={"meta": meta})


def _executed_event(journal: JournalEntry | None) -> str:
    if journal is not None and journal.kind == "undo":
        return "dispatch-undone"
    if journal is not None and journal.kind == "redo":
        return "dispatch-redone"
    return "dispatch-executed"
