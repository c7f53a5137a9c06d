"""Action graph v1.0: derivation, completeness, reader, verification, renderers."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from tests.fakehost import fake_host, spec

from modgate import graph as core
from modgate.errors import ModgateError
from modgate.host import get_host
from modgate.host.model import Host
from modgate.modules.registry import entry_for, initial_registry
from modgate.state import JsonObject, StateView

FIELDS = ("id", "label", "calls", "mutates", "requiresApproval", "undoCommand", "surface")


def verify(host: Any, state: JsonObject, graphs: list[core.ActionGraph] | None = None,
           module_id: str | None = None) -> JsonObject:
    """graph.verify with the composition root's parts: every graph source and the bus's dry-run."""
    from modgate.app import build_graphs_of
    from modgate.bus import dry_runner
    from modgate.graph_ext import unverified

    graphs = build_graphs_of(host, state) if graphs is None else graphs
    return core.verify(host, state, graphs, dry_run=dry_runner(host), unverified=[unverified], module_id=module_id)


def package(module_id: str = "teacher-tools") -> JsonObject:
    """A valid HeavyModulePackageV1 with a toolbar (local), a panel (doc) and a bottom-toolbar action."""
    ui = [
        {"id": "laser-button", "slot": "chrome-top-toolbar", "type": "button", "props": {"label": "Laser"},
         "action": {"commandId": "setTool", "payload": {"tool": "laser"}}},
        {"id": "break-panel", "slot": "left-panel", "type": "panel", "props": {"label": "Insert line break"},
         "action": {"commandId": "insertBreak", "payload": {"type": "line"}}},
        {"id": "next-button", "slot": "toolbar-bottom", "type": "button", "props": {"label": "Next step"},
         "action": {"commandId": "nextStep", "payload": {}}},
    ]
    bindings = [
        {"bindingId": "use-laser", "uiEntryId": "laser-button", "commandId": "setTool", "payload": {"tool": "laser"},
         "context": {}, "expectedMutationScope": "local"},
        {"bindingId": "insert-break", "uiEntryId": "break-panel", "commandId": "insertBreak",
         "payload": {"type": "line"}, "context": {}, "expectedMutationScope": "doc"},
        {"bindingId": "next-step", "uiEntryId": "next-button", "commandId": "nextStep", "payload": {},
         "context": {}, "expectedMutationScope": "sync"},
    ]
    return {
        "packageAbiVersion": 1, "moduleId": module_id, "moduleVersion": "1.0.0", "displayName": "Teacher tools",
        "compatibility": {"pluginManifestVersion": 1, "commandBusContractVersion": 1, "minAppVersion": "10.0.0",
                          "maxAppVersionExclusive": None},
        "pluginManifest": {"manifestVersion": 1, "pluginId": module_id, "ui": ui},
        "commandBindings": bindings, "capabilitiesRequested": [],
    }


def board_state(*packages: JsonObject, disabled: tuple[str, ...] = ()) -> JsonObject:
    host = get_host("board")
    registry = initial_registry()
    for pkg in packages:
        registry["modules"][pkg["moduleId"]] = entry_for(pkg, enabled=pkg["moduleId"] not in disabled)
    return {**host.initial_state(), "registry": registry}


@pytest.fixture
def board() -> Host:
    return get_host("board")


def test_fixture_package_is_a_valid_heavy_package(board: Host) -> None:
    from modgate.modules.package import validate_package

    outcome = validate_package(package(), board)
    assert outcome.ok, outcome.problem


def test_host_graph_has_one_action_per_command(board: Host) -> None:
    g = core.host_graph(board)
    assert g.module_id == "host" and g.action_graph_version == "1.0"
    assert [a.id for a in g.actions] == sorted(board.commands)
    for action in g.actions:
        cmd = board.commands[action.id]
        assert action.calls == (cmd.id,)
        assert action.mutates == cmd.writes
        assert action.undo_command == cmd.undo_command
        assert action.surface == ("commandPalette",)
        if cmd.requires_approval:
            assert isinstance(action.requires_approval, dict)
            assert action.requires_approval["level"] == "hard" and action.requires_approval["reason"]
        else:
            assert action.requires_approval is False


def test_module_graph_from_bindings(board: Host) -> None:
    graphs = core.build_graphs(board, board_state(package()))
    assert [g.module_id for g in graphs] == ["host", "teacher-tools"]
    module = graphs[1].to_dict()
    by_id = {a["id"]: a for a in module["actions"]}
    assert list(by_id) == ["use-laser", "insert-break", "next-step"]
    pen, brk, nxt = by_id["use-laser"], by_id["insert-break"], by_id["next-step"]
    assert pen == {"id": "use-laser", "label": "Laser", "calls": ["setTool"],
                   "mutates": list(board.commands["setTool"].writes), "requiresApproval": False,
                   "undoCommand": "setTool", "surface": ["toolbar", "commandPalette"]}
    assert brk["surface"] == ["panel", "commandPalette"]
    assert brk["requiresApproval"]["level"] == "hard"
    assert brk["undoCommand"] == "deleteBlock"
    assert nxt["surface"] == ["toolbar", "commandPalette"] and nxt["label"] == "Next step"


def test_disabled_modules_and_reserved_id_are_left_out(board: Host) -> None:
    state = board_state(package("teacher-tools"), package("other-tools"), disabled=("other-tools",))
    assert [g.module_id for g in core.build_graphs(board, state)] == ["host", "teacher-tools"]
    reserved = board_state(package("host"))
    assert [g.module_id for g in core.build_graphs(board, reserved)] == ["host"]
    report = verify(board, reserved)
    assert [p["code"] for p in report["problems"]] == ["graph-reserved-module-id"]


def test_uncovered_ui_action_and_unknown_command(board: Host) -> None:
    pkg = package()
    pkg["commandBindings"] = pkg["commandBindings"][:1]
    pkg["pluginManifest"]["ui"][2]["action"]["commandId"] = "noSuchCommand"
    g = core.build_graphs(board, board_state(pkg))[1]
    assert [a.id for a in g.actions] == ["use-laser", "break-panel", "next-button"]
    unknown = g.action("next-button")
    assert unknown is not None and unknown.calls == ("noSuchCommand",) and unknown.requires_approval
    report = verify(board, board_state(pkg))
    assert [p["code"] for p in report["problems"]] == ["graph-unknown-command"]


def test_completeness_every_action_states_every_field(board: Host) -> None:
    """Task 258's action-graph completeness: 100% of actions state all five control fields."""
    graphs = [g.to_dict() for g in core.build_graphs(board, board_state(package(), package("more-tools")))]
    actions = [a for g in graphs for a in g["actions"]]
    assert len(actions) == 38 + 6
    for g in graphs:
        assert set(g) == {"actionGraphVersion", "moduleId", "actions"} and g["actionGraphVersion"] == "1.0"
    for a in actions:
        assert tuple(a) == FIELDS
        assert a["calls"] and all(isinstance(c, str) and c for c in a["calls"])
        assert isinstance(a["mutates"], list) and all(p.startswith("/") for p in a["mutates"])
        assert a["requiresApproval"] is False or set(a["requiresApproval"]) == {"reason", "level"}
        assert a["undoCommand"] is None or a["undoCommand"] in board.commands
        assert a["surface"] and set(a["surface"]) <= set(core.SURFACES)
    assert sum(1 for a in actions if all(k in a for k in FIELDS)) / len(actions) == 1.0


# --- reader ------------------------------------------------------------------------------------------


def test_reader_applies_seed_defaults_and_ignores_unknown_fields() -> None:
    g = core.read_graph({"actionGraphVersion": "1.0", "moduleId": "m", "x-extra": 1,
                         "actions": [{"id": "a", "label": "A", "calls": ["c"], "mutates": [], "future": True}]})
    action = g.actions[0]
    assert action.requires_approval is False and action.undo_command is None
    assert action.surface == ("commandPalette",)
    assert g.to_dict()["actions"][0] == {"id": "a", "label": "A", "calls": ["c"], "mutates": [],
                                         "requiresApproval": False, "undoCommand": None,
                                         "surface": ["commandPalette"]}


def test_reader_round_trips_derived_graphs(board: Host) -> None:
    for g in core.build_graphs(board, board_state(package())):
        assert core.read_graph(g.to_dict()) == g


def test_reader_branches_on_version() -> None:
    base = {"moduleId": "m", "actions": []}
    assert core.read_graph({**base, "actionGraphVersion": "1.7"}).action_graph_version == "1.7"
    with pytest.raises(ModgateError) as err:
        core.read_graph({**base, "actionGraphVersion": "2.0"})
    assert err.value.code == "graph-version-unsupported" and err.value.problem.path == "actionGraphVersion"
    for bad in (None, 1, "1", "v1.0", "01.0"):
        with pytest.raises(ModgateError) as err:
            core.read_graph({**base, "actionGraphVersion": bad})
        assert err.value.code == "graph-invalid"


@pytest.mark.parametrize(("action", "path"), [
    ({"label": "A", "calls": [], "mutates": []}, "actions[0].id"),
    ({"id": "a", "label": "A", "calls": "c", "mutates": []}, "actions[0].calls"),
    ({"id": "a", "label": "A", "calls": [], "mutates": [1]}, "actions[0].mutates"),
    ({"id": "a", "label": "A", "calls": [], "mutates": [], "requiresApproval": {"reason": "r", "level": "x"}},
     "actions[0].requiresApproval.level"),
    ({"id": "a", "label": "A", "calls": [], "mutates": [], "surface": ["desktop"]}, "actions[0].surface[0]"),
    ({"id": "a", "label": "A", "calls": [], "mutates": [], "undoCommand": 3}, "actions[0].undoCommand"),
])
def test_reader_rejects_malformed_actions(action: dict[str, Any], path: str) -> None:
    with pytest.raises(ModgateError) as err:
        core.read_graph({"actionGraphVersion": "1.0", "moduleId": "m", "actions": [action]})
    assert err.value.code == "graph-invalid" and err.value.problem.path == path


def test_reader_accepts_soft_approval_with_approver() -> None:
    g = core.read_graph({"actionGraphVersion": "1.0", "moduleId": "m", "actions": [
        {"id": "a", "label": "A", "calls": ["c"], "mutates": ["/x"],
         "requiresApproval": {"reason": "costly", "level": "soft", "approver": "teacher"}}]})
    assert g.actions[0].requires_approval == {"reason": "costly", "level": "soft", "approver": "teacher"}


# --- verification -------------------------------------------------------------------------------------


def test_fresh_board_verifies_clean(board: Host) -> None:
    state = board_state()
    before = copy.deepcopy(state)
    report = verify(board, state)
    assert report["ok"] is True and report["problems"] == []
    assert report["counts"]["verified"] + report["counts"]["unverified"] == 38
    assert {u["code"] for u in report["unverified"]} <= core.UNVERIFIABLE_CODES
    assert state == before  # a dry-run never touches the state it was given


def test_module_actions_verify_with_their_binding_payloads(board: Host) -> None:
    report = verify(board, board_state(package()), module_id="teacher-tools")
    assert report["ok"] and report["counts"] == {"verified": 3, "unverified": 0, "problems": 0}
    observed = {v["actionId"]: v["observed"] for v in report["verified"]}
    assert observed["use-laser"] == ["/local/tool/activeTool"]
    assert observed["insert-break"] and all(p.startswith(("/doc/", "/sync/")) for p in observed["insert-break"])


def test_a_graph_that_understates_mutates_is_a_violation(board: Host) -> None:
    state = board_state(package())
    graphs = core.build_graphs(board, state)
    module = graphs[1]
    pen = module.action("use-laser")
    assert pen is not None
    shrunk = replace(module, actions=tuple(replace(a, mutates=()) if a.id == "use-laser" else a
                                           for a in module.actions))
    report = verify(board, state, [graphs[0], shrunk])
    assert report["ok"] is False
    [problem] = report["problems"]
    assert problem["code"] == "graph-undeclared-mutation"
    assert problem["path"] == "modules[teacher-tools].actions[use-laser].mutates"
    assert problem["undeclared"] == ["/local/tool/activeTool"]


def test_a_graph_missing_an_action_is_reported(board: Host) -> None:
    state = board_state(package())
    graphs = core.build_graphs(board, state)
    trimmed = replace(graphs[1], actions=graphs[1].actions[1:])
    report = verify(board, state, [graphs[0], trimmed])
    assert [p["code"] for p in report["problems"]] == ["graph-missing-action"]


def _mutate_in_place(view: StateView, payload: dict[str, Any]) -> Any:
    view.state["local"]["hidden"] = 1  # bypasses staging: only a state diff can see it
    return None


def test_observed_writes_come_from_the_state_diff_not_the_handler() -> None:
    host = fake_host()
    sneaky = spec("sneaky", _mutate_in_place, writes=("/local/x",))
    host = replace(host, commands={**host.commands, "sneaky": sneaky})
    state = {**host.initial_state(), "registry": initial_registry()}
    report = verify(host, state)
    problems = {p["actionId"]: p for p in report["problems"]}
    assert set(problems) == {"rogue", "sneaky"}
    assert problems["sneaky"]["undeclared"] == ["/local/hidden"]
    assert problems["rogue"]["code"] == "graph-undeclared-mutation"
    unverified = {u["actionId"]: u["code"] for u in report["unverified"]}
    assert unverified == {"boom": "command-execution-failed", "setX": "invalid-payload", "append": "invalid-payload"}


def test_observed_writes() -> None:
    before = {"a": {"b": 1, "c": [1, 2]}, "d": 1}
    assert core.observed_writes(before, before) == []
    assert core.observed_writes(before, {"a": {"b": 2, "c": [1, 2]}, "d": 1}) == ["/a/b"]
    assert core.observed_writes(before, {"a": {"b": 1, "c": [1, 3]}, "d": 1}) == ["/a/c/1"]
    assert core.observed_writes(before, {"a": {"b": 1, "c": [1]}, "e/f": 1}) == ["/a/c", "/d", "/e~1f"]
    assert core.observed_writes({"x": 1}, {"x": 1.0}) == ["/x"]


# --- renderers and purity --------------------------------------------------------------------------


def test_mermaid_and_dot(board: Host) -> None:
    graphs = core.build_graphs(board, board_state(package()))
    mermaid = core.to_mermaid(graphs)
    assert mermaid.startswith("flowchart LR\n")
    assert '"Laser"' in mermaid and '"/local/tool/activeTool"' in mermaid and "-->|calls|" in mermaid
    dot = core.to_dot(graphs)
    assert dot.startswith("digraph actiongraph {") and dot.rstrip().endswith("}")
    assert '"a:teacher-tools:use-laser" -> "c:setTool" [label="calls"];' in dot
    weird = core.ActionGraph(module_id="m", actions=(core.Action(id='q"x', label='say "hi"', calls=("c",),
                                                                  mutates=("/p",)),))
    assert '#quot;hi#quot;' in core.to_mermaid([weird])
    assert 'label="say \\"hi\\""' in core.to_dot([weird])


def test_graph_core_does_not_import_shells() -> None:
    code = ("import sys, modgate.graph; "
            "print(sorted(m for m in ('sqlite3', 'modgate.store', 'modgate.app', 'mcp', 'click') "
            "if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "[]"


def test_humanize() -> None:
    assert core.humanize("setPenColor") == "Set pen color"
    assert core.humanize("undo") == "Undo"


# --- golden cases (tests/cases/graph/*.json) ---------------------------------------------------------

CASES = Path(__file__).parent / "cases" / "graph"


def _scenario(name: str) -> tuple[Host, JsonObject, list[core.ActionGraph] | None]:
    board = get_host("board")
    if name == "in-place-write":
        host = fake_host()
        host = replace(host, commands={"sneaky": spec("sneaky", _mutate_in_place, writes=("/local/x",))})
        return host, {**host.initial_state(), "registry": initial_registry()}, None
    if name == "external-effects":
        host = replace(board, commands={"setTool": replace(board.commands["setTool"], external_effects=True)})
        return host, board_state(), None
    if name == "reserved-module-id":
        return board, board_state(package("host")), None
    if name == "extension-handler":
        hook = {"kind": "hook", "id": "h", "trigger": "turn.completed", "command": ["sh", "h.sh"],
                "permissions": [], "modsBarOutput": False}
        installs = {"global:acme.x": {"modId": "acme.x", "enabled": True, "actions": [hook]}}
        return board, {**board_state(), "extensions": {"installs": installs, "allowExecutable": True}}, None
    pkg = package()
    if name == "unknown-command":
        pkg["commandBindings"][0]["commandId"] = "noSuchCommand"
    state = board_state(pkg)
    graphs = core.build_graphs(board, state)
    if name == "understated-mutates":
        graphs[1] = replace(graphs[1], actions=tuple(replace(a, mutates=()) for a in graphs[1].actions))
    if name == "missing-action":
        graphs[1] = replace(graphs[1], actions=graphs[1].actions[1:])
    return board, state, graphs


@pytest.mark.parametrize("case", [pytest.param(json.loads(p.read_text()), id=p.stem)
                                  for p in sorted(CASES.glob("*.json"))])
def test_graph_case(case: dict[str, Any]) -> None:
    kind = case["kind"]
    if kind == "read-ok":
        assert core.read_graph(case["graph"]).to_dict()["actions"][0]["surface"] == ["panel", "automation"]
        return
    if kind == "read":
        with pytest.raises(ModgateError) as err:
            core.read_graph(case["graph"])
        found = err.value.problem.to_dict()
    elif kind == "cli":
        from tests.clihelp import run_json

        code, found = run_json(*case["args"])
        assert code == 1 and found["ok"] is False
    else:
        host, state, graphs = _scenario(case["scenario"])
        report = verify(host, state, graphs)
        listed = report["problems"] or report["unverified"]
        assert listed, report
        found = next(p for p in listed if p["code"] == case["code"])
    assert found["code"] == case["code"], found
    assert found["message"]
    if "path" in case:
        assert found["path"] == case["path"]
