"""cli.*: start-up cost of ``modgate --help`` / ``--version`` next to a bare click app."""

from __future__ import annotations

from typing import Any

from benchutil import ratio, spawn_ms

BARE_CLICK = "import click\n@click.command()\ndef hello():\n    'Say hello.'\nhello()"
MODGATE = "from modgate.cli import main; main()"


def run(quick: bool) -> dict[str, Any]:
    repeat = 7 if quick else 21
    help_ms = spawn_ms(["-c", MODGATE, "--help"], repeat=repeat)
    bare_ms = spawn_ms(["-c", BARE_CLICK, "--help"], repeat=repeat)
    return {"cli": {
        "help_ms": help_ms,
        "version_ms": spawn_ms(["-c", MODGATE, "--version"], repeat=repeat),
        "bare_click_help_ms": bare_ms,
        "python_pass_ms": spawn_ms(["-c", "pass"], repeat=repeat),
        "ratio_help": ratio(help_ms, bare_ms),
    }}
