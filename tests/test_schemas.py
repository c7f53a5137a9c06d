"""The published JSON Schemas: well-formed, shipped, and in agreement with the Python rules.

hypothesis-jsonschema generates documents from each schema; every document the schema accepts
must pass the Python rules except for what the schema documents it cannot express (unique ids,
references, the app-version range, JSON node/size limits, integer-not-1.0 versions).
"""

from __future__ import annotations

from typing import Any

import jsonschema_rs
from hypothesis import HealthCheck, given, settings
from hypothesis_jsonschema import from_schema

from modgate.host.board import board_host
from modgate.modules.manifest import iter_manifest_problems
from modgate.modules.package_rules import iter_package_problems
from modgate.modules.schemas import MANIFEST_SCHEMA, PACKAGE_SCHEMA, load_schema

MANIFEST = load_schema(MANIFEST_SCHEMA)
PACKAGE = load_schema(PACKAGE_SCHEMA)


def _for_generation(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema with JSON-safe values cut to two levels, so generation stays fast.

    Every document of this narrower schema is a document of the published one.
    """
    out = load_schema(PACKAGE_SCHEMA if "commandBindings" in schema["properties"] else MANIFEST_SCHEMA)
    defs = out["$defs"]
    for depth in range(2, 9):
        defs.pop(f"jsonSafe{depth}")
    defs["jsonSafe1"] = {k: v for k, v in defs["jsonSafe1"].items() if k not in ("items", "additionalProperties")}
    defs["jsonSafe1"] |= {"maxItems": 0, "maxProperties": 0}
    return out
HOST = board_host()
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))

# What the schemas cannot decide (see their descriptions).
MANIFEST_CROSS = {"duplicate-ui-id", "unknown-command-id", "json-node-limit-exceeded", "json-size-exceeded"}
PACKAGE_CROSS = {
    "invalid-package-abi-version",  # 1.0
    "unsupported-plugin-manifest-version",  # 1.0
    "unsupported-command-bus-contract-version",  # 1.0
    "invalid-compatibility",  # only the empty-range form (checked below)
    "app-version-out-of-range",
    "module-id-plugin-id-mismatch",
    "duplicate-command-binding-id",
    "unknown-ui-entry-id",
    "duplicate-ui-entry-binding",
    "missing-binding-for-ui-action",
    "command-id-mismatch",
    "unknown-command-id",
    "binding-mutation-scope-mismatch",
    "invalid-binding-payload",
    "invalid-binding-json",  # node/size only
    "invalid-extension-value",  # node/size only
}


def test_schemas_are_draft_2020_12_with_ids() -> None:
    for schema in (MANIFEST, PACKAGE):
        assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
        assert schema["$id"].startswith("https://") and schema["$id"].endswith(".schema.json")
        jsonschema_rs.Draft202012Validator(schema)


def test_package_embeds_the_manifest_schema() -> None:
    body = {k: v for k, v in MANIFEST.items() if not k.startswith("$") and k not in ("title", "description")}
    assert PACKAGE["$defs"]["pluginManifest"] == body
    for name, definition in MANIFEST["$defs"].items():
        assert PACKAGE["$defs"][name] == definition


def _structural(found: list[Any], cross: set[str]) -> list[Any]:
    out = []
    for p in found:
        inner = p.detail.get("manifestCode") or p.detail.get("jsonCode")
        if p.code in cross and p.code != "invalid-compatibility":
            if inner in (None, "json-node-limit-exceeded", "json-size-exceeded"):
                continue
            if p.code in ("invalid-binding-json", "invalid-extension-value"):
                out.append(p)
                continue
            continue
        if p.code == "invalid-compatibility" and p.path.endswith("maxAppVersionExclusive") and "empty" in p.message:
            continue
        if p.code == "manifest-validation-error" and inner in MANIFEST_CROSS:
            continue
        out.append(p)
    return out


@SETTINGS
@given(from_schema(_for_generation(MANIFEST)))
def test_generated_manifests_pass_the_structural_rules(doc: Any) -> None:
    if not jsonschema_rs.validator_for(MANIFEST).is_valid(doc):
        return  # Python's regex engine generated something ECMA regex refuses ($ before a newline)
    found = [p for p in iter_manifest_problems(doc, None) if p.code not in MANIFEST_CROSS]
    assert found == []


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(from_schema(_for_generation(PACKAGE)))
def test_generated_packages_pass_the_structural_rules(doc: Any) -> None:
    if not jsonschema_rs.validator_for(PACKAGE).is_valid(doc):
        return
    assert _structural(list(iter_package_problems(doc, HOST)), PACKAGE_CROSS) == []
