"""The HeavyModulePackageV1 rules, written once as a generator of problems in the fixed order.

``iter_package_problems`` yields every problem of a (migrated, adapted) v1 document in the seed's
six-stage order: import takes the first (fail-fast), lint takes them all. Each stage is a small
generator; later checks that need an earlier value to be well-formed skip silently when it is not,
so lint never reports one mistake twice and the first problem is always the fail-fast answer.

``structural=False`` skips the checks the published JSON Schema already decides; it is only used
after the compiled schema accepted the document (the fast path in :func:`first_problem`).

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

import json
import re
from collections.abc import Generator, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from operator import itemgetter
from typing import Any

import jsonschema_rs
import orjson

from modgate.errors import ModgateError, Problem
from modgate.host.model import CommandSpec, Host
from modgate.jsonsafety import check_json_safe
from modgate.modules.manifest import (
    deep_copy,
    is_nonempty_string,
    iter_manifest_problems,
    json_limits_problem,
    normalize_manifest,
    unknown_keys,
)

ROOT = "package"
PACKAGE_SCHEMA = "heavy-module-package.v1.schema.json"
MANIFEST_SCHEMA = "plugin-manifest.v1.schema.json"
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
_NUM = r"(?:0|[1-9][0-9]*)"
_PRE = r"(?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*)"
# SemVer 2.0.0 with explicit ASCII classes (``\d`` would accept non-ASCII digits); used with
# fullmatch, so a trailing newline is refused (``$`` would let it through).
SEMVER = re.compile(
    rf"({_NUM})\.({_NUM})\.({_NUM})(?:-({_PRE}(?:\.{_PRE})*))?(?:\+[0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*)?"
)


def problem(code: str, path: str, message: str, **detail: Any) -> Problem:
    return Problem(code=code, path=path, message=message, detail=detail)


def is_int(value: Any, wanted: int) -> bool:
    """``type(x) is int`` so that ``true`` is not 1 and ``1.0`` is not the integer literal 1."""
    return type(value) is int and value == wanted


# --- SemVer --------------------------------------------------------------------------------------


def is_semver(value: Any) -> bool:
    return isinstance(value, str) and SEMVER.fullmatch(value) is not None


def semver_key(version: str) -> tuple[Any, ...]:
    """A sort key giving SemVer 2.0.0 precedence (build metadata ignored)."""
    match = SEMVER.fullmatch(version)
    if match is None:
        raise ValueError(f"not a SemVer version: {version!r}")
    major, minor, patch, pre = match.groups()
    if pre is None:
        return (int(major), int(minor), int(patch), 1, ())
    # Numeric identifiers sort before alphanumeric ones, and numerically among themselves.
    ids = tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in pre.split("."))
    return (int(major), int(minor), int(patch), 0, ids)


def semver_lt(a: str, b: str) -> bool:
    return semver_key(a) < semver_key(b)


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
        yield from _app_range(compat, run.host.app_version, path)


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


def _app_range(compat: dict[str, Any], app_version: str, path: str) -> Iterator[Problem]:
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


# --- the bound command's payload, checked as the bus will check it at the first click ---------------

_VALIDATORS: dict[int, tuple[Any, Any]] = {}


def _payload_validator(command: CommandSpec) -> Any:
    # Keyed by the schema object's id; the cached tuple keeps the schema alive, and the identity
    # check guards against a recycled id.
    schema = command.payload_schema
    cached = _VALIDATORS.get(id(schema))
    if cached is None or cached[0] is not schema:
        cached = (schema, jsonschema_rs.validator_for(schema))
        _VALIDATORS[id(schema)] = cached
    return cached[1]


def payload_problem(command: CommandSpec, payload: Any) -> str | None:
    """Why ``payload`` would be refused by the bus (normalize, schema, check), or None."""
    try:
        value = command.normalize(payload) if command.normalize is not None else payload
        error = next(iter(_payload_validator(command).iter_errors(value)), None)
        if error is not None:
            where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.instance_path)
            return f"{error.message} (at payload{where})"
        if command.check is not None:
            command.check(value, None)
    except ModgateError as exc:
        return exc.message
    except Exception as exc:  # a host normalizer/check must not turn bad input into a traceback
        return f"the command's payload check failed ({type(exc).__name__})"
    return None


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


def first_problem(doc: Any, host: Host, *, from_json: bool = False) -> Problem | None:
    """The fail-fast answer. ``from_json`` (strict-loaded data) enables the schema fast paths.

    Tier 1: the published schema with "surely small" payload/context/extension values accepts the
    document and :func:`fast_checks.all_clear` finds nothing: no problem. Tier 2: the published
    schema accepts it: only the cross-checks run (in order). Tier 3: the ordered Python rules.
    """
    if from_json:
        if _is_valid(small_values_validator(), doc) and all_clear(doc, host):
            return None
        if _is_valid(package_validator(), doc):
            return next(iter_package_problems(doc, host, structural=False), None)
    return next(iter_package_problems(doc, host), None)


def load_schema(name: str) -> dict[str, Any]:
    """A published schema (``modgate/schemas/<name>``): a fresh copy, so callers may change it."""
    schema: dict[str, Any] = json.loads(_schema_text(name))
    return schema


@cache
def _schema_text(name: str) -> str:
    return resources.files("modgate").joinpath("schemas", name).read_text(encoding="utf-8")


@cache
def package_validator() -> Any:
    return jsonschema_rs.validator_for(load_schema(PACKAGE_SCHEMA))


@cache
def small_values_validator() -> Any:
    """The published schema with payload/context/extension values narrowed to "surely small".

    Containers at most two levels deep with at most 6 members each, strings and keys at most 24
    characters: at most 43 containers, and even with every character escaped as \\uXXXX (6 UTF-16
    units) and 25-character numbers, JSON.stringify stays under 12,500 units - so the 512-node and
    16,384-unit limits cannot fire and need no counting.
    """
    schema = load_schema(PACKAGE_SCHEMA)
    defs = schema["$defs"]
    forbidden = defs["jsonSafe0"]["propertyNames"]
    for depth in range(3):
        small: dict[str, Any] = {"maxLength": 24, "propertyNames": {"maxLength": 24, **forbidden}}
        if depth < 2:
            child = {"$ref": f"#/$defs/small{depth + 1}"}
            small |= {"maxProperties": 6, "maxItems": 6, "additionalProperties": child, "items": child}
        else:
            small |= {"maxProperties": 0, "maxItems": 0}
        defs[f"small{depth}"] = small
    defs["jsonSafe0"] = {"$ref": "#/$defs/small0"}
    return jsonschema_rs.validator_for(schema)


def _is_valid(validator: Any, doc: Any) -> bool:
    try:
        return bool(validator.is_valid(doc))
    except (ValueError, OverflowError):  # a value jsonschema-rs cannot convert: let Python decide
        return False


# --- the normalized copy ----------------------------------------------------------------------------


def normalize_package(doc: dict[str, Any], *, copy: bool = True) -> dict[str, Any]:
    """A valid package with a fixed key order and defaults for the optional collections.

    ``copy=False`` (for a document the importer parsed itself, so nobody else holds it) shares
    the manifest entries and bindings instead of deep-copying them: on 165 KiB that copy alone
    costs more than parsing.
    """
    if not copy:
        return _normalize_shallow(doc)
    out: dict[str, Any] = {
        "packageAbiVersion": 1,
        "moduleId": doc["moduleId"],
        "moduleVersion": doc["moduleVersion"],
        "displayName": doc["displayName"],
    }
    if "description" in doc:
        out["description"] = doc["description"]
    out["compatibility"] = _normalize_compat(doc["compatibility"])
    out["pluginManifest"] = normalize_manifest(doc["pluginManifest"])
    out["commandBindings"] = [_normalize_binding(b) for b in doc["commandBindings"]]
    out["capabilitiesRequested"] = list(doc.get("capabilitiesRequested", []))
    out["extensions"] = {k: deep_copy(doc["extensions"][k]) for k in sorted(doc.get("extensions", {}))}
    return out


def _normalize_shallow(doc: dict[str, Any]) -> dict[str, Any]:
    keys = ("packageAbiVersion", "moduleId", "moduleVersion", "displayName", "description")
    out = {k: doc[k] for k in keys if k in doc}
    out["packageAbiVersion"] = 1
    out["compatibility"] = _normalize_compat(doc["compatibility"])
    out["pluginManifest"] = {**doc["pluginManifest"], "manifestVersion": 1}  # 1.0 -> 1
    out["commandBindings"] = doc["commandBindings"]
    out["capabilitiesRequested"] = doc.get("capabilitiesRequested", [])
    out["extensions"] = doc.get("extensions", {})
    return out


def _normalize_compat(compat: dict[str, Any]) -> dict[str, Any]:
    out = {"pluginManifestVersion": 1, "commandBusContractVersion": 1}
    return out | {k: compat[k] for k in ("minAppVersion", "maxAppVersionExclusive") if k in compat}


def _normalize_binding(binding: dict[str, Any]) -> dict[str, Any]:
    keys = ("bindingId", "uiEntryId", "commandId", "payload", "context", "expectedMutationScope")
    return {k: deep_copy(binding[k]) for k in keys if k in binding}


# --- tier 1: one tight pass over a document the small-values schema accepted -------------------------


def all_clear(doc: dict[str, Any], host: Host) -> bool:
    """True only when no rule can fire; False means "look closer" (never "there is a problem").

    An optimisation of the ordered cross-checks for the common, valid case: it must never be more
    lenient than :func:`iter_package_problems` (tests/property check both agree on every input).
    """
    compat = doc["compatibility"]
    if not (type(doc["packageAbiVersion"]) is int and type(compat["pluginManifestVersion"]) is int):
        return False
    if type(compat["commandBusContractVersion"]) is not int:
        return False
    if next(_app_range(compat, host.app_version, ""), None) is not None:
        return False
    manifest = doc["pluginManifest"]
    if manifest["pluginId"] != doc["moduleId"]:
        return False
    actions = _ui_actions(manifest["ui"], host.commands)
    return actions is not None and _bindings_clear(doc["commandBindings"], actions, host)


def _ui_actions(ui: list[dict[str, Any]], commands: Mapping[str, CommandSpec]) -> dict[str, str] | None:
    """entry id -> action commandId (entries with an action), or None when something is off."""
    ids: set[str] = set()
    actions: dict[str, str] = {}
    for entry in ui:
        entry_id = entry["id"]
        if entry_id in ids:
            return None
        ids.add(entry_id)
        action = entry.get("action")
        if action is not None:
            if action["commandId"] not in commands:
                return None
            actions[entry_id] = action["commandId"]
    # Entries without an action cannot be bound (command-id-mismatch): all bindings use `actions`.
    return actions


def _bindings_clear(bindings: list[dict[str, Any]], actions: dict[str, str], host: Host) -> bool:
    # Whole-list set arithmetic instead of a per-binding loop: this runs on every valid import.
    binding_ids = list(map(_BINDING_ID, bindings))
    entry_ids = list(map(_UI_ENTRY_ID, bindings))
    entry_set = set(entry_ids)
    # Unique binding ids; each ui action bound exactly once (no unknown, duplicate or missing entry).
    if len(set(binding_ids)) != len(binding_ids) or len(entry_set) != len(entry_ids) or entry_set != actions.keys():
        return False
    command_ids = list(map(_COMMAND_ID, bindings))
    if [actions[e] for e in entry_ids] != command_ids:
        return False
    uses = {(b["commandId"], b.get("expectedMutationScope"), orjson.dumps(b.get("payload"))) for b in bindings}
    commands = host.commands
    return all(_use_ok(commands[c], scope, payload) for c, scope, payload in uses)


_BINDING_ID = itemgetter("bindingId")
_UI_ENTRY_ID = itemgetter("uiEntryId")
_COMMAND_ID = itemgetter("commandId")
_PAYLOAD_OK: dict[tuple[int, bytes], tuple[CommandSpec, bool]] = {}


def _use_ok(command: CommandSpec, scope: str | None, payload: bytes) -> bool:
    if scope is not None and scope != command.mutation_scope:
        return False
    # Packages repeat the same few payloads; memoise per command object and serialised payload.
    key = (id(command), payload)
    cached = _PAYLOAD_OK.get(key)
    if cached is None or cached[0] is not command:
        if len(_PAYLOAD_OK) > 4096:
            _PAYLOAD_OK.clear()
        cached = (command, payload_problem(command, orjson.loads(payload)) is None)
        _PAYLOAD_OK[key] = cached
    return cached[1]
