"""lint: every problem, sorted by path then code, each with a hint; same rules as import."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from modgate import codes
from modgate.host.board import board_host
from modgate.modules.lint import HINTS, lint_package
from modgate.modules.package import validate_package
from modgate.modules.starter import new_module_package

HOST = board_host()
CASES = Path(__file__).parent / "cases" / "import"


def test_valid_package_has_no_problems() -> None:
    assert lint_package(new_module_package("geo-tools"), HOST) == []


def test_reports_everything_sorted_with_hints() -> None:
    pkg: dict[str, Any] = new_module_package("geo-tools")
    pkg["moduleVersion"] = "1"
    pkg["displayName"] = ""
    pkg["extensions"] = {"note": 1, "x-ok": {"html": 1}}
    pkg["commandBindings"][0]["expectedMutationScope"] = "doc"
    pkg["pluginManifest"]["ui"][1]["slot"] = "dock"
    problems = lint_package(pkg, HOST)
    keys = [(p.path, p.code) for p in problems]
    assert keys == sorted(keys)
    assert {p.code for p in problems} == {
        "invalid-module-version",
        "invalid-display-name",
        "invalid-extension-key",
        "invalid-extension-value",
        "binding-mutation-scope-mismatch",
        "manifest-validation-error",
    }
    assert all(p.hint for p in problems)
    slot = next(p for p in problems if p.code == "manifest-validation-error")
    assert slot.hint == HINTS["invalid-ui-slot"]


def test_every_code_has_a_specific_hint() -> None:
    assert set(codes.IMPORT) | set(codes.MANIFEST) <= set(HINTS)


@pytest.mark.parametrize("path", sorted(CASES.glob("*.json")), ids=lambda p: p.stem)
def test_first_lint_problem_in_stage_order_is_the_import_answer(path: Path) -> None:
    case = json.loads(path.read_text())
    if "input" not in case or case["code"] in ("module-version-downgrade", "package-migration-failed"):
        return
    problems = lint_package(case["input"], HOST)
    envelope = validate_package(case["input"], HOST).envelope
    assert (envelope["code"], envelope["path"]) in [(p.code, p.path) for p in problems]


@pytest.mark.parametrize("junk", [None, 3, "x", [], {}, {"commandBindings": [1, {}]}, {"pluginManifest": {"ui": [1]}}])
def test_junk_never_raises(junk: Any) -> None:
    assert lint_package(junk, HOST)
