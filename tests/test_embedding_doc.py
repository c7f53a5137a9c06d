"""docs/embedding.md works as written: its ```python blocks run in order, in one namespace."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

import modgate

DOC = Path(__file__).resolve().parent.parent / "docs" / "embedding.md"
# Only blocks fenced exactly ```python run; ```python no-run blocks (they block or need a client) do not.
BLOCK = re.compile(r"^```python\n(.*?)^```$", re.S | re.M)


def blocks() -> list[str]:
    return BLOCK.findall(DOC.read_text(encoding="utf-8"))


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.chdir(tmp_path)
    yield tmp_path
    modgate.unregister_host("todo")


def test_the_guide_has_runnable_blocks() -> None:
    assert len(blocks()) >= 6
    assert "```python no-run" in DOC.read_text(encoding="utf-8")


def test_the_guide_runs(in_tmp: Path, modgate_home: Path) -> None:
    namespace: dict[str, object] = {"__name__": "embedding_guide"}
    for number, code in enumerate(blocks(), 1):
        exec(compile(code, f"{DOC.name}[block {number}]", "exec"), namespace)
    assert (modgate_home / "modgate.sqlite3").is_file()  # it used the temporary home


def test_readme_first_screen_links_the_guide() -> None:
    readme = (DOC.parent.parent / "README.md").read_text(encoding="utf-8")
    first_screen = "\n".join(readme.splitlines()[:20])
    assert "docs/embedding.md" in first_screen
