"""``ui.mod.json`` v1, the runtime contract, decoded strictly into frozen dataclasses.

Fixes to CodexChat (DESIGN §3): hook and automation fields get their documented defaults
(permissions false, ``timeoutMs`` 8000 / 60000, ``debounceMs`` 0) instead of failing, and a
malformed hook, automation or slot is reported with its path (``package.invalid-ui-mod``)
instead of silently turning the whole list empty. Pure: no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NoReturn

from modgate.ext.cron import cron_error
from modgate.ext.errors import fail

PERMISSION_KEYS = ("projectRead", "projectWrite", "network", "runtimeControl", "runWhenAppClosed")
EVENTS = (
    "thread.started", "turn.started", "assistant.delta", "action.card", "approval.requested",
    "modsBar.action", "turn.completed", "turn.failed", "transcript.persisted",
)
# The event of the modsBar's own actions: accepted on every host, as uiSlots.modsBar is. Every
# other hook event must be one the install host declares (modgate.ext.manifest.check_events).
MODS_BAR_EVENT = "modsBar.action"
HOOK_TIMEOUT_MS = 8000
AUTOMATION_TIMEOUT_MS = 60000
MAX_TIMEOUT_MS = 3_600_000
FILE = "ui.mod.json"
_EVENT_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)*$")

THEME_NUMBERS = {
    "typography": ("titleSize", "bodySize", "captionSize"),
    "spacing": ("xSmall", "small", "medium", "large"),
    "radius": ("small", "medium", "large"),
}
THEME_STRINGS = {
    "palette": ("accentHex", "backgroundHex", "panelHex", "sidebarHex"),
    "materials": ("panelMaterial", "cardMaterial"),
    "bubbles": ("style", "userBackgroundHex", "assistantBackgroundHex"),
    "iconography": ("style",),
}
THEME_LEGACY = ("accentHex", "backgroundHex", "panelHex")
MANIFEST_OPTIONAL = ("iconSymbol", "author", "license", "description", "homepage", "repository", "checksum")


@dataclass(frozen=True, slots=True, kw_only=True)
class Handler:
    command: tuple[str, ...]
    cwd: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Hook:
    id: str
    event: str
    handler: Handler
    permissions: tuple[str, ...]
    timeout_ms: int = HOOK_TIMEOUT_MS
    debounce_ms: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class Automation:
    id: str
    schedule: str
    handler: Handler
    permissions: tuple[str, ...]
    timeout_ms: int = AUTOMATION_TIMEOUT_MS


@dataclass(frozen=True, slots=True, kw_only=True)
class ModsBarSlot:
    enabled: bool
    title: str | None = None
    requires_thread: bool = True
    source_type: str | None = None
    source_hook_id: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class UIMod:
    schema_version: int
    id: str
    name: str
    version: str
    manifest: Mapping[str, Any]
    theme: Mapping[str, Any]
    dark_theme: Mapping[str, Any] | None
    hooks: tuple[Hook, ...]
    automations: tuple[Automation, ...]
    mods_bar: ModsBarSlot | None
    future: Mapping[str, Any] | None

    @property
    def requested_permissions(self) -> tuple[str, ...]:
        items: tuple[Hook | Automation, ...] = (*self.hooks, *self.automations)
        keys = {k for item in items for k in item.permissions}
        return tuple(sorted(keys))

    @property
    def executable(self) -> bool:
        return bool(self.hooks or self.automations)


def invalid(path: str, detail: str) -> NoReturn:
    fail("package.invalid-ui-mod", f"Invalid ui.mod.json: {path}: {detail}", f"{FILE}:{path}")


# --- typed accessors -------------------------------------------------------------------------


def _object(value: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        invalid(path, "expected an object")
    return value


def _string(obj: Mapping[str, Any], key: str, path: str, *, required: bool = True) -> str | None:
    value = obj.get(key)
    if value is None and not required and key not in obj:
        return None
    if not isinstance(value, str) or (required and not value.strip()):
        invalid(f"{path}.{key}", "expected a non-empty string" if required else "expected a string")
    return value


def _req_string(obj: Mapping[str, Any], key: str, path: str) -> str:
    value = _string(obj, key, path)
    assert value is not None
    return value


def _bool(obj: Mapping[str, Any], key: str, path: str, default: bool | None) -> bool:
    if key not in obj and default is not None:
        return default
    value = obj.get(key)
    if not isinstance(value, bool):
        invalid(f"{path}.{key}", "expected true or false")
    return value


def _int(obj: Mapping[str, Any], key: str, path: str, default: int, low: int) -> int:
    if key not in obj:
        return default
    value = obj[key]
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= MAX_TIMEOUT_MS:
        invalid(f"{path}.{key}", f"expected an integer from {low} to {MAX_TIMEOUT_MS}")
    return value


def _only(obj: Mapping[str, Any], allowed: tuple[str, ...], path: str) -> None:
    # Hooks run code: a misspelt key (timeoutMS) must not silently fall back to a default.
    for key in sorted(obj):
        if key not in allowed:
            invalid(f"{path}.{key}", f"unknown key (allowed: {', '.join(allowed)})")


# --- decoding ---------------------------------------------------------------------------------


def decode_ui_mod(doc: Any) -> UIMod:
    """Decode a parsed ``ui.mod.json`` (schemaVersion already checked to be 1)."""
    root = _object(doc, "$")
    manifest = manifest_of(root.get("manifest"))
    if "theme" not in root:
        invalid("theme", "required (use {} for no theme overrides)")
    hooks = _hooks(root.get("hooks", []))
    return UIMod(
        schema_version=root["schemaVersion"],
        id=manifest["id"],
        name=manifest["name"],
        version=manifest["version"],
        manifest=manifest,
        theme=theme(root["theme"], "theme"),
        dark_theme=theme(root["darkTheme"], "darkTheme") if root.get("darkTheme") is not None else None,
        hooks=hooks,
        automations=_automations(root.get("automations", [])),
        mods_bar=_ui_slots(root.get("uiSlots"), hooks),
        future=_object(root["future"], "future") if root.get("future") is not None else None,
    )


def manifest_of(value: Any) -> Mapping[str, Any]:
    if value is None:
        invalid("manifest", "required")
    obj = _object(value, "manifest")
    if not isinstance(obj.get("id"), str) or not obj["id"].strip():
        fail("package.invalid-ui-mod", f"Mod manifest id is invalid: {obj.get('id')!r}", f"{FILE}:manifest.id")
    _req_string(obj, "name", "manifest")
    _req_string(obj, "version", "manifest")
    for key in MANIFEST_OPTIONAL:
        _string(obj, key, "manifest", required=False)
    return obj


def theme(value: Any, path: str) -> Mapping[str, Any]:
    obj = _object(value, path)
    for key in THEME_LEGACY:
        _string(obj, key, path, required=False)
    for group, leaves in (*THEME_NUMBERS.items(), *THEME_STRINGS.items()):
        if obj.get(group) is None:
            continue
        sub = _object(obj[group], f"{path}.{group}")
        for leaf in leaves:
            if sub.get(leaf) is None:
                continue
            if group in THEME_NUMBERS:
                _theme_number(sub[leaf], f"{path}.{group}.{leaf}")
            else:
                _string(sub, leaf, f"{path}.{group}", required=False)
    return obj


def _theme_number(value: Any, path: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1000:
        invalid(path, "expected a number from 0 to 1000")


def list_of(value: Any, path: str) -> list[Any]:
    if not isinstance(value, list):
        invalid(path, "expected an array")
    return value


def _unique_id(obj: Mapping[str, Any], path: str, seen: set[str]) -> str:
    ident = _req_string(obj, "id", path)
    if ident in seen:
        invalid(f"{path}.id", f"duplicate id {ident!r}")
    seen.add(ident)
    return ident


def _hooks(value: Any) -> tuple[Hook, ...]:
    seen: set[str] = set()
    return tuple(hook(item, f"hooks[{index}]", seen) for index, item in enumerate(list_of(value, "hooks")))


def hook(item: Any, path: str, seen: set[str]) -> Hook:
    """One ``hooks[i]`` entry (``seen``: the ids so far, for the duplicate check)."""
    obj = _object(item, path)
    _only(obj, ("id", "event", "handler", "permissions", "timeoutMs", "debounceMs"), path)
    ident = _unique_id(obj, path, seen)
    event = _req_string(obj, "event", path)
    if not _EVENT_NAME.match(event):  # which events exist is the install host's to say (manifest.py)
        invalid(f"{path}.event", f"not an event name: {event!r}")
    return Hook(id=ident, event=event, handler=_handler(obj.get("handler"), f"{path}.handler"),
                permissions=_permissions(obj.get("permissions", {}), f"{path}.permissions"),
                timeout_ms=_int(obj, "timeoutMs", path, HOOK_TIMEOUT_MS, 1),
                debounce_ms=_int(obj, "debounceMs", path, 0, 0))


def _automations(value: Any) -> tuple[Automation, ...]:
    seen: set[str] = set()
    return tuple(automation(item, f"automations[{index}]", seen)
                 for index, item in enumerate(list_of(value, "automations")))


def automation(item: Any, path: str, seen: set[str]) -> Automation:
    """One ``automations[i]`` entry."""
    obj = _object(item, path)
    _only(obj, ("id", "schedule", "handler", "permissions", "timeoutMs"), path)
    ident = _unique_id(obj, path, seen)
    schedule = _req_string(obj, "schedule", path)
    error = cron_error(schedule)
    if error is not None:
        invalid(f"{path}.schedule", f"invalid cron schedule {schedule!r}: {error}")
    return Automation(id=ident, schedule=schedule, handler=_handler(obj.get("handler"), f"{path}.handler"),
                      permissions=_permissions(obj.get("permissions", {}), f"{path}.permissions"),
                      timeout_ms=_int(obj, "timeoutMs", path, AUTOMATION_TIMEOUT_MS, 1))


def _handler(value: Any, path: str) -> Handler:
    if value is None:
        invalid(path, "required")
    obj = _object(value, path)
    _only(obj, ("command", "cwd"), path)
    command = obj.get("command")
    if not isinstance(command, list) or not all(isinstance(a, str) for a in command):
        invalid(f"{path}.command", "expected an array of strings")
    argv = tuple(str(a).strip() for a in command if str(a).strip())
    if not argv:
        invalid(f"{path}.command", "Extension handler command is empty.")
    cwd = _string(obj, "cwd", path, required=False)
    if cwd is not None and not is_safe_relative(cwd, allow_dot=True):
        invalid(f"{path}.cwd", f"must be a relative path inside the mod folder, got {cwd!r}")
    return Handler(command=argv, cwd=cwd)


def _permissions(value: Any, path: str) -> tuple[str, ...]:
    obj = _object(value, path)
    _only(obj, PERMISSION_KEYS, path)
    return tuple(k for k in PERMISSION_KEYS if _bool(obj, k, path, False))


def _ui_slots(value: Any, hooks: tuple[Hook, ...]) -> ModsBarSlot | None:
    if value is None:
        return None
    obj = _object(value, "uiSlots")
    if obj.get("modsBar") is None:
        return None
    bar = _object(obj["modsBar"], "uiSlots.modsBar")
    source = bar.get("source")
    source_type = hook_id = None
    if source is not None:
        src = _object(source, "uiSlots.modsBar.source")
        source_type = _req_string(src, "type", "uiSlots.modsBar.source")
        if source_type != "handlerOutput":
            invalid("uiSlots.modsBar.source.type", f"unsupported source type {source_type!r} (use handlerOutput)")
        hook_id = _string(src, "hookId", "uiSlots.modsBar.source", required=False)
    return ModsBarSlot(enabled=_bool(bar, "enabled", "uiSlots.modsBar", None),
                       title=_string(bar, "title", "uiSlots.modsBar", required=False),
                       requires_thread=_bool(bar, "requiresThread", "uiSlots.modsBar", True),
                       source_type=source_type, source_hook_id=hook_id)


def is_safe_relative(path: str, *, allow_dot: bool = False) -> bool:
    """Non-empty, not absolute (``/`` or ``C:``), no ``..`` component, no backslash or NUL."""
    if not path.strip() or "\x00" in path or "\\" in path:
        return False
    if path.startswith("/") or (len(path) > 1 and path[1] == ":"):
        return False
    parts = [p for p in path.split("/") if p not in ("", ".")]
    if ".." in path.split("/"):
        return False
    return bool(parts) or allow_dot
