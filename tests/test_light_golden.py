"""Golden cases for the light track's codes (tests/cases/light): each provokes exactly its code."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tests.clihelp import run

from modgate.light.resolve import Change

CASES = sorted((Path(__file__).parent / "cases" / "light").glob("*.json"))


def _scenario(name: str, case: dict[str, Any], home: Path) -> dict[str, Any]:
    from modgate.app import open_runtime
    from modgate.host.board_light import board_light
    from modgate.light.parser import parse
    from modgate.light.pipeline import Context, run_gates
    from modgate.light.service import LightService

    if name == "no-light-host":
        rt = open_runtime(home, host="codexchat")
        try:
            LightService(rt)
        except Exception as exc:  # the coded refusal
            return {"code": getattr(exc, "code", "none")}
        finally:
            rt.close()
        return {"code": "none"}
    rt = open_runtime(home)
    try:
        if name == "intent":
            return LightService(rt).propose_intent(case["intent"])
        intent = parse("undo that", board_light(), intent_id="i", created_at="2026-01-01T00:00:00Z")
        odd = [Change(pointer="/prefs/defaults/penColor", value={"not", "json"}, reason="x")]
        found = run_gates(intent, Context(host=rt.host, vocab=board_light(), state=rt.store.state(), undo=odd))
        assert found.failure is not None
        return {"code": found.failure.code, "recoverable": found.failure.recoverable}
    finally:
        rt.close()


def _args(case: dict[str, Any], tmp_path: Path) -> list[str]:
    intent = ""
    if "setup" in case:
        _, out, _ = run(*case["setup"], "--json")
        intent = json.loads(out)["intentId"]
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    return [a.replace("{intent}", intent).replace("{file}", str(blocker)) for a in case["args"]]


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_light_golden(path: Path, tmp_path: Path, modgate_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    case = json.loads(path.read_text(encoding="utf-8"))
    for key, value in case.get("env", {}).items():
        monkeypatch.setenv(key, value)
    if "scenario" in case:
        out = _scenario(case["scenario"], case, modgate_home)
    else:
        code, stdout, _ = run(*_args(case, tmp_path), "--json")
        out = json.loads(stdout)
        assert code == case["exit"], out
    assert out["code"] == case["code"], out
    if "recoverable" in case:
        assert out["recoverable"] is case["recoverable"]
