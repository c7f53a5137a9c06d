"""Plain sentences for intents: the goal summary, the success checks, the surface. Pure."""

from __future__ import annotations

from typing import Any

from modgate.light import words as w
from modgate.light.vocab import LightVocabulary

SPECIAL = {"light.undo": "Undo your last change.", "light.changes": "List what you have changed.",
           "denied": "A change that is not allowed here."}


def metric_sentence(vocab: LightVocabulary, metric: dict[str, Any]) -> str:
    name, op, value = metric["metric"], metric["operator"], metric.get("value")
    if name in SPECIAL:
        return SPECIAL[name]
    if name == "reset":
        what = "everything" if value == "all" else f"the {str(value).replace('_', ' ')}"
        return f"Put {what} back to how it started."
    if name.startswith("shortcut."):
        return _shortcut_sentence(vocab, name.split(".", 1)[1], op, value)
    if name.startswith("entity."):
        return f"Change something about the {name.split('.', 1)[1].replace('_', ' ')}."
    label = w.setting_words(vocab, name)
    if op == "ask":
        return f"Change the {label}."
    if op in ("increase", "decrease"):
        return f"Make the {label} {'larger' if op == 'increase' else 'smaller'}."
    if op == "multiply":
        return f"Make the {label} {float(value or 1):g} times as much."
    if name.startswith("layout."):
        return f"Make the {label} {_value(vocab, name, value)}."
    return f"Set the {label} to {_value(vocab, name, value)}."


def _value(vocab: LightVocabulary, name: str, value: Any) -> str:
    pref = vocab.pref(name)
    if pref is not None:
        return w.value_words(pref, value)
    return w.layout_value_words(name.split(".", 1)[-1], value)


def _shortcut_sentence(vocab: LightVocabulary, verb: str, op: str, value: Any) -> str:
    if op == "ask" and not value:
        return f"{verb.capitalize()} a button."
    button = w.shortcut_words(vocab, value["action"])
    if verb == "add":
        return f"Add {w.shortcut_words(vocab, value['action'], 'a')} to {w.slot_words(vocab, value['slot'])}."
    if verb == "remove":
        return f"Remove {button}."
    label = value.get("label")
    return f"Rename {button} to “{label}”." if label else f"Rename {button}."


def goal_summary(vocab: LightVocabulary, metrics: list[dict[str, Any]]) -> str:
    if not metrics:
        return "Not understood yet."
    return " ".join(metric_sentence(vocab, m) for m in metrics)


def success_checks(vocab: LightVocabulary, metrics: list[dict[str, Any]]) -> list[str]:
    return [metric_sentence(vocab, m).rstrip(".") + " — done" for m in metrics if m["operator"] != "ask"]


def surface_of(vocab: LightVocabulary, metrics: list[dict[str, Any]]) -> str:
    kinds = set()
    for m in metrics:
        name = m["metric"]
        pref = vocab.pref(name)
        if pref is not None:
            kinds.add(pref.surface)
        elif name.startswith("layout."):
            kinds.add("layout")
        elif name.startswith("shortcut."):
            kinds.add("content")
    if len(kinds) > 1:
        return "mixed"
    return kinds.pop() if kinds else "style"
