"""The output object of a handler (C3), checked without I/O.

``{"ok"?: bool, "modsBar"?: {title?, markdown, scope?, actions?}, "artifacts"?: [{path, op, content}],
"log"?: string, "commands"?: [{commandId, payload}]}``. Anything else is malformed output.
``commands`` is modgate's addition for the board host: each goes through the command bus.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

ACTION_KINDS = ("emitEvent", "promptThenEmitEvent", "composer.insert", "composer.insertAndSend", "native.action")
SCOPES = ("thread", "project", "global")
MAX_COMMANDS = 20
MAX_ARTIFACTS = 50


class OutputError(ValueError):
    """Malformed handler output; the message says where."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Artifact:
    path: str
    op: str
    content: str


@dataclass(frozen=True, slots=True, kw_only=True)
class HandlerOutput:
    ok: bool = True
    mods_bar: Mapping[str, Any] | None = None
    artifacts: tuple[Artifact, ...] = ()
    log: str | None = None
    commands: tuple[Mapping[str, Any], ...] = field(default_factory=tuple)


def decode_output(doc: Mapping[str, Any]) -> HandlerOutput:
    ok = doc.get("ok", True)
    if not isinstance(ok, bool):
        raise OutputError("ok must be true or false")
    log = doc.get("log")
    if log is not None and not isinstance(log, str):
        raise OutputError("log must be a string")
    bar = doc.get("modsBar")
    return HandlerOutput(ok=ok, mods_bar=mods_bar(bar) if bar is not None else None,
                         artifacts=_artifacts(doc.get("artifacts", [])), log=log,
                         commands=_commands(doc.get("commands", [])))


def _strings(value: Any, where: str) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
        raise OutputError(f"{where} must be an object of strings")
    return dict(value)


def mods_bar(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise OutputError("modsBar must be an object")
    markdown = value.get("markdown")
    if not isinstance(markdown, str):
        raise OutputError("modsBar.markdown is required (a string)")
    title = value.get("title")
    if title is not None and not isinstance(title, str):
        raise OutputError("modsBar.title must be a string")
    scope = value.get("scope", "thread")
    if scope not in SCOPES:
        raise OutputError(f"modsBar.scope must be one of {', '.join(SCOPES)}")
    actions = value.get("actions", [])
    if not isinstance(actions, list):
        raise OutputError("modsBar.actions must be an array")
    return {"title": title, "markdown": markdown, "scope": scope,
            "actions": [_action(a, f"modsBar.actions[{i}]") for i, a in enumerate(actions)]}


def _action(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise OutputError(f"{where} must be an object")
    for key in ("id", "label", "kind"):
        if not isinstance(value.get(key), str) or not value[key]:
            raise OutputError(f"{where}.{key} is required (a string)")
    if value["kind"] not in ACTION_KINDS:
        raise OutputError(f"{where}.kind must be one of {', '.join(ACTION_KINDS)}")
    out = dict(value)
    out["payload"] = _strings(value.get("payload", {}), f"{where}.payload")
    if value.get("prompt") is not None and not isinstance(value["prompt"], dict):
        raise OutputError(f"{where}.prompt must be an object")
    return out


def _artifacts(value: Any) -> tuple[Artifact, ...]:
    if not isinstance(value, list) or len(value) > MAX_ARTIFACTS:
        raise OutputError(f"artifacts must be an array of at most {MAX_ARTIFACTS}")
    out = []
    for i, item in enumerate(value):
        if not isinstance(item, dict) or not all(isinstance(item.get(k), str) for k in ("path", "op", "content")):
            raise OutputError(f"artifacts[{i}] needs string path, op and content")
        out.append(Artifact(path=item["path"], op=item["op"], content=item["content"]))
    return tuple(out)


def _commands(value: Any) -> tuple[Mapping[str, Any], ...]:
    if not isinstance(value, list) or len(value) > MAX_COMMANDS:
        raise OutputError(f"commands must be an array of at most {MAX_COMMANDS}")
    for i, item in enumerate(value):
        if not isinstance(item, dict) or not isinstance(item.get("commandId"), str):
            raise OutputError(f"commands[{i}].commandId is required (a string)")
    return tuple(value)


def applies_to_slot(source_type: str | None, source_hook_id: str | None, item_id: str) -> bool:
    """CodexChat's ``source.handlerOutput`` rule: no source, or handlerOutput naming no hook or this one."""
    return source_type is None or (source_type == "handlerOutput" and source_hook_id in (None, item_id))


def scope_key(scope: str, project_id: str, thread_id: str | None) -> str | None:
    if scope == "global":
        return "global"
    if scope == "project":
        return f"project:{project_id}" if project_id else None
    return f"thread:{thread_id}" if thread_id else None
