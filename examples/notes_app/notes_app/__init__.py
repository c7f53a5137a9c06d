"""notes_app: a small notes/checklist application made moddable with modgate.

It uses modgate's public API only. ``host`` is the :class:`modgate.Host` modgate runs it as; the
``modgate.hosts`` entry point ``notes = "notes_app:host"`` (pyproject.toml) lets
``modgate --host notes ...`` find it once the folder is pip-installed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from modgate import Host
from notes_app.commands import COMMANDS
from notes_app.light import initial_prefs, notes_light

HERE = Path(__file__).resolve().parent
PACKAGE = HERE / "packages" / "checklist-tools.json"  # the app's own heavy module package
MOD = HERE / "mods" / "notes-wordcount"  # an extension mod with a hook


def initial_state() -> dict[str, Any]:
    """A fresh state for a new home: no notes, default settings, nothing selected, the light prefs."""
    state: dict[str, Any] = {
        "doc": {"notes": {}, "nextId": 1},
        "sync": {"settings": {"sortBy": "created", "checkedStyle": "normal"}},
        "local": {"view": {"selectedNote": None, "showChecked": True}},
    }
    return {**state, "prefs": initial_prefs(state)}


host = Host(
    app_id="notes",
    app_version="1.0.0",
    platform_ids=("*", "linux", "macos", "windows"),
    # Heavy modules contribute to the first two; extension mods get a button in the mods bar.
    ui_slots=("note-toolbar", "sidebar", "modsBar"),
    # Events extension hooks may subscribe to; modgate emits these after each commit.
    event_names=("command.executed", "command.queued", "state.changed", "tx.applied", "tx.rolled_back"),
    commands={spec.id: spec for spec in COMMANDS},
    # ``prefs``: the light user's preferences (notes_app/light.py); the light track writes there.
    state_domains=("doc", "sync", "local", "prefs"),
    initial_state=initial_state,
    light=notes_light(initial_state()),
)

__all__ = ["MOD", "PACKAGE", "host", "initial_state"]
