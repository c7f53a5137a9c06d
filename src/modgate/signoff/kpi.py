"""Task 258's KPIs, six checklist items and the decision, from facts passed in. Pure.

A KPI is UNKNOWN while one of its sample floors is not met or it has no sample at all — except a
zero-tolerance breach (a 100 % KPI with a failing sample, a FAILED_TERMINAL transaction, a
production policy violation), which is a FAIL whatever the sample size: more samples cannot
undo it. An item is FAIL when one of its KPIs is, else UNKNOWN when one is, else PASS; the
decision is GO only when all six items PASS. docs/signoff.md gives every formula.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from modgate.evidence import CAPABILITY_REJECT, CONTROLLED_FIXTURE
from modgate.signoff.model import (
    DEVICES,
    FAIL,
    GO,
    NO_GO,
    PASS,
    UNKNOWN,
    Facts,
    Floor,
    Item,
    Kpi,
    Report,
)
from modgate.tx.machine import FAILED_TERMINAL

# The spec's floors (task 258).
LIGHT_INTENTS, LIGHT_PER_DEVICE, HEAVY_SESSIONS = 60, 15, 30
HEAVY_APPROVAL_ATTEMPTS, APPROVAL_TX, ROLLBACK_ATTEMPTS, CAPABILITY_ROLLBACKS = 20, 40, 10, 3

ITEMS = (
    ("light-track", "Light track: determinism, reachability, correction exhaustion", ("L-KPI-1", "L-KPI-2", "L-KPI-3")),
    ("heavy-track", "Heavy track: valid imports, stable rejects, complete action graphs",
     ("H-KPI-1", "H-KPI-2", "H-KPI-3")),
    ("terminal-health", "Terminal health of both tracks (zero FAILED_TERMINAL)", ("L-SLO-4", "H-SLO-4")),
    ("approval-compliance", "No apply without an approval of that attempt", ("S-SLO-1",)),
    ("rollback-success", "Every rollback episode succeeded", ("S-SLO-2",)),
    ("capability-policy", "Zero production capability-policy-violation", ("S-SLO-3",)),
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Sample:
    """One sample of a ratio KPI: ``good`` counts toward the numerator."""

    id: str
    good: bool
    fixture: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class Spec:
    id: str
    title: str
    formula: str
    threshold: float  # the lowest passing share of good samples
    zero_tolerance: bool  # one bad sample is a certain FAIL


def _ratio(spec: Spec, samples: Sequence[Sample], floors: tuple[Floor, ...], item: str, *,
           show: str | None = None) -> Kpi:
    den = len(samples)
    num = sum(1 for s in samples if s.good)
    bad = tuple(s.id for s in samples if not s.good)
    value = num / den if den else None
    share = sum(1 for s in samples if s.fixture) / den if den else None
    status, reason = _status(value, spec, bad, floors)
    return Kpi(id=spec.id, title=spec.title, item=item, formula=spec.formula, numerator=num, denominator=den,
               value=value, threshold=show or f">= {spec.threshold:.1%}", floors=floors, fixture_share=share,
               status=status, reason=reason, failing=bad[:20])


def _status(value: float | None, spec: Spec, bad: tuple[str, ...], floors: tuple[Floor, ...]) -> tuple[str, str]:
    unmet = [f for f in floors if not f.met]
    if bad and spec.zero_tolerance:
        return FAIL, f"{len(bad)} failing sample(s): {', '.join(bad[:3])}"
    if value is None:
        return UNKNOWN, "no sample in the window"
    if unmet:
        return UNKNOWN, "floor not met: " + ", ".join(f"{f.name} {f.actual}/{f.required}" for f in unmet)
    if value < spec.threshold:
        return FAIL, f"{value:.2%} is below {spec.threshold:.1%}"
    return PASS, f"{value:.2%} meets {spec.threshold:.1%}"


def _floors(facts: Facts) -> dict[str, tuple[Floor, ...]]:
    light = [Floor(name="light intents", required=LIGHT_INTENTS, actual=len(facts.light))]
    light += [Floor(name=f"light intents on {d}", required=LIGHT_PER_DEVICE,
                    actual=sum(1 for f in facts.light if d in f.devices)) for d in DEVICES]
    heavy_tx = [t for t in facts.txs if t.track == "heavy"]
    sessions = len(facts.imports) + sum(1 for t in heavy_tx if t.kind != "import")
    heavy = Floor(name="heavy sessions", required=HEAVY_SESSIONS, actual=sessions)
    attempts = Floor(name="approval-sensitive heavy attempts", required=HEAVY_APPROVAL_ATTEMPTS,
                     actual=sum(t.approval_attempts for t in heavy_tx))
    approval = Floor(name="approval-required transactions", required=APPROVAL_TX,
                     actual=sum(1 for t in facts.txs if t.approval_attempts))
    done = [r for r in facts.rollbacks if r.outcome != "pending"]
    rollback = (Floor(name="rollback attempts", required=ROLLBACK_ATTEMPTS, actual=len(done)),
                Floor(name="capability_reject_after_partial_apply rollbacks", required=CAPABILITY_ROLLBACKS,
                      actual=sum(1 for r in done if r.event_class == CAPABILITY_REJECT)))
    return {"light": tuple(light), "heavy": (heavy,), "heavy-approval": (heavy, attempts),
            "approval": (approval, attempts), "rollback": rollback}


def _light(facts: Facts, floors: tuple[Floor, ...]) -> list[Kpi]:
    fx = [f.channel == CONTROLLED_FIXTURE for f in facts.light]
    det = [Sample(id=f.sample_id, good=bool(f.deterministic), fixture=x)
           for f, x in zip(facts.light, fx, strict=True) if f.deterministic is not None]
    reach = [Sample(id=f.sample_id, good=bool(f.reachable), fixture=x)
             for f, x in zip(facts.light, fx, strict=True) if f.reachable is not None]
    spent = [Sample(id=f.sample_id, good=not f.exhausted, fixture=x)
             for f, x in zip(facts.light, fx, strict=True) if f.exhausted is not None]
    return [
        _ratio(Spec(id="L-KPI-1", title="Light determinism", threshold=1.0, zero_tolerance=True,
                    formula="re-run diff hash == stored diff hash / light requests re-run at their base revision"),
               det, floors, "light-track", show="= 100%"),
        _ratio(Spec(id="L-KPI-2", title="Light reachability", threshold=1.0, zero_tolerance=True,
                    formula="requests whose resulting layout keeps launcher and close/recover reachable on every"
                            " targeted device / light requests checked"), reach, floors, "light-track",
               show="= 100%"),
        _ratio(Spec(id="L-KPI-3", title="Light correction exhaustion", threshold=0.98, zero_tolerance=False,
                    formula="1 - intents blocked after 3 corrections / light intents (pass: exhaustion <= 2.0%)"),
               spent, floors, "light-track", show="exhausted <= 2.0%"),
    ]


def _health(facts: Facts, track: str, kpi_id: str, floors: tuple[Floor, ...]) -> Kpi:
    samples = [Sample(id=t.tx_id, good=t.state != FAILED_TERMINAL, fixture=t.fixture)
               for t in facts.txs if t.track == track]
    spec = Spec(id=kpi_id, title=f"{track.title()} terminal health", threshold=0.995, zero_tolerance=True,
                formula=f"{track} transactions not FAILED_TERMINAL / {track} transactions (and zero FAILED_TERMINAL)")
    return _ratio(spec, samples, floors, "terminal-health", show=">= 99.5% and zero FAILED_TERMINAL")


def _heavy(facts: Facts, floors: tuple[Floor, ...]) -> list[Kpi]:
    fixture = CONTROLLED_FIXTURE
    # An import whose bytes were not kept (over the blob limit) cannot be re-measured: not counted.
    kept = [i for i in facts.imports if i.revalidated_ok is not None]
    expected_valid = [i for i in kept if (i.expected_outcome == "valid" if i.channel == fixture else i.ok)]
    valid = [Sample(id=i.package_sha256[:12], good=i.ok and i.revalidated_ok is True, fixture=i.channel == fixture)
             for i in expected_valid]
    rejected = [i for i in kept if not i.ok]
    stable = [Sample(id=f"{i.package_sha256[:12]}:{i.code}@{i.path}", fixture=i.channel == fixture,
                     good=i.revalidated_ok is False and (i.revalidated_code, i.revalidated_path) == (i.code, i.path))
              for i in rejected]
    graphs = [Sample(id=g.module_id, good=g.complete, fixture=False) for g in facts.graphs]
    return [
        _ratio(Spec(id="H-KPI-1", title="Valid import pass", threshold=1.0, zero_tolerance=True,
                    formula="valid packages imported and re-validated valid / packages expected valid"),
               valid, floors, "heavy-track", show="= 100%"),
        _ratio(Spec(id="H-KPI-2", title="Stable first reject code + path", threshold=1.0, zero_tolerance=True,
                    formula="rejected imports whose stored bytes re-validate to the same first code and path /"
                            " rejected imports"), stable, floors, "heavy-track", show="= 100%"),
        _ratio(Spec(id="H-KPI-3", title="Action-graph completeness", threshold=1.0, zero_tolerance=True,
                    formula="modules whose rebuilt action graph has no dry-run problem / modules"),
               graphs, floors, "heavy-track", show="= 100%"),
    ]


def _shared(facts: Facts, floors: dict[str, tuple[Floor, ...]]) -> list[Kpi]:
    fixture = CONTROLLED_FIXTURE
    applies = [Sample(id=a.episode_key, good=a.approved, fixture=a.channel == fixture) for a in facts.applies]
    rollbacks = [Sample(id=f"{r.episode_key} ({r.event_class})", good=r.outcome == "succeeded",
                        fixture=r.channel == fixture) for r in facts.rollbacks if r.outcome != "pending"]
    violations = [Sample(id=v.event_type, good=v.channel == fixture, fixture=v.channel == fixture)
                  for v in facts.violations]
    return [
        _ratio(Spec(id="S-SLO-1", title="Approval compliance", threshold=1.0, zero_tolerance=True,
                    formula="applies preceded by an approval of the same txId:attemptNo / applies"),
               applies, floors["approval"], "approval-compliance", show="= 100%"),
        _ratio(Spec(id="S-SLO-2", title="Rollback success", threshold=1.0, zero_tolerance=True,
                    formula="rollback episodes (txId:attemptNo) that reached ROLLED_BACK / rollback episodes"),
               rollbacks, floors["rollback"], "rollback-success", show="= 100%"),
        _violations(violations),
    ]


def _violations(samples: list[Sample]) -> Kpi:
    production = tuple(s.id for s in samples if not s.good)
    share = sum(1 for s in samples if s.fixture) / len(samples) if samples else None
    status, reason = (FAIL, f"{len(production)} production violation(s)") if production else \
        (PASS, "no production capability-policy-violation in the window")
    return Kpi(id="S-SLO-3", title="Zero production capability-policy-violation", item="capability-policy",
               formula="count of capability-policy-violation audit events not from a controlled fixture",
               numerator=len(production), denominator=len(samples), value=float(len(production)), threshold="= 0",
               floors=(), fixture_share=share, status=status, reason=reason, failing=production[:20])


def _item(item_id: str, title: str, ids: tuple[str, ...], kpis: dict[str, Kpi]) -> Item:
    states = {kpis[k].status for k in ids}
    status = FAIL if FAIL in states else UNKNOWN if UNKNOWN in states else PASS
    return Item(id=item_id, title=title, kpis=ids, status=status)


def compute(facts: Facts) -> Report:
    """Every KPI, the six checklist items and GO / NO-GO."""
    floors = _floors(facts)
    builders: list[Callable[[], list[Kpi]]] = [
        lambda: _light(facts, floors["light"]),
        lambda: _heavy(facts, floors["heavy"]),
        lambda: [_health(facts, "light", "L-SLO-4", floors["light"]),
                 _health(facts, "heavy", "H-SLO-4", floors["heavy-approval"])],
        lambda: _shared(facts, floors),
    ]
    kpis = {k.id: k for build in builders for k in build()}
    items = tuple(_item(i, t, ids, kpis) for i, t, ids in ITEMS)
    decision = GO if all(i.status == PASS for i in items) else NO_GO
    order = ("L-KPI-1", "L-KPI-2", "L-KPI-3", "L-SLO-4", "H-KPI-1", "H-KPI-2", "H-KPI-3", "H-SLO-4",
             "S-SLO-1", "S-SLO-2", "S-SLO-3")
    return Report(window=facts.window, kpis=tuple(kpis[k] for k in order), items=items, decision=decision,
                  notes=facts.notes)
