"""Responsive adaptation figures (modgate.adapt, task 252).

* ``adapt.resolve_us``: ``resolve_layout`` for one device (tablet, reference viewport) and one
  preference set, in-process: preference parsing, the profile, the repair sequence (the tablet
  default runs one launcher-occlusion repair), the safety check and the sha256 of the canonical
  rules. Median of batches. Target <= 200 us (it runs on every keystroke of the live preview).
* ``adapt.resolve_all_us``: the same for all three devices at once.
* ``adapt.sweep_1k_ms``: 1,000 viewports (a fixed grid over 320x480..2560x1600) x 3 devices, one
  preference set. Median of repeats. Target <= 600 ms.
* ``adapt.report_us``: ``Adaptation.report()`` for three devices (it resolves each target once
  more to prove determinism).
"""

from __future__ import annotations

from typing import Any

from benchutil import median_ms, per_call_ns

PREFS = {"web": {"dataInput": "docked"}, "tablet": {"dataInputEdge": "right", "toolbarAux": "auto"},
         "mobile": {"toolbarAux": "shown"}}


def viewports(count: int = 1000) -> list[Any]:
    from modgate.adapt import Viewport

    side = 40  # 40 widths x 25 heights = 1,000 viewports
    widths = [320 + (2560 - 320) * i // (side - 1) for i in range(side)]
    heights = [480 + (1600 - 480) * j // (count // side - 1) for j in range(count // side)]
    return [Viewport(width=w, height=h) for w in widths for h in heights]


def run(quick: bool) -> dict[str, Any]:
    from modgate.adapt import resolve_layout

    grid = viewports()
    assert len(grid) == 1000

    def sweep() -> None:
        for viewport in grid:
            resolve_layout(PREFS, (), viewport)

    adaptation = resolve_layout(PREFS)
    return {"adapt": {
        "resolve_us": round(per_call_ns(lambda: resolve_layout(PREFS, ["tablet"]), number=200,
                                        repeat=5 if quick else 20) / 1000, 1),
        "resolve_all_us": round(per_call_ns(lambda: resolve_layout(PREFS), number=100,
                                            repeat=5 if quick else 20) / 1000, 1),
        "report_us": round(per_call_ns(adaptation.report, number=100, repeat=5 if quick else 20) / 1000, 1),
        "sweep_1k_ms": median_ms(sweep, repeat=3 if quick else 10),
    }}
