"""The notes app's light vocabulary: what a light user may change on it, in plain words.

Data only. modgate's light track (``modgate light propose "make checked items grey"``) reads it
through :class:`modgate.LightVocabulary`; every change is a transaction that waits for approval.
A preference lives under ``/prefs/<group>/<key>`` and is set through the host command named by
its :class:`modgate.PrefField`, so the command's own payload schema validates the value.
"""

from __future__ import annotations

from typing import Any

from modgate import LightVocabulary, PrefField, ShortcutAction

_STYLES = {"normal": ("normal", "plain", "regular", "black"), "grey": ("grey", "gray", "greyed out", "faded"),
           "strike": ("strike", "struck through", "crossed out", "strikethrough", "line through")}
_SORTS = {"created": ("created", "creation", "date", "newest", "oldest", "time"),
          "title": ("title", "name", "alphabetical", "alphabetically", "a to z")}

PREFS = (
    PrefField(key="checkedStyle", group="settings", command="setCheckedStyle", payload_key="style",
              current_path="/sync/settings/checkedStyle", kind="enum", surface="style", entity="checked_items",
              attribute="style", label="checked item style", value_words=_STYLES,
              value_labels={"normal": "normal", "grey": "grey", "strike": "struck through"},
              suggestions=("grey", "strike", "normal")),
    PrefField(key="sortBy", group="settings", command="setSortOrder", payload_key="sortBy",
              current_path="/sync/settings/sortBy", kind="enum", surface="behavior", entity="notes",
              attribute="order", label="note order", value_words=_SORTS,
              value_labels={"created": "by creation", "title": "by title"}, suggestions=("title", "created")),
    PrefField(key="showChecked", group="view", command="setShowChecked", payload_key="value",
              current_path="/local/view/showChecked", kind="bool", surface="behavior", entity="checked_items",
              attribute="visible", label="show checked items", suggestions=(True, False)),
)

ENTITIES = {
    "checked_items": ("checked items", "checked", "ticked items", "done items", "finished items",
                      "completed items", "checked things"),
    "notes": ("notes", "note list", "my notes", "lists"),
}
ATTRIBUTES = {
    "style": ("style", "look", "color", "colour", "grey", "gray", "faded", "crossed out", "struck through"),
    "order": ("order", "sort", "sorted", "sorting", "arrange"),
    "visible": ("show", "shown", "visible", "hide", "hidden", "see"),
}
SLOTS = {"note-toolbar": ("toolbar", "top bar", "note toolbar"), "sidebar": ("sidebar", "side bar", "left")}
SHORTCUTS = (
    ShortcutAction(name="sort-by-title", label="Sort by title", command="setSortOrder", payload={"sortBy": "title"},
                   icon="sort", words=("sort by title", "alphabetical")),
    ShortcutAction(name="hide-checked", label="Hide checked", command="setShowChecked", payload={"value": False},
                   icon="eye-off", words=("hide finished", "hide completed")),
)


def initial_prefs(state: dict[str, Any]) -> dict[str, Any]:
    """The ``prefs`` domain of a new home, from the app's own initial values."""
    settings, view = state["sync"]["settings"], state["local"]["view"]
    return {"settings": {"checkedStyle": settings["checkedStyle"], "sortBy": settings["sortBy"]},
            "view": {"showChecked": view["showChecked"]}}


def notes_light(state: dict[str, Any]) -> LightVocabulary:
    """The vocabulary, seeded from ``state`` (the app's initial state). No layout: notes has none."""
    return LightVocabulary(
        host_id="notes", prefs=PREFS, layout=(), devices={}, entities=ENTITIES, attributes=ATTRIBUTES,
        slots=SLOTS, default_slot="note-toolbar", shortcut_actions=SHORTCUTS, shortcut_module_id="light-user",
        shortcut_module_name="My shortcuts", locked_entities=(), default_tool="checked_items",
        initial_prefs=initial_prefs(state), shortcut_min_app_version="1.0.0")
