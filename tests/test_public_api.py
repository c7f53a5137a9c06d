"""The public API: curated, sorted, complete, documented, and its reference page up to date."""

from __future__ import annotations

import ast
import importlib
import inspect
import subprocess
import sys
from pathlib import Path

import pytest

import modgate
import modgate.tx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
from gen_reference import public_members  # noqa: E402

PUBLIC_MODULES = (modgate, modgate.tx)


def _names() -> list[tuple[str, str]]:
    return [(m.__name__, n) for m in PUBLIC_MODULES for n in m.__all__ if n != "__version__"]


@pytest.mark.parametrize("module", PUBLIC_MODULES, ids=lambda m: m.__name__)
def test_all_is_sorted_and_unique(module: object) -> None:
    names = module.__all__  # type: ignore[attr-defined]
    assert names == sorted(names) and len(set(names)) == len(names)


def test_all_is_complete() -> None:
    # Every lazily exported name is listed, resolves, and is imported for type checkers too.
    assert set(modgate._EXPORTS) | {"__version__"} == set(modgate.__all__)
    tree = ast.parse((ROOT / "src" / "modgate" / "__init__.py").read_text())
    typed = {a.asname or a.name for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
             for a in node.names if node.module and node.module.startswith("modgate.")}
    assert typed == set(modgate._EXPORTS)
    for name, module in modgate._EXPORTS.items():
        assert getattr(importlib.import_module(module), name) is getattr(modgate, name)
    assert (ROOT / "src" / "modgate" / "py.typed").is_file()


def _documented(obj: object, name: str) -> bool:
    doc = inspect.getdoc(obj) or ""
    # A dataclass without a docstring gets its signature as __doc__: that is not documentation.
    return bool(doc.strip()) and not doc.startswith(f"{name}(")


@pytest.mark.parametrize(("module", "name"), _names())
def test_every_public_name_has_a_docstring(module: str, name: str) -> None:
    obj = getattr(importlib.import_module(module), name)
    assert _documented(obj, name), f"{module}.{name} has no docstring"
    if isinstance(obj, type):
        missing = [m for m, v in public_members(obj) if not _documented(v, m)]
        assert not missing, f"{name}: undocumented {missing}"


def test_reference_page_is_up_to_date() -> None:
    proc = subprocess.run([sys.executable, str(ROOT / "tools" / "gen_reference.py"), "--check"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr


def test_import_modgate_stays_lazy() -> None:
    probe = "import sys, modgate; print(sorted(m for m in sys.modules if m.startswith('modgate')))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "['modgate']"
