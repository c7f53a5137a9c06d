"""modgate new module: the starter package imports as is and is bound to board commands."""

from __future__ import annotations

from modgate.host.board import board_host
from modgate.modules.lint import lint_package
from modgate.modules.package import import_bytes
from modgate.modules.starter import new_module_package
from modgate.strictjson import dumps


def test_starter_imports_as_is() -> None:
    host = board_host()
    outcome = import_bytes(dumps(new_module_package("my-mod")), host)
    assert outcome.envelope["code"] == "imported" and outcome.package is not None
    bindings = outcome.package["commandBindings"]
    assert [b["commandId"] for b in bindings] == ["setTool", "setViewMode"]
    slots = [e["slot"] for e in outcome.package["pluginManifest"]["ui"]]
    assert slots == ["chrome-top-toolbar", "left-panel"]
    assert all(host.commands[b["commandId"]].mutation_scope == b["expectedMutationScope"] for b in bindings)


def test_starter_lints_clean_and_is_deterministic() -> None:
    assert new_module_package("abc") == new_module_package("abc")
    assert lint_package(new_module_package("abc"), board_host()) == []
