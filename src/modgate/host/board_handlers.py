"""The board's 38 command handlers.

Every handler is pure: ``(view, payload) -> result``. It reads through the
:class:`~modgate.state.StateView`, stages field-level writes with ``view.set`` (only paths listed in
the command's ``writes``) and returns a small JSON object. Values read from the view are shared
with the state, so handlers build new lists/dicts instead of mutating them. Payloads arrive
normalized (:mod:`modgate.host.board_payload`) and schema-valid.

A handler that cannot run raises :class:`~modgate.errors.HandlerError` with code
``command-execution-failed`` (unknown page/block ids). The document-model decisions (steps,
page ids, presets) are described in :mod:`modgate.host.board_doc`; the playback and tool/chrome
handlers live in :mod:`modgate.host.board_settings`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from modgate.errors import HandlerError
from modgate.host import board_doc as bd
from modgate.host.board_settings import SETTINGS_HANDLERS
from modgate.state import JsonObject, StateView

FAILED = "command-execution-failed"
HandlerFn = Callable[[StateView, JsonObject], JsonObject]


def _blocks(view: StateView) -> list[Mapping[str, Any]]:
    return list(view.get("/doc/stepBlocks") or [])


def _doc(view: StateView) -> Mapping[str, Any]:
    return view.get("/doc") or {}


def _current_page(view: StateView) -> str:
    return bd.current_page(_doc(view), view.get("/sync/currentPageId"))


def _order(view: StateView) -> list[str]:
    return list(view.get("/doc/pageOrder") or [])


# --- layout commits -------------------------------------------------------------------------------


def _stage_layout(view: StateView, blocks: list[Mapping[str, Any]]) -> JsonObject:
    """Stage the block list and the pages rebuilt from it; reset anchors and redo stacks."""
    layout = bd.rebuild_layout(_doc(view), view.get("/sync/currentPageId"), blocks)
    view.set("/doc/stepBlocks", [dict(b) for b in blocks])
    for key in ("pages", "pageOrder", "pageColumnCounts"):
        view.set(f"/doc/{key}", layout[key])
    view.set("/doc/anchorMap", None)
    view.set("/doc/strokeRedoByPage", {})
    return layout


def _commit_blocks(view: StateView, blocks: list[Mapping[str, Any]]) -> str:
    """The canvas importer: rebuild, cursor to step 0, marker to the end. Returns the page."""
    layout = _stage_layout(view, blocks)
    page = bd.page_of_step(layout["pages"], layout["pageOrder"], 0, bd.step_count(blocks))
    current = page or layout["pageOrder"][0]
    view.set("/doc/insertionIndex", len(blocks))
    view.set("/sync/currentStep", 0)
    view.set("/sync/currentPageId", current)
    return current


def _block_index(view: StateView, block_id: str) -> int:
    index = bd.find_block(_blocks(view), block_id)
    if index < 0:
        raise HandlerError.make(FAILED, f"no block has id {block_id!r}", path="payload.blockId")
    return index


def insert_block(view: StateView, payload: JsonObject) -> JsonObject:
    blocks = _blocks(view)
    index = bd.clamp(payload.get("index", len(blocks)), 0, len(blocks))
    blocks.insert(index, payload["block"])
    page = _commit_blocks(view, blocks)
    return {"blockId": payload["block"]["id"], "index": index, "currentPageId": page}


def delete_block(view: StateView, payload: JsonObject) -> JsonObject:
    index = _block_index(view, payload["blockId"])
    blocks = _blocks(view)
    removed = blocks.pop(index)
    page = _commit_blocks(view, blocks)
    return {"block": removed, "index": index, "currentPageId": page}


def update_block(view: StateView, payload: JsonObject) -> JsonObject:
    index = _block_index(view, payload["blockId"])
    blocks = _blocks(view)
    previous = blocks[index]
    blocks[index] = payload["block"]
    page = _commit_blocks(view, blocks)
    return {"blockId": payload["blockId"], "index": index, "previous": previous, "currentPageId": page}


def import_step_blocks(view: StateView, payload: JsonObject) -> JsonObject:
    blocks = list(payload["blocks"])
    page = _commit_blocks(view, blocks)
    return {"blockCount": len(blocks), "stepCount": bd.step_count(blocks), "currentPageId": page}


def _break_position(view: StateView, payload: JsonObject, blocks: list[Mapping[str, Any]]) -> int:
    """The insertion marker when the data-input panel is open, else before the current step.

    modgate has no item selection, so the catalog's middle rule (the selected item's block)
    never applies.
    """
    if payload.get("panelOpen") is True:
        marker = view.get("/doc/insertionIndex", 0)
        return bd.clamp(marker if isinstance(marker, int) else 0, 0, len(blocks))
    return bd.block_index_of_step(blocks, int(view.get("/sync/currentStep", 0) or 0))


def insert_break(view: StateView, payload: JsonObject) -> JsonObject:
    blocks = _blocks(view)
    index = _break_position(view, payload, blocks)
    kind = f"{payload['type']}-break"
    block_id = bd.fresh_break_id(blocks)
    blocks.insert(index, {"id": block_id, "kind": kind, "segments": []})
    layout = _stage_layout(view, blocks)
    # The cursor follows the content that was at the insertion point (now just after the break).
    step = bd.steps_before(blocks, index)
    total = bd.step_count(blocks)
    page = bd.page_of_step(layout["pages"], layout["pageOrder"], step, total) if step < total else None
    current = page or layout["pageOrder"][-1]
    view.set("/sync/currentStep", step)
    view.set("/sync/currentPageId", current)
    return {"blockId": block_id, "kind": kind, "index": index, "currentPageId": current}


def set_insertion_index(view: StateView, payload: JsonObject) -> JsonObject:
    index = bd.clamp(payload["index"], 0, len(_blocks(view)))
    view.set("/doc/insertionIndex", index)
    return {"index": index}


# --- pages ----------------------------------------------------------------------------------------


def _append_page(view: StateView) -> str:
    """Stage a new empty page at the end, with the current page's column count."""
    doc = _doc(view)
    pages: Mapping[str, Any] = doc.get("pages") or {}
    counts: Mapping[str, Any] = doc.get("pageColumnCounts") or {}
    order = _order(view)
    (new_id,) = bd.fresh_page_ids(bd.page_ids_in_use(pages, order, counts), 1)
    columns = counts.get(_current_page(view), bd.DEFAULT_COLUMN_COUNT)
    view.set("/doc/pages", {**pages, new_id: []})
    view.set("/doc/pageOrder", [*order, new_id])
    view.set("/doc/pageColumnCounts", {**counts, new_id: columns})
    view.set("/sync/currentPageId", new_id)
    return new_id


def add_page(view: StateView, payload: JsonObject) -> JsonObject:
    return {"currentPageId": _append_page(view)}


def _has_anchors(anchor_map: Any, page_id: str) -> bool:
    """True when the anchor map holds anchors on ``page_id`` (keyed by it, or naming it as pageId)."""
    if isinstance(anchor_map, dict):
        if anchor_map.get(page_id) or anchor_map.get("pageId") == page_id:
            return True
        return any(_has_anchors(v, page_id) for k, v in anchor_map.items() if k != page_id)
    if isinstance(anchor_map, list):
        return any(_has_anchors(v, page_id) for v in anchor_map)
    return False


def _deletable(view: StateView, page_id: str) -> bool:
    order = _order(view)
    pages: Mapping[str, Any] = view.get("/doc/pages") or {}
    if page_id not in order or len(order) < 2 or pages.get(page_id):
        return False
    return not _has_anchors(view.get("/doc/anchorMap"), page_id)


def _without(mapping: Any, key: str) -> JsonObject:
    return {k: v for k, v in (mapping or {}).items() if k != key}


def delete_page(view: StateView, payload: JsonObject) -> JsonObject:
    page_id = payload.get("pageId") or _current_page(view)
    if not _deletable(view, page_id):
        return {"deleted": False, "pageId": page_id, "currentPageId": view.get("/sync/currentPageId")}
    order = _order(view)
    position = order.index(page_id)
    remaining = [p for p in order if p != page_id]
    view.set("/doc/pages", _without(view.get("/doc/pages"), page_id))
    view.set("/doc/pageOrder", remaining)
    view.set("/doc/pageColumnCounts", _without(view.get("/doc/pageColumnCounts"), page_id))
    view.set("/doc/strokeRedoByPage", _without(view.get("/doc/strokeRedoByPage"), page_id))
    anchors = view.get("/doc/anchorMap")
    if isinstance(anchors, dict) and page_id in anchors:
        view.set("/doc/anchorMap", _without(anchors, page_id))
    if view.get("/sync/currentPageId") == page_id:
        # The page before it becomes current (the next one when it was the first).
        view.set("/sync/currentPageId", remaining[max(position - 1, 0)])
    return {"deleted": True, "pageId": page_id, "currentPageId": view.get("/sync/currentPageId")}


def go_to_page(view: StateView, payload: JsonObject) -> JsonObject:
    page_id = payload["pageId"]
    if page_id not in _order(view):
        raise HandlerError.make(FAILED, f"no page has id {page_id!r}", path="payload.pageId")
    view.set("/sync/currentPageId", page_id)
    return {"currentPageId": page_id}


def next_page(view: StateView, payload: JsonObject) -> JsonObject:
    order = _order(view)
    current = _current_page(view)
    position = order.index(current) if current in order else len(order) - 1
    if position >= len(order) - 1:
        return {"currentPageId": _append_page(view), "appended": True}
    view.set("/sync/currentPageId", order[position + 1])
    return {"currentPageId": order[position + 1], "appended": False}


def prev_page(view: StateView, payload: JsonObject) -> JsonObject:
    order = _order(view)
    current = _current_page(view)
    position = order.index(current) if current in order else 0
    target = order[position - 1] if position > 0 else current
    view.set("/sync/currentPageId", target)
    return {"currentPageId": target}


def set_column_count(view: StateView, payload: JsonObject) -> JsonObject:
    page_id = _current_page(view)
    view.set("/doc/pageColumnCounts", {**(view.get("/doc/pageColumnCounts") or {}), page_id: payload["count"]})
    return {"pageId": page_id, "count": payload["count"]}


# --- steps ----------------------------------------------------------------------------------------


def _move_to_step(view: StateView, step: int) -> JsonObject:
    """Stage the cursor at ``step`` (clamped to 0..steps) and follow it to its page."""
    total = bd.step_count(_blocks(view))
    step = bd.clamp(step, 0, total)
    page = bd.page_of_step(view.get("/doc/pages") or {}, _order(view), step, total)
    view.set("/sync/currentStep", step)
    if page is not None:
        view.set("/sync/currentPageId", page)
    return {"currentStep": step, "currentPageId": view.get("/sync/currentPageId")}


def go_to_step(view: StateView, payload: JsonObject) -> JsonObject:
    return _move_to_step(view, payload["step"])


def next_step(view: StateView, payload: JsonObject) -> JsonObject:
    step = int(view.get("/sync/currentStep", 0) or 0)
    if step >= bd.step_count(_blocks(view)):
        return {"currentStep": step, "currentPageId": view.get("/sync/currentPageId")}
    return _move_to_step(view, step + 1)


def prev_step(view: StateView, payload: JsonObject) -> JsonObject:
    step = int(view.get("/sync/currentStep", 0) or 0)
    if step <= 0:
        return {"currentStep": 0, "currentPageId": view.get("/sync/currentPageId")}
    return _move_to_step(view, step - 1)


# --- doc fields -----------------------------------------------------------------------------------


def clear_all_audio(view: StateView, payload: JsonObject) -> JsonObject:
    cleared = len(view.get("/doc/audioByStep") or {})
    view.set("/doc/audioByStep", {})
    return {"cleared": cleared}


def set_animation_mod_input(view: StateView, payload: JsonObject) -> JsonObject:
    given = payload["input"]
    value = None if given is None else {"format": given["format"], "payload": given.get("payload")}
    view.set("/doc/animationModInput", value)
    return {"animationModInput": value}


def journal_only(view: StateView, payload: JsonObject) -> JsonObject:
    """undo/redo run over the journal in the bus; calling the handler is a wiring error."""
    raise HandlerError.make(FAILED, "undo/redo are journal actions run by the command bus")


HANDLERS: Mapping[str, HandlerFn] = {
    **SETTINGS_HANDLERS,
    "addPage": add_page,
    "clearAllAudio": clear_all_audio,
    "deleteBlock": delete_block,
    "deletePage": delete_page,
    "goToPage": go_to_page,
    "goToStep": go_to_step,
    "importStepBlocks": import_step_blocks,
    "insertBlock": insert_block,
    "insertBreak": insert_break,
    "nextPage": next_page,
    "nextStep": next_step,
    "prevPage": prev_page,
    "prevStep": prev_step,
    "redo": journal_only,
    "setAnimationModInput": set_animation_mod_input,
    "setColumnCount": set_column_count,
    "setInsertionIndex": set_insertion_index,
    "undo": journal_only,
    "updateBlock": update_block,
}
