"""The ``board`` host: the demo and reference host, modelled on a teaching whiteboard.

Its 38 commands come from ``board_commands.json`` (a copy of ``reference/board-commands.json``
shipped in the package): id, description, mutation scope, approval flag, audit tag, undo command,
declared writes, payload schema and example. Handlers live in :mod:`modgate.host.board_handlers`,
normalizers and checks in :mod:`modgate.host.board_payload`, the document model in
:mod:`modgate.host.board_doc`.

``idempotent`` is True for the ``set*`` and ``goTo*`` commands (dispatching one twice leaves the
same state as dispatching it once) and False for everything else.

Deviation: in the source app ``undo``/``redo`` take back/restore the last pen stroke of the
current page. In modgate they undo/redo the last doc edit through the transaction journal: the
bus runs them (``journal_action``), never their handler, and their ``writes`` are the union of
every doc-scoped command's writes so the effect check accepts reversing any doc edit.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any, Literal

from modgate.host.board_doc import initial_state as doc_initial_state
from modgate.host.board_handlers import HANDLERS
from modgate.host.board_light import board_light, initial_prefs
from modgate.host.board_payload import CHECKS, normalizer_for
from modgate.host.model import CommandSpec, Host
from modgate.state import JsonObject

APP_ID = "board"
APP_VERSION = "10.4.0"
UI_SLOTS = ("chrome-top-toolbar", "left-panel", "toolbar-inline", "toolbar-bottom")
EVENT_NAMES = ("command.executed", "command.queued", "module.imported", "state.changed", "tx.applied", "tx.rolled_back")
# ``prefs``: the light user's preferences (light-track.md §1); homes made before it get it seeded.
STATE_DOMAINS = ("doc", "sync", "local", "prefs")
JOURNAL_ACTIONS: Mapping[str, Literal["undo", "redo"]] = {"undo": "undo", "redo": "redo"}

_JOURNAL_NOTE = (
    "Deviation from the source app (which undoes/redoes the last pen stroke of the current page): "
    "modgate's {id} {verb} the last doc edit through the transaction journal. The command bus runs "
    "it; the handler is never called and raises command-execution-failed if it is. writes is the "
    "union of every doc-scoped command's writes."
)


def running_platform_id(platform: str | None = None) -> str:
    """``linux``, ``macos`` or ``windows`` for ``sys.platform`` (other Unixes count as linux)."""
    name = platform if platform is not None else sys.platform
    if name == "darwin":
        return "macos"
    if name.startswith(("win", "cygwin", "msys")):
        return "windows"
    return "linux"


@cache
def load_catalog() -> JsonObject:
    """The shipped ``board_commands.json`` (parsed once; treat as read-only)."""
    text = resources.files("modgate.host").joinpath("board_commands.json").read_text(encoding="utf-8")
    catalog: JsonObject = json.loads(text)
    return catalog


def _doc_writes(entries: list[JsonObject]) -> tuple[str, ...]:
    return tuple(sorted({w for e in entries if e["mutationScope"] == "doc" for w in e["writes"]}))


def _notes(entry: Mapping[str, Any]) -> dict[str, str]:
    return {key: entry[key] for key in ("payloadNotes", "executionNotes", "undoNotes") if key in entry}


def _spec(entry: JsonObject, doc_writes: tuple[str, ...]) -> CommandSpec:
    command_id: str = entry["id"]
    action = JOURNAL_ACTIONS.get(command_id)
    notes = _notes(entry)
    if action is not None:
        verb = "undoes" if action == "undo" else "redoes"
        notes["deviation"] = _JOURNAL_NOTE.format(id=command_id, verb=verb)
    return CommandSpec(
        id=command_id,
        description=entry["description"],
        mutation_scope=entry["mutationScope"],
        requires_approval=entry["requiresApproval"],
        audit_tag=entry["auditTag"],
        undo_command=entry.get("undoCommand"),
        idempotent=command_id.startswith(("set", "goTo")),
        writes=doc_writes if action is not None else tuple(entry["writes"]),
        payload_schema=entry["payloadSchema"],
        payload_example=entry["payloadExample"],
        handler=HANDLERS[command_id],
        normalize=normalizer_for(command_id),
        check=CHECKS.get(command_id),
        journal_action=action,
        notes=notes,
    )


def board_commands() -> dict[str, CommandSpec]:
    entries: list[JsonObject] = load_catalog()["commands"]
    doc_writes = _doc_writes(entries)
    return {entry["id"]: _spec(entry, doc_writes) for entry in entries}


def initial_state() -> JsonObject:
    """A fresh initial board state, with the ``prefs`` domain seeded from the host's own values."""
    return {**doc_initial_state(), "prefs": initial_prefs()}


@cache
def board_host() -> Host:
    """The board host (built once)."""
    return Host(
        app_id=APP_ID,
        app_version=APP_VERSION,
        platform_ids=("*", running_platform_id()),
        ui_slots=UI_SLOTS,
        event_names=EVENT_NAMES,
        commands=board_commands(),
        state_domains=STATE_DOMAINS,
        initial_state=initial_state,
        light=board_light(),
    )
