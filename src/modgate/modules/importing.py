"""Importing a heavy module package into a runtime: the one use case the CLI and the API share.

:func:`check_import` validates the bytes against the runtime's host and the registered version
and records the outcome — valid, or rejected with its first code and path — with one copy of the
bytes, so beta signoff (task 258) can validate them again (audited as ``module.import.validated``
or ``module.import.rejected``); :func:`preview_import` turns a valid package into a ``heavy``
transaction waiting for a host's approval, and :func:`preview_removal` does the same for removing one.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from modgate.state import JsonObject

if TYPE_CHECKING:
    from modgate.app import Runtime
    from modgate.modules.package import ImportOutcome


def _registered_version(data: bytes, current: dict[str, Any]) -> str | None:
    """The registered version of the package's moduleId, read leniently (validation comes next)."""
    import orjson

    try:
        module_id = orjson.loads(data).get("moduleId")
    except (orjson.JSONDecodeError, AttributeError):
        return None
    entry = current.get(module_id) if isinstance(module_id, str) else None
    return str(entry["moduleVersion"]) if entry else None


def check_import(rt: Runtime, data: bytes, *, allow_downgrade: bool = False, now: float | None = None
                 ) -> ImportOutcome:
    """Validate package bytes for ``rt``'s host; the outcome is recorded and returned, not raised."""
    from modgate.modules.package import import_bytes
    from modgate.modules.registry import modules
    from modgate.signoff.records import ImportRecord, record_import, sha256

    version = _registered_version(data, modules(rt.store.state()))
    outcome = import_bytes(data, rt.host, allow_downgrade=allow_downgrade, registered_version=version)
    problem = outcome.problem
    record = ImportRecord(package_sha256=sha256(data), size=len(data), ok=outcome.ok,
                          code=problem.code if problem else None, path=problem.path if problem else None,
                          module_id=outcome.package["moduleId"] if outcome.package else None,
                          registered_version=version, allow_downgrade=allow_downgrade)
    record_import(rt.db, data, record, time.time() if now is None else now)
    return outcome


def preview_import(rt: Runtime, package: JsonObject, *, allow_downgrade: bool = False,
                   requested_by: str = "host") -> JsonObject:
    """Preview the import of a validated ``package`` as a ``heavy`` transaction (waits for approval)."""
    title = f"import {package['moduleId']} {package['moduleVersion']}"
    return rt.tx.preview(track="heavy", kind="import", title=title, requested_by=requested_by,
                         recipe={"package": package, "allowDowngrade": allow_downgrade})


def preview_removal(rt: Runtime, module_id: str, *, requested_by: str = "host") -> JsonObject:
    """Preview removing an imported module as a ``heavy`` transaction (``module-not-found`` if absent)."""
    from modgate.errors import ModgateError, Problem
    from modgate.modules.registry import modules

    if module_id not in modules(rt.store.state()):
        raise ModgateError(Problem(code="module-not-found", path="moduleId",
                                   message=f"no module {module_id!r} is imported; see `modgate modules`"))
    return rt.tx.preview(track="heavy", kind="remove", title=f"remove {module_id}", requested_by=requested_by,
                         recipe={"moduleId": module_id})
