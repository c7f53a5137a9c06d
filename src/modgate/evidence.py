"""Which channel the evidence of this process comes from: real use or a controlled fixture (task 258).

Beta signoff (task 258) counts fixture evidence toward every sample floor but must tell it apart
from real traffic, so every audit event written while a drill runs carries
``evidenceChannel: controlled_fixture`` with ``fixtureRunId``, ``fixtureCaseId`` and
``expectedOutcome``. Outside a drill the channel is ``prod_traffic`` (the spec's name); events
that carry no channel are real traffic too.

A context variable rather than a parameter: the audit append points are many (bus, engine,
capability checks, imports, light), and threading a flag through all of them would touch every
signature. Pure: no I/O.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

PROD_TRAFFIC = "prod_traffic"
CONTROLLED_FIXTURE = "controlled_fixture"
CHANNELS = (PROD_TRAFFIC, CONTROLLED_FIXTURE)

# eventClass of a rollback episode (task 258 S-SLO-2). ``operator_rollback`` is modgate's name for
# an explicit rollback in real use, which the spec's two fixture-era classes do not cover.
CAPABILITY_REJECT = "capability_reject_after_partial_apply"
PLANNED_DRILL = "planned_drill"
OPERATOR_ROLLBACK = "operator_rollback"


@dataclass(frozen=True, slots=True, kw_only=True)
class Fixture:
    """One controlled fixture case: the run it belongs to, its case id and the outcome it expects."""

    fixture_run_id: str
    fixture_case_id: str
    expected_outcome: str

    def to_dict(self) -> dict[str, Any]:
        return {"evidenceChannel": CONTROLLED_FIXTURE, "fixtureRunId": self.fixture_run_id,
                "fixtureCaseId": self.fixture_case_id, "expectedOutcome": self.expected_outcome}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Fixture:
        return cls(fixture_run_id=str(data["fixtureRunId"]), fixture_case_id=str(data["fixtureCaseId"]),
                   expected_outcome=str(data["expectedOutcome"]))


_CURRENT: ContextVar[Fixture | None] = ContextVar("modgate_evidence_fixture", default=None)


def current() -> Fixture | None:
    """The fixture case being run, or None in real use."""
    return _CURRENT.get()


@contextmanager
def fixture(case: Fixture) -> Iterator[Fixture]:
    """Mark everything audited inside the block as evidence of ``case``."""
    token = _CURRENT.set(case)
    try:
        yield case
    finally:
        _CURRENT.reset(token)


def fields() -> dict[str, Any]:
    """The evidence fields of an audit event written now."""
    case = _CURRENT.get()
    return case.to_dict() if case is not None else {"evidenceChannel": PROD_TRAFFIC}


def stamp(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` with the fixture fields added while a fixture runs (unchanged in real use)."""
    case = _CURRENT.get()
    if case is None or data.get("evidenceChannel") == CONTROLLED_FIXTURE:
        return data
    return {**data, **case.to_dict()}


def rollback_class() -> str:
    """eventClass of an explicit rollback: a planned drill under a fixture, else an operator's."""
    return PLANNED_DRILL if _CURRENT.get() is not None else OPERATOR_ROLLBACK
