"""Plugin manifest v1: the source app's ``validateDeclarativePluginManifest``, and a registry.

The rules (companion spec B1) run in one fixed order and are written once, as a generator of
:class:`~modgate.errors.Problem` values in that order: ``validate_manifest`` (fail-fast) takes the
first one, ``iter_manifest_problems`` (lint) takes them all. Structure comes first; unknown command
ids are checked against the host's registry only after the whole structure passes, so the first
problem is always the one the source app reports.

Decisions where the source is JavaScript and Python differs (documented in docs/errors.md):

- "plain object" is a ``dict``; anything else (list, str, None, ...) is not.
- ``manifestVersion === 1``: JavaScript cannot tell ``1.0`` from ``1``, so an int 1 or a float 1.0
  passes; ``true`` does not (``true === 1`` is false).
- "non-empty" strings are non-empty after JavaScript's ``String.prototype.trim`` (its whitespace
  set, not Python's); values are stored untrimmed.
- Added rule: ui entry ids are unique within a manifest (``duplicate-ui-id``, reported on the later
  entry, right after that entry's ``invalid-ui-id`` check).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from modgate.errors import Problem
from modgate.host.model import CommandSpec
from modgate.payloadlimits import check_json_safe

MANIFEST_KEYS = frozenset({"manifestVersion", "pluginId", "ui"})
UI_ENTRY_KEYS = frozenset({"id", "slot", "type", "props", "action"})
PROPS_KEYS = frozenset({"label", "icon", "disabled"})
ACTION_KEYS = frozenset({"commandId", "payload", "context"})
KNOWN_UI_SLOTS: tuple[str, ...] = ("chrome-top-toolbar", "left-panel", "toolbar-inline", "toolbar-bottom")
UI_TYPES = frozenset({"button", "panel"})

# ECMAScript WhiteSpace + LineTerminator: what String.prototype.trim removes.
_JS_WHITESPACE = (
    "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000\ufeff"
)


def js_trim(text: str) -> str:
    """``String.prototype.trim``: Python's ``str.strip()`` uses a different whitespace set."""
    return text.strip(_JS_WHITESPACE)


def is_nonempty_string(value: Any) -> bool:
    return isinstance(value, str) and js_trim(value) != ""


def is_js_one(value: Any) -> bool:
    """``value === 1`` in JavaScript: int 1 or float 1.0, never a bool."""
    return type(value) in (int, float) and value == 1


def problem(code: str, path: str, message: str, **detail: Any) -> Problem:
    return Problem(code=code, path=path, message=message, detail=detail)


def unknown_keys(obj: Mapping[str, Any], allowed: frozenset[str]) -> list[str]:
    """Keys outside ``allowed``, in sorted order so the first reported offender is deterministic."""
    return sorted(k for k in obj if k not in allowed)


@dataclass(frozen=True, slots=True, kw_only=True)
class ManifestResult:
    """``{ok: true, value}`` or ``{ok: false, code, path, message}``."""

    ok: bool
    value: dict[str, Any] | None = None
    problem: Problem | None = None

    def to_dict(self) -> dict[str, Any]:
        if self.ok:
            return {"ok": True, "value": self.value}
        assert self.problem is not None
        p = self.problem
        return {"ok": False, "code": p.code, "path": p.path, "message": p.message}


# --- the rules, in the source's fixed order -------------------------------------------------------


def iter_manifest_problems(
    value: Any,
    commands: Mapping[str, CommandSpec] | None,
    *,
    root: str = "manifest",
    slots: Iterable[str] = KNOWN_UI_SLOTS,
    structural: bool = True,
) -> Iterator[Problem]:
    """Every problem of ``value`` in the fixed order; the first one is the fail-fast answer.

    ``commands=None`` is the structure-only guard (``isDeclarativePluginManifestV1``).
    ``structural=False`` runs only what the published JSON Schema cannot decide (duplicate ids,
    the JSON node/size limits, unknown command ids): for documents the schema already accepted.
    """
    if not structural:
        yield from _cross_checks(value, commands, root)
        return
    if not isinstance(value, dict):
        yield problem("invalid-manifest-root", root, "The manifest must be a JSON object.")
        return
    for key in unknown_keys(value, MANIFEST_KEYS):
        yield problem("invalid-manifest-key", f"{root}.{key}", f"Unknown manifest key {key!r}.", key=key)
    if not is_js_one(value.get("manifestVersion")):
        yield problem("invalid-manifest-version", f"{root}.manifestVersion", "manifestVersion must be 1.")
    if not is_nonempty_string(value.get("pluginId")):
        yield problem("invalid-plugin-id", f"{root}.pluginId", "pluginId must be a non-empty string.")
    ui = value.get("ui")
    if not isinstance(ui, list):
        yield problem("invalid-ui-array", f"{root}.ui", "ui must be an array (it may be empty).")
        return
    seen: set[str] = set()
    allowed_slots = frozenset(slots)
    for i, entry in enumerate(ui):
        yield from _ui_entry(entry, f"{root}.ui[{i}]", seen, allowed_slots)
    if commands is not None:
        # After every structural check (the source's step 7), so a fail-fast caller sees a
        # structural problem first; lint still learns about unknown ids of well-formed actions.
        yield from _unknown_command_ids(ui, commands, root)


def _ui_entry(entry: Any, path: str, seen: set[str], slots: frozenset[str]) -> Iterator[Problem]:
    if not isinstance(entry, dict):
        yield problem("invalid-ui-entry", path, "A ui entry must be a JSON object.")
        return
    for key in unknown_keys(entry, UI_ENTRY_KEYS):
        yield problem("invalid-ui-entry-key", f"{path}.{key}", f"Unknown ui entry key {key!r}.", key=key)
    yield from _ui_id(entry.get("id"), f"{path}.id", seen)
    if not isinstance(entry.get("slot"), str) or entry["slot"] not in slots:
        yield problem("invalid-ui-slot", f"{path}.slot", "slot must be one of " + ", ".join(sorted(slots)) + ".")
    if not isinstance(entry.get("type"), str) or entry["type"] not in UI_TYPES:
        yield problem("invalid-ui-type", f"{path}.type", "type must be 'button' or 'panel'.")
    if "props" in entry:
        yield from _ui_props(entry["props"], f"{path}.props")
    if "action" in entry:
        yield from _ui_action(entry["action"], f"{path}.action")


def _ui_id(entry_id: Any, path: str, seen: set[str]) -> Iterator[Problem]:
    if not is_nonempty_string(entry_id):
        yield problem("invalid-ui-id", path, "id must be a non-empty string.")
        return
    if entry_id in seen:
        yield problem("duplicate-ui-id", path, f"ui entry id {entry_id!r} is used twice.", id=entry_id)
    seen.add(entry_id)


def _ui_props(props: Any, path: str) -> Iterator[Problem]:
    if not isinstance(props, dict):
        yield problem("invalid-ui-props", path, "props must be a JSON object.")
        return
    for key in unknown_keys(props, PROPS_KEYS):
        yield problem("invalid-ui-props-key", f"{path}.{key}", f"Unknown props key {key!r}.", key=key)
    for key in sorted(PROPS_KEYS & props.keys()):
        wanted = bool if key == "disabled" else str
        if not isinstance(props[key], wanted):
            kind = "a boolean" if wanted is bool else "a string"
            yield problem("invalid-ui-props-value", f"{path}.{key}", f"props.{key} must be {kind}.", key=key)


def _ui_action(action: Any, path: str) -> Iterator[Problem]:
    if not isinstance(action, dict):
        yield problem("invalid-ui-action", path, "action must be a JSON object.")
        return
    for key in unknown_keys(action, ACTION_KEYS):
        yield problem("invalid-ui-action-key", f"{path}.{key}", f"Unknown action key {key!r}.", key=key)
    if not is_nonempty_string(action.get("commandId")):
        yield problem("invalid-command-id", f"{path}.commandId", "action.commandId must be a non-empty string.")
    for key in ("payload", "context"):
        if key in action:
            found = check_json_safe(action[key], f"{path}.{key}")
            if found is not None:
                yield found


def _cross_checks(value: Any, commands: Mapping[str, CommandSpec] | None, root: str) -> Iterator[Problem]:
    seen: set[str] = set()
    for i, entry in enumerate(value["ui"]):
        path = f"{root}.ui[{i}]"
        yield from _ui_id(entry["id"], f"{path}.id", seen)
        action = entry.get("action")
        for key in ("payload", "context"):
            if action is not None and key in action:
                found = json_limits_problem(action[key], f"{path}.action.{key}")
                if found is not None:
                    yield found
    if commands is not None:
        yield from _unknown_command_ids(value["ui"], commands, root)


# Two bytes per container at least, and a JS number is at most ~6x its shortest orjson spelling
# (1e20 -> 100000000000000000000): at or under this many orjson bytes, a value can exceed neither
# the 512-node nor the 16384-unit limit, so the exact (slower) count is skipped.
_SURELY_SMALL = 1024


def json_limits_problem(value: Any, path: str) -> Problem | None:
    """The JSON-safety check for a value whose depth, keys and types are already known good."""
    try:
        small = len(orjson.dumps(value)) <= _SURELY_SMALL
    except orjson.JSONEncodeError:
        small = False
    return None if small else check_json_safe(value, path)


def _unknown_command_ids(ui: list[Any], commands: Mapping[str, CommandSpec], root: str) -> Iterator[Problem]:
    for i, entry in enumerate(ui):
        action = entry.get("action") if isinstance(entry, dict) else None
        command_id = action.get("commandId") if isinstance(action, dict) else None
        if not is_nonempty_string(command_id):
            continue
        if command_id not in commands:
            yield problem(
                "unknown-command-id",
                f"{root}.ui[{i}].action.commandId",
                f"No command {command_id!r} is registered.",
                commandId=command_id,
            )


# --- fail-fast validation and the normalized copy --------------------------------------------------


def validate_manifest(
    value: Any,
    commands: Mapping[str, CommandSpec] | None,
    *,
    root: str = "manifest",
    slots: Iterable[str] = KNOWN_UI_SLOTS,
) -> ManifestResult:
    """Fail-fast: the first problem in the fixed order, or a normalized copy."""
    first = next(iter_manifest_problems(value, commands, root=root, slots=slots), None)
    if first is not None:
        return ManifestResult(ok=False, problem=first)
    return ManifestResult(ok=True, value=normalize_manifest(value))


def normalize_manifest(value: dict[str, Any]) -> dict[str, Any]:
    """A fresh copy of a valid manifest: keys in a fixed order, optional parts only when present."""
    return {
        "manifestVersion": 1,
        "pluginId": value["pluginId"],
        "ui": [_normalize_entry(e) for e in value["ui"]],
    }


def _normalize_entry(entry: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"id": entry["id"], "slot": entry["slot"], "type": entry["type"]}
    if "props" in entry:
        out["props"] = {k: entry["props"][k] for k in ("label", "icon", "disabled") if k in entry["props"]}
    if "action" in entry:
        action = entry["action"]
        out["action"] = {"commandId": action["commandId"]}
        for key in ("payload", "context"):
            if key in action:
                out["action"][key] = deep_copy(action[key])
    return out


def deep_copy(value: Any) -> Any:
    """Copy JSON data (checked JSON-safe or strict-loaded, so acyclic and of bounded depth)."""
    if isinstance(value, dict):
        return {k: deep_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [deep_copy(v) for v in value]
    return value


# --- registry ----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class RegisterResult:
    ok: bool
    value: dict[str, Any] | None = None
    replaced: bool = False
    problem: Problem | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class SlotContribution:
    contribution_id: str
    plugin_id: str
    entry: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {"contributionId": self.contribution_id, "pluginId": self.plugin_id, "entry": self.entry}


@dataclass(slots=True, kw_only=True)
class ManifestRegistry:
    """Validated manifests by pluginId (``registerDeclarativePluginManifest`` and friends)."""

    commands: Mapping[str, CommandSpec] | None = None
    slots: tuple[str, ...] = KNOWN_UI_SLOTS
    version: int = 0
    _manifests: dict[str, dict[str, Any]] = field(default_factory=dict)

    def register(self, value: Any) -> RegisterResult:
        """Validate, then store by pluginId; replaces an earlier manifest with the same id."""
        result = validate_manifest(value, self.commands, slots=self.slots)
        if not result.ok or result.value is None:
            return RegisterResult(ok=False, problem=result.problem)
        plugin_id = result.value["pluginId"]
        replaced = plugin_id in self._manifests
        self._manifests[plugin_id] = result.value
        self.version += 1
        return RegisterResult(ok=True, value=result.value, replaced=replaced)

    def get(self, plugin_id: str) -> dict[str, Any] | None:
        return self._manifests.get(plugin_id)

    def list_manifests(self) -> list[dict[str, Any]]:
        """``listDeclarativePluginManifests``: sorted by pluginId."""
        return [self._manifests[k] for k in sorted(self._manifests)]

    def remove(self, plugin_id: str | None = None) -> bool:
        """Remove one manifest, or all of them when ``plugin_id`` is None; True when any went."""
        if plugin_id is None:
            had = bool(self._manifests)
            self._manifests.clear()
        else:
            had = self._manifests.pop(plugin_id, None) is not None
        if had:
            self.version += 1
        return had

    def slot_contributions(self) -> dict[str, list[SlotContribution]]:
        """Per slot (every known slot, possibly empty), entries in pluginId then manifest order."""
        out: dict[str, list[SlotContribution]] = {slot: [] for slot in self.slots}
        for manifest in self.list_manifests():
            for entry in manifest["ui"]:
                cid = f"{manifest['pluginId']}:{entry['id']}"
                contribution = SlotContribution(contribution_id=cid, plugin_id=manifest["pluginId"], entry=entry)
                out.setdefault(entry["slot"], []).append(contribution)
        return out


def create_manifest_template(
    plugin_id: str, slot: str, command_id: str, label: str | None = None, icon: str = "wand"
) -> dict[str, Any]:
    """``createManifestTemplate``: one button, id ``<pluginId>-primary-action``, empty payload."""
    return {
        "manifestVersion": 1,
        "pluginId": plugin_id,
        "ui": [
            {
                "id": f"{plugin_id}-primary-action",
                "slot": slot,
                "type": "button",
                "props": {"label": label if label is not None else plugin_id, "icon": icon, "disabled": False},
                "action": {"commandId": command_id, "payload": {}},
            }
        ],
    }
