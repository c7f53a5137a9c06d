"""The light-track corpus (tests/fixtures/light/corpus.txt): teacher requests and what they mean."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CORPUS = Path(__file__).parent / "fixtures" / "light" / "corpus.txt"
OPS = {"=": "=", "+": "increase", "-": "decrease", "*": "multiply", "?": "ask"}


@dataclass(frozen=True)
class Case:
    text: str
    devices: list[str]
    metrics: list[dict[str, Any]]
    surface: str | None


def _value(metric: str, raw: str) -> Any:
    if metric == "shortcut.add":
        action, slot = raw.split("@")
        return {"action": action, "slot": slot}
    if metric == "shortcut.remove":
        return {"action": raw}
    if metric == "shortcut.rename":
        action, label = raw.split(":")
        return {"action": action, "label": label}
    if metric == "layout.toolPalette":
        mode, _, edge = raw.partition(":")
        return {"mode": mode, "edge": edge} if edge else {"mode": mode}
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def _metric(part: str) -> dict[str, Any]:
    bits = part.split(" ", 2)
    op = OPS[bits[1]]
    return {"metric": bits[0], "operator": op, "value": None if op == "ask" else _value(bits[0], bits[2])}


HELDOUT = CORPUS.with_name("heldout.txt")


def load(path: Path = CORPUS) -> list[Case]:
    cases = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        text, devices, metrics, surface = (p.strip() for p in line.split(" || "))
        cases.append(Case(text=text, devices=[] if devices == "-" else devices.split(","),
                          metrics=[] if metrics == "-" else [_metric(p.strip()) for p in metrics.split(";")],
                          surface=None if surface == "-" else surface))
    return cases
