"""Finding 15: file:// sources, a project's mods symlink, MCP resources by role, uncoded errors."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from tests.adversarial.helpers import run_cli
from tests.ext_helpers import sample_files, write_package

from modgate.app import open_runtime
from modgate.mcp_server import APPROVAL_URI_PREFIX, Gateway


def _cli(home: Path, cwd: Path, *args: str) -> dict:  # type: ignore[type-arg]
    old = os.getcwd()
    os.chdir(cwd)
    try:
        done = run_cli(home, *args)
    finally:
        os.chdir(old)
    assert done.returncode in (0, 1), (done.returncode, done.stderr)
    out: dict = json.loads(done.stdout)  # type: ignore[type-arg]
    return out


@pytest.mark.parametrize("source", ["file://", "file://host/pkg", "file://./pkg"])
def test_file_urls_never_mean_the_current_folder(modgate_home: Path, tmp_path: Path, source: str) -> None:
    write_package(tmp_path / "pkg", sample_files())
    write_package(tmp_path, sample_files())  # a package right in the current folder
    out = _cli(modgate_home, tmp_path, "mod", "install", source, "--yes", "--json")
    assert out["ok"] is False and out["code"] == "install.invalid-source", out


def test_file_url_with_an_absolute_path_still_works(modgate_home: Path, tmp_path: Path) -> None:
    write_package(tmp_path / "pkg", sample_files())
    out = _cli(modgate_home, tmp_path, "mod", "install", f"file://{tmp_path / 'pkg'}", "--host", "codexchat",
               "--yes", "--json")
    assert out["ok"], out


def test_a_project_mods_symlink_is_not_followed(modgate_home: Path, tmp_path: Path) -> None:
    write_package(tmp_path / "pkg", sample_files())
    project, elsewhere = tmp_path / "project", tmp_path / "elsewhere"
    project.mkdir()
    elsewhere.mkdir()
    (project / "mods").symlink_to(elsewhere)
    out = _cli(modgate_home, tmp_path, "mod", "install", str(tmp_path / "pkg"), "--scope", "project", "--project",
               str(project), "--host", "codexchat", "--yes", "--json")
    assert out["ok"] is False and out["code"] == "install.project-mods-link", out
    assert list(elsewhere.iterdir()) == []


def test_an_agent_reads_only_its_own_approval_items(modgate_home: Path) -> None:
    rt = open_runtime(modgate_home)
    try:
        student = rt.bus.dispatch("addPage", role="student")["approvalId"]
        host_tx = rt.tx.preview(track="heavy", kind="ops", recipe={"ops": [
            {"op": "replace", "path": "/local/tool/penColor", "value": "#000000"}]}, title="host change")["txId"]
        agent = rt.bus.dispatch("addPage", role="agent")["approvalId"]
        gateway = Gateway(rt)
        assert gateway.read(APPROVAL_URI_PREFIX + agent) is not None
        assert gateway.read(APPROVAL_URI_PREFIX + student) is None
        assert gateway.read(APPROVAL_URI_PREFIX + host_tx) is None
    finally:
        rt.close()


def test_mod_init_on_a_dangling_symlink_is_coded(modgate_home: Path, tmp_path: Path) -> None:
    (tmp_path / "dangling").symlink_to(tmp_path / "nowhere")
    out = _cli(modgate_home, tmp_path, "mod", "init", "dangling", "--json")
    assert out["ok"] is False and out["code"] != "internal-error", out
    assert not (tmp_path / "nowhere").exists()


def test_a_very_long_source_path_is_coded(modgate_home: Path, tmp_path: Path) -> None:
    out = _cli(modgate_home, tmp_path, "mod", "install", "a" * 300, "--yes", "--json")
    assert out["ok"] is False and out["code"] == "install.source-not-found", out


def test_a_tree_url_of_3000_segments_is_coded(modgate_home: Path, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MODGATE_GITHUB_BASE", f"file://{tmp_path}/nowhere")
    url = "https://github.com/o/r/tree/main/" + "/".join(["s"] * 3000)
    out = _cli(modgate_home, tmp_path, "mod", "install", url, "--yes", "--json")
    assert out["ok"] is False and out["code"] != "internal-error", out
