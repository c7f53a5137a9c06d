"""The seed's upgrade path with a synthetic chain that ships only in the tests.

v0 (invented here): ``{"packageAbiVersion": 0, "id", "version", "name", "manifest", "bindings"}``
and the command that v1 calls ``setTool`` was called ``selectTool``. v-1 -> v0 -> v1 tests a
two-step chain. Manifest v2 (invented): ``{"manifestVersion": 2, "pluginId", "entries"}``.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from modgate.host.board import board_host
from modgate.modules.lint import lint_package
from modgate.modules.migrations import (
    DEFAULT_MANIFEST_ADAPTERS,
    DEFAULT_MIGRATIONS,
    AdapterRegistry,
    ManifestAdapter,
    Migration,
    MigrationRegistry,
)
from modgate.modules.package import import_bytes, validate_package
from modgate.modules.starter import new_module_package
from modgate.strictjson import dumps

HOST = board_host()


def _v0_to_v1(doc: dict[str, Any]) -> dict[str, Any]:
    return {
        "packageAbiVersion": 1,
        "moduleId": doc["id"],
        "moduleVersion": doc["version"],
        "displayName": doc["name"],
        "compatibility": {"pluginManifestVersion": 1, "commandBusContractVersion": 1},
        "pluginManifest": doc["manifest"],
        "commandBindings": doc["bindings"],
    }


def _vminus1_to_v0(doc: dict[str, Any]) -> dict[str, Any]:
    return {**{k: v for k, v in doc.items() if k != "title"}, "packageAbiVersion": 0, "name": doc["title"]}


V0_TO_V1 = Migration(from_version=0, to_version=1, migrate=_v0_to_v1, command_renames={"selectTool": "setTool"})
CHAIN = MigrationRegistry().with_migration(V0_TO_V1)


def _v0() -> dict[str, Any]:
    v1 = new_module_package("old-tools")
    for entry in v1["pluginManifest"]["ui"]:
        if entry["action"]["commandId"] == "setTool":
            entry["action"]["commandId"] = "selectTool"
    for binding in v1["commandBindings"]:
        if binding["commandId"] == "setTool":
            binding["commandId"] = "selectTool"
    return {
        "packageAbiVersion": 0,
        "id": "old-tools",
        "version": "0.9.0",
        "name": "Old Tools",
        "manifest": v1["pluginManifest"],
        "bindings": v1["commandBindings"],
    }


def test_default_registries_are_empty() -> None:
    assert not DEFAULT_MIGRATIONS.steps and not DEFAULT_MANIFEST_ADAPTERS.adapters


def test_without_a_chain_the_version_is_refused() -> None:
    envelope = validate_package(_v0(), HOST).envelope
    assert (envelope["code"], envelope["path"]) == ("invalid-package-abi-version", "package.packageAbiVersion")


def test_chain_migrates_renames_and_revalidates() -> None:
    source = _v0()
    before = copy.deepcopy(source)
    outcome = import_bytes(dumps(source), HOST, migrations=CHAIN)
    assert outcome.envelope == {
        "ok": True,
        "code": "imported",
        "moduleId": "old-tools",
        "moduleVersion": "0.9.0",
        "replaced": False,
    }
    assert outcome.migrated_from == 0 and outcome.package is not None
    assert outcome.package["commandBindings"][0]["commandId"] == "setTool"
    assert outcome.package["pluginManifest"]["ui"][0]["action"]["commandId"] == "setTool"
    assert validate_package(source, HOST, migrations=CHAIN).envelope == outcome.envelope
    assert source == before  # migrations are pure


def test_no_implicit_aliasing_without_the_rename_table() -> None:
    no_renames = MigrationRegistry().with_migration(Migration(from_version=0, to_version=1, migrate=_v0_to_v1))
    envelope = validate_package(_v0(), HOST, migrations=no_renames).envelope
    assert envelope["code"] == "manifest-validation-error"
    assert envelope["detail"] == {"commandId": "selectTool", "manifestCode": "unknown-command-id", "migratedFrom": 0}


def test_migrated_package_is_fully_validated_as_v1() -> None:
    source = _v0()
    source["version"] = "0.9"
    envelope = validate_package(source, HOST, migrations=CHAIN).envelope
    assert (envelope["code"], envelope["detail"]["migratedFrom"]) == ("invalid-module-version", 0)


def test_two_step_chain() -> None:
    chain = CHAIN.with_migration(Migration(from_version=-1, to_version=0, migrate=_vminus1_to_v0))
    source = _v0()
    source["title"] = source.pop("name")
    source["packageAbiVersion"] = -1
    assert validate_package(source, HOST, migrations=chain).ok
    assert [s.from_version for s in chain.chain(-1) or []] == [-1, 0]


def test_broken_and_cyclic_chains() -> None:
    with pytest.raises(ValueError):
        CHAIN.with_migration(V0_TO_V1)
    with pytest.raises(ValueError):
        MigrationRegistry().with_migration(Migration(from_version=1, to_version=2, migrate=_v0_to_v1))
    cyclic = MigrationRegistry().with_migration(Migration(from_version=5, to_version=6, migrate=_v0_to_v1))
    cyclic = cyclic.with_migration(Migration(from_version=6, to_version=5, migrate=_v0_to_v1))
    assert cyclic.chain(5) is None
    envelope = validate_package({**_v0(), "packageAbiVersion": 5}, HOST, migrations=cyclic).envelope
    assert envelope["code"] == "invalid-package-abi-version"
    broken = validate_package({"packageAbiVersion": 0}, HOST, migrations=CHAIN).envelope
    assert (broken["code"], broken["path"], broken["detail"]["fromVersion"]) == (
        "package-migration-failed",
        "package",
        0,
    )


def _manifest_v2_to_v1(manifest: dict[str, Any]) -> dict[str, Any]:
    return {"manifestVersion": 1, "pluginId": manifest["pluginId"], "ui": manifest["entries"]}


ADAPTERS = AdapterRegistry().with_adapter(
    ManifestAdapter(from_version=2, adapt=_manifest_v2_to_v1, command_renames={"switchView": "setViewMode"})
)


def _with_manifest_v2() -> dict[str, Any]:
    pkg = new_module_package("new-tools")
    manifest = pkg["pluginManifest"]
    for entry in manifest["ui"]:
        if entry["action"]["commandId"] == "setViewMode":
            entry["action"]["commandId"] = "switchView"
    pkg["pluginManifest"] = {"manifestVersion": 2, "pluginId": "new-tools", "entries": manifest["ui"]}
    pkg["compatibility"]["pluginManifestVersion"] = 2
    return pkg


def test_manifest_adapter_required_for_a_future_manifest_version() -> None:
    envelope = validate_package(_with_manifest_v2(), HOST).envelope
    assert (envelope["code"], envelope["path"]) == (
        "unsupported-plugin-manifest-version",
        "package.compatibility.pluginManifestVersion",
    )
    adapted = validate_package(_with_manifest_v2(), HOST, manifest_adapters=ADAPTERS)
    assert adapted.ok and adapted.package is not None
    assert adapted.package["compatibility"]["pluginManifestVersion"] == 1
    assert adapted.package["pluginManifest"]["ui"][1]["action"]["commandId"] == "setViewMode"


def test_broken_adapter_is_coded() -> None:
    pkg = _with_manifest_v2()
    del pkg["pluginManifest"]["entries"]
    envelope = validate_package(pkg, HOST, manifest_adapters=ADAPTERS).envelope
    assert (envelope["code"], envelope["path"]) == ("package-migration-failed", "package.pluginManifest")


def test_lint_sees_migrated_document() -> None:
    assert lint_package(_v0(), HOST, migrations=CHAIN) == []
    assert [p.code for p in lint_package(_v0(), HOST)] == ["invalid-package-abi-version"]
