"""The pure KPI computation of task 258: floors, zero tolerance, thresholds, items and decision."""

from __future__ import annotations

from modgate.signoff.kpi import compute
from modgate.signoff.model import (
    ApplyFact,
    Facts,
    GraphFact,
    ImportFact,
    Kpi,
    LightFact,
    RollbackFact,
    TxFact,
    ViolationFact,
    Window,
)

W = Window(start=0.0, end=7 * 86400.0, label="7d")
FX, PROD = "controlled_fixture", "prod_traffic"


def _light(n: int, *, exhausted: int = 0, devices: tuple[str, ...] = ("web", "tablet", "mobile")) -> list[LightFact]:
    return [LightFact(sample_id=f"i{i}", devices=devices, channel=FX, exhausted=i < exhausted, deterministic=True,
                      reachable=True) for i in range(n)]


def _complete(**over: object) -> Facts:
    """Facts that meet every floor and every threshold."""
    txs = [TxFact(tx_id=f"h{i}", track="heavy", kind="command", state="ROLLED_BACK", channel=FX, approval_attempts=1)
           for i in range(40)]
    txs += [TxFact(tx_id=f"l{i}", track="light", kind="light", state="APPLIED", channel=PROD, approval_attempts=1)
            for i in range(60)]
    rollbacks = [RollbackFact(episode_key=f"h{i}:1", event_class="planned_drill", outcome="succeeded", channel=FX)
                 for i in range(10)]
    rollbacks += [RollbackFact(episode_key=f"c{i}:1", event_class="capability_reject_after_partial_apply",
                               outcome="succeeded", channel=FX) for i in range(3)]
    base = {"window": W, "txs": tuple(txs), "rollbacks": tuple(rollbacks), "light": tuple(_light(60)),
            "applies": tuple(ApplyFact(episode_key=f"h{i}:1", approved=True, channel=FX) for i in range(40)),
            "imports": (ImportFact(package_sha256="a" * 64, ok=True, code=None, path=None, channel=FX,
                                   expected_outcome="valid", revalidated_ok=True),
                        ImportFact(package_sha256="b" * 64, ok=False, code="x", path="p", channel=PROD,
                                   expected_outcome=None, revalidated_ok=False, revalidated_code="x",
                                   revalidated_path="p")),
            "graphs": (GraphFact(module_id="host", complete=True),)}
    base.update(over)
    return Facts(**base)  # type: ignore[arg-type]


def _items(facts: Facts) -> dict[str, str]:
    return {i.id: i.status for i in compute(facts).items}


def _kpi(facts: Facts, kpi_id: str) -> Kpi:
    return next(k for k in compute(facts).kpis if k.id == kpi_id)


def test_everything_met_is_go() -> None:
    report = compute(_complete())
    assert report.decision == "GO" and set(_items(_complete()).values()) == {"PASS"}
    assert report.to_dict()["betaFlag"] is True and report.to_dict()["mode"] == "beta"


def test_floor_not_met_is_unknown_not_pass() -> None:
    facts = _complete(light=tuple(_light(59)))
    kpi = _kpi(facts, "L-KPI-1")
    assert kpi.status == "UNKNOWN" and "light intents 59/60" in kpi.reason
    assert compute(facts).decision == "NO-GO"


def test_per_device_floor() -> None:
    light = _light(45, devices=("web", "tablet")) + _light(15, devices=("mobile",))
    assert _items(_complete(light=tuple(light)))["light-track"] == "PASS"
    light = _light(46, devices=("web", "tablet")) + _light(14, devices=("mobile",))
    assert _items(_complete(light=tuple(light)))["light-track"] == "UNKNOWN"


def test_zero_tolerance_fails_even_under_the_floor() -> None:
    txs = (TxFact(tx_id="t", track="heavy", kind="import", state="FAILED_TERMINAL", channel=PROD,
                  approval_attempts=1),)
    facts = Facts(window=W, txs=txs)
    assert _items(facts)["terminal-health"] == "FAIL"
    facts = Facts(window=W, applies=(ApplyFact(episode_key="t:1", approved=False, channel=PROD),))
    assert _items(facts)["approval-compliance"] == "FAIL"


def test_correction_exhaustion_threshold_is_two_percent() -> None:
    light = _light(100, exhausted=2)
    assert _kpi(_complete(light=tuple(light)), "L-KPI-3").status == "PASS"
    light = _light(100, exhausted=3)
    kpi = _kpi(_complete(light=tuple(light)), "L-KPI-3")
    assert kpi.status == "FAIL" and kpi.numerator == 97


def test_terminal_health_threshold_needs_zero_failed_terminal() -> None:
    bad = TxFact(tx_id="bad", track="light", kind="light", state="FAILED_TERMINAL", channel=PROD, approval_attempts=1)
    txs = [*_complete().txs, bad]
    kpi = _kpi(_complete(txs=tuple(txs)), "L-SLO-4")
    assert kpi.status == "FAIL" and kpi.failing == ("bad",)


def test_pending_rollbacks_are_not_counted_and_failed_ones_fail() -> None:
    extra = (RollbackFact(episode_key="p:1", event_class="operator_rollback", outcome="pending", channel=PROD),)
    facts = _complete(rollbacks=_complete().rollbacks + extra)
    assert _kpi(facts, "S-SLO-2").denominator == 13
    extra = (RollbackFact(episode_key="f:1", event_class="operator_rollback", outcome="failed", channel=PROD),)
    assert _items(_complete(rollbacks=_complete().rollbacks + extra))["rollback-success"] == "FAIL"


def test_capability_rollback_floor() -> None:
    rollbacks = tuple(r for r in _complete().rollbacks if r.event_class == "planned_drill")
    assert _items(_complete(rollbacks=rollbacks))["rollback-success"] == "UNKNOWN"


def test_fixture_violations_do_not_count() -> None:
    facts = _complete(violations=(ViolationFact(event_type="capability.check.rejected", channel=FX),))
    kpi = _kpi(facts, "S-SLO-3")
    assert kpi.status == "PASS" and kpi.fixture_share == 1.0
    facts = _complete(violations=(ViolationFact(event_type="capability.check.rejected", channel=PROD),))
    assert compute(facts).decision == "NO-GO"


def test_heavy_kpis() -> None:
    wrong = ImportFact(package_sha256="c" * 64, ok=False, code="x", path="p", channel=FX, expected_outcome="valid",
                       revalidated_ok=False, revalidated_code="x", revalidated_path="p")
    kpi = _kpi(_complete(imports=(*_complete().imports, wrong)), "H-KPI-1")
    assert kpi.status == "FAIL" and kpi.denominator == 2
    drifted = ImportFact(package_sha256="d" * 64, ok=False, code="x", path="p", channel=PROD, expected_outcome=None,
                         revalidated_ok=False, revalidated_code="x", revalidated_path="q")
    assert _kpi(_complete(imports=(drifted,)), "H-KPI-2").status == "FAIL"
    graphs = (GraphFact(module_id="m", complete=False, problems=("graph-missing-action@x",)),)
    assert _items(_complete(graphs=graphs))["heavy-track"] == "FAIL"


def test_fixture_share() -> None:
    kpi = _kpi(_complete(), "L-SLO-4")
    assert kpi.fixture_share == 0.0 and _kpi(_complete(), "H-SLO-4").fixture_share == 1.0


def test_imports_without_kept_bytes_are_not_counted() -> None:
    unkept = ImportFact(package_sha256="e" * 64, ok=False, code="x", path="p", channel=PROD, expected_outcome=None,
                        revalidated_ok=None)
    kpi = _kpi(_complete(imports=(*_complete().imports, unkept)), "H-KPI-2")
    assert kpi.status == "PASS" and kpi.denominator == 1
