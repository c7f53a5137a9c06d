"""``modgate events emit``: deliver one event to the hooks of the enabled mods installed for a host that
declares it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from modgate.cli.extrun import emit_runs, json_option, project_option, runner, thread_option

MAX_PAYLOAD = 65536


@click.group()
def events() -> None:
    """Extension events: emit one to the hooks of enabled mods."""


def _payload(text: str | None) -> dict[str, str]:
    from modgate.ext.errors import fail

    if text is None:
        return {}
    if len(text) > MAX_PAYLOAD:
        fail("event.invalid-payload", f"--payload is longer than {MAX_PAYLOAD} characters", "--payload")
    try:
        value: Any = __import__("orjson").loads(text)
    except ValueError as exc:
        fail("event.invalid-payload", f"--payload is not JSON: {exc}", "--payload")
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        fail("event.invalid-payload", "--payload must be a JSON object of strings (the envelope's payload)",
             "--payload")
    return value


@events.command()
@click.argument("event")
@project_option
@thread_option
@click.option("--turn", "turn", default=None, help="Turn id of the event.")
@click.option("--turn-status", default=None, help="Turn status (turn.completed / turn.failed).")
@click.option("--payload", default=None, help='The envelope payload: a JSON object of strings, e.g. \'{"k": "v"}\'.')
@json_option
def emit(event: str, project: str | None, thread: str | None, turn: str | None, turn_status: str | None,
         payload: str | None, as_json: bool) -> None:
    """Emit EVENT and run the hooks of the mods installed for a host that declares it.

    EVENT is one a known host declares (board: command.executed, ...; codexchat: turn.completed,
    ...) or modsBar.action (every host's); an event no host declares is refused (event.unknown).

    Exit 0 when every hook ran or was skipped by rule, 3 when one needs a permission decision
    (`modgate mod permissions ID --grant KEY`), 1 when the sandbox is unavailable.
    """
    from modgate.cli.core import current_host
    from modgate.embed import check_event
    from modgate.ext.hooks import EventContext

    check_event(current_host(), event, "EVENT")
    body = _payload(payload)
    targeted = event == "modsBar.action"
    ctx = EventContext(event=event, project=Path(project).resolve() if project else None, thread_id=thread,
                       turn_id=turn, turn_status=turn_status, payload=body,
                       target_mod_id=body.get("targetModID") if targeted else None,
                       target_hook_id=body.get("targetHookID") if targeted else None)
    with runner() as r:
        runs = r.emit(ctx)
    emit_runs({"ok": True, "event": event, "runs": [run.to_dict() for run in runs]}, as_json)
