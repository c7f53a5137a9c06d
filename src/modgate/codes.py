"""Every error code modgate reports, in one place.

Each code is documented in ``docs/errors.md`` (a test fails when one is not) and pinned by at
least one golden case under ``tests/cases/`` (a JSON file whose top-level ``"code"`` names it).
Codes are never reused: a retired code stays here under RETIRED.

Sections are per area; each area owns its section.
"""

from __future__ import annotations

# --- strict JSON loading (modgate.strictjson.loads) ---------------------------------------------
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
    "reserved-module-id": "The moduleId 'host' is reserved for the host's own module in the action graph.",
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

# --- capabilities of heavy modules (companion task 254, modgate.caps) ---------------------------
# The spec's seven reject codes first, then modgate's additions.
CAPS = {
    "capability-unknown-id": "The capability id is not in catalog v1 (no wildcards, prefixes or aliases).",
    "capability-not-requested": "The module's capabilitiesRequested does not list the capability.",
    "capability-not-granted": "No valid grant exists for this module version, capability and session.",
    "capability-grant-stale": "The only grant is for another moduleVersion or catalog major version.",
    "capability-escalation-denied": "The escalation was denied or cancelled.",
    "capability-escalation-timeout": "Nobody decided the escalation before its deadline (a deny).",
    "capability-policy-violation": "An execution-time rule forbids this use even with a valid grant.",
    "capability-escalation-closed": "The escalation was already decided (or moved out of order).",
    "capability-module-unknown": "No registered heavy module has that moduleId.",
    "capability-grant-not-found": "No active grant matches the revocation.",
}

# --- CLI -----------------------------------------------------------------------------------------
CLI = {
    "invalid-argument": "An argument is malformed (e.g. --payload is not strict JSON, a dispatch's meta is not a JSON"
                        " object).",
    "internal-error": "A bug in modgate: an unexpected exception, reported without a traceback.",
    "file-not-found": "A file named on the command line does not exist or cannot be read.",
    "file-exists": "The file a command would create already exists.",
    "file-system-error": "The operating system refused to read or write a file or folder the user named"
    " (permission, not a folder, read-only, ...); the message says which and why.",
    "lint-problems": "`modgate lint` found problems in the package.",
    "module-not-found": "No imported module has that id.",
    "contribution-not-found": "No slot contribution has that id.",
    "approval-pending": "The change is previewed and waits for a host's approval (exit 3).",
}

# --- action graph v1.0 and the MCP server (seed 002, modgate.graph, modgate.mcp_server) ---------
GRAPH = {
    "graph-invalid": "An action graph document is malformed (a field has the wrong type or value).",
    "graph-version-unsupported": "actionGraphVersion names a major version this reader does not know.",
    "graph-unknown-module": "modgate graph MODULE_ID names no enabled module (nor host).",
    "graph-undeclared-mutation": "A dry-run of an action wrote a state path outside the action's mutates.",
    "graph-unknown-command": "A module action calls a command the host does not offer.",
    "graph-missing-action": "A module offers an action (binding) that the graph being verified does not list.",
    "graph-reserved-module-id": "An imported module uses the reserved moduleId host; it is left out of the graph.",
    "graph-external-effects": "Unverified: the action's command has external effects and is never dry-run.",
    "graph-extension-handler": "Unverified: an extension mod's hook or automation runs a handler process, which"
                               " verify never starts.",
    "mcp-unknown-tool": "An MCP client called a tool name that no host command or enabled module action has.",
    "mcp-invalid-arguments": "An MCP client passed arguments to a module action (its binding supplies the payload).",
    "mcp-unknown-resource": "An MCP client read a resource URI that names no graph or approval item.",
    "mcp-sdk-missing": "modgate mcp needs the mcp SDK (the mcp extra), which is not installed.",
}

# --- extension packages and installs (modgate.ext) -----------------------------------------------
EXT = {
    "package.missing-manifest": "The package has no codex.mod.json (or no folder in the source has one).",
    "package.invalid-manifest": "codex.mod.json is not strict JSON or a field has the wrong type.",
    "package.invalid-entrypoint": "entrypoints.uiMod is not a safe relative path.",
    "package.missing-entrypoint": "The file entrypoints.uiMod names does not exist in the package.",
    "package.legacy-right-inspector": "ui.mod.json uses the removed uiSlots.rightInspector key.",
    "package.unsupported-ui-schema": "ui.mod.json schemaVersion is not 1.",
    "package.invalid-ui-mod": (
        "ui.mod.json is malformed: bad JSON, a missing theme/manifest, or a malformed hook, "
        "automation or slot."
    ),
    "package.unsupported-schema": "codex.mod.json schemaVersion is not 1.",
    "package.invalid-id": "The mod id does not match ^[a-z0-9]+([._-][a-z0-9]+)*$.",
    "package.reserved-id": "The id uses the reserved codexchat. namespace outside the first-party catalog.",
    "package.invalid-version": "The version is not semver-like x.y.z with an optional suffix.",
    "package.manifest-mismatch": "id, name or version differ between codex.mod.json and ui.mod.json's manifest.",
    "package.undeclared-permissions": "A hook or automation requests a permission codex.mod.json does not declare.",
    "package.event-not-declared": "A hook names an event the install host does not declare (modsBar.action is"
                                  " every host's); the message lists that host's events.",
    "package.incompatible-platform": "compatibility.platforms names none of the active host profile's platforms.",
    "package.invalid-compatibility-version": "minCodexChatVersion or maxCodexChatVersion is not semver.",
    "package.exists": "`modgate mod init` found a codex.mod.json already in the folder.",
    "install.checksum-mismatch": "integrity.uiModSha256 does not equal the sha256 of the raw ui.mod.json bytes.",
    "install.invalid-source": "The source is empty or a GitHub URL without owner/repo.",
    "install.source-not-found": "The local folder (or file:// path) does not exist.",
    "install.source-not-directory": "The local source (or --project) is not a folder.",
    "install.unsupported-host": "A remote URL that is not github.com.",
    "install.blob-url": "A GitHub blob (single file) URL.",
    "install.subpath-escape": "A tree URL subpath escapes the cloned repository.",
    "install.clone-failed": "git could not clone the repository (or could not be run).",
    "install.ambiguous-root": "The source has no codex.mod.json at its root and several child folders with one.",
    "install.symlink-escape": "A symlink in the package points outside it (or is absolute).",
    "install.hardlink": "A regular file in the package has more than one hard link.",
    "install.special-file": "A device, FIFO or socket in the package (or a file that changed type while copying).",
    "install.too-many-files": "The package has more files (or folders) than the limit (default 2,000).",
    "install.too-large": "The package's files total more bytes than the limit (default 50 MiB).",
    "install.consent-required": (
        "The permission review was not accepted (no --yes and no terminal to ask on, or the answer "
        "was no)."
    ),
    "install.already-installed": "The mod id is already installed in that scope.",
    "install.copy-failed": (
        "Copying the package into the scope root failed (disk full, permissions); nothing was left "
        "behind."
    ),
    "install.update-failed": "The update failed while swapping folders; the old copy was restored.",
    "install.update-id-mismatch": "The update's package has a different mod id.",
    "install.locked": (
        "Another modgate process holds the extension lock longer than the timeout "
        "(MODGATE_EXT_LOCK_TIMEOUT_S, default 60 s)."
    ),
    "mod.not-found": "No install record matches the install id or mod id.",
    "mod.ambiguous-id": "The mod id is installed in several scopes.",
    "mod.tree-changed": "The installed files differ from the tree hash recorded at install (or are missing).",
    "mod.executable-locked": "Enabling a mod with hooks/automations while executable mods are not allowed.",
}

# --- transactions (task 256) -----------------------------------------------------------------------
TX = {
    "tx-not-found": "No transaction (or attempt) has that id.",
    "tx-invalid-transition": "The protocol does not allow that state change from the current state.",
    "tx-unknown-kind": "No planner handles that kind of transaction.",
    "tx-invalid-change": "A change given to the host API is not {op, path, value} on a known state domain.",
    "tx-approver-not-allowed": "Only the host role may approve or reject.",
    "tx-preview-mismatch": "The preview hash given is not the current attempt's preview hash.",
    "tx-token-invalid": "The approval token is malformed or its signature does not verify.",
    "tx-token-mismatch": "The approval token was issued for another transaction, attempt, preview or base.",
    "tx-approval-expired": "The approval expired before the apply.",
    "tx-not-approved": "No approval exists for the current attempt.",
    "tx-stale-base": "The state the preview was computed on has moved on; re-preview and approve again.",
    "tx-already-applied": "The transaction is applied; only its own idempotency key replays the result.",
    "tx-idempotency-conflict": "The idempotency key was used for a different transaction or operation.",
    "tx-blocked": "Applies are blocked after a failed rollback until an operator unblocks them.",
    "tx-not-applied": "Only an APPLIED transaction can be rolled back.",
    "tx-rollback-conflict": "A later change touched the same paths (or undid the change); rollback refused.",
    "tx-preview-superseded": "A new preview attempt replaced this one (recorded on the old attempt).",
    "tx-rejected": "The change was declined at the terminal; nothing changed.",
    "tx-state-conflict": "Another process moved the transaction out of the state this one read; show it again.",
    "tx-managed-kind": "An extension transaction is applied only by the installer and reversed by a `modgate mod`"
                       " command, never by `tx apply`/`tx rollback`.",
}

# --- the light track (seed 003, light-track.md §4-§5; modgate.light) ------------------------------
LIGHT = {
    "E_ROLE_MODE_INVALID": "The intent's actor is not a light user in light mode (G0); not recoverable.",
    "E_POLICY_DENIED": "Code-like content, a request outside the light track, or weakening a policy lock; not"
                       " recoverable.",
    "E_LOW_CONFIDENCE_PARSE": "The request could not be understood (or is in a language the parser does not"
                              " know, named in the message); recoverable.",
    "E_INTENT_REQUIRED_FIELD_MISSING": "A needed value or field is missing (\"change the pen colour\");"
                                       " recoverable.",
    "E_INTENT_CONSTRAINT_CONFLICT": "must and mustNot collide; recoverable.",
    "E_DRYRUN_CONFLICT": "A value outside the command's range, or a change the dry-run cannot make; recoverable.",
    "E_DIFF_UNSTABLE": "The diff differed between two builds; recoverable.",
    "no-change": "The request is understood and would change nothing (the value is already so); exit 0.",
    "light-intent-not-found": "No light intent has that id.",
    "light-answer-not-expected": "The intent is not waiting for a correction (pending, applied, no-change or not"
                                 " recoverable).",
    "light-invalid-request": "The request's arguments are not usable: not text, unknown device, option number or"
                             " parser.",
    "light-not-available": "The host declares no light vocabulary.",
    "light-artifacts-dir-invalid": "The --dir for light artifacts is not a writable folder.",
    "light-llm-not-configured": "--parser llm without MODGATE_LLM_URL/MODGATE_LLM_MODEL or without httpx.",
    "light-llm-failed": "The LLM endpoint failed, answered an HTTP error or returned no JSON intent.",
}

# --- responsive adaptation (task 252, modgate.adapt; recoverability in modgate.adapt.errors) ------
# The spec's five codes first, then modgate's input codes.
ADAPT = {
    "E_ADAPT_DEVICE_TARGET_INVALID": "A device target is not web, tablet or mobile (recoverable).",
    "E_ADAPT_TOUCH_TARGET_BREACH": "The request would make a touch target smaller than 44 px (recoverable).",
    "E_ADAPT_PANEL_COLLISION_UNRESOLVED": "Panels could not all be placed as asked; one was collapsed or re-moded"
                                          " (recoverable, up to 3 retries).",
    "E_ADAPT_POLICY_LOCK_VIOLATION": "The request would hide the launcher or a close/recover control, or the"
                                     " intent's safety flags are not both true (not recoverable).",
    "E_ADAPT_UNRECOVERABLE_GEOMETRY": "The viewport cannot hold the launcher inside the safe region (not recoverable).",
    "E_ADAPT_VIEWPORT_INVALID": "A viewport is not WIDTHxHEIGHT in whole pixels from 1 to 10000.",
    "E_ADAPT_PREFERENCE_INVALID": "A layout preference has an unknown key or value.",
    "E_ADAPT_INTENT_INVALID": "The intent.normalized.v1 document lacks or mistypes a field task 252 reads.",
}

# --- extension runtime (issue 14): hooks, events, modsBar, permissions, automations, sandbox -------
# `sandbox-unavailable` is also a run status; the others are refusals of a command's input.
RUNTIME = {
    "sandbox-unavailable": "bubblewrap is missing (or not Linux) and MODGATE_SANDBOX=off is not set: handlers do"
                           " not run.",
    "hook.state-folder-invalid": "The mod's .codexchat/state is a link or a file, not a folder.",
    "event.unknown": "`events emit` names an event no known host declares (nor modsBar.action).",
    "event.invalid-payload": "--payload is not a JSON object of strings.",
    "modsbar.action-not-found": "The modsBar on show has no action with that id.",
    "modsbar.input-required": "A promptThenEmitEvent action needs --input.",
    "modsbar.unsupported-action": "A native.action: modgate runs no native app actions.",
    "permission.unknown-key": "Not one of projectRead, projectWrite, network, runtimeControl, runWhenAppClosed.",
    "automation.invalid-time": "--now is not an ISO-8601 time with a timezone.",
}

# --- host applications (modgate.host registry, modgate.app) --------------------------------------
HOSTS = {
    "host-unknown": "No built-in, registered or installed (entry point modgate.hosts) host has that name.",
    "host-load-failed": "An installed or registered host cannot be loaded or does not give a Host.",
    "host-invalid": "A registered, installed or given Host is malformed (bad schema, write, domain, initial state).",
    "host-name-taken": "register_host was given a name that is built in or already registered.",
    "home-host-mismatch": "The home belongs to another host application than the one it is opened with.",
}

# --- security hardening (issue 11, docs/security.md) -------------------------------------------
SECURITY = {
    "key-invalid": "A key under MODGATE_HOME/keys is a symlink, not a regular file, too short or unreadable.",
    "rate-limited": "The role dispatched more commands this minute than its limit allows.",
    "approval-quota-exceeded": "The role already has its maximum number of items waiting for approval.",
    "payload-too-large": "The payload's JSON is larger than the role's payload limit.",
    "install.project-mods-link": "A project's mods folder is a symlink; project installs never follow it out.",
    "package.write-failed": "`modgate mod init` could not write the package (permissions, a file in the way...).",
    "file-not-regular": "A file named to modgate is a device, FIFO, socket or folder, not a regular file.",
    "install.changed-during-copy": "A scanned folder or file was swapped (e.g. for a symlink) while the package was"
                                   " copied, or the copy does not re-hash to what the scan listed.",
}

# --- beta signoff and drills (task 258, modgate.signoff) --------------------------------------
SIGNOFF = {
    "signoff-no-go": "The decision is NO-GO: a checklist item is FAIL or UNKNOWN (beta flag off, preview-only).",
    "signoff-invalid-window": "--window is not <N>d or <N>h, or longer than 90 days.",
    "signoff-invalid-now": "--now is not an ISO 8601 date-time.",
    "signoff-html-write-failed": "The --html file could not be written (a directory, or an OS error).",
    "drill-failed": "A drill case did not end with the outcome its fixture expects.",
}

# --- the studio (task 257, modgate.studio) ---------------------------------------------------------
STUDIO = {
    "studio-token-required": ("A studio request came without the session cookie "
                              "that the printed sign-in link sets (HTTP 401)."),
    "studio-csrf-invalid": ("A POST to the studio lacked the page's CSRF "
                            "token or carried a wrong one (HTTP 403); nothing changed."),
    "studio-origin-refused": ("A POST to the studio came without an Origin "
                              "header naming the studio itself (HTTP 403); nothing changed."),
    "studio-host-refused": ("The Host header names neither a loopback address "
                            "nor the `--bind` address (HTTP 403): a DNS-rebinding guard."),
    "studio-method-not-allowed": "A signed-in request used a method other than GET or POST (HTTP 405).",
    "studio-input-too-large": ("A studio form (or a pasted package) is larger than the "
                               "studio accepts: 2 MiB per form, 1 MiB per package (HTTP 413)."),
    "studio-mode-invalid": ("A mode switch named a mode other than light or "
                            "heavy, or a choice other than keep, discard or stay."),
    "studio-mode-switch-blocked": ("A mode switch was asked for while a transaction is APPLYING, "
                                   "ROLLBACK_PENDING or RECOVERY_PENDING (task 257); detail.blocking lists them."),
    "studio-draft-decision-required": ("The current mode's draft has a preview waiting (PREVIEW_READY or"
                                       " APPROVAL_PENDING): the switch needs a choice of keep-draft-and-switch,"
                                       " discard-and-switch or stay."),
    "studio-wrong-mode": ("A heavy-lane form was posted while the studio is in "
                          "light mode (or the other way round): switching is explicit only."),
    "studio-preview-stale": ("An approval was asked for a preview computed on a state "
                             "that has moved on; the studio asks for a fresh preview first."),
    "studio-bind-failed": ("`modgate studio` could not listen on the address and port "
                           "given (in use, or not an address of this machine)."),
    "studio-deps-missing": ("`modgate studio` needs the studio extra (starlette, "
                            "uvicorn, jinja2, python-multipart), which is not installed."),
}

RETIRED: dict[str, str] = {}

SECTIONS: dict[str, dict[str, str]] = {
    "jsonsafe-load": JSONSAFE_LOAD,
    "jsonsafe-check": JSONSAFE_CHECK,
    "manifest": MANIFEST,
    "import": IMPORT,
    "bus": BUS,
    "store": STORE,
    "caps": CAPS,
    "cli": CLI,
    "tx": TX,
    "ext": EXT,
    "graph": GRAPH,
    "light": LIGHT,
    "adapt": ADAPT,
    "ext-runtime": RUNTIME,
    "hosts": HOSTS,
    "security": SECURITY,
    "signoff": SIGNOFF,
    "studio": STUDIO,
}


def all_codes() -> dict[str, str]:
    """Every live code with its one-line meaning."""
    out: dict[str, str] = {}
    for section in SECTIONS.values():
        out.update(section)
    return out
