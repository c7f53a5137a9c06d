"""The HeavyModulePackageV1 rules, written once as a generator of problems in the fixed order.

``iter_package_problems`` yields every problem of a (migrated, adapted) v1 document in the seed's
six-stage order: import takes the first (fail-fast), lint takes them all. Each stage is a small
generator; later checks that need an earlier value to be well-formed skip silently when it is not,
so lint never reports one mistake twice and the first problem is always the fail-fast answer.

``structural=False`` skips the checks the published JSON Schema already decides; it is only used
after the compiled schema accepted the document (the fast path in :mod:`modgate.modules.fastpath`).

Codes beyond the seed's 23 (all documented in docs/errors.md, listed in modgate.codes.IMPORT):

- ``invalid-description`` (stage 2, after displayName): description present but not a string.
- ``duplicate-ui-entry-binding`` (stage 5, right after ``unknown-ui-entry-id``): a second binding
  for the same ui entry; the seed demands one binding per ui action (1:1).
- ``invalid-binding-json`` (stage 5, after the mutation scope): payload or context fails the JSON-
  safety check; ``detail.jsonCode`` carries the check's own code, the path points inside.
- ``invalid-binding-payload`` (stage 5, last per binding): the payload fails the bound command's
  payload schema (after the command's own normalizer) or its semantic check - found at import, not
  at the first click.
- ``invalid-extensions`` (stage 6): extensions present but not an object.
- ``invalid-extension-value`` (stage 6, per key after its prefix check): a value fails JSON-safety.
- ``module-version-downgrade`` (after all stages): moduleVersion precedes the registered one.
- ``package-migration-failed`` (before stage 1): a registered migration or adapter broke.
"""

from __future__ import annotations

import re
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from typing import Any

from modgate.errors import Problem
from modgate.host.model import CommandSpec, Host
from modgate.modules.manifest import (
    is_nonempty_string,
    iter_manifest_problems,
    json_limits_problem,
    unknown_keys,
)
from modgate.modules.payloads import payload_problem
from modgate.modules.semver import is_semver, semver_lt
from modgate.payloadlimits import check_json_safe

ROOT = "package"
PACKAGE_KEYS = frozenset(
    {
        "packageAbiVersion",
        "moduleId",
        "moduleVersion",
        "displayName",
        "description",
        "compatibility",
        "pluginManifest",
        "commandBindings",
        "capabilitiesRequested",
        "extensions",
    }
)
COMPATIBILITY_KEYS = frozenset(
    {"pluginManifestVersion", "commandBusContractVersion", "minAppVersion", "maxAppVersionExclusive"}
)
BINDING_KEYS = frozenset({"bindingId", "uiEntryId", "commandId", "payload", "context", "expectedMutationScope"})
MUTATION_SCOPES = ("doc", "sync", "local")

MODULE_ID = re.compile(r"[a-z0-9][a-z0-9-]{2,63}")



def problem(code: str, path: str, message: str, **detail: Any) -> Problem:
    return Problem(code=code, path=path, message=message, detail=detail)


def is_int(value: Any, wanted: int) -> bool:
    """``type(x) is int`` so that ``true`` is not 1 and ``1.0`` is not the integer literal 1."""
    return type(value) is int and value == wanted


def abi_version_problem(version: Any) -> Problem:
    return problem(
        "invalid-package-abi-version",
        f"{ROOT}.packageAbiVersion",
        "packageAbiVersion must be the integer 1 (or a version with a registered migration).",
        packageAbiVersion=version if isinstance(version, int | str) and not isinstance(version, bool) else None,
    )


# --- the six stages -------------------------------------------------------------------------------


@dataclass(slots=True, kw_only=True)
class _Run:
    """Per-run facts a later stage needs from an earlier one."""

    host: Host
    structural: bool
    ui: list[Any] = field(default_factory=list)
    ui_index: dict[str, dict[str, Any]] = field(default_factory=dict)


def iter_package_problems(doc: Any, host: Host, *, structural: bool = True) -> Iterator[Problem]:
    """Every problem of a v1 package document, in the seed's fixed order."""
    if not isinstance(doc, dict):
        yield problem("invalid-package-root", ROOT, "The package must be a JSON object.")
        return
    run = _Run(host=host, structural=structural)
    if structural:
        yield from _root_keys(doc)
        yield from _metadata(doc)
    else:
        yield from _metadata_ints(doc)
    yield from _compatibility(doc, run)
    yield from _manifest(doc, run)
    yield from _bindings(doc, run)
    yield from _capabilities_and_extensions(doc, run)


def _root_keys(doc: dict[str, Any]) -> Iterator[Problem]:
    for key in unknown_keys(doc, PACKAGE_KEYS):
        yield problem("invalid-package-key", f"{ROOT}.{key}", f"Unknown package key {key!r}.", key=key)


def _metadata(doc: dict[str, Any]) -> Iterator[Problem]:
    if not is_int(doc.get("packageAbiVersion"), 1):
        yield abi_version_problem(doc.get("packageAbiVersion"))
    module_id = doc.get("moduleId")
    if not isinstance(module_id, str) or MODULE_ID.fullmatch(module_id) is None:
        yield problem(
            "invalid-module-id", f"{ROOT}.moduleId", "moduleId must match ^[a-z0-9][a-z0-9-]{2,63}$ (ASCII)."
        )
    if not is_semver(doc.get("moduleVersion")):
        yield problem("invalid-module-version", f"{ROOT}.moduleVersion", "moduleVersion must be SemVer 2.0.0.")
    if not is_nonempty_string(doc.get("displayName")):
        yield problem("invalid-display-name", f"{ROOT}.displayName", "displayName must be a non-empty string.")
    if "description" in doc and not isinstance(doc["description"], str):
        yield problem("invalid-description", f"{ROOT}.description", "description, when present, must be a string.")


def _metadata_ints(doc: dict[str, Any]) -> Iterator[Problem]:
    # The schema cannot tell 1.0 from 1; this is the one metadata check it leaves to Python.
    if not is_int(doc.get("packageAbiVersion"), 1):
        yield abi_version_problem(doc.get("packageAbiVersion"))


def _compatibility(doc: dict[str, Any], run: _Run) -> Iterator[Problem]:
    compat = doc.get("compatibility")
    path = f"{ROOT}.compatibility"
    if not isinstance(compat, dict):
        yield problem("invalid-compatibility", path, "compatibility must be a JSON object.")
        return
    if run.structural:
        for key in unknown_keys(compat, COMPATIBILITY_KEYS):
            yield problem("invalid-compatibility", f"{path}.{key}", f"Unknown compatibility key {key!r}.", key=key)
    yield from _contract_version(compat, "pluginManifestVersion", "unsupported-plugin-manifest-version")
    yield from _contract_version(compat, "commandBusContractVersion", "unsupported-command-bus-contract-version")
    low_ok = yield from _bound(compat, "minAppVersion", nullable=False, structural=run.structural)
    high_ok = yield from _bound(compat, "maxAppVersionExclusive", nullable=True, structural=run.structural)
    if low_ok and high_ok:
        yield from app_range_problems(compat, run.host.app_version, path)


def _contract_version(compat: dict[str, Any], key: str, code: str) -> Iterator[Problem]:
    path = f"{ROOT}.compatibility.{key}"
    if key not in compat:
        yield problem("invalid-compatibility", path, f"compatibility.{key} is required.")
    elif not is_int(compat[key], 1):
        value = compat[key]
        shown = value if isinstance(value, int | str) and not isinstance(value, bool) else None
        yield problem(code, path, f"compatibility.{key} must be 1.", version=shown)


def _bound(compat: dict[str, Any], key: str, *, nullable: bool, structural: bool) -> Generator[Problem, None, bool]:
    """Check one optional bound; returns True when it is usable for the range check."""
    value = compat.get(key)
    if key not in compat or (nullable and value is None) or is_semver(value):
        return True
    if structural:
        what = "a SemVer version or null" if nullable else "a SemVer version"
        yield problem("invalid-compatibility", f"{ROOT}.compatibility.{key}", f"compatibility.{key} must be {what}.")
    return False


def app_range_problems(compat: dict[str, Any], app_version: str, path: str) -> Iterator[Problem]:
    low, high = compat.get("minAppVersion"), compat.get("maxAppVersionExclusive")
    detail = {"appVersion": app_version, "minAppVersion": low, "maxAppVersionExclusive": high}
    if low is not None and high is not None and not semver_lt(low, high):
        yield problem(
            "invalid-compatibility",
            f"{path}.maxAppVersionExclusive",
            "maxAppVersionExclusive must be greater than minAppVersion (the range is empty).",
            **detail,
        )
    elif (low is not None and semver_lt(app_version, low)) or (high is not None and not semver_lt(app_version, high)):
        yield problem(
            "app-version-out-of-range",
            path,
            f"This host runs version {app_version}, outside [{low}, {high or 'unbounded'}).",
            **detail,
        )


def _manifest(doc: dict[str, Any], run: _Run) -> Iterator[Problem]:
    manifest = doc.get("pluginManifest")
    root = f"{ROOT}.pluginManifest"
    found = iter_manifest_problems(
        manifest, run.host.commands, root=root, slots=run.host.ui_slots, structural=run.structural
    )
    for inner in found:
        yield problem("manifest-validation-error", inner.path, inner.message, manifestCode=inner.code, **inner.detail)
    if not isinstance(manifest, dict):
        return
    ui = manifest.get("ui")
    run.ui = ui if isinstance(ui, list) else []
    for entry in run.ui:
        if isinstance(entry, dict) and isinstance(entry.get("id"), str):
            run.ui_index.setdefault(entry["id"], entry)
    plugin_id, module_id = manifest.get("pluginId"), doc.get("moduleId")
    if isinstance(plugin_id, str) and isinstance(module_id, str) and plugin_id != module_id:
        yield problem(
            "module-id-plugin-id-mismatch",
            f"{root}.pluginId",
            f"pluginManifest.pluginId {plugin_id!r} must equal moduleId {module_id!r}.",
            pluginId=plugin_id,
            moduleId=module_id,
        )


def _bindings(doc: dict[str, Any], run: _Run) -> Iterator[Problem]:
    bindings = doc.get("commandBindings")
    if not isinstance(bindings, list):
        yield problem("invalid-command-bindings-array", f"{ROOT}.commandBindings", "commandBindings must be an array.")
        return
    seen_ids: set[str] = set()
    bound: set[str] = set()
    for i, binding in enumerate(bindings):
        yield from _binding(binding, f"{ROOT}.commandBindings[{i}]", run, seen_ids, bound)
    for i, entry in enumerate(run.ui):
        entry_id = entry.get("id") if isinstance(entry, dict) else None
        if isinstance(entry, dict) and "action" in entry and not (isinstance(entry_id, str) and entry_id in bound):
            yield problem(
                "missing-binding-for-ui-action",
                f"{ROOT}.pluginManifest.ui[{i}].action",
                f"ui entry {entry.get('id')!r} has an action but no command binding.",
                uiEntryId=entry.get("id") if isinstance(entry.get("id"), str) else None,
            )


def _binding(binding: Any, path: str, run: _Run, seen_ids: set[str], bound: set[str]) -> Iterator[Problem]:
    """DESIGN §3 order: shape, bindingId, duplicate, uiEntryId, commandId, scope, JSON, payload."""
    if run.structural:
        if not isinstance(binding, dict):
            yield problem("invalid-command-binding", path, "A command binding must be a JSON object.")
            return
        for key in unknown_keys(binding, BINDING_KEYS):
            yield problem("invalid-command-binding", f"{path}.{key}", f"Unknown binding key {key!r}.", key=key)
    yield from _binding_id(binding.get("bindingId"), f"{path}.bindingId", run, seen_ids)
    entry = yield from _ui_entry_ref(binding.get("uiEntryId"), f"{path}.uiEntryId", run, bound)
    command = yield from _command_ref(binding.get("commandId"), f"{path}.commandId", run, entry)
    yield from _scope(binding, f"{path}.expectedMutationScope", run, command)
    json_ok = yield from _binding_json(binding, path, run)
    if command is not None and json_ok:
        yield from _binding_payload(binding.get("payload"), f"{path}.payload", command)


def _binding_id(binding_id: Any, path: str, run: _Run, seen: set[str]) -> Iterator[Problem]:
    if not is_nonempty_string(binding_id):
        if run.structural:
            yield problem("invalid-command-binding-id", path, "bindingId must be a non-empty string.")
        return
    if binding_id in seen:
        yield problem(
            "duplicate-command-binding-id", path, f"bindingId {binding_id!r} is used twice.", bindingId=binding_id
        )
    seen.add(binding_id)


def _ui_entry_ref(
    entry_id: Any, path: str, run: _Run, bound: set[str]
) -> Generator[Problem, None, dict[str, Any] | None]:
    """Returns the referenced ui entry (or None)."""
    if not is_nonempty_string(entry_id):
        if run.structural:
            yield problem("invalid-command-binding", path, "uiEntryId must be a non-empty string.")
        return None
    entry = run.ui_index.get(entry_id)
    if entry is None:
        yield problem("unknown-ui-entry-id", path, f"No ui entry has the id {entry_id!r}.", uiEntryId=entry_id)
        return None
    if entry_id in bound:
        yield problem(
            "duplicate-ui-entry-binding", path, f"ui entry {entry_id!r} already has a binding.", uiEntryId=entry_id
        )
    bound.add(entry_id)
    return entry


def _command_ref(
    command_id: Any, path: str, run: _Run, entry: dict[str, Any] | None
) -> Generator[Problem, None, CommandSpec | None]:
    """Returns the bound command (or None)."""
    if not is_nonempty_string(command_id):
        if run.structural:
            yield problem("invalid-command-binding", path, "commandId must be a non-empty string.")
        return None
    command = run.host.commands.get(command_id)
    if command is None:
        yield problem("unknown-command-id", path, f"No command {command_id!r} is registered.", commandId=command_id)
    if entry is not None:
        action = entry.get("action")
        expected = action.get("commandId") if isinstance(action, dict) else None
        if command_id != expected:
            yield problem(
                "command-id-mismatch",
                path,
                f"The ui entry's action runs {expected!r}, the binding {command_id!r}.",
                commandId=command_id,
                expectedCommandId=expected if isinstance(expected, str) else None,
            )
    return command


def _scope(binding: dict[str, Any], path: str, run: _Run, command: CommandSpec | None) -> Iterator[Problem]:
    if "expectedMutationScope" not in binding:
        return
    scope = binding["expectedMutationScope"]
    if not isinstance(scope, str) or scope not in MUTATION_SCOPES:
        if run.structural:
            yield problem("invalid-command-binding", path, "expectedMutationScope must be doc, sync or local.")
        return
    if command is not None and command.mutation_scope != scope:
        yield problem(
            "binding-mutation-scope-mismatch",
            path,
            f"Command {command.id!r} has mutationScope {command.mutation_scope!r}, not {scope!r}.",
            expected=scope,
            actual=command.mutation_scope,
        )


def _binding_json(binding: dict[str, Any], path: str, run: _Run) -> Generator[Problem, None, bool]:
    """Returns True when payload and context are JSON-safe."""
    ok = True
    for key in ("payload", "context"):
        if key in binding:
            found = _json_safety(binding[key], f"{path}.{key}", run.structural)
            if found is not None:
                ok = False
                yield problem("invalid-binding-json", found.path, found.message, jsonCode=found.code, **found.detail)
    return ok


def _json_safety(value: Any, path: str, structural: bool) -> Problem | None:
    return check_json_safe(value, path) if structural else json_limits_problem(value, path)


def _binding_payload(payload: Any, path: str, command: CommandSpec) -> Iterator[Problem]:
    found = payload_problem(command, payload)
    if found is not None:
        yield problem(
            "invalid-binding-payload",
            path,
            f"The payload does not fit command {command.id!r}: {found}",
            commandId=command.id,
        )


def _capabilities_and_extensions(doc: dict[str, Any], run: _Run) -> Iterator[Problem]:
    if run.structural:
        yield from _capabilities(doc)
    yield from _extensions(doc, run)


def _capabilities(doc: dict[str, Any]) -> Iterator[Problem]:
    if "capabilitiesRequested" not in doc:
        return
    caps = doc["capabilitiesRequested"]
    path = f"{ROOT}.capabilitiesRequested"
    if not isinstance(caps, list):
        yield problem("invalid-capability-shape", path, "capabilitiesRequested must be an array of strings.")
        return
    for i, cap in enumerate(caps):
        if not isinstance(cap, str):
            yield problem("invalid-capability-shape", f"{path}[{i}]", "Each requested capability must be a string.")


def _extensions(doc: dict[str, Any], run: _Run) -> Iterator[Problem]:
    if "extensions" not in doc:
        return
    extensions = doc["extensions"]
    path = f"{ROOT}.extensions"
    if not isinstance(extensions, dict):
        if run.structural:
            yield problem("invalid-extensions", path, "extensions must be a JSON object.")
        return
    for key in sorted(extensions):
        if not key.startswith("x-"):
            if run.structural:
                yield problem("invalid-extension-key", f"{path}.{key}", f"Extension key {key!r} must start with 'x-'.")
            continue
        found = _json_safety(extensions[key], f"{path}.{key}", run.structural)
        if found is not None:
            yield problem("invalid-extension-value", found.path, found.message, jsonCode=found.code, **found.detail)


# --- after the stages ------------------------------------------------------------------------------


def downgrade_problem(version: str, registered: str | None, allow_downgrade: bool) -> Problem | None:
    if registered is None or allow_downgrade or not is_semver(registered) or not semver_lt(version, registered):
        return None
    return problem(
        "module-version-downgrade",
        f"{ROOT}.moduleVersion",
        f"moduleVersion {version} is older than the registered {registered}; allow the downgrade explicitly.",
        moduleVersion=version,
        registeredVersion=registered,
    )
