"""``modgate automations``: list, run what is due, serve, and the run-when-closed consent."""

from __future__ import annotations

import signal
import time
from datetime import datetime

import click

from modgate.cli.extrun import emit_runs, json_option, runner
from modgate.cli.output import emit

SERVE_INTERVAL_S = 30.0


@click.group()
def automations() -> None:
    """Extension automations (5-field cron schedules) of enabled mods."""


def _now(text: str | None) -> float:
    from modgate.ext.errors import fail

    if text is None:
        return time.time()
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        fail("automation.invalid-time", f"--now is not an ISO-8601 time: {text!r}", "--now")
    if value.tzinfo is None:
        fail("automation.invalid-time", f"--now needs a timezone (e.g. {text}Z): {text!r}", "--now")
    return value.timestamp()


@automations.command("list")
@json_option
def list_(as_json: bool) -> None:
    """List automations with their schedule, nextRunAt, lastRunAt and lastStatus."""
    from modgate.ext.automations import listing

    with runner() as r:
        items = listing(r)

    def human(result: dict[str, object]) -> None:
        for a in items:
            click.echo(f"{a['installId']}::{a['automationId']}  {a['schedule']:<16} next {a['nextRunAt']}  "
                       f"last {a['lastRunAt']} {a['lastStatus'] or ''}")
        if not items:
            click.echo("no automations")

    emit({"ok": True, "automations": items}, as_json, human)


@automations.command("run-due")
@click.option("--now", "now_text", default=None, help="The clock, as ISO-8601 with a timezone (default: now).")
@click.option("--closed", is_flag=True, help="Run as the app-closed timer: only runWhenAppClosed automations "
              "with that permission and the global consent.")
@json_option
def run_due(now_text: str | None, closed: bool, as_json: bool) -> None:
    """Run every automation due since its last run (each at most once), then schedule the next run."""
    from modgate.ext.automations import run_due as due

    now = _now(now_text)
    with runner() as r:
        runs = due(r, now, closed=closed)
    emit_runs({"ok": True, "runs": [run.to_dict() for run in runs]}, as_json)


@automations.command()
@click.option("--interval", type=click.FloatRange(1, 3600), default=SERVE_INTERVAL_S, show_default=True,
              help="Seconds between checks.")
def serve(interval: float) -> None:
    """Run due automations in a loop until SIGTERM or Ctrl-C."""
    from modgate.ext.automations import run_due as due

    stop: list[bool] = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(True))
    try:
        while not stop:
            with runner() as r:
                for run in due(r, time.time()):
                    click.echo(f"{run.install_id}::{run.item_id} {run.status} {run.error or ''}", err=True)
            deadline = time.monotonic() + interval
            while not stop and time.monotonic() < deadline:
                time.sleep(min(0.5, interval))
    except KeyboardInterrupt:
        pass


@automations.command("allow-closed")
@click.option("--revoke", is_flag=True, help="Withdraw the consent.")
@json_option
def allow_closed(revoke: bool, as_json: bool) -> None:
    """Give (or --revoke) the one-time global consent for automations to run while the app is closed."""
    from modgate.ext.automations import allow_closed as allow

    with runner() as r:
        allow(r, not revoke)
    emit({"ok": True, "allowRunWhenAppClosed": not revoke}, as_json,
         lambda res: click.echo("run-when-closed " + ("allowed" if res["allowRunWhenAppClosed"] else "revoked")))
