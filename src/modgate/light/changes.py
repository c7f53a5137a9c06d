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
        out.append(f"you added a “{ui['props']['label']}” button in {slot_words(vocab, ui['slot'])}")
    return out


def changed_summary(vocab: LightVocabulary, state: JsonObject) -> str:
    items = changed_list(vocab, state)
    if not items:
        return "You have not changed anything yet: everything is as it started."
    return "Here is what you have changed: " + "; ".join(items) + "."
