"""Golden cases for the signoff and drill codes (tests/cases/signoff/*.json).

``kind``: ``cli`` runs ``modgate ARGS --json`` in a fresh home (exit 1); ``drill`` runs the heavy
drill with one invalid-package fixture expecting a different first code than the package has.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from tests.clihelp import run_json

from modgate.signoff import drill as drills

CASES = sorted((Path(__file__).parent / "cases" / "signoff").glob("*.json"))


def _flipped(name: str) -> Any:
    """The shipped fixtures, with the first invalid case expecting a code it does not produce."""
    data = json.loads((Path(drills.__file__).parent / "fixtures" / name).read_text(encoding="utf-8"))
    if name == "heavy-invalid.json":
        data["cases"] = [{**data["cases"][0], "expectedCode": "invalid-module-id"}]
    return data


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_case(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    case = json.loads(path.read_text())
    if case["kind"] == "drill":
        monkeypatch.setattr(drills, "fixture_json", _flipped)
        code, body = run_json("drill", "run", "--suite", "heavy")
        assert body["failed"][0]["outcome"].startswith("rejected:invalid-package-root")
    else:
        code, body = run_json(*case["args"])
    assert code == 1 and body["ok"] is False and body["code"] == case["code"], body
    assert body["path"] == case["path"]
