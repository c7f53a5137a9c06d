"""``modgate new module``: a starter HeavyModulePackageV1 that imports as is on the board host.

Two ui entries, each bound 1:1 to a board command: a toolbar button that picks the pen
(``setTool``) and a left-panel panel that enters presentation mode (``setViewMode``). Both
commands are ``local`` in scope, so the bindings state ``expectedMutationScope: "local"``.
"""

from __future__ import annotations

from typing import Any


def new_module_package(module_id: str) -> dict[str, Any]:
    """A valid package for ``module_id`` (the caller checks the id; an invalid one will not import)."""
    pen, present = f"{module_id}-pen", f"{module_id}-present"
    return {
        "packageAbiVersion": 1,
        "moduleId": module_id,
        "moduleVersion": "0.1.0",
        "displayName": module_id.replace("-", " ").title(),
        "description": "A starter module: a pen button and a presentation panel.",
        "compatibility": {
            "pluginManifestVersion": 1,
            "commandBusContractVersion": 1,
            "minAppVersion": "10.0.0",
            "maxAppVersionExclusive": None,
        },
        "pluginManifest": {
            "manifestVersion": 1,
            "pluginId": module_id,
            "ui": [
                _entry(pen, "chrome-top-toolbar", "button", "Pen", "pen", "setTool", {"tool": "pen"}),
                _entry(present, "left-panel", "panel", "Present", "monitor", "setViewMode", {"mode": "presentation"}),
            ],
        },
        "commandBindings": [
            _binding(pen, "setTool", {"tool": "pen"}),
            _binding(present, "setViewMode", {"mode": "presentation"}),
        ],
        "capabilitiesRequested": [],
        "extensions": {"x-starter": {"generatedBy": "modgate new module"}},
    }


def _entry(
    entry_id: str, slot: str, kind: str, label: str, icon: str, command_id: str, payload: dict[str, Any]
) -> dict[str, Any]:
    return {
        "id": entry_id,
        "slot": slot,
        "type": kind,
        "props": {"label": label, "icon": icon, "disabled": False},
        "action": {"commandId": command_id, "payload": dict(payload)},
    }


def _binding(entry_id: str, command_id: str, payload: dict[str, Any]) -> dict[str, Any]:
    return {
        "bindingId": f"{entry_id}-binding",
        "uiEntryId": entry_id,
        "commandId": command_id,
        "payload": dict(payload),
        "context": {"surface": "heavy-module"},
        "expectedMutationScope": "local",
    }
