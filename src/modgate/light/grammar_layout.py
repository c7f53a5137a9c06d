"""The layout part of the grammar: panels, the writing area and the tool bar, per clause. Pure."""

from __future__ import annotations

from typing import Any

from modgate.light.clauses import Clause, Reading


def layout_verbs(clause: Clause) -> bool:
    return any(clause.has("verb", v) for v in ("dock", "float", "hide", "show", "auto", "maximize", "normalsize")) \
        or clause.has("edge") or clause.has("dir")


def layout(clause: Clause, entities: list[str], r: Reading) -> None:
    entity = entities[-1]
    r.entities.add(entity)
    r.must.add(f"change {entity}")
    r.understood += 1
    values = LAYOUT_RULES[entity](clause)
    if not values:
        r.metrics.append({"metric": f"layout.{LAYOUT_KEY[entity]}", "operator": "ask", "value": None})
    for key, value in values:
        r.metrics.append({"metric": f"layout.{key}", "operator": "=", "value": value})


def _edge(clause: Clause) -> str | None:
    """An edge word anywhere in the clause ("left side" is also a slot phrase)."""
    return next((w for w in clause.words() if w in ("top", "bottom", "left", "right")), None)


def _canvas(c: Clause) -> list[tuple[str, Any]]:
    if c.has("verb", "maximize") or c.has("dir", "up"):
        return [("canvas", "maximize")]
    if c.has("verb", "normalsize") or c.has("dir", "down"):
        return [("canvas", "normal")]
    return []


def _data_input(c: Clause) -> list[tuple[str, Any]]:
    edge = _edge(c)
    out: list[tuple[str, Any]] = []
    for verb, mode in (("hide", "collapsed"), ("float", "windowed"), ("dock", "docked"), ("auto", "auto"),
                       ("show", "auto")):
        if c.has("verb", verb):
            out.append(("dataInput", mode))
            break
    if edge in ("left", "right"):
        if not out:
            out.append(("dataInput", "docked"))
        out.append(("dataInputEdge", edge))
    return out


def _toolbar_aux(c: Clause) -> list[tuple[str, Any]]:
    for verb, mode in (("hide", "collapsed"), ("show", "shown"), ("auto", "auto")):
        if c.has("verb", verb):
            return [("toolbarAux", mode)]
    return []


def _tool_palette(c: Clause) -> list[tuple[str, Any]]:
    edge = _edge(c)
    if edge:
        return [("toolPalette", {"mode": "docked", "edge": edge})]
    if c.has("verb", "float"):
        return [("toolPalette", {"mode": "floating"})]
    if c.has("verb", "dock"):
        return [("toolPalette", {"mode": "docked"})]
    return []


LAYOUT_RULES = {"canvas": _canvas, "data_input_panel": _data_input, "toolbar_aux": _toolbar_aux,
                "tool_palette": _tool_palette}
LAYOUT_KEY = {"canvas": "canvas", "data_input_panel": "dataInput", "toolbar_aux": "toolbarAux",
              "tool_palette": "toolPalette"}
