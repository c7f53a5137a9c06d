"""Heavy package import ABI v1: golden cases, stage order, strictness, envelope, fast path."""

from __future__ import annotations

import base64
import copy
import itertools
import json
from pathlib import Path
from typing import Any

import pytest

from modgate import codes
from modgate.host.board import board_host
from modgate.modules.fastpath import first_problem
from modgate.modules.migrations import Migration, MigrationRegistry
from modgate.modules.package import import_bytes, validate_package
from modgate.modules.package_rules import iter_package_problems
from modgate.modules.semver import is_semver, semver_lt
from modgate.modules.starter import new_module_package
from modgate.strictjson import dumps

CASES = Path(__file__).parent / "cases" / "import"
HOST = board_host()


def _broken_v0(doc: dict[str, Any]) -> dict[str, Any]:
    return {**doc, "missing": doc["doesNotExist"]}


MIGRATION_FIXTURES = {
    "broken-v0": MigrationRegistry().with_migration(Migration(from_version=0, to_version=1, migrate=_broken_v0))
}


def _cases() -> list[Any]:
    return [pytest.param(json.loads(p.read_text()), id=p.stem) for p in sorted(CASES.glob("*.json"))]


def _run_case(case: dict[str, Any]) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"registered_version": case.get("registeredVersion")}
    if "migrations" in case:
        kwargs["migrations"] = MIGRATION_FIXTURES[case["migrations"]]
    if "input_b64" in case:
        data = base64.b64decode(case["input_b64"])
    else:
        data = json.dumps(case["input"], ensure_ascii=False).encode()
    from_bytes = import_bytes(data, HOST, **kwargs)
    if "input" in case:  # the parsed-value entry point agrees with the bytes entry point
        assert validate_package(case["input"], HOST, **kwargs).envelope == from_bytes.envelope
    return from_bytes.envelope


@pytest.mark.parametrize("case", _cases())
def test_golden_case(case: dict[str, Any]) -> None:
    envelope = _run_case(case)
    assert (envelope["code"], envelope.get("path")) == (case["code"], case["path"]), envelope
    assert envelope["ok"] is False and envelope["message"]
    assert envelope["code"] in codes.IMPORT or envelope["code"] in codes.CAPS


def test_every_import_code_has_a_case() -> None:
    pinned = {json.loads(p.read_text())["code"] for p in CASES.glob("*.json")}
    assert set(codes.IMPORT) <= pinned


def _pkg() -> dict[str, Any]:
    return new_module_package("geo-tools")


def test_valid_package_envelope_is_exactly_the_seed_shape() -> None:
    outcome = validate_package(_pkg(), HOST)
    assert outcome.envelope == {
        "ok": True,
        "code": "imported",
        "moduleId": "geo-tools",
        "moduleVersion": "0.1.0",
        "replaced": False,
    }
    assert outcome.package is not None and outcome.package["commandBindings"][0]["payload"] == {"tool": "pen"}
    assert validate_package(_pkg(), HOST, registered_version="0.0.1").envelope["replaced"] is True


def test_failure_detail_values_are_scalars() -> None:
    pkg = _pkg()
    pkg["pluginManifest"]["ui"][0]["slot"] = "dock"
    envelope = validate_package(pkg, HOST).envelope
    assert envelope["detail"]["manifestCode"] == "invalid-ui-slot"
    assert all(v is None or isinstance(v, str | int | float | bool) for v in envelope["detail"].values())


@pytest.mark.parametrize(
    ("field", "value", "code", "path"),
    [
        ("moduleId", "geo-tools\n", "invalid-module-id", "package.moduleId"),
        ("moduleId", "geo-tool\u0661", "invalid-module-id", "package.moduleId"),
        ("moduleVersion", "1.0.0\n", "invalid-module-version", "package.moduleVersion"),
        ("moduleVersion", "1.0.\u0661", "invalid-module-version", "package.moduleVersion"),
        ("moduleVersion", "1.0.0-01", "invalid-module-version", "package.moduleVersion"),
        ("packageAbiVersion", True, "invalid-package-abi-version", "package.packageAbiVersion"),
        ("packageAbiVersion", 1.0, "invalid-package-abi-version", "package.packageAbiVersion"),
        ("packageAbiVersion", 7, "invalid-package-abi-version", "package.packageAbiVersion"),
        ("displayName", " ", "invalid-display-name", "package.displayName"),
    ],
)
def test_strictness(field: str, value: Any, code: str, path: str) -> None:
    pkg = _pkg()
    pkg[field] = value
    envelope = validate_package(pkg, HOST).envelope
    assert (envelope["code"], envelope["path"]) == (code, path)


@pytest.mark.parametrize("field", ["packageAbiVersion", "moduleId", "moduleVersion", "displayName"])
def test_missing_field_has_its_own_code_and_path(field: str) -> None:
    pkg = _pkg()
    del pkg[field]
    assert validate_package(pkg, HOST).envelope["path"] == f"package.{field}"


@pytest.mark.parametrize(
    ("compat", "code", "path"),
    [
        ({"commandBusContractVersion": 1}, "invalid-compatibility", "package.compatibility.pluginManifestVersion"),
        ({"pluginManifestVersion": 1}, "invalid-compatibility", "package.compatibility.commandBusContractVersion"),
        ({"pluginManifestVersion": True, "commandBusContractVersion": 1}, "unsupported-plugin-manifest-version", None),
        (
            {"pluginManifestVersion": 1, "commandBusContractVersion": 1, "maxAppVersionExclusive": "10.4.0"},
            "app-version-out-of-range",
            "package.compatibility",
        ),
        (
            {
                "pluginManifestVersion": 1,
                "commandBusContractVersion": 1,
                "minAppVersion": "10.4.0",
                "maxAppVersionExclusive": "10.4.1",
            },
            None,
            None,
        ),
        (
            {
                "pluginManifestVersion": 1,
                "commandBusContractVersion": 1,
                "minAppVersion": "10.5.0",
                "maxAppVersionExclusive": "10.5.0",
            },
            "invalid-compatibility",
            "package.compatibility.maxAppVersionExclusive",
        ),
        (
            {"pluginManifestVersion": 1, "commandBusContractVersion": 1, "minAppVersion": None},
            "invalid-compatibility",
            "package.compatibility.minAppVersion",
        ),
        (
            {"pluginManifestVersion": 1, "commandBusContractVersion": 1, "maxAppVersionExclusive": "v11"},
            "invalid-compatibility",
            "package.compatibility.maxAppVersionExclusive",
        ),
    ],
)
def test_compatibility(compat: dict[str, Any], code: str | None, path: str | None) -> None:
    pkg = _pkg()
    pkg["compatibility"] = compat
    envelope = validate_package(pkg, HOST).envelope
    assert envelope["code"] == (code or "imported")
    if path is not None:
        assert envelope["path"] == path


def test_stage_order_metadata_before_compatibility_before_manifest() -> None:
    pkg = _pkg()
    pkg["pluginManifest"] = []
    pkg["compatibility"]["commandBusContractVersion"] = 2
    pkg["moduleVersion"] = "x"
    pkg["zzz"] = 1
    order = [p.code for p in iter_package_problems(pkg, HOST)]
    assert order[:4] == [
        "invalid-package-key",
        "invalid-module-version",
        "unsupported-command-bus-contract-version",
        "manifest-validation-error",
    ]
    assert validate_package(pkg, HOST).envelope["code"] == "invalid-package-key"


def test_binding_order_per_design() -> None:
    pkg = _pkg()
    pkg["commandBindings"][1].update(
        bindingId=pkg["commandBindings"][0]["bindingId"], uiEntryId="ghost", commandId="nope"
    )
    codes_found = [p.code for p in iter_package_problems(pkg, HOST)]
    assert codes_found[:3] == ["duplicate-command-binding-id", "unknown-ui-entry-id", "unknown-command-id"]
    assert codes_found[-1] == "missing-binding-for-ui-action"


def test_downgrade_refused_unless_allowed() -> None:
    pkg = _pkg()
    assert validate_package(pkg, HOST, registered_version="0.1.0-rc.1").ok  # release > pre-release
    refused = validate_package(pkg, HOST, registered_version="0.2.0")
    assert refused.envelope["code"] == "module-version-downgrade"
    allowed = validate_package(pkg, HOST, registered_version="0.2.0", allow_downgrade=True)
    assert allowed.envelope["replaced"] is True


def test_semver_precedence() -> None:
    ordered = [
        "1.0.0-alpha",
        "1.0.0-alpha.1",
        "1.0.0-alpha.beta",
        "1.0.0-beta",
        "1.0.0-beta.2",
        "1.0.0-beta.11",
        "1.0.0-rc.1",
        "1.0.0",
        "2.0.0",
        "2.1.0",
        "2.1.1",
    ]
    assert all(semver_lt(a, b) for a, b in itertools.pairwise(ordered))
    assert not semver_lt("1.0.0+build.1", "1.0.0") and not semver_lt("1.0.0", "1.0.0+b")
    assert not is_semver("1.0.0\n") and not is_semver("01.0.0") and is_semver("1.0.0-0.3.7+exp.sha.5114f85")


def test_invalid_binding_payload_uses_the_command_normalizer() -> None:
    pkg = _pkg()
    pkg["commandBindings"][0]["payload"] = {"tool": " pen "}  # the bus trims enum strings
    assert validate_package(pkg, HOST).ok
    del pkg["commandBindings"][0]["payload"]  # dispatched as null: setTool needs a tool
    assert validate_package(pkg, HOST).envelope["code"] == "invalid-binding-payload"


def test_same_bytes_same_output_bytes_and_no_ids() -> None:
    data = dumps(_pkg())
    assert import_bytes(data, HOST).to_bytes() == import_bytes(data, HOST).to_bytes()
    bad = dumps({**_pkg(), "moduleId": "X"})
    assert import_bytes(bad, HOST).to_bytes() == import_bytes(bad, HOST).to_bytes()


@pytest.mark.parametrize("data", [b"", b"null", b"[]", b"\xff\xfe", b'{"a":', b"1e999", b'"\\ud800"', b"{}" * 3])
def test_bytes_never_raise(data: bytes) -> None:
    assert import_bytes(data, HOST).envelope["code"] == "invalid-package-root"


def test_fast_path_agrees_with_python_rules_on_every_golden_input() -> None:
    for path in sorted(CASES.glob("*.json")):
        case = json.loads(path.read_text())
        if "input" in case:
            slow = first_problem(case["input"], HOST)
            fast = first_problem(copy.deepcopy(case["input"]), HOST, from_json=True)
            assert slow == fast, path.name


def test_large_payload_takes_the_counting_path() -> None:
    pkg = _pkg()
    pkg["commandBindings"][0]["context"] = {"items": [[] for _ in range(512)]}
    envelope = import_bytes(dumps(pkg), HOST).envelope
    assert (envelope["code"], envelope["detail"]["jsonCode"]) == ("invalid-binding-json", "json-node-limit-exceeded")
    pkg["commandBindings"][0]["context"] = {"items": [[] for _ in range(510)]}  # 1 + 1 + 510 = 512 nodes
    assert import_bytes(dumps(pkg), HOST).ok
