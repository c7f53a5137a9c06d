"""The docs keep up with the code: the exception tree, every CLI command, every environment variable."""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import click

import modgate
from modgate.errors import ModgateError

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
DOCS = README + "".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "docs").glob("*.md")))


def _all_subclasses(cls: type) -> set[str]:
    out: set[str] = set()
    for sub in cls.__subclasses__():
        out.add(sub.__name__)
        out |= _all_subclasses(sub)
    return out


def test_exception_tree_in_errors_docstring_matches_the_code() -> None:
    for info in pkgutil.walk_packages(modgate.__path__, "modgate."):
        if info.name != "modgate.__main__":
            importlib.import_module(info.name)
    doc = importlib.import_module("modgate.errors").__doc__ or ""
    drawn = set(re.findall(r"[├└]── (\w+)", doc))
    assert drawn == _all_subclasses(ModgateError)


def _command_paths() -> list[str]:
    from modgate.cli import COMMANDS, cli

    ctx = click.Context(cli)
    out: list[str] = []
    for name in COMMANDS:
        command = cli.get_command(ctx, name)
        assert command is not None
        out.append(name)
        if isinstance(command, click.Group):
            out.extend(f"{name} {sub}" for sub in command.commands)
    return out


def test_every_cli_command_is_in_the_readme() -> None:
    # Written in full (`modgate tx list`) or, in a row about its group, as `tx approve TX`.
    missing = [path for path in _command_paths() if f"modgate {path}" not in README and f"`{path}" not in README]
    assert not missing, f"commands the README does not document: {missing}"


def test_every_environment_variable_is_in_the_readme() -> None:
    used = set()
    for path in (ROOT / "src" / "modgate").rglob("*.py"):
        used |= set(re.findall(r"\b(MODGATE_[A-Z_]+)\b", path.read_text(encoding="utf-8")))
    missing = sorted(v for v in used if f"`{v}`" not in README)
    assert not missing, f"environment variables the README does not document: {missing}"
