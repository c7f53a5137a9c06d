"""Write docs/reference.md from the docstrings of modgate's public API.

    python tools/gen_reference.py          # rewrite docs/reference.md
    python tools/gen_reference.py --check  # exit 1 when docs/reference.md is out of date

The public API is ``modgate.__all__`` and ``modgate.tx.__all__``; for a class, its public
methods and properties defined on the class itself. tests/test_public_api.py runs ``--check``.
"""

from __future__ import annotations

import importlib
import inspect
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "docs" / "reference.md"
MODULES = ("modgate", "modgate.tx")
HEADER = """# API reference

Generated from the docstrings by `tools/gen_reference.py` (do not edit by hand; a test fails when
it is out of date). A guide with runnable examples: [embedding.md](embedding.md).
"""


def public_members(cls: type) -> list[tuple[str, Any]]:
    """Public methods and properties defined on ``cls`` itself (not inherited), sorted."""
    out = []
    for name, value in sorted(vars(cls).items()):
        if name.startswith("_"):
            continue
        if isinstance(value, (classmethod, staticmethod)):
            out.append((name, value.__func__))
        elif isinstance(value, property) or inspect.isfunction(value):
            out.append((name, value))
    return out


class _Text:
    """An annotation kept as text (modules use postponed annotations): shown without quotes."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


def _unquoted(sig: inspect.Signature) -> inspect.Signature:
    def text(annotation: Any) -> Any:
        return _Text(annotation) if isinstance(annotation, str) else annotation

    params = [p.replace(annotation=text(p.annotation)) for p in sig.parameters.values()]
    return sig.replace(parameters=params, return_annotation=text(sig.return_annotation))


def _signature(obj: Any) -> str:
    if isinstance(obj, property):
        return ""
    try:
        return str(_unquoted(inspect.signature(obj)))
    except (TypeError, ValueError):
        return ""


def _doc(obj: Any) -> str:
    return inspect.cleandoc(obj.__doc__ or "")


def _entry(level: str, qualname: str, obj: Any) -> list[str]:
    kind = "class" if isinstance(obj, type) else "property" if isinstance(obj, property) else "function"
    sig = "" if kind == "class" else _signature(obj)
    lines = [f"{level} `{qualname}`", "", f"*{kind}*" + (f" `{qualname.rsplit('.', 1)[-1]}{sig}`" if sig else ""), ""]
    return [*lines, _doc(obj), ""]


def render() -> str:
    parts = [HEADER]
    for module_name in MODULES:
        module = importlib.import_module(module_name)
        parts += [f"## `{module_name}`", "", inspect.cleandoc(module.__doc__ or ""), ""]
        for name in module.__all__:
            obj = getattr(module, name)
            if not (callable(obj) or isinstance(obj, type)):
                parts += [f"### `{module_name}.{name}`", "", f"`{obj!r}`", ""]
                continue
            parts += _entry("###", f"{module_name}.{name}", obj)
            if isinstance(obj, type):
                for member, value in public_members(obj):
                    parts += _entry("####", f"{name}.{member}", value)
    return "\n".join(parts).rstrip() + "\n"


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        current = TARGET.read_text(encoding="utf-8") if TARGET.exists() else ""
        if current != text:
            print("docs/reference.md is out of date: run python tools/gen_reference.py", file=sys.stderr)
            return 1
        return 0
    TARGET.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
