"""The import fast path refuses exactly what the ordered Python rules refuse (differential tests).

Tier 1 (the quick schema + ``all_clear``) leaves four id patterns to comparisons and checks the
bindings with whole-list set arithmetic; each mutation below aims at one thing it stands in for.
For every mutated package: the fast answer (``first_problem(..., from_json=True)``) equals the
slow one (the ordered rules alone), and ``import_bytes`` reports that same first problem.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from modgate.host.board import board_host
from modgate.host.model import Host
from modgate.modules import fastpath
from modgate.modules.fastpath import all_clear, first_problem
from modgate.modules.package import failure_envelope, import_bytes
from modgate.modules.schemas import is_valid, quick_validator
from modgate.strictjson import dumps, loads

HOST = board_host()
Doc = dict[str, Any]

# (commandId, payload) cycled through, as the import benchmark does.
_ACTIONS: list[tuple[str, dict[str, Any]]] = [
    ("setTool", {"tool": "pen"}),
    ("setViewMode", {"mode": "presentation"}),
    ("setPenColor", {"color": "#FF0000"}),
    ("setPenWidth", {"width": 4}),
    ("nextPage", {}),
]


def package(entries: int = 12) -> Doc:
    """A valid package with ``entries`` ui actions, each bound once (plus one entry without action)."""
    ui: list[Doc] = [{"id": "plain", "slot": "left-panel", "type": "panel"}]
    bindings: list[Doc] = []
    for i in range(entries):
        command_id, payload = _ACTIONS[i % len(_ACTIONS)]
        ui.append({"id": f"entry-{i}", "slot": "toolbar-bottom", "type": "button",
                   "action": {"commandId": command_id, "payload": payload}})
        bindings.append({"bindingId": f"binding-{i}", "uiEntryId": f"entry-{i}", "commandId": command_id,
                         "payload": copy.deepcopy(payload), "context": {"index": i},
                         "expectedMutationScope": HOST.commands[command_id].mutation_scope})
    return {
        "packageAbiVersion": 1, "moduleId": "diff-module", "moduleVersion": "1.0.0", "displayName": "Diff",
        "compatibility": {"pluginManifestVersion": 1, "commandBusContractVersion": 1,
                          "minAppVersion": "10.0.0", "maxAppVersionExclusive": "11.0.0"},
        "pluginManifest": {"manifestVersion": 1, "pluginId": "diff-module", "ui": ui},
        "commandBindings": bindings,
        "capabilitiesRequested": ["ui.slot.render"],
        "extensions": {"x-diff": {"k": 1}},
    }


def _set(path: tuple[Any, ...], value: Any) -> Callable[[Doc], None]:
    def apply(doc: Doc) -> None:
        target: Any = doc
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value
    return apply


def _delete(path: tuple[Any, ...]) -> Callable[[Doc], None]:
    def apply(doc: Doc) -> None:
        target: Any = doc
        for step in path[:-1]:
            target = target[step]
        del target[path[-1]]
    return apply


def _append_binding(doc: Doc) -> None:
    doc["commandBindings"].append({**doc["commandBindings"][0], "bindingId": "binding-extra"})


def _bind_plain_entry(doc: Doc) -> None:
    doc["commandBindings"].append({"bindingId": "binding-plain", "uiEntryId": "plain", "commandId": "nextPage"})


def _only_action_entries_one_id_twice(doc: Doc) -> None:
    # Every entry has an action (the map's size decides uniqueness), and one id is used twice.
    ui = doc["pluginManifest"]["ui"]
    del ui[0]
    ui[1]["id"] = ui[0]["id"]


def _swap_entries(doc: Doc) -> None:
    first, second = doc["commandBindings"][0], doc["commandBindings"][1]
    first["uiEntryId"], second["uiEntryId"] = second["uiEntryId"], first["uiEntryId"]


_BLANKS = ["", " ", "\u00a0", "\u3000", "\ufeff", "\n"]
UI = ("pluginManifest", "ui")
B = ("commandBindings",)
COMPAT = ("compatibility",)

MUTATIONS: dict[str, Callable[[Doc], None]] = {
    **{f"pluginId={v!r}": _set(("pluginManifest", "pluginId"), v) for v in [*_BLANKS, "other-module", 5, None]},
    **{f"action.commandId={v!r}": _set((*UI, 1, "action", "commandId"), v)
       for v in [*_BLANKS, "noSuchCommand", "setPenColor", 7]},
    **{f"binding.commandId={v!r}": _set((*B, 0, "commandId"), v)
       for v in [*_BLANKS, "noSuchCommand", "setViewMode", " setTool", ["setTool"]]},
    **{f"binding.uiEntryId={v!r}": _set((*B, 0, "uiEntryId"), v)
       for v in [*_BLANKS, "entry-1", "plain", "nope", " entry-0", {"id": "entry-0"}]},
    **{f"bindingId={v!r}": _set((*B, 2, "bindingId"), v) for v in [*_BLANKS, "binding-1"]},
    **{f"ui.id={v!r}": _set((*UI, 2, "id"), v) for v in [*_BLANKS, "entry-0", "plain"]},
    "entry without action takes an action's id": _set((*UI, 0, "id"), "entry-0"),
    "scope=doc": _set((*B, 0, "expectedMutationScope"), "doc"),
    "scope=None": _set((*B, 0, "expectedMutationScope"), None),
    "scope absent": _delete((*B, 0, "expectedMutationScope")),
    "payload invalid": _set((*B, 2, "payload"), {"color": "red"}),
    "payload extra key": _set((*B, 0, "payload"), {"tool": "pen", "x": 1}),
    "payload true for 1": _set((*B, 3, "payload"), {"width": True}),
    "payload 4.0": _set((*B, 3, "payload"), {"width": 4.0}),
    "payload null": _set((*B, 4, "payload"), None),
    "payload absent": _delete((*B, 4, "payload")),
    "payload padded enum": _set((*B, 0, "payload"), {"tool": " pen "}),
    "payload big": _set((*B, 1, "context"), {"items": [[] for _ in range(600)]}),
    "context long strings": _set((*B, 1, "context"), {"note": "x" * 40, "y" * 30: [1, [2, [3]]]}),
    "context forbidden key": _set((*B, 1, "context"), {"html": "<b>"}),
    "binding removed": _delete((*B, 3)),
    "binding appended": _append_binding,
    "plain entry bound": _bind_plain_entry,
    "entries swapped": _swap_entries,
    "only action entries, one id twice": _only_action_entries_one_id_twice,
    "action removed": _delete((*UI, 1, "action")),
    "packageAbiVersion 1.0": _set(("packageAbiVersion",), 1.0),
    "pluginManifestVersion 1.0": _set((*COMPAT, "pluginManifestVersion"), 1.0),
    "commandBusContractVersion 1.0": _set((*COMPAT, "commandBusContractVersion"), 1.0),
    "manifestVersion 1.0": _set(("pluginManifest", "manifestVersion"), 1.0),
    **{f"min={v!r}": _set((*COMPAT, "minAppVersion"), v)
       for v in ["10.4.0", "10.4.1", "10.4.0-rc.1", "10.4.0+build.5", "11.0.0", "1.0", None]},
    **{f"max={v!r}": _set((*COMPAT, "maxAppVersionExclusive"), v)
       for v in ["10.4.0", "10.4.1-alpha", "10.4.0+b", "10.0.0", "9.0.0", None, "12"]},
    "min absent": _delete((*COMPAT, "minAppVersion")),
    "moduleId=host": _set(("moduleId",), "host"),
}


def _answers(doc: Doc, host: Host = HOST) -> tuple[Any, Any]:
    fastpath._PAYLOAD_OK.clear()
    fast = first_problem(copy.deepcopy(doc), host, from_json=True)
    slow = first_problem(copy.deepcopy(doc), host)
    return fast, slow


def test_the_unmutated_package_takes_tier_1() -> None:
    doc = package()
    assert is_valid(quick_validator(), doc) and all_clear(doc, HOST)
    assert import_bytes(dumps(doc), HOST).ok


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_fast_path_agrees_with_the_rules(name: str) -> None:
    doc = package()
    MUTATIONS[name](doc)
    fast, slow = _answers(doc)
    assert fast == slow, name
    outcome = import_bytes(dumps(doc), HOST)
    if slow is not None:
        assert outcome.envelope == failure_envelope(slow)
    # Tier 1 alone is never more lenient than the rules.
    if is_valid(quick_validator(), doc) and all_clear(loads(dumps(doc)), HOST):
        assert slow is None, name


def test_mutations_reach_the_checks_tier_1_stands_in_for() -> None:
    """The mutation list is not vacuous: most mutations are refused, by many different codes."""
    codes = set()
    for mutate in MUTATIONS.values():
        doc = package()
        mutate(doc)
        slow = _answers(doc)[1]
        if slow is not None:
            codes.add(slow.code)
    assert {"manifest-validation-error", "invalid-command-binding", "unknown-command-id", "command-id-mismatch",
            "unknown-ui-entry-id", "duplicate-ui-entry-binding", "duplicate-command-binding-id",
            "binding-mutation-scope-mismatch", "invalid-binding-payload", "invalid-binding-json",
            "missing-binding-for-ui-action", "module-id-plugin-id-mismatch", "invalid-package-abi-version",
            "app-version-out-of-range", "invalid-compatibility"} <= codes


def _odd_host() -> Host:
    """A host registering command ids the nonEmptyString pattern refuses ('', ' ', no-break space)."""
    commands = dict(HOST.commands)
    for odd in ("", " ", "\u00a0"):
        commands[odd] = dataclasses.replace(HOST.commands["nextPage"], id=odd)
    return dataclasses.replace(HOST, commands=commands)


@pytest.mark.parametrize("odd", ["", " ", "\u00a0"])
def test_a_host_command_id_never_stands_in_for_the_pattern(odd: str) -> None:
    host = _odd_host()
    doc = package()
    for i, binding in enumerate(doc["commandBindings"]):
        if binding["commandId"] == "nextPage":
            binding["commandId"] = odd
            doc["pluginManifest"]["ui"][i + 1]["action"]["commandId"] = odd
    assert is_valid(quick_validator(), doc) and not all_clear(doc, host)
    fast, slow = _answers(doc, host)
    assert fast == slow and slow is not None


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.lists(st.sampled_from(sorted(MUTATIONS)), min_size=1, max_size=3), st.integers(2, 20))
def test_combined_mutations_agree(names: list[str], entries: int) -> None:
    doc = package(entries)
    for name in names:
        try:
            MUTATIONS[name](doc)
        except (KeyError, IndexError, TypeError):
            continue  # an earlier mutation removed what this one aims at
    fast, slow = _answers(doc)
    assert fast == slow, names


def test_nesting_orjson_cannot_reserialise_is_a_coded_refusal() -> None:
    """256..1024 levels: orjson parses them but cannot serialise them again (a traceback once)."""
    data = dumps(package(2))[:-1] + b',"x-deep":' + b"[" * 300 + b"]" * 300 + b"}"
    envelope = import_bytes(data, HOST).envelope
    assert (envelope["code"], envelope["detail"]["jsonCode"]) == ("invalid-package-root", "json-too-deep")


_FREE_SLOTS = [(*UI, 1, "action", "payload"), (*UI, 1, "action", "context"), (*B, 0, "payload"), (*B, 0, "context"),
               ("extensions", "x-diff")]


@pytest.mark.parametrize("slot", _FREE_SLOTS, ids=lambda s: ".".join(map(str, s)))
@pytest.mark.parametrize("depth", [4, 129, 200, 300])
def test_what_the_quick_schema_accepts_is_shallow(slot: tuple[Any, ...], depth: int) -> None:
    """import_bytes defers the loader's depth check to the quick schema: every free slot refuses
    a fourth level, and a too deep package is refused by the loader's own check (json-too-deep)."""
    doc = package(2)
    value: Any = {"k": 1}
    for _ in range(depth - 1):
        value = [value]
    _set(slot, value)(doc)
    assert not is_valid(quick_validator(), doc)
    envelope = import_bytes(dumps(doc) if depth < 255 else _deep_bytes(doc, slot, depth), HOST).envelope
    if depth > 128:
        assert (envelope["code"], envelope["detail"]["jsonCode"]) == ("invalid-package-root", "json-too-deep")
    else:
        assert envelope["code"] != "invalid-package-root"


def _deep_bytes(doc: Doc, slot: tuple[Any, ...], depth: int) -> bytes:
    # orjson cannot serialise 255+ levels: splice the nesting into the text.
    _set(slot, "@DEEP@")(doc)
    nested = b"[" * (depth - 1) + b'{"k":1}' + b"]" * (depth - 1)
    return dumps(doc).replace(b'"@DEEP@"', nested)
