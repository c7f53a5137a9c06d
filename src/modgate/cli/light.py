"""``modgate light`` and ``modgate prefs``: plain-language changes for light users (light-track.md §5)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, NoReturn

import click

from modgate.cli.core import json_option, runtime
from modgate.cli.output import emit, exit_code

DEVICES = ("web", "tablet", "mobile")


@click.group()
def light() -> None:
    """Ask for a change in plain words; see exactly what will change; a person approves it.

    Exit status: 3 waiting for approval, 1 the request needs a correction or is refused, 0 nothing
    to change (or a listing).
    """


def _say(result: dict[str, Any], as_json: bool) -> NoReturn:
    """Print for a person (never ids of commands, paths or JSON in the main text) or as one JSON object."""
    if as_json:
        emit(result, True)
    click.echo(result.get("summary") or result.get("message") or "")
    preview = result.get("preview")
    if preview:
        for change in preview["changes"]:
            click.echo(f"  - {change['reason']}")
        click.echo(f"Approve with: modgate approvals approve {result['txId']}  (request {result['intentId']})")
    correction = result.get("correction")
    if correction:
        for option in correction["options"]:
            click.echo(f"  {option['id']}. {option['label']}")
        click.echo(f"Answer with: modgate light answer {result['intentId']} --option N  (or --text ...)")
    if result.get("escalation"):
        click.echo("This request is blocked after three tries; it has been handed to a supervisor. Nothing changed.")
    sys.stdout.flush()
    raise SystemExit(exit_code(result))


@light.command("propose")
@click.argument("text")
@click.option("--device", "devices", multiple=True, type=click.Choice(DEVICES),
              help="A device the request is about (repeatable); layout changes apply only there.")
@click.option("--locale", default="en-US", show_default=True, help="BCP-47 language tag, recorded in the intent.")
@click.option("--parser", type=click.Choice(["offline", "llm"]), default="offline", show_default=True,
              help="offline: built in, deterministic; llm: MODGATE_LLM_URL/MODEL/API_KEY (extra 'llm').")
@json_option
def propose(text: str, devices: tuple[str, ...], locale: str, parser: str, as_json: bool) -> None:
    """Turn TEXT into a previewed change waiting for approval (exit 3), a correction (1) or no change (0)."""
    from modgate.light.service import LightService

    with runtime() as rt:
        result = LightService(rt).propose(text, devices=devices, locale=locale, parser=parser)
    _say(result, as_json)


@light.command("answer")
@click.argument("intent_id")
@click.option("--option", "option", type=int, default=None, help="The number of an offered option.")
@click.option("--text", "text", default=None, help="Say it in your own words instead.")
@json_option
def answer(intent_id: str, option: int | None, text: str | None, as_json: bool) -> None:
    """Answer the correction of INTENT_ID (at most 3 answers; then it is blocked and escalated)."""
    from modgate.light.service import LightService

    if (option is None) == (text is None):
        raise click.UsageError("give exactly one of --option N or --text TEXT")
    with runtime() as rt:
        result = LightService(rt).answer(intent_id, option=option, text=text)
    _say(result, as_json)


@light.command("show")
@click.argument("intent_id")
@json_option
def show(intent_id: str, as_json: bool) -> None:
    """Show INTENT_ID: its state, the gates passed, retries, its transaction."""
    from modgate.light.service import LightService

    with runtime(read_only=True) as rt:  # reads only: never creates or changes the home
        result = LightService(rt).show(intent_id)

    def human(r: dict[str, Any]) -> None:
        click.echo(f"{r['intentId']}: {r['state']} ({r['status']}), retries {r['retries']}")
        click.echo(f"gates passed: {', '.join(r['gatesPassed']) or 'none'}")
        if r.get("txId"):
            click.echo(f"transaction {r['txId']}: {r['txState']}")
        click.echo(r["summary"])

    emit(result, as_json, human)


@light.command("artifacts")
@click.argument("intent_id")
@click.option("--dir", "directory", required=True, type=click.Path(path_type=Path),
              help="Folder to write the artifact files into (created if missing).")
@json_option
def artifacts(intent_id: str, directory: Path, as_json: bool) -> None:
    """Write the artifacts of INTENT_ID (seed 003's six files, as far as the request got) into --dir."""
    from modgate.light.files import write_artifacts
    from modgate.light.service import LightService

    with runtime(read_only=True) as rt:  # reads only: never creates or changes the home
        found = LightService(rt).artifacts(intent_id)
    written = write_artifacts(found, directory)
    result = {"ok": True, "intentId": intent_id, "dir": str(directory), "files": written}
    emit(result, as_json, lambda r: click.echo("\n".join(r["files"]) or "no artifacts yet"))


@click.command()
@json_option
def prefs(as_json: bool) -> None:
    """Show the light user's preferences: defaults, playback and the layout of each device."""
    from modgate.light.service import LightService

    with runtime(read_only=True) as rt:  # reads only: never creates or changes the home
        result = LightService(rt).prefs()

    def human(r: dict[str, Any]) -> None:
        for group, values in r["prefs"].items():
            click.echo(f"{group}:")
            for key, value in values.items():
                click.echo(f"  {key}: {value}")

    emit(result, as_json, human)


__all__ = ["exit_code", "light", "prefs"]
