"""Pure parts: cron, sources, theme layering (CodexChat fixtures), defaults, tree hash, scaffold."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.sharedpaths import REASON, SHARED

from ext_helpers import FIRST_PARTY, FIXTURES, sample_files, write_package
from modgate.ext import theme
from modgate.ext.cron import cron_error
from modgate.ext.errors import ExtError
from modgate.ext.manifest import HostRules, validate_package
from modgate.ext.scaffold import write_package as init_package
from modgate.ext.sources import parse_ls_remote, parse_source, pick_ref, strip_credentials
from modgate.ext.tree import DirReader, tree_hash
from modgate.host import get_host


@pytest.mark.parametrize("expr", ["0 9 * * *", "*/15 0-23 1,15 jan-mar mon-fri", "0 0 * * 7"])
def test_cron_valid(expr: str) -> None:
    assert cron_error(expr) is None


@pytest.mark.parametrize("expr", ["@daily", "0 9 * *", "60 * * * *", "* 24 * * *", "*/0 * * * *", "5-1 * * * *"])
def test_cron_invalid(expr: str) -> None:
    assert cron_error(expr) is not None


def test_github_forms() -> None:
    base = "file:///srv/gh"
    assert parse_source("git@github.com:acme/m.git", base).clone_url == "file:///srv/gh/acme/m.git"
    assert parse_source("ssh://git@github.com/acme/m", base).clone_url == "file:///srv/gh/acme/m.git"
    src = parse_source("https://github.com/acme/m/tree/feature/x/sub%20dir/mod", base)
    assert src.tree == ("feature", "x", "sub dir", "mod")
    assert pick_ref(src.tree, ["main", "feature/x", "feature"]) == ("feature/x", ("sub dir", "mod"))
    assert pick_ref(src.tree, None) == ("feature", ("x", "sub dir", "mod"))
    assert parse_source("https://github.com/acme/m/pulls", base).tree is None
    assert strip_credentials("https://u:t@github.com/a/b?token=1#x") == "https://github.com/a/b"
    assert parse_ls_remote("abc\trefs/heads/feature/x\ndef\trefs/tags/v1^{}\n") == ["feature/x", "v1"]


def _fixture(name: str) -> dict:  # type: ignore[type-arg]
    data: dict = json.loads((FIXTURES / name).read_text())  # type: ignore[type-arg]
    return data


@pytest.mark.conformance
@pytest.mark.skipif(SHARED is None, reason=REASON)
def test_theme_merge_fixture() -> None:
    assert theme.merge(_fixture("theme-base.json"), _fixture("theme-overlay.json")) == _fixture("theme-merged.json")


@pytest.mark.conformance
@pytest.mark.skipif(SHARED is None, reason=REASON)
def test_theme_dark_resolve_fixture() -> None:
    resolved = theme.resolve_dark(_fixture("theme-dark-resolve-base.json"), None)
    assert resolved == _fixture("theme-dark-resolve-expected.json")


@pytest.mark.conformance
@pytest.mark.skipif(SHARED is None, reason=REASON)
def test_theme_layering_defaults_global_project() -> None:
    out = theme.layered(_fixture("theme-base.json"), [_fixture("theme-overlay.json"), {"palette": {"panelHex": "#1"}}])
    assert out["palette"] == {"accentHex": "#FF5500", "backgroundHex": "#222222", "panelHex": "#1"}


@pytest.mark.conformance
@pytest.mark.skipif(SHARED is None, reason=REASON)
@pytest.mark.parametrize("package", FIRST_PARTY, ids=lambda p: p.name)
def test_first_party_defaults_applied(package: Path) -> None:
    pkg = validate_package(DirReader(package), package_path=str(package),
                           rules=HostRules.for_host(get_host("codexchat")))
    assert pkg.ui.hooks and all(h.permissions == () and h.debounce_ms == 0 for h in pkg.ui.hooks)
    assert pkg.warnings  # handler scripts were not copied into the conformance folder


def test_hook_defaults(tmp_path: Path) -> None:
    files = sample_files()
    files["ui.mod.json"]["hooks"][0].pop("permissions")
    files["ui.mod.json"]["automations"] = [{"id": "a", "schedule": "0 9 * * *", "handler": {"command": ["true"]}}]
    pkg = validate_package(DirReader(write_package(tmp_path / "p", files)), package_path="",
                           rules=HostRules.for_host(get_host("codexchat")))
    assert pkg.ui.hooks[0].timeout_ms == 8000 and pkg.ui.automations[0].timeout_ms == 60000
    assert pkg.ui_sha256.startswith("sha256:")


def test_tree_hash_ignores_runtime_state(tmp_path: Path) -> None:
    root = write_package(tmp_path / "p", sample_files())
    before = tree_hash(root)
    (root / ".codexchat" / "state").mkdir(parents=True)
    (root / ".codexchat" / "state" / "x.json").write_text("{}")
    assert tree_hash(root) == before
    (root / "scripts" / "h.sh").chmod(0o755)
    assert tree_hash(root) != before


def test_scaffold_validates(tmp_path: Path) -> None:
    """The sample hook listens to an event of the host it is written for, so it validates there."""
    for host, event in (("board", "command.executed"), ("codexchat", "turn.completed")):
        rules = HostRules.for_host(get_host(host))
        init_package(tmp_path / host, "acme.m", with_hook=True, host_events=rules.events)
        pkg = validate_package(DirReader(tmp_path / host), package_path="", rules=rules)
        assert pkg.permissions == ("projectRead",) and not pkg.warnings and pkg.manifest.ui_mod_sha256 is None
        assert pkg.ui.hooks[0].event == event
    init_package(tmp_path / "m", "acme.m", with_hook=True)
    with pytest.raises(ExtError):
        init_package(tmp_path / "m", "acme.m", with_hook=False)


def test_clone_failure_keeps_the_cause() -> None:
    from modgate.ext.staging import git_cause

    stderr = ("Cloning into 'x'...\nfatal: repository 'https://example.invalid/a/b/' not found\n"
              "hint: check the URL\n")
    assert git_cause(stderr) == "fatal: repository 'https://example.invalid/a/b/' not found"
    assert git_cause("warning: x\nerror: one\nfatal: two\n") == "error: one / fatal: two"
    assert git_cause("just a line\n") == "just a line"


def test_mod_validate_lists_every_problem(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from modgate.cli import cli

    files = sample_files()
    files["codex.mod.json"]["id"] = "Bad Id"
    files["ui.mod.json"]["manifest"]["id"] = "Bad Id"
    hook = files["ui.mod.json"]["hooks"][0]
    files["ui.mod.json"]["hooks"] = [{**hook, "timeoutMs": -5}, {**hook}]  # a bad timeout, then a duplicate id
    files["ui.mod.json"]["automations"] = [{"id": "z", "schedule": "99 * * * *", "handler": {"command": ["true"]}}]
    root = write_package(tmp_path / "bad", files)
    result = CliRunner().invoke(cli, ["mod", "validate", str(root), "--json"])
    body = json.loads(result.stdout)
    assert result.exit_code == 1 and body["code"] == "package.invalid-id"
    assert [(p["path"], p["code"]) for p in body["problems"]] == [
        ("codex.mod.json:id", "package.invalid-id"),
        ("ui.mod.json:automations[0].schedule", "package.invalid-ui-mod"),
        ("ui.mod.json:hooks[0].timeoutMs", "package.invalid-ui-mod"),
        ("ui.mod.json:hooks[1].id", "package.invalid-ui-mod"),
    ]
