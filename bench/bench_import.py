"""Heavy-package import: bytes to a validated, cross-checked package (no database write).

``run(quick)`` measures modgate's ``import_bytes`` on generated packages of about 19 KiB, 165 KiB
and 1 MB and, in the same run on the same bytes, the reference stacks:

- ``strict_floor_ms``: the project's own strict loader (:func:`modgate.strictjson.loads`: duplicate
  keys, NaN, lone surrogates, depth and size refused) + jsonschema-rs on the published schema -- the
  floor that matters, since modgate must at least parse strictly and check the structure;
  ``ratio_vs_strict_floor`` is modgate divided by it (target <= 1.3 while doing the whole ABI);
- ``strict_jsonschema_rs_ms``: stdlib ``json.loads`` with an ``object_pairs_hook`` refusing
  duplicate keys + jsonschema-rs with the published structural schema (as strict as modgate's
  loading, minus NaN and lone-surrogate refusal);
- ``orjson_jsonschema_rs_ms``: ``orjson.loads`` (keeps the last duplicate silently) + jsonschema-rs;
- ``pydantic_ms``: pydantic v2 ``model_validate_json`` with equivalent strict models (the schema's
  patterns; the JSON-safety depth and key rules as an ``AfterValidator``, the only way pydantic
  can express them);
- ``fastjsonschema_ms``: ``orjson.loads`` + fastjsonschema with the same schema (as draft-07).

The references only check structure; modgate also runs every cross-check (references, command
registry, scopes, command payload schemas, JSON limits). ``ratio_vs_jsonschema_rs`` is modgate
divided by the strict jsonschema-rs stack. The import path's cache keyed by *input*
(``fastpath._PAYLOAD_OK``: payloads already checked) is cleared before every modgate iteration, so
a repeated run does not flatter it; what is compiled or derived once per host or command (the
schema validators, the host's parsed app version) is kept, as the references keep their compiled
schema. The stacks take turns within every round (in a shuffled order, a batch of 4 timed calls a
turn; one median per stack over every call: the steady state, see ``_interleaved_medians_ms``).
``import_first_error.165k_ms`` times an invalid 165 KiB package (a bad moduleId): fail-fast should
not pay for the rest of the document.
"""

from __future__ import annotations

import copy
import json
import random
import statistics
import time
from collections.abc import Callable
from typing import Annotated, Any, Literal

import fastjsonschema
import jsonschema_rs
import orjson
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from modgate import strictjson
from modgate.host.board import board_host
from modgate.modules import fastpath
from modgate.modules.package import import_bytes
from modgate.modules.schemas import PACKAGE_SCHEMA, load_schema

SIZES = {"19k": 19 * 1024, "165k": 165 * 1024, "1m": 1024 * 1024}

# (slot, type, commandId, payload) cycled through to fill a package.
_ACTIONS: list[tuple[str, str, str, dict[str, Any]]] = [
    ("chrome-top-toolbar", "button", "setTool", {"tool": "pen"}),
    ("left-panel", "panel", "setViewMode", {"mode": "presentation"}),
    ("toolbar-inline", "button", "setPenColor", {"color": "#FF0000"}),
    ("toolbar-bottom", "button", "setPenWidth", {"width": 4}),
    ("toolbar-bottom", "button", "nextPage", {}),
]


def make_package(target_bytes: int) -> dict[str, Any]:
    """A valid package whose compact JSON is about ``target_bytes`` long."""
    package: dict[str, Any] = {
        "packageAbiVersion": 1,
        "moduleId": "bench-module",
        "moduleVersion": "1.2.3",
        "displayName": "Bench Module",
        "description": "Generated for the import benchmark.",
        "compatibility": {
            "pluginManifestVersion": 1,
            "commandBusContractVersion": 1,
            "minAppVersion": "10.0.0",
            "maxAppVersionExclusive": "11.0.0",
        },
        "pluginManifest": {"manifestVersion": 1, "pluginId": "bench-module", "ui": []},
        "commandBindings": [],
        "capabilitiesRequested": ["ui.slot.render"],
        "extensions": {"x-bench": {"generator": "bench_import"}},
    }
    size, i = len(orjson.dumps(package)), 0
    while size < target_bytes:
        slot, kind, command_id, payload = _ACTIONS[i % len(_ACTIONS)]
        entry_id = f"entry-{i:06d}"
        entry = {
            "id": entry_id,
            "slot": slot,
            "type": kind,
            "props": {"label": f"Action {i}", "icon": "wand", "disabled": False},
            "action": {"commandId": command_id, "payload": payload, "context": {"surface": "heavy-module"}},
        }
        binding = {
            "bindingId": f"binding-{i:06d}",
            "uiEntryId": entry_id,
            "commandId": command_id,
            "payload": payload,
            "context": {"surface": "heavy-module", "index": i},
            "expectedMutationScope": board_host().commands[command_id].mutation_scope,
        }
        package["pluginManifest"]["ui"].append(entry)
        package["commandBindings"].append(binding)
        size += len(orjson.dumps(entry)) + len(orjson.dumps(binding)) + 2
        i += 1
    return package


# --- reference stacks --------------------------------------------------------------------------------


def _reject_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        raise ValueError("duplicate key")
    return out


def _draft7(schema: Any) -> Any:
    """fastjsonschema speaks draft-07: ``$defs`` becomes ``definitions``."""
    text = json.dumps(schema).replace('"$defs"', '"definitions"').replace("#/$defs/", "#/definitions/")
    out = json.loads(text)
    out["$schema"] = "http://json-schema.org/draft-07/schema#"
    return out


_SCHEMA_DEFS = load_schema(PACKAGE_SCHEMA)["$defs"]
_SEMVER = _SCHEMA_DEFS["semver"]["pattern"]
_NON_EMPTY = _SCHEMA_DEFS["nonEmptyString"]["pattern"]
_FORBIDDEN = frozenset(_SCHEMA_DEFS["jsonSafe0"]["propertyNames"]["not"]["enum"])


def _json_safe(value: Any, depth: int = 0) -> Any:
    """The structural part of the JSON-safety rule (depth <= 8, forbidden keys), as pydantic needs it."""
    if depth > 8:
        raise ValueError("nested too deep")
    if isinstance(value, dict):
        if _FORBIDDEN.intersection(value):
            raise ValueError("forbidden key")
        for item in value.values():
            _json_safe(item, depth + 1)
    elif isinstance(value, list):
        for item in value:
            _json_safe(item, depth + 1)
    return value


JsonSafe = Annotated[Any, AfterValidator(_json_safe)]
NonEmpty = Annotated[str, Field(pattern=_NON_EMPTY)]
SemVer = Annotated[str, Field(pattern=_SEMVER)]


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")


class _Compat(_Strict):
    pluginManifestVersion: Literal[1]
    commandBusContractVersion: Literal[1]
    minAppVersion: SemVer | None = None
    maxAppVersionExclusive: SemVer | None = None


class _Props(_Strict):
    label: str | None = None
    icon: str | None = None
    disabled: bool | None = None


class _Action(_Strict):
    commandId: NonEmpty
    payload: JsonSafe = None
    context: JsonSafe = None


class _Entry(_Strict):
    id: NonEmpty
    slot: Literal["chrome-top-toolbar", "left-panel", "toolbar-inline", "toolbar-bottom"]
    type: Literal["button", "panel"]
    props: _Props | None = None
    action: _Action | None = None


class _Manifest(_Strict):
    manifestVersion: Literal[1]
    pluginId: NonEmpty
    ui: list[_Entry]


class _Binding(_Strict):
    bindingId: NonEmpty
    uiEntryId: NonEmpty
    commandId: NonEmpty
    payload: JsonSafe = None
    context: JsonSafe = None
    expectedMutationScope: Literal["doc", "sync", "local"] | None = None


class _Package(_Strict):
    packageAbiVersion: Literal[1]
    moduleId: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{2,63}$")
    moduleVersion: SemVer
    displayName: NonEmpty
    description: str | None = None
    compatibility: _Compat
    pluginManifest: _Manifest
    commandBindings: list[_Binding]
    capabilitiesRequested: list[str] = []
    extensions: dict[Annotated[str, Field(pattern=r"^x-")], JsonSafe] = {}


def _stacks() -> dict[str, Callable[[bytes], Any]]:
    schema = load_schema(PACKAGE_SCHEMA)
    rs = jsonschema_rs.validator_for(schema)
    fast = fastjsonschema.compile(_draft7(schema))
    host = board_host()
    return {
        "modgate_ms": lambda data: _cold_import(data, host),
        "strict_floor_ms": lambda data: rs.is_valid(strictjson.loads(data)),
        "strict_jsonschema_rs_ms": lambda data: rs.is_valid(json.loads(data, object_pairs_hook=_reject_duplicates)),
        "orjson_jsonschema_rs_ms": lambda data: rs.is_valid(orjson.loads(data)),
        "pydantic_ms": lambda data: _Package.model_validate_json(data),
        "fastjsonschema_ms": lambda data: fast(orjson.loads(data)),
    }


def _cold_import(data: bytes, host: Any) -> Any:
    """``import_bytes`` with the caches keyed by *input* emptied first (a payload seen before is
    answered from memory; that would flatter repeated runs on the same bytes). The compiled
    per-command validators are kept, as the references keep their compiled schema validator."""
    fastpath._PAYLOAD_OK.clear()
    return import_bytes(data, host)


def _median_ms(fn: Callable[[bytes], Any], data: bytes, repeats: int) -> float:
    return _interleaved_medians_ms({"fn": fn}, data, repeats)["fn"]


def _interleaved_medians_ms(stacks: dict[str, Callable[[bytes], Any]], data: bytes, repeats: int,
                            batch: int = 4) -> dict[str, float]:
    """Median ms per stack over ``repeats`` timed calls each, the stacks taking turns within every
    round, so drift (thermal, other load) hits them alike. A turn is a batch of ``batch`` calls:
    the figure is the steady state of each stack (as a bulk import sees it), not the cost of
    finding the CPU caches full of its neighbour's data -- every call is timed and kept, the first
    of a batch included, and the median sets the cold ones aside for every stack alike. The order
    within a round is shuffled (seeded, so runs are repeatable), so no stack always follows the
    same neighbour."""
    for fn in stacks.values():
        fn(data)  # warm-up: compiled validators, caches
    names = list(stacks)
    order = random.Random(len(data))
    samples: dict[str, list[float]] = {name: [] for name in names}
    for _ in range(max(1, repeats // batch)):
        for name in order.sample(names, len(names)):
            fn = stacks[name]
            for _ in range(batch):
                start = time.perf_counter()
                fn(data)
                samples[name].append((time.perf_counter() - start) * 1000)
    return {name: round(statistics.median(times), 4) for name, times in samples.items()}


def _repeats(label: str, quick: bool) -> int:
    base = {"19k": 200, "165k": 60, "1m": 20}[label]
    return base if quick else base * 5


def run(quick: bool) -> dict[str, Any]:
    stacks = _stacks()
    out: dict[str, Any] = {"import": {}}
    for label, target in SIZES.items():
        data = orjson.dumps(make_package(target))
        assert import_bytes(data, board_host()).ok, label
        row: dict[str, Any] = {"bytes": len(data)}
        row.update(_interleaved_medians_ms(stacks, data, _repeats(label, quick)))
        row["ratio_vs_jsonschema_rs"] = round(row["modgate_ms"] / row["strict_jsonschema_rs_ms"], 3)
        row["ratio_vs_strict_floor"] = round(row["modgate_ms"] / row["strict_floor_ms"], 3)
        out["import"][label] = row
    out["import_first_error"] = {"165k_ms": _first_error_ms(quick)}
    return out


def _first_error_ms(quick: bool) -> float:
    bad = copy.deepcopy(make_package(SIZES["165k"]))
    bad["moduleId"] = "Bad Module"
    data = orjson.dumps(bad)
    host = board_host()
    assert import_bytes(data, host).envelope["code"] == "invalid-module-id"
    return _median_ms(lambda d: import_bytes(d, host), data, 40 if quick else 200)


if __name__ == "__main__":
    import sys

    print(json.dumps(run("--quick" in sys.argv), indent=2))
