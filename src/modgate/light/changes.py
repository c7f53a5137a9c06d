""""What have I changed?": the light user's preferences and shortcuts that differ from the host's. Pure."""

from __future__ import annotations

from modgate.light.artifacts import same
from modgate.light.shortcuts import buttons, current_package
from modgate.light.vocab import LightVocabulary
from modgate.light.words import devices_words, layout_value_words, slot_words, value_words
from modgate.state import MISSING, JsonObject, get_path


def changed_list(vocab: LightVocabulary, state: JsonObject) -> list[str]:
    out = []
    for pref in vocab.prefs:
        now = get_path(state, pref.pointer)
        if now is not MISSING and not same(now, vocab.initial_prefs[pref.group][pref.key]):
            out.append(f"the {pref.label} is {value_words(pref, now)}")
    for device, values in sorted(vocab.initial_prefs.get("layout", {}).items()):
        for field in vocab.layout:
            now = get_path(state, f"/prefs/layout/{device}/{field.key}")
            if now is not MISSING and not same(now, values[field.key]):
                out.append(f"on {devices_words([device])} the {field.label} is {layout_value_words(field.key, now)}")
    for ui in buttons(current_package(state, vocab)).values():
        label = ui["props"]["label"]
        article = "an" if label[:1].lower() in "aeiou" else "a"
        out.append(f"you added {article} “{label}” button in {slot_words(vocab, ui['slot'])}")
    return out


def changed_summary(vocab: LightVocabulary, state: JsonObject) -> str:
    items = changed_list(vocab, state)
    if not items:
        return "You have not changed anything yet: everything is as it started."
    return "Here is what you have changed: " + "; ".join(items) + "."


def undo_reason(vocab: LightVocabulary, pointer: str, value: object) -> str:
    """A plain reason for one change of "undo that"."""
    for pref in vocab.prefs:
        if pointer == pref.pointer:
            return f"Your {pref.label} goes back to {value_words(pref, value)} every time."
        if pointer == pref.current_path:
            return f"Your {pref.label} changes back to {value_words(pref, value)} right away."
    parts = pointer.split("/")
    if pointer.startswith("/prefs/layout/") and len(parts) == 5:
        field = vocab.layout_field(parts[4])
        if field is not None:
            return (f"On {devices_words([parts[3]])}, the {field.label} goes back to"
                    f" {layout_value_words(field.key, value)}.")
    if pointer.startswith("/registry/"):
        return "Your shortcut buttons go back to how they were."
    return "Back to how it was before your last change."
