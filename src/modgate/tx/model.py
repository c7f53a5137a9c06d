"""The pure vocabulary of the transaction protocol: plans, planners, guards and coded refusals.

Planners and guards are contributed by each area (the composition root joins them); they import
this module, never the engine, so they stay in the pure core.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from modgate.errors import ModgateError, Problem
from modgate.state import JsonObject, Op


@dataclass(frozen=True, slots=True, kw_only=True)
class Plan:
    """What a recipe does to a given state: the ops plus facts for the journal and display."""

    ops: list[Op]
    scope: str
    info: JsonObject


# (state, recipe) -> Plan; raises TxError when the recipe cannot apply to that state.
Planner = Callable[[JsonObject, JsonObject], Plan]
# (tx row, state after the apply) -> a Problem refuses the apply (and forces its rollback).
Guard = Callable[[JsonObject, JsonObject], "Problem | None"]


class TxError(ModgateError):
    """A coded refusal of the transaction protocol."""


def tx_error(code: str, message: str, path: str = "tx", **detail: Any) -> TxError:
    return TxError(Problem(code=code, path=path, message=message, detail=detail))
