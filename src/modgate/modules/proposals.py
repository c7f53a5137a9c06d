"""Heavy-module changes proposed as transactions: one place for every entry point (CLI, studio).

A package that fails validation creates nothing (its refusal is audited as
``module.import.rejected``); a valid one becomes a ``heavy`` transaction waiting in
APPROVAL_PENDING, to be approved and applied through the ordinary transaction protocol.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson

from modgate.auditevent import AuditEvent
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


def propose_import(rt: Runtime, data: bytes, *, allow_downgrade: bool = False
                   ) -> tuple[ImportOutcome, dict[str, Any] | None]:
    """Validate ``data``; a valid package becomes a previewed transaction (returned second)."""
    current = modules(rt.store.state())
    outcome = import_bytes(data, rt.host, allow_downgrade=allow_downgrade,
                           registered_version=registered_version(data, current))
    if not outcome.ok or outcome.package is None:
        rt.store.record([AuditEvent(event_type="module.import.rejected", correlation_id="import", role="host",
                                 data={k: outcome.envelope.get(k) for k in ("code", "path")})])
        return outcome, None
    package = outcome.package
    shown = rt.tx.preview(track="heavy", kind="import", title=f"import {package['moduleId']}"
                             f" {package['moduleVersion']}", recipe={"package": package,
                                                                     "allowDowngrade": allow_downgrade})
    return outcome, shown
