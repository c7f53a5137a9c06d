"""The modsBar surface (C8) and its actions.

Surface: the selected project mod, else the first enabled project mod with a modsBar slot,
else the same among global mods (project beats global). A slot with ``requiresThread`` (the
default) shows only when a thread is given. Its output is the most specific stored one:
the thread's, else the project's, else the global one.

Actions: ``emitEvent`` and ``promptThenEmitEvent`` emit ``modsBar.action`` to the surface mod's
hooks (filtered by ``targetModID``/``targetHookID``); ``composer.insert`` and
``composer.insertAndSend`` return the composer text (modgate has no composer: the caller shows
or sends it). ``native.action`` is refused: modgate runs no native app actions.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from modgate.ext import runstate
from modgate.ext.errors import fail
from modgate.ext.hooks import EventContext, HookRunner, Run
from modgate.ext.installer import project_id
from modgate.ext.manifest import Package
from modgate.ext.records import InstallRecord

SELECTED = "modsBarSelected:"


def surface(runner: HookRunner, project: Path | None, thread: str | None) -> dict[str, Any] | None:
    found = _surface_mod(runner, project, thread)
    if found is None:
        return None
    rec, pkg = found
    pid = project_id(project) if project is not None else ""
    keys = tuple(k for k in ((f"thread:{thread}" if thread else ""), (f"project:{pid}" if pid else ""), "global")
                 if k)
    doc = runstate.mods_bar(runner.db, rec.id, keys) or {}
    slot = pkg.ui.mods_bar
    return {"installId": rec.id, "modId": rec.mod_id, "title": doc.get("title") or (slot.title if slot else None),
            "markdown": doc.get("markdown", ""), "scope": doc.get("scope"), "actions": doc.get("actions", [])}


def _surface_mod(runner: HookRunner, project: Path | None, thread: str | None
                 ) -> tuple[InstallRecord, Package] | None:
    candidates = [(r, p) for r, p in runner.targets_all(project)
                  if p.ui.mods_bar is not None and p.ui.mods_bar.enabled
                  and (thread is not None or not p.ui.mods_bar.requires_thread)]
    selected = runstate.setting(runner.db, SELECTED + (project_id(project) if project is not None else ""))
    for rec, pkg in candidates:
        if rec.id == selected:
            return rec, pkg
    return candidates[0] if candidates else None


def select(runner: HookRunner, ident: str, project: Path | None) -> str:
    rec = runner.installer.resolve(ident)
    runstate.set_setting(runner.db, SELECTED + (project_id(project) if project is not None else ""), rec.id)
    return rec.id


def run_action(runner: HookRunner, action_id: str, text: str | None, project: Path | None,
               thread: str | None) -> tuple[list[Run], str | None]:
    bar = surface(runner, project, thread)
    action = next((a for a in (bar or {}).get("actions", []) if a.get("id") == action_id), None)
    if bar is None or action is None:
        fail("modsbar.action-not-found", f"The modsBar shows no action {action_id!r}.", "ACTION_ID")
    kind, payload = action["kind"], dict(action.get("payload") or {})
    if kind in ("composer.insert", "composer.insertAndSend"):
        return [], payload.get("text", "")
    if kind == "native.action":
        fail("modsbar.unsupported-action", f"Action {action_id!r} is a native.action; modgate runs none.",
             "ACTION_ID")
    if kind == "promptThenEmitEvent":
        if text is None:
            fail("modsbar.input-required", f"Action {action_id!r} asks for input: pass --input TEXT.", "--input")
        payload["input"] = text
    target_mod = payload.get("targetModID") or bar["modId"]
    payload.update({"actionId": action_id, "actionKind": kind, "targetModID": target_mod})
    ctx = EventContext(event="modsBar.action", project=project, thread_id=thread, payload=payload,
                       target_mod_id=target_mod, target_hook_id=payload.get("targetHookID"))
    return runner.emit(ctx), None
