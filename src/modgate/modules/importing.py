"""Validating a heavy import for a runtime, with its evidence recorded (task 258).

One library entry point for every front end (CLI, MCP, studio, Python): the package bytes are
validated against the registry of the runtime's home, and the outcome — valid, or rejected with
its first code and path — is kept with one copy of the bytes, so beta signoff can re-validate it.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import orjson

from modgate.modules.package import ImportOutcome, import_bytes
from modgate.modules.registry import modules

if TYPE_CHECKING:
    from modgate.app import Runtime


def registered_version(data: bytes, current: dict[str, Any]) -> str | None:
    """The registered version of the package's moduleId, read leniently (validation comes next)."""
    try:
        module_id = orjson.loads(data).get("moduleId")
    except (orjson.JSONDecodeError, AttributeError):
        return None
    entry = current.get(module_id) if isinstance(module_id, str) else None
    return str(entry["moduleVersion"]) if entry else None


def validate_import(rt: Runtime, data: bytes, *, allow_downgrade: bool = False,
                    now: float | None = None) -> ImportOutcome:
    """Validate ``data`` as a HeavyModulePackageV1 for ``rt`` and record the outcome."""
    from modgate.signoff.records import ImportRecord, record_import, sha256

    version = registered_version(data, modules(rt.store.state()))
    outcome = import_bytes(data, rt.host, allow_downgrade=allow_downgrade, registered_version=version)
    problem = outcome.problem
    module_id = outcome.package["moduleId"] if outcome.package else None
    record = ImportRecord(package_sha256=sha256(data), size=len(data), ok=outcome.ok,
                          code=problem.code if problem else None, path=problem.path if problem else None,
                          module_id=module_id, registered_version=version, allow_downgrade=allow_downgrade)
    record_import(rt.db, data, record, time.time() if now is None else now)
    return outcome
