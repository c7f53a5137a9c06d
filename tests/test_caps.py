"""The pure capability core: catalog, normalisation, grants, evaluation order, escalation, audit."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from modgate import caps
from modgate.caps import Escalation, Execution, Grant
from modgate.cli import cli
from modgate.errors import ModgateError

CASES = Path(__file__).parent / "cases" / "caps"
NOW = 1000.0
REQUESTED = ["state.read", "state.write.tx", "automation.invoke", "ui.slot.render"]


def _grant(**kw: Any) -> Grant:
    fields: dict[str, Any] = {"module_id": "geo-tools", "module_version": "1.0.0", "capability_id": "state.read",
                              "grant_scope": "persistent", "approver_id": "alice", "approver_role": "host",
                              "granted_at": 10.0}
    fields.update(kw)
    return Grant(**fields)


def _eval(capability_id: str = "state.read", grants: tuple[Grant, ...] = (), **kw: Any) -> caps.Decision:
    args: dict[str, Any] = {"module_id": "geo-tools", "module_version": "1.0.0", "capability_id": capability_id,
                            "requested": REQUESTED, "grants": grants, "session_id": "s1", "now": NOW}
    args.update(kw)
    return caps.evaluate(**args)


# --- catalog and normalisation ----------------------------------------------------------------------
def test_catalog_is_exactly_the_six_ids() -> None:
    assert sorted(caps.CATALOG_V1) == sorted(["ui.slot.render", "state.read", "state.write.tx",
                                              "module.storage.local", "export.user.file", "automation.invoke"])
    assert caps.CATALOG_MAJOR == 1


def test_normalize_trims_dedupes_sorts() -> None:
    assert caps.normalize_requested([" state.read", "automation.invoke ", "state.read"]) == (
        "automation.invoke", "state.read")
    assert caps.normalize_requested(None) == ()
    assert caps.normalize_requested([]) == ()


@pytest.mark.parametrize(("value", "path"), [("state.read", "package.capabilitiesRequested"),
                                             ({"a": 1}, "package.capabilitiesRequested"),
                                             (["state.read", 3], "package.capabilitiesRequested[1]")])
def test_normalize_refuses_bad_shapes(value: object, path: str) -> None:
    with pytest.raises(ModgateError) as info:
        caps.normalize_requested(value)
    assert info.value.code == "invalid-capability-shape" and info.value.problem.path == path


@given(st.lists(st.text(max_size=12), max_size=8))
def test_normalize_is_idempotent_and_order_free(items: list[str]) -> None:
    once = caps.normalize_requested(items)
    assert caps.normalize_requested(list(once)) == once
    assert caps.normalize_requested(list(reversed(items))) == once


def test_unknown_requested_for_import_time_checks() -> None:
    assert caps.unknown_requested(("state.read", "state.*", "net.fetch")) == ("net.fetch", "state.*")


# --- grants -------------------------------------------------------------------------------------------
def test_grant_round_trips_through_dict() -> None:
    grant = _grant(grant_scope="session", session_id="s1", expires_at=99.0)
    assert Grant.from_dict(grant.to_dict()) == grant
    assert grant.to_dict()["approverIdentity"] == "alice"


@pytest.mark.parametrize("bad", [{"approver_id": ""}, {"approver_role": ""}, {"grant_scope": "forever"},
                                 {"grant_scope": "session", "session_id": None}])
def test_a_grant_needs_an_approver_and_a_valid_scope(bad: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        _grant(**bad)


def test_check_grantable_never_broadens() -> None:
    caps.check_grantable("state.read", REQUESTED, "geo-tools")
    with pytest.raises(ModgateError, match="capability-unknown-id"):
        caps.check_grantable("state", REQUESTED)
    with pytest.raises(ModgateError, match="capability-not-requested"):
        caps.check_grantable("export.user.file", REQUESTED)


# --- evaluation ---------------------------------------------------------------------------------------
def test_deny_all_by_default() -> None:
    decision = _eval()
    assert not decision.allowed and decision.code == "capability-not-granted"
    assert decision.state == caps.ESCALATION_REQUIRED


def test_valid_grant_allows() -> None:
    decision = _eval(grants=(_grant(),))
    assert decision.allowed and decision.code is None and decision.state == caps.CHECK_PASSED
    assert decision.grant == _grant()


def test_session_grant_counts_only_in_its_session() -> None:
    grant = _grant(grant_scope="session", session_id="s1")
    assert _eval(grants=(grant,)).allowed
    assert _eval(grants=(grant,), session_id="s2").code == "capability-not-granted"
    assert _eval(grants=(grant,), session_id=None).code == "capability-not-granted"


def test_expiry_is_exclusive() -> None:
    assert _eval(grants=(_grant(expires_at=NOW + 1),)).allowed
    assert _eval(grants=(_grant(expires_at=NOW),)).code == "capability-not-granted"


def test_any_version_change_is_stale_both_ways() -> None:
    grant = _grant(module_version="1.0.0")
    assert _eval(grants=(grant,), module_version="1.0.1").code == "capability-grant-stale"
    assert _eval(grants=(grant,), module_version="0.9.0").code == "capability-grant-stale"


def test_a_valid_grant_wins_over_a_stale_one() -> None:
    assert _eval(grants=(_grant(module_version="0.9.0"), _grant())).allowed


def test_grant_of_another_module_or_capability_does_not_count() -> None:
    grants = (_grant(module_id="other-mod"), _grant(capability_id="ui.slot.render"))
    assert _eval(grants=grants).code == "capability-not-granted"


def test_evaluation_order_catalog_before_requested_before_grant() -> None:
    assert _eval("net.fetch", requested=["net.fetch"]).code == "capability-unknown-id"
    assert _eval("export.user.file", grants=(_grant(capability_id="export.user.file"),)).code == (
        "capability-not-requested")


def test_no_implicit_expansion() -> None:
    # A write grant does not imply read, and a module-wide grant does not exist.
    assert _eval("state.read", grants=(_grant(capability_id="state.write.tx"),)).code == "capability-not-granted"


def test_execution_checks_run_last() -> None:
    grant = _grant(capability_id="state.write.tx")
    inside = Execution(stage="transaction", transaction_id="tx-1")
    assert _eval("state.write.tx", grants=(grant,), execution=inside).allowed
    assert _eval("state.write.tx", grants=(grant,)).code == "capability-policy-violation"
    assert _eval("state.read", grants=(_grant(),), execution=Execution(stage="preview")).allowed


@given(st.permutations([_grant(module_version="0.9.0"), _grant(approver_id="bob"), _grant()]))
def test_evaluate_is_independent_of_grant_order(grants: list[Grant]) -> None:
    decision = _eval(grants=tuple(grants))
    assert decision.allowed and decision.grant == _grant()


def test_evaluate_all_is_all_or_nothing_and_follows_stage_order() -> None:
    grants = (_grant(), _grant(capability_id="ui.slot.render"))
    ok = caps.evaluate_all(module_id="geo-tools", module_version="1.0.0", requested=REQUESTED, grants=grants,
                           capability_ids=["ui.slot.render", "state.read"], session_id="s1", now=NOW)
    assert ok.allowed and ok.code is None and [d.capability_id for d in ok.decisions] == ["state.read",
                                                                                           "ui.slot.render"]
    bad = caps.evaluate_all(module_id="geo-tools", module_version="1.0.0", requested=REQUESTED, grants=grants,
                            capability_ids=["automation.invoke", "zz.unknown", "state.read"], session_id="s1",
                            now=NOW)
    # automation.invoke sorts first, but the unknown id fails at an earlier stage.
    assert not bad.allowed and bad.code == "capability-unknown-id" and bad.failed is not None
    assert bad.failed.capability_id == "zz.unknown"


# --- escalation ---------------------------------------------------------------------------------------
def _escalate(now: float = NOW - 10, timeout_s: float = 300.0) -> Escalation:
    return caps.request_escalation(_eval(), escalation_id="esc-1", now=now, timeout_s=timeout_s)


@pytest.mark.parametrize(("choice", "scope"), [("approve_session", "session"), ("approve_persistent", "persistent")])
def test_approval_produces_the_grant_to_store(choice: str, scope: str) -> None:
    esc = caps.decide_escalation(_escalate(), choice, now=NOW - 5, approver_id="alice", approver_role="host")
    assert esc.state == caps.ESCALATION_RESULT
    assert esc.trail == (caps.CHECK_STARTED, caps.ESCALATION_REQUIRED, caps.ESCALATION_DECISION,
                         caps.ESCALATION_RESULT)
    assert esc.grant is not None and esc.grant.grant_scope == scope
    assert esc.grant.session_id == ("s1" if scope == "session" else None)
    decision = _eval(escalation=esc)
    assert decision.allowed and decision.state == caps.ESCALATION_RESULT and decision.grant == esc.grant


@pytest.mark.parametrize("choice", ["deny", "cancel", "timeout"])
def test_deny_cancel_timeout_produce_no_grant(choice: str) -> None:
    esc = caps.decide_escalation(_escalate(), choice, now=NOW - 5)
    assert esc.grant is None
    expected = "capability-escalation-timeout" if choice == "timeout" else "capability-escalation-denied"
    assert _eval(escalation=esc).code == expected


def test_pending_escalation_is_not_a_grant_and_times_out() -> None:
    esc = _escalate(now=NOW - 10, timeout_s=300)
    assert _eval(escalation=esc).code == "capability-not-granted"
    assert _eval(escalation=esc, now=NOW + 290).code == "capability-escalation-timeout"


def test_escalation_for_another_version_is_ignored() -> None:
    esc = caps.decide_escalation(_escalate(), "approve_persistent", now=NOW - 5, approver_id="a", approver_role="host")
    assert _eval(escalation=esc, module_version="2.0.0").code == "capability-not-granted"


def test_only_missing_or_stale_grants_can_be_escalated() -> None:
    with pytest.raises(ModgateError, match="capability-not-requested"):
        caps.request_escalation(_eval("export.user.file"), escalation_id="e", now=NOW)
    with pytest.raises(ModgateError, match="capability-escalation-closed"):
        caps.request_escalation(_eval(grants=(_grant(),)), escalation_id="e", now=NOW)


def test_approval_needs_an_approver() -> None:
    with pytest.raises(ValueError):
        caps.decide_escalation(_escalate(), "approve_persistent", now=NOW)


def test_session_ttl_sets_expiry() -> None:
    esc = caps.decide_escalation(_escalate(), "approve_session", now=NOW, approver_id="a", approver_role="host",
                                 session_ttl_s=60)
    assert esc.grant is not None and esc.grant.expires_at == NOW + 60


# --- audit --------------------------------------------------------------------------------------------
SPEC_FIELDS = {"eventId", "timestampUtc", "moduleId", "moduleVersion", "capabilityId", "decision",
               "decisionReasonCode", "approverIdentity", "approverRole", "grantScope", "grantVersion"}


def test_rejection_record_has_the_spec_fields() -> None:
    name, record = caps.rejection_event(_eval(), event_id="ev-1", now=0.0, action_id="geo.save")
    assert name == "capability.check.rejected"
    assert set(record) == SPEC_FIELDS | {"actionId"}
    assert record["timestampUtc"] == "1970-01-01T00:00:00.000Z"
    assert (record["decision"], record["decisionReasonCode"], record["grantScope"]) == (
        "rejected", "capability-not-granted", "none")


def test_escalation_events_follow_the_state() -> None:
    esc = _escalate()
    assert caps.escalation_event(esc, event_id="e", now=NOW)[0] == "capability.escalation.requested"
    approved = caps.decide_escalation(esc, "approve_session", now=NOW, approver_id="a", approver_role="host")
    name, record = caps.escalation_event(approved, event_id="e", now=NOW, transaction_id="tx-1")
    assert (name, record["decision"], record["grantScope"], record["transactionId"]) == (
        "capability.escalation.approved", "approved", "session", "tx-1")
    timed_out = caps.decide_escalation(esc, "approve_session", now=NOW + 1000, approver_id="a", approver_role="host")
    name, record = caps.escalation_event(timed_out, event_id="e", now=NOW)
    assert (name, record["decision"]) == ("capability.escalation.denied", "timeout")


def test_rollback_events() -> None:
    decision = _eval("state.write.tx", grants=(_grant(capability_id="state.write.tx"),))
    name, record = caps.rollback_event(decision, event_id="e", now=NOW, transaction_id="tx-1", rolled_back=False)
    assert name == "capability.rollback.failed" and record["outcome"] == "rollback_failed"
    assert record["decisionReasonCode"] == "capability-policy-violation"


def test_decision_raises_its_problem() -> None:
    with pytest.raises(ModgateError) as info:
        _eval().raise_if_denied()
    assert info.value.problem.detail["stage"] == "grant"


# --- golden cases -------------------------------------------------------------------------------------
def _case_escalation(spec: dict[str, Any], evaluate: dict[str, Any]) -> Escalation:
    esc = caps.Escalation(escalation_id="esc-golden", module_id=evaluate["moduleId"],
                          module_version=evaluate["moduleVersion"], capability_id=evaluate["capabilityId"],
                          session_id=evaluate["sessionId"], requested_at=spec["openAt"],
                          deadline=spec["openAt"] + spec["timeoutS"], reason_code="capability-not-granted")
    for key in ("decide", "decideAgain"):
        if key in spec:
            d = spec[key]
            esc = caps.decide_escalation(esc, d["choice"], now=d["at"], approver_id=d.get("approverIdentity"),
                                         approver_role=d.get("approverRole"))
    return esc


def _run_case(case: dict[str, Any]) -> tuple[str | None, str | None]:
    ev = case["evaluate"]
    execution = case.get("execution", {})
    try:
        esc = _case_escalation(case["escalation"], ev) if "escalation" in case else None
    except ModgateError as exc:
        return exc.code, None
    decision = caps.evaluate(
        module_id=ev["moduleId"], module_version=ev["moduleVersion"], capability_id=ev["capabilityId"],
        requested=ev["requested"], grants=[Grant.from_dict(g) for g in case["grants"]], session_id=ev["sessionId"],
        now=ev["now"], escalation=esc,
        execution=Execution(stage=execution.get("stage", "action"), action_id=execution.get("actionId"),
                            transaction_id=execution.get("transactionId")))
    return decision.code, decision.stage


def _cases() -> list[Any]:
    return [pytest.param(json.loads(p.read_text(encoding="utf-8")), id=p.stem) for p in sorted(CASES.glob("*.json"))]


@pytest.mark.parametrize("case", _cases())
def test_golden_case(case: dict[str, Any]) -> None:
    if "cli" in case:
        result = CliRunner().invoke(cli, [*case["cli"], "--json"], catch_exceptions=False)
        code, out = result.exit_code, json.loads(result.stdout)
        assert code == 1 and out["ok"] is False and out["code"] == case["code"], out
        assert out["path"] == case["path"] and out["message"]
        return
    found, stage = _run_case(case)
    assert found == case["code"]
    if "stage" in case:
        assert stage == case["stage"]


def test_every_caps_code_has_a_golden_case() -> None:
    from modgate import codes

    pinned = {json.loads(p.read_text(encoding="utf-8"))["code"] for p in CASES.glob("*.json")}
    assert set(codes.CAPS) <= pinned
    assert set(caps.REJECT_CODES) <= set(codes.CAPS)
