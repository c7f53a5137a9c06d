"""SVG pictures drawn on the server: an action graph, and a board layout from resolver rectangles.

Pure: data in, markup out (every text escaped here, so templates may mark the result safe).
Colours are the stylesheet's (classes), so contrast is checked in one place.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from html import escape
from typing import Any

COLUMN_X = (8, 336, 664)
BOX_W, BOX_H, GAP, TOP = 288, 30, 10, 40
MAX_NODES = 80  # a bigger module is listed in the table; the drawing stays legible


def _box(x: int, y: int, label: str, cls: str) -> str:
    text = label if len(label) <= 36 else label[:35] + "…"
    return (f'<g class="node {cls}"><rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="6"/>'
            f'<text x="{x + 10}" y="{y + 20}">{escape(text)}</text></g>')


def _edge(a: tuple[int, int], b: tuple[int, int], cls: str) -> str:
    (x1, y1), (x2, y2) = a, b
    mid = (x1 + x2) // 2
    return f'<path class="edge {cls}" d="M{x1},{y1} C{mid},{y1} {mid},{y2} {x2},{y2}"/>'


def _positions(names: Iterable[str]) -> dict[str, int]:
    return {name: TOP + i * (BOX_H + GAP) for i, name in enumerate(dict.fromkeys(names))}


def graph_svg(graph: Mapping[str, Any], *, title: str, headings: Sequence[str]) -> str:
    """Actions → the commands they call → the state paths they mutate."""
    actions = list(graph.get("actions", []))[:MAX_NODES]
    ys_a = _positions(a["id"] for a in actions)
    ys_c = _positions(c for a in actions for c in a["calls"])
    ys_m = _positions(p for a in actions for p in a["mutates"])
    rows = max(len(ys_a), len(ys_c), len(ys_m), 1)
    height = TOP + rows * (BOX_H + GAP) + 8
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="graph" viewBox="0 0 960 {height}" role="img"'
             f' aria-label="{escape(title)}"><title>{escape(title)}</title>']
    parts += [f'<text class="heading" x="{x}" y="22">{escape(h)}</text>' for x, h in zip(COLUMN_X, headings,
                                                                                            strict=True)]
    for a in actions:
        y = ys_a[a["id"]] + BOX_H // 2
        parts += [_edge((COLUMN_X[0] + BOX_W, y), (COLUMN_X[1], ys_c[c] + BOX_H // 2), "calls") for c in a["calls"]]
        source = (COLUMN_X[1] + BOX_W, ys_c[a["calls"][0]] + BOX_H // 2) if a["calls"] else (COLUMN_X[0] + BOX_W, y)
        parts += [_edge(source, (COLUMN_X[2], ys_m[p] + BOX_H // 2), "mutates") for p in a["mutates"]]
    for a in actions:
        cls = "action gated" if a.get("requiresApproval") else "action"
        parts.append(_box(COLUMN_X[0], ys_a[a["id"]], ("⚑ " if a.get("requiresApproval") else "") + a["id"], cls))
    parts += [_box(COLUMN_X[1], y, name, "command") for name, y in ys_c.items()]
    parts += [_box(COLUMN_X[2], y, name, "state") for name, y in ys_m.items()]
    parts.append("</svg>")
    return "".join(parts)


def board_svg(width: float, height: float, rects: Sequence[Mapping[str, Any]], *, title: str) -> str:
    """A device's board: its outline and one labelled rectangle per panel, scaled to 320 wide.

    ``rects``: ``{"label", "x", "y", "w", "h", "kind"}`` in device pixels; ``kind`` picks the class.
    """
    scale = 320 / width if width > 0 else 1.0
    h = round(height * scale, 1)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="board" viewBox="0 0 322 {h + 2}" role="img"'
             f' aria-label="{escape(title)}"><title>{escape(title)}</title>',
             f'<rect class="device" x="1" y="1" width="320" height="{h}" rx="8"/>']
    for r in rects:
        x, y = round(r["x"] * scale + 1, 1), round(r["y"] * scale + 1, 1)
        w, hh = round(r["w"] * scale, 1), round(r["h"] * scale, 1)
        label = escape(str(r["label"]))
        text = f'<text x="{x + 4}" y="{y + min(hh - 4, 14)}">{label}</text>' if w >= 48 else ""  # too small to read
        parts.append(f'<g class="panel {escape(str(r.get("kind", "panel")))}"><title>{label}</title>'
                     f'<rect x="{x}" y="{y}" width="{w}" height="{hh}" rx="3"/>{text}</g>')
    parts.append("</svg>")
    return "".join(parts)
