"""A host's light vocabulary: what a light user may change on it, declared as data.

The light pipeline never names a host: everything it knows about "pen colour" or "the top bar"
comes from a :class:`LightVocabulary` the host supplies (the board's is in
:mod:`modgate.host.board_light`). A preference is a :class:`PrefField`: where the preference
lives under ``/prefs``, the host command whose payload schema validates it, the payload key, the
current-value path that command writes, a relative step, and the words people use for it.
Pure data; no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

Kind = Literal["color", "number", "enum", "bool"]
Surface = Literal["style", "behavior", "layout", "content"]


@dataclass(frozen=True, slots=True, kw_only=True)
class PrefField:
    """One preference: ``/prefs/<group>/<key>``, set through ``command`` with ``{payload_key: value}``."""

    key: str
    group: str
    command: str
    payload_key: str
    current_path: str
    kind: Kind
    surface: Surface
    entity: str
    attribute: str
    label: str
    step: float | None = None
    unit: str = ""
    # plain words for enum values (value -> words) and the value labels a person reads
    value_words: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    value_labels: Mapping[str, str] = field(default_factory=dict)
    # complete example values offered when a value is missing (never the current one)
    suggestions: tuple[Any, ...] = ()

    @property
    def pointer(self) -> str:
        """Where the preference lives: ``/prefs/<group>/<key>``."""
        return f"/prefs/{self.group}/{self.key}"

    def to_dict(self) -> dict[str, Any]:
        """The field as JSON (camelCase keys), as the LLM prompt and the studio show it."""
        return {"key": self.key, "group": self.group, "command": self.command, "payloadKey": self.payload_key,
                "currentPath": self.current_path, "kind": self.kind, "surface": self.surface,
                "entity": self.entity, "attribute": self.attribute, "label": self.label, "step": self.step,
                "unit": self.unit}


@dataclass(frozen=True, slots=True, kw_only=True)
class LayoutField:
    """One per-device layout preference: ``/prefs/layout/<device>/<key>``."""

    key: str
    entity: str
    values: tuple[str, ...]
    default: Any
    label: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ShortcutAction:
    """What a shortcut button can do: a host command with a fixed payload."""

    name: str
    label: str
    command: str
    payload: Mapping[str, Any]
    icon: str
    words: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class LightVocabulary:
    """Everything the light pipeline knows about one host (see docs/light.md, "For hosts").

    Compared and hashed by identity (``eq=False``) so derived tables can be cached per vocabulary.
    """

    host_id: str
    prefs: tuple[PrefField, ...]
    layout: tuple[LayoutField, ...]
    devices: Mapping[str, tuple[str, ...]]
    entities: Mapping[str, tuple[str, ...]]
    attributes: Mapping[str, tuple[str, ...]]
    slots: Mapping[str, tuple[str, ...]]
    default_slot: str
    shortcut_actions: tuple[ShortcutAction, ...]
    shortcut_module_id: str
    shortcut_module_name: str
    # entities a light user may never hide or shrink (policy locks)
    locked_entities: tuple[str, ...]
    # the tool a colour/width/type request means when no tool is named
    default_tool: str
    # the preference groups seeded into /prefs
    initial_prefs: Mapping[str, Any]
    # the lowest host version the light user's shortcut package declares it works with
    shortcut_min_app_version: str = "10.0.0"

    def pref(self, key: str) -> PrefField | None:
        """The preference called ``key``, or None."""
        return next((p for p in self.prefs if p.key == key), None)

    def pref_for(self, entity: str, attribute: str) -> PrefField | None:
        """The preference for ``entity``'s ``attribute`` (the pen's colour), or None."""
        return next((p for p in self.prefs if p.entity == entity and p.attribute == attribute), None)

    def layout_field(self, key: str) -> LayoutField | None:
        """The layout field called ``key``, or None."""
        return next((f for f in self.layout if f.key == key), None)

    def action(self, name: str) -> ShortcutAction | None:
        """The shortcut action called ``name``, or None."""
        return next((a for a in self.shortcut_actions if a.name == name), None)
