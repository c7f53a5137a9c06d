"""Shared plumbing of the extension-runtime commands (events, modsbar, automations, mod permissions).

Opens the runtime, builds a :class:`modgate.ext.hooks.HookRunner` whose permission questions
are asked on a terminal (and reported as ``permission-required`` elsewhere), and prints run
lists with the exit status the issue fixes: 3 when any run is ``permission-required``, 1 when
any is ``sandbox-unavailable``, else 0 (failed, timed-out, denied and debounced runs are results).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, NoReturn

import click
import orjson

if TYPE_CHECKING:
    from modgate.ext.hooks import HookRunner, PermissionQuestion

json_option = click.option("--json", "as_json", is_flag=True, help="Print exactly one JSON object on stdout.")
project_option = click.option("--project", type=click.Path(file_okay=False, exists=True), default=None,
                              help="Project folder: its project-scope mods run first (default: global mods only).")
thread_option = click.option("--thread", "thread", default=None, help="Thread id of the event.")


def _tty() -> bool:
    return sys.stdin.isatty() and sys.stderr.isatty()


def ask_on_tty(question: PermissionQuestion) -> bool | None:
    if not _tty():
        return None
    click.echo(f"Allow extension permission? {question.item} of mod {question.mod_id} asks for "
               f"{question.key} (install {question.install_id}, scope {question.scope}, source {question.source})",
               err=True)
    return click.confirm("Allow", default=False, err=True)


@contextmanager
def runner() -> Iterator[HookRunner]:
    from modgate.app import open_runtime
    from modgate.cli.core import selected_host
    from modgate.ext.events import make_runner

    rt = open_runtime(host=selected_host())
    try:
        yield make_runner(rt, ask=ask_on_tty)
    finally:
        rt.close()


def run_exit(runs: list[dict[str, Any]]) -> int:
    statuses = {r["status"] for r in runs}
    if "sandbox-unavailable" in statuses:
        return 1
    return 3 if "permission-required" in statuses else 0


def emit_runs(result: dict[str, Any], as_json: bool) -> NoReturn:
    if as_json:
        sys.stdout.write(orjson.dumps(result, option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        for run in result["runs"]:
            item = run.get("hookId") or run.get("automationId")
            line = f"{run['installId']} {item}: {run['status']} ({run['durationMs']:.0f} ms)"
            click.echo(line + (f" {run['error']}" if run["error"] else ""))
        if not result["runs"]:
            click.echo("no hook ran")
        if result.get("composerText") is not None:
            click.echo(f"composer: {result['composerText']}")
    sys.stdout.flush()
    raise SystemExit(run_exit(result["runs"]))
