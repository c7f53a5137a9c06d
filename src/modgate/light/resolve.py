"""Metrics → concrete changes (``pointer → value``), checked by the host commands' own payload schemas.

This is the dry-run of G4: every value is run through the command that sets it (normalizer,
payload schema, semantic check, handler) on a copy of the state, so the change is exactly what
that command would do, and nothing is written. Relative words move the current value by the
preference's documented step, clamped to the command's range; absolute values and multipliers are
never clamped (out of range is ``E_DRYRUN_CONFLICT``). Pure.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from modgate.errors import HandlerError, PayloadError
from modgate.host.model import CommandSpec, Host
from modgate.light import failures as f
from modgate.light.failures import Failure
from modgate.light.vocab import LightVocabulary, PrefField
from modgate.light.words import devices_words, layout_value_words, value_words
from modgate.state import MISSING, JsonObject, Op, StateView, apply_ops, get_path

GATE = "G4_DRY_RUN_REQUIRED"
ALL_DEVICES = ("web", "tablet", "mobile")


@dataclass(frozen=True, slots=True, kw_only=True)
class Change:
    pointer: str
    value: Any
    reason: str


@cache
def _validator(schema_json: str) -> Any:
    import jsonschema_rs
    import orjson

    return jsonschema_rs.validator_for(orjson.loads(schema_json))


def payload_problem(spec: CommandSpec, payload: Any) -> str | None:
    """The first payload-schema error of ``payload`` for ``spec`` (None when valid)."""
    import orjson

    validator = _validator(orjson.dumps(spec.payload_schema, option=orjson.OPT_SORT_KEYS).decode())
    for err in validator.iter_errors(payload):
        return str(err.message)
    return None


def bounds(spec: CommandSpec, key: str) -> tuple[float | None, float | None]:
    prop = spec.payload_schema.get("properties", {}).get(key, {})
    return prop.get("minimum"), prop.get("maximum")


def current(state: JsonObject, pref: PrefField) -> Any:
    value = get_path(state, pref.pointer)
    return get_path(state, pref.current_path) if value is MISSING else value


def _target(pref: PrefField, spec: CommandSpec, op: str, value: Any, now: Any) -> Any:
    if op == "=":
        return value.upper() if pref.kind == "color" and isinstance(value, str) else value
    if not isinstance(now, (int, float)) or isinstance(now, bool) or not isinstance(value, (int, float)):
        return value
    if op == "multiply":
        return _num(now * value)
    low, high = bounds(spec, pref.payload_key)
    moved = now + value if op == "increase" else now - value
    return _num(min(high if high is not None else moved, max(low if low is not None else moved, moved)))


def _num(value: float) -> int | float:
    return int(value) if float(value).is_integer() else round(value, 4)


def run_pref(host: Host, vocab: LightVocabulary, state: JsonObject, metric: dict[str, Any]
             ) -> list[Change] | Failure:
    pref = vocab.pref(metric["metric"])
    spec = host.command(pref.command) if pref is not None else None
    if pref is None or spec is None:
        return Failure(code=f.E_POLICY_DENIED, gate=GATE, message="That setting cannot be changed here.",
                       metric=metric["metric"], detail={"metric": metric["metric"]})
    value = _target(pref, spec, metric["operator"], metric.get("value"), current(state, pref))
    return apply_command(host, vocab, state, pref, spec, value)


def apply_command(host: Host, vocab: LightVocabulary, state: JsonObject, pref: PrefField, spec: CommandSpec,
                  value: Any) -> list[Change] | Failure:
    payload: Any = {pref.payload_key: value}
    if spec.normalize is not None:
        payload = spec.normalize(payload)
    problem = payload_problem(spec, payload)
    view = StateView(state)
    try:
        if problem is None and spec.check is not None:
            spec.check(payload, view)
        if problem is None:
            spec.handler(view, payload)
    except (HandlerError, PayloadError) as exc:
        problem = exc.message
    if problem is not None:
        low, high = bounds(spec, pref.payload_key)
        return Failure(code=f.E_DRYRUN_CONFLICT, gate=GATE, metric=pref.key,
                       message=_range_message(pref, value, low, high),
                       detail={"command": spec.id, "payload": payload, "error": problem, "minimum": low,
                               "maximum": high, "value": value})
    return _mirror(vocab, view, pref)


def _range_message(pref: PrefField, value: Any, low: Any, high: Any) -> str:
    if low is not None and high is not None and isinstance(value, (int, float)):
        return (f"The {pref.label} can go from {value_words(pref, low)} to {value_words(pref, high)};"
                f" {value_words(pref, value)} is outside that.")
    return f"That is not a value the {pref.label} can take."


def _mirror(vocab: LightVocabulary, view: StateView, pref: PrefField) -> list[Change]:
    """The command's own writes (the current values) plus the matching preferences."""
    out = []
    staged = {op.path: op.value for op in view.ops() if op.op != "remove"}
    for other in vocab.prefs:
        if other.current_path in staged or other is pref:
            new = view.get(other.current_path)
            out.append(Change(pointer=other.pointer, value=new, reason=f"Your {other.label} will start as"
                              f" {value_words(other, new)} every time."))
    for path, value in staged.items():
        owner = next((p for p in vocab.prefs if p.current_path == path), None)
        label = owner.label if owner else "setting"
        shown = value_words(owner, value) if owner else "its new value"
        out.append(Change(pointer=path, value=value, reason=f"Your {label} changes to {shown} right away."))
    return out


def run_layout(host: Host, vocab: LightVocabulary, state: JsonObject, metric: dict[str, Any],
               devices: list[str]) -> list[Change] | Failure:
    key = metric["metric"].split(".", 1)[1]
    field = vocab.layout_field(key)
    targets = devices or list(ALL_DEVICES)
    if field is None:
        return Failure(code=f.E_POLICY_DENIED, gate=GATE, message="That part of the screen cannot be changed.",
                       metric=metric["metric"], detail={"metric": metric["metric"]})
    out: list[Change] = []
    for device in sorted(targets):
        pointer = f"/prefs/layout/{device}/{key}"
        value = _layout_value(key, metric.get("value"), get_path(state, pointer))
        problem = _layout_problem(host, field.values, key, value)
        if problem is not None:
            return Failure(code=f.E_DRYRUN_CONFLICT, gate=GATE, metric=metric["metric"],
                           message=f"The {field.label} cannot be set that way.",
                           detail={"error": problem, "value": value, "device": device})
        out.append(Change(pointer=pointer, value=value, reason=f"On {devices_words([device])}, the {field.label}"
                          f" will be {layout_value_words(key, value)}."))
    return out


def _layout_value(key: str, value: Any, now: Any) -> Any:
    if key != "toolPalette" or not isinstance(value, dict):
        return value
    edge = value.get("edge") or (now.get("edge") if isinstance(now, dict) else None) or "bottom"
    return {"mode": value.get("mode", "docked"), "edge": edge}


def _layout_problem(host: Host, values: tuple[str, ...], key: str, value: Any) -> str | None:
    if key == "toolPalette":
        spec = host.command("setToolbarDock")
        if not isinstance(value, dict) or spec is None:
            return "the tool bar needs a mode"
        return payload_problem(spec, value)
    return None if value in values else f"{value!r} is not one of {', '.join(values)}"


def run_reset(host: Host, vocab: LightVocabulary, state: JsonObject, target: str) -> list[Change] | Failure:
    """Back to the host's initial values: the target's preferences (and layout), or everything."""
    out: list[Change] = []
    work = state
    for pref in vocab.prefs:
        if target not in ("all", pref.entity):
            continue
        initial = vocab.initial_prefs[pref.group][pref.key]
        spec = host.command(pref.command)
        if spec is None:
            continue
        found = apply_command(host, vocab, work, pref, spec, initial)
        if isinstance(found, Failure):
            return found
        out.extend(found)
        work = apply_ops(work, [Op("replace", c.pointer, c.value) for c in found])
    if target in ("all", "canvas", "data_input_panel", "toolbar_aux", "tool_palette"):
        out.extend(_reset_layout(vocab, target))
    return out


def _reset_layout(vocab: LightVocabulary, target: str) -> list[Change]:
    out = []
    for device, values in sorted(vocab.initial_prefs.get("layout", {}).items()):
        for field in vocab.layout:
            if target in ("all", field.entity):
                out.append(Change(pointer=f"/prefs/layout/{device}/{field.key}", value=values[field.key],
                                  reason=f"On {devices_words([device])}, the {field.label} goes back to how it"
                                         " started."))
    return out
