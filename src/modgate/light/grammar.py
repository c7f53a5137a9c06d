"""The small grammar: matched phrases and numbers → what is asked (metrics), per clause. Pure.

A metric is ``{"metric", "operator", "value"}`` (light.intent.v1 ``successCriteria.metrics``):
``metric`` is a preference key (``penColor``), ``layout.<key>``, ``shortcut.add|remove|rename``,
``reset``, ``light.undo``, ``light.changes`` or ``denied``; ``operator`` is ``=``, ``increase``,
``decrease``, ``multiply`` or ``ask`` (the value is missing).
"""

from __future__ import annotations

from typing import Any

from modgate.light.clauses import Clause, Reading, clauses
from modgate.light.grammar_layout import LAYOUT_KEY, layout, layout_verbs
from modgate.light.lexicon import css_colors
from modgate.light.numbers import Quantity
from modgate.light.text import Item
from modgate.light.vocab import LightVocabulary, ShortcutAction

__all__ = ["LAYOUT_KEY", "Clause", "Reading", "clauses", "read"]

HINTS = {"thicker": "width", "thinner": "width", "wider": "width", "fatter": "width", "skinnier": "width",
         "narrower": "width", "finer": "width", "bolder": "width", "heavier": "width", "bigger": "width",
         "big": "width", "large": "width", "small": "width", "tiny": "width", "thick": "width", "thin": "width",
         "wide": "width", "narrow": "width", "fast": "speed", "slow": "speed", "long": "delay", "short": "delay",
         "faint": "opacity", "huge": "width", "giant": "width", "enormous": "width", "massive": "width",
         "smaller": "width", "larger": "width", "broader": "width", "tinier": "width", "faster": "speed",
         "slower": "speed", "quicker": "speed", "longer": "delay", "shorter": "delay", "darker": "opacity",
         "lighter": "opacity", "fainter": "opacity", "stronger": "opacity", "weaker": "opacity"}
TOOLS = ("pen", "eraser", "laser")
LAYOUT_ENTITIES = ("canvas", "data_input_panel", "toolbar_aux", "tool_palette")
UNIT_ATTRIBUTE = {"px": "width", "%": "opacity", "s": "delay", "ms": "delay", "x": "speed"}


def read(tokens: list[str], items: list[Item], quantities: list[Quantity], vocab: LightVocabulary,
         label: str | None) -> Reading:
    reading = Reading()
    parts = clauses(tokens, items, quantities)
    for clause in parts:
        reading.devices.update(clause.values("device"))
    rest = _special(parts, reading, vocab, label)
    last_tool: list[str] = []
    for clause in rest:
        if clause.negated:
            _negated(clause, reading)
        else:
            _clause(clause, reading, vocab, last_tool)
    reading.metrics = _merge(reading.metrics)
    return reading


def _merge(metrics: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One metric per setting: the last value said wins; a question only when no value was said."""
    chosen: dict[str, dict[str, Any]] = {}
    for metric in metrics:
        known = chosen.get(metric["metric"])
        if known is None or metric["operator"] != "ask" or known["operator"] == "ask":
            chosen[metric["metric"]] = metric
    return list(chosen.values())


def _special(parts: list[Clause], r: Reading, vocab: LightVocabulary, label: str | None) -> list[Clause]:
    """Whole-request readings (refusals, undo, lists, resets) and buttons; returns the clauses left to read."""
    live = [c for c in parts if not c.negated]
    denied = _denied(live, vocab)
    if denied:
        r.metrics.append({"metric": "denied", "operator": "=", "value": denied})
        r.understood += 1
        return []
    for verb, metric in (("list", "light.changes"), ("undo", "light.undo")):
        if any(c.has("verb", verb) for c in live):
            r.metrics.append({"metric": metric, "operator": "=", "value": True})
            r.understood += 1
            return []
    if any(c.has("verb", "button") for c in live):
        # the button's clauses (and bare ones like ", at the top"); the others may change settings too
        used = [c for c in live if c.has("verb", "button") or not (_pref_signals(c) or c.values("entity"))]
        _shortcut(used, r, vocab, label)
        return [c for c in parts if all(c is not u for u in used)]
    if any(c.has("verb", "reset") for c in live):
        target = next((e for c in live for e in c.values("entity")), "all")
        r.metrics.append({"metric": "reset", "operator": "=", "value": target})
        r.entities.add(target) if target != "all" else None
        r.understood += 1
        return []
    return parts


def _denied(live: list[Clause], vocab: LightVocabulary) -> str | None:
    buttons = any(c.has("verb", "button") for c in live) and not any(c.values("action") for c in live)
    small = any(q.value < 44 and q.unit in ("", "px") for c in live for q in c.quantities)
    if buttons and (small or any(c.has("dir", "down") for c in live)):
        return "touch targets"
    for clause in live:
        found = clause.values("deny")
        if "code" in found and clause.has("color"):
            found.remove("code")
        if found:
            return sorted(found)[0]
        locked = [e for e in clause.values("entity") if e in vocab.locked_entities]
        shrinks = clause.has("verb", "hide") or clause.has("verb", "remove") or clause.has("dir", "down")
        if locked and shrinks:
            return f"hide {locked[0]}"
    return None


def _shortcut(live: list[Clause], r: Reading, vocab: LightVocabulary, label: str | None) -> None:
    words = [v for c in live for v in c.values("verb")]
    verb = next((v for v in ("rename", "remove", "add") if v in words), "add")
    if verb == "add" and "hide" in words:
        verb = "remove"
    action = next((a for c in live for a in c.values("action")), None) or next(
        (found.name for c in live for e in c.values("entity") if (found := _entity_action(e, vocab))), None)
    slot = next((s for c in live for s in c.values("slot")), None)
    r.understood += 1
    if action is None:
        r.metrics.append({"metric": f"shortcut.{verb}", "operator": "ask", "value": None})
        return
    value: dict[str, Any] = {"action": action}
    if verb == "add":
        value["slot"] = slot or vocab.default_slot
    if verb == "rename":
        value["label"] = label
    r.metrics.append({"metric": f"shortcut.{verb}", "operator": "=" if verb != "rename" or label else "ask",
                      "value": value})
    r.entities.add(_action_entity(action, vocab))
    r.must.add(f"change {vocab.shortcut_module_id}")


def _entity_action(entity: str, vocab: LightVocabulary) -> ShortcutAction | None:
    """The button an entity stands for ("the laser pointer" → the laser button)."""
    return vocab.action(entity) or vocab.action(entity.split("_")[0])


def _action_entity(action: str, vocab: LightVocabulary) -> str:
    for entity, words in vocab.entities.items():
        if action in words or action == entity:
            return entity
    return "page_navigation" if "page" in action else "step_navigation" if "step" in action else "playback"


def _negated(clause: Clause, r: Reading) -> None:
    targets = [e for e in clause.values("entity")]
    if clause.has("attribute", "autoplay") or (clause.has("entity", "playback") and not clause.has("verb", "change")):
        r.metrics.append({"metric": "isAutoPlay", "operator": "=", "value": False})
        r.entities.add("playback")
        r.understood += 1
        return
    for entity in targets:
        r.must_not.add(f"change {entity}")
        r.entities.add(entity)
        r.understood += 1


def _clause(clause: Clause, r: Reading, vocab: LightVocabulary, last_tool: list[str]) -> None:
    entities = clause.values("entity")
    if clause.has("verb", "keep") and entities and not clause.values("color") and not clause.quantities:
        for entity in entities:
            r.must_not.add(f"change {entity}")
        return
    layout_entities = [e for e in entities if e in LAYOUT_ENTITIES]
    if layout_entities and (layout_verbs(clause) or not _pref_signals(clause)):
        layout(clause, layout_entities, r)
        return
    _prefs(clause, entities, r, vocab, last_tool)


def _pref_signals(clause: Clause) -> bool:
    return clause.has("color") or clause.has("attribute") or bool(clause.quantities)


def _prefs(c: Clause, entities: list[str], r: Reading, vocab: LightVocabulary, last_tool: list[str]) -> None:
    tools = [e for e in entities if e in TOOLS]
    if tools:
        last_tool.append(tools[-1])
    tool = tools[-1] if tools else (last_tool[-1] if last_tool else None)
    found = _host_bool(c, vocab) or _pref_metrics(c, tool, vocab)
    for metric in found:
        pref = vocab.pref(metric["metric"])
        if pref is not None:
            r.entities.add(pref.entity)
            r.must.add(f"change {pref.entity}")
    r.metrics.extend(found)
    r.understood += len(found)
    if not found and (tools or entities) and (c.has("verb", "change") or c.has("verb", "set")):
        subject = (tools or entities)[-1]
        r.entities.add(subject)
        r.must.add(f"change {subject}")
        r.metrics.append({"metric": f"entity.{subject}", "operator": "ask", "value": None})
        r.understood += 1


def _pref_metrics(c: Clause, tool: str | None, vocab: LightVocabulary) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    enums = c.values("enum")
    explicit = _explicit_enum(c, enums, tool) or _host_enum(c, enums, vocab)
    if explicit:
        out.append(explicit)
    colors = [] if explicit and explicit["metric"] not in BOARD_ENUMS else c.values("color")
    color_pref = vocab.pref("laserColor" if tool == "laser" else "penColor")
    if not colors and c.has("attribute", "color") and not explicit and color_pref is not None:
        out.append({"metric": color_pref.key, "operator": "ask", "value": None})
    if colors and color_pref is not None:
        key = "laserColor" if tool == "laser" else "penColor"
        name = _shade(c, colors[-1])
        out.append({"metric": key, "operator": "=", "value": css_colors().get(name, name).upper()})
    attribute = None if _shaded(c) and not c.values("attribute") else _attribute(c, out)
    if attribute:
        out.extend(_numeric(c, attribute, tool, vocab))
    return out


SHADES = {"darker": "dark", "dark": "dark", "lighter": "light", "light": "light", "paler": "pale", "pale": "pale",
          "deeper": "deep", "deep": "deep"}


def _shade(c: Clause, color: str) -> str:
    """"a darker blue" → darkblue, when that CSS colour exists."""
    for a, b in zip(c.items, c.items[1:], strict=False):
        if b.start == a.end and ("color", color) in b.meanings and a.words[-1] in SHADES:
            shaded = SHADES[a.words[-1]] + color
            if shaded in css_colors():
                return shaded
    return color


def _shaded(c: Clause) -> bool:
    return any(b.start == a.end and a.words[-1] in SHADES and any(m[0] == "color" for m in b.meanings)
               for a, b in zip(c.items, c.items[1:], strict=False))


def _explicit_enum(c: Clause, enums: list[str], tool: str | None) -> dict[str, Any] | None:
    chosen: dict[str, str] = {}
    for item in enums:
        key, value = item.split("=", 1)
        chosen.setdefault(key, value)
    if "viewMode" in chosen and (c.has("attribute", "mode") or c.has("verb", "set") or c.has("verb", "on")):
        return {"metric": "viewMode", "operator": "=", "value": chosen["viewMode"]}
    if "activeTool" in chosen and c.has("attribute", "tool"):
        return {"metric": "activeTool", "operator": "=", "value": chosen["activeTool"]}
    said_type = chosen.get("penType") != "ink" or c.has("attribute", "type") or any(
        ("enum", "penType=ink") in it.meanings and it.words != ("ink",) for it in c.items)
    if "penType" in chosen and "laser" not in c.values("entity") and tool != "laser" and said_type:
        return {"metric": "penType", "operator": "=", "value": chosen["penType"]}
    if "laserType" in chosen and (tool == "laser" or "laser" in c.values("entity")) and \
            (c.has("attribute", "type") or chosen["laserType"] == "highlighter"):
        return {"metric": "laserType", "operator": "=", "value": chosen["laserType"]}
    return None


BOARD_ENUMS = ("viewMode", "activeTool", "penType", "laserType")


def _host_enum(c: Clause, enums: list[str], vocab: LightVocabulary) -> dict[str, Any] | None:
    """Any other host's enum preference, when the clause names its entity ("make checked items grey")."""
    for item in enums:
        key, value = item.split("=", 1)
        pref = vocab.pref(key)
        if key not in BOARD_ENUMS and pref is not None and c.has("entity", pref.entity):
            return {"metric": key, "operator": "=", "value": value}
    return None


def _host_bool(c: Clause, vocab: LightVocabulary) -> list[dict[str, Any]]:
    """Another host's on/off preference, when the clause names its entity and says show/hide or on/off."""
    shown = c.has("verb", "show") or c.has("verb", "on")
    hidden = c.has("verb", "hide") or c.has("verb", "off")
    for pref in vocab.prefs:
        if pref.kind == "bool" and pref.key != "isAutoPlay" and c.has("entity", pref.entity) and shown != hidden:
            return [{"metric": pref.key, "operator": "=", "value": shown}]
    return []


def _attribute(c: Clause, found: list[dict[str, Any]]) -> str | None:
    attrs = [a for a in c.values("attribute") if a not in ("color", "type", "mode", "tool")]
    if attrs:
        return attrs[-1]
    for q in c.quantities:
        if q.unit in UNIT_ATTRIBUTE:
            return UNIT_ATTRIBUTE[q.unit]
    hinted = [HINTS[w] for it in c.items if any(m[0] == "dir" for m in it.meanings) for w in it.words if w in HINTS]
    if hinted:
        return hinted[-1]
    if c.has("entity", "playback") and (c.has("verb", "on") or c.has("verb", "off")):
        return "autoplay"
    return None


def _numeric(c: Clause, attribute: str, tool: str | None, vocab: LightVocabulary) -> list[dict[str, Any]]:
    if attribute == "autoplay":
        off = c.has("verb", "off")
        return [{"metric": "isAutoPlay", "operator": "=", "value": not off}]
    entity = "playback" if attribute in ("delay", "speed") else tool or vocab.default_tool
    pref = vocab.pref_for(entity, attribute)
    if pref is None:
        return []
    quantity = c.quantities[-1] if c.quantities else None
    if quantity is not None:
        return [_absolute(pref.key, attribute, quantity, c)]
    direction = _direction(c, attribute)
    if direction and _complaint(c):  # "too small" asks for bigger
        direction = "decrease" if direction == "increase" else "increase"
    if direction:
        return [{"metric": pref.key, "operator": direction, "value": pref.step}]
    if attribute == "speed" and c.has("verb", "normalsize"):
        return [{"metric": pref.key, "operator": "=", "value": 1}]
    return [{"metric": pref.key, "operator": "ask", "value": None}]


def _complaint(c: Clause) -> bool:
    """"too" right before a direction word ("the eraser is too small")."""
    return any(("mod", "too") in a.meanings and b.start == a.end and any(m[0] == "dir" for m in b.meanings)
               for a, b in zip(c.items, c.items[1:], strict=False))


def _absolute(key: str, attribute: str, q: Quantity, c: Clause) -> dict[str, Any]:
    value: float = q.value
    if attribute == "delay":
        value = value * 1000 if q.unit == "s" or (q.unit == "" and value <= 10) else value
    if attribute == "opacity" and ("transparent" in c.words() or "see" in c.words()) and q.unit == "%":
        value = 100 - value
    if attribute == "opacity" and q.multiplier:
        return {"metric": key, "operator": "=", "value": _num(100 * q.value)}
    if q.multiplier and attribute != "speed":
        return {"metric": key, "operator": "multiply", "value": _num(value)}
    return {"metric": key, "operator": "=", "value": _num(value)}


def _direction(c: Clause, attribute: str) -> str | None:
    words = c.words()
    if attribute == "delay":
        if any(w in ("faster", "quicker", "shorter", "less") for w in words):
            return "decrease"
        if any(w in ("slower", "longer", "more") for w in words):
            return "increase"
    if attribute == "opacity" and any(w in ("transparent", "lighter", "fainter", "weaker", "faded") for w in words):
        return "decrease"
    if c.has("dir", "up"):
        return "increase"
    if c.has("dir", "down"):
        return "decrease"
    return None


def _num(value: float) -> int | float:
    return int(value) if float(value).is_integer() else round(value, 4)
