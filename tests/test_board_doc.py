"""The board document model: initial state, ids, steps and the layout rebuild."""

from __future__ import annotations

import copy
from typing import Any

from modgate.host import board_doc as bd
from modgate.state import JsonObject


def text(block_id: str, *seg_ids: str) -> JsonObject:
    segments = [{"id": s, "type": "text", "orderIndex": i, "html": s} for i, s in enumerate(seg_ids)]
    return {"id": block_id, "segments": segments}


def brk(block_id: str, kind: str) -> JsonObject:
    return {"id": block_id, "kind": kind, "segments": []}


def test_initial_state_is_fresh_each_call() -> None:
    first = bd.initial_state()
    first["doc"]["pageOrder"].append("x")
    first["local"]["tool"]["penColor"] = "#000000"
    second = bd.initial_state()
    assert second["doc"]["pageOrder"] == ["page-1"]
    assert second["local"]["tool"]["penColor"] == "#FFFFFF"


def test_initial_state_values() -> None:
    state = bd.initial_state()
    assert state["doc"]["pages"] == {"page-1": []}
    assert state["doc"]["pageColumnCounts"] == {"page-1": 2}
    assert state["doc"]["anchorMap"] is None and state["doc"]["animationModInput"] is None
    assert state["sync"]["currentPageId"] == "page-1" and state["sync"]["currentStep"] == 0
    assert state["sync"]["playback"]["autoPlayDelayMs"] == 1200
    tool = state["local"]["tool"]
    assert (tool["penWidth"], tool["penOpacity"]) == (4, 100)
    assert (tool["laserColor"], tool["laserWidth"], tool["eraserWidth"]) == ("#FF3B30", 8, 40)
    assert state["local"]["chrome"]["toolbarPlacement"] == {"mode": "floating", "edge": "bottom"}


def test_presets_are_valid_values() -> None:
    for preset in bd.PEN_PRESETS.values():
        assert 0.5 <= preset["penWidth"] <= 200 and 0 <= preset["penOpacity"] <= 100
    for preset in bd.LASER_PRESETS.values():
        assert 0.5 <= preset["laserWidth"] <= 200
    colors = [p["penColor"] for p in bd.PEN_PRESETS.values() if "penColor" in p]
    colors += [p["laserColor"] for p in bd.LASER_PRESETS.values()]
    assert all(c == c.upper() and len(c) == 7 and c.startswith("#") for c in colors)
    assert "penColor" not in bd.PEN_PRESETS["ink"]  # ink keeps the current color


def test_fresh_page_ids_are_deterministic() -> None:
    assert bd.fresh_page_ids(["page-1"], 2) == ["page-2", "page-3"]
    assert bd.fresh_page_ids(["page-1", "page-10", "uuid-ish", "page-x"], 1) == ["page-11"]
    assert bd.fresh_page_ids([], 1) == ["page-1"]
    assert bd.fresh_page_ids(["break-9"], 1) == ["page-1"]


def test_fresh_break_id() -> None:
    assert bd.fresh_break_id([]) == "break-1"
    assert bd.fresh_break_id([{"id": "break-3"}, {"id": "page-7"}, {"id": "blk"}]) == "break-4"


def test_steps_are_content_blocks() -> None:
    blocks = [text("a"), brk("b1", "line-break"), {"id": "c", "kind": "content", "segments": []}, text("d")]
    assert bd.step_count(blocks) == 3
    assert bd.steps_before(blocks, 2) == 1
    assert bd.block_index_of_step(blocks, 0) == 0
    assert bd.block_index_of_step(blocks, 1) == 2
    assert bd.block_index_of_step(blocks, 2) == 3
    assert bd.block_index_of_step(blocks, 3) == 4


def test_find_block_and_clamp() -> None:
    assert bd.find_block([text("a"), text("b")], "b") == 1
    assert bd.find_block([text("a")], "zz") == -1
    assert bd.clamp(9, 0, 3) == 3 and bd.clamp(-1, 0, 3) == 0


def test_flow_pages_columns_lines_and_pages() -> None:
    blocks = [
        text("a", "a1", "a2"),
        brk("l", "line-break"),
        text("b", "b1"),
        brk("c", "column-break"),
        text("c2", "c21"),
        brk("p", "page-break"),
        text("d", "d1"),
    ]
    pages = bd.flow_pages(blocks)
    assert len(pages) == 2
    assert [(i["segmentId"], i["step"], i["column"], i["line"]) for i in pages[0]] == [
        ("a1", 0, 0, 0),
        ("a2", 0, 0, 0),
        ("b1", 1, 0, 1),
        ("c21", 2, 1, 0),
    ]
    assert [(i["segmentId"], i["step"], i["column"], i["line"]) for i in pages[1]] == [("d1", 3, 0, 0)]
    assert pages[0][0] == {
        "id": "flow:a:a1",
        "type": "text",
        "layout": "flow",
        "blockId": "a",
        "segmentId": "a1",
        "step": 0,
        "column": 0,
        "line": 0,
        "html": "a1",
    }


def test_segments_sorted_by_order_index_and_break_segments_ignored() -> None:
    block = {
        "id": "a",
        "segments": [
            {"id": "late", "type": "text", "orderIndex": 5, "html": ""},
            {"id": "early", "type": "image", "orderIndex": 1, "src": "u", "width": 1, "height": 2},
        ],
    }
    page_break = {
        "id": "p",
        "kind": "page-break",
        "segments": [{"id": "x", "type": "text", "orderIndex": 0, "html": ""}],
    }
    pages = bd.flow_pages([block, page_break])
    assert [i["segmentId"] for i in pages[0]] == ["early", "late"]
    assert pages[0][0]["width"] == 1 and pages[0][0]["height"] == 2
    assert pages[1] == []


def doc_with(pages: dict[str, Any], order: list[str], counts: dict[str, Any] | None = None) -> JsonObject:
    doc: JsonObject = bd.initial_state()["doc"]
    doc.update(pages=pages, pageOrder=order, pageColumnCounts=counts or dict.fromkeys(order, 2))
    return doc


def test_rebuild_keeps_current_page_non_flow_items_and_drops_others() -> None:
    stroke = {"id": "stroke-1", "type": "stroke"}
    old_flow = {"id": "flow:old:s", "type": "text", "layout": "flow", "step": 0}
    doc = doc_with(
        {"page-1": [{"id": "k"}], "page-2": [stroke, old_flow], "page-3": []},
        ["page-1", "page-2", "page-3"],
        {"page-1": 1, "page-2": 3, "page-3": 4},
    )
    before = copy.deepcopy(doc)
    blocks = [text("a", "a1"), brk("p", "page-break"), text("b", "b1")]
    layout = bd.rebuild_layout(doc, "page-2", blocks)
    assert doc == before
    assert layout["pageOrder"] == ["page-2", "page-4"]
    assert layout["pages"]["page-2"][0] == stroke
    assert [i["id"] for i in layout["pages"]["page-2"]] == ["stroke-1", "flow:a:a1"]
    assert [i["id"] for i in layout["pages"]["page-4"]] == ["flow:b:b1"]
    assert layout["pageColumnCounts"] == {"page-2": 3, "page-4": 3}


def test_rebuild_with_unknown_current_page_uses_first_page() -> None:
    doc = doc_with({"page-1": [], "page-2": []}, ["page-1", "page-2"])
    layout = bd.rebuild_layout(doc, "nope", [])
    assert layout["pageOrder"] == ["page-1"]
    assert layout["pages"] == {"page-1": []}


def test_rebuild_new_page_ids_skip_every_id_in_use() -> None:
    doc = doc_with({"page-1": [], "page-7": []}, ["page-1", "page-7"], {"page-1": 2, "page-9": 2})
    layout = bd.rebuild_layout(doc, "page-1", [brk("p", "page-break"), brk("q", "page-break")])
    assert layout["pageOrder"] == ["page-1", "page-10", "page-11"]


def test_page_of_step() -> None:
    blocks = [text("a", "a1"), {"id": "e", "segments": []}, brk("p", "page-break"), text("b", "b1")]
    layout = bd.rebuild_layout(doc_with({"page-1": []}, ["page-1"]), "page-1", blocks)
    pages, order = layout["pages"], layout["pageOrder"]
    assert bd.page_of_step(pages, order, 0, 3) == "page-1"
    assert bd.page_of_step(pages, order, 1, 3) == "page-1"  # empty block: nearest earlier step
    assert bd.page_of_step(pages, order, 2, 3) == "page-2"
    assert bd.page_of_step(pages, order, 3, 3) == "page-2"  # everything revealed: last step's page
    assert bd.page_of_step(pages, order, 0, 0) is None


def test_page_of_step_falls_forward_when_no_earlier_items() -> None:
    blocks = [{"id": "e", "segments": []}, brk("p", "page-break"), text("b", "b1")]
    layout = bd.rebuild_layout(doc_with({"page-1": []}, ["page-1"]), "page-1", blocks)
    assert bd.page_of_step(layout["pages"], layout["pageOrder"], 0, 2) == "page-2"


def test_current_page_fallbacks() -> None:
    assert bd.current_page({"pageOrder": ["a", "b"]}, "b") == "b"
    assert bd.current_page({"pageOrder": ["a", "b"]}, "zz") == "a"
    assert bd.current_page({"pageOrder": []}, None) == "page-1"
