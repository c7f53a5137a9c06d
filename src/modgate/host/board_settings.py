"""Handlers of the board's playback (sync) and tool/chrome (local) commands.

Small field setters, toggles and signal counters; pure like every board handler (see
:mod:`modgate.host.board_handlers`). Pen/laser presets are documented in :mod:`modgate.host.board_doc`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from modgate.host import board_doc as bd
from modgate.host.model import FieldSetter
from modgate.state import JsonObject, StateView

HandlerFn = Callable[[StateView, JsonObject], JsonObject]


# --- playback -------------------------------------------------------------------------------------

_PLAYBACK = "/sync/playback/"


def _toggle(field: str) -> HandlerFn:
    def handler(view: StateView, payload: JsonObject) -> JsonObject:
        value = payload["value"] if "value" in payload else not view.get(_PLAYBACK + field, False)
        view.set(_PLAYBACK + field, value)
        return {field: value}

    return handler


def _signal(field: str, *, animating: bool = False) -> HandlerFn:
    def handler(view: StateView, payload: JsonObject) -> JsonObject:
        value = int(view.get(_PLAYBACK + field, 0) or 0) + 1
        view.set(_PLAYBACK + field, value)
        if animating:
            view.set(_PLAYBACK + "isAnimating", True)
        return {field: value}

    return handler


def _setter(path: str, key: str, convert: Callable[[Any], Any] | None = None) -> HandlerFn:
    """A handler storing ``convert(payload[key])`` at ``path`` and returning it under the field name:
    declared as data, so the bus compiles it into a direct plan (:class:`FieldSetter`)."""
    return FieldSetter(path=path, key=key, convert=convert)


def round_ms(value: float) -> int:
    """Round half up to a whole millisecond (as JavaScript's Math.round does)."""
    return math.floor(value + 0.5)


# --- local tool / chrome --------------------------------------------------------------------------

_TOOL = "/local/tool/"


def _preset_setter(type_field: str, presets: Mapping[str, Mapping[str, Any]]) -> HandlerFn:
    def handler(view: StateView, payload: JsonObject) -> JsonObject:
        chosen = payload[type_field]
        view.set(_TOOL + type_field, chosen)
        for field, value in presets[chosen].items():
            view.set(_TOOL + field, value)
        return {type_field: chosen, **{f: view.get(_TOOL + f) for f in _preset_fields(presets)}}

    return handler


def _preset_fields(presets: Mapping[str, Mapping[str, Any]]) -> list[str]:
    return sorted({field for preset in presets.values() for field in preset})


def set_tool(view: StateView, payload: JsonObject) -> JsonObject:
    view.set(_TOOL + "activeTool", payload["tool"])
    view.set("/local/chrome/openPanel", "none")
    view.set("/local/chrome/isPanelOpen", False)
    return {"activeTool": payload["tool"]}


def set_toolbar_dock(view: StateView, payload: JsonObject) -> JsonObject:
    current = view.get("/local/chrome/toolbarPlacement") or {}
    if payload.get("mode") == "floating":
        placement = {"mode": "floating", "edge": current.get("edge", "bottom")}
    else:
        placement = {"mode": "docked", "edge": payload["edge"]}
    view.set("/local/chrome/toolbarPlacement", placement)
    return {"toolbarPlacement": placement}


SETTINGS_HANDLERS: Mapping[str, HandlerFn] = {
    "setAnimating": _setter(_PLAYBACK + "isAnimating", "value"),
    "setAutoPlayDelay": _setter(_PLAYBACK + "autoPlayDelayMs", "delayMs", round_ms),
    "setEraserWidth": _setter(_TOOL + "eraserWidth", "width"),
    "setLaserColor": _setter(_TOOL + "laserColor", "color", str.upper),
    "setLaserType": _preset_setter("laserType", bd.LASER_PRESETS),
    "setLaserWidth": _setter(_TOOL + "laserWidth", "width"),
    "setPenColor": _setter(_TOOL + "penColor", "color", str.upper),
    "setPenOpacity": _setter(_TOOL + "penOpacity", "opacity"),
    "setPenType": _preset_setter("penType", bd.PEN_PRESETS),
    "setPenWidth": _setter(_TOOL + "penWidth", "width"),
    "setPlaybackSpeed": _setter(_PLAYBACK + "playbackSpeed", "speed"),
    "setTool": set_tool,
    "setToolbarDock": set_toolbar_dock,
    "setViewMode": _setter("/local/view/viewMode", "mode"),
    "toggleAutoPlay": _toggle("isAutoPlay"),
    "togglePause": _toggle("isPaused"),
    "triggerPlay": _signal("playSignal", animating=True),
    "triggerSkip": _signal("skipSignal"),
    "triggerStop": _signal("stopSignal"),
}
