"""The facts signoff computes from (one row per sample) and the report it produces. Pure.

Facts are what the reader found in a home's audit log and tables, already re-measured where the
KPI asks for it (``deterministic``, ``reachable``, ``revalidated``, ``complete``). The report
carries every KPI with its numerator, denominator, floors and fixture share.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from modgate.evidence import CONTROLLED_FIXTURE

PASS, FAIL, UNKNOWN = "PASS", "FAIL", "UNKNOWN"
GO, NO_GO = "GO", "NO-GO"
DEVICES = ("web", "tablet", "mobile")


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.title() for part in rest)


def to_camel_dict(obj: Any) -> dict[str, Any]:
    """A dataclass as JSON with camelCase keys (the report's wire names)."""
    return {_camel(k): v for k, v in asdict(obj).items()}


@dataclass(frozen=True, slots=True, kw_only=True)
class Window:
    """The rolling window ``(start, end]`` in unix seconds; ``label`` as given (``7d``)."""

    start: float
    end: float
    label: str

    def holds(self, at: float) -> bool:
        return self.start < at <= self.end


@dataclass(frozen=True, slots=True, kw_only=True)
class TxFact:
    """One transaction created in the window."""

    tx_id: str
    track: str
    kind: str
    state: str
    channel: str
    approval_attempts: int  # attempts that reached APPROVAL_PENDING

    @property
    def fixture(self) -> bool:
        return self.channel == CONTROLLED_FIXTURE


@dataclass(frozen=True, slots=True, kw_only=True)
class ApplyFact:
    """One apply of an attempt: did an approval of that very attempt come first?"""

    episode_key: str
    approved: bool
    channel: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RollbackFact:
    """One rollback episode ``txId:attemptNo``: ``succeeded``, ``failed`` or ``pending``."""

    episode_key: str
    event_class: str
    outcome: str
    channel: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ImportFact:
    """One validated heavy import and the outcome of validating its stored bytes again."""

    package_sha256: str
    ok: bool
    code: str | None
    path: str | None
    channel: str
    expected_outcome: str | None
    revalidated_ok: bool | None  # None: the bytes were not kept
    revalidated_code: str | None = None
    revalidated_path: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class GraphFact:
    """One module's action graph, rebuilt now and dry-run checked."""

    module_id: str
    complete: bool
    problems: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class LightFact:
    """One light request: an intent (light track) or a light-track transaction without one."""

    sample_id: str
    devices: tuple[str, ...]
    channel: str
    exhausted: bool | None  # None: not an intent (no correction loop to exhaust)
    deterministic: bool | None  # None: nothing re-runnable (no transaction, or no stored base)
    reachable: bool | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ViolationFact:
    """A ``capability-policy-violation`` found in the audit log."""

    event_type: str
    channel: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Facts:
    window: Window
    txs: tuple[TxFact, ...] = ()
    applies: tuple[ApplyFact, ...] = ()
    rollbacks: tuple[RollbackFact, ...] = ()
    imports: tuple[ImportFact, ...] = ()
    graphs: tuple[GraphFact, ...] = ()
    light: tuple[LightFact, ...] = ()
    violations: tuple[ViolationFact, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Floor:
    """A sample floor: ``actual`` samples of ``name`` against the ``required`` minimum."""

    name: str
    required: int
    actual: int

    @property
    def met(self) -> bool:
        return self.actual >= self.required

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "required": self.required, "actual": self.actual, "met": self.met}


@dataclass(frozen=True, slots=True, kw_only=True)
class Kpi:
    id: str
    title: str
    item: str
    formula: str
    numerator: int
    denominator: int
    value: float | None
    threshold: str
    floors: tuple[Floor, ...]
    fixture_share: float | None
    status: str
    reason: str
    failing: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out = to_camel_dict(self)
        out["floors"] = [f.to_dict() for f in self.floors]
        out["failing"] = list(self.failing)
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class Item:
    id: str
    title: str
    kpis: tuple[str, ...]
    status: str

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "kpis": list(self.kpis), "status": self.status}


@dataclass(frozen=True, slots=True, kw_only=True)
class Report:
    window: Window
    kpis: tuple[Kpi, ...]
    items: tuple[Item, ...]
    decision: str
    notes: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        go = self.decision == GO
        return {"schemaVersion": "modgate.signoff.v1", "decision": self.decision, "betaFlag": go,
                "mode": "beta" if go else "preview-only", "window": to_camel_dict(self.window),
                "items": [i.to_dict() for i in self.items], "kpis": [k.to_dict() for k in self.kpis],
                "notes": list(self.notes)}
