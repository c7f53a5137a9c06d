"""``modgate lint``: every problem of a package, each with a hint - the opposite of import's fail-fast.

The rules are the import's own generators (:mod:`modgate.modules.package_rules`); lint drains them
instead of stopping at the first, then sorts by path and code so the report is stable and reads
top to bottom like the file.
"""

from __future__ import annotations

from typing import Any

from modgate.errors import Problem
from modgate.host.model import Host
from modgate.modules.migrations import (
    DEFAULT_MANIFEST_ADAPTERS,
    DEFAULT_MIGRATIONS,
    AdapterRegistry,
    MigrationRegistry,
)
from modgate.modules.package import capability_problem, prepare
from modgate.modules.package_rules import iter_package_problems

HINTS: dict[str, str] = {
    # import (seed 001 and modgate's additions)
    "invalid-package-root": "The file must hold one strict JSON object (no duplicate keys, no NaN).",
    "invalid-package-key": "Remove the key, or move vendor data under extensions with an x- prefix.",
    "invalid-package-abi-version": "Set packageAbiVersion to the integer 1.",
    "invalid-module-id": "Use 3-64 characters: lowercase ASCII letters, digits and '-', not starting with '-'.",
    "reserved-module-id": "Choose a moduleId other than host.",
    "capability-unknown-id": "Request only catalog capabilities: ui.slot.render, state.read, state.write.tx,"
                             " module.storage.local, export.user.file, automation.invoke.",
    "invalid-module-version": "Use a SemVer 2.0.0 version such as 1.0.0 or 1.1.0-beta.1.",
    "invalid-display-name": "Give a non-empty displayName, e.g. \"Geometry Tools\".",
    "invalid-description": "Make description a string, or remove it.",
    "invalid-compatibility": "compatibility needs pluginManifestVersion 1, commandBusContractVersion 1 "
    "and optional SemVer minAppVersion / maxAppVersionExclusive (or null).",
    "unsupported-plugin-manifest-version": "Set compatibility.pluginManifestVersion to 1.",
    "unsupported-command-bus-contract-version": "Set compatibility.commandBusContractVersion to 1.",
    "app-version-out-of-range": "Widen [minAppVersion, maxAppVersionExclusive) to include the host's version.",
    "module-id-plugin-id-mismatch": "Make pluginManifest.pluginId equal to moduleId.",
    "invalid-command-bindings-array": "commandBindings must be an array (one binding per ui action).",
    "invalid-command-binding": "A binding is an object with bindingId, uiEntryId, commandId and optional "
    "payload, context, expectedMutationScope (doc|sync|local).",
    "invalid-command-binding-id": "Give the binding a non-empty bindingId.",
    "duplicate-command-binding-id": "Rename one of the bindings: bindingIds are unique per package.",
    "unknown-ui-entry-id": "Point uiEntryId at the id of an entry in pluginManifest.ui.",
    "duplicate-ui-entry-binding": "Keep one binding per ui entry; remove or retarget the other.",
    "missing-binding-for-ui-action": "Add a command binding whose uiEntryId is this entry's id.",
    "command-id-mismatch": "Use the same commandId as the ui entry's action.commandId.",
    "unknown-command-id": "Use a command the host registers (modgate commands lists them).",
    "binding-mutation-scope-mismatch": "Set expectedMutationScope to the command's mutationScope, or remove it.",
    "invalid-binding-json": "Keep payload/context plain JSON: depth <= 8, <= 512 containers, "
    "<= 16384 characters, no html/innerHTML/__html/dangerouslySetInnerHTML keys.",
    "invalid-binding-payload": "Make the payload match the command's payload schema (modgate commands --json).",
    "invalid-capability-shape": "capabilitiesRequested must be an array of strings.",
    "invalid-extensions": "extensions must be an object whose keys start with x-.",
    "invalid-extension-key": "Prefix the extension key with x-.",
    "invalid-extension-value": "Keep extension values plain JSON within the JSON-safety limits.",
    "module-version-downgrade": "Raise moduleVersion above the registered one, or allow the downgrade.",
    "manifest-validation-error": "Fix the plugin manifest; detail.manifestCode names the rule.",
    "package-migration-failed": "Write the package as packageAbiVersion 1, or fix the registered migration.",
    # plugin manifest (passed through as manifest-validation-error with detail.manifestCode)
    "invalid-manifest-root": "pluginManifest must be an object: {manifestVersion, pluginId, ui}.",
    "invalid-manifest-key": "The manifest has only manifestVersion, pluginId and ui.",
    "invalid-manifest-version": "Set manifestVersion to 1.",
    "invalid-plugin-id": "Give a non-empty pluginId (for a package: the moduleId).",
    "invalid-ui-array": "ui must be an array of entries (it may be empty).",
    "invalid-ui-entry": "Each ui entry is an object: {id, slot, type, props?, action?}.",
    "invalid-ui-entry-key": "A ui entry has only id, slot, type, props and action.",
    "invalid-ui-id": "Give the entry a non-empty id.",
    "duplicate-ui-id": "Rename one of the entries: ui ids are unique within a manifest.",
    "invalid-ui-slot": "Use a host slot: chrome-top-toolbar, left-panel, toolbar-inline or toolbar-bottom.",
    "invalid-ui-type": "Use type button or panel.",
    "invalid-ui-props": "props must be an object: {label?, icon?, disabled?}.",
    "invalid-ui-props-key": "props has only label, icon and disabled.",
    "invalid-ui-props-value": "label and icon are strings, disabled is true or false.",
    "invalid-ui-action": "action must be an object: {commandId, payload?, context?}.",
    "invalid-ui-action-key": "An action has only commandId, payload and context.",
    "invalid-command-id": "Give the action a non-empty commandId.",
    "invalid-json-key": "Rename the key: html, innerHTML, __html and dangerouslySetInnerHTML are not allowed.",
    "invalid-json-value": "Use only JSON values (objects, arrays, strings, numbers, booleans, null).",
    "invalid-json-number": "Use a finite number.",
    "invalid-json-object": "Use a plain JSON object.",
    "invalid-json-cycle": "Remove the self-reference.",
    "json-depth-exceeded": "Flatten the value: at most 8 levels below the payload/context root.",
    "json-node-limit-exceeded": "Use at most 512 objects/arrays in one payload/context value.",
    "json-size-exceeded": "Keep the serialised value at most 16384 characters.",
}


def hint_for(found: Problem) -> str:
    inner = found.detail.get("manifestCode") or found.detail.get("jsonCode")
    if isinstance(inner, str) and inner in HINTS:
        return HINTS[inner]
    return HINTS.get(found.code, "See docs/errors.md for this code.")


def lint_package(
    value: Any,
    host: Host,
    *,
    migrations: MigrationRegistry = DEFAULT_MIGRATIONS,
    manifest_adapters: AdapterRegistry = DEFAULT_MANIFEST_ADAPTERS,
) -> list[Problem]:
    """Every problem of ``value``, sorted by path then code, each with a hint (empty: all good)."""
    prepared = prepare(value, migrations=migrations, manifest_adapters=manifest_adapters)
    if prepared.problem is not None:
        found = [prepared.problem]
    else:
        found = list(iter_package_problems(prepared.document, host))
        extra = capability_problem(prepared.document) if isinstance(prepared.document, dict) else None
        found.extend([extra] if extra is not None else [])
    hinted = [_with_hint(p) for p in found]
    return sorted(hinted, key=lambda p: (p.path, p.code))


def _with_hint(found: Problem) -> Problem:
    return Problem(code=found.code, path=found.path, message=found.message, hint=hint_for(found), detail=found.detail)


def lint_bytes(data: bytes, host: Host) -> list[Problem]:
    """:func:`lint_package` of raw bytes: text that is not strict JSON is one ``invalid-package-root``."""
    from modgate.errors import JsonLoadError
    from modgate.modules.package import load_problem
    from modgate.strictjson import loads

    try:
        return lint_package(loads(data), host)
    except JsonLoadError as exc:
        return [load_problem(exc.problem)]
