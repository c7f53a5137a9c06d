"""Behaviour of the board handlers, normalizers and checks, driven directly (no bus)."""

from __future__ import annotations

import contextlib
import copy
from typing import Any

import jsonschema_rs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from modgate.errors import HandlerError, PayloadError
from modgate.host.board import board_host
from modgate.host.board_doc import PEN_PRESETS, initial_state
from modgate.host.board_settings import round_ms
from modgate.state import JsonObject, StateView, apply_ops, path_within

HOST = board_host()
_VALIDATORS = {c.id: jsonschema_rs.validator_for(c.payload_schema) for c in HOST.commands.values()}


def run(state: JsonObject, command_id: str, payload: Any = None) -> tuple[JsonObject, JsonObject]:
    """normalize → schema → check → handler; asserts purity and declared writes."""
    spec = HOST.commands[command_id]
    if spec.normalize is not None:
        payload = spec.normalize(payload)
    assert _VALIDATORS[command_id].is_valid(payload), (command_id, payload)
    if spec.check is not None:
        spec.check(payload, StateView(state))
    before = copy.deepcopy(state)
    payload_before = copy.deepcopy(payload)
    view = StateView(state)
    result = spec.handler(view, payload)
    assert state == before, f"{command_id} mutated the state it read"
    assert payload == payload_before, f"{command_id} mutated its payload"
    assert all(path_within(p, spec.writes) for p in view.staged_paths), view.staged_paths
    return result, apply_ops(state, view.ops())


def text(block_id: str, html: str = "x") -> JsonObject:
    return {"id": block_id, "segments": [{"id": f"{block_id}-s", "type": "text", "orderIndex": 0, "html": html}]}


def brk(block_id: str, kind: str) -> JsonObject:
    return {"id": block_id, "kind": kind, "segments": []}


def board(*blocks: JsonObject) -> JsonObject:
    _, state = run(initial_state(), "importStepBlocks", {"blocks": list(blocks)})
    return state


def flow_ids(state: JsonObject, page: str) -> list[str]:
    return [i["blockId"] for i in state["doc"]["pages"][page] if i.get("layout") == "flow"]


# --- blocks and layout ----------------------------------------------------------------------------


def test_import_rebuilds_pages_and_resets_editor_state() -> None:
    state = initial_state()
    state["doc"]["anchorMap"] = {"page-1": {"0": [1, 2]}}
    state["doc"]["strokeRedoByPage"] = {"page-1": [{"id": "s"}]}
    state["sync"]["currentStep"] = 4
    result, new = run(state, "importStepBlocks", {"blocks": [text("a"), brk("p", "page-break"), text("b")]})
    assert result == {"blockCount": 3, "stepCount": 2, "currentPageId": "page-1"}
    assert new["doc"]["pageOrder"] == ["page-1", "page-2"]
    assert flow_ids(new, "page-1") == ["a"] and flow_ids(new, "page-2") == ["b"]
    assert new["doc"]["anchorMap"] is None and new["doc"]["strokeRedoByPage"] == {}
    assert new["doc"]["insertionIndex"] == 3 and new["sync"]["currentStep"] == 0


def test_rebuild_from_a_later_page_keeps_its_strokes_and_drops_other_pages() -> None:
    state = board(text("a"), brk("p", "page-break"), text("b"))
    state = copy.deepcopy(state)
    state["doc"]["pages"]["page-2"].append({"id": "stroke-1", "type": "stroke"})
    state["doc"]["pages"]["page-1"].append({"id": "stroke-0", "type": "stroke"})
    state["sync"]["currentPageId"] = "page-2"
    _, new = run(state, "insertBlock", {"block": text("c")})
    assert new["doc"]["pageOrder"] == ["page-2", "page-3"]
    assert new["doc"]["pages"]["page-2"][0]["id"] == "stroke-1"
    assert flow_ids(new, "page-2") == ["a"] and flow_ids(new, "page-3") == ["b", "c"]
    assert "page-1" not in new["doc"]["pages"] and "page-1" not in new["doc"]["pageColumnCounts"]
    assert new["sync"]["currentPageId"] == "page-2"  # the page showing step 0


def test_current_page_moves_to_page_showing_step_zero() -> None:
    _, new = run(initial_state(), "importStepBlocks", {"blocks": [brk("p", "page-break"), text("a")]})
    assert new["sync"]["currentPageId"] == "page-2"


def test_insert_block_index_append_and_clamp() -> None:
    state = board(text("a"), text("b"))
    result, new = run(state, "insertBlock", {"block": text("z"), "index": 1})
    assert result["blockId"] == "z" and result["index"] == 1
    assert [b["id"] for b in new["doc"]["stepBlocks"]] == ["a", "z", "b"]
    result, new = run(state, "insertBlock", {"block": text("z")})
    assert result["index"] == 2
    result, new = run(state, "insertBlock", {"block": text("z"), "index": 99})
    assert result["index"] == 2 and new["doc"]["insertionIndex"] == 3


def test_delete_block_returns_what_insert_block_needs_to_undo() -> None:
    state = board(text("a"), text("b"), text("c"))
    result, new = run(state, "deleteBlock", {"blockId": "b"})
    assert result["index"] == 1 and result["block"] == text("b")
    assert [b["id"] for b in new["doc"]["stepBlocks"]] == ["a", "c"]
    _, restored = run(new, "insertBlock", {"block": result["block"], "index": result["index"]})
    assert restored["doc"]["stepBlocks"] == state["doc"]["stepBlocks"]


@pytest.mark.parametrize("command_id", ["deleteBlock", "updateBlock"])
def test_unknown_block_fails(command_id: str) -> None:
    payload: JsonObject = {"blockId": "nope"}
    if command_id == "updateBlock":
        payload["block"] = text("nope")
    with pytest.raises(HandlerError) as info:
        run(board(text("a")), command_id, payload)
    assert info.value.code == "command-execution-failed"
    assert info.value.problem.path == "payload.blockId"


def test_update_block_replaces_and_reports_previous() -> None:
    state = board(text("a", "old"), text("b"))
    result, new = run(state, "updateBlock", {"blockId": "a", "block": text("a", "new")})
    assert result["previous"] == text("a", "old") and result["index"] == 0
    assert new["doc"]["stepBlocks"][0] == text("a", "new")
    assert new["doc"]["pages"]["page-1"][0]["html"] == "new"


def test_update_block_check_rejects_mismatched_ids() -> None:
    with pytest.raises(PayloadError) as info:
        run(board(text("a")), "updateBlock", {"blockId": "a", "block": text("b")})
    assert info.value.code == "invalid-payload" and info.value.problem.path == "payload.block.id"
    # Padding is trimmed before the comparison.
    run(board(text("a")), "updateBlock", {"blockId": " a ", "block": {**text("a"), "id": "a\t"}})


def test_import_check_rejects_duplicate_ids_after_trimming() -> None:
    blocks = [text("a"), text("b"), {**text("x"), "id": " a "}]
    with pytest.raises(PayloadError) as info:
        run(initial_state(), "importStepBlocks", {"blocks": blocks})
    assert info.value.code == "invalid-payload"
    assert info.value.problem.path == "payload.blocks[2].id"


def test_insert_block_does_not_check_uniqueness() -> None:
    _, new = run(board(text("a")), "insertBlock", {"block": text("a")})
    assert [b["id"] for b in new["doc"]["stepBlocks"]] == ["a", "a"]


def test_set_insertion_index_clamps() -> None:
    state = board(text("a"), text("b"))
    assert run(state, "setInsertionIndex", {"index": 9})[1]["doc"]["insertionIndex"] == 2
    assert run(state, "setInsertionIndex", {"index": 1})[1]["doc"]["insertionIndex"] == 1


# --- insertBreak ----------------------------------------------------------------------------------


def test_insert_break_at_marker_keeps_marker() -> None:
    state = run(board(text("a"), text("b"), text("c")), "setInsertionIndex", {"index": 1})[1]
    result, new = run(state, "insertBreak", {"type": "page", "panelOpen": True})
    assert result == {"blockId": "break-1", "kind": "page-break", "index": 1, "currentPageId": "page-2"}
    assert [b["id"] for b in new["doc"]["stepBlocks"]] == ["a", "break-1", "b", "c"]
    assert new["doc"]["insertionIndex"] == 1
    assert new["sync"]["currentStep"] == 1  # follows "b", the content at the insertion point
    assert flow_ids(new, "page-2") == ["b", "c"]


def test_insert_break_at_current_step() -> None:
    state = run(board(text("a"), text("b"), text("c")), "goToStep", {"step": 2})[1]
    result, new = run(state, "insertBreak", {"type": "column"})
    assert result["index"] == 2 and result["kind"] == "column-break"
    assert new["sync"]["currentStep"] == 2
    assert [i["column"] for i in new["doc"]["pages"]["page-1"]] == [0, 0, 1]


def test_insert_break_ids_are_fresh_and_deterministic() -> None:
    state = board(text("a"), brk("break-4", "line-break"))
    result, _ = run(state, "insertBreak", {"type": " line "})
    assert result["blockId"] == "break-5"
    assert run(state, "insertBreak", {"type": "line"})[1] == run(state, "insertBreak", {"type": "line"})[1]


def test_insert_page_break_at_end_moves_to_new_page() -> None:
    state = run(board(text("a")), "goToStep", {"step": 1})[1]
    result, new = run(state, "insertBreak", {"type": "page"})
    assert result["index"] == 1 and new["doc"]["pageOrder"] == ["page-1", "page-2"]
    assert new["sync"]["currentPageId"] == "page-2" and new["sync"]["currentStep"] == 1


# --- pages ----------------------------------------------------------------------------------------


def test_add_page_then_delete_page_undoes_it() -> None:
    state = initial_state()
    state["doc"]["pageColumnCounts"]["page-1"] = 3
    result, new = run(state, "addPage")
    assert result == {"currentPageId": "page-2"}
    assert new["doc"]["pageOrder"] == ["page-1", "page-2"]
    assert new["doc"]["pageColumnCounts"]["page-2"] == 3 and new["doc"]["pages"]["page-2"] == []
    result, back = run(new, "deletePage", {"pageId": "page-2"})
    assert result["deleted"] is True
    assert back == state


def test_delete_page_defaults_to_current_and_moves_to_previous() -> None:
    state = run(run(run(initial_state(), "addPage")[1], "addPage")[1], "prevPage")[1]
    assert state["sync"]["currentPageId"] == "page-2"
    _, new = run(state, "deletePage", None)
    assert new["doc"]["pageOrder"] == ["page-1", "page-3"]
    assert new["sync"]["currentPageId"] == "page-1"


def test_delete_first_page_moves_to_next() -> None:
    state = run(initial_state(), "addPage")[1]
    state = run(state, "goToPage", {"pageId": "page-1"})[1]
    _, new = run(state, "deletePage", {})
    assert new["doc"]["pageOrder"] == ["page-2"] and new["sync"]["currentPageId"] == "page-2"


def test_delete_page_drops_its_redo_stack_and_empty_anchor_entry() -> None:
    state = copy.deepcopy(run(initial_state(), "addPage")[1])
    state["doc"]["strokeRedoByPage"] = {"page-2": [], "page-1": [{"id": "s"}]}
    state["doc"]["anchorMap"] = {"page-2": {}, "page-1": {"0": 1}}
    _, new = run(state, "deletePage", {"pageId": "page-2"})
    assert new["doc"]["strokeRedoByPage"] == {"page-1": [{"id": "s"}]}
    assert new["doc"]["anchorMap"] == {"page-1": {"0": 1}}


def _anchored(state: JsonObject) -> JsonObject:
    state = copy.deepcopy(state)
    state["doc"]["anchorMap"] = {"3": {"pageId": "page-2", "x": 1}}
    return state


@pytest.mark.parametrize(
    ("label", "prepare", "payload"),
    [
        ("unknown", lambda s: s, {"pageId": "nope"}),
        ("only page", lambda s: initial_state(), {}),
        ("not empty", lambda s: board(text("a"), brk("p", "page-break"), text("b")), {"pageId": "page-2"}),
        ("anchors", _anchored, {"pageId": "page-2"}),
    ],
)
def test_delete_page_silent_noops(label: str, prepare: Any, payload: JsonObject) -> None:
    state = prepare(run(initial_state(), "addPage")[1])
    result, new = run(state, "deletePage", payload)
    assert result["deleted"] is False and new == state, label


def test_go_to_page() -> None:
    state = run(initial_state(), "addPage")[1]
    assert run(state, "goToPage", {"pageId": " page-1 "})[1]["sync"]["currentPageId"] == "page-1"
    with pytest.raises(HandlerError) as info:
        run(state, "goToPage", {"pageId": "page-9"})
    assert info.value.code == "command-execution-failed"


def test_next_page_moves_then_appends_and_prev_page() -> None:
    state = run(run(initial_state(), "addPage")[1], "goToPage", {"pageId": "page-1"})[1]
    result, new = run(state, "nextPage")
    assert result == {"currentPageId": "page-2", "appended": False}
    assert new["doc"] == state["doc"]
    result, new = run(new, "nextPage")
    assert result == {"currentPageId": "page-3", "appended": True}
    assert new["doc"]["pageOrder"] == ["page-1", "page-2", "page-3"]
    assert new["doc"]["pageColumnCounts"]["page-3"] == 2
    assert run(new, "prevPage")[1]["sync"]["currentPageId"] == "page-2"
    first = run(new, "goToPage", {"pageId": "page-1"})[1]
    assert run(first, "prevPage")[1] == first


def test_set_column_count_sets_current_page() -> None:
    state = run(initial_state(), "addPage")[1]
    _, new = run(state, "setColumnCount", {"count": 4})
    assert new["doc"]["pageColumnCounts"] == {"page-1": 2, "page-2": 4}


# --- steps ----------------------------------------------------------------------------------------


def test_step_cursor_follows_pages() -> None:
    state = board(text("a"), brk("l", "line-break"), text("b"), brk("p", "page-break"), text("c"))
    result, new = run(state, "goToStep", {"step": 2})
    assert result == {"currentStep": 2, "currentPageId": "page-2"}
    _, new = run(state, "goToStep", {"step": 99})
    assert new["sync"]["currentStep"] == 3 and new["sync"]["currentPageId"] == "page-2"
    _, back = run(new, "prevStep")
    assert back["sync"]["currentStep"] == 2
    _, back = run(back, "prevStep")
    assert back["sync"] == {**new["sync"], "currentStep": 1, "currentPageId": "page-1"}


def test_next_step_stops_one_past_the_last() -> None:
    state = board(text("a"))
    state = run(state, "nextStep")[1]
    assert state["sync"]["currentStep"] == 1
    assert run(state, "nextStep")[1] == state
    zero = board(text("a"))
    assert run(zero, "prevStep")[1] == zero


def test_steps_on_empty_board_keep_page() -> None:
    state = run(initial_state(), "addPage")[1]
    _, new = run(state, "goToStep", {"step": 5})
    assert new["sync"] == state["sync"]


# --- playback -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("command_id", "field"), [("toggleAutoPlay", "isAutoPlay"), ("togglePause", "isPaused")])
def test_toggles_flip_or_force(command_id: str, field: str) -> None:
    state = initial_state()
    flipped = run(state, command_id, None)[1]
    assert flipped["sync"]["playback"][field] is True
    assert run(flipped, command_id, {})[1]["sync"]["playback"][field] is False
    assert run(flipped, command_id, {"value": True})[1] == flipped


@pytest.mark.parametrize(
    ("command_id", "field"),
    [("triggerPlay", "playSignal"), ("triggerSkip", "skipSignal"), ("triggerStop", "stopSignal")],
)
def test_signals_are_counters(command_id: str, field: str) -> None:
    state = run(run(initial_state(), command_id)[1], command_id)[1]
    assert state["sync"]["playback"][field] == 2


def test_trigger_play_marks_animating_and_set_animating_clears() -> None:
    state = run(initial_state(), "triggerPlay")[1]
    assert state["sync"]["playback"]["isAnimating"] is True
    assert run(state, "setAnimating", {"value": False})[1]["sync"]["playback"]["isAnimating"] is False


@pytest.mark.parametrize(("given", "stored"), [(1200, 1200), (300.4, 300), (1200.5, 1201), (2999.5, 3000)])
def test_auto_play_delay_rounds_to_whole_ms(given: float, stored: int) -> None:
    new = run(initial_state(), "setAutoPlayDelay", {"delayMs": given})[1]
    assert new["sync"]["playback"]["autoPlayDelayMs"] == stored
    assert isinstance(new["sync"]["playback"]["autoPlayDelayMs"], int)
    assert round_ms(0.5) == 1


def test_playback_speed() -> None:
    assert run(initial_state(), "setPlaybackSpeed", {"speed": 0.1})[1]["sync"]["playback"]["playbackSpeed"] == 0.1


# --- local ----------------------------------------------------------------------------------------


def test_colors_are_stored_upper_case() -> None:
    state = run(initial_state(), "setPenColor", {"color": " #1e90ff"})[1]
    state = run(state, "setLaserColor", {"color": "#abcdef "})[1]
    assert state["local"]["tool"]["penColor"] == "#1E90FF"
    assert state["local"]["tool"]["laserColor"] == "#ABCDEF"


def test_pen_type_presets() -> None:
    state = run(initial_state(), "setPenColor", {"color": "#123456"})[1]
    high = run(state, "setPenType", {"penType": "highlighter"})[1]["local"]["tool"]
    assert (high["penWidth"], high["penOpacity"], high["penColor"]) == (24, 35, "#FFEB3B")
    ink = run(state, "setPenType", {"penType": " ink "})[1]["local"]["tool"]
    assert ink["penType"] == "ink" and ink["penColor"] == "#123456"
    assert ink["penWidth"] == PEN_PRESETS["ink"]["penWidth"]


def test_laser_type_presets() -> None:
    result, new = run(initial_state(), "setLaserType", {"laserType": "highlighter"})
    assert result == {"laserType": "highlighter", "laserColor": "#FFEB3B", "laserWidth": 28}
    assert new["local"]["tool"]["laserWidth"] == 28


def test_set_tool_closes_panel() -> None:
    state = initial_state()
    state["local"]["chrome"].update(openPanel="pen", isPanelOpen=True)
    new = run(state, "setTool", {"tool": " laser"})[1]
    assert new["local"]["tool"]["activeTool"] == "laser"
    assert new["local"]["chrome"]["openPanel"] == "none" and new["local"]["chrome"]["isPanelOpen"] is False


def test_toolbar_dock() -> None:
    docked = run(initial_state(), "setToolbarDock", {"edge": " left "})[1]
    assert docked["local"]["chrome"]["toolbarPlacement"] == {"mode": "docked", "edge": "left"}
    floating = run(docked, "setToolbarDock", {"mode": "floating", "edge": "top"})[1]
    assert floating["local"]["chrome"]["toolbarPlacement"] == {"mode": "floating", "edge": "left"}


@pytest.mark.parametrize(
    ("command_id", "payload", "path", "value"),
    [
        ("setEraserWidth", {"width": 4.5}, ("local", "tool", "eraserWidth"), 4.5),
        ("setPenWidth", {"width": 0.5}, ("local", "tool", "penWidth"), 0.5),
        ("setPenOpacity", {"opacity": 0}, ("local", "tool", "penOpacity"), 0),
        ("setLaserWidth", {"width": 200}, ("local", "tool", "laserWidth"), 200),
        ("setViewMode", {"mode": " presentation "}, ("local", "view", "viewMode"), "presentation"),
    ],
)
def test_simple_setters(command_id: str, payload: JsonObject, path: tuple[str, ...], value: Any) -> None:
    node: Any = run(initial_state(), command_id, payload)[1]
    for key in path:
        node = node[key]
    assert node == value


# --- doc fields -----------------------------------------------------------------------------------


def test_animation_mod_input() -> None:
    new = run(initial_state(), "setAnimationModInput", {"input": {"format": " plan/v1 "}})[1]
    assert new["doc"]["animationModInput"] == {"format": "plan/v1", "payload": None}
    assert run(new, "setAnimationModInput", {"input": None})[1]["doc"]["animationModInput"] is None


def test_clear_all_audio() -> None:
    state = initial_state()
    state["doc"]["audioByStep"] = {"0": {"kind": "tts"}, "1": {"kind": "upload"}}
    result, new = run(state, "clearAllAudio", None)
    assert result == {"cleared": 2} and new["doc"]["audioByStep"] == {}


# --- properties -----------------------------------------------------------------------------------

_BLOCK_IDS = st.sampled_from(["a", "b", "c", "break-1"])
_STEP = st.one_of(
    st.builds(lambda i: ("insertBlock", {"block": text(i)}), _BLOCK_IDS),
    st.builds(
        lambda i, k: ("insertBlock", {"block": brk(i, k), "index": 0}),
        _BLOCK_IDS,
        st.sampled_from(["line-break", "column-break", "page-break"]),
    ),
    st.builds(
        lambda t, o: ("insertBreak", {"type": t, "panelOpen": o}),
        st.sampled_from(["line", "column", "page"]),
        st.booleans(),
    ),
    st.builds(lambda i: ("deleteBlock", {"blockId": i}), _BLOCK_IDS),
    st.builds(lambda n: ("goToStep", {"step": n}), st.integers(0, 6)),
    st.builds(lambda n: ("setInsertionIndex", {"index": n}), st.integers(0, 6)),
    st.sampled_from(
        [("addPage", {}), ("deletePage", {}), ("nextPage", {}), ("prevPage", {}), ("nextStep", {}), ("prevStep", {})]
    ),
)


def _invariants(state: JsonObject) -> None:
    doc, sync = state["doc"], state["sync"]
    assert set(doc["pages"]) == set(doc["pageOrder"]) == set(doc["pageColumnCounts"])
    assert len(doc["pageOrder"]) == len(set(doc["pageOrder"])) >= 1
    assert sync["currentPageId"] in doc["pageOrder"]
    steps = sum(1 for b in doc["stepBlocks"] if b.get("kind", "content") == "content")
    assert 0 <= sync["currentStep"] <= steps
    assert 0 <= doc["insertionIndex"] <= len(doc["stepBlocks"])


@settings(max_examples=60, deadline=None)
@given(st.lists(_STEP, max_size=12))
def test_command_sequences_keep_invariants_and_are_deterministic(steps: list[tuple[str, JsonObject]]) -> None:
    def play() -> JsonObject:
        state = initial_state()
        for command_id, payload in steps:
            with contextlib.suppress(HandlerError):
                state = run(state, command_id, copy.deepcopy(payload))[1]
            _invariants(state)
        return state

    assert play() == play()
