"""Every test runs with its own temporary MODGATE_HOME."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def modgate_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    home = tmp_path / "modgate-home"
    monkeypatch.setenv("MODGATE_HOME", str(home))
    monkeypatch.delenv("MODGATE_DEBUG", raising=False)
    yield home
