"""The normalized copy of a valid package: fixed key order, defaults for optional collections."""

from __future__ import annotations

from typing import Any

from modgate.modules.manifest import deep_copy, normalize_manifest


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
