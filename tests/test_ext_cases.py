"""Golden cases under tests/cases/ext: each names the code it pins; every EXT code has one."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ext_helpers import write_package
from modgate import codes
from modgate.app import open_runtime
from modgate.ext import moves
from modgate.ext.errors import ExtError
from modgate.ext.installer import Installer
from modgate.ext.manifest import HostRules, validate_package
from modgate.ext.sources import parse_source
from modgate.ext.tree import DirReader
from modgate.host import get_host

CASES = Path(__file__).parent / "cases" / "ext"
ALL = sorted(CASES.glob("*.json"))


def load(path: Path) -> dict[str, Any]:
    case: dict[str, Any] = json.loads(path.read_text())
    return case


def test_every_ext_code_has_a_case() -> None:
    pinned = {load(p)["code"] for p in ALL}
    assert set(codes.EXT) <= pinned
    assert pinned <= set(codes.all_codes())


def test_every_ext_code_is_documented() -> None:
    text = (Path(__file__).parents[1] / "docs" / "errors.md").read_text()
    missing = [c for c in codes.EXT if f"### `{c}`" not in text]
    assert not missing


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("MODGATE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("MODGATE_GITHUB_BASE", (tmp_path / "nowhere").as_uri())
    yield tmp_path / "home"


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.stem)
def test_case(path: Path, tmp_path: Path, home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    case = load(path)
    for key, value in case.get("env", {}).items():
        monkeypatch.setenv(key, value)
    with pytest.raises(ExtError) as info:
        RUNNERS[case["kind"]](case, tmp_path, monkeypatch)
    assert info.value.code == case["code"], info.value.message
    if "message" in case:
        assert case["message"] in info.value.message
    _nothing_left(home, tmp_path)


def _nothing_left(home: Path, tmp: Path) -> None:
    for root in (home / "mods", tmp / "project" / "mods"):
        if not root.exists():
            continue
        rt = open_runtime(home)
        try:
            recorded = {Path(r[0]).name for r in rt.db.query("SELECT path FROM ext_installs")}
        finally:
            rt.close()
        assert {p.name for p in root.iterdir()} == {n for n in recorded if (root / n).exists()}
    assert not [p for p in home.glob(f"{moves.PREFIX}*")] if home.exists() else True


def run_package(case: dict[str, Any], tmp: Path, _: pytest.MonkeyPatch) -> None:
    root = write_package(tmp / "pkg", case["files"])
    validate_package(DirReader(root), package_path=case["packagePath"],
                     rules=HostRules.for_host(get_host(case["host"])))


def run_source(case: dict[str, Any], tmp: Path, _: pytest.MonkeyPatch) -> None:
    parse_source(case["source"])
    from modgate.ext.sources import check_subpath, pick_ref

    source = parse_source(case["source"])
    if source.tree:
        check_subpath(pick_ref(source.tree, None)[1])


def run_flow(case: dict[str, Any], tmp: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pkgs = tmp / "pkgs"
    for name, files in case["packages"].items():
        write_package(pkgs / name, files)
    (tmp / "project").mkdir()
    rt = open_runtime()
    inst = Installer(rt.tx, rt.home)
    try:
        with _held() as held:
            for step in case["steps"]:
                _step(inst, step, pkgs, tmp, monkeypatch, held)
    finally:
        rt.close()


class _held:
    def __enter__(self) -> list[Any]:
        self.items: list[Any] = []
        return self.items

    def __exit__(self, *exc: object) -> None:
        for cm in reversed(self.items):
            cm.__exit__(None, None, None)


def _source(text: str, pkgs: Path) -> str:
    return str(pkgs / text[1:]) if text.startswith("@") else text


def _step(inst: Installer, step: dict[str, Any], pkgs: Path, tmp: Path, mp: pytest.MonkeyPatch,
          held: list[Any]) -> None:
    for key, value in step.get("env", {}).items():
        mp.setenv(key, value)
    op = step["op"]
    if op == "install":
        # The sample packages are CodexChat mods (turn.completed hooks): the codexchat host declares their events.
        inst.install(_source(step["source"], pkgs), scope=step.get("scope", "global"), project=tmp / "project",
                     host=step.get("host", "codexchat"), consent=lambda _: bool(step.get("yes", True)))
    elif op == "update":
        inst.update(step["id"], _source(step["source"], pkgs), consent=lambda _: True)
    elif op in ("enable", "disable"):
        getattr(inst, op)(step["id"])
    elif op == "allow-executable":
        inst.allow_executable(True)
    elif op == "tamper":
        rec = inst.resolve(step["id"])
        with open(Path(rec.path) / step["file"], "a") as fh:
            fh.write("# changed\n")
    elif op == "hold-lock":
        cm = moves.exclusive(inst.home, 5)
        cm.__enter__()
        held.append(cm)
    elif op == "init":
        from modgate.ext.scaffold import write_package as init

        init(Path(_source(step["dir"], pkgs)), None, with_hook=False)
    else:  # pragma: no cover - a typo in a case file
        raise AssertionError(op)


RUNNERS = {"package": run_package, "source": run_source, "flow": run_flow}
