"""The three device profiles of task 252 and the redline candidates each starts from.

A profile turns one device's layout preferences into a *requested* layout: every panel's mode
and its task 238 redline rectangle. The resolver then repairs that layout for the viewport.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from modgate.adapt.geometry import DOCKED_DATA_INPUT_WIDTH, TOOLBAR_AUX_HEIGHT, Frame, Rect, Viewport, frame
from modgate.adapt.inputs import LayoutPrefs

PANELS: Final = ("dataInput", "toolbarAux")
# Modes a panel resolves to (never "auto").
DOCKED, WINDOWED, SHEET, COLLAPSED = "docked", "windowed", "sheet", "collapsed"
# Windowed sizes (task 238 panelMinMaxSize); docked panels and sheets follow their formulas.
MIN_SIZE: Final = {"dataInput": (320, 240), "toolbarAux": (240, 56)}
MAX_SIZE: Final = {"dataInput": (640, 800), "toolbarAux": (480, 56)}
WINDOWED_RECT: Final = {"dataInput": Rect(x=100, y=150, width=320, height=400),
                        "toolbarAux": Rect(x=450, y=150, width=240, height=56)}


@dataclass(frozen=True, slots=True, kw_only=True)
class Profile:
    profile_id: str
    device: str
    reference: Viewport
    data_input_auto: str  # what dataInput: auto resolves to
    toolbar_aux_mode: str  # the mode a shown ToolbarAux takes
    max_panels: int
    width_range: tuple[int, int] | None = None  # informative: the widths the profile was drawn for


PROFILES: Final = {
    "web": Profile(profile_id="web.windowed_dual.v1", device="web", reference=Viewport(width=1440, height=1080),
                   data_input_auto=WINDOWED, toolbar_aux_mode=WINDOWED, max_panels=2),
    "tablet": Profile(profile_id="tablet.docked_dual.v1", device="tablet", reference=Viewport(width=768, height=1024),
                      data_input_auto=DOCKED, toolbar_aux_mode=DOCKED, max_panels=2, width_range=(768, 1180)),
    "mobile": Profile(profile_id="mobile.single_panel_recoverable.v1", device="mobile",
                      reference=Viewport(width=390, height=844), data_input_auto=SHEET, toolbar_aux_mode=DOCKED,
                      max_panels=1),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Placement:
    mode: str
    rect: Rect | None  # None when collapsed

    def to_dict(self) -> dict[str, Any]:
        return {"mode": self.mode, "rect": self.rect.to_dict() if self.rect else None}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Placement:
        return cls(mode=data["mode"], rect=Rect.from_dict(data["rect"]) if data["rect"] else None)


COLLAPSED_PLACEMENT: Final = Placement(mode=COLLAPSED, rect=None)


@dataclass(frozen=True, slots=True, kw_only=True)
class Request:
    """What the profile and the preferences ask of one panel before any repair."""

    placement: Placement
    explicit: bool  # the user named a mode (not auto): overriding it is a `must` conflict
    overruled: bool = False  # the device profile already refused what the user named


def docked_data_input(viewport: Viewport, edge: str) -> Rect:
    """Tablet formula ``x=W-320, y=60, w=320, h=H-120`` (``x=0`` at the left edge)."""
    x = 0 if edge == "left" else viewport.width - DOCKED_DATA_INPUT_WIDTH
    return Rect(x=x, y=60, width=DOCKED_DATA_INPUT_WIDTH, height=viewport.height - 120)


def docked_toolbar_aux(viewport: Viewport, data_input: Rect | None) -> Rect:
    """Tablet formula ``x=0, y=H-116, w=W-320, h=56``: the bottom row beside a docked DataInput."""
    y = viewport.height - 116
    if data_input is None:
        return Rect(x=0, y=y, width=viewport.width, height=TOOLBAR_AUX_HEIGHT)
    if data_input.x == 0:
        return Rect(x=data_input.width, y=y, width=viewport.width - data_input.width, height=TOOLBAR_AUX_HEIGHT)
    return Rect(x=0, y=y, width=data_input.x, height=TOOLBAR_AUX_HEIGHT)


def sheet(viewport: Viewport) -> Rect:
    return Rect(x=0, y=60, width=viewport.width, height=viewport.height - 120)


def _data_input(profile: Profile, prefs: LayoutPrefs, viewport: Viewport) -> Request:
    wanted = prefs.data_input
    if prefs.canvas == "maximize" or wanted == COLLAPSED:
        return Request(placement=COLLAPSED_PLACEMENT, explicit=False)
    mode = profile.data_input_auto if wanted == "auto" or profile.device == "mobile" else wanted
    rect = {SHEET: sheet(viewport), WINDOWED: WINDOWED_RECT["dataInput"]}.get(mode) \
        or docked_data_input(viewport, prefs.data_input_edge)
    return Request(placement=Placement(mode=mode, rect=rect), explicit=wanted != "auto")


def _toolbar_aux(profile: Profile, prefs: LayoutPrefs, viewport: Viewport, data_input: Placement) -> Request:
    wanted = prefs.toolbar_aux
    if prefs.canvas == "maximize" or wanted == COLLAPSED:
        return Request(placement=COLLAPSED_PLACEMENT, explicit=False)
    if profile.device == "mobile":
        # One panel at most: when both are asked for, DataInput wins and ToolbarAux collapses to
        # the launcher. Only an explicit "shown" makes that a conflict the user hears about.
        if data_input.mode != COLLAPSED:
            return Request(placement=COLLAPSED_PLACEMENT, explicit=False, overruled=wanted == "shown")
        rect = Rect(x=0, y=viewport.height - 116, width=viewport.width, height=TOOLBAR_AUX_HEIGHT)
        return Request(placement=Placement(mode=DOCKED, rect=rect), explicit=False)
    if profile.toolbar_aux_mode == WINDOWED:
        return Request(placement=Placement(mode=WINDOWED, rect=WINDOWED_RECT["toolbarAux"]), explicit=False)
    docked = data_input.rect if data_input.mode == DOCKED else None
    return Request(placement=Placement(mode=DOCKED, rect=docked_toolbar_aux(viewport, docked)), explicit=False)


def requested_layout(profile: Profile, prefs: LayoutPrefs, viewport: Viewport) -> dict[str, Request]:
    data_input = _data_input(profile, prefs, viewport)
    return {"dataInput": data_input,
            "toolbarAux": _toolbar_aux(profile, prefs, viewport, data_input.placement)}


def redline_candidates(viewport: Viewport) -> dict[str, Any]:
    """The task 238 candidate rectangles of one viewport, in the redline file's own shape."""
    fr: Frame = frame(viewport)
    docked = docked_data_input(viewport, "right")
    return {
        "canvasSafeRegion": fr.safe.to_dict(),
        "launcherAnchorHost": fr.launcher.to_dict(),
        "windowed": {p: WINDOWED_RECT[p].to_dict() for p in PANELS},
        "docked": {"dataInput": docked.to_dict(), "toolbarAux": docked_toolbar_aux(viewport, docked).to_dict()},
        "dragClampBounds": fr.clamp.to_dict(),
    }
