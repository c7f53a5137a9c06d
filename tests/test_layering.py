"""The pure core never imports the shells (DESIGN.md §5): no sqlite3, store, CLI or runtime."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"
CORE = ["modgate.strictjson", "modgate.payloadlimits", "modgate.state", "modgate.state_changes",
        "modgate.bus", "modgate.bus_model", "modgate.bus_plan", "modgate.bus_fields", "modgate.bus_memory",
        "modgate.errors", "modgate.codes", "modgate.auditevent",
        "modgate.host.model", "modgate.host.board", "modgate.modules.registry", "modgate.modules.manifest",
        "modgate.modules.package", "modgate.modules.lint", "modgate.modules.fastpath", "modgate.modules.semver",
        "modgate.modules.schemas", "modgate.modules.normalize", "modgate.modules.payloads",
        "modgate.modules.migrations", "modgate.graph",
        "modgate.tx.previews", "modgate.tx.machine", "modgate.tx.model", "modgate.tx.planners", "modgate.caps",
        "modgate.roles", "modgate.graph_ext", "modgate.ext.planner",
        "modgate.adapt", "modgate.adapt.geometry", "modgate.adapt.inputs", "modgate.adapt.profiles",
        "modgate.adapt.resolver", "modgate.adapt.adaptation", "modgate.adapt.errors", "modgate.ext.cron",
        "modgate.ext.handlerout", "modgate.limits", "modgate.host.board_light",
        *(f"modgate.light.{m}" for m in ("vocab", "numbers", "lexicon", "text", "grammar", "parser", "summary",
                                          "words", "intent", "failures", "resolve", "shortcuts", "artifacts",
                                          "pipeline", "correction", "changes", "layout_check",
                                          "clauses", "grammar_layout")),
        "modgate.evidence", "modgate.signoff.model", "modgate.signoff.kpi", "modgate.signoff.remeasure",
        "modgate.signoff.html", "modgate.studio.modes", "modgate.studio.svg", "modgate.studio.strings"]
FORBIDDEN = ("sqlite3", "modgate.store", "modgate.cli", "modgate.app", "modgate.mcp_server", "subprocess")


def _file(module: str) -> Path | None:
    base = SRC / module.replace(".", "/")
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.exists():
            return candidate
    return None


def _imports(module: str) -> set[str]:
    path = _file(module)
    if path is None:
        return set()
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _closure(module: str) -> set[str]:
    seen, todo = set(), [module]
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        todo.extend(m for m in _imports(current) if m.startswith("modgate") and _file(m) is not None)
    return {imp for m in seen for imp in _imports(m)}


@pytest.mark.parametrize("module", [m for m in CORE if _file(m) is not None])
def test_core_module_imports_no_shell(module: str) -> None:
    bad = sorted(i for i in _closure(module) if i.startswith(FORBIDDEN))
    assert not bad, f"{module} reaches shell modules: {bad}"


def test_storage_never_imports_what_is_built_on_it() -> None:
    """The store is persistence only: it never reaches the engine, the queue or the root."""
    above = ("modgate.tx", "modgate.app", "modgate.cli", "modgate.mcp_server", "modgate.ext", "modgate.modules")
    for module in ("modgate.store.bus_store", "modgate.store.db", "modgate.store.schema", "modgate.store.audit"):
        bad = sorted(i for i in _closure(module) if i.startswith(above))
        assert not bad, f"{module} reaches {bad}"


def test_only_the_root_builds_the_engine_queue_and_bus() -> None:
    builders = {"TxEngine(": set(), "TxApprovalQueue(": set(), "SqliteBusStore(": set()}
    for path in (SRC / "modgate").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for call, found in builders.items():
            if call in text.replace(f"class {call[:-1]}", ""):
                found.add(path.relative_to(SRC).as_posix())
    assert all(found == {"modgate/app.py"} for found in builders.values()), builders
