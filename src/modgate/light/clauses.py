"""Clauses: the matched phrases and numbers of a request, split at "and", "but", commas; a negation
covers the rest of its clause. Pure."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from modgate.light.numbers import Quantity
from modgate.light.text import BREAKERS, Item


@dataclass(slots=True)
class Clause:
    items: list[Item]
    negated: bool
    quantities: list[Quantity] = field(default_factory=list)

    def has(self, category: str, value: str | None = None) -> bool:
        return any(m[0] == category and (value is None or m[1] == value) for it in self.items for m in it.meanings)

    def values(self, category: str) -> list[str]:
        return [m[1] for it in self.items for m in it.meanings if m[0] == category]

    def words(self) -> list[str]:
        return [w for it in self.items for w in it.words]


@dataclass(slots=True)
class Reading:
    metrics: list[dict[str, Any]] = field(default_factory=list)
    entities: set[str] = field(default_factory=set)
    must: set[str] = field(default_factory=set)
    must_not: set[str] = field(default_factory=set)
    devices: set[str] = field(default_factory=set)
    understood: int = 0


def clauses(tokens: list[str], items: list[Item], quantities: list[Quantity]) -> list[Clause]:
    """Split at breakers (by token position); a negation covers the rest of its clause."""
    breaks = [i for i, t in enumerate(tokens) if t in BREAKERS] + [len(tokens)]
    out: list[Clause] = []
    begin = 0
    for end in breaks:
        out.extend(_split_negation([it for it in items if begin <= it.start < end],
                                   [q for q in quantities if begin <= q.start < end]))
        begin = end + 1
    return [c for c in out if c.items or c.quantities]


def _split_negation(items: list[Item], numbers: list[Quantity]) -> list[Clause]:
    neg = next((it.start for it in items if any(m[0] == "neg" for m in it.meanings)), None)
    if neg is None:
        return [Clause(items, False, numbers)]
    return [Clause([it for it in items if it.start < neg], False, [q for q in numbers if q.start < neg]),
            Clause([it for it in items if it.start >= neg], True, [q for q in numbers if q.start >= neg])]
