"""``modgate light`` and ``modgate prefs`` from the command line (light-track.md §5), across processes."""

from __future__ import annotations

import json
from pathlib import Path

from tests.clihelp import run, run_json, run_process


def test_help_of_every_light_command() -> None:
    for args in (["light"], ["light", "propose"], ["light", "answer"], ["light", "show"], ["light", "artifacts"],
                 ["prefs"]):
        code, out, _ = run(*args, "--help")
        assert code == 0 and "Usage" in out


def test_propose_approve_rollback_across_processes(tmp_path: Path) -> None:
    proposed = run_process("light", "propose", "make my pen red", "--device", "tablet", "--json")
    assert proposed.returncode == 3
    out = json.loads(proposed.stdout)
    assert set(out) >= {"ok", "code", "txId", "intentId", "intent", "preview", "summary"}
    assert out["ok"] is False and out["code"] == "approval-pending"
    shown = json.loads(run_process("light", "show", out["intentId"], "--json").stdout)
    assert shown["state"] == "APPROVAL_PENDING" and shown["txState"] == "APPROVAL_PENDING"
    assert run_process("approvals", "approve", out["txId"], "--json").returncode == 0
    shown = json.loads(run_process("light", "show", out["intentId"], "--json").stdout)
    assert shown["state"] == "READY_FOR_TRANSACTION" and shown["status"] == "applied"
    written = run_process("light", "artifacts", out["intentId"], "--dir", str(tmp_path / "a"), "--json")
    assert json.loads(written.stdout)["files"][-1] == "apply.request.v1.json"
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == sorted(json.loads(written.stdout)["files"])
    code, prefs = run_json("prefs")
    assert code == 0 and prefs["prefs"]["defaults"]["penColor"] == "#FF0000"
    assert set(prefs["prefs"]) == {"defaults", "playback", "layout"}
    assert run_process("tx", "rollback", out["txId"], "--json").returncode == 0
    assert run_json("prefs")[1]["prefs"]["defaults"]["penColor"] == "#FFFFFF"


def test_failure_and_answer_shapes() -> None:
    code, out = run_json("light", "propose", "set the delay to 9 seconds")
    assert code == 1 and set(out) >= {"ok", "code", "intentId", "recoverable", "correction", "escalation"}
    assert out["code"] == "E_DRYRUN_CONFLICT" and out["escalation"] is None
    code, again = run_json("light", "answer", out["intentId"], "--option", "1")
    assert code == 3 and again["code"] == "approval-pending"
    assert again["preview"]["changes"][-1]["after"] == 3000


def test_no_change_shape_and_exit_zero() -> None:
    code, out = run_json("light", "propose", "make my pen white")
    assert code == 0 and out == {"ok": True, "code": "no-change", "intentId": out["intentId"],
                                 "intent": out["intent"], "summary": out["summary"]}


def test_human_output_is_plain() -> None:
    code, out, _ = run("light", "propose", "change the pen colour")
    assert code == 1 and "1. Set the pen colour to" in out and "modgate light answer" in out
    code, out, _ = run("light", "propose", "add an eraser button to the top bar")
    assert code == 3 and "appears in the top bar" in out and "approvals approve" in out


def test_usage_errors_exit_two() -> None:
    assert run("light", "answer", "intent-x")[0] == 2
    assert run("light", "propose", "red", "--device", "fridge")[0] == 2


def test_approvals_approve_prints_a_light_change_without_a_command_id() -> None:
    code, out = run_json("light", "propose", "make the eraser bigger")
    assert code == 3
    code, text, err = run("approvals", "approve", out["txId"])
    assert code == 0 and text.startswith(f"{out['txId']}: approved and executed") and not err


def test_reading_commands_never_create_the_home(modgate_home: Path) -> None:
    code, out = run_json("prefs")
    assert code == 0 and out["prefs"]["defaults"]["penColor"] == "#FFFFFF"
    assert run("light", "show", "intent-none", "--json")[0] == 1
    assert not modgate_home.exists()


def test_same_request_same_intent_and_diff_in_every_process(tmp_path: Path) -> None:
    outs = []
    for i, seed in enumerate(("1", "12345")):
        env = {"MODGATE_HOME": str(tmp_path / f"home-{i}"), "PYTHONHASHSEED": seed}
        done = run_process("light", "propose", "make the pen dark blue and add an eraser button", "--device",
                           "tablet", "--json", env=env)
        outs.append(json.loads(done.stdout))
    for out in outs:
        out["intent"].pop("intentId")
        out["intent"].pop("createdAt")
    assert outs[0]["intent"] == outs[1]["intent"]
    assert json.dumps(outs[0]["preview"]["changes"]) == json.dumps(outs[1]["preview"]["changes"])
