"""Golden cases under tests/cases/runtime: every extension-runtime code, produced through the CLI."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tests.clihelp import run_process
from tests.hook_helpers import hook, install, runtime, write_mod

from modgate import codes
from modgate.ext import runstate

CASES = sorted((Path(__file__).parent / "cases" / "runtime").glob("*.json"))
BAR = {"title": "T", "markdown": "m", "scope": "thread", "actions": [
    {"id": "ask", "label": "Ask", "kind": "promptThenEmitEvent", "payload": {}},
    {"id": "native", "label": "N", "kind": "native.action", "payload": {}}]}


def test_every_runtime_code_has_a_case() -> None:
    assert {json.loads(p.read_text())["code"] for p in CASES} == set(codes.RUNTIME)


def _setup(kind: str, tmp_path: Path) -> None:
    if kind == "none":
        return
    slot = {"enabled": True} if kind == "modsbar" else None
    with runtime() as rt:
        iid = install(rt, write_mod(tmp_path / "src", "acme.case", [hook("h", ["sh", "scripts/ok.sh"])],
                                    mods_bar=slot))
        path = Path(rt.db.query("SELECT path FROM ext_installs WHERE id = ?", (iid,))[0][0])
        if kind == "state-file":
            (path / ".codexchat").mkdir()
            (path / ".codexchat" / "state").write_text("not a folder")
        if kind == "modsbar":
            runstate.put_mods_bar(rt.db, iid, "thread:t", BAR, 0.0)


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_case(path: Path, tmp_path: Path) -> None:
    case: dict[str, Any] = json.loads(path.read_text())
    _setup(case["setup"], tmp_path)
    proc = run_process(*case["argv"], "--json", env=case.get("env"))
    assert proc.returncode == case["exit"], proc.stderr
    out = json.loads(proc.stdout)
    found = {out.get("code")} | {r["status"] for r in out.get("runs", [])}
    errors = " ".join(r["error"] or "" for r in out.get("runs", []))
    assert case["code"] in found or case["code"] in errors, out
