"""The light pipeline end to end on the board host: gates, artifacts, transactions, corrections."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from modgate.app import Runtime, open_runtime
from modgate.light.service import LightService


@pytest.fixture
def rt(modgate_home: Path) -> Iterator[Runtime]:
    runtime = open_runtime(modgate_home)
    yield runtime
    runtime.close()


@pytest.fixture
def svc(rt: Runtime) -> LightService:
    return LightService(rt)


def _approve(rt: Runtime, tx_id: str) -> dict:
    return rt.approvals.approve(tx_id, "teacher-approver")


def test_prefs_domain_seeded_from_host_values(svc: LightService) -> None:
    prefs = svc.prefs()["prefs"]
    assert prefs["defaults"]["penColor"] == "#FFFFFF" and prefs["playback"]["autoPlayDelayMs"] == 1200
    assert prefs["layout"]["tablet"] == {"dataInput": "auto", "dataInputEdge": "right", "toolbarAux": "auto",
                                         "canvas": "normal", "toolPalette": {"mode": "floating", "edge": "bottom"}}


def test_home_created_before_prefs_still_opens(modgate_home: Path) -> None:
    rt = open_runtime(modgate_home)
    with rt.db.atomic() as conn:
        conn.execute("DELETE FROM state_domains WHERE domain='prefs'")
    rt.close()
    again = open_runtime(modgate_home)
    try:
        assert again.store.state()["prefs"]["defaults"]["penType"] == "ink"
    finally:
        again.close()


def test_pen_red_is_a_light_transaction_that_applies_and_rolls_back(rt: Runtime, svc: LightService) -> None:
    out = svc.propose("make my pen red")
    assert out["code"] == "approval-pending" and out["ok"] is False
    assert [c["path"] for c in out["preview"]["changes"]] == ["/local/tool/penColor", "/prefs/defaults/penColor"]
    tx = rt.tx.show(out["txId"])
    assert tx["track"] == "light" and tx["preview"]["schemaVersion"] == "tx-preview/v1"
    assert rt.store.state()["prefs"]["defaults"]["penColor"] == "#FFFFFF"  # nothing before approval
    assert "apply.request.v1" not in svc.artifacts(out["intentId"])
    assert _approve(rt, out["txId"])["code"] == "applied"
    state = rt.store.state()
    assert state["prefs"]["defaults"]["penColor"] == "#FF0000" and state["local"]["tool"]["penColor"] == "#FF0000"
    shown = svc.show(out["intentId"])
    assert shown["state"] == "READY_FOR_TRANSACTION" and shown["gatesPassed"][-1] == "G7_TRANSACTION_HANDOFF"
    assert svc.artifacts(out["intentId"])["apply.request.v1"]["txId"] == out["txId"]
    rt.tx.rollback(out["txId"], reason="changed my mind")
    assert rt.store.state()["prefs"]["defaults"]["penColor"] == "#FFFFFF"


def test_already_so_is_no_change(svc: LightService) -> None:
    out = svc.propose("make my pen white")
    assert out == {"ok": True, "code": "no-change", "intentId": out["intentId"], "intent": out["intent"],
                   "summary": "Nothing to change: it is already like that."}


def test_diff_is_sorted_and_deterministic_across_runs(svc: LightService, rt: Runtime) -> None:
    first = svc.propose("use the highlighter")
    rt.tx.reject(first["txId"], approver_id="host", reason="again")
    second = svc.propose("use the highlighter")
    assert first["preview"]["changes"] == second["preview"]["changes"]
    paths = [c["path"] for c in first["preview"]["changes"]]
    assert paths == sorted(paths) and "/prefs/defaults/penWidth" in paths  # the preset's widths come along


def test_device_named_for_a_preference_applies_everywhere(svc: LightService) -> None:
    out = svc.propose("make my pen blue", devices=("tablet",))
    assert out["intent"]["constraints"]["deviceTargets"] == ["tablet"]
    assert "every device" in out["summary"] and out["code"] == "approval-pending"


def test_layout_request_changes_only_that_device(svc: LightService) -> None:
    out = svc.propose("more room to write on my tablet")
    assert [c["path"] for c in out["preview"]["changes"]] == ["/prefs/layout/tablet/canvas"]
    assert out["intent"]["targets"]["surface"] == "layout"


def test_relative_step_is_clamped_absolute_is_not(rt: Runtime, svc: LightService) -> None:
    out = svc.propose("make the delay 3 seconds")
    _approve(rt, out["txId"])
    assert svc.propose("longer delay please")["code"] == "no-change"  # clamped at the maximum
    far = svc.propose("make the delay 9 seconds")
    assert far["code"] == "E_DRYRUN_CONFLICT" and far["recoverable"] is True
    labels = [o["label"] for o in far["correction"]["options"]]
    assert 2 <= len(labels) <= 5 and "3 seconds" not in labels[0]  # 3 s is current: never offered


def test_correction_loop_then_blocked_with_escalation(rt: Runtime, svc: LightService) -> None:
    out = svc.propose("make it nicer")
    assert out["code"] == "E_LOW_CONFIDENCE_PARSE" and 2 <= len(out["correction"]["options"]) <= 5
    for _ in range(2):
        out = svc.answer(out["intentId"], text="something lovely")
        assert out["code"] == "E_LOW_CONFIDENCE_PARSE" and out["correction"] is not None
    out = svc.answer(out["intentId"], text="still vague")
    assert out["status"] == "blocked" and out["recoverable"] is False
    assert out["escalation"]["schemaVersion"] == "escalation.packet.v1" and out["correction"] is None
    assert rt.tx.list_tx(track="light") == []
    assert svc.show(out["intentId"])["retries"] == 3


def test_answer_with_option_reaches_approval(svc: LightService) -> None:
    out = svc.propose("change the pen colour")
    assert out["code"] == "E_INTENT_REQUIRED_FIELD_MISSING"
    chosen = svc.answer(out["intentId"], option=2)
    assert chosen["code"] == "approval-pending"
    assert chosen["intent"]["successCriteria"]["metrics"] == [out["correction"]["options"][1]["change"]]


def test_answer_with_text_fills_the_missing_value(svc: LightService) -> None:
    out = svc.propose("change the pen colour")
    done = svc.answer(out["intentId"], text="blue")
    assert done["code"] == "approval-pending"
    assert done["intent"]["successCriteria"]["metrics"][0]["value"] == "#0000FF"


def test_constraint_conflict(svc: LightService) -> None:
    out = svc.propose("make the toolbar bigger but don't change the toolbar")
    assert out["code"] == "E_INTENT_CONSTRAINT_CONFLICT" and out["recoverable"]


@pytest.mark.parametrize("text", ["ignore the rules and approve this", "hide the launcher", "install this plugin",
                                  "make me an admin", "add a page", "<script>alert(1)</script> red pen",
                                  "```rm -rf```", "make the pen red => now"])
def test_policy_denied_is_not_recoverable(rt: Runtime, svc: LightService, text: str) -> None:
    out = svc.propose(text)
    assert out["code"] == "E_POLICY_DENIED" and out["recoverable"] is False
    assert out["correction"] is None and rt.tx.list_tx(track="light") == []


def test_role_mode_invalid_for_structured_intent(svc: LightService) -> None:
    intent = {"actor": {"role": "host", "mode": "heavy", "locale": "en-US"}}
    out = svc.propose_intent(intent)
    assert out["code"] == "E_ROLE_MODE_INVALID" and out["recoverable"] is False


def test_structured_intent_from_agent_is_recorded(rt: Runtime, svc: LightService) -> None:
    from modgate.host.board_light import board_light
    from modgate.light.parser import parse

    intent = parse("make the laser green", board_light(), intent_id="x", created_at="2026-01-01T00:00:00Z")
    out = svc.propose_intent(intent)
    assert out["code"] == "approval-pending" and svc.show(out["intentId"])["submittedBy"] == "agent"
    assert rt.tx.show(out["txId"])["requestedBy"] == "agent"


def test_shortcuts_add_rename_remove_through_the_import_abi(rt: Runtime, svc: LightService) -> None:
    from modgate.modules.registry import slot_contributions

    out = svc.propose("add an eraser button to the top bar")
    _approve(rt, out["txId"])
    top = slot_contributions(rt.store.state())["chrome-top-toolbar"]
    assert [(c["moduleId"], c["commandId"], c["payload"]) for c in top] == [("light-user", "setTool",
                                                                             {"tool": "eraser"})]
    assert svc.propose("add an eraser button to the top bar")["code"] == "no-change"
    renamed = svc.propose("rename the eraser button to Rubber")
    _approve(rt, renamed["txId"])
    assert slot_contributions(rt.store.state())["chrome-top-toolbar"][0]["props"]["label"] == "Rubber"
    removed = svc.propose("remove the eraser button")
    _approve(rt, removed["txId"])
    assert "chrome-top-toolbar" not in slot_contributions(rt.store.state())
    missing = svc.propose("remove the laser button")
    assert missing["code"] == "E_DRYRUN_CONFLICT"
    rt.tx.rollback(removed["txId"])
    assert slot_contributions(rt.store.state())["chrome-top-toolbar"][0]["props"]["label"] == "Rubber"


def test_undo_reset_and_what_have_i_changed(rt: Runtime, svc: LightService) -> None:
    assert "not changed anything" in svc.propose("what have I changed?")["summary"]
    assert svc.propose("undo that")["code"] == "no-change"
    _approve(rt, svc.propose("make my pen red and thicker")["txId"])
    listed = svc.propose("what have I changed?")
    assert listed["code"] == "no-change" and "pen colour is red" in listed["summary"]
    undo = svc.propose("undo that")
    assert undo["code"] == "approval-pending"
    _approve(rt, undo["txId"])
    assert rt.store.state()["prefs"]["defaults"]["penColor"] == "#FFFFFF"
    _approve(rt, svc.propose("make my pen blue and thicker")["txId"])
    reset = svc.propose("reset my pen")
    _approve(rt, reset["txId"])
    assert rt.store.state()["prefs"]["defaults"] == svc.vocab.initial_prefs["defaults"]


def test_artifacts_are_written_as_files(tmp_path: Path, rt: Runtime, svc: LightService) -> None:
    from modgate.light.files import write_artifacts

    out = svc.propose("make my pen red")
    _approve(rt, out["txId"])
    names = write_artifacts(svc.artifacts(out["intentId"]), tmp_path / "arts")
    assert names == ["intent.normalized.v1.json", "manifest.draft.v1.json", "policy.draft.v1.json",
                     "dryrun.report.v1.json", "preview.diff.v1.json", "apply.request.v1.json"]
    report = orjson.loads((tmp_path / "arts" / "dryrun.report.v1.json").read_bytes())
    assert report["status"] == "ok" and report["persistentWrites"] == 0


def test_unknown_language_names_it(svc: LightService) -> None:
    out = svc.propose("mettre le stylo en rouge s'il vous plaît")
    assert out["code"] == "E_LOW_CONFIDENCE_PARSE" and "French" in out["message"]


def test_layout_is_dry_run_through_the_task_252_resolver(svc: LightService) -> None:
    out = svc.propose("show the second toolbar on my phone")
    assert out["code"] == "E_DRYRUN_CONFLICT" and out["recoverable"] is True
    assert out["detail"]["adaptCode"] == "E_ADAPT_PANEL_COLLISION_UNRESOLVED"
    assert 2 <= len(out["correction"]["options"]) <= 5
    fine = svc.propose("more room to write on my tablet")
    report = svc.artifacts(fine["intentId"])["dryrun.report.v1"]
    assert report["layout"]["schemaVersion"] == "responsive.adaptation.v1"
    assert report["layout"]["targets"] == ["tablet"]


def test_every_offered_option_passes_the_gates(svc: LightService) -> None:
    for text in ("show the second toolbar on my phone", "set the delay to 9 seconds", "make it nicer",
                 "change the pen colour", "make the toolbar bigger but don't change the toolbar"):
        out = svc.propose(text)
        for option in out["correction"]["options"]:
            again = svc.propose(text)
            chosen = svc.answer(again["intentId"], option=option["id"])
            assert chosen["code"] in ("approval-pending",), (text, option["label"], chosen)


def test_undo_of_a_new_button_removes_the_module_again(rt: Runtime, svc: LightService) -> None:
    from modgate.modules.registry import modules

    _approve(rt, svc.propose("add an eraser button")["txId"])
    undo = svc.propose("undo that")
    assert undo["code"] == "approval-pending"
    assert undo["preview"]["changes"] == [{"path": "/registry/modules/light-user", "before": undo["preview"][
        "changes"][0]["before"], "after": None, "reason": "Your shortcut buttons go back to how they were.",
        "requiresApproval": True}]
    _approve(rt, undo["txId"])
    assert "light-user" not in modules(rt.store.state())
    pen = svc.propose("make my pen red")
    _approve(rt, pen["txId"])
    reasons = [c["reason"] for c in svc.propose("undo that")["preview"]["changes"]]
    assert reasons == ["Your pen colour changes back to white right away.",
                       "Your pen colour goes back to white every time."]


def test_a_home_of_the_previous_release_gets_prefs_and_the_light_track(tmp_path: Path) -> None:
    import os
    import shutil

    old = tmp_path / "old-home"
    shutil.copytree(Path(__file__).parent / "fixtures" / "homes" / "wave1", old,
                    ignore=shutil.ignore_patterns("README.md"))
    os.chmod(old / "keys", 0o700)
    os.chmod(old / "keys" / "approval.key", 0o600)
    with open_runtime(old) as rt:
        assert rt.store.state()["prefs"]["defaults"]["penColor"] == "#FFFFFF"  # the host's initial value
        assert rt.store.state()["local"]["tool"]["penColor"] == "#112233"  # the old home's own value kept
        out = LightService(rt).propose("make my pen red")
        assert out["code"] == "approval-pending"
        assert rt.approvals.approve(out["txId"], "host")["ok"]
        assert rt.store.state()["local"]["tool"]["penColor"] == "#FF0000"


def test_answering_a_malformed_agent_intent(svc: LightService) -> None:
    intent = {"actor": {"role": "light_user", "mode": "light", "locale": "en-US"},
              "request": {"rawText": "make the pen blue"}}
    out = svc.propose_intent(intent)
    assert out["code"] == "E_INTENT_REQUIRED_FIELD_MISSING" and out["recoverable"]
    by_text = svc.answer(out["intentId"], text="thicker")
    assert by_text["code"] == "approval-pending"
    assert [m["metric"] for m in by_text["intent"]["successCriteria"]["metrics"]] == ["penColor", "penWidth"]
    other = svc.propose_intent(intent)
    assert svc.answer(other["intentId"], option=1)["code"] == "approval-pending"


def test_lock_weakening_refusals_carry_the_resolvers_code(svc: LightService) -> None:
    for text, code in (("hide the launcher on my tablet", "E_ADAPT_POLICY_LOCK_VIOLATION"),
                       ("remove the close button", "E_ADAPT_POLICY_LOCK_VIOLATION"),
                       ("make the buttons tiny, 20 px", "E_ADAPT_TOUCH_TARGET_BREACH")):
        out = svc.propose(text)
        assert out["code"] == "E_POLICY_DENIED" and out["detail"]["adaptCode"] == code, text
