"""Action graphs of extension mods, derived from the ``extensions`` state domain.

An enabled extension mod gets one graph; its ``moduleId`` is the install id
(``global:acme.notes``, ``project:<projectId>:acme.notes``), which cannot collide with a heavy
moduleId (those have no ``:``). Its actions are what the mod runs, recorded at install from
``ui.mod.json``:

* a hook → action ``hooks.<id>``, surface ``background`` — or ``panel`` for a hook on
  ``modsBar.action``, which the mods bar's buttons trigger;
* an automation → action ``automations.<id>``, surface ``automation``.

A handler is a subprocess, not a command-bus call, so ``calls`` is empty and the extra fields
``trigger`` (event or cron schedule) and ``handler`` (argv) say what runs; readers ignore them.
``mutates`` comes from the permissions the handler asks for (``projectWrite`` →
``project.files``, ``network`` → ``network``, ``runtimeControl`` → ``runtime``) plus
``modsBar`` when its output feeds the mod's modsBar slot. ``requiresApproval`` is the
per-permission prompt (``approver: user``; ``hard`` for writes, network or runtime control).
``undoCommand`` is null: a handler's effects cannot be reversed by the platform.
"""

from __future__ import annotations

from modgate.graph import Action, ActionGraph
from modgate.state import JsonObject

PERMISSION_MUTATES = {"projectWrite": "project.files", "network": "network", "runtimeControl": "runtime"}
HARD_PERMISSIONS = frozenset(PERMISSION_MUTATES)


def _installs(state: JsonObject) -> list[tuple[str, JsonObject]]:
    installs = state.get("extensions", {}).get("installs", {})
    return sorted((i, e) for i, e in installs.items() if e.get("enabled"))


def _approval(item: JsonObject) -> bool | JsonObject:
    permissions = item.get("permissions", [])
    if not permissions:
        return False
    return {"reason": f"runs {' '.join(item.get('command', []))!s} as a subprocess with "
                      f"{', '.join(permissions)}; each permission is asked for once and remembered",
            "level": "hard" if HARD_PERMISSIONS.intersection(permissions) else "soft", "approver": "user"}


def _action(item: JsonObject) -> Action:
    kind, ident, trigger = item["kind"], item["id"], item["trigger"]
    mutates = [PERMISSION_MUTATES[p] for p in item.get("permissions", []) if p in PERMISSION_MUTATES]
    if item.get("modsBarOutput"):
        mutates.append("modsBar")
    if kind == "automation":
        label, surface = f"Scheduled ({trigger}): {ident}", ("automation",)
    else:
        label = f"On {trigger}: {ident}"
        surface = ("panel",) if trigger == "modsBar.action" else ("background",)
    return Action(id=f"{kind}s.{ident}", label=label, calls=(), mutates=tuple(sorted(mutates)),
                  requires_approval=_approval(item), undo_command=None, surface=surface,
                  extra={"trigger": trigger, "handler": list(item.get("command", []))})


def extension_graphs(state: JsonObject) -> list[ActionGraph]:
    return [ActionGraph(module_id=install_id, actions=tuple(_action(a) for a in entry.get("actions", [])))
            for install_id, entry in _installs(state)]


def unverified(state: JsonObject, module_id: str | None = None) -> list[JsonObject]:
    """Extension actions for ``verify``: never dry-run (a handler is a process with real effects)."""
    out: list[JsonObject] = []
    for graph in extension_graphs(state):
        if module_id is not None and graph.module_id != module_id:
            continue
        out.extend({"moduleId": graph.module_id, "actionId": a.id, "commandId": None,
                    "code": "graph-extension-handler",
                    "message": "runs the mod's handler process, which verify never starts"} for a in graph.actions)
    return out


__all__ = ["extension_graphs", "unverified"]
