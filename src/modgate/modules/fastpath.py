"""The fail-fast answer, fast: three tiers over the ordered rules of :mod:`package_rules`.

Tier 1: the quick schema (the published one with "surely small" values, and four id fields left
to :func:`all_clear`) accepts the document and :func:`all_clear` finds nothing. Tier 2: the
published schema accepts it; only the cross-checks run. Tier 3: the ordered Python rules. Never
more lenient than the rules (a property test and tests/test_fastpath.py check they agree).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any

import orjson

from modgate.errors import Problem
from modgate.host.model import CommandSpec, Host
from modgate.modules.manifest import is_nonempty_string
from modgate.modules.package_rules import iter_package_problems
from modgate.modules.payloads import payload_problem
from modgate.modules.schemas import is_valid, package_validator, quick_validator
from modgate.modules.semver import semver_key


def first_problem(doc: Any, host: Host, *, from_json: bool = False, quick: bool | None = None) -> Problem | None:
    """The fail-fast answer. ``from_json`` (strict-loaded data) enables the schema fast paths.

    Tier 1: the quick schema (:func:`~modgate.modules.schemas.quick_validator`) accepts the
    document and :func:`all_clear` finds nothing: no problem. Tier 2: the published schema accepts
    it: only the cross-checks run (in order). Tier 3: the ordered Python rules. ``quick`` is the
    quick schema's answer when the caller has it already (None: ask it).
    """
    if from_json:
        if quick is None:
            quick = is_valid(quick_validator(), doc)
        if quick and all_clear(doc, host):
            return None
        if is_valid(package_validator(), doc):
            return next(iter_package_problems(doc, host, structural=False), None)
    return next(iter_package_problems(doc, host), None)


def all_clear(doc: dict[str, Any], host: Host) -> bool:
    """True only when no rule can fire; False means "look closer" (never "there is a problem").

    An optimisation of the ordered rules for the common, valid case, only sound after the quick
    schema accepted ``doc``: it must never be more lenient than :func:`iter_package_problems`
    (tests/test_fastpath.py and tests/property check both agree). It also stands in for the
    non-empty-string patterns the quick schema leaves out: pluginId equals the (pattern-checked)
    moduleId, every action's commandId is a host command id that is a non-empty string, and every
    binding's uiEntryId and commandId equal a (pattern-checked) ui entry id and its action's
    commandId.
    """
    compat = doc["compatibility"]
    if not (type(doc["packageAbiVersion"]) is int and type(compat["pluginManifestVersion"]) is int):
        return False
    if type(compat["commandBusContractVersion"]) is not int or not _range_clear(compat, host.app_version):
        return False
    manifest = doc["pluginManifest"]
    if manifest["pluginId"] != doc["moduleId"]:
        return False
    actions = _ui_actions(manifest["ui"], host.commands)
    return actions is not None and _bindings_clear(doc["commandBindings"], actions, host)


def _range_clear(compat: dict[str, Any], app_version: str) -> bool:
    """No problem from :func:`~modgate.modules.package_rules.app_range_problems`, each bound parsed once."""
    low, high = compat.get("minAppVersion"), compat.get("maxAppVersionExclusive")
    app = _app_key(app_version)
    low_key = None if low is None else _bound_key(low)
    high_key = None if high is None else _bound_key(high)
    if low_key is not None and (app < low_key or (high_key is not None and not low_key < high_key)):
        return False
    return high_key is None or app < high_key


@lru_cache(maxsize=8)
def _app_key(app_version: str) -> tuple[Any, ...]:
    # Only ever called with a host's own version: a per-host fact, never a package's input.
    return semver_key(app_version)


def _bound_key(version: str) -> tuple[Any, ...]:
    """:func:`semver_key` of a version the schema's SemVer pattern accepted; a plain ``X.Y.Z``
    (only digits and two dots, so nothing else to parse) without the regex."""
    if "-" in version or "+" in version:
        return semver_key(version)
    major, minor, patch = version.split(".")
    return (int(major), int(minor), int(patch), 1, ())


def _ui_actions(ui: list[dict[str, Any]], commands: Mapping[str, CommandSpec]) -> dict[str, str] | None:
    """entry id -> action commandId (entries with an action), or None when something is off."""
    actions = {entry["id"]: action["commandId"] for entry in ui if (action := entry.get("action")) is not None}
    # When every entry has an action, the map's size already says whether the ids are unique.
    if len(actions) != len(ui) and len({entry["id"] for entry in ui}) != len(ui):
        return None
    # The quick schema only says "string": a host command id that is a non-empty string stands in
    # for the nonEmptyString pattern (a host may register any id).
    used = set(actions.values())
    if not all(c in commands and is_nonempty_string(c) for c in used):
        return None
    # Entries without an action cannot be bound (command-id-mismatch): all bindings use `actions`.
    return actions


def _bindings_clear(bindings: list[dict[str, Any]], actions: dict[str, str], host: Host) -> bool:
    if len({b["bindingId"] for b in bindings}) != len(bindings) or len(bindings) != len(actions):
        return False
    # Each ui action bound exactly once to its own command: as many bindings as actions, and their
    # uiEntryId -> commandId map is the actions map (so no unknown, duplicate or missing entry).
    if {b["uiEntryId"]: b["commandId"] for b in bindings} != actions:
        return False
    dumps = orjson.dumps
    uses = {(b["commandId"], b.get("expectedMutationScope"), dumps(b.get("payload"))) for b in bindings}
    commands = host.commands
    return all(_use_ok(commands[c], scope, payload) for c, scope, payload in uses)


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
