"""Rectangles, viewports and the task 238 redline constants and formulas (pure integer geometry).

Every rectangle is ``{x, y, width, height}`` in CSS pixels with the origin at the top-left corner;
all coordinates are integers, so canonical JSON never meets a float and hashes are stable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Final

from modgate.adapt.errors import adapt_error

# --- task 238 redline constants (conformance/SY-Math-Slate/design_drafts/layout_task238_redlines.json)
CHROME_TOP: Final = 60
CHROME_BOTTOM: Final = 60
LAUNCHER_SIZE: Final = 56
LAUNCHER_OFFSET: Final = 24
CLAMP_INSET: Final = 16
TOUCH_TARGET_MIN: Final = 44
DOCKED_DATA_INPUT_WIDTH: Final = 320
TOOLBAR_AUX_HEIGHT: Final = 56
# The close/recover control drawn at the top-right corner of every shown panel.
CLOSE_CONTROL_SIZE: Final = TOUCH_TARGET_MIN

# Accepted viewports: anything from 1x1 up to MAX_VIEWPORT_SIDE per side. Larger is not a screen
# (the biggest 8K displays are 7680 wide); tiny viewports are accepted and resolve to blocked_safe.
MAX_VIEWPORT_SIDE: Final = 10000
_VIEWPORT_TEXT: Final = re.compile(r"\s*([0-9]{1,9})\s*[xX\u00d7]\s*([0-9]{1,9})\s*\Z")


@dataclass(frozen=True, slots=True, kw_only=True)
class Rect:
    x: int
    y: int
    width: int
    height: int

    @property
    def right(self) -> int:
        return self.x + self.width

    @property
    def bottom(self) -> int:
        return self.y + self.height

    @property
    def area(self) -> int:
        return max(self.width, 0) * max(self.height, 0)

    def intersects(self, other: Rect) -> bool:
        """True when the two rectangles share interior area (touching edges do not count)."""
        return self.x < other.right and other.x < self.right and self.y < other.bottom and other.y < self.bottom

    def contains(self, other: Rect) -> bool:
        return self.x <= other.x and self.y <= other.y and other.right <= self.right and other.bottom <= self.bottom

    def to_dict(self) -> dict[str, int]:
        return {"x": self.x, "y": self.y, "width": self.width, "height": self.height}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Rect:
        return cls(x=data["x"], y=data["y"], width=data["width"], height=data["height"])


@dataclass(frozen=True, slots=True, kw_only=True)
class Viewport:
    width: int
    height: int

    @property
    def label(self) -> str:
        return f"{self.width}x{self.height}"

    def to_dict(self) -> dict[str, int]:
        return {"width": self.width, "height": self.height}

    @classmethod
    def from_dict(cls, data: Any, path: str = "viewport") -> Viewport:
        if not isinstance(data, dict) or set(data) != {"width", "height"}:
            raise adapt_error("E_ADAPT_VIEWPORT_INVALID", path, "A viewport is {width, height}.")
        return make_viewport(data["width"], data["height"], path)


REFERENCE_VIEWPORTS: Final = {
    "web": Viewport(width=1440, height=1080),
    "tablet": Viewport(width=768, height=1024),
    "mobile": Viewport(width=390, height=844),
}
CANONICAL_TABLET_VIEWPORTS: Final = (
    Viewport(width=768, height=1024),
    Viewport(width=820, height=1180),
    Viewport(width=1024, height=768),
    Viewport(width=1180, height=820),
)


def make_viewport(width: Any, height: Any, path: str = "viewport") -> Viewport:
    """A checked viewport: integers (not booleans) from 1 to MAX_VIEWPORT_SIDE."""
    for name, side in (("width", width), ("height", height)):
        if type(side) is not int:
            raise adapt_error("E_ADAPT_VIEWPORT_INVALID", f"{path}.{name}", f"The viewport {name} must be an integer.")
        if not 1 <= side <= MAX_VIEWPORT_SIDE:
            raise adapt_error("E_ADAPT_VIEWPORT_INVALID", f"{path}.{name}",
                              f"The viewport {name} {side} is outside 1..{MAX_VIEWPORT_SIDE} px.")
    return Viewport(width=width, height=height)


def parse_viewport(text: Any, path: str = "viewport") -> Viewport:
    """``"WxH"`` (``x``, ``X`` or ``×``) -> Viewport; anything else is E_ADAPT_VIEWPORT_INVALID."""
    match = _VIEWPORT_TEXT.match(text) if isinstance(text, str) and len(text) <= 40 else None
    if match is None:
        raise adapt_error("E_ADAPT_VIEWPORT_INVALID", path,
                          f"The viewport {str(text)[:40]!r} is not WIDTHxHEIGHT in whole pixels (e.g. 768x1024).")
    return make_viewport(int(match.group(1)), int(match.group(2)), path)


@dataclass(frozen=True, slots=True, kw_only=True)
class Frame:
    """The fixed regions of one viewport (task 238 formulas)."""

    viewport: Viewport
    safe: Rect  # {0, 60, W, H-120}: between the top and bottom chrome
    launcher: Rect  # {24, H-140, 56, 56}
    clamp: Rect  # {16, 76, W-32, H-152}: where windowed panels may be dragged

    @property
    def feasible(self) -> bool:
        """The launcher fits, whole, inside the safe region (else nothing can be recovered)."""
        return self.safe.width > 0 and self.safe.height > 0 and self.safe.contains(self.launcher)


def frame(viewport: Viewport) -> Frame:
    w, h = viewport.width, viewport.height
    return Frame(
        viewport=viewport,
        safe=Rect(x=0, y=CHROME_TOP, width=w, height=h - CHROME_TOP - CHROME_BOTTOM),
        launcher=Rect(x=LAUNCHER_OFFSET, y=h - CHROME_BOTTOM - LAUNCHER_OFFSET - LAUNCHER_SIZE,
                      width=LAUNCHER_SIZE, height=LAUNCHER_SIZE),
        clamp=Rect(x=CLAMP_INSET, y=CHROME_TOP + CLAMP_INSET, width=w - 2 * CLAMP_INSET,
                   height=h - CHROME_TOP - CHROME_BOTTOM - 2 * CLAMP_INSET),
    )


def close_control(panel: Rect) -> Rect:
    """The close/recover control of a shown panel: 44x44 at its top-right corner."""
    return Rect(x=panel.right - CLOSE_CONTROL_SIZE, y=panel.y, width=CLOSE_CONTROL_SIZE, height=CLOSE_CONTROL_SIZE)
