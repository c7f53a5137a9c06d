"""Plugin manifest v1: the B1 rules, their order, the registry and the template."""

from __future__ import annotations

import collections
import copy
import json
from pathlib import Path
from typing import Any

import pytest

from modgate.host.board import board_host
from modgate.modules.manifest import (
    ManifestRegistry,
    create_manifest_template,
    iter_manifest_problems,
    js_trim,
    validate_manifest,
)

CASES = Path(__file__).parent / "cases" / "manifest"
DEMO = Path(__file__).parent / "cases" / "demo-quiz.manifest.json"  # our own copy of the CLI init shape
COMMANDS = board_host().commands


def _inject(value: Any, at: list[Any], kind: str) -> Any:
    """Build the values JSON cannot carry (the case files name them)."""
    target = value
    for step in at[:-1]:
        target = target[step]
    made: Any = {"nan": float("nan"), "set": {1}, "ordered": collections.OrderedDict(a=1)}.get(kind)
    if kind == "cycle":
        made = []
        made.append(made)
    target[at[-1]] = made
    return value


def _cases() -> list[Any]:
    return [pytest.param(json.loads(p.read_text()), id=p.stem) for p in sorted(CASES.glob("*.json"))]


@pytest.mark.parametrize("case", _cases())
def test_golden_case(case: dict[str, Any]) -> None:
    value = case["input"]
    if "inject" in case:
        value = _inject(copy.deepcopy(value), case["inject"]["at"], case["inject"]["value"])
    result = validate_manifest(value, COMMANDS)
    if case["code"] is None:
        assert result.ok, result
        return
    assert result.problem is not None
    assert (result.problem.code, result.problem.path) == (case["code"], case["path"])
    assert result.to_dict()["ok"] is False


def _manifest() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DEMO.read_text())
    return data


def test_demo_quiz_is_valid_and_normalized_is_a_copy() -> None:
    value = _manifest()
    result = validate_manifest(value, COMMANDS)
    assert result.ok and result.value == value
    assert result.value is not value and result.value["ui"][0]["action"] is not value["ui"][0]["action"]


def test_unknown_command_only_after_structure() -> None:
    value = _manifest()
    value["ui"][0]["action"]["commandId"] = "nope"
    value["ui"].append({"id": "b", "slot": "bad", "type": "button"})
    assert validate_manifest(value, COMMANDS).problem.code == "invalid-ui-slot"  # type: ignore[union-attr]
    assert validate_manifest(value, None).problem.code == "invalid-ui-slot"  # type: ignore[union-attr]
    value["ui"].pop()
    assert validate_manifest(value, None).ok  # structure-only guard
    assert validate_manifest(value, COMMANDS).problem.code == "unknown-command-id"  # type: ignore[union-attr]


def test_keys_reported_in_sorted_order() -> None:
    value = _manifest()
    value.update(zeta=1, alpha=2)
    assert validate_manifest(value, COMMANDS).problem.path == "manifest.alpha"  # type: ignore[union-attr]


def test_duplicate_id_checked_right_after_invalid_id_on_later_entry() -> None:
    value = _manifest()
    second = copy.deepcopy(value["ui"][0])
    second["slot"] = "nowhere"  # later in the entry order than the id checks
    value["ui"].append(second)
    problem = validate_manifest(value, COMMANDS).problem
    assert problem is not None and (problem.code, problem.path) == ("duplicate-ui-id", "manifest.ui[1].id")


@pytest.mark.parametrize(("version", "ok"), [(1, True), (1.0, True), (True, False), ("1", False), (2, False)])
def test_manifest_version_is_javascript_one(version: Any, ok: bool) -> None:
    value = _manifest()
    value["manifestVersion"] = version
    assert validate_manifest(value, COMMANDS).ok is ok


def test_js_trim_differs_from_python_strip() -> None:
    assert js_trim("\ufeffa\u3000") == "a"
    assert js_trim("\x1ca") == "\x1ca"  # Python's strip() would remove the file separator


def test_root_rerooting() -> None:
    problem = validate_manifest({}, COMMANDS, root="package.pluginManifest").problem
    assert problem is not None and problem.path == "package.pluginManifest.manifestVersion"


def test_lint_generator_yields_every_problem_first_is_fail_fast() -> None:
    value = {"manifestVersion": 2, "pluginId": "", "ui": [{"id": "", "slot": 1, "type": "x"}, 5]}
    problems = list(iter_manifest_problems(value, COMMANDS))
    assert [p.code for p in problems] == [
        "invalid-manifest-version",
        "invalid-plugin-id",
        "invalid-ui-id",
        "invalid-ui-slot",
        "invalid-ui-type",
        "invalid-ui-entry",
    ]
    assert validate_manifest(value, COMMANDS).problem == problems[0]


@pytest.mark.parametrize("junk", [None, 1, "x", [], {"ui": [[]]}, {"ui": [{"props": [], "action": []}]}, {"a": {1}}])
def test_junk_never_raises(junk: Any) -> None:
    assert validate_manifest(junk, COMMANDS).ok is False


def test_registry_register_replace_list_remove_and_slots() -> None:
    registry = ManifestRegistry(commands=COMMANDS)
    first = registry.register(create_manifest_template("zeta", "toolbar-bottom", "setTool"))
    assert first.ok and not first.replaced
    again = registry.register(create_manifest_template("zeta", "left-panel", "setTool", label="Z"))
    assert again.ok and again.replaced
    assert registry.register(create_manifest_template("alpha", "left-panel", "nope")).ok is False
    registry.register(create_manifest_template("alpha", "left-panel", "setViewMode"))
    assert [m["pluginId"] for m in registry.list_manifests()] == ["alpha", "zeta"]
    slots = registry.slot_contributions()
    assert [c.contribution_id for c in slots["left-panel"]] == [
        "alpha:alpha-primary-action",
        "zeta:zeta-primary-action",
    ]
    assert slots["toolbar-bottom"] == []
    assert registry.remove("zeta") and not registry.remove("zeta")
    assert registry.remove() and registry.list_manifests() == []


def test_template_matches_the_sdk() -> None:
    template = create_manifest_template("demo-quiz", "toolbar-bottom", "setTool")
    assert template == _manifest()
    assert validate_manifest(template, COMMANDS).ok
