"""Golden cases for the E_ADAPT_* codes (tests/cases/adapt/*.json).

``kind``: ``cli`` runs ``modgate ARGS --json`` (exit 1); ``resolve`` calls resolve_layout and
``intent`` adapt_intent — an input error raises, a layout that cannot be made safe (or was
degraded) carries the code in ``failureCodes`` of the named ``target``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tests.clihelp import run

from modgate.adapt import AdaptError, LockRequest, adapt_intent, resolve_layout
from modgate.adapt.errors import RECOVERABLE

CASES = sorted((Path(__file__).parent / "cases" / "adapt").glob("*.json"))


def _run(case: dict[str, Any]) -> dict[str, Any]:
    """The coded outcome: a failure envelope, or the adaptation document."""
    locks = LockRequest.from_dict(case.get("locks", {}))
    try:
        if case["kind"] == "intent":
            return adapt_intent(case["intent"], case.get("prefs"), case.get("viewport"), locks=locks).to_dict()
        return resolve_layout(case.get("prefs"), case.get("devices", []), case.get("viewport"), locks=locks).to_dict()
    except AdaptError as exc:
        return {"ok": False, **exc.problem.to_dict()}


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_case(path: Path) -> None:
    case = json.loads(path.read_text())
    if case["kind"] == "cli":
        code, out, _ = run(*case["args"], "--json")
        result = json.loads(out)
        assert code == 1 and result["ok"] is False and result["code"] == case["code"], result
    else:
        result = _run(case)
    if "target" in case:
        assert {"target": case["target"], "code": case["code"], "recoverable": RECOVERABLE[case["code"]]} \
            in result["failureCodes"], result
        assert result["resolutionStatusByTarget"][case["target"]] == case.get("status", "blocked_safe")
        return
    assert result["code"] == case["code"] and result["message"], result
    assert result["path"] == case["path"]
    assert result["detail"]["recoverable"] is RECOVERABLE[case["code"]]
