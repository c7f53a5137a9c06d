"""``modgate modsbar``: the modsBar surface (C8 precedence) and its actions."""

from __future__ import annotations

from pathlib import Path

import click

from modgate.cli.extrun import emit_runs, json_option, project_option, runner, thread_option
from modgate.cli.output import emit


def _project(project: str | None) -> Path | None:
    return Path(project).resolve() if project else None


@click.group(invoke_without_command=True)
@project_option
@thread_option
@click.option("--select", "select", default=None, metavar="ID", help="Make mod ID the selected modsBar mod.")
@json_option
@click.pass_context
def modsbar(ctx: click.Context, project: str | None, thread: str | None, select: str | None, as_json: bool) -> None:
    """Show the modsBar: the selected project mod, else the first enabled project mod, else global."""
    if ctx.invoked_subcommand is not None:
        return
    from modgate.ext import modsbar as bar

    with runner() as r:
        if select is not None:
            bar.select(r, select, _project(project))
        shown = bar.surface(r, _project(project), thread)

    def human(result: dict[str, object]) -> None:
        item = result["modsBar"]
        if not isinstance(item, dict):
            click.echo("no modsBar")
            return
        click.echo(f"[{item['modId']}] {item.get('title') or ''}\n{item['markdown']}")
        for action in item["actions"]:
            click.echo(f"  ({action['id']}) {action['label']} [{action['kind']}]")

    emit({"ok": True, "modsBar": shown}, as_json, human)


@modsbar.command()
@click.argument("action_id")
@click.option("--input", "text", default=None, help="Input for a promptThenEmitEvent action.")
@project_option
@thread_option
@json_option
def action(action_id: str, text: str | None, project: str | None, thread: str | None, as_json: bool) -> None:
    """Run modsBar action ACTION_ID (emitEvent, promptThenEmitEvent, composer.insert, composer.insertAndSend)."""
    from modgate.ext import modsbar as bar

    with runner() as r:
        runs, composer = bar.run_action(r, action_id, text, _project(project), thread)
    emit_runs({"ok": True, "actionId": action_id, "runs": [run.to_dict() for run in runs],
               "composerText": composer}, as_json)
