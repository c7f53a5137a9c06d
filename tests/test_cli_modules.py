from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.clihelp import run, run_json

from modgate.modules.starter import new_module_package


@pytest.fixture
def pkg(tmp_path: Path) -> Path:
    path = tmp_path / "geo-tools.json"
    path.write_text(json.dumps(new_module_package("geo-tools")))
    return path


def test_new_module_lints_and_imports(tmp_path: Path) -> None:
    code, body = run_json("new", "module", "geo-tools", "--dir", str(tmp_path / "out"))
    assert code == 0
    assert run_json("lint", body["path"])[0] == 0
    code, body = run_json("import", body["path"], "--yes")
    assert code == 0 and body == {"ok": True, "code": "imported", "moduleId": "geo-tools",
                                  "moduleVersion": "0.1.0", "replaced": False}


def test_import_without_yes_waits_then_tx_applies(pkg: Path) -> None:
    code, body = run_json("import", str(pkg))
    assert code == 3 and body["code"] == "approval-pending" and body["previewHash"].startswith("sha256:")
    tx_id = body["txId"]
    assert run_json("modules")[1]["modules"] == []
    assert [i["id"] for i in run_json("approvals", "list")[1]["approvals"]] == [tx_id]
    assert run_json("tx", "approve", tx_id)[0] == 0
    code, applied = run_json("tx", "apply", tx_id)
    assert code == 0 and applied["code"] == "applied"
    assert [m["moduleId"] for m in run_json("modules")[1]["modules"]] == ["geo-tools"]
    code, again = run_json("tx", "apply", tx_id)
    assert code == 1 and again["code"] == "tx-already-applied"
    code, _back = run_json("tx", "rollback", tx_id, "--idempotency-key", "rb")
    assert code == 0 and run_json("modules")[1]["modules"] == []
    assert run_json("tx", "rollback", tx_id, "--idempotency-key", "rb")[1]["deduped"] is True
    assert run_json("tx", "rollback", tx_id)[1]["code"] == "tx-not-applied"


def test_rejected_package_is_deterministic_and_creates_no_tx(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_bytes(b'{"packageAbiVersion": 1, "moduleId": "geo-tools\\n"}')
    outs = [run("import", str(bad), "--json") for _ in range(2)]
    assert outs[0] == outs[1] and outs[0][0] == 1
    body = json.loads(outs[0][1])
    assert set(body) <= {"ok", "code", "path", "message", "detail"} and body["path"] == "package.moduleId"
    assert run_json("tx", "list")[1]["transactions"] == []


def test_replace_downgrade_and_remove(pkg: Path, tmp_path: Path) -> None:
    run_json("import", str(pkg), "--yes")
    newer = new_module_package("geo-tools") | {"moduleVersion": "0.2.0"}
    (tmp_path / "v2.json").write_text(json.dumps(newer))
    assert run_json("import", str(tmp_path / "v2.json"), "--yes")[1]["replaced"] is True
    code, body = run_json("import", str(pkg), "--yes")
    assert code == 1 and body["code"] == "module-version-downgrade"
    assert run_json("import", str(pkg), "--yes", "--allow-downgrade")[0] == 0
    assert run_json("modules", "show", "geo-tools")[1]["module"]["moduleVersion"] == "0.1.0"
    code, body = run_json("remove", "geo-tools", "--yes")
    assert code == 0 and body["code"] == "removed"
    assert run_json("remove", "geo-tools", "--yes")[1]["code"] == "module-not-found"


def test_slots_and_click_end_to_end(pkg: Path) -> None:
    run_json("import", str(pkg), "--yes")
    slots = run_json("slots")[1]["slots"]
    ids = [c["contributionId"] for items in slots.values() for c in items]
    assert "geo-tools:geo-tools-pen" in ids
    run_json("dispatch", "setTool", "--payload", '{"tool": "laser"}')
    code, body = run_json("click", "geo-tools:geo-tools-pen")
    assert code == 0 and body["code"] == "executed"
    assert run_json("state", "local")[1]["state"]["local"]["tool"]["activeTool"] == "pen"


def test_lint_reports_every_problem_sorted(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"packageAbiVersion": 1, "moduleId": "X", "moduleVersion": "1"}')
    code, body = run_json("lint", str(bad))
    assert code == 1 and body["code"] == "lint-problems"
    keys = [(p["path"], p["code"]) for p in body["problems"]]
    assert keys == sorted(keys) and len(keys) >= 3 and all(p["hint"] for p in body["problems"])


@pytest.mark.parametrize("name", ["import", "lint", "modules", "remove", "new", "slots", "click", "tx"])
def test_help(name: str) -> None:
    assert run(name, "--help")[0] == 0


def _doc_module(tmp_path: Path, capabilities: list[str]) -> Path:
    package = new_module_package("col-tools")
    entry = package["pluginManifest"]["ui"][0]
    entry["action"] = {"commandId": "setColumnCount", "payload": {"count": 3}}
    binding = package["commandBindings"][0]
    binding.update(commandId="setColumnCount", payload={"count": 3}, expectedMutationScope="doc")
    package["capabilitiesRequested"] = capabilities
    path = tmp_path / "col.json"
    path.write_text(json.dumps(package))
    return path


def test_click_writing_shared_state_needs_a_capability_grant(tmp_path: Path) -> None:
    assert run_json("import", str(_doc_module(tmp_path, ["state.write.tx"])), "--yes")[0] == 0
    contribution = "col-tools:col-tools-pen"
    code, body = run_json("click", contribution, "--yes")
    assert code == 1 and body["code"] == "capability-not-granted"
    assert run_json("grants", "grant", "col-tools", "state.write.tx", "--persistent")[0] == 0
    code, body = run_json("click", contribution)
    assert code == 3 and body["code"] == "approval-pending"  # a transaction waiting for the host
    code, body = run_json("click", contribution, "--yes")
    assert code == 0 and body["code"] == "executed" and body["txId"]
    assert run_json("state", "doc")[1]["state"]["doc"]["pageColumnCounts"]["page-1"] == 3


def test_click_of_a_module_that_did_not_request_the_capability(tmp_path: Path) -> None:
    run_json("import", str(_doc_module(tmp_path, [])), "--yes")
    code, body = run_json("click", "col-tools:col-tools-pen", "--yes")
    assert code == 1 and body["code"] == "capability-not-requested"


def test_grant_revoked_inside_the_transaction_forces_rollback(tmp_path: Path) -> None:
    from modgate.app import open_runtime
    from modgate.caps import store as caps_store
    from modgate.modules import actions

    run_json("import", str(_doc_module(tmp_path, ["state.write.tx"])), "--yes")
    run_json("grants", "grant", "col-tools", "state.write.tx", "--persistent")
    real = actions.check_capability

    def revoke_then_check(db, module, tx_id, **kw):  # type: ignore[no-untyped-def]
        if tx_id is not None:
            caps_store.revoke(db, "col-tools", "state.write.tx")
        return real(db, module, tx_id, **kw)

    actions.check_capability = revoke_then_check  # type: ignore[assignment]
    try:
        code, body = run_json("click", "col-tools:col-tools-pen", "--yes")
    finally:
        actions.check_capability = real  # type: ignore[assignment]
    assert code == 1 and body["code"] == "capability-not-granted"
    assert body["detail"]["outcome"] == "rolled_back"
    rt = open_runtime()
    assert rt.store.state()["doc"]["pageColumnCounts"]["page-1"] == 2
    rt.close()
