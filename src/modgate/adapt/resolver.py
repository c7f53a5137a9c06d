"""``responsive.conflict_resolver.v1``: repair a requested layout until it is safe, or block.

Priority (task 252): safety locks > recoverability (launcher visible, close/recover >= 44 px) >
geometry redlines > device profile > ``mustNot`` > ``must`` > cosmetics.

The repair sequence is fixed. Each pass finds the first conflict in this order and repairs it:

1. ``clamp`` — a windowed panel outside the drag-clamp bounds is moved (and shrunk, never below
   its minimum size) by the task 238 clamp formulas;
2. ``touchTargets`` — a shown panel whose close control cannot be a whole 44x44 target on screen,
   clear of the launcher, is collapsed (the launcher recovers it);
3. ``launcherOcclusion`` — a docked or windowed panel under the launcher (which is drawn above
   panels) is shifted, trimmed or moved off it; a sheet covers the whole safe region by
   definition and keeps the launcher floating over its corner;
4. ``toolbarAux`` — ToolbarAux that does not fit, overlaps DataInput or is a second panel on
   mobile is moved, else collapsed;
5. ``dataInput`` — DataInput that does not fit is docked, else collapsed;
6. anything left after MAX_PASSES passes -> ``blocked_safe``.

Where a step has several candidates, the tie-breaks choose: the higher priorities satisfied
(panels the profile shows stay shown, then modes the user named), the larger canvas area, fewer
transitions, the lexically smallest candidate id. There is no randomness and no clock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Final

from modgate.adapt.geometry import Frame, Rect, close_control
from modgate.adapt.profiles import (
    COLLAPSED,
    COLLAPSED_PLACEMENT,
    DOCKED,
    MAX_SIZE,
    MIN_SIZE,
    PANELS,
    SHEET,
    WINDOWED,
    Placement,
    Profile,
    Request,
    docked_data_input,
)

MAX_PASSES: Final = 12  # each repair moves a panel down a finite ladder; 12 is far more than needed
NORMAL, DEGRADED, BLOCKED = "normal", "degraded_recoverable", "blocked_safe"


@dataclass(frozen=True, slots=True, kw_only=True)
class Repair:
    step: str
    panel: str
    action: str

    def to_dict(self) -> dict[str, str]:
        return {"step": self.step, "panel": self.panel, "action": self.action}


@dataclass(frozen=True, slots=True, kw_only=True)
class Layout:
    """One state of the repair loop: where each panel is and how it got there."""

    data_input: Placement
    toolbar_aux: Placement
    repairs: tuple[Repair, ...] = ()

    def get(self, panel: str) -> Placement:
        return self.data_input if panel == "dataInput" else self.toolbar_aux

    def with_panel(self, panel: str, placement: Placement, repair: Repair) -> Layout:
        key = "data_input" if panel == "dataInput" else "toolbar_aux"
        return replace(self, **{key: placement}, repairs=(*self.repairs, repair))

    def shown(self) -> Iterator[tuple[str, Rect, str]]:
        for panel in PANELS:
            placement = self.get(panel)
            if placement.rect is not None:
                yield panel, placement.rect, placement.mode


@dataclass(frozen=True, slots=True, kw_only=True)
class Context:
    profile: Profile
    frame: Frame
    requests: dict[str, Request]
    edge: str  # dataInputEdge: where DataInput docks


# --- shared measures --------------------------------------------------------------------------
def region(ctx: Context, mode: str) -> Rect:
    """Windowed panels live inside the clamp bounds; docked panels and sheets in the safe region."""
    return ctx.frame.clamp if mode == WINDOWED else ctx.frame.safe


def fits(ctx: Context, panel: str, placement: Placement) -> bool:
    rect = placement.rect
    if rect is None:
        return True
    min_w, min_h = (44, 44) if placement.mode == SHEET else MIN_SIZE[panel]
    if rect.width < min_w or rect.height < min_h or not region(ctx, placement.mode).contains(rect):
        return False
    max_w, max_h = MAX_SIZE[panel]
    return placement.mode != WINDOWED or (rect.width <= max_w and rect.height <= max_h)


def canvas_area(ctx: Context, layout: Layout) -> int:
    """The safe region's area minus what docked panels and sheets cover (windowed ones float)."""
    covered = sum(rect.area for _, rect, mode in layout.shown() if mode != WINDOWED)
    return ctx.frame.safe.area - covered


def violations(ctx: Context, layout: Layout) -> tuple[int, int]:
    """(panels the profile shows that are collapsed, modes the user named that were changed)."""
    profile = must = 0
    for panel in PANELS:
        asked, now = ctx.requests[panel], layout.get(panel)
        profile += asked.placement.mode != COLLAPSED and now.mode == COLLAPSED
        must += asked.explicit and now.mode != asked.placement.mode
    return profile, must


def choose(ctx: Context, candidates: list[tuple[str, Layout]]) -> Layout:
    """The tie-breaks: priorities satisfied, larger canvas, fewer transitions, smallest id."""
    def key(item: tuple[str, Layout]) -> tuple[int, int, int, int, str]:
        cid, layout = item
        profile, must = violations(ctx, layout)
        return profile, must, -canvas_area(ctx, layout), len(layout.repairs), cid
    return min(candidates, key=key)[1]


def _other(panel: str) -> str:
    return "toolbarAux" if panel == "dataInput" else "dataInput"


def _placeable(ctx: Context, layout: Layout, panel: str, placement: Placement) -> bool:
    """Fits its region, clear of the launcher and of the other (higher-priority) panel."""
    rect = placement.rect
    if rect is None:
        return True
    if not fits(ctx, panel, placement) or (placement.mode != SHEET and rect.intersects(ctx.frame.launcher)):
        return False
    other = layout.get(_other(panel)).rect
    return panel == "dataInput" or other is None or not rect.intersects(other)


# --- detection, in sequence order --------------------------------------------------------------
def _needs_clamp(ctx: Context, layout: Layout) -> str | None:
    clamp = ctx.frame.clamp
    for panel, rect, mode in layout.shown():
        min_w, min_h = MIN_SIZE[panel]
        if mode == WINDOWED and not clamp.contains(rect) and clamp.width >= min_w and clamp.height >= min_h:
            return panel
    return None


def _needs_touch_fix(ctx: Context, layout: Layout) -> str | None:
    screen = Rect(x=0, y=0, width=ctx.frame.viewport.width, height=ctx.frame.viewport.height)
    for panel, rect, _ in layout.shown():
        if not fits(ctx, panel, layout.get(panel)):
            continue  # a panel outside its region is its own step's job (4 or 5), not a touch-target one
        control = close_control(rect)
        if rect.width < 44 or rect.height < 44 or not screen.contains(control) \
                or control.intersects(ctx.frame.launcher):
            return panel
    return None


def _needs_launcher_fix(ctx: Context, layout: Layout) -> str | None:
    for panel, rect, mode in layout.shown():
        if mode != SHEET and rect.intersects(ctx.frame.launcher):
            return panel
    return None


def _needs_toolbar_fix(ctx: Context, layout: Layout) -> str | None:
    placement, data_input = layout.toolbar_aux, layout.data_input.rect
    if placement.rect is None:
        return None
    single = ctx.profile.max_panels < 2 and data_input is not None
    clash = data_input is not None and placement.rect.intersects(data_input)
    return "toolbarAux" if single or clash or not _placeable(ctx, layout, "toolbarAux", placement) else None


def _needs_data_input_fix(ctx: Context, layout: Layout) -> str | None:
    placement = layout.data_input
    return "dataInput" if not _placeable(ctx, layout, "dataInput", placement) else None


# --- repairs ------------------------------------------------------------------------------------
def _clamped(rect: Rect, clamp: Rect) -> Rect:
    """task 238 dragClampFormulas, after shrinking the panel to the bounds."""
    width, height = min(rect.width, clamp.width), min(rect.height, clamp.height)
    x = min(max(rect.x, clamp.x), clamp.right - width)
    y = min(max(rect.y, clamp.y), clamp.bottom - height)
    return Rect(x=x, y=y, width=width, height=height)


def _repair_clamp(ctx: Context, layout: Layout, panel: str) -> Layout:
    placement = layout.get(panel)
    assert placement.rect is not None
    moved = Placement(mode=WINDOWED, rect=_clamped(placement.rect, ctx.frame.clamp))
    return layout.with_panel(panel, moved, Repair(step="clamp", panel=panel, action="clamp"))


def _collapse(layout: Layout, panel: str, step: str) -> tuple[str, Layout]:
    return "collapse", layout.with_panel(panel, COLLAPSED_PLACEMENT, Repair(step=step, panel=panel, action="collapse"))


def _repair_touch(ctx: Context, layout: Layout, panel: str) -> Layout:
    return _collapse(layout, panel, "touchTargets")[1]


def _off_launcher(rect: Rect, launcher: Rect, mode: str) -> dict[str, Rect]:
    """Candidate rectangles clear of the launcher: docked panels keep their edges, windowed ones move."""
    if mode == DOCKED:
        return {"shift-right": Rect(x=launcher.right, y=rect.y, width=rect.right - launcher.right, height=rect.height),
                "trim-height": Rect(x=rect.x, y=rect.y, width=rect.width, height=launcher.y - rect.y)}
    return {"move-right": replace(rect, x=launcher.right), "move-up": replace(rect, y=launcher.y - rect.height)}


def _repair_launcher(ctx: Context, layout: Layout, panel: str) -> Layout:
    placement = layout.get(panel)
    assert placement.rect is not None
    candidates = []
    for cid, rect in _off_launcher(placement.rect, ctx.frame.launcher, placement.mode).items():
        moved = Placement(mode=placement.mode, rect=rect)
        if _placeable(ctx, layout, panel, moved):
            candidates.append((cid, layout.with_panel(panel, moved, Repair(step="launcherOcclusion", panel=panel,
                                                                            action=cid))))
    if not candidates:  # nothing clears the launcher: the panel's own step moves or collapses it
        return REPAIRS[panel](ctx, layout, panel)
    return choose(ctx, candidates)


def _free_span(row: Rect, blockers: list[Rect]) -> Rect | None:
    """The widest part of ``row`` no blocker covers (the leftmost of equals)."""
    edges = sorted((b.x, b.right) for b in blockers if b.intersects(row))
    best, start = None, row.x
    for left, right in [*edges, (row.right, row.right)]:
        if left - start > (best.width if best else 0):
            best = replace(row, x=start, width=left - start)
        start = max(start, right)
    return best


def _toolbar_candidates(ctx: Context, layout: Layout) -> Iterator[tuple[str, Placement]]:
    placement = layout.toolbar_aux
    assert placement.rect is not None
    if placement.mode == DOCKED:
        row = replace(placement.rect, x=0, width=ctx.frame.viewport.width)
        blockers = [ctx.frame.launcher, *(r for p, r, _ in layout.shown() if p == "dataInput")]
        span = _free_span(row, blockers)
        if span is not None:
            yield "fit-bottom", Placement(mode=DOCKED, rect=span)
        return
    clamp = ctx.frame.clamp
    w, h = min(placement.rect.width, clamp.width), placement.rect.height
    for vertical, y in (("top", clamp.y), ("bottom", clamp.bottom - h)):
        for horizontal, x in (("left", clamp.x), ("right", clamp.right - w)):
            yield f"corner-{vertical}-{horizontal}", Placement(mode=WINDOWED, rect=Rect(x=x, y=y, width=w, height=h))


def _repair_toolbar(ctx: Context, layout: Layout, panel: str) -> Layout:
    candidates = [_collapse(layout, panel, "toolbarAux")]
    if ctx.profile.max_panels >= 2:
        for cid, moved in _toolbar_candidates(ctx, layout):
            if _placeable(ctx, layout, panel, moved):
                candidates.append((cid, layout.with_panel(panel, moved, Repair(step="toolbarAux", panel=panel,
                                                                                action=cid))))
    return choose(ctx, candidates)


def _data_input_candidates(ctx: Context, layout: Layout) -> Iterator[tuple[str, Placement]]:
    if layout.data_input.mode in (WINDOWED, DOCKED) and ctx.profile.max_panels >= 2:
        docked = docked_data_input(ctx.frame.viewport, ctx.edge)
        yield "dock", Placement(mode=DOCKED, rect=docked)
        trimmed = replace(docked, height=ctx.frame.launcher.y - docked.y)
        yield "dock-trim-height", Placement(mode=DOCKED, rect=trimmed)


def _repair_data_input(ctx: Context, layout: Layout, panel: str) -> Layout:
    candidates = [_collapse(layout, panel, "dataInput")]
    for cid, moved in _data_input_candidates(ctx, layout):
        if _placeable(ctx, layout, panel, moved):
            candidates.append((cid, layout.with_panel(panel, moved, Repair(step="dataInput", panel=panel, action=cid))))
    return choose(ctx, candidates)


REPAIRS: Final[dict[str, Callable[[Context, Layout, str], Layout]]] = {
    "toolbarAux": _repair_toolbar, "dataInput": _repair_data_input}
STEPS: Final = (
    (_needs_clamp, _repair_clamp),
    (_needs_touch_fix, _repair_touch),
    (_needs_launcher_fix, _repair_launcher),
    (_needs_toolbar_fix, _repair_toolbar),
    (_needs_data_input_fix, _repair_data_input),
)


def _first_conflict(ctx: Context, layout: Layout) -> tuple[Callable[[Context, Layout, str], Layout], str] | None:
    for needs, fix in STEPS:
        panel = needs(ctx, layout)
        if panel is not None:
            return fix, panel
    return None


def repair(ctx: Context, layout: Layout) -> tuple[Layout, bool]:
    """Run the sequence until no conflict is left (at most MAX_PASSES repairs); (layout, settled)."""
    for passes in range(MAX_PASSES + 1):
        found = _first_conflict(ctx, layout)
        if found is None:
            return layout, True
        if passes == MAX_PASSES:
            break
        fix, panel = found
        layout = fix(ctx, layout, panel)
    return layout, False
