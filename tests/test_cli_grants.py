"""``modgate grants``: list, grant, revoke from the command line."""

from __future__ import annotations

import json
from typing import Any

import pytest
from click.testing import CliRunner

from modgate.app import open_runtime
from modgate.bus import Commit
from modgate.cli import cli
from modgate.modules.registry import register_ops
from modgate.store import audit


def _run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def _json(*args: str) -> tuple[int, dict[str, Any]]:
    code, out, _ = _run(*args, "--json")
    return code, json.loads(out)


def _register(module_id: str = "geo-tools", version: str = "1.0.0",
              requested: tuple[str, ...] = ("state.read", "ui.slot.render")) -> None:
    package = {"moduleId": module_id, "moduleVersion": version, "displayName": "Geo Tools",
               "pluginManifest": {"manifestVersion": 1, "pluginId": module_id, "ui": []},
               "commandBindings": [], "capabilitiesRequested": list(requested)}
    rt = open_runtime()
    try:
        ops = register_ops(rt.store.state(), package)
        with rt.store.write() as session:
            session.commit(Commit(ops=ops, journal=None, events=[]))
    finally:
        rt.close()


@pytest.fixture(autouse=True)
def session(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODGATE_SESSION", "lesson-1")


@pytest.mark.parametrize("args", [("grants",), ("grants", "list"), ("grants", "grant"), ("grants", "revoke")])
def test_help(args: tuple[str, ...]) -> None:
    code, out, _ = _run(*args, "--help")
    assert code == 0 and "Usage:" in out


def test_grants_listed_in_top_level_help() -> None:
    assert "grants" in _run("--help")[1]


def test_grant_session_by_default_for_the_registered_version() -> None:
    _register()
    code, body = _json("grants", "grant", "geo-tools", "state.read")
    assert code == 0 and body["ok"] is True
    grant = body["grant"]
    assert (grant["moduleVersion"], grant["grantScope"], grant["sessionId"], grant["approverRole"]) == (
        "1.0.0", "session", "lesson-1", "host")
    code, body = _json("grants", "list")
    assert code == 0 and body["session"] == "lesson-1"
    assert [(g["capabilityId"], g["status"]) for g in body["grants"]] == [("state.read", "active")]


def test_grant_persistent_with_explicit_version() -> None:
    _register()
    code, body = _json("grants", "grant", "geo-tools", "ui.slot.render", "--persistent", "--version", "2.0.0")
    assert code == 0
    assert (body["grant"]["grantScope"], body["grant"]["sessionId"], body["grant"]["moduleVersion"]) == (
        "persistent", None, "2.0.0")


@pytest.mark.parametrize(("module_id", "capability", "code_name", "path"), [
    ("nope-module", "state.read", "capability-module-unknown", "MODULE"),
    ("geo-tools", "state.*", "capability-unknown-id", "capabilityId"),
    ("geo-tools", "export.user.file", "capability-not-requested", "capabilityId"),
])
def test_grant_refusals(module_id: str, capability: str, code_name: str, path: str) -> None:
    _register()
    code, body = _json("grants", "grant", module_id, capability)
    assert code == 1 and body["ok"] is False and body["code"] == code_name and body["path"] == path
    assert body["message"]
    assert _json("grants", "list")[1]["grants"] == []


def test_revoke_and_list_by_module() -> None:
    _register()
    _register("other-mod")
    _json("grants", "grant", "geo-tools", "state.read", "--persistent")
    _json("grants", "grant", "other-mod", "state.read", "--persistent")
    code, body = _json("grants", "revoke", "geo-tools", "state.read")
    assert code == 0 and [g["moduleId"] for g in body["revoked"]] == ["geo-tools"]
    code, body = _json("grants", "list", "--module", "geo-tools")
    assert [g["status"] for g in body["grants"]] == ["revoked"]
    code, body = _json("grants", "revoke", "geo-tools", "state.read")
    assert code == 1 and body["code"] == "capability-grant-not-found"


def test_every_change_is_audited_and_the_chain_verifies() -> None:
    _register()
    _json("grants", "grant", "geo-tools", "state.read")
    _json("grants", "revoke", "geo-tools", "state.read")
    rt = open_runtime()
    try:
        types = [e["eventType"] for e in audit.recent(rt.db, 50) if e["eventType"].startswith("capability.")]
        assert types == ["capability.escalation.approved", "capability.grant.revoked"]
        assert audit.verify(rt.db)["ok"]
    finally:
        rt.close()


def test_human_output(monkeypatch: pytest.MonkeyPatch) -> None:
    _register()
    monkeypatch.delenv("MODGATE_SESSION")
    code, out, _ = _run("grants", "grant", "geo-tools", "state.read")
    assert code == 0 and "granted state.read to geo-tools 1.0.0 (session)" in out and "MODGATE_SESSION" in out
    code, out, _ = _run("grants", "list")
    assert code == 0 and "state.read" in out
    code, _, err = _run("grants", "grant", "nope-module", "state.read")
    assert code == 1 and "capability-module-unknown" in err


def test_usage_error_exits_2() -> None:
    code, _, _ = _run("grants", "grant", "geo-tools")
    assert code == 2
