"""My shortcuts: the light track's own heavy-format module (light-track.md §1.3). Pure.

Adding a button is a ``ui`` entry of type ``button`` in a slot, bound to a host command with a
fixed payload; removing one removes the entry; renaming changes its label. Entry ids come from
the content (``light-<action>``), never from the clock or the intent id. The package is
re-validated by the ordinary import ABI (:func:`modgate.modules.package.validate_package`) both
here and when the transaction is planned, so it can never be registered invalid.
"""

from __future__ import annotations

import copy
from typing import Any

from modgate.host.model import Host
from modgate.light import failures as f
from modgate.light.failures import Failure
from modgate.light.resolve import Change
from modgate.light.vocab import LightVocabulary, ShortcutAction
from modgate.light.words import shortcut_words, slot_words
from modgate.modules import registry
from modgate.state import JsonObject

GATE = "G4_DRY_RUN_REQUIRED"


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def entry_id(action: ShortcutAction) -> str:
    return f"light-{action.name}"


def current_package(state: JsonObject, vocab: LightVocabulary) -> JsonObject | None:
    entry = registry.modules(state).get(vocab.shortcut_module_id)
    return copy.deepcopy(entry["package"]) if entry else None


def empty_package(vocab: LightVocabulary) -> JsonObject:
    module_id = vocab.shortcut_module_id
    return {
        "packageAbiVersion": 1, "moduleId": module_id, "moduleVersion": "1.0.0",
        "displayName": vocab.shortcut_module_name, "description": "Buttons added by a light user.",
        "compatibility": {"pluginManifestVersion": 1, "commandBusContractVersion": 1,
                          "minAppVersion": vocab.shortcut_min_app_version, "maxAppVersionExclusive": None},
        "pluginManifest": {"manifestVersion": 1, "pluginId": module_id, "ui": []},
        "commandBindings": [], "capabilitiesRequested": [], "extensions": {"x-light": {"owner": "light-track"}},
    }


def _bump(version: str) -> str:
    major, minor, patch = (int(p) for p in version.split("-")[0].split("+")[0].split("."))
    return f"{major}.{minor}.{patch + 1}"


def buttons(package: JsonObject | None) -> dict[str, JsonObject]:
    return {ui["id"]: ui for ui in (package or {}).get("pluginManifest", {}).get("ui", [])}


def edit(host: Host, vocab: LightVocabulary, state: JsonObject, metric: dict[str, Any]
         ) -> tuple[JsonObject, str] | Failure | None:
    """The new package and a plain reason; None when nothing would change."""
    verb = metric["metric"].split(".", 1)[1]
    given = metric.get("value")
    value: dict[str, Any] = given if isinstance(given, dict) else {}
    if not value.get("action"):
        return Failure(code=f.E_INTENT_REQUIRED_FIELD_MISSING, gate=GATE, metric=metric["metric"],
                       message="Which button would you like? Pick one of these.")
    action = vocab.action(str(value.get("action")))
    if action is None or host.command(action.command) is None:
        return Failure(code=f.E_POLICY_DENIED, gate=GATE, metric=metric["metric"],
                       message="A button can only do one of the everyday board actions.",
                       detail={"action": value.get("action")})
    old = current_package(state, vocab)
    package = copy.deepcopy(old) if old else empty_package(vocab)
    outcome = _EDITS[verb](host, vocab, package, action, value)
    if isinstance(outcome, Failure) or outcome is None:
        return outcome
    if old is not None:
        package["moduleVersion"] = _bump(old["moduleVersion"])
    return package, outcome


def _add(host: Host, vocab: LightVocabulary, package: JsonObject, action: ShortcutAction, value: Any
         ) -> str | Failure | None:
    slot = str(value.get("slot") or vocab.default_slot)
    if slot not in host.ui_slots:
        return Failure(code=f.E_DRYRUN_CONFLICT, gate=GATE, metric="shortcut.add",
                       message="Buttons can go in the top bar, the bottom bar, next to the tools or in the left"
                               " panel.", detail={"slot": slot})
    ui = package["pluginManifest"]["ui"]
    eid = entry_id(action)
    existing = buttons(package).get(eid)
    if existing is not None and existing["slot"] == slot:
        return None
    spec = host.commands[action.command]
    label = existing["props"]["label"] if existing else action.label
    entry = {"id": eid, "slot": slot, "type": "button", "props": {"label": label, "icon": action.icon,
                                                                 "disabled": False},
             "action": {"commandId": action.command, "payload": dict(action.payload)}}
    package["pluginManifest"]["ui"] = sorted([u for u in ui if u["id"] != eid] + [entry], key=lambda u: u["id"])
    binding = {"bindingId": f"{eid}-binding", "uiEntryId": eid, "commandId": action.command,
               "payload": dict(action.payload), "context": {"surface": "heavy-module"},
               "expectedMutationScope": spec.mutation_scope}
    others = [b for b in package["commandBindings"] if b["uiEntryId"] != eid]
    package["commandBindings"] = sorted([*others, binding], key=lambda b: b["bindingId"])
    where = slot_words(vocab, slot)
    return f"{_cap(shortcut_words(vocab, action.name, 'a'))} appears in {where}." if existing is None \
        else f"{_cap(shortcut_words(vocab, action.name))} moves to {where}."


def _remove(host: Host, vocab: LightVocabulary, package: JsonObject, action: ShortcutAction, value: Any
            ) -> str | Failure | None:
    eid = entry_id(action)
    if eid not in buttons(package):
        have = sorted(buttons(package))
        return Failure(code=f.E_DRYRUN_CONFLICT, gate=GATE, metric="shortcut.remove",
                       message=f"There is no {action.label} button in your shortcuts to remove.",
                       detail={"entryId": eid, "present": have})
    package["pluginManifest"]["ui"] = [u for u in package["pluginManifest"]["ui"] if u["id"] != eid]
    package["commandBindings"] = [b for b in package["commandBindings"] if b["uiEntryId"] != eid]
    return f"{_cap(shortcut_words(vocab, action.name))} is removed from your shortcuts."


def _rename(host: Host, vocab: LightVocabulary, package: JsonObject, action: ShortcutAction, value: Any
            ) -> str | Failure | None:
    eid = entry_id(action)
    label = str(value.get("label") or "").strip()
    found = buttons(package).get(eid)
    if found is None:
        return Failure(code=f.E_DRYRUN_CONFLICT, gate=GATE, metric="shortcut.rename",
                       message=f"There is no {action.label} button in your shortcuts to rename.",
                       detail={"entryId": eid})
    if not label or len(label) > 24 or not all(c.isalnum() or c in " -" for c in label):
        return Failure(code=f.E_INTENT_REQUIRED_FIELD_MISSING, gate=GATE, metric="shortcut.rename",
                       message="What should the button say? Use a short name of letters and numbers.",
                       detail={"label": label})
    if found["props"].get("label") == label:
        return None
    found["props"] = {**found["props"], "label": label}
    return f"{_cap(shortcut_words(vocab, action.name))} will say “{label}”."


_EDITS = {"add": _add, "remove": _remove, "rename": _rename}


def package_change(host: Host, vocab: LightVocabulary, package: JsonObject, reason: str, state: JsonObject
                   ) -> Change | Failure:
    """The registry change for ``package``, validated through the heavy import ABI."""
    from modgate.modules.package import validate_package

    current = registry.modules(state).get(vocab.shortcut_module_id)
    outcome = validate_package(package, host, registered_version=current["moduleVersion"] if current else None)
    if outcome.problem is not None or outcome.package is None:
        return Failure(code=f.E_POLICY_DENIED, gate="G3_DRAFT_BUILD", message="That button cannot be made safely.",
                       detail={"problem": outcome.problem.to_dict() if outcome.problem else None})
    return Change(pointer=registry.module_path(vocab.shortcut_module_id), value=registry.entry_for(outcome.package),
                  reason=reason)
