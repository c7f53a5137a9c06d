"""Every error code modgate reports, in one place.

Each code is documented in ``docs/errors.md`` (a test fails when one is not) and pinned by at
least one golden case under ``tests/cases/`` (a JSON file whose top-level ``"code"`` names it).
Codes are never reused: a retired code stays here under RETIRED.

Sections are per area; each area owns its section.
"""

from __future__ import annotations

# --- strict JSON loading (modgate.jsonsafe.loads) ---------------------------------------------
JSONSAFE_LOAD = {
    "json-syntax": "The bytes are not valid JSON text.",
    "json-invalid-utf8": "The bytes are not valid UTF-8.",
    "json-lone-surrogate": "A string contains an unpaired UTF-16 surrogate escape.",
    "json-duplicate-key": "An object has the same key twice.",
    "json-non-finite": "NaN, Infinity or -Infinity appears (not JSON).",
    "json-too-deep": "Nesting exceeds the loader's depth limit.",
    "json-too-large": "The input exceeds the loader's size limit.",
}

# --- JSON-safety check of plugin-manifest/binding payload and context values (companion B1) ---
JSONSAFE_CHECK = {
    "invalid-json-key": "A forbidden key (html, innerHTML, __html, dangerouslySetInnerHTML).",
    "invalid-json-value": "A value JSON cannot carry, or the value cannot be serialised.",
    "invalid-json-number": "A number that is not finite.",
    "invalid-json-object": "An object that is not a plain JSON object.",
    "invalid-json-cycle": "An object or array contains itself.",
    "json-depth-exceeded": "Nesting deeper than 8 below the payload/context root.",
    "json-node-limit-exceeded": "More than 512 object/array nodes.",
    "json-size-exceeded": "Serialised form longer than 16,384 UTF-16 code units.",
}

# --- plugin manifest v1 (companion B1, modgate.modules.manifest) -------------------------------
# The JSON-safety codes are shared with JSONSAFE_CHECK (documented there once).
MANIFEST = {
    "invalid-manifest-root": "The manifest is not a JSON object.",
    "invalid-manifest-key": "The manifest has a key other than manifestVersion, pluginId, ui.",
    "invalid-manifest-version": "manifestVersion is not 1.",
    "invalid-plugin-id": "pluginId is not a non-empty string.",
    "invalid-ui-array": "ui is not an array.",
    "invalid-ui-entry": "A ui entry is not a JSON object.",
    "invalid-ui-entry-key": "A ui entry has a key other than id, slot, type, props, action.",
    "invalid-ui-id": "A ui entry id is not a non-empty string.",
    "duplicate-ui-id": "Two ui entries of one manifest share an id (modgate addition).",
    "invalid-ui-slot": "A ui entry's slot is not one of the host's slots.",
    "invalid-ui-type": "A ui entry's type is not button or panel.",
    "invalid-ui-props": "props is not a JSON object.",
    "invalid-ui-props-key": "props has a key other than label, icon, disabled.",
    "invalid-ui-props-value": "label/icon is not a string or disabled is not a boolean.",
    "invalid-ui-action": "action is not a JSON object.",
    "invalid-ui-action-key": "action has a key other than commandId, payload, context.",
    "invalid-command-id": "action.commandId is not a non-empty string.",
    "unknown-command-id": "A command id is not registered on the host.",
    "invalid-json-key": JSONSAFE_CHECK["invalid-json-key"],
    "invalid-json-value": JSONSAFE_CHECK["invalid-json-value"],
    "invalid-json-number": JSONSAFE_CHECK["invalid-json-number"],
    "invalid-json-object": JSONSAFE_CHECK["invalid-json-object"],
    "invalid-json-cycle": JSONSAFE_CHECK["invalid-json-cycle"],
    "json-depth-exceeded": JSONSAFE_CHECK["json-depth-exceeded"],
    "json-node-limit-exceeded": JSONSAFE_CHECK["json-node-limit-exceeded"],
    "json-size-exceeded": JSONSAFE_CHECK["json-size-exceeded"],
}

# --- heavy package import ABI v1 (seed 001, modgate.modules.package) ----------------------------
# The seed's 23 codes first, then modgate's additions. unknown-command-id is shared with MANIFEST.
IMPORT = {
    "invalid-package-root": "The package is not a JSON object (or not strict JSON: see detail.jsonCode).",
    "invalid-package-key": "The package has a key the ABI does not define.",
    "invalid-package-abi-version": "packageAbiVersion is not 1 and no migration chain leads to 1.",
    "invalid-module-id": "moduleId does not match ^[a-z0-9][a-z0-9-]{2,63}$ (ASCII, whole string).",
    "invalid-module-version": "moduleVersion is not a strict SemVer 2.0.0 version.",
    "invalid-display-name": "displayName is not a non-empty string.",
    "invalid-compatibility": "compatibility is missing, malformed, has unknown keys or bad version bounds.",
    "unsupported-plugin-manifest-version": "compatibility.pluginManifestVersion is not 1 (and has no adapter).",
    "unsupported-command-bus-contract-version": "compatibility.commandBusContractVersion is not 1.",
    "app-version-out-of-range": "The host's app version is outside [minAppVersion, maxAppVersionExclusive).",
    "module-id-plugin-id-mismatch": "pluginManifest.pluginId differs from moduleId.",
    "invalid-command-bindings-array": "commandBindings is missing or not an array.",
    "invalid-command-binding": "A binding is not an object, has an unknown key or a malformed field.",
    "invalid-command-binding-id": "A bindingId is not a non-empty string.",
    "duplicate-command-binding-id": "Two bindings share a bindingId.",
    "unknown-ui-entry-id": "A binding's uiEntryId names no pluginManifest.ui entry.",
    "missing-binding-for-ui-action": "A ui entry with an action has no binding.",
    "command-id-mismatch": "A binding's commandId differs from its ui entry's action.commandId.",
    "unknown-command-id": MANIFEST["unknown-command-id"],
    "binding-mutation-scope-mismatch": "expectedMutationScope differs from the command's mutationScope.",
    "invalid-capability-shape": "capabilitiesRequested is not an array of strings.",
    "invalid-extension-key": "An extensions key does not start with x-.",
    "manifest-validation-error": "pluginManifest fails plugin-manifest validation (detail.manifestCode).",
    "invalid-description": "description is present but not a string.",
    "duplicate-ui-entry-binding": "Two bindings bind the same ui entry (the ABI requires 1:1).",
    "invalid-binding-json": "A binding's payload or context fails the JSON-safety check (detail.jsonCode).",
    "invalid-binding-payload": "A binding's payload would be refused by its command (schema or check).",
    "invalid-extensions": "extensions is present but not a JSON object.",
    "invalid-extension-value": "An extensions value fails the JSON-safety check (detail.jsonCode).",
    "module-version-downgrade": "moduleVersion precedes the registered version and no downgrade was allowed.",
    "package-migration-failed": "A registered packageAbiVersion migration or manifest adapter failed.",
}

# --- command bus (DESIGN.md §2) ----------------------------------------------------------------
BUS = {
    "unknown-command": "No command with that id is registered.",
    "invalid-payload": "The payload does not satisfy the command's payload schema or checks.",
    "approval-required": "The role may not run this command directly; it was queued for approval.",
    "approval-policy-missing": "The command needs approval but no approval queue is configured.",
    "approval-queue-failed": "The command needs approval but queuing it failed.",
    "command-execution-failed": "The handler could not run in the current state.",
    "undeclared-write": "The handler wrote a state path outside the command's declared writes.",
    "invalid-role": "The dispatch role is not host, student or agent.",
    "approval-not-found": "No approval item has that id.",
    "approval-not-pending": "The approval item was already decided.",
}

# --- state store (modgate.store) ----------------------------------------------------------------
STORE = {
    "store-locked": "Another process holds the database lock longer than the busy timeout.",
    "store-readonly": "The database file or its folder is not writable.",
    "store-corrupt": "The database file is not a valid modgate SQLite database.",
    "store-error": "Any other SQLite failure.",
    "store-schema-too-new": "The database was written by a newer modgate.",
    "audit-chain-broken": "The audit log's hash chain does not verify.",
}

# --- CLI -----------------------------------------------------------------------------------------
CLI = {
    "invalid-argument": "A command-line argument is malformed (e.g. --payload is not strict JSON).",
    "internal-error": "A bug in modgate: an unexpected exception, reported without a traceback.",
}

RETIRED: dict[str, str] = {}

SECTIONS: dict[str, dict[str, str]] = {
    "jsonsafe-load": JSONSAFE_LOAD,
    "jsonsafe-check": JSONSAFE_CHECK,
    "manifest": MANIFEST,
    "import": IMPORT,
    "bus": BUS,
    "store": STORE,
    "cli": CLI,
}


def all_codes() -> dict[str, str]:
    """Every live code with its one-line meaning."""
    out: dict[str, str] = {}
    for section in SECTIONS.values():
        out.update(section)
    return out
