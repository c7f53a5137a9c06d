"""Parsing and validation of the resolver's inputs: devices, layout preferences, locks, intent.

Layout preferences are those of light-track.md §1.2, stored at ``/prefs/layout/<device>``.
A missing key takes its default; an unknown key or value is ``E_ADAPT_PREFERENCE_INVALID``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from modgate.adapt.errors import AdaptError, adapt_error
from modgate.adapt.geometry import TOUCH_TARGET_MIN

DEVICES: Final = ("web", "tablet", "mobile")
DATA_INPUT: Final = ("auto", "docked", "windowed", "collapsed")
DATA_INPUT_EDGE: Final = ("right", "left")
TOOLBAR_AUX: Final = ("auto", "shown", "collapsed")
CANVAS: Final = ("normal", "maximize")
PALETTE_MODE: Final = ("floating", "docked")
PALETTE_EDGE: Final = ("top", "right", "bottom", "left")
INTENT_SCHEMAS: Final = ("intent.normalized.v1", "light.intent.v1")
SURFACES: Final = ("style", "behavior", "layout", "content", "mixed")


def device_targets(raw: Any, path: str = "constraints.deviceTargets") -> tuple[str, ...]:
    """De-duplicated, ordered web, tablet, mobile; empty means all three."""
    if raw is None:
        return DEVICES
    if isinstance(raw, str) or not isinstance(raw, Sequence):
        raise adapt_error("E_ADAPT_DEVICE_TARGET_INVALID", path, "deviceTargets must be a list of device names.")
    for index, item in enumerate(raw):
        if item not in DEVICES:
            raise adapt_error("E_ADAPT_DEVICE_TARGET_INVALID", f"{path}[{index}]",
                              f"Unknown device {str(item)[:40]!r}; use web, tablet or mobile.", allowed=list(DEVICES))
    return tuple(d for d in DEVICES if d in raw) or DEVICES


def _choice(data: Mapping[str, Any], key: str, allowed: tuple[str, ...], default: str, path: str) -> str:
    value = data.get(key, default)
    if value not in allowed:
        raise adapt_error("E_ADAPT_PREFERENCE_INVALID", f"{path}/{key}",
                          f"{key} {str(value)[:40]!r} is not one of {', '.join(allowed)}.", allowed=list(allowed))
    return str(value)


def _mapping(data: Any, keys: frozenset[str], path: str) -> Mapping[str, Any]:
    if not isinstance(data, Mapping):
        raise adapt_error("E_ADAPT_PREFERENCE_INVALID", path, "Layout preferences must be an object.")
    unknown = sorted(str(k) for k in data if k not in keys)
    if unknown:
        raise adapt_error("E_ADAPT_PREFERENCE_INVALID", f"{path}/{unknown[0]}",
                          f"Unknown layout preference {unknown[0][:40]!r}.", allowed=sorted(keys))
    return data


@dataclass(frozen=True, slots=True, kw_only=True)
class ToolPalette:
    """The drawing-tools toolbar; naming an edge means docked there (as setToolbarDock reads it)."""

    mode: str = "floating"
    edge: str = "bottom"

    def to_dict(self) -> dict[str, str]:
        return {"mode": self.mode, "edge": self.edge}

    @classmethod
    def from_dict(cls, data: Any, path: str = "toolPalette") -> ToolPalette:
        data = _mapping(data, frozenset({"mode", "edge"}), path)
        mode = _choice(data, "mode", PALETTE_MODE, "docked" if "edge" in data else "floating", path)
        edge = _choice(data, "edge", PALETTE_EDGE, "bottom", path)
        return cls(mode=mode, edge=edge)


_PREF_KEYS: Final = frozenset({"dataInput", "dataInputEdge", "toolbarAux", "canvas", "toolPalette"})


@dataclass(frozen=True, slots=True, kw_only=True)
class LayoutPrefs:
    """One device's layout preferences (light-track.md §1.2); the defaults are the spec's."""

    data_input: str = "auto"
    data_input_edge: str = "right"
    toolbar_aux: str = "auto"
    canvas: str = "normal"
    tool_palette: ToolPalette = field(default_factory=ToolPalette)

    def to_dict(self) -> dict[str, Any]:
        return {"dataInput": self.data_input, "dataInputEdge": self.data_input_edge, "toolbarAux": self.toolbar_aux,
                "canvas": self.canvas, "toolPalette": self.tool_palette.to_dict()}

    @classmethod
    def from_dict(cls, data: Any, path: str = "prefs", palette: ToolPalette | None = None) -> LayoutPrefs:
        """``palette`` is the default tool palette (the host's ``toolbarPlacement``)."""
        data = _mapping(data, _PREF_KEYS, path)
        default_palette = palette or ToolPalette()
        return cls(
            data_input=_choice(data, "dataInput", DATA_INPUT, "auto", path),
            data_input_edge=_choice(data, "dataInputEdge", DATA_INPUT_EDGE, "right", path),
            toolbar_aux=_choice(data, "toolbarAux", TOOLBAR_AUX, "auto", path),
            canvas=_choice(data, "canvas", CANVAS, "normal", path),
            tool_palette=(ToolPalette.from_dict(data["toolPalette"], f"{path}/toolPalette")
                          if "toolPalette" in data else default_palette),
        )


def prefs_for(devices: Sequence[str], prefs_by_device: Mapping[str, Any] | None,
              palette: ToolPalette | None = None) -> dict[str, LayoutPrefs]:
    """Each target device's preferences (``/prefs/layout/<device>``; defaults where none)."""
    source = prefs_by_device or {}
    if not isinstance(source, Mapping):
        raise adapt_error("E_ADAPT_PREFERENCE_INVALID", "/prefs/layout", "Layout preferences must be an object.")
    return {d: LayoutPrefs.from_dict(_or_empty(source.get(d)), f"/prefs/layout/{d}", palette) for d in devices}


def _or_empty(value: Any) -> Any:
    """No stored preferences (None) means the defaults; any other non-object is refused later."""
    return {} if value is None else value


@dataclass(frozen=True, slots=True, kw_only=True)
class LockRequest:
    """What a request asks of the locked controls; the defaults keep every lock.

    The light track fills this from a request such as "hide the reopen button" so that the
    refusal comes from the resolver, whatever the entry point.
    """

    launcher_visible: bool = True
    close_recover_visible: bool = True
    touch_target_px: int = TOUCH_TARGET_MIN

    def to_dict(self) -> dict[str, Any]:
        return {"launcherVisible": self.launcher_visible, "closeRecoverVisible": self.close_recover_visible,
                "touchTargetPx": self.touch_target_px}

    @classmethod
    def from_dict(cls, data: Any, path: str = "locks") -> LockRequest:
        if not isinstance(data, Mapping):
            raise adapt_error("E_ADAPT_INTENT_INVALID", path, "locks must be an object.")
        out = cls(launcher_visible=data.get("launcherVisible", True),
                  close_recover_visible=data.get("closeRecoverVisible", True),
                  touch_target_px=data.get("touchTargetPx", TOUCH_TARGET_MIN))
        if type(out.launcher_visible) is not bool or type(out.close_recover_visible) is not bool \
                or type(out.touch_target_px) is not int:
            raise adapt_error("E_ADAPT_INTENT_INVALID", path, "locks holds two booleans and an integer.")
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class Intent:
    """The fields of ``intent.normalized.v1`` that task 252 reads."""

    schema_version: str
    intent_id: str
    surface: str
    device_targets: tuple[str, ...]
    must: tuple[str, ...]
    must_not: tuple[str, ...]
    safety_ok: bool  # safety.denyByDefault and safety.requiresApproval are both true

    @classmethod
    def from_dict(cls, data: Any) -> Intent:
        if not isinstance(data, Mapping):
            raise adapt_error("E_ADAPT_INTENT_INVALID", "$", "The intent must be an object.")
        constraints = _object(data, "constraints")
        safety = _object(data, "safety")
        return cls(
            schema_version=_enum(data.get("schemaVersion"), INTENT_SCHEMAS, "schemaVersion"),
            intent_id=_text(data.get("intentId"), "intentId"),
            surface=_enum(_object(data, "targets").get("surface"), SURFACES, "targets.surface"),
            device_targets=device_targets(constraints.get("deviceTargets", [])),
            must=_texts(constraints.get("must", []), "constraints.must"),
            must_not=_texts(constraints.get("mustNot", []), "constraints.mustNot"),
            safety_ok=safety.get("denyByDefault") is True and safety.get("requiresApproval") is True,
        )


def _object(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = data.get(key)
    if not isinstance(value, Mapping):
        raise adapt_error("E_ADAPT_INTENT_INVALID", key, f"The intent needs an object {key}.")
    return value


def _text(value: Any, path: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise adapt_error("E_ADAPT_INTENT_INVALID", path, f"{path} must be a non-empty string.")
    return value


def _enum(value: Any, allowed: tuple[str, ...], path: str) -> str:
    if value not in allowed:
        raise adapt_error("E_ADAPT_INTENT_INVALID", path, f"{path} must be one of {', '.join(allowed)}.")
    return str(value)


def _texts(value: Any, path: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise adapt_error("E_ADAPT_INTENT_INVALID", path, f"{path} must be a list of strings.")
    return tuple(value)


def stored_prefs(state: Mapping[str, Any]) -> tuple[Mapping[str, Any], ToolPalette]:
    """The stored ``/prefs/layout`` (empty when the ``prefs`` domain or the key is absent) and the
    default tool palette: the host's current ``/local/chrome/toolbarPlacement``.

    Values are checked later, per device, by :meth:`LayoutPrefs.from_dict`.
    """
    prefs = state.get("prefs")
    layout = prefs.get("layout", {}) if isinstance(prefs, Mapping) else {}
    if not isinstance(layout, Mapping):
        raise adapt_error("E_ADAPT_PREFERENCE_INVALID", "/prefs/layout", "Stored layout preferences are not an object.")
    local = state.get("local")
    chrome = local.get("chrome") if isinstance(local, Mapping) else None
    placement = chrome.get("toolbarPlacement") if isinstance(chrome, Mapping) else None
    try:
        palette = ToolPalette.from_dict(placement, "/local/chrome/toolbarPlacement") if placement else ToolPalette()
    except AdaptError:  # the host's own value is not ours to refuse; fall back to its initial value
        palette = ToolPalette()
    return layout, palette
