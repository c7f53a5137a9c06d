"""Importing a heavy module package into a runtime: the one use case the CLI and the API share.

:func:`check_import` validates the bytes against the runtime's host and the registered version
(a rejection is audited as ``module.import.rejected``); :func:`preview_import` turns a valid
package into a ``heavy`` transaction waiting for a host's approval.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from modgate.auditevent import AuditEvent
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


def check_import(rt: Runtime, data: bytes, *, allow_downgrade: bool = False) -> ImportOutcome:
    """Validate package bytes for ``rt``'s host; a rejection is audited and returned, not raised."""
    from modgate.modules.package import import_bytes
    from modgate.modules.registry import modules

    current = modules(rt.store.state())
    outcome = import_bytes(data, rt.host, allow_downgrade=allow_downgrade,
                           registered_version=_registered_version(data, current))
    if not outcome.ok:
        rt.store.record([AuditEvent(event_type="module.import.rejected", correlation_id="import", role="host",
                                    data={k: outcome.envelope.get(k) for k in ("code", "path")})])
    return outcome


def preview_import(rt: Runtime, package: JsonObject, *, allow_downgrade: bool = False,
                   requested_by: str = "host") -> JsonObject:
    """Preview the import of a validated ``package`` as a ``heavy`` transaction (waits for approval)."""
    title = f"import {package['moduleId']} {package['moduleVersion']}"
    return rt.tx.preview(track="heavy", kind="import", title=title, requested_by=requested_by,
                         recipe={"package": package, "allowDowngrade": allow_downgrade})
