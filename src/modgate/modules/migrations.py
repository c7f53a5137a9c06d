"""The seed's upgrade path: pure-data migrations between packageAbiVersions, manifest adapters.

A :class:`Migration` turns a package of ``from_version`` into one of ``to_version`` with a pure
function (dict in, new dict out: no I/O, no hooks) and an explicit ``command_renames`` table. The
table is the only way a command id changes (the seed forbids implicit aliasing); the registry
applies it after the function to ``commandBindings[*].commandId`` and the manifest's
``ui[*].action.commandId``. An incoming version with a chain to 1 is migrated, then validated again
from the start as if it were a native v1 package; without a chain it is rejected with
``invalid-package-abi-version``.

A :class:`ManifestAdapter` does the same for a future ``compatibility.pluginManifestVersion``: the
manifest validator never sees anything but a v1 manifest, and a version without an adapter is
``unsupported-plugin-manifest-version``.

The default registries are empty: modgate itself knows only v1. Tests register synthetic ones.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

CURRENT_PACKAGE_ABI_VERSION = 1
CURRENT_PLUGIN_MANIFEST_VERSION = 1

PackageTransform = Callable[[dict[str, Any]], dict[str, Any]]


class MigrationFailed(Exception):
    """A migration or adapter raised or returned something that is not a JSON object."""

    def __init__(self, from_version: int, to_version: int, reason: str) -> None:
        super().__init__(reason)
        self.from_version = from_version
        self.to_version = to_version
        self.reason = reason


@dataclass(frozen=True, slots=True, kw_only=True)
class Migration:
    from_version: int
    to_version: int
    migrate: PackageTransform
    command_renames: Mapping[str, str] = field(default_factory=dict)
    description: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class ManifestAdapter:
    from_version: int
    adapt: PackageTransform
    command_renames: Mapping[str, str] = field(default_factory=dict)
    description: str = ""


@dataclass(frozen=True, slots=True, kw_only=True)
class MigrationRegistry:
    """At most one step out of each version, so a chain is unique and deterministic."""

    steps: Mapping[int, Migration] = field(default_factory=dict)

    def with_migration(self, migration: Migration) -> MigrationRegistry:
        if migration.from_version in self.steps or migration.from_version == CURRENT_PACKAGE_ABI_VERSION:
            raise ValueError(f"a migration from version {migration.from_version} is already defined")
        return MigrationRegistry(steps={**self.steps, migration.from_version: migration})

    def chain(self, version: int) -> list[Migration] | None:
        """The steps from ``version`` to the current version, or None when there is no chain."""
        out: list[Migration] = []
        seen: set[int] = set()
        while version != CURRENT_PACKAGE_ABI_VERSION:
            step = self.steps.get(version)
            if step is None or version in seen:
                return None
            seen.add(version)
            out.append(step)
            version = step.to_version
        return out

    def upgrade(self, package: dict[str, Any], version: int) -> dict[str, Any] | None:
        """Run the chain; None when there is none. Raises MigrationFailed for a broken step."""
        steps = self.chain(version)
        if steps is None:
            return None
        for step in steps:
            package = _run(step.migrate, package, step.from_version, step.to_version)
            package = rename_package_commands(package, step.command_renames)
        return package


@dataclass(frozen=True, slots=True, kw_only=True)
class AdapterRegistry:
    adapters: Mapping[int, ManifestAdapter] = field(default_factory=dict)

    def with_adapter(self, adapter: ManifestAdapter) -> AdapterRegistry:
        if adapter.from_version in self.adapters or adapter.from_version == CURRENT_PLUGIN_MANIFEST_VERSION:
            raise ValueError(f"an adapter for manifest version {adapter.from_version} is already defined")
        return AdapterRegistry(adapters={**self.adapters, adapter.from_version: adapter})

    def supports(self, version: int) -> bool:
        return version == CURRENT_PLUGIN_MANIFEST_VERSION or version in self.adapters

    def adapt(self, manifest: dict[str, Any], version: int) -> dict[str, Any]:
        adapter = self.adapters[version]
        out = _run(adapter.adapt, manifest, version, CURRENT_PLUGIN_MANIFEST_VERSION)
        return rename_manifest_commands(out, adapter.command_renames)


def _run(fn: PackageTransform, doc: dict[str, Any], from_version: int, to_version: int) -> dict[str, Any]:
    try:
        out = fn(doc)
    except Exception as exc:  # a migration is data-only; any failure is the input's, reported coded
        raise MigrationFailed(from_version, to_version, f"{type(exc).__name__}: {exc}") from exc
    if not isinstance(out, dict):
        raise MigrationFailed(from_version, to_version, "the migration did not return a JSON object")
    return out


def rename_package_commands(package: dict[str, Any], renames: Mapping[str, str]) -> dict[str, Any]:
    """Apply an explicit rename table to bindings and manifest actions (a new dict; input untouched)."""
    if not renames:
        return package
    out = dict(package)
    bindings = out.get("commandBindings")
    if isinstance(bindings, list):
        out["commandBindings"] = [_rename_in(b, "commandId", renames) for b in bindings]
    manifest = out.get("pluginManifest")
    if isinstance(manifest, dict):
        out["pluginManifest"] = rename_manifest_commands(manifest, renames)
    return out


def rename_manifest_commands(manifest: dict[str, Any], renames: Mapping[str, str]) -> dict[str, Any]:
    ui = manifest.get("ui")
    if not renames or not isinstance(ui, list):
        return manifest
    out = dict(manifest)
    out["ui"] = [_rename_entry(e, renames) for e in ui]
    return out


def _rename_entry(entry: Any, renames: Mapping[str, str]) -> Any:
    if not isinstance(entry, dict) or not isinstance(entry.get("action"), dict):
        return entry
    return {**entry, "action": _rename_in(entry["action"], "commandId", renames)}


def _rename_in(obj: Any, key: str, renames: Mapping[str, str]) -> Any:
    if isinstance(obj, dict) and isinstance(obj.get(key), str) and obj[key] in renames:
        return {**obj, key: renames[obj[key]]}
    return obj


# modgate knows only v1: both registries start empty (tests register synthetic versions).
DEFAULT_MIGRATIONS = MigrationRegistry()
DEFAULT_MANIFEST_ADAPTERS = AdapterRegistry()
