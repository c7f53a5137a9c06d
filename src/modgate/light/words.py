"""Plain words for what a light user reads: values, changes, devices. Never ids, paths or JSON. Pure."""

from __future__ import annotations

from functools import cache
from typing import Any

from modgate.light.lexicon import css_colors
from modgate.light.vocab import LightVocabulary, PrefField

LAYOUT_WORDS = {
    "dataInput": {"auto": "placed automatically", "docked": "docked at the side", "windowed": "in a movable window",
                  "collapsed": "tucked away"},
    "dataInputEdge": {"right": "on the right", "left": "on the left"},
    "toolbarAux": {"auto": "shown when there is room", "shown": "always shown", "collapsed": "tucked away"},
    "canvas": {"normal": "normal size", "maximize": "as large as possible"},
}
DEVICE_WORDS = {"web": "computer", "tablet": "tablet", "mobile": "phone"}


@cache
def _color_names() -> dict[str, str]:
    """``#00008B`` → "dark blue" (the first CSS name of a value, written apart where it splits)."""
    from modgate.light.lexicon import _color_phrases

    colors = css_colors()
    names: dict[str, str] = {}
    for name, hexa in sorted(colors.items()):
        spaced = max(_color_phrases(name, colors), key=len)
        names.setdefault(hexa, " ".join(spaced))
    return names


def color_words(value: str) -> str:
    name = _color_names().get(str(value).upper())
    return name if name else f"the colour {str(value).upper()}"


def number_words(value: Any, unit: str) -> str:
    if unit == "ms":
        seconds = float(value) / 1000
        text = f"{seconds:g}"
        return f"{text} second" + ("" if seconds == 1 else "s")
    if unit == "x":
        return f"{float(value):g} times normal speed" if value != 1 else "normal speed"
    if unit == "%":
        return f"{float(value):g} percent"
    return f"{float(value):g} pixels" if unit == "px" else f"{value}"


def value_words(pref: PrefField, value: Any) -> str:
    if pref.kind == "color":
        return color_words(value)
    if pref.kind == "bool":
        return "on" if value else "off"
    if pref.kind == "enum":
        return pref.value_labels.get(str(value), str(value))
    return number_words(value, pref.unit)


def layout_value_words(key: str, value: Any) -> str:
    if key == "toolPalette" and isinstance(value, dict):
        if value.get("mode") == "floating":
            return "floating"
        return f"docked at the {value.get('edge', 'bottom')}"
    return LAYOUT_WORDS.get(key, {}).get(str(value), str(value))


def devices_words(devices: list[str]) -> str:
    names = [DEVICE_WORDS.get(d, d) for d in devices]
    if not names:
        return "every device"
    return "your " + " and ".join(names)


def setting_words(vocab: LightVocabulary, metric: str) -> str:
    pref = vocab.pref(metric)
    if pref is not None:
        return pref.label
    if metric.startswith("layout."):
        field = vocab.layout_field(metric.split(".", 1)[1])
        return field.label if field else "the layout"
    return "your shortcuts" if metric.startswith("shortcut.") else "that setting"


def shortcut_words(vocab: LightVocabulary, action: str, article: str = "the") -> str:
    found = vocab.action(action)
    if found is None:
        return "that button"
    if article == "a" and found.label[:1].lower() in "aeiou":
        article = "an"
    return f"{article} “{found.label}” button"


def slot_words(vocab: LightVocabulary, slot: str) -> str:
    words = vocab.slots.get(slot, ())
    return f"the {words[0]}" if words else "the top bar"
