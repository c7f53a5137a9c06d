"""Resolve targets and build the two task 252 artifacts and the ``modgate layout`` view."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Final

from modgate.adapt.errors import RECOVERABLE
from modgate.adapt.geometry import REFERENCE_VIEWPORTS, TOUCH_TARGET_MIN, Frame, Viewport, close_control, frame
from modgate.adapt.inputs import LayoutPrefs, LockRequest, ToolPalette
from modgate.adapt.profiles import COLLAPSED_PLACEMENT, PANELS, PROFILES, SHEET, requested_layout
from modgate.adapt.resolver import BLOCKED, DEGRADED, NORMAL, Context, Layout, canvas_area, fits, repair, violations
from modgate.strictjson import sha256_prefixed

ADAPTATION_SCHEMA: Final = "responsive.adaptation.v1"
REPORT_SCHEMA: Final = "responsive.adaptation.report.v1"
RESOLVER_ID: Final = "responsive.conflict_resolver.v1"


@dataclass(frozen=True, slots=True, kw_only=True)
class TargetResult:
    target: str
    profile_id: str
    frame: Frame
    status: str
    failure_codes: tuple[str, ...]
    conflict_count: int
    layout: Layout
    tool_palette: ToolPalette
    launcher_visible: bool
    close_recover_reachable: bool
    canvas_area: int
    deterministic_hash: str

    @property
    def launcher_reachable(self) -> bool:
        return self.launcher_visible  # drawn above panels, whole, inside the safe region

    @property
    def recoverability_pass(self) -> bool:
        return self.launcher_reachable and self.close_recover_reachable

    def rules(self) -> dict[str, Any]:
        """The resolved layout rules of this target (what deterministicHash hashes)."""
        return _rules(self)

    def report_entry(self) -> dict[str, Any]:
        return {"target": self.target, "profileId": self.profile_id, "resolutionStatus": self.status,
                "conflictCount": self.conflict_count, "recoverabilityPass": self.recoverability_pass,
                "launcherReachable": self.launcher_reachable, "closeRecoverReachable": self.close_recover_reachable,
                "deterministicHash": self.deterministic_hash}

    def layout_entry(self) -> dict[str, Any]:
        """light-track.md §5: one target of ``modgate layout``."""
        panels = {p: self.layout.get(p).to_dict() for p in PANELS}
        return {"profileId": self.profile_id, "viewport": self.frame.viewport.to_dict(),
                "resolutionStatus": self.status, "panels": panels, "toolPalette": self.tool_palette.to_dict(),
                "launcher": {"rect": self.frame.launcher.to_dict(), "visible": self.launcher_visible},
                "canvasArea": self.canvas_area, "launcherReachable": self.launcher_reachable,
                "closeRecoverReachable": self.close_recover_reachable, "deterministicHash": self.deterministic_hash}


def _rules(result: TargetResult) -> dict[str, Any]:
    fr = result.frame
    panels = {}
    for panel in PANELS:
        rect = result.layout.get(panel).rect
        panels[panel] = {"mode": result.layout.get(panel).mode, "rect": rect.to_dict() if rect else None,
                         "closeControl": close_control(rect).to_dict() if rect else None}
    return {"resolver": RESOLVER_ID, "profileId": result.profile_id, "viewport": fr.viewport.to_dict(),
            "resolutionStatus": result.status, "failureCodes": list(result.failure_codes),
            "conflictCount": result.conflict_count, "safeRegion": fr.safe.to_dict(),
            "dragClampBounds": fr.clamp.to_dict(),
            "launcher": {"rect": fr.launcher.to_dict(), "visible": result.launcher_visible},
            "panels": panels, "toolPalette": result.tool_palette.to_dict(), "canvasArea": result.canvas_area,
            "launcherReachable": result.launcher_reachable, "closeRecoverReachable": result.close_recover_reachable,
            "repairs": [r.to_dict() for r in result.layout.repairs]}


def _finish(target: str, ctx: Context, layout: Layout, status: str, codes: tuple[str, ...],
            conflicts: int, palette: ToolPalette, launcher_visible: bool) -> TargetResult:
    result = TargetResult(target=target, profile_id=ctx.profile.profile_id, frame=ctx.frame, status=status,
                          failure_codes=codes, conflict_count=conflicts, layout=layout, tool_palette=palette,
                          launcher_visible=launcher_visible,
                          close_recover_reachable=launcher_visible and _close_controls_ok(ctx, layout),
                          canvas_area=canvas_area(ctx, layout), deterministic_hash="")
    return _with_hash(result)


def _with_hash(result: TargetResult) -> TargetResult:
    return replace(result, deterministic_hash=sha256_prefixed(_rules(result)))


def _close_controls_ok(ctx: Context, layout: Layout) -> bool:
    shown = list(layout.shown())
    for panel, rect, _ in shown:
        control = close_control(rect)
        others = [r for p, r, _ in shown if p != panel]
        if not ctx.frame.safe.contains(control) or control.intersects(ctx.frame.launcher) \
                or any(control.intersects(o) for o in others):
            return False
    return True


def _settled_safely(ctx: Context, layout: Layout) -> bool:
    """The invariants every non-blocked output keeps (checked, not assumed)."""
    shown = list(layout.shown())
    if len(shown) > ctx.profile.max_panels:
        return False
    for i, (panel, rect, mode) in enumerate(shown):
        if not fits(ctx, panel, layout.get(panel)) or (mode != SHEET and rect.intersects(ctx.frame.launcher)):
            return False
        if any(rect.intersects(other) for _, other, _ in shown[i + 1:]):
            return False
    return _close_controls_ok(ctx, layout)


def _blocking_code(fr: Frame, locks: LockRequest, safety_ok: bool) -> str | None:
    """Safety locks first, then recoverability, then whether the viewport can hold the launcher."""
    if not safety_ok or not locks.launcher_visible or not locks.close_recover_visible:
        return "E_ADAPT_POLICY_LOCK_VIOLATION"
    if locks.touch_target_px < TOUCH_TARGET_MIN:
        return "E_ADAPT_TOUCH_TARGET_BREACH"
    return None if fr.feasible else "E_ADAPT_UNRECOVERABLE_GEOMETRY"


def resolve_target(target: str, viewport: Viewport, prefs: LayoutPrefs, locks: LockRequest,
                   safety_ok: bool = True) -> TargetResult:
    """Resolve one device for one viewport (pure)."""
    profile, fr = PROFILES[target], frame(viewport)
    requests = requested_layout(profile, prefs, viewport)
    ctx = Context(profile=profile, frame=fr, requests=requests, edge=prefs.data_input_edge)
    blocked = Layout(data_input=COLLAPSED_PLACEMENT, toolbar_aux=COLLAPSED_PLACEMENT)
    code = _blocking_code(fr, locks, safety_ok)
    if code is not None:  # nothing shown; the launcher stays (we never hide it) where it fits at all
        return _finish(target, ctx, blocked, BLOCKED, (code,), 1, prefs.tool_palette, fr.feasible)
    start = Layout(data_input=requests["dataInput"].placement, toolbar_aux=requests["toolbarAux"].placement)
    layout, settled = repair(ctx, start)
    overruled = sum(r.overruled for r in requests.values())
    conflicts = len(layout.repairs) + overruled
    if not settled or not _settled_safely(ctx, layout):
        return _finish(target, ctx, blocked, BLOCKED, ("E_ADAPT_PANEL_COLLISION_UNRESOLVED",), conflicts + 1,
                       prefs.tool_palette, True)
    degraded = overruled or any(violations(ctx, layout))
    codes = ("E_ADAPT_PANEL_COLLISION_UNRESOLVED",) if degraded else ()
    return _finish(target, ctx, layout, DEGRADED if degraded else NORMAL, codes, conflicts, prefs.tool_palette, True)


@dataclass(frozen=True, slots=True, kw_only=True)
class TargetInput:
    """Everything one target was resolved from (kept so the report can resolve it again)."""

    target: str
    viewport: Viewport
    prefs: LayoutPrefs
    locks: LockRequest
    safety_ok: bool = True

    def resolve(self) -> TargetResult:
        return resolve_target(self.target, self.viewport, self.prefs, self.locks, self.safety_ok)


@dataclass(frozen=True, slots=True, kw_only=True)
class Adaptation:
    """The resolution of every target: ``to_dict`` is responsive.adaptation.v1, ``report`` its report."""

    intent_id: str | None
    targets: tuple[TargetResult, ...]
    inputs: tuple[TargetInput, ...]

    def target(self, device: str) -> TargetResult:
        return next(t for t in self.targets if t.target == device)

    def to_dict(self) -> dict[str, Any]:
        names = [t.target for t in self.targets]
        return {
            "schemaVersion": ADAPTATION_SCHEMA, "intentId": self.intent_id, "targets": names,
            "profilesByTarget": {t.target: t.profile_id for t in self.targets},
            "resolvedLayoutRules": {t.target: t.rules() for t in self.targets},
            "resolutionStatusByTarget": {t.target: t.status for t in self.targets},
            "failureCodes": [{"target": t.target, "code": c, "recoverable": RECOVERABLE[c]}
                             for t in self.targets for c in t.failure_codes],
        }

    def deterministic(self) -> tuple[bool, ...]:
        """Per target: resolving the same input again gives the same hash."""
        pairs = zip(self.inputs, self.targets, strict=True)
        return tuple(i.resolve().deterministic_hash == t.deterministic_hash for i, t in pairs)

    def report(self) -> dict[str, Any]:
        return {
            "schemaVersion": REPORT_SCHEMA, "intentId": self.intent_id,
            "targets": [t.report_entry() for t in self.targets],
            "allTargetsDeterministic": all(self.deterministic()),
            "allTargetsRecoverableOrBlockedSafe": all(t.recoverability_pass or t.status == BLOCKED
                                                      for t in self.targets),
        }

    def layout_view(self) -> dict[str, Any]:
        return {"ok": True, "targets": {t.target: t.layout_entry() for t in self.targets}}


def resolve_all(devices: Sequence[str], prefs: Mapping[str, LayoutPrefs], viewport: Viewport | None,
                locks: LockRequest, intent_id: str | None, safety_ok: bool = True) -> Adaptation:
    inputs = tuple(TargetInput(target=d, viewport=viewport or REFERENCE_VIEWPORTS[d], prefs=prefs[d], locks=locks,
                               safety_ok=safety_ok) for d in devices)
    return Adaptation(intent_id=intent_id, targets=tuple(i.resolve() for i in inputs), inputs=inputs)
