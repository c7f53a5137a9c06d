"""The board host's light vocabulary: its preferences, layout fields, shortcut actions and words.

Data only (light-track.md §1-§2). The light pipeline reads it through
:class:`modgate.light.vocab.LightVocabulary` and never names the board itself.
Relative steps (``thicker``, ``slower``, ...) are documented here and in docs/light.md.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from modgate.host.board_doc import initial_state
from modgate.light.vocab import LayoutField, LightVocabulary, PrefField, ShortcutAction

_T, _P = "/local/tool/", "/sync/playback/"

_PEN_TYPES = {"ink": ("ink", "normal pen", "ballpoint", "regular pen"), "pencil": ("pencil",),
              "highlighter": ("highlighter", "highlighting", "highlight")}
_LASER_TYPES = {"standard": ("standard", "normal", "regular", "dot"), "highlighter": ("highlighter", "highlight")}
_TOOLS = {"pen": ("pen", "marker", "ink", "felt tip", "drawing"), "eraser": ("eraser", "rubber"),
          "laser": ("laser", "pointer", "laser pointer"), "hand": ("hand", "hand tool", "move tool", "pan"),
          "text": ("text", "text tool", "typing", "type tool")}
_VIEW = {"edit": ("edit", "editing", "normal view", "edit mode"),
         "presentation": ("presentation", "present", "presenting", "present mode", "presentation mode",
                          "full screen")}
_COLORS = ("#000000", "#0000FF", "#FF0000", "#008000")
_WIDTH_LABELS: dict[str, str] = {}


def _pref(key: str, group: str, command: str, payload_key: str, path: str, kind: Any, surface: Any,
          entity: str, attribute: str, label: str, **extra: Any) -> PrefField:
    return PrefField(key=key, group=group, command=command, payload_key=payload_key, current_path=path,
                     kind=kind, surface=surface, entity=entity, attribute=attribute, label=label, **extra)


PREFS = (
    _pref("activeTool", "defaults", "setTool", "tool", _T + "activeTool", "enum", "behavior", "default_tool",
          "tool", "starting tool", value_words=_TOOLS,
          value_labels={"pen": "the pen", "eraser": "the eraser", "laser": "the laser pointer",
                        "hand": "the hand tool", "text": "the text tool"},
          suggestions=("pen", "eraser", "laser", "text")),
    _pref("penType", "defaults", "setPenType", "penType", _T + "penType", "enum", "style", "pen", "type",
          "pen type", value_words=_PEN_TYPES,
          value_labels={"ink": "ink", "pencil": "pencil", "highlighter": "highlighter"},
          suggestions=("ink", "pencil", "highlighter")),
    _pref("penColor", "defaults", "setPenColor", "color", _T + "penColor", "color", "style", "pen", "color",
          "pen colour", suggestions=_COLORS),
    _pref("penWidth", "defaults", "setPenWidth", "width", _T + "penWidth", "number", "style", "pen", "width",
          "pen thickness", step=2, unit="px", suggestions=(2, 4, 8, 12)),
    _pref("penOpacity", "defaults", "setPenOpacity", "opacity", _T + "penOpacity", "number", "style", "pen",
          "opacity", "pen opacity", step=10, unit="%", suggestions=(100, 75, 50, 25)),
    _pref("eraserWidth", "defaults", "setEraserWidth", "width", _T + "eraserWidth", "number", "style", "eraser",
          "width", "eraser size", step=8, unit="px", suggestions=(20, 40, 60, 80)),
    _pref("laserType", "defaults", "setLaserType", "laserType", _T + "laserType", "enum", "style", "laser",
          "type", "laser type", value_words=_LASER_TYPES,
          value_labels={"standard": "standard", "highlighter": "highlighter"},
          suggestions=("standard", "highlighter")),
    _pref("laserColor", "defaults", "setLaserColor", "color", _T + "laserColor", "color", "style", "laser",
          "color", "laser colour", suggestions=("#FF0000", "#008000", "#0000FF", "#FFFF00")),
    _pref("laserWidth", "defaults", "setLaserWidth", "width", _T + "laserWidth", "number", "style", "laser",
          "width", "laser size", step=2, unit="px", suggestions=(4, 8, 16, 28)),
    _pref("viewMode", "defaults", "setViewMode", "mode", "/local/view/viewMode", "enum", "behavior",
          "presentation_mode", "mode", "view at start", value_words=_VIEW,
          value_labels={"edit": "editing view", "presentation": "presentation view"},
          suggestions=("presentation", "edit")),
    _pref("isAutoPlay", "playback", "toggleAutoPlay", "value", _P + "isAutoPlay", "bool", "behavior", "playback",
          "autoplay", "auto-play", suggestions=(True, False)),
    _pref("autoPlayDelayMs", "playback", "setAutoPlayDelay", "delayMs", _P + "autoPlayDelayMs", "number",
          "behavior", "playback", "delay", "auto-play delay", step=500, unit="ms",
          suggestions=(500, 1000, 2000, 3000)),
    _pref("playbackSpeed", "playback", "setPlaybackSpeed", "speed", _P + "playbackSpeed", "number", "behavior",
          "playback", "speed", "playback speed", step=0.25, unit="x", suggestions=(0.5, 1, 1.5, 2)),
)

LAYOUT = (
    LayoutField(key="dataInput", entity="data_input_panel", values=("auto", "docked", "windowed", "collapsed"),
                default="auto", label="input panel"),
    LayoutField(key="dataInputEdge", entity="data_input_panel", values=("right", "left"), default="right",
                label="input panel side"),
    LayoutField(key="toolbarAux", entity="toolbar_aux", values=("auto", "shown", "collapsed"), default="auto",
                label="extra toolbar"),
    LayoutField(key="canvas", entity="canvas", values=("normal", "maximize"), default="normal",
                label="writing area"),
    LayoutField(key="toolPalette", entity="tool_palette", values=("floating", "docked"), default=None,
                label="tool bar"),
)

ENTITIES = {
    "canvas": ("canvas", "board", "page", "writing space", "writing area", "whiteboard", "room to write",
               "space to write", "drawing area", "work area", "room", "space"),
    "data_input_panel": ("input panel", "data panel", "data input", "input box", "entry panel", "data input panel",
                         "input window", "side panel", "input"),
    "toolbar_aux": ("extra toolbar", "second toolbar", "aux toolbar", "other toolbar", "secondary toolbar",
                    "extra bar", "second bar", "extra tools", "auxiliary toolbar"),
    "tool_palette": ("toolbar", "tools", "tool bar", "tool palette", "palette", "drawing tools", "tools bar",
                     "tool box", "toolbox"),
    "launcher": ("launcher", "reopen button", "launch button", "open button", "round button"),
    "close_button": ("close button", "x button", "close control", "close", "the x", "x", "recover button"),
    "panel_toggle": ("panel switch", "panel toggle", "open close switch", "toggle"),
    "pen": _TOOLS["pen"] + ("highlighter", "pencil"),
    "eraser": _TOOLS["eraser"],
    "laser": _TOOLS["laser"],
    "hand_tool": _TOOLS["hand"],
    "text_tool": _TOOLS["text"],
    "playback": ("playback", "slideshow", "slide show", "animation", "autoplay", "auto play", "auto-play",
                 "playing", "play", "reveal", "steps play"),
    "presentation_mode": _VIEW["presentation"],
    "page_navigation": ("next page", "previous page", "page turn", "next slide", "previous slide", "last page"),
    "step_navigation": ("next step", "previous step", "step back", "step forward"),
}

ATTRIBUTES = {
    "color": ("color", "colour", "colors", "colours", "shade", "ink color", "tint"),
    "width": ("width", "thickness", "thick", "thin", "size", "wide", "narrow", "stroke", "line", "lines",
              "thicker", "thinner", "bigger", "smaller", "wider", "fatter", "skinnier", "larger", "broad"),
    "opacity": ("opacity", "transparency", "transparent", "see through", "see-through", "opaque", "faded",
                "strength"),
    "type": ("type", "kind", "style", "nib"),
    "delay": ("delay", "pause", "wait", "gap", "interval", "time between", "seconds between"),
    "speed": ("speed", "fast", "faster", "slow", "slower", "quicker", "quick", "pace", "tempo", "rate"),
    "autoplay": ("autoplay", "auto play", "auto-play", "automatically", "play by itself", "on its own",
                 "automatic"),
    "mode": ("mode", "view", "start in", "open in", "starts in"),
    "tool": ("default tool", "starting tool", "start with", "tool at start", "begin with"),
}

DEVICES = {
    "web": ("web", "computer", "laptop", "desktop", "browser", "pc", "mac", "chromebook", "big screen"),
    "tablet": ("tablet", "ipad", "tab", "galaxy tab"),
    "mobile": ("mobile", "phone", "smartphone", "iphone", "cell", "cellphone", "android phone"),
}

SLOTS = {
    "chrome-top-toolbar": ("top bar", "top toolbar", "top", "header", "top of the screen", "upper bar"),
    "toolbar-bottom": ("bottom bar", "bottom toolbar", "bottom", "footer", "lower bar"),
    "toolbar-inline": ("next to the tools", "beside the tools", "inline", "tool row", "with the tools"),
    "left-panel": ("left panel", "left side", "left", "side bar", "sidebar"),
}

SHORTCUTS = (
    ShortcutAction(name="eraser", label="Eraser", command="setTool", payload={"tool": "eraser"}, icon="eraser",
                   words=("eraser", "rubber")),
    ShortcutAction(name="pen", label="Pen", command="setTool", payload={"tool": "pen"}, icon="pen",
                   words=("pen", "marker")),
    ShortcutAction(name="laser", label="Laser", command="setTool", payload={"tool": "laser"}, icon="laser",
                   words=("laser", "pointer")),
    ShortcutAction(name="hand", label="Hand", command="setTool", payload={"tool": "hand"}, icon="hand",
                   words=("hand", "move")),
    ShortcutAction(name="text", label="Text", command="setTool", payload={"tool": "text"}, icon="text",
                   words=("text", "typing")),
    ShortcutAction(name="present", label="Present", command="setViewMode", payload={"mode": "presentation"},
                   icon="monitor", words=("present", "presentation", "presenting")),
    ShortcutAction(name="edit", label="Edit", command="setViewMode", payload={"mode": "edit"}, icon="edit",
                   words=("edit", "editing")),
    ShortcutAction(name="next-page", label="Next page", command="nextPage", payload={}, icon="arrow-right",
                   words=("next page", "next slide", "page forward")),
    ShortcutAction(name="previous-page", label="Previous page", command="prevPage", payload={}, icon="arrow-left",
                   words=("previous page", "prev page", "previous slide", "page back", "last page")),
    ShortcutAction(name="next-step", label="Next step", command="nextStep", payload={}, icon="step-forward",
                   words=("next step", "step forward")),
    ShortcutAction(name="previous-step", label="Previous step", command="prevStep", payload={}, icon="step-back",
                   words=("previous step", "step back")),
    ShortcutAction(name="play", label="Play", command="triggerPlay", payload={}, icon="play",
                   words=("play", "start")),
    ShortcutAction(name="pause", label="Pause", command="togglePause", payload={}, icon="pause",
                   words=("pause",)),
    ShortcutAction(name="highlighter", label="Highlighter", command="setPenType", payload={"penType": "highlighter"},
                   icon="highlighter", words=("highlighter",)),
)


def initial_prefs() -> dict[str, Any]:
    """The ``prefs`` domain of a new home: the host's initial values (light-track §1.1-1.2)."""
    state = initial_state()
    tool, playback = state["local"]["tool"], state["sync"]["playback"]
    defaults = {key: tool[key] for key in ("activeTool", "penType", "penColor", "penWidth", "penOpacity",
                                           "eraserWidth", "laserType", "laserColor", "laserWidth")}
    defaults["viewMode"] = state["local"]["view"]["viewMode"]
    placement = state["local"]["chrome"]["toolbarPlacement"]
    device = {"dataInput": "auto", "dataInputEdge": "right", "toolbarAux": "auto", "canvas": "normal",
              "toolPalette": dict(placement)}
    return {"defaults": defaults,
            "playback": {k: playback[k] for k in ("isAutoPlay", "autoPlayDelayMs", "playbackSpeed")},
            "layout": {d: dict(device, toolPalette=dict(placement)) for d in ("web", "tablet", "mobile")}}


@cache
def board_light() -> LightVocabulary:
    return LightVocabulary(
        host_id="board", prefs=PREFS, layout=LAYOUT, devices=DEVICES, entities=ENTITIES, attributes=ATTRIBUTES,
        slots=SLOTS, default_slot="chrome-top-toolbar", shortcut_actions=SHORTCUTS, shortcut_module_id="light-user",
        shortcut_module_name="My shortcuts", locked_entities=("launcher", "close_button"), default_tool="pen",
        initial_prefs=initial_prefs())
