"""The published JSON Schemas of heavy packages and manifests, loaded and compiled once."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

import jsonschema_rs

PACKAGE_SCHEMA = "heavy-module-package.v1.schema.json"
MANIFEST_SCHEMA = "plugin-manifest.v1.schema.json"


def load_schema(name: str) -> dict[str, Any]:
    """A published schema (``modgate/schemas/<name>``): a fresh copy, so callers may change it."""
    schema: dict[str, Any] = json.loads(_schema_text(name))
    return schema


@cache
def _schema_text(name: str) -> str:
    return resources.files("modgate").joinpath("schemas", name).read_text(encoding="utf-8")


@cache
def package_validator() -> Any:
    return jsonschema_rs.validator_for(load_schema(PACKAGE_SCHEMA))


@cache
def quick_validator() -> Any:
    """The schema of the import fast path (tier 1): only sound together with ``fastpath.all_clear``.

    It is the published schema with two changes. Payload/context/extension values are narrowed
    to "surely small": containers at most two levels deep with at most 6 members each, strings and
    keys at most 24 characters: at most 43 containers, and even with every character escaped as
    \\uXXXX (6 UTF-16 units) and 25-character numbers, JSON.stringify stays under 12,500 units - so
    the 512-node and 16,384-unit limits cannot fire and need no counting. And four id fields only
    need to be strings, because ``all_clear`` compares each with a value that is checked
    already: pluginId with moduleId (its pattern is stricter), an action's commandId with the host's
    command ids (each checked to be a non-empty string), a binding's uiEntryId and commandId with a
    ui entry's id (pattern-checked) and its action's commandId. Those patterns cost a regex per
    element; the comparisons are made anyway.
    """
    schema = load_schema(PACKAGE_SCHEMA)
    defs = schema["$defs"]
    forbidden = defs["jsonSafe0"]["propertyNames"]
    for depth in range(3):
        small: dict[str, Any] = {"maxLength": 24, "propertyNames": {"maxLength": 24, **forbidden}}
        if depth < 2:
            child = {"$ref": f"#/$defs/small{depth + 1}"}
            small |= {"maxProperties": 6, "maxItems": 6, "additionalProperties": child, "items": child}
        else:
            small |= {"maxProperties": 0, "maxItems": 0}
        defs[f"small{depth}"] = small
    defs["jsonSafe0"] = {"$ref": "#/$defs/small0"}
    string = {"type": "string"}
    defs["pluginManifest"]["properties"]["pluginId"] = string
    defs["uiEntry"]["properties"]["action"]["properties"]["commandId"] = string
    defs["commandBinding"]["properties"]["uiEntryId"] = string
    defs["commandBinding"]["properties"]["commandId"] = string
    return jsonschema_rs.validator_for(schema)


def is_valid(validator: Any, doc: Any) -> bool:
    try:
        return bool(validator.is_valid(doc))
    except (ValueError, OverflowError):  # a value jsonschema-rs cannot convert: let Python decide
        return False
