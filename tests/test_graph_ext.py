"""Extension mods in the action graph: derived from the extensions domain after a real install."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.sharedpaths import REASON, SHARED

from ext_helpers import FIRST_PARTY, sample_files, write_package
from modgate import graph as core
from modgate.app import Runtime, open_runtime
from modgate.ext.installer import Installer
from modgate.graph_ext import extension_graphs

PROMPT_BOOK = next((p for p in FIRST_PARTY if p.name == "prompt-book"), Path("prompt-book"))


@pytest.fixture
def rt(modgate_home: Path) -> Iterator[Runtime]:
    runtime = open_runtime(modgate_home)
    yield runtime
    runtime.close()


def _install(rt: Runtime, source: Path, host: str = "codexchat") -> str:
    inst = Installer(rt.tx, rt.home)
    inst.allow_executable(True)
    return str(inst.install(str(source), host=host, consent=lambda _: True)["mod"]["id"])


@pytest.mark.conformance
@pytest.mark.skipif(SHARED is None, reason=REASON)
def test_conformance_mod_graph(rt: Runtime) -> None:
    install_id = _install(rt, PROMPT_BOOK, host="codexchat")
    graph = core.find_graph(rt.graphs(), install_id)
    actions = {a.id: a.to_dict() for a in graph.actions}
    assert sorted(actions) == ["hooks.prompt-book-action", "hooks.prompt-book-thread-start",
                               "hooks.prompt-book-turn-refresh"]
    action = actions["hooks.prompt-book-action"]
    assert action["surface"] == ["panel"] and action["trigger"] == "modsBar.action"
    assert action["calls"] == [] and action["mutates"] == ["modsBar"] and action["undoCommand"] is None
    assert action["requiresApproval"] is False  # its hooks ask for no permission
    assert actions["hooks.prompt-book-thread-start"]["surface"] == ["background"]
    read = core.read_graph(graph.to_dict())  # the extra fields (trigger, handler) are ignored by readers
    assert [a.id for a in read.actions] == [a.id for a in graph.actions] and read.actions[0].extra is None


def test_permissions_become_mutates_and_approval(rt: Runtime, tmp_path: Path) -> None:
    files = sample_files(permissions=("projectRead", "projectWrite", "network"))
    files["ui.mod.json"]["automations"] = [{"id": "nightly", "schedule": "0 3 * * *",
                                            "handler": {"command": ["sh", "scripts/h.sh"]},
                                            "permissions": {"projectRead": True}}]
    install_id = _install(rt, write_package(tmp_path / "pkg", files))
    (graph,) = extension_graphs(rt.store.state())
    assert graph.module_id == install_id == "global:acme.sample"
    hook, nightly = (a.to_dict() for a in graph.actions)
    assert hook["mutates"] == ["network", "project.files"] and hook["surface"] == ["background"]
    assert hook["requiresApproval"]["level"] == "hard" and hook["requiresApproval"]["approver"] == "user"
    assert nightly["id"] == "automations.nightly" and nightly["surface"] == ["automation"]
    assert nightly["mutates"] == [] and nightly["requiresApproval"]["level"] == "soft"
    assert "project.files" in core.to_mermaid([graph]) and "project.files" in core.to_dot([graph])


@pytest.mark.conformance
@pytest.mark.skipif(SHARED is None, reason=REASON)
def test_disabled_mods_have_no_graph_and_verify_lists_handlers_as_unverified(rt: Runtime) -> None:
    install_id = _install(rt, PROMPT_BOOK, host="codexchat")
    report = rt.verify_graphs()
    assert report["ok"] and report["counts"]["problems"] == 0
    unverified = [u for u in report["unverified"] if u["moduleId"] == install_id]
    assert len(unverified) == 3 and {u["code"] for u in unverified} == {"graph-extension-handler"}
    host_only = rt.verify_graphs("host")["unverified"]
    assert all(u["moduleId"] == "host" for u in host_only)
    Installer(rt.tx, rt.home).disable(install_id)
    assert install_id not in {g.module_id for g in rt.graphs()}


@pytest.mark.conformance
@pytest.mark.skipif(SHARED is None, reason=REASON)
def test_completeness_for_every_conformance_mod(rt: Runtime) -> None:
    """Every action of every installed first-party mod states the five control fields."""
    inst = Installer(rt.tx, rt.home)
    inst.allow_executable(True)
    for package in FIRST_PARTY:
        inst.install(str(package), host="codexchat", consent=lambda _: True)
    graphs = extension_graphs(rt.store.state())
    assert len(graphs) == len(FIRST_PARTY)
    actions = [a.to_dict() for g in graphs for a in g.actions]
    assert len(actions) >= 2 * len(FIRST_PARTY)
    for a in actions:
        assert tuple(a)[:7] == ("id", "label", "calls", "mutates", "requiresApproval", "undoCommand", "surface")
        assert set(a["mutates"]) <= {"project.files", "network", "runtime", "modsBar"}
        assert a["surface"] and set(a["surface"]) <= set(core.SURFACES)
        assert a["handler"] and a["trigger"]
