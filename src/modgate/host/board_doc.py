"""The board's document model: initial state, the step model and the layout rebuild.

Pure functions over plain JSON values; nothing here mutates its arguments.

State shape (every ``documentModel`` field of ``board-commands.json``)::

    doc   pages {pageId: [item]}, pageOrder [pageId], pageColumnCounts {pageId: 1..4},
          stepBlocks [block], anchorMap null|object, audioByStep {step: clip},
          animationModInput null|{format, payload}, insertionIndex int, strokeRedoByPage {pageId: [stroke]}
    sync  currentPageId, currentStep, playback {isAutoPlay, playSignal, playbackSpeed,
          autoPlayDelayMs, isPaused, skipSignal, stopSignal, isAnimating}
    local tool {activeTool, penType, penColor, penWidth, penOpacity, eraserWidth, laserType,
          laserColor, laserWidth}, view {viewMode}, chrome {toolbarPlacement {mode, edge},
          openPanel, isPanelOpen}

Decisions where the catalog is silent:

- **Steps** are the content blocks (``kind`` omitted or ``"content"``) in block-list order; break
  blocks are not steps. Step ``k`` is the ``k``-th content block. The cursor ``currentStep``
  ranges over ``0..len(steps)``; ``len(steps)`` is the "everything revealed" position.
- **Flow items**: the layout rebuild renders every segment of a content block (sorted by
  ``orderIndex``, stable) as one page item ``{"id": "flow:<blockId>:<segmentId>", "type",
  "layout": "flow", "blockId", "segmentId", "step", "column", "line", ...content}``. A
  column-break starts the next column (``column`` + 1, ``line`` 0), a line-break the next line
  (``line`` + 1), a page-break a new page (both reset). Items without ``"layout": "flow"``
  (strokes, free-placed text/images) are never touched by the rebuild on the current page.
- **The page showing step k** is the page holding a flow item of step ``k``. An empty content
  block has no item; it then shows on the page of the nearest earlier step that has one (or,
  failing that, the nearest later one). The revealed-everything position shows the last step.
- **Page ids** are ``page-<n>``, ``n`` = 1 + the largest numeric suffix among the page ids in
  ``pageOrder``, ``pages`` and ``pageColumnCounts`` (deterministic: no uuid, no clock).
- **Break block ids** (insertBreak) are ``break-<n>`` by the same rule over the block ids.
- **Pen presets** (``setPenType``): ink = width 4, opacity 100, keeps the current color (as the
  catalog's undo note says); pencil = width 2, opacity 80, ``#D1D5DB``; highlighter = width 24,
  opacity 35, ``#FFEB3B``. **Laser presets** (``setLaserType``): standard = width 8, ``#FF3B30``;
  highlighter = width 28, ``#FFEB3B``. The initial tool state is the ink and standard presets
  with a white pen.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from modgate.state import JsonObject

DEFAULT_COLUMN_COUNT = 2
FIRST_PAGE_ID = "page-1"

PEN_PRESETS: Mapping[str, Mapping[str, Any]] = {
    "ink": {"penWidth": 4, "penOpacity": 100},
    "pencil": {"penWidth": 2, "penOpacity": 80, "penColor": "#D1D5DB"},
    "highlighter": {"penWidth": 24, "penOpacity": 35, "penColor": "#FFEB3B"},
}
LASER_PRESETS: Mapping[str, Mapping[str, Any]] = {
    "standard": {"laserWidth": 8, "laserColor": "#FF3B30"},
    "highlighter": {"laserWidth": 28, "laserColor": "#FFEB3B"},
}
BREAK_KINDS = ("line-break", "column-break", "page-break")

_SUFFIX = re.compile(r"^(?:page|break)-(\d+)$")


def initial_state() -> JsonObject:
    """A fresh initial board state (a new dict every call)."""
    return {
        "doc": {
            "pages": {FIRST_PAGE_ID: []},
            "pageOrder": [FIRST_PAGE_ID],
            "pageColumnCounts": {FIRST_PAGE_ID: DEFAULT_COLUMN_COUNT},
            "stepBlocks": [],
            "anchorMap": None,
            "audioByStep": {},
            "animationModInput": None,
            "insertionIndex": 0,
            "strokeRedoByPage": {},
        },
        "sync": {
            "currentPageId": FIRST_PAGE_ID,
            "currentStep": 0,
            "playback": {
                "isAutoPlay": False,
                "playSignal": 0,
                "playbackSpeed": 1,
                "autoPlayDelayMs": 1200,
                "isPaused": False,
                "skipSignal": 0,
                "stopSignal": 0,
                "isAnimating": False,
            },
        },
        "local": {
            "tool": {
                "activeTool": "pen",
                "penType": "ink",
                "penColor": "#FFFFFF",
                "penWidth": PEN_PRESETS["ink"]["penWidth"],
                "penOpacity": PEN_PRESETS["ink"]["penOpacity"],
                "eraserWidth": 40,
                "laserType": "standard",
                "laserColor": LASER_PRESETS["standard"]["laserColor"],
                "laserWidth": LASER_PRESETS["standard"]["laserWidth"],
            },
            "view": {"viewMode": "edit"},
            "chrome": {
                "toolbarPlacement": {"mode": "floating", "edge": "bottom"},
                "openPanel": "none",
                "isPanelOpen": False,
            },
        },
    }


# --- ids ------------------------------------------------------------------------------------------


def _max_suffix(ids: Iterable[str], prefix: str) -> int:
    best = 0
    for value in ids:
        match = _SUFFIX.match(value) if isinstance(value, str) else None
        if match and value.startswith(prefix):
            best = max(best, int(match.group(1)))
    return best


def page_ids_in_use(doc_pages: Mapping[str, Any], order: Iterable[str], counts: Mapping[str, Any]) -> set[str]:
    return set(doc_pages) | set(order) | set(counts)


def fresh_page_ids(in_use: Iterable[str], count: int) -> list[str]:
    """``count`` new page ids, each greater than every ``page-<n>`` in use."""
    start = _max_suffix(in_use, "page-") + 1
    return [f"page-{n}" for n in range(start, start + count)]


def fresh_break_id(blocks: Iterable[Mapping[str, Any]]) -> str:
    return f"break-{_max_suffix((str(b.get('id')) for b in blocks), 'break-') + 1}"


# --- steps ----------------------------------------------------------------------------------------


def block_kind(block: Mapping[str, Any]) -> str:
    return str(block.get("kind", "content"))


def is_content(block: Mapping[str, Any]) -> bool:
    return block_kind(block) == "content"


def step_count(blocks: Iterable[Mapping[str, Any]]) -> int:
    return sum(1 for b in blocks if is_content(b))


def steps_before(blocks: Sequence[Mapping[str, Any]], index: int) -> int:
    """How many content blocks precede block-list position ``index``."""
    return step_count(blocks[:index])


def block_index_of_step(blocks: Sequence[Mapping[str, Any]], step: int) -> int:
    """Block-list position of step ``step``; ``len(blocks)`` when there is no such step."""
    seen = 0
    for index, block in enumerate(blocks):
        if is_content(block):
            if seen == step:
                return index
            seen += 1
    return len(blocks)


def find_block(blocks: Sequence[Mapping[str, Any]], block_id: str) -> int:
    """Position of the first block with ``block_id`` or -1."""
    return next((i for i, b in enumerate(blocks) if b.get("id") == block_id), -1)


def clamp(value: int, low: int, high: int) -> int:
    return max(low, min(value, high))


# --- pages ----------------------------------------------------------------------------------------


def _step_pages(pages: Mapping[str, Any], order: list[str]) -> dict[int, str]:
    """step → first page (in page order) holding a flow item of that step."""
    found: dict[int, str] = {}
    for page_id in order:
        for item in pages.get(page_id) or []:
            step = item.get("step") if isinstance(item, dict) and item.get("layout") == "flow" else None
            if isinstance(step, int) and step not in found:
                found[step] = page_id
    return found


def page_of_step(pages: Mapping[str, Any], order: list[str], step: int, total: int) -> str | None:
    """The page showing ``step`` (see the module docstring), or None when no step has items."""
    found = _step_pages(pages, order)
    target = min(step, total - 1)
    for candidate in [*range(target, -1, -1), *range(target + 1, total)]:
        if candidate in found:
            return found[candidate]
    return None


def is_flow_item(item: Any) -> bool:
    return isinstance(item, dict) and item.get("layout") == "flow"


def _segment_item(block_id: str, segment: Mapping[str, Any], step: int, column: int, line: int) -> JsonObject:
    item: JsonObject = {
        "id": f"flow:{block_id}:{segment.get('id')}",
        "type": segment.get("type"),
        "layout": "flow",
        "blockId": block_id,
        "segmentId": segment.get("id"),
        "step": step,
        "column": column,
        "line": line,
    }
    for key in ("html", "style", "src", "width", "height"):
        if key in segment:
            item[key] = segment[key]
    return item


def _ordered_segments(block: Mapping[str, Any]) -> Sequence[Mapping[str, Any]]:
    segments = [s for s in block.get("segments") or [] if isinstance(s, dict)]
    return sorted(segments, key=lambda s: s.get("orderIndex", 0))


def flow_pages(blocks: Sequence[Mapping[str, Any]]) -> list[list[JsonObject]]:
    """Flow items per generated page: one list, plus one more per page-break block."""
    out: list[list[JsonObject]] = [[]]
    step = column = line = 0
    for block in blocks:
        kind = block_kind(block)
        if kind == "page-break":
            out.append([])
            column = line = 0
        elif kind == "column-break":
            column, line = column + 1, 0
        elif kind == "line-break":
            line += 1
        else:
            block_id = str(block.get("id"))
            out[-1].extend(_segment_item(block_id, s, step, column, line) for s in _ordered_segments(block))
            step += 1
    return out


def current_page(doc: Mapping[str, Any], current_id: Any) -> str:
    """The current page id, falling back to the first page (or ``page-1``) when it is unknown."""
    order = list(doc.get("pageOrder") or [])
    if current_id in order:
        return str(current_id)
    return str(order[0]) if order else FIRST_PAGE_ID


def rebuild_layout(doc: Mapping[str, Any], current_id: Any, blocks: Sequence[Mapping[str, Any]]) -> JsonObject:
    """Regenerate the pages from ``blocks``, starting from the current page.

    Returns the new ``pages``, ``pageOrder`` and ``pageColumnCounts`` (other old pages are
    dropped; pages opened by page-breaks get fresh ids and the current page's column count).
    """
    keep = current_page(doc, current_id)
    old_pages: Mapping[str, Any] = doc.get("pages") or {}
    old_counts: Mapping[str, Any] = doc.get("pageColumnCounts") or {}
    generated = flow_pages(blocks)
    in_use = page_ids_in_use(old_pages, doc.get("pageOrder") or [], old_counts)
    order = [keep, *fresh_page_ids(in_use, len(generated) - 1)]
    kept_items = [item for item in old_pages.get(keep) or [] if not is_flow_item(item)]
    columns = old_counts.get(keep, DEFAULT_COLUMN_COUNT)
    pages: JsonObject = {order[0]: [*kept_items, *generated[0]]}
    pages.update({page_id: items for page_id, items in zip(order[1:], generated[1:], strict=True)})
    return {"pages": pages, "pageOrder": order, "pageColumnCounts": dict.fromkeys(order, columns)}
