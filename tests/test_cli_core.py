from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.clihelp import run, run_json, run_process


def test_version_and_help() -> None:
    code, out, _ = run("--version")
    assert code == 0 and "modgate" in out
    code, out, _ = run("--help")
    assert code == 0
    for name in ("approvals", "audit", "commands", "dispatch", "state", "demo"):
        assert name in out


@pytest.mark.parametrize("name", ["approvals", "audit", "commands", "dispatch", "state", "demo"])
def test_every_command_has_help(name: str) -> None:
    code, out, _ = run(name, "--help")
    assert code == 0 and "Usage:" in out


def test_commands_json_lists_38_with_metadata() -> None:
    code, body = run_json("commands")
    assert code == 0 and body["ok"] is True
    assert len(body["commands"]) == 38
    keys = {"id", "description", "mutationScope", "requiresApproval", "auditTag", "undoCommand", "writes",
            "payloadSchema", "idempotent"}
    assert all(keys <= set(c) for c in body["commands"])
    ids = [c["id"] for c in body["commands"]]
    assert ids == sorted(ids)


def test_dispatch_local_command() -> None:
    code, body = run_json("dispatch", "setTool", "--payload", '{"tool": "eraser"}')
    assert code == 0 and body["code"] == "executed"
    code, body = run_json("state", "local")
    assert body["state"]["local"]["tool"]["activeTool"] == "eraser"


def test_student_insert_block_is_queued_until_approved() -> None:
    payload = json.dumps({"block": {"id": "b1", "segments": []}})
    code, body = run_json("dispatch", "insertBlock", "--payload", payload, "--role", "student")
    assert code == 3 and body["code"] == "approval-required"
    approval_id = body["approvalId"]
    assert run_json("state", "doc")[1]["state"]["doc"]["stepBlocks"] == []
    code, listing = run_json("approvals", "list")
    assert [i["id"] for i in listing["approvals"]] == [approval_id]
    code, body = run_json("approvals", "approve", approval_id)
    assert code == 0 and body["code"] == "executed"
    assert [b["id"] for b in run_json("state", "doc")[1]["state"]["doc"]["stepBlocks"]] == ["b1"]
    code, body = run_json("approvals", "approve", approval_id)
    assert code == 1 and body["code"] == "approval-not-pending"


def test_reject() -> None:
    _, body = run_json("dispatch", "addPage", "--role", "agent")
    code, out = run_json("approvals", "reject", body["approvalId"])
    assert code == 0 and out["code"] == "rejected"
    assert run_json("approvals", "list")[1]["approvals"] == []


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("dispatch", "nope"), "unknown-command"),
        (("dispatch", "setTool", "--payload", '{"tool": "crayon"}'), "invalid-payload"),
        (("dispatch", "setTool", "--payload", "{not json"), "invalid-argument"),
        (("dispatch", "setTool", "--payload", '{"tool": "pen", "tool": "eraser"}'), "invalid-argument"),
        (("dispatch", "goToPage", "--payload", '{"pageId": "missing"}'), "command-execution-failed"),
        (("approvals", "approve", "apr-42"), "approval-not-found"),
        (("state", "nowhere"), "invalid-argument"),
    ],
)
def test_coded_failures_exit_1_with_one_json_object(args: tuple[str, ...], code: str) -> None:
    exit_code, out, _ = run(*args, "--json")
    body = json.loads(out)
    assert exit_code == 1 and body["ok"] is False and body["code"] == code and body["message"]


def test_usage_error_exits_2() -> None:
    assert run("dispatch")[0] == 2
    assert run("dispatch", "setTool", "--role", "root")[0] == 2


def test_idempotency_key_on_cli() -> None:
    args = ("dispatch", "toggleAutoPlay", "--idempotency-key", "k1")
    first = run_json(*args)[1]
    second = run_json(*args)[1]
    assert second["deduped"] is True and second["result"] == first["result"]


def test_audit_verify_and_break(modgate_home: Path) -> None:
    run_json("dispatch", "setTool", "--payload", '{"tool": "hand"}')
    code, body = run_json("audit", "--verify")
    assert code == 0 and body["verify"]["ok"] is True and body["events"]
    import sqlite3

    conn = sqlite3.connect(modgate_home / "modgate.sqlite3")
    conn.execute("DROP TRIGGER audit_no_update")
    conn.execute("UPDATE audit SET data='{\"tampered\":true}' WHERE seq=1")
    conn.commit()
    conn.close()
    code, body = run_json("audit", "--verify")
    assert code == 1 and body["code"] == "audit-chain-broken" and body["path"] == "audit[1]"


def test_human_output_is_readable() -> None:
    code, out, _ = run("commands")
    assert code == 0 and "insertBlock" in out and "38 commands" in out
    code, out, _ = run("dispatch", "addPage", "--role", "student")
    assert code == 3 and "modgate approvals approve tx-1" in out


def test_internal_error_is_coded(monkeypatch: pytest.MonkeyPatch) -> None:
    import modgate.cli.core as core

    def boom() -> None:
        raise RuntimeError("kaput")

    monkeypatch.setattr(core, "open_runtime", boom)
    code, out, _ = run("state", "--json")
    assert code == 1 and json.loads(out)["code"] == "internal-error"


def test_real_process_round_trip() -> None:
    proc = run_process("dispatch", "setViewMode", "--payload", '{"mode": "presentation"}', "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["ok"] is True
    proc = run_process("dispatch", "setViewMode", "--payload", "[1,", "--json")
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert json.loads(proc.stdout)["code"] == "invalid-argument"


def test_demo_runs() -> None:
    code, out, _ = run("demo")
    assert code == 0 and "hash chain: verified" in out


# --- defects a new user hit (issue 10) -----------------------------------------------------------

@pytest.mark.parametrize("args", [["demo", "--pause", "-1"], ["tx", "list", "--state", "BOGUS"],
                                  ["tx", "list", "--track", "nope"]])
def test_bad_option_values_are_usage_errors(args: list[str]) -> None:
    code, _, err = run(*args)
    assert code == 2 and "Invalid value" in err


def test_human_output_prints_json_not_python() -> None:
    code, out, _ = run("dispatch", "undo")  # nothing to undo: the result is {"undone": null}
    assert code == 0
    assert 'result: {"undone":null}' in out.splitlines(), out


def test_invalid_payload_names_the_field_and_quotes_what_was_sent() -> None:
    code, body = run_json("dispatch", "setPenColor", "--payload", '{"color": "red"}')
    assert code == 1 and body["path"] == "payload.color"
    assert '"red"' in body["message"] and "(at " not in body["message"]
