"""HeavyModulePackageV1 import validation (seed 001, "Import Validation ABI").

The rules live in :mod:`modgate.modules.rules` as one generator of problems in the seed's fixed
six-stage order; import is fail-fast and reports the first one. This module adds what surrounds
the rules: strict loading of bytes, the packageAbiVersion migration chain and manifest adapters,
the downgrade policy, a compiled structural JSON Schema as a fast path, the normalized package and
the ``ModuleImportResult`` envelope exactly as the seed types it.

Fast path: when the compiled structural schema (``heavy-module-package.v1.schema.json``) says a
document is valid, no structural rule can fire, so only the cross-checks run in Python. When it
says invalid, the ordered Python rules run to find the deterministic first error. The Python rules
stay the definition; the schema only has to be at least as strict (a test checks both paths agree).
:func:`import_bytes` asks the quick schema (:mod:`modgate.modules.fastpath`, tier 1) right after
parsing: what it accepts is far shallower than the loader's nesting limit, so the loader's depth
screen runs only for what it refuses - before anything else, so every refusal stays the loader's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from modgate.errors import JsonLoadError, Problem
from modgate.host.model import Host
from modgate.modules import fastpath, normalize
from modgate.modules import package_rules as rules
from modgate.modules.migrations import (
    DEFAULT_MANIFEST_ADAPTERS,
    DEFAULT_MIGRATIONS,
    AdapterRegistry,
    MigrationFailed,
    MigrationRegistry,
)
from modgate.modules.schemas import is_valid, quick_validator
from modgate.strictjson import canonical_bytes, check_depth, loads_depth_deferred

Scalar = str | int | float | bool | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ImportOutcome:
    """The seed's ``ModuleImportResult`` envelope and, on success, the normalized package."""

    envelope: dict[str, Any]
    package: dict[str, Any] | None = None
    problem: Problem | None = None
    migrated_from: int | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None

    def to_bytes(self) -> bytes:
        """Canonical JSON of the envelope: the same input always gives the same bytes."""
        return canonical_bytes(self.envelope)


def success_envelope(package: Mapping[str, Any], *, replaced: bool) -> dict[str, Any]:
    return {
        "ok": True,
        "code": "imported",
        "moduleId": package["moduleId"],
        "moduleVersion": package["moduleVersion"],
        "replaced": replaced,
    }


def failure_envelope(problem: Problem) -> dict[str, Any]:
    out: dict[str, Any] = {"ok": False, "code": problem.code, "path": problem.path, "message": problem.message}
    detail = scalar_detail(problem.detail)
    if detail:
        out["detail"] = detail
    return out


def scalar_detail(detail: Mapping[str, Any]) -> dict[str, Scalar]:
    """The seed types detail values as string | number | boolean | null: drop anything else.

    Integers beyond JSON's safe range (±2**53-1) become strings, so every envelope stays
    canonicalisable (a fuzz case once echoed a 2**63 packageAbiVersion back).
    """
    return {k: _safe_scalar(v) for k, v in sorted(detail.items())
            if v is None or isinstance(v, str | int | float | bool)}


def _safe_scalar(value: Scalar) -> Scalar:
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 2**53 - 1:
        return str(value)
    return value


def _fail(problem: Problem, migrated_from: int | None = None) -> ImportOutcome:
    if migrated_from is not None:
        problem = Problem(
            code=problem.code,
            path=problem.path,
            message=problem.message,
            hint=problem.hint,
            detail={**problem.detail, "migratedFrom": migrated_from},
        )
    return ImportOutcome(envelope=failure_envelope(problem), problem=problem, migrated_from=migrated_from)


@dataclass(frozen=True, slots=True, kw_only=True)
class Prepared:
    """A document after the migration chain and manifest adapter, ready for the v1 rules."""

    document: Any
    migrated_from: int | None = None
    problem: Problem | None = None


def prepare(
    value: Any,
    *,
    migrations: MigrationRegistry = DEFAULT_MIGRATIONS,
    manifest_adapters: AdapterRegistry = DEFAULT_MANIFEST_ADAPTERS,
) -> Prepared:
    """Migrate a known older/newer packageAbiVersion and adapt a known pluginManifestVersion.

    Decision: an integer packageAbiVersion other than 1 is looked at right after the root check,
    before the v1 key check, because the allowed keys belong to a version: without a chain the
    answer is ``invalid-package-abi-version``, not an unknown key of a format we do not know.
    """
    if not isinstance(value, dict):
        return Prepared(document=value)
    version = value.get("packageAbiVersion")
    migrated_from: int | None = None
    if type(version) is int and version != 1:
        try:
            upgraded = migrations.upgrade(value, version)
        except MigrationFailed as exc:
            return Prepared(document=value, problem=_migration_problem(exc, "package"))
        if upgraded is None:
            return Prepared(document=value, problem=rules.abi_version_problem(version))
        value, migrated_from = upgraded, version
    return _adapt_manifest(value, manifest_adapters, migrated_from)


def _adapt_manifest(value: dict[str, Any], adapters: AdapterRegistry, migrated_from: int | None) -> Prepared:
    compat = value.get("compatibility")
    version = compat.get("pluginManifestVersion") if isinstance(compat, dict) else None
    if type(version) is not int or version == 1 or version not in adapters.adapters:
        return Prepared(document=value, migrated_from=migrated_from)
    manifest = value.get("pluginManifest")
    if not isinstance(manifest, dict):
        # Nothing to adapt: the v1 validator reports the missing/non-object manifest itself.
        return Prepared(document=value, migrated_from=migrated_from)
    try:
        adapted = adapters.adapt(manifest, version)
    except MigrationFailed as exc:
        failed = _migration_problem(exc, "package.pluginManifest")
        return Prepared(document=value, migrated_from=migrated_from, problem=failed)
    assert isinstance(compat, dict)  # version came from it
    document = {**value, "pluginManifest": adapted, "compatibility": {**compat, "pluginManifestVersion": 1}}
    return Prepared(document=document, migrated_from=migrated_from)


def _migration_problem(exc: MigrationFailed, path: str) -> Problem:
    return Problem(
        code="package-migration-failed",
        path=path,
        message=f"The migration from version {exc.from_version} to {exc.to_version} failed: {exc.reason}",
        detail={"fromVersion": exc.from_version, "toVersion": exc.to_version},
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class ImportOptions:
    registered_version: str | None = None
    allow_downgrade: bool = False
    migrations: MigrationRegistry = field(default=DEFAULT_MIGRATIONS)
    manifest_adapters: AdapterRegistry = field(default=DEFAULT_MANIFEST_ADAPTERS)


def validate_package(
    value: Any,
    host: Host,
    *,
    registered_version: str | None = None,
    allow_downgrade: bool = False,
    migrations: MigrationRegistry = DEFAULT_MIGRATIONS,
    manifest_adapters: AdapterRegistry = DEFAULT_MANIFEST_ADAPTERS,
) -> ImportOutcome:
    """Fail-fast validation of a parsed package: the first problem, or the normalized package.

    ``registered_version`` is the moduleVersion already registered under the same moduleId (None
    when there is none): it decides ``replaced`` and the downgrade check.
    """
    options = ImportOptions(
        registered_version=registered_version,
        allow_downgrade=allow_downgrade,
        migrations=migrations,
        manifest_adapters=manifest_adapters,
    )
    return _validate(value, host, options, from_json=False)


def _validate(
    value: Any, host: Host, options: ImportOptions, *, from_json: bool, quick: bool | None = None
) -> ImportOutcome:
    """``quick``: whether the quick schema accepted ``value`` (None: not asked yet)."""
    registered_version = options.registered_version
    prepared = prepare(value, migrations=options.migrations, manifest_adapters=options.manifest_adapters)
    if prepared.problem is not None:
        return _fail(prepared.problem, prepared.migrated_from)
    document = prepared.document
    # The schema fast path only for untouched strict-loaded data: a migration may build tuples etc.
    owned = from_json and document is value
    first = fastpath.first_problem(document, host, from_json=owned, quick=quick if owned else None)
    if first is not None:
        return _fail(first, prepared.migrated_from)
    capability = capability_problem(document)
    if capability is not None:
        return _fail(capability, prepared.migrated_from)
    downgrade = rules.downgrade_problem(document["moduleVersion"], registered_version, options.allow_downgrade)
    if downgrade is not None:
        return _fail(downgrade, prepared.migrated_from)
    package = normalize.normalize_package(document, copy=not owned)
    return ImportOutcome(
        envelope=success_envelope(package, replaced=registered_version is not None),
        package=package,
        migrated_from=prepared.migrated_from,
    )


def capability_problem(document: Mapping[str, Any]) -> Problem | None:
    """Task 254 at import time: a requested capability outside the catalog means no registration.

    Also refuses the module id ``host``, which names the host's own module in the action graph.
    """
    from modgate.caps import unknown_requested

    if document.get("moduleId") == "host":
        return Problem(code="reserved-module-id", path="package.moduleId",
                       message="moduleId 'host' is reserved for the host's own commands in the action graph")
    raw = document.get("capabilitiesRequested")
    if not isinstance(raw, list):
        return None  # its shape is reported as invalid-capability-shape
    requested = [c.strip() for c in raw if isinstance(c, str)]
    unknown = unknown_requested(requested)
    if not unknown:
        return None
    index = requested.index(unknown[0])
    return Problem(code="capability-unknown-id", path=f"package.capabilitiesRequested[{index}]",
                   message=f"{unknown[0]!r} is not in the capability catalog v1 (no wildcards, prefixes or aliases)",
                   detail={"capabilityId": unknown[0]})


def import_bytes(
    data: bytes,
    host: Host,
    *,
    registered_version: str | None = None,
    allow_downgrade: bool = False,
    migrations: MigrationRegistry = DEFAULT_MIGRATIONS,
    manifest_adapters: AdapterRegistry = DEFAULT_MANIFEST_ADAPTERS,
) -> ImportOutcome:
    """Strict loading, then :func:`validate_package` (the loader's refusals, then the rules').

    Decision: bytes that are not strict JSON are ``invalid-package-root`` at ``package`` (the text
    is not a JSON object, as DESIGN §3 says), with the loader's own code in ``detail.jsonCode``
    (``json-duplicate-key``, ``json-syntax``, ...) and its position, when it has one, in
    ``detail.jsonPath``. The seed's 23 codes stay the whole story at the top level.
    """
    try:
        value = loads_depth_deferred(data)
        # The quick schema closes every object and bounds every free value, so what it accepts is
        # far shallower than the loader's limit; anything else gets the loader's own depth check.
        quick = is_valid(quick_validator(), value)
        if not quick:
            check_depth(data, value)
    except JsonLoadError as exc:
        return _fail(load_problem(exc.problem))
    options = ImportOptions(
        registered_version=registered_version,
        allow_downgrade=allow_downgrade,
        migrations=migrations,
        manifest_adapters=manifest_adapters,
    )
    return _validate(value, host, options, from_json=True, quick=quick)


def load_problem(inner: Problem) -> Problem:
    detail: dict[str, Any] = {"jsonCode": inner.code}
    if inner.path:
        detail["jsonPath"] = inner.path
    detail.update({k: v for k, v in scalar_detail(inner.detail).items() if k not in detail})
    return Problem(
        code="invalid-package-root",
        path="package",
        message=f"The package is not strict JSON: {inner.message}",
        detail=detail,
    )
