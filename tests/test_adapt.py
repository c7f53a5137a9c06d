"""modgate.adapt: inputs, the task 238 redlines, the resolver's decisions, determinism, codes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from tests.sharedpaths import REASON, SHARED, shared

from modgate.adapt import (
    CANONICAL_TABLET_VIEWPORTS,
    DEVICES,
    AdaptError,
    LockRequest,
    ToolPalette,
    Viewport,
    adapt_intent,
    parse_viewport,
    redline_candidates,
    resolve_layout,
)
from modgate.adapt.errors import RECOVERABLE

FIXTURES = Path(__file__).parent / "fixtures" / "adapt"
REDLINES = json.loads((FIXTURES / "task238_redlines.json").read_text())
INTENT = json.loads((FIXTURES / "intent.normalized.json").read_text())


def _code(exc: pytest.ExceptionInfo[AdaptError]) -> str:
    return exc.value.code


# --- inputs -------------------------------------------------------------------------------------
@pytest.mark.parametrize(("given", "expected"), [
    ([], DEVICES), (["mobile", "web", "mobile"], ("web", "mobile")), (["tablet"], ("tablet",)),
    (["mobile", "tablet", "web"], DEVICES),
])
def test_device_targets_are_deduplicated_and_ordered(given: list[str], expected: tuple[str, ...]) -> None:
    assert tuple(t.target for t in resolve_layout(None, given).targets) == expected


@pytest.mark.parametrize("given", [["phone"], ["web", "Tablet"], [None], "web", [["web"]]])
def test_unknown_device_is_coded(given: Any) -> None:
    with pytest.raises(AdaptError) as exc:
        resolve_layout(None, given)
    assert _code(exc) == "E_ADAPT_DEVICE_TARGET_INVALID"
    assert exc.value.problem.detail["recoverable"] is True


def test_viewport_text() -> None:
    assert parse_viewport("768x1024") == Viewport(width=768, height=1024)
    assert parse_viewport(" 390 X 844 ") == Viewport(width=390, height=844)
    assert parse_viewport("1180×820") == Viewport(width=1180, height=820)


@pytest.mark.parametrize("text", ["0x0", "0x100", "100x0", "-5x100", "100x-5", "100000x100000", "10001x10",
                                  "768", "768x", "x1024", "768x1024x2", "7.5x10", "abc", "", "0x", "1e3x10",
                                  "768 1024", "9" * 50 + "x1"])
def test_bad_viewports_are_coded(text: str) -> None:
    with pytest.raises(AdaptError) as exc:
        resolve_layout(None, ["web"], text)
    assert _code(exc) == "E_ADAPT_VIEWPORT_INVALID"
    assert exc.value.problem.message


@pytest.mark.parametrize("value", [12, None, ["1x1"], {"width": 1}])
def test_a_viewport_that_is_not_text_is_coded(value: Any) -> None:
    with pytest.raises(AdaptError) as exc:
        parse_viewport(value)
    assert _code(exc) == "E_ADAPT_VIEWPORT_INVALID"


@pytest.mark.parametrize(("prefs", "path"), [
    ({"tablet": {"dataInput": "floating"}}, "/prefs/layout/tablet/dataInput"),
    ({"tablet": {"dataInputEdge": "top"}}, "/prefs/layout/tablet/dataInputEdge"),
    ({"tablet": {"toolbarAux": "hidden"}}, "/prefs/layout/tablet/toolbarAux"),
    ({"tablet": {"canvas": "huge"}}, "/prefs/layout/tablet/canvas"),
    ({"tablet": {"toolPalette": {"edge": "middle"}}}, "/prefs/layout/tablet/toolPalette/edge"),
    ({"tablet": {"toolPalette": {"mode": "sideways"}}}, "/prefs/layout/tablet/toolPalette/mode"),
    ({"tablet": {"toolPalette": "left"}}, "/prefs/layout/tablet/toolPalette"),
    ({"tablet": {"launcher": "hidden"}}, "/prefs/layout/tablet/launcher"),
    ({"tablet": ["docked"]}, "/prefs/layout/tablet"),
    ({"tablet": 0}, "/prefs/layout/tablet"),
    ({"tablet": ""}, "/prefs/layout/tablet"),
    ({"tablet": {"dataInput": ["docked"]}}, "/prefs/layout/tablet/dataInput"),
])
def test_bad_preferences_are_coded_with_a_path(prefs: dict[str, Any], path: str) -> None:
    with pytest.raises(AdaptError) as exc:
        resolve_layout(prefs, ["tablet"])
    assert (_code(exc), exc.value.problem.path) == ("E_ADAPT_PREFERENCE_INVALID", path)


def test_preferences_of_other_devices_are_not_read() -> None:
    assert resolve_layout({"web": {"dataInput": "nonsense"}}, ["tablet"]).targets[0].status == "normal"


def test_naming_an_edge_docks_the_tool_palette() -> None:
    target = resolve_layout({"tablet": {"toolPalette": {"edge": "left"}}}, ["tablet"]).targets[0]
    assert target.layout_entry()["toolPalette"] == {"mode": "docked", "edge": "left"}
    default = resolve_layout(None, ["web"], palette=ToolPalette(mode="docked", edge="top")).targets[0]
    assert default.layout_entry()["toolPalette"] == {"mode": "docked", "edge": "top"}


@pytest.mark.parametrize(("change", "path"), [
    (lambda i: i.pop("intentId"), "intentId"),
    (lambda i: i.update(schemaVersion="v9"), "schemaVersion"),
    (lambda i: i["targets"].update(surface="everything"), "targets.surface"),
    (lambda i: i.pop("constraints"), "constraints"),
    (lambda i: i["constraints"].update(must="all"), "constraints.must"),
    (lambda i: i["constraints"].update(mustNot=[1]), "constraints.mustNot"),
])
def test_bad_intents_are_coded(change: Any, path: str) -> None:
    intent = json.loads(json.dumps(INTENT))
    change(intent)
    with pytest.raises(AdaptError) as exc:
        adapt_intent(intent)
    assert (_code(exc), exc.value.problem.path) == ("E_ADAPT_INTENT_INVALID", path)


def test_intent_device_targets() -> None:
    intent = json.loads(json.dumps(INTENT))
    assert adapt_intent(intent).to_dict()["targets"] == ["tablet"]
    intent["constraints"]["deviceTargets"] = []
    assert adapt_intent(intent).to_dict()["targets"] == list(DEVICES)
    intent["constraints"]["deviceTargets"] = ["watch"]
    with pytest.raises(AdaptError) as exc:
        adapt_intent(intent)
    assert (_code(exc), exc.value.problem.path) == ("E_ADAPT_DEVICE_TARGET_INVALID", "constraints.deviceTargets[0]")


def test_unsafe_intent_blocks_every_target() -> None:
    intent = json.loads(json.dumps(INTENT))
    intent["safety"]["requiresApproval"] = False
    intent["constraints"]["deviceTargets"] = []
    doc = adapt_intent(intent).to_dict()
    assert set(doc["resolutionStatusByTarget"].values()) == {"blocked_safe"}
    assert {f["code"] for f in doc["failureCodes"]} == {"E_ADAPT_POLICY_LOCK_VIOLATION"}
    assert all(f["recoverable"] is False for f in doc["failureCodes"])


# --- locks and blocked outputs -------------------------------------------------------------------
@pytest.mark.parametrize(("locks", "code"), [
    (LockRequest(launcher_visible=False), "E_ADAPT_POLICY_LOCK_VIOLATION"),
    (LockRequest(close_recover_visible=False), "E_ADAPT_POLICY_LOCK_VIOLATION"),
    (LockRequest(touch_target_px=40), "E_ADAPT_TOUCH_TARGET_BREACH"),
])
def test_weakening_a_lock_blocks_safely(locks: LockRequest, code: str) -> None:
    for target in resolve_layout(None, (), locks=locks).targets:
        assert (target.status, target.failure_codes) == ("blocked_safe", (code,))
        assert target.launcher_visible  # the request is refused; the launcher stays
        assert all(target.layout.get(p).rect is None for p in ("dataInput", "toolbarAux"))


@pytest.mark.parametrize("viewport", ["1x1", "79x800", "800x199", "100x150"])
def test_a_viewport_without_room_for_the_launcher_blocks(viewport: str) -> None:
    for target in resolve_layout(None, (), viewport).targets:
        assert target.failure_codes == ("E_ADAPT_UNRECOVERABLE_GEOMETRY",)
        assert target.status == "blocked_safe" and not target.launcher_reachable
        assert RECOVERABLE["E_ADAPT_UNRECOVERABLE_GEOMETRY"] is False


def test_smallest_viewport_that_holds_the_launcher() -> None:
    for target in resolve_layout(None, (), "80x200").targets:
        assert target.status != "blocked_safe" and target.launcher_reachable


# --- task 238 redlines ---------------------------------------------------------------------------
@pytest.mark.parametrize("viewport", CANONICAL_TABLET_VIEWPORTS, ids=lambda v: v.label)
def test_redline_candidates_are_reproduced(viewport: Viewport) -> None:
    assert redline_candidates(viewport) == REDLINES["viewports"][viewport.label]


@pytest.mark.parametrize("viewport", CANONICAL_TABLET_VIEWPORTS, ids=lambda v: v.label)
def test_tablet_default_resolves_to_the_redlines(viewport: Viewport) -> None:
    """DataInput stays at the docked redline; ToolbarAux is shifted right of the launcher.

    Why: the redline's docked ToolbarAux {0, H-116, W-320, 56} and the launcher {24, H-140, 56, 56}
    share 32 px of height and the launcher's 56 px of width; the launcher is drawn above panels
    (light-track §1.2), so it would cover ToolbarAux's first controls. The launcher-occlusion step
    keeps ToolbarAux docked and starts it at the launcher's right edge (x=80, width W-400).
    """
    expected = REDLINES["viewports"][viewport.label]
    target = resolve_layout(None, ["tablet"], viewport).targets[0]
    rules = target.rules()
    assert (target.status, target.failure_codes) == ("normal", ())
    assert rules["safeRegion"] == expected["canvasSafeRegion"]
    assert rules["dragClampBounds"] == expected["dragClampBounds"]
    assert rules["launcher"] == {"rect": expected["launcherAnchorHost"], "visible": True}
    assert rules["panels"]["dataInput"]["rect"] == expected["docked"]["dataInput"]
    aux = dict(expected["docked"]["toolbarAux"], x=80, width=expected["docked"]["toolbarAux"]["width"] - 80)
    assert rules["panels"]["toolbarAux"] == {"mode": "docked", "rect": aux,
                                             "closeControl": {"x": aux["x"] + aux["width"] - 44, "y": aux["y"],
                                                              "width": 44, "height": 44}}
    assert rules["repairs"] == [{"step": "launcherOcclusion", "panel": "toolbarAux", "action": "shift-right"}]
    assert target.conflict_count == 1


@pytest.mark.parametrize("viewport", CANONICAL_TABLET_VIEWPORTS, ids=lambda v: v.label)
def test_tablet_windowed_data_input_is_the_windowed_redline(viewport: Viewport) -> None:
    expected = REDLINES["viewports"][viewport.label]["windowed"]["dataInput"]
    target = resolve_layout({"tablet": {"dataInput": "windowed"}}, ["tablet"], viewport).targets[0]
    assert target.layout.data_input.mode == "windowed"
    assert target.rules()["panels"]["dataInput"]["rect"] == expected


def test_web_reference_is_the_windowed_redline() -> None:
    rules = resolve_layout(None, ["web"]).targets[0].rules()
    assert rules["panels"]["dataInput"]["rect"] == REDLINES["viewports"]["768x1024"]["windowed"]["dataInput"]
    assert rules["panels"]["toolbarAux"]["rect"] == REDLINES["viewports"]["768x1024"]["windowed"]["toolbarAux"]
    assert rules["repairs"] == []


@pytest.mark.conformance
@pytest.mark.skipif(SHARED is None, reason=REASON)
def test_fixture_copy_matches_the_shared_redlines() -> None:
    source = json.loads(shared("conformance", "SY-Math-Slate", "design_drafts",
                               "layout_task238_redlines.json").read_text())
    assert source["constraints"] == REDLINES["constraints"]
    for label, ours in REDLINES["viewports"].items():
        assert {k: source["viewports"][label][k] for k in ours} == ours
    for viewport in CANONICAL_TABLET_VIEWPORTS:
        candidates = redline_candidates(viewport)
        assert {k: source["viewports"][viewport.label][k] for k in candidates} == candidates


# --- profile rules -------------------------------------------------------------------------------
def test_docked_on_web_uses_the_tablet_formula() -> None:
    right = resolve_layout({"web": {"dataInput": "docked"}}, ["web"]).targets[0]
    assert right.layout.data_input.rect is not None and right.layout.data_input.rect.to_dict() == {
        "x": 1440 - 320, "y": 60, "width": 320, "height": 1080 - 120}


def test_left_edge_docks_left_and_clears_the_launcher() -> None:
    target = resolve_layout({"tablet": {"dataInputEdge": "left"}}, ["tablet"]).targets[0]
    rules = target.rules()
    assert rules["panels"]["dataInput"]["rect"] == {"x": 0, "y": 60, "width": 320, "height": 1024 - 200}
    assert rules["panels"]["toolbarAux"]["rect"] == {"x": 320, "y": 908, "width": 448, "height": 56}
    assert target.status == "normal"


def test_maximize_gives_the_whole_safe_region() -> None:
    for target in resolve_layout({d: {"canvas": "maximize"} for d in DEVICES}).targets:
        entry = target.layout_entry()
        assert entry["panels"] == {"dataInput": {"mode": "collapsed", "rect": None},
                                   "toolbarAux": {"mode": "collapsed", "rect": None}}
        safe = target.rules()["safeRegion"]
        assert entry["canvasArea"] == safe["width"] * safe["height"]
        assert target.status == "normal"


def test_mobile_data_input_wins() -> None:
    auto = resolve_layout(None, ["mobile"]).targets[0]
    assert (auto.layout.data_input.mode, auto.layout.toolbar_aux.mode, auto.status) == ("sheet", "collapsed", "normal")
    asked = resolve_layout({"mobile": {"toolbarAux": "shown"}}, ["mobile"]).targets[0]
    assert asked.layout.toolbar_aux.mode == "collapsed"
    assert (asked.status, asked.failure_codes) == ("degraded_recoverable", ("E_ADAPT_PANEL_COLLISION_UNRESOLVED",))
    alone = resolve_layout({"mobile": {"dataInput": "collapsed", "toolbarAux": "shown"}}, ["mobile"]).targets[0]
    assert alone.layout_entry()["panels"]["toolbarAux"] == {
        "mode": "docked", "rect": {"x": 80, "y": 844 - 116, "width": 390 - 80, "height": 56}}  # clear of the launcher


def test_small_web_docks_data_input_and_says_so() -> None:
    target = resolve_layout({"web": {"dataInput": "windowed"}}, ["web"], "320x480").targets[0]
    assert target.layout.data_input.mode == "docked"
    assert target.status == "degraded_recoverable"
    assert {"step": "dataInput", "panel": "dataInput", "action": "dock-trim-height"} in target.rules()["repairs"]


def test_canvas_area_subtracts_docked_panels_only() -> None:
    tablet = resolve_layout(None, ["tablet"]).targets[0]
    assert tablet.canvas_area == 768 * 904 - 320 * 904 - 368 * 56
    web = resolve_layout(None, ["web"]).targets[0]
    assert web.canvas_area == 1440 * 960  # windowed panels float over the canvas


# --- determinism ---------------------------------------------------------------------------------
_SCRIPT = """
import sys
from modgate.adapt import resolve_layout
from modgate.strictjson import canonical_bytes
a = resolve_layout({"tablet": {"dataInputEdge": "left"}, "mobile": {"toolbarAux": "shown"}}, (), sys.argv[1])
sys.stdout.write(canonical_bytes([a.to_dict(), a.report(), a.layout_view()]).decode())
"""


@pytest.mark.parametrize("viewport", ["768x1024", "333x777"])
def test_same_input_same_bytes_in_separate_processes(viewport: str) -> None:
    outs = {subprocess.run([sys.executable, "-c", _SCRIPT, viewport], capture_output=True, timeout=60,
                           check=True, env={"PYTHONHASHSEED": seed, "PATH": ""}).stdout for seed in ("1", "2", "3")}
    assert len(outs) == 1
    report = json.loads(outs.pop())[1]
    assert report["allTargetsDeterministic"] is True


def test_report_aggregates() -> None:
    report = resolve_layout(None, (), locks=LockRequest(touch_target_px=10)).report()
    assert report["allTargetsRecoverableOrBlockedSafe"] is True
    assert all(t["recoverabilityPass"] for t in resolve_layout().report()["targets"])


def test_a_sequence_that_does_not_settle_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    from modgate.adapt import resolver

    monkeypatch.setattr(resolver, "MAX_PASSES", 0)  # the tablet default needs one repair
    target = resolve_layout(None, ["tablet"]).targets[0]
    assert (target.status, target.failure_codes) == ("blocked_safe", ("E_ADAPT_PANEL_COLLISION_UNRESOLVED",))
    assert target.launcher_reachable and target.layout.data_input.rect is None
    assert resolve_layout(None, ["web"]).targets[0].status == "normal"  # needs no repair at all
