"""Hypothesis: for every preference combination and viewport, the resolver's output is safe.

Safe means: the launcher is visible, at least 44x44 and reachable; every close/recover control is
reachable; windowed panels lie inside the drag-clamp bounds; docked panels and sheets inside the
safe region; no two panels overlap (on mobile at most one is shown) — or the target is
``blocked_safe`` with a code.
"""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modgate.adapt import DEVICES, AdaptError, LockRequest, TargetResult, Viewport, adapt_intent, resolve_layout
from modgate.adapt.geometry import close_control

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])

palettes = st.one_of(st.just({}), st.fixed_dictionaries({}, optional={
    "mode": st.sampled_from(["floating", "docked"]), "edge": st.sampled_from(["top", "right", "bottom", "left"])}))
device_prefs = st.fixed_dictionaries({}, optional={
    "dataInput": st.sampled_from(["auto", "docked", "windowed", "collapsed"]),
    "dataInputEdge": st.sampled_from(["right", "left"]),
    "toolbarAux": st.sampled_from(["auto", "shown", "collapsed"]),
    "canvas": st.sampled_from(["normal", "maximize"]),
    "toolPalette": palettes,
})
all_prefs = st.fixed_dictionaries({d: device_prefs for d in DEVICES})
viewports = st.builds(lambda w, h: Viewport(width=w, height=h), st.integers(320, 2560), st.integers(480, 1600))
tiny = st.builds(lambda w, h: Viewport(width=w, height=h), st.integers(1, 400), st.integers(1, 600))
devices = st.lists(st.sampled_from(DEVICES), max_size=4)


def assert_safe(target: TargetResult) -> None:
    if target.status == "blocked_safe":
        assert target.failure_codes and all(c.startswith("E_ADAPT_") for c in target.failure_codes)
        return
    fr = target.frame
    assert target.launcher_visible and target.launcher_reachable and target.close_recover_reachable
    assert fr.launcher.width >= 44 and fr.launcher.height >= 44 and fr.safe.contains(fr.launcher)
    shown = [(p, target.layout.get(p)) for p in ("dataInput", "toolbarAux") if target.layout.get(p).rect]
    for panel, placement in shown:
        rect = placement.rect
        assert rect is not None
        region = fr.clamp if placement.mode == "windowed" else fr.safe
        assert region.contains(rect), (panel, placement, region)
        control = close_control(rect)
        assert fr.safe.contains(control) and not control.intersects(fr.launcher)
        if placement.mode != "sheet":
            assert not rect.intersects(fr.launcher), (panel, rect)
    if len(shown) == 2:
        assert target.profile_id != "mobile.single_panel_recoverable.v1"
        assert shown[0][1].rect is not None and shown[1][1].rect is not None
        assert not shown[0][1].rect.intersects(shown[1][1].rect)
    if target.status == "normal":
        assert not target.failure_codes
    assert target.rules()["canvasArea"] >= 0


@SETTINGS
@given(prefs=all_prefs, viewport=viewports, targets=devices)
def test_every_output_is_safe_or_blocked(prefs: dict[str, Any], viewport: Viewport, targets: list[str]) -> None:
    for target in resolve_layout(prefs, targets, viewport).targets:
        assert_safe(target)


@SETTINGS
@given(prefs=all_prefs, viewport=tiny)
def test_tiny_viewports_are_safe_or_blocked(prefs: dict[str, Any], viewport: Viewport) -> None:
    for target in resolve_layout(prefs, (), viewport).targets:
        assert_safe(target)
        if not target.frame.feasible:
            assert target.failure_codes == ("E_ADAPT_UNRECOVERABLE_GEOMETRY",)


@settings(max_examples=60, deadline=None)
@given(prefs=all_prefs, viewport=viewports, touch=st.integers(0, 43), hide=st.booleans())
def test_weakened_locks_always_block(prefs: dict[str, Any], viewport: Viewport, touch: int, hide: bool) -> None:
    locks = LockRequest(launcher_visible=not hide, touch_target_px=touch)
    for target in resolve_layout(prefs, (), viewport, locks=locks).targets:
        assert target.status == "blocked_safe"
        expected = "E_ADAPT_POLICY_LOCK_VIOLATION" if hide else "E_ADAPT_TOUCH_TARGET_BREACH"
        assert target.failure_codes == (expected,)


@settings(max_examples=100, deadline=None)
@given(prefs=all_prefs, viewport=viewports)
def test_resolution_is_a_function_of_its_input(prefs: dict[str, Any], viewport: Viewport) -> None:
    first, second = resolve_layout(prefs, (), viewport), resolve_layout(dict(reversed(prefs.items())), (), viewport)
    assert first.to_dict() == second.to_dict()
    assert first.report()["allTargetsDeterministic"] is True


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner,
                                                                                       max_size=3), max_leaves=8)
near_prefs = st.dictionaries(st.sampled_from([*DEVICES, "tv"]), st.one_of(json_values, st.dictionaries(
    st.sampled_from(["dataInput", "dataInputEdge", "toolbarAux", "canvas", "toolPalette", "x"]), json_values,
    max_size=3)), max_size=3)


@settings(max_examples=200, deadline=None)
@given(prefs=st.one_of(json_values, near_prefs), targets=json_values, viewport=st.one_of(json_values, st.text()))
def test_garbage_input_is_coded_never_a_traceback(prefs: Any, targets: Any, viewport: Any) -> None:
    try:
        resolve_layout(prefs, targets, viewport)
    except AdaptError as exc:
        assert exc.code.startswith("E_ADAPT_") and exc.problem.message


@settings(max_examples=200, deadline=None)
@given(intent=st.one_of(json_values, st.fixed_dictionaries({
    "schemaVersion": st.sampled_from(["intent.normalized.v1", "x"]), "intentId": json_values,
    "targets": st.one_of(json_values, st.fixed_dictionaries({"surface": st.sampled_from(["layout", "y"])})),
    "constraints": st.one_of(json_values, st.fixed_dictionaries({}, optional={
        "deviceTargets": json_values, "must": json_values, "mustNot": json_values})),
    "safety": json_values})), locks=json_values)
def test_garbage_intent_is_coded(intent: Any, locks: Any) -> None:
    try:
        adapt_intent(intent, locks=LockRequest.from_dict(locks))
    except AdaptError as exc:
        assert exc.code.startswith("E_ADAPT_")
