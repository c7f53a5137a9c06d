"""The correction loop: ``correction.prompt.v1`` and ``escalation.packet.v1``. Pure.

A prompt has a plain ``userMessage``, ``neededInputs`` and 2-5 ``options`` numbered from 1; every
option is a complete, valid change to a value other than the current one (never "keep as is" or
"cancel"). Choosing an option replaces the metric at fault by the option's change and re-runs the
gates from ``INTENT_NORMALIZED``. At most ``MAX_RETRIES`` answers per intent.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from modgate.light import failures as f
from modgate.light.artifacts import content_id, same
from modgate.light.failures import Failure
from modgate.light.resolve import current
from modgate.light.summary import goal_summary, metric_sentence, success_checks, surface_of
from modgate.light.vocab import LightVocabulary, PrefField
from modgate.state import JsonObject, get_path

MAX_RETRIES = 3
GENERIC = ({"metric": "penColor", "operator": "=", "value": "#FF0000"},
           {"metric": "penColor", "operator": "=", "value": "#0000FF"},
           {"metric": "penWidth", "operator": "increase", "value": 2},
           {"metric": "layout.canvas", "operator": "=", "value": "maximize"},
           {"metric": "shortcut.add", "operator": "=", "value": {"action": "eraser", "slot": "chrome-top-toolbar"}})


def _pref_options(vocab: LightVocabulary, pref: PrefField, state: JsonObject) -> list[JsonObject]:
    now = current(state, pref)
    return [{"metric": pref.key, "operator": "=", "value": v} for v in pref.suggestions if not same(v, now)]


def _range_options(vocab: LightVocabulary, pref: PrefField, failure: Failure, state: JsonObject) -> list[JsonObject]:
    low, high = failure.detail.get("minimum"), failure.detail.get("maximum")
    value = failure.detail.get("value")
    edge = high if isinstance(value, (int, float)) and high is not None and value > high else low
    picks = [edge] if edge is not None else []
    picks += [v for v in pref.suggestions if v != edge]
    now = current(state, pref)
    return [{"metric": pref.key, "operator": "=", "value": v} for v in picks if not same(v, now)]


def _layout_options(vocab: LightVocabulary, metric: str, state: JsonObject, devices: list[str]) -> list[JsonObject]:
    key = metric.split(".", 1)[1]
    field = vocab.layout_field(key)
    if field is None:
        return []
    device = (devices or ["web"])[0]
    now = get_path(state, f"/prefs/layout/{device}/{key}")
    if key == "toolPalette":
        values: list[Any] = [{"mode": "docked", "edge": e} for e in ("top", "bottom", "left", "right")]
        values.append({"mode": "floating"})
    else:
        values = list(field.values)
    return [{"metric": metric, "operator": "=", "value": v} for v in values if not same(v, now)]


def _shortcut_options(vocab: LightVocabulary, state: JsonObject) -> list[JsonObject]:
    from modgate.light.shortcuts import buttons, current_package, entry_id

    have = buttons(current_package(state, vocab))
    return [{"metric": "shortcut.add", "operator": "=", "value": {"action": a.name, "slot": vocab.default_slot}}
            for a in vocab.shortcut_actions if entry_id(a) not in have]


def options_for(vocab: LightVocabulary, failure: Failure, state: JsonObject, devices: list[str]) -> list[JsonObject]:
    metric = failure.metric or ""
    pref = vocab.pref(metric)
    if failure.code == f.E_DRYRUN_CONFLICT and pref is not None:
        found = _range_options(vocab, pref, failure, state)
    elif pref is not None:
        found = _pref_options(vocab, pref, state)
    elif metric.startswith("layout."):
        found = _layout_options(vocab, metric, state, devices)
    elif metric.startswith("shortcut."):
        found = _shortcut_options(vocab, state)
    elif metric.startswith("entity."):
        entity = metric.split(".", 1)[1]
        found = [o for p in vocab.prefs if p.entity == entity for o in _pref_options(vocab, p, state)[:1]]
    else:
        found = [dict(g) for g in GENERIC if _differs(vocab, g, state)]
    return found


def _differs(vocab: LightVocabulary, option: JsonObject, state: JsonObject) -> bool:
    pref = vocab.pref(option["metric"])
    if pref is None or option["operator"] != "=":
        return True
    return not same(current(state, pref), option["value"])


def _label(vocab: LightVocabulary, option: JsonObject, pref: PrefField | None, failure: Failure) -> str:
    sentence = metric_sentence(vocab, option).rstrip(".")
    if pref is not None and failure.code == f.E_DRYRUN_CONFLICT:
        low, high = bounds_of(failure)
        if option["value"] == high:
            sentence += " (the most allowed)"
        elif option["value"] == low:
            sentence += " (the least allowed)"
    return sentence


def bounds_of(failure: Failure) -> tuple[Any, Any]:
    return failure.detail.get("minimum"), failure.detail.get("maximum")


def needed_inputs(vocab: LightVocabulary, failure: Failure) -> list[str]:
    if failure.code == f.E_LOW_CONFIDENCE_PARSE:
        return ["What would you like to change (for example the pen colour, the eraser size, or a button)?"]
    if failure.code == f.E_INTENT_CONSTRAINT_CONFLICT:
        return ["Should this part change or stay as it is?"]
    metric = failure.metric or ""
    from modgate.light.words import setting_words

    return [f"A new value for the {setting_words(vocab, metric)}." if not metric.startswith("entity.")
            else "Which setting to change, and to what."]


def prompt(vocab: LightVocabulary, intent_id: str, failure: Failure, state: JsonObject, devices: list[str],
           retries: int, valid: Callable[[JsonObject], bool] = lambda _: True) -> JsonObject:
    """``valid(change)``: whether the option passes every gate (the caller dry-runs it)."""
    pref = vocab.pref(failure.metric or "")
    options = [o for o in options_for(vocab, failure, state, devices) if valid(o)][:5]
    if len(options) < 2:  # too few specific choices: add everyday changes that pass every gate
        options += [dict(g) for g in GENERIC if g not in options and _differs(vocab, g, state) and valid(dict(g))]
        options = options[:5]
    numbered = [{"id": i, "label": _label(vocab, o, pref, failure), "change": o}
                for i, o in enumerate(options, start=1)]
    return {"schemaVersion": "correction.prompt.v1",
            "promptId": content_id("prompt", intent_id, failure.code, retries), "intentId": intent_id,
            "failureCode": failure.code, "userMessage": failure.message, "neededInputs": needed_inputs(vocab, failure),
            "options": numbered, "retriesUsed": retries, "retriesLeft": max(0, MAX_RETRIES - retries)}


def escalation(intent_id: str, failure: Failure, history: list[JsonObject], gates: list[str]) -> JsonObject:
    return {"schemaVersion": "escalation.packet.v1", "escalationId": content_id("escalation", intent_id, history),
            "intentId": intent_id, "status": "blocked", "reason": "retry limit reached",
            "lastFailure": failure.to_dict(), "attempts": history, "gatesPassed": gates,
            "applied": False, "handling": "supervised"}


def apply_option(vocab: LightVocabulary, intent: JsonObject, failure: JsonObject, change: JsonObject) -> JsonObject:
    """The intent with the metric at fault replaced by ``change`` (re-run from INTENT_NORMALIZED)."""
    out = copy.deepcopy(intent)
    kept = out["successCriteria"].get("metrics") if failure["metric"] else []
    metrics = [m for m in kept if isinstance(m, dict) and m.get("metric") != failure["metric"]
               and m.get("operator") != "ask"] if isinstance(kept, list) else []
    metrics.append(change)
    if failure["code"] == f.E_INTENT_CONSTRAINT_CONFLICT:
        out["constraints"]["mustNot"] = []
    out["successCriteria"]["metrics"] = metrics
    out["successCriteria"]["checks"] = success_checks(vocab, metrics)
    out["request"]["goalSummary"] = goal_summary(vocab, metrics)
    if not out["request"]["normalizedText"].strip():  # the chosen option is the whole request
        out["request"]["normalizedText"] = out["request"]["goalSummary"]
    out["targets"]["surface"] = surface_of(vocab, metrics)
    out["confidence"] = max(float(out.get("confidence", 0)), 0.9)
    out.pop("clarifications", None)
    return out
