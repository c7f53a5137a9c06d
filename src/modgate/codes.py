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
