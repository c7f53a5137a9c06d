"""``codex.mod.json`` v1 and whole-package validation, in CodexChat's order (companion C1).

``validate_package`` reads two files through a :class:`PackageReader` and raises the first
problem as an :class:`~modgate.ext.errors.ExtError` whose code and message match CodexChat's
(``package.*``, ``install.checksum-mismatch``). Order: manifest exists → decode → entrypoint is a
safe relative path → entrypoint exists → no ``uiSlots.rightInspector`` → ui schemaVersion 1 →
decode ui.mod.json → package schemaVersion 1 → id pattern → reserved ``codexchat.`` namespace →
version pattern → id/name/version equal ui.mod.json's → permissions declared → platform →
compatibility versions → integrity. Pure: the reader is the only way to the files.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NoReturn, Protocol

from modgate import strictjson
from modgate.errors import JsonLoadError
from modgate.ext.errors import fail
from modgate.ext.uimod import MODS_BAR_EVENT, PERMISSION_KEYS, UIMod, decode_ui_mod, is_safe_relative
from modgate.host.model import Host

MANIFEST_FILE = "codex.mod.json"
ID_PATTERN = re.compile(r"^[a-z0-9]+([._-][a-z0-9]+)*\Z")
VERSION_PATTERN = re.compile(r"^\d+\.\d+\.\d+(?:[-+][A-Za-z0-9.-]+)?\Z")
RESERVED_PREFIX = "codexchat."
FIRST_PARTY_MARKER = "/mods/first-party/"
MAX_MANIFEST_BYTES = 1024 * 1024
MISSING_MANIFEST = ("Missing codex.mod.json. CodexChat now requires codex.mod.json for install. "
                    "Add codex.mod.json (schemaVersion 1) and reinstall.")
OPTIONAL_STRINGS = ("description", "author", "license", "homepage", "repository")
SCRIPT_SUFFIXES = (".sh", ".py", ".js", ".mjs", ".rb", ".pl", ".ts", ".bash", ".zsh")


class PackageReader(Protocol):
    def read(self, relpath: str) -> bytes | None:
        """The file's bytes, or None when it does not exist (or is not a regular file)."""

    def exists(self, relpath: str) -> bool:
        """True when ``relpath`` names a file or folder inside the package."""


@dataclass(frozen=True, slots=True, kw_only=True)
class HostRules:
    """What validation needs from the active host profile."""

    app_id: str
    platform_ids: tuple[str, ...]
    platform_label: str
    # Events a hook may name: the ones the install host declares, plus the modsBar's own
    # ``modsBar.action`` (uiSlots.modsBar is accepted on every host). CodexChat's nine are
    # codexchat's: a CodexChat mod installs onto the codexchat host (`--host codexchat`).
    events: tuple[str, ...] = ()

    @classmethod
    def for_host(cls, host: Host) -> HostRules:
        ids = {p.strip().lower() for p in host.platform_ids}
        if "macos" in ids:
            ids.add("darwin")  # the two names CodexChat accepts for the same OS
        label = "macOS" if host.app_id == "codexchat" else ", ".join(sorted(ids - {"*"})) or "this host"
        events = tuple(dict.fromkeys((*host.event_names, MODS_BAR_EVENT)))
        return cls(app_id=host.app_id, platform_ids=tuple(sorted(ids)), platform_label=label, events=events)


@dataclass(frozen=True, slots=True, kw_only=True)
class PackageManifest:
    schema_version: int
    id: str
    name: str
    version: str
    ui_mod: str
    permissions: tuple[str, ...]
    platforms: tuple[str, ...] = ()
    min_version: str | None = None
    max_version: str | None = None
    ui_mod_sha256: str | None = None
    extra: Mapping[str, str] | None = None

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"schemaVersion": self.schema_version, "id": self.id, "name": self.name,
                               "version": self.version, "entrypoints": {"uiMod": self.ui_mod},
                               "permissions": list(self.permissions)}
        out.update(self.extra or {})
        compat: dict[str, Any] = {"platforms": list(self.platforms)} if self.platforms else {}
        if self.min_version:
            compat["minCodexChatVersion"] = self.min_version
        if self.max_version:
            compat["maxCodexChatVersion"] = self.max_version
        if compat:
            out["compatibility"] = compat
        if self.ui_mod_sha256:
            out["integrity"] = {"uiModSha256": self.ui_mod_sha256}
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class Package:
    manifest: PackageManifest
    ui: UIMod
    ui_sha256: str
    warnings: tuple[str, ...]

    @property
    def id(self) -> str:
        return self.manifest.id

    @property
    def permissions(self) -> tuple[str, ...]:
        return self.manifest.permissions

    @property
    def executable(self) -> bool:
        return self.ui.executable

    def actions(self) -> tuple[dict[str, Any], ...]:
        """What the mod runs and when: the facts its action graph is derived from (kept in state)."""
        bar = self.ui.mods_bar

        def feeds_bar(item_id: str) -> bool:
            # The slot shows a handler's output unless its source names another hook (CodexChat's rule).
            return bar is not None and bar.enabled and (
                bar.source_type is None or (bar.source_type == "handlerOutput"
                                            and bar.source_hook_id in (None, item_id)))

        items = [("hook", h.id, h.event, h.handler.command, h.permissions) for h in self.ui.hooks]
        items += [("automation", a.id, a.schedule, a.handler.command, a.permissions) for a in self.ui.automations]
        return tuple({"kind": kind, "id": ident, "trigger": trigger, "command": list(command),
                      "permissions": sorted(perms), "modsBarOutput": feeds_bar(ident)}
                     for kind, ident, trigger, command, perms in items)

    def summary(self) -> dict[str, Any]:
        return {
            "id": self.id, "name": self.manifest.name, "version": self.manifest.version,
            "permissions": list(self.permissions), "requestedPermissions": list(self.ui.requested_permissions),
            "executable": self.executable,
            "hooks": [{"id": h.id, "event": h.event, "command": list(h.handler.command),
                       "permissions": list(h.permissions), "timeoutMs": h.timeout_ms} for h in self.ui.hooks],
            "automations": [{"id": a.id, "schedule": a.schedule, "command": list(a.handler.command),
                             "permissions": list(a.permissions), "timeoutMs": a.timeout_ms}
                            for a in self.ui.automations],
            "ui": {"hookCount": len(self.ui.hooks), "automationCount": len(self.ui.automations),
                   "hasModsBarSlot": self.ui.mods_bar is not None},
            "compatibility": {"platforms": list(self.manifest.platforms),
                              "minCodexChatVersion": self.manifest.min_version,
                              "maxCodexChatVersion": self.manifest.max_version},
            "uiModSha256": self.ui_sha256,
            "warnings": list(self.warnings),
        }


def sha256_bytes(raw: bytes) -> str:
    return "sha256:" + hashlib.sha256(raw).hexdigest()


def is_first_party_path(package_path: str) -> bool:
    return FIRST_PARTY_MARKER in package_path.replace("\\", "/").rstrip("/") + "/"


# --- codex.mod.json decoding -----------------------------------------------------------------


def _bad(path: str, detail: str) -> NoReturn:
    fail("package.invalid-manifest", f"Invalid codex.mod.json: {path}: {detail}", f"{MANIFEST_FILE}:{path}")


def load_json(raw: bytes, invalid_code: str, label: str, file: str) -> Any:
    try:
        return strictjson.loads(raw, max_bytes=MAX_MANIFEST_BYTES)
    except JsonLoadError as exc:
        p = exc.problem
        fail(invalid_code, f"Invalid {label}: {p.message}", f"{file}:{p.path}", jsonCode=p.code)


def _str(obj: Mapping[str, Any], key: str, *, required: bool) -> str | None:
    if key not in obj and not required:
        return None
    value = obj.get(key)
    if not isinstance(value, str):
        _bad(key, "expected a string")
    return value


def _opt_str(obj: Any, key: str, path: str) -> str | None:
    value = obj.get(key) if isinstance(obj, dict) else None
    if value is not None and not isinstance(value, str):
        _bad(f"{path}.{key}", "expected a string")
    return value


def decode_manifest(doc: Any) -> PackageManifest:
    """Strict decoding as CodexChat does it: entrypoints and permissions are required."""
    if not isinstance(doc, dict):
        _bad("$", "expected an object")
    version = doc.get("schemaVersion")
    if isinstance(version, bool) or not isinstance(version, int):
        _bad("schemaVersion", "expected an integer")
    ident, name, ver = (_str(doc, k, required=True) for k in ("id", "name", "version"))
    entry = doc.get("entrypoints")
    if not isinstance(entry, dict) or not isinstance(entry.get("uiMod"), str):
        _bad("entrypoints.uiMod", "required string")
    compat, integrity = doc.get("compatibility"), doc.get("integrity")
    for key, value in (("compatibility", compat), ("integrity", integrity)):
        if value is not None and not isinstance(value, dict):
            _bad(key, "expected an object")
    extra = {k: v for k in OPTIONAL_STRINGS if (v := _str(doc, k, required=False)) is not None}
    return PackageManifest(
        schema_version=version, id=ident or "", name=name or "", version=ver or "", ui_mod=entry["uiMod"],
        permissions=_decode_permissions(doc.get("permissions")), platforms=_platforms(compat),
        min_version=_opt_str(compat, "minCodexChatVersion", "compatibility"),
        max_version=_opt_str(compat, "maxCodexChatVersion", "compatibility"),
        ui_mod_sha256=_opt_str(integrity, "uiModSha256", "integrity"), extra=extra,
    )


def _decode_permissions(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        _bad("permissions", "required array of permission keys")
    for index, key in enumerate(value):
        if key not in PERMISSION_KEYS:
            _bad(f"permissions[{index}]", f"unknown permission {key!r} (known: {', '.join(PERMISSION_KEYS)})")
    return tuple(dict.fromkeys(value))


def _platforms(compat: Any) -> tuple[str, ...]:
    value = compat.get("platforms") if isinstance(compat, dict) else None
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(p, str) for p in value):
        _bad("compatibility.platforms", "expected an array of strings")
    return tuple(value)


# --- the ordered rules -------------------------------------------------------------------------


def validate_package(reader: PackageReader, *, package_path: str, rules: HostRules,
                     first_party: bool | None = None) -> Package:
    """Validate in CodexChat's order; ``first_party`` overrides the path rule (re-checks of installs)."""
    raw = reader.read(MANIFEST_FILE)
    if raw is None:
        fail("package.missing-manifest", MISSING_MANIFEST, MANIFEST_FILE,
             hint="Create one with `modgate mod init DIR` or see docs/extensions.md.")
    manifest = decode_manifest(load_json(raw, "package.invalid-manifest", "codex.mod.json", MANIFEST_FILE))
    ui_raw = entrypoint_bytes(reader, manifest.ui_mod)
    ui = read_ui_mod(ui_raw)
    trusted = is_first_party_path(package_path) if first_party is None else first_party
    check_identity(manifest, ui, trusted)
    check_permissions(manifest, ui)
    check_compatibility(manifest, rules)
    check_events(ui, rules)
    ui_sha = sha256_bytes(ui_raw)
    check_integrity(manifest, ui_sha)
    return Package(manifest=manifest, ui=ui, ui_sha256=ui_sha, warnings=handler_warnings(ui, reader))


def entrypoint_bytes(reader: PackageReader, entry: str) -> bytes:
    path = f"{MANIFEST_FILE}:entrypoints.uiMod"
    if not is_safe_relative(entry):
        fail("package.invalid-entrypoint", f"Invalid package entrypoint path: {entry}", path)
    raw = reader.read(posixpath.normpath(entry))
    if raw is None:
        fail("package.missing-entrypoint", f"Package entrypoint not found: {entry}", path)
    return raw


def read_ui_mod(raw: bytes) -> UIMod:
    doc = load_json(raw, "package.invalid-ui-mod", "ui.mod.json", "ui.mod.json")
    slots = doc.get("uiSlots") if isinstance(doc, dict) else None
    if isinstance(slots, dict) and "rightInspector" in slots:
        fail("package.legacy-right-inspector",
             "Unsupported legacy ui.mod.json key `uiSlots.rightInspector`. "
             "Rename it to `uiSlots.modsBar` and keep schemaVersion 1.", "ui.mod.json:uiSlots.rightInspector")
    version = doc.get("schemaVersion") if isinstance(doc, dict) else None
    if version != 1 or isinstance(version, bool):
        _unsupported_ui_schema(version)
    return decode_ui_mod(doc)


def _unsupported_ui_schema(version: Any) -> None:
    if version == 2:
        message = ("Unsupported ui.mod.json schemaVersion 2. CodexChat now only supports schemaVersion 1. "
                   "Migrate to schemaVersion 1 and uiSlots.modsBar.")
    else:
        message = f"Unsupported ui.mod.json schemaVersion {version}. CodexChat now supports schemaVersion 1 only."
    fail("package.unsupported-ui-schema", message, "ui.mod.json:schemaVersion")


def check_events(ui: UIMod, rules: HostRules) -> None:
    """Every hook names an event the install host declares (``modsBar.action`` on every host)."""
    for index, hook in enumerate(ui.hooks):
        if hook.event not in rules.events:
            fail("package.event-not-declared", f"hooks[{index}].event: the {rules.app_id} host does not declare "
                 f"the event {hook.event!r}; its events: {', '.join(rules.events)}",
                 f"ui.mod.json:hooks[{index}].event",
                 hint="A CodexChat mod (thread.*, turn.*, ...) installs with `--host codexchat`; hooks hear only "
                      "the events of the host they are installed for.", host=rules.app_id, events=list(rules.events))


def check_identity(manifest: PackageManifest, ui: UIMod | None, first_party: bool) -> None:
    """Schema, id, namespace and version of codex.mod.json; then, with ``ui``, that both agree."""
    if manifest.schema_version != 1:
        fail("package.unsupported-schema", f"Unsupported mod package schemaVersion: {manifest.schema_version}",
             f"{MANIFEST_FILE}:schemaVersion")
    if not ID_PATTERN.match(manifest.id):
        fail("package.invalid-id", f"Invalid mod package id: {manifest.id}", f"{MANIFEST_FILE}:id")
    if manifest.id.startswith(RESERVED_PREFIX) and not first_party:
        fail("package.reserved-id", f"Mod id {manifest.id} uses the reserved codexchat.* namespace. Only vetted "
             "first-party packages under mods/first-party may use that namespace.", f"{MANIFEST_FILE}:id")
    if not VERSION_PATTERN.match(manifest.version):
        fail("package.invalid-version", f"Invalid mod package version: {manifest.version}",
             f"{MANIFEST_FILE}:version")
    if ui is None:
        return
    for field, ours, theirs in (("id", manifest.id, ui.id), ("name", manifest.name, ui.name),
                                ("version", manifest.version, ui.version)):
        if ours != theirs:
            fail("package.manifest-mismatch", f"Manifest mismatch for {field}: expected {theirs}, got {ours}",
                 f"{MANIFEST_FILE}:{field}", expected=theirs, actual=ours)


def check_permissions(manifest: PackageManifest, ui: UIMod) -> None:
    missing = sorted(set(ui.requested_permissions) - set(manifest.permissions))
    if missing:
        fail("package.undeclared-permissions",
             f"Package permissions do not declare all runtime permissions: {', '.join(missing)}",
             f"{MANIFEST_FILE}:permissions", missing=missing)


def check_compatibility(manifest: PackageManifest, rules: HostRules) -> None:
    declared = [p.strip().lower() for p in manifest.platforms]
    if declared and not set(declared) & set(rules.platform_ids):
        fail("package.incompatible-platform", f"This mod package does not declare compatibility with "
             f"{rules.platform_label}: {', '.join(manifest.platforms)}", f"{MANIFEST_FILE}:compatibility.platforms",
             host=rules.app_id, accepted=list(rules.platform_ids))
    for field, value in (("minCodexChatVersion", manifest.min_version), ("maxCodexChatVersion", manifest.max_version)):
        if value is not None and value.strip() and not VERSION_PATTERN.match(value.strip()):
            fail("package.invalid-compatibility-version", f"Invalid compatibility {field} version: {value}. "
                 "Expected semver (for example 1.2.3).", f"{MANIFEST_FILE}:compatibility.{field}")


def check_integrity(manifest: PackageManifest, actual: str) -> None:
    expected = (manifest.ui_mod_sha256 or "").strip()
    if not expected:
        return
    bare = expected.lower().removeprefix("sha256:")
    if bare != actual.removeprefix("sha256:"):
        fail("install.checksum-mismatch", f"ui.mod.json checksum mismatch. Expected {expected}, got {actual}.",
             f"{MANIFEST_FILE}:integrity.uiModSha256", expected=expected, actual=actual)


def handler_warnings(ui: UIMod, reader: PackageReader) -> tuple[str, ...]:
    """A handler script that is not in the package is a warning: it may be generated later."""
    out: list[str] = []
    items = [(f"hooks[{i}]", h.handler) for i, h in enumerate(ui.hooks)]
    items += [(f"automations[{i}]", a.handler) for i, a in enumerate(ui.automations)]
    for path, handler in items:
        for arg in handler.command:
            if _looks_like_script(arg):
                rel = posixpath.normpath(posixpath.join(handler.cwd or ".", arg))
                if not reader.exists(rel):
                    out.append(f"{path}.handler: handler script not found in the package: {rel}")
    if ui.mods_bar and ui.mods_bar.source_hook_id and ui.mods_bar.source_hook_id not in {h.id for h in ui.hooks}:
        out.append(f"uiSlots.modsBar.source.hookId: no hook with id {ui.mods_bar.source_hook_id!r}")
    if "checksum" in ui.manifest:
        out.append("manifest.checksum in ui.mod.json is ignored; use codex.mod.json integrity.uiModSha256")
    return tuple(dict.fromkeys(out))


def _looks_like_script(arg: str) -> bool:
    if arg.startswith("-") or not is_safe_relative(arg):
        return False
    return "/" in arg or arg.endswith(SCRIPT_SUFFIXES)
