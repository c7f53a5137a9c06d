"""``modgate graph``: JSON/mermaid/dot output, one module, --verify exit codes."""

from __future__ import annotations

import json

from tests.clihelp import run, run_json, run_process
from tests.test_graph import package

from modgate.app import open_runtime
from modgate.bus import Commit
from modgate.modules.registry import register_ops
from modgate.state import JsonObject, Op


def install(pkg: JsonObject, *, enabled: bool = True) -> None:
    """Put a package straight into the registry domain of MODGATE_HOME (no importer needed)."""
    rt = open_runtime()
    try:
        ops = register_ops(rt.store.state(), pkg)
        if not enabled:
            ops = [Op(op.op, op.path, {**op.value, "enabled": False}) for op in ops]
        with rt.store.write() as session:
            session.commit(Commit(ops=ops, journal=None, events=[]))
    finally:
        rt.close()


def test_json_lists_host_sorted_by_module_id() -> None:
    code, body = run_json("graph")
    assert code == 0 and body["ok"] is True and body["actionGraphVersion"] == "1.0"
    assert [g["moduleId"] for g in body["modules"]] == ["host"]
    assert len(body["modules"][0]["actions"]) == 38


def test_json_includes_enabled_modules_only() -> None:
    install(package("teacher-tools"))
    install(package("aaa-tools"))
    install(package("off-tools"), enabled=False)
    code, body = run_json("graph")
    assert code == 0
    assert [g["moduleId"] for g in body["modules"]] == ["aaa-tools", "host", "teacher-tools"]
    code, body = run_json("graph", "teacher-tools")
    assert code == 0 and [g["moduleId"] for g in body["modules"]] == ["teacher-tools"]
    assert [a["id"] for a in body["modules"][0]["actions"]] == ["use-laser", "insert-break", "next-step"]


def test_unknown_module_is_a_coded_error() -> None:
    code, body = run_json("graph", "off-tools")
    assert code == 1
    assert body["ok"] is False and body["code"] == "graph-unknown-module" and body["path"] == "MODULE_ID"


def test_verify_fresh_home_is_clean() -> None:
    code, body = run_json("graph", "--verify")
    assert code == 0 and body["ok"] is True
    report = body["verify"]
    assert report["ok"] and report["problems"] == []
    assert report["counts"]["verified"] >= 30


def test_verify_with_a_module_and_human_output() -> None:
    install(package())
    code, out, _ = run("graph", "--verify")
    assert code == 0
    assert "teacher-tools" in out and "use-laser" in out and "0 problems" in out
    code, body = run_json("graph", "teacher-tools", "--verify")
    assert code == 0 and body["verify"]["counts"] == {"verified": 3, "unverified": 0, "problems": 0}


def test_verify_violation_exits_1() -> None:
    pkg = package()
    pkg["commandBindings"][0]["commandId"] = "noSuchCommand"  # not importable; forced in to test verify
    install(pkg)
    code, body = run_json("graph", "--verify")
    assert code == 1 and body["ok"] is False and body["code"] == "graph-unknown-command"
    assert body["path"] == "modules[teacher-tools].actions[use-laser].calls[0]"
    code, out, err = run("graph", "--mermaid", "--verify")
    assert code == 1 and out.startswith("flowchart LR") and "graph-unknown-command" in err


def test_mermaid_and_dot() -> None:
    install(package())
    code, out, _ = run("graph", "--mermaid")
    assert code == 0 and out.startswith("flowchart LR\n") and '"Laser"' in out
    code, out, _ = run("graph", "teacher-tools", "--dot")
    assert code == 0 and out.startswith("digraph actiongraph {") and '"m:teacher-tools"' in out
    assert '"m:host"' not in out


def test_formats_are_exclusive() -> None:
    code, _, err = run("graph", "--json", "--dot")
    assert code == 2 and "at most one" in err


def test_subprocess_json_is_one_object() -> None:
    proc = run_process("graph", "host", "--json")
    assert proc.returncode == 0, proc.stderr
    body = json.loads(proc.stdout)
    assert body["modules"][0]["moduleId"] == "host"
