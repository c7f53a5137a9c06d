"""Every code is documented in docs/errors.md and pinned by a golden case under tests/cases/."""

from __future__ import annotations

import json
import re
from pathlib import Path

from modgate import codes

ROOT = Path(__file__).resolve().parent.parent


def _documented() -> set[str]:
    text = (ROOT / "docs" / "errors.md").read_text(encoding="utf-8")
    return set(re.findall(r"^### `([^`]+)`", text, flags=re.M))


def _pinned() -> set[str]:
    found: set[str] = set()
    for path in (ROOT / "tests" / "cases").rglob("*.json"):
        data = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(data, dict) and isinstance(data.get("code"), str):
            found.add(data["code"])
    return found


def test_every_code_is_documented() -> None:
    missing = sorted(set(codes.all_codes()) - _documented())
    assert not missing, f"undocumented codes: {missing}"


def test_every_code_has_a_golden_case() -> None:
    missing = sorted(set(codes.all_codes()) - _pinned())
    assert not missing, f"codes without a golden case: {missing}"


def test_no_retired_code_is_live() -> None:
    assert not set(codes.RETIRED) & set(codes.all_codes())


def test_headings_are_unique() -> None:
    text = (ROOT / "docs" / "errors.md").read_text(encoding="utf-8")
    headings = re.findall(r"^### `([^`]+)`", text, flags=re.M)
    assert len(headings) == len(set(headings))
