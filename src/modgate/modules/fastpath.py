"""The fail-fast answer, fast: three tiers over the ordered rules of :mod:`package_rules`.

Tier 1: the published schema with "surely small" values accepts the document and :func:`all_clear`
finds nothing. Tier 2: the published schema accepts it; only the cross-checks run. Tier 3: the
ordered Python rules. Never more lenient than the rules (a property test checks they agree).
"""

from __future__ import annotations

from collections.abc import Mapping
from operator import itemgetter
from typing import Any

import orjson

from modgate.errors import Problem
from modgate.host.model import CommandSpec, Host
from modgate.modules.package_rules import app_range_problems, iter_package_problems
from modgate.modules.payloads import payload_problem
from modgate.modules.schemas import is_valid, package_validator, small_values_validator


def first_problem(doc: Any, host: Host, *, from_json: bool = False) -> Problem | None:
    """The fail-fast answer. ``from_json`` (strict-loaded data) enables the schema fast paths.

    Tier 1: the published schema with "surely small" payload/context/extension values accepts the
    document and :func:`all_clear` finds nothing: no problem. Tier 2: the published
    schema accepts it: only the cross-checks run (in order). Tier 3: the ordered Python rules.
    """
    if from_json:
        if is_valid(small_values_validator(), doc) and all_clear(doc, host):
            return None
        if is_valid(package_validator(), doc):
            return next(iter_package_problems(doc, host, structural=False), None)
    return next(iter_package_problems(doc, host), None)


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
    if next(app_range_problems(compat, host.app_version, ""), None) is not None:
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
