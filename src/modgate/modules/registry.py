"""The module registry as data: imported heavy modules live in the ``registry`` state domain.

``/registry/modules/<moduleId>`` holds ``{"moduleId", "moduleVersion", "displayName",
"enabled", "package"}`` where ``package`` is the validated, normalized HeavyModulePackageV1.
Keeping the registry in a state domain means an import is just ops on the state: it gets the
same preview, approval, atomic apply, journal and rollback as every other change.
Pure functions only.
"""

from __future__ import annotations

from typing import Any

from modgate.state import JsonObject, Op, escape_token

REGISTRY_DOMAIN = "registry"


def initial_registry() -> JsonObject:
    return {"modules": {}}


def module_path(module_id: str) -> str:
    return f"/{REGISTRY_DOMAIN}/modules/{escape_token(module_id)}"


def modules(state: JsonObject) -> dict[str, JsonObject]:
    """moduleId → registry entry, from a full state."""
    found: dict[str, JsonObject] = state.get(REGISTRY_DOMAIN, {}).get("modules", {})
    return found


def sorted_modules(state: JsonObject) -> list[JsonObject]:
    entries = modules(state)
    return [entries[k] for k in sorted(entries)]


def entry_for(package: JsonObject, *, enabled: bool = True) -> JsonObject:
    return {
        "moduleId": package["moduleId"],
        "moduleVersion": package["moduleVersion"],
        "displayName": package["displayName"],
        "enabled": enabled,
        "package": package,
    }


def register_ops(state: JsonObject, package: JsonObject) -> list[Op]:
    """Ops that register (or replace) ``package``: one op, so it is all-or-nothing."""
    path = module_path(package["moduleId"])
    if package["moduleId"] in modules(state):
        return [Op("replace", path, entry_for(package))]
    return [Op("add", path, entry_for(package))]


def remove_ops(state: JsonObject, module_id: str) -> list[Op]:
    return [Op("remove", module_path(module_id))] if module_id in modules(state) else []


def slot_contributions(state: JsonObject) -> dict[str, list[dict[str, Any]]]:
    """slot → contributions of every enabled module, ``contributionId = <pluginId>:<entryId>``."""
    out: dict[str, list[dict[str, Any]]] = {}
    for entry in sorted_modules(state):
        if not entry.get("enabled", True):
            continue
        manifest = entry["package"]["pluginManifest"]
        bindings = {b["uiEntryId"]: b for b in entry["package"].get("commandBindings", [])}
        for ui in manifest["ui"]:
            binding = bindings.get(ui["id"])
            out.setdefault(ui["slot"], []).append({
                "contributionId": f"{manifest['pluginId']}:{ui['id']}",
                "moduleId": entry["moduleId"],
                "entryId": ui["id"],
                "slot": ui["slot"],
                "type": ui["type"],
                "props": ui.get("props", {}),
                "commandId": binding["commandId"] if binding else (ui.get("action") or {}).get("commandId"),
                "bindingId": binding["bindingId"] if binding else None,
                "payload": binding.get("payload", {}) if binding else (ui.get("action") or {}).get("payload", {}),
            })
    return {slot: out[slot] for slot in sorted(out)}
